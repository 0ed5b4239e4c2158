/**
 * The project's Grafana dashboards (components/observability/dashboards.ts) as Grafana and the mesh-wide Prometheus
 * would see them: valid JSON, a sane grid, the provisioned datasource everywhere, only metrics Istio emits, only
 * defined variables, thresholds equal to the alerts', and every series they (and the alerts) read carried by
 * federation.
 */
import { parse as parseYaml } from "yaml";
import { alertRules, alertThresholds } from "../../components/observability/alerts";
import { projectDashboards } from "../../components/observability/dashboards";
import { GrafanaDashboard, datasource } from "../../components/observability/dashboardModel";
import { istioDashboardMetrics } from "../../components/observability/istioDashboards";
import { istioMetrics } from "../../components/observability/metrics";

import { grafanaProvisioning } from "../../components/observability/grafana";
import { federationMatch } from "../../components/observability/prometheus";
import { metricsIn } from "../harness/promql";

// ---------------------------------------------------------------- PromQL helpers

/** Grafana variables an expression references: `$name` or `${name}` (not Grafana's own `$__...`). */
const variablesIn = (expr: string): string[] =>
    [...expr.matchAll(/\$\{?([A-Za-z_]\w*)\}?/g)].map((m) => m[1]).filter((v) => !v.startsWith("__"));

/** Label lists of every `by (...)` grouping. */
const groupingsIn = (expr: string): string[][] => [...expr.matchAll(/\bby \(([^)]*)\)/g)].map((m) => m[1].split(",").map((l) => l.trim()));

interface Matcher {
    readonly label: string;
    readonly op: "=" | "=~";
    readonly value: string;
}

/** A federation `match[]` selector: `{label="v"}` or `{label=~"re"}`, comma-separated; nothing else is expected. */
function parseSelector(selector: string): Matcher[] {
    const body = /^\{(.*)\}$/.exec(selector);
    if (!body) {
        throw new Error(`unexpected federation selector ${selector}`);
    }
    return body[1].split(",").map((part) => {
        const m = /^\s*([A-Za-z_]\w*)\s*(=~|=)\s*"([^"]*)"\s*$/.exec(part);
        if (!m) {
            throw new Error(`unexpected matcher ${part} in ${selector}`);
        }
        return { label: m[1], op: m[2] as Matcher["op"], value: m[3] };
    });
}

/** Metrics istiod exposes on 15014 (pod label app=istiod): its own families and its Go runtime/process collectors. */
const istiodPrefixes = ["pilot_", "citadel_", "galley_", "sidecar_injection_", "go_", "process_"];
/** The `app` label of the pods a metric's series come from; "up" is made for every target. */
const appsOf = (metric: string): string[] =>
    metric === "up"
        ? ["istiod", "helloworld"]
        : istiodPrefixes.some((p) => metric.startsWith(p))
          ? ["istiod"]
          : ["helloworld", "istio-ingressgateway"];

function matches(m: Matcher, value: string): boolean {
    return m.op === "=" ? value === m.value : new RegExp(`^(?:${m.value})$`).test(value);
}

/** The federation selectors that carry a metric (a Prometheus selector matches when every matcher does). */
function federatedBy(metric: string): string[] {
    return federationMatch.filter((selector) =>
        appsOf(metric).some((app) =>
            parseSelector(selector).every((m) => {
                if (m.label === "__name__") {
                    return matches(m, metric);
                }
                if (m.label === "app") {
                    return matches(m, app);
                }
                throw new Error(`federation selector ${selector} uses label ${m.label}, which this test cannot judge`);
            }),
        ),
    );
}

// ---------------------------------------------------------------- the dashboards

const ttl = 24;
const dashboards = projectDashboards({ workloadCertTtlHours: ttl });
const byUid = (uid: string, list: GrafanaDashboard[] = dashboards): GrafanaDashboard => {
    const found = list.find((d) => d.uid === uid);
    if (!found) {
        throw new Error(`no dashboard ${uid}`);
    }
    return found;
};
const targetsOf = (d: GrafanaDashboard) => d.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, ...t })));
const exprsOf = (d: GrafanaDashboard) => targetsOf(d).map((t) => t.expr);

/** `label_values(<series>, <label>)` of a query variable. */
function variableQuery(v: Record<string, unknown>): { series: string; label: string } {
    const query = (v.query as { query: string }).query;
    const m = /^label_values\((.*),\s*(\w+)\)$/.exec(query);
    if (!m) {
        throw new Error(`variable ${String(v.name)}: unexpected query ${query}`);
    }
    expect(v.definition).toBe(query);
    return { series: m[1], label: m[2] };
}

/** Every metric name the project's dashboards and alerts read (targets, variable queries, rule expressions). */
function projectMetrics(): Map<string, string[]> {
    const uses = new Map<string, string[]>();
    const add = (where: string, expr: string) => {
        for (const metric of metricsIn(expr)) {
            uses.set(metric, [...(uses.get(metric) ?? []), where]);
        }
    };
    for (const d of dashboards) {
        for (const t of targetsOf(d)) {
            add(`${d.uid}/${t.panel}`, t.expr);
        }
        for (const v of d.templating.list) {
            add(`${d.uid}/$${String(v.name)}`, variableQuery(v).series);
        }
    }
    for (const rule of alertRules({ workloadCertTtlHours: ttl, federated: ["cluster2"] }).flatMap((g) => g.rules)) {
        add(rule.alert, rule.expr);
    }
    return uses;
}

describe("the helpers this file relies on", () => {
    test("metricsIn finds the metrics and nothing else", () => {
        expect(
            metricsIn(
                'histogram_quantile(0.9, sum by (le, cluster) (rate(istio_request_duration_milliseconds_bucket{destination_service=~"$service"}[5m]))) or vector(0)',
            ),
        ).toEqual(["istio_request_duration_milliseconds_bucket"]);
        expect(metricsIn('sum(rate(a_total{x="}"}[1m])) / ignoring(pod) max(b_seconds) > 1e-9')).toEqual(["a_total", "b_seconds"]);
    });

    test("the federation matcher: Istio's series by name, istiod's by its app label, up by name, nothing else", () => {
        expect(federatedBy("istio_requests_total")).toEqual(['{__name__=~"istio_.*"}']);
        expect(federatedBy("pilot_xds")).toEqual(['{app="istiod"}']);
        expect(federatedBy("citadel_server_root_cert_expiry_seconds")).toEqual(['{app="istiod"}']);
        expect(federatedBy("up")).toEqual(['{app="istiod"}', '{__name__="up"}']);
        expect(federatedBy("envoy_cluster_upstream_cx_active")).toEqual(['{__name__="envoy_cluster_upstream_cx_active"}']);
        expect(federatedBy("envoy_cluster_upstream_cx_total")).toEqual([]);
        expect(federatedBy("xistio_requests_total")).toEqual([]);
        expect(federatedBy("container_cpu_usage_seconds_total")).toEqual([]);
    });
});

describe("project dashboards", () => {
    test("three dashboards: mTLS, certificates, services", () => {
        expect(dashboards.map((d) => d.uid)).toEqual(["zta-mtls", "zta-certificates", "zta-services"]);
        for (const d of dashboards) {
            expect(d.title).not.toBe("");
            expect(d.panels.length).toBeGreaterThan(0);
        }
    });

    test("each survives a JSON round trip unchanged (what Grafana reads from the ConfigMap)", () => {
        for (const d of dashboards) {
            expect(JSON.parse(JSON.stringify(d))).toEqual(d);
        }
    });

    test("panel ids are unique per dashboard and refIds per panel", () => {
        for (const d of dashboards) {
            const ids = d.panels.map((p) => p.id);
            expect([d.uid, new Set(ids).size]).toEqual([d.uid, ids.length]);
            for (const p of d.panels) {
                const refs = p.targets.map((t) => t.refId);
                expect([d.uid, p.title, new Set(refs).size]).toEqual([d.uid, p.title, refs.length]);
            }
        }
    });

    test("every panel lies within Grafana's 24 columns and no two panels overlap", () => {
        for (const d of dashboards) {
            for (const p of d.panels) {
                const g = p.gridPos;
                expect([d.uid, p.title, g.x >= 0 && g.y >= 0 && g.w >= 1 && g.h >= 1 && g.x + g.w <= 24]).toEqual([d.uid, p.title, true]);
            }
            for (const [i, a] of d.panels.entries()) {
                for (const b of d.panels.slice(i + 1)) {
                    const [p, q] = [a.gridPos, b.gridPos];
                    const overlap = p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
                    expect([d.uid, a.title, b.title, overlap]).toEqual([d.uid, a.title, b.title, false]);
                }
            }
        }
    });

    test("every panel, target and query variable uses the datasource Grafana is provisioned with (by uid)", () => {
        const provisioned = parseYaml(grafanaProvisioning({ meshCluster: "cluster1", istioDashboards: {} })["datasources.yaml"]) as {
            datasources: { uid: string; type: string; url: string; isDefault: boolean }[];
        };
        expect(provisioned.datasources).toHaveLength(1);
        const [ds] = provisioned.datasources;
        expect(ds).toMatchObject({
            type: "prometheus",
            isDefault: true,
            url: "http://prometheus-cluster1.observability.svc.cluster.local:9090",
        });
        const expected = { type: ds.type, uid: ds.uid };
        expect(datasource).toEqual(expected);
        for (const d of dashboards) {
            for (const p of d.panels) {
                expect([d.uid, p.title, p.datasource]).toEqual([d.uid, p.title, expected]);
                for (const t of p.targets) {
                    expect([d.uid, p.title, t.refId, t.datasource]).toEqual([d.uid, p.title, t.refId, expected]);
                }
            }
            for (const v of d.templating.list) {
                expect([d.uid, v.name, v.type, v.datasource]).toEqual([d.uid, v.name, "query", expected]);
            }
        }
    });

    test("every metric a target or variable reads is one of the Istio metrics the layer may use", () => {
        const allowed = new Set<string>(Object.values(istioMetrics));
        for (const d of dashboards) {
            for (const t of targetsOf(d)) {
                const used = metricsIn(t.expr);
                expect([d.uid, t.panel, used.length > 0]).toEqual([d.uid, t.panel, true]);
                for (const metric of used) {
                    expect([d.uid, t.panel, metric, allowed.has(metric)]).toEqual([d.uid, t.panel, metric, true]);
                }
            }
            for (const v of d.templating.list) {
                const used = metricsIn(variableQuery(v).series);
                expect([d.uid, v.name, used.length]).toEqual([d.uid, v.name, 1]);
                expect([d.uid, v.name, allowed.has(used[0])]).toEqual([d.uid, v.name, true]);
            }
        }
    });

    test("every $variable an expression uses is defined, and a variable only uses variables defined before it", () => {
        for (const d of dashboards) {
            const names = d.templating.list.map((v) => String(v.name));
            for (const t of targetsOf(d)) {
                for (const v of variablesIn(t.expr)) {
                    expect([d.uid, t.panel, v, names.includes(v)]).toEqual([d.uid, t.panel, v, true]);
                }
            }
            d.templating.list.forEach((v, i) => {
                for (const used of variablesIn(variableQuery(v).series)) {
                    expect([d.uid, v.name, used, names.slice(0, i).includes(used)]).toEqual([d.uid, v.name, used, true]);
                }
            });
        }
        // The checks above run on something: the selectors are in use.
        expect(exprsOf(byUid("zta-services")).every((e) => e.includes('destination_service=~"$service"'))).toBe(true);
        expect(exprsOf(byUid("zta-certificates")).every((e) => e.includes('cluster=~"$cluster"'))).toBe(true);
    });

    test("every variable lists the `cluster` label or a label the standard metrics carry, with All allowed", () => {
        for (const d of dashboards) {
            expect(d.templating.list.map((v) => v.name)).toContain("cluster");
            for (const v of d.templating.list) {
                expect(["cluster", "destination_service"]).toContain(variableQuery(v).label);
                expect(v).toMatchObject({ includeAll: true, multi: true, allValue: ".*" });
            }
        }
    });

    test("mTLS: requests and TCP connections grouped by source_cluster, destination_cluster and connection_security_policy", () => {
        const mtls = byUid("zta-mtls");
        for (const metric of [istioMetrics.requests, istioMetrics.tcpOpened]) {
            const grouped = exprsOf(mtls).filter(
                (e) =>
                    metricsIn(e).includes(metric) &&
                    groupingsIn(e).some((g) =>
                        ["source_cluster", "destination_cluster", "connection_security_policy"].every((l) => g.includes(l)),
                    ),
            );
            expect([metric, grouped.length]).toEqual([metric, 1]);
            // Counted once, by the server side (it knows whether mTLS was used).
            expect(grouped[0]).toContain('reporter="destination"');
        }
    });

    test.each([24, 12, 1])(
        "certificates (lifetime %i h): red below the alert threshold, in hours, on every workload-certificate panel",
        (hours) => {
            const certs = byUid("zta-certificates", projectDashboards({ workloadCertTtlHours: hours }));
            const alertHours = alertThresholds(hours).workloadCertSeconds / 3600;
            const workload = certs.panels.filter((p) =>
                p.targets.some((t) => metricsIn(t.expr).includes(istioMetrics.workloadCertExpirySeconds)),
            );
            expect(workload.length).toBeGreaterThanOrEqual(3);
            for (const p of workload) {
                expect([p.title, p.fieldConfig.defaults.unit]).toEqual([p.title, "h"]);
                expect([p.title, p.targets.every((t) => t.expr.endsWith(" / 3600"))]).toEqual([p.title, true]);
                expect([p.title, p.fieldConfig.defaults.thresholds]).toEqual([
                    p.title,
                    {
                        mode: "absolute",
                        steps: [
                            { color: "red", value: null },
                            { color: "green", value: alertHours },
                        ],
                    },
                ]);
            }
            expect(certs.description).toContain(`red below ${alertHours} h`);
            const ca = certs.panels.find((p) => p.targets.some((t) => metricsIn(t.expr).includes(istioMetrics.caCertChainExpirySeconds)))!;
            expect(ca.fieldConfig.defaults.thresholds).toEqual({
                mode: "absolute",
                steps: [
                    { color: "red", value: null },
                    { color: "green", value: alertThresholds(hours).caCertSeconds / 3600 },
                ],
            });
        },
    );

    test("24 h certificates: the red zone starts at 6 h", () => {
        expect(alertThresholds(24).workloadCertSeconds / 3600).toBe(6);
    });
});

describe("federation carries what the mesh-wide Prometheus is asked for", () => {
    test("every metric of the project's dashboards and alerts is matched by a federation selector", () => {
        const uses = projectMetrics();
        // The dashboards and alerts between them read all the metrics the layer names, and `up`.
        expect([...uses.keys()].sort()).toEqual([...Object.values(istioMetrics), "up"].sort());
        const missing = [...uses.entries()]
            .filter(([metric]) => federatedBy(metric).length === 0)
            .map(([metric, where]) => `${metric} (${where.join(", ")})`);
        expect(missing).toEqual([]);
    });

    /* envoy_cluster_upstream_cx_active (the control-plane dashboard's connections panel) needs its own selector. */
    test("every metric Istio's shipped dashboards read is matched by a federation selector", () => {
        const missing = istioDashboardMetrics.filter((metric) => federatedBy(metric).length === 0);
        expect(missing).toEqual([]);
    });
});
