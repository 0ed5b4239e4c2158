/**
 * Observability renderers: every metric a rule uses is one Istio emits (or `up`), the thresholds follow the
 * certificate lifetime, the scrape jobs are the ones Istio documents, and the mesh-wide Prometheus federates the
 * other clusters with their `cluster` label kept.
 */
import { alertRules, alertThresholds, workloadCertAlertSeconds } from "../../components/observability/alerts";
import { connectionSecurityPolicies, istioMetrics } from "../../components/observability/metrics";
import {
    federationJobName,
    federationMatch,
    prometheusConfig,
    RelabelConfig,
    ScrapeConfig,
} from "../../components/observability/prometheus";
import { metricsIn } from "../harness/promql";

const emitted = new Set<string>([...Object.values(istioMetrics), "up"]);

/**
 * Prometheus's relabelling for the actions the scrape config uses (keep, drop, replace): `null` when the target is
 * dropped. Regexes are anchored, source values joined with ";", replacement "$1" by default.
 */
function relabel(labels: Record<string, string>, configs: readonly RelabelConfig[]): Record<string, string> | null {
    const out = { ...labels };
    for (const c of configs) {
        const value = (c.source_labels ?? []).map((l) => out[l] ?? "").join(";");
        const m = new RegExp(`^(?:${c.regex ?? "(.*)"})$`).exec(value);
        switch (c.action ?? "replace") {
            case "keep":
                if (!m) {
                    return null;
                }
                break;
            case "drop":
                if (m) {
                    return null;
                }
                break;
            case "labelmap":
                for (const [k, v] of Object.entries({ ...out })) {
                    const lm = new RegExp(`^(?:${c.regex ?? "(.*)"})$`).exec(k);
                    if (lm) {
                        out[(c.replacement ?? "$1").replace(/\$(\d+)/g, (_s, i: string) => lm[Number(i)] ?? "")] = v;
                    }
                }
                break;
            case "replace":
                if (m && c.target_label) {
                    out[c.target_label] = (c.replacement ?? "$1").replace(/\$(\d+)/g, (_s, i: string) => m[Number(i)] ?? "");
                }
                break;
            default:
                throw new Error(`relabel action ${String(c.action)} not simulated`);
        }
    }
    return out;
}

describe("the PromQL metric extractor (used below)", () => {
    test("finds metrics inside functions and aggregations, skips labels, functions, durations and numbers", () => {
        expect(
            metricsIn(
                'histogram_quantile(0.99, sum by (le, cluster) (rate(istio_request_duration_milliseconds_bucket{reporter="destination", x=~"a{1}"}[5m]))) > 1e-9 or vector(0)',
            ),
        ).toEqual(["istio_request_duration_milliseconds_bucket"]);
        expect(metricsIn("min(foo_bar) / 3600 and on(cluster) up")).toEqual(["foo_bar", "up"]);
        expect(metricsIn('absent(up{job=~"federate-a|federate-b"})')).toEqual(["up"]);
    });
});

describe("alert rules", () => {
    const rulesOf = (federated: string[], ttl = 24) => alertRules({ workloadCertTtlHours: ttl, federated }).flatMap((g) => g.rules);
    const withFederation = rulesOf(["cluster2", "cluster3"]);
    const alone = rulesOf([]);

    test("the four the issue names; MeshFederationDown only when the Prometheus federates someone", () => {
        const base = ["IstioXdsRejected", "WorkloadCertificateExpiring", "MeshCaCertificateExpiring", "PlaintextTraffic"];
        expect(alone.map((r) => r.alert)).toEqual(base);
        expect(withFederation.map((r) => r.alert)).toEqual([...base, "MeshFederationDown"]);
    });

    test("every metric an expression reads is one Istio emits, or `up` (a typo would silently never fire)", () => {
        for (const r of withFederation) {
            const used = metricsIn(r.expr);
            expect([r.alert, used.length > 0]).toEqual([r.alert, true]);
            for (const metric of used) {
                expect([r.alert, metric, emitted.has(metric)]).toEqual([r.alert, metric, true]);
            }
        }
    });

    test("each alert keeps the cluster label (federated series of every cluster stay apart)", () => {
        for (const r of withFederation) {
            expect([r.alert, r.expr]).toEqual([r.alert, expect.stringMatching(/by \(cluster[,)]/)]);
        }
    });

    test("federation down: each federation job named, fires when a job is down or when any one job's series are absent", () => {
        const down = withFederation.find((r) => r.alert === "MeshFederationDown")!;
        expect(down.expr).toContain('up{job=~"federate-cluster2|federate-cluster3"}) == 0');
        // one absent() per job (over the regex it would wait for ALL to vanish), labelled with its cluster
        expect(down.expr).toContain('label_replace(absent(up{job="federate-cluster2"}), "cluster", "cluster2", "", "")');
        expect(down.expr).toContain('label_replace(absent(up{job="federate-cluster3"}), "cluster", "cluster3", "", "")');
        expect(down.labels.severity).toBe("critical");
        expect(down.for).toBe("5m");
    });

    test("plaintext: the server side's view, connection_security_policy none, for HTTP and TCP", () => {
        const plaintext = alone.find((r) => r.alert === "PlaintextTraffic")!;
        expect(connectionSecurityPolicies).toContain("none");
        expect(plaintext.expr).toContain('istio_requests_total{reporter="destination", connection_security_policy="none"}');
        expect(plaintext.expr).toContain('istio_tcp_connections_opened_total{reporter="destination", connection_security_policy="none"}');
        expect(plaintext.labels.severity).toBe("critical");
    });

    test.each([
        [24, 6 * 3600],
        [12, 3 * 3600],
        [1, 900],
    ])("workload certificates of %i h alert below %i s (a quarter of the lifetime, at most 12 h: renewal is at half)", (ttl, seconds) => {
        expect(workloadCertAlertSeconds(ttl)).toBe(seconds);
        expect(alertThresholds(ttl).workloadCertSeconds).toBe(seconds);
        const rule = rulesOf([], ttl).find((r) => r.alert === "WorkloadCertificateExpiring")!;
        expect(rule.expr).toBe(`min by (cluster, namespace, pod) (istio_agent_cert_expiry_seconds) < ${seconds}`);
    });

    test("the CA chain alerts below 12 h = 43200 s whatever the workload lifetime", () => {
        for (const ttl of [1, 24]) {
            expect(alertThresholds(ttl).caCertSeconds).toBe(43200);
            const rule = rulesOf([], ttl).find((r) => r.alert === "MeshCaCertificateExpiring")!;
            expect(rule.expr).toBe("min by (cluster) (citadel_server_cert_chain_expiry_seconds) < 43200");
        }
    });

    test.each([0, 25, 1.5])("a lifetime of %p h (outside 1-24 or not whole) is refused naming the field", (ttl) => {
        expect(() => workloadCertAlertSeconds(ttl)).toThrow(
            new RegExp(`^workloadCertTtlHours: expected an integer from 1 to 24, got ${ttl}$`),
        );
    });
});

describe("prometheus config", () => {
    const input = { cluster: "cluster1", istioNamespace: "istio-system", ruleFiles: ["/etc/prometheus/alerts.yml"] };
    const local = prometheusConfig({ ...input, cluster: "cluster2", ruleFiles: [], federate: [] });
    const mesh = prometheusConfig({
        ...input,
        federate: [
            { cluster: "cluster2", address: "prometheus-cluster2.observability.svc.cluster.local:9090" },
            { cluster: "cluster3", address: "10.5.0.9:9090" },
        ],
    });
    const relabels = (job: ScrapeConfig) => job.relabel_configs ?? [];
    const localJobs = ["kubernetes-pods"];

    test("the cluster is an external label (federation keeps it); rule files only where given", () => {
        expect(local.global.external_labels).toEqual({ cluster: "cluster2" });
        expect(mesh.global.external_labels).toEqual({ cluster: "cluster1" });
        expect(local.rule_files).toEqual([]);
        expect(mesh.rule_files).toEqual(["/etc/prometheus/alerts.yml"]);
    });

    test("one job, as Istio's addon: pods that announce Istio's metrics ports (15020 proxies, 15014 istiod) by annotation", () => {
        expect(local.scrape_configs.map((j) => j.job_name)).toEqual(localJobs);
        const [pods] = local.scrape_configs;
        expect(pods.kubernetes_sd_configs).toEqual([{ role: "pod" }]);
        expect(relabels(pods)[0]).toEqual({
            source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
            action: "keep",
            regex: "true",
        });
        // The path comes from the annotation (Istio's injector writes /stats/prometheus).
        const path = relabels(pods).find((r) => r.target_label === "__metrics_path__")!;
        expect(path.source_labels).toEqual(["__meta_kubernetes_pod_annotation_prometheus_io_path"]);
        // The address is the pod IP with the annotated port.
        const address = relabels(pods).find((r) => r.target_label === "__address__")!;
        expect(address.source_labels).toEqual(["__meta_kubernetes_pod_annotation_prometheus_io_port", "__meta_kubernetes_pod_ip"]);
        expect(new RegExp(`^${address.regex}$`).test("15020;10.244.1.7")).toBe(true);
        expect("15020;10.244.1.7".replace(new RegExp(address.regex!), address.replacement!)).toBe("10.244.1.7:15020");
        // Which pods: Istio's ports only (a CNI agent annotated for 9962 is not ours, and not reachable).
        const base = {
            __meta_kubernetes_namespace: "istio-system",
            __meta_kubernetes_pod_name: "istiod-5d8f",
            __meta_kubernetes_pod_ip: "10.244.0.5",
            __meta_kubernetes_pod_phase: "Running",
            __meta_kubernetes_pod_label_app: "istiod",
            __meta_kubernetes_pod_annotation_prometheus_io_scrape: "true",
            __address__: "10.244.0.5:15012",
        };
        const istiod = relabel(
            { ...base, __meta_kubernetes_pod_annotation_prometheus_io_port: "15014", __metrics_path__: "/metrics" },
            relabels(pods),
        );
        expect(istiod).toMatchObject({
            __address__: "10.244.0.5:15014",
            app: "istiod",
            pod: "istiod-5d8f",
            namespace: "istio-system",
            cluster: "cluster2",
        });
        expect(relabel({ ...base, __meta_kubernetes_pod_annotation_prometheus_io_port: "9962" }, relabels(pods))).toBeNull();
        expect(
            relabel(
                {
                    ...base,
                    __meta_kubernetes_pod_annotation_prometheus_io_scrape: "false",
                    __meta_kubernetes_pod_annotation_prometheus_io_port: "15020",
                },
                relabels(pods),
            ),
        ).toBeNull();
    });

    test("every local job sets `cluster` to its own cluster, last (after any relabel that could overwrite it)", () => {
        for (const config of [local, mesh]) {
            const own = config.global.external_labels.cluster;
            for (const job of config.scrape_configs.filter((j) => localJobs.includes(j.job_name))) {
                expect([job.job_name, relabels(job).at(-1)]).toEqual([
                    job.job_name,
                    { action: "replace", target_label: "cluster", replacement: own },
                ]);
                expect(relabels(job).filter((r) => r.target_label === "cluster")).toHaveLength(1);
            }
        }
    });

    test("pod targets carry namespace and pod (the alerts group by them); finished pods are dropped", () => {
        for (const job of local.scrape_configs) {
            expect(relabels(job).map((r) => r.target_label)).toEqual(expect.arrayContaining(["namespace", "pod"]));
        }
        expect(relabels(local.scrape_configs[0])).toContainEqual({
            source_labels: ["__meta_kubernetes_pod_phase"],
            action: "drop",
            regex: "Pending|Succeeded|Failed|Completed",
        });
    });

    /*
     * pilot-agent's merged endpoint on 15020 serves Envoy's statistics too (istio.io "Prometheus" integration, option 1
     * "metrics merging"): a second job on Envoy's 15090 would scrape istio_requests_total & co. twice and double every
     * sum(rate(...)) in the dashboards (found by this test; fixed by keeping the one annotation-driven job).
     */
    test("an injected pod's Envoy statistics are scraped by exactly one job (no doubled istio_* series)", () => {
        // The targets Kubernetes pod discovery makes for an injected pod: one per container port, pod annotations on each.
        const pod = {
            __meta_kubernetes_namespace: "sample",
            __meta_kubernetes_pod_name: "helloworld-v1-7c9d",
            __meta_kubernetes_pod_ip: "10.244.1.7",
            __meta_kubernetes_pod_phase: "Running",
            // What Istio's injector sets with metrics merging on (the default).
            __meta_kubernetes_pod_annotation_prometheus_io_scrape: "true",
            __meta_kubernetes_pod_annotation_prometheus_io_port: "15020",
            __meta_kubernetes_pod_annotation_prometheus_io_path: "/stats/prometheus",
        };
        const targets = [
            { ...pod, __meta_kubernetes_pod_container_port_name: "http", __address__: "10.244.1.7:5000" },
            { ...pod, __meta_kubernetes_pod_container_port_name: "http-envoy-prom", __address__: "10.244.1.7:15090" },
        ];
        /** Endpoints whose /stats/prometheus carries Envoy's statistics: Envoy's own, and pilot-agent's merged one. */
        const envoyStats = new Set(["10.244.1.7:15090/stats/prometheus", "10.244.1.7:15020/stats/prometheus"]);
        const scraped = new Set<string>();
        for (const job of local.scrape_configs.filter((j) => j.kubernetes_sd_configs?.some((sd) => sd.role === "pod"))) {
            for (const t of targets) {
                const labels = relabel({ ...t, __metrics_path__: job.metrics_path ?? "/metrics" }, relabels(job));
                if (labels && envoyStats.has(`${labels.__address__}${labels.__metrics_path__}`)) {
                    // Prometheus merges targets whose labels end up equal; the job name keeps the jobs apart.
                    scraped.add(`${job.job_name} ${labels.__address__}`);
                }
            }
        }
        expect([...scraped]).toHaveLength(1);
    });

    test("the pod job's own labels win over scraped ones (istiod's `cluster` label names the REMOTE cluster in its sync status)", () => {
        const pods = local.scrape_configs.find((j) => j.job_name === "kubernetes-pods")!;
        // false: a scraped `cluster` is kept as exported_cluster, this Prometheus's cluster stays on every series
        expect(pods.honor_labels).toBe(false);
        expect(relabels(pods)).toContainEqual({ action: "replace", target_label: "cluster", replacement: "cluster2" });
    });

    test("no federation job without federation targets", () => {
        expect(local.scrape_configs.some((j) => j.metrics_path === "/federate" || j.job_name.startsWith("federate-"))).toBe(false);
    });

    test("one federation job per other cluster: /federate with honor_labels, the federation selectors, the address labelled with that cluster", () => {
        expect(mesh.scrape_configs.map((j) => j.job_name)).toEqual([...localJobs, "federate-cluster2", "federate-cluster3"]);
        for (const [cluster, address] of [
            ["cluster2", "prometheus-cluster2.observability.svc.cluster.local:9090"],
            ["cluster3", "10.5.0.9:9090"],
        ]) {
            const job = mesh.scrape_configs.find((j) => j.job_name === federationJobName(cluster))!;
            expect(job.job_name).toBe(`federate-${cluster}`);
            expect(job.metrics_path).toBe("/federate");
            // Without honor_labels the federated series would get this job's labels and lose their own cluster.
            expect(job.honor_labels).toBe(true);
            expect(job.params).toEqual({ "match[]": [...federationMatch] });
            expect(job.static_configs).toEqual([{ targets: [address], labels: { cluster } }]);
            expect(job.kubernetes_sd_configs).toBeUndefined();
            // Prometheus refuses a timeout longer than the interval.
            expect(parseInt(job.scrape_timeout!, 10)).toBeLessThanOrEqual(parseInt(job.scrape_interval!, 10));
        }
    });

    test("the federation selectors: Istio's series, istiod's (by its pod label), the xDS connection gauge, and up", () => {
        expect([...federationMatch]).toEqual([
            '{__name__=~"istio_.*"}',
            '{app="istiod"}',
            '{__name__="envoy_cluster_upstream_cx_active"}',
            '{__name__="up"}',
        ]);
    });

    test("a cluster name that is not a DNS label is refused", () => {
        expect(() => prometheusConfig({ ...input, cluster: "Cluster_1", federate: [] })).toThrow(/^cluster: /);
    });

    test.each([
        [
            "its own cluster",
            [{ cluster: "cluster1", address: "prometheus-cluster1.observability.svc.cluster.local:9090" }],
            /^federate: .*"cluster1"/,
        ],
        [
            "a cluster twice",
            [
                { cluster: "cluster2", address: "a.example:9090" },
                { cluster: "cluster2", address: "b.example:9090" },
            ],
            /^federate: .*got "cluster2"/,
        ],
        ["a cluster name that is no DNS label", [{ cluster: "Cluster2", address: "a.example:9090" }], /^federate: .*got "Cluster2"/],
        [
            "an address without port",
            [{ cluster: "cluster2", address: "prometheus-cluster2.observability" }],
            /^federate\[cluster2\]\.address: expected host:port/,
        ],
        ["an address with a scheme", [{ cluster: "cluster2", address: "http://prometheus:9090" }], /^federate\[cluster2\]\.address: /],
        ["an address with a path", [{ cluster: "cluster2", address: "prometheus:9090/federate" }], /^federate\[cluster2\]\.address: /],
    ])("federating %s is refused", (_what, federate, message) => {
        expect(() => prometheusConfig({ ...input, federate })).toThrow(message);
    });
});
