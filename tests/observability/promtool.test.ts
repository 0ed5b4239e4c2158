/**
 * The alert rules under Prometheus's own tools (toolchain piece `prometheus`): `promtool check rules` on the rule
 * file exactly as the mesh Prometheus mounts it, and `promtool test rules` unit tests that feed each alert the series
 * that should fire it — and the series of a healthy mesh, on which it must stay silent. A mutated rule file shows the
 * healthy cases have teeth. And the checker tests/program/plan.shared.ts runs on every rendered dashboard. Skipped
 * loudly where the piece is not built (tests/harness/prometheus.ts).
 */
import { stringify } from "yaml";
import { prometheusObjects } from "../../components/observability/objects";
import { workloadCertAlertSeconds } from "../../components/observability/alerts";
import { filesDir, promtool, promtoolAvailable } from "../harness/prometheus";
import { dashboardVerdicts, substituteVariables } from "../harness/renderedPrometheus";
import { federationMatch } from "../../components/observability/prometheus";

const have = promtoolAvailable();
const ptest = have ? test : test.skip;

/** The mesh Prometheus's rule file, as the program renders it (cluster1 federates cluster2 and cluster3). */
function ruleFile(workloadCertTtlHours: number): string {
    return prometheusObjects({
        cluster: "cluster1",
        image: "docker.io/prom/prometheus:v3.10.0",
        retention: "7d",
        federate: ["cluster2", "cluster3"].map((c) => ({ cluster: c, address: `prometheus-${c}.observability.svc.cluster.local:9090` })),
        alerts: { workloadCertTtlHours },
    }).configMap.data["alerts.yml"];
}

interface Series {
    readonly series: string;
    readonly values: string;
}
interface Expected {
    readonly exp_labels: Record<string, string>;
    readonly exp_annotations?: Record<string, string>;
}
interface AlertTest {
    readonly eval_time: string;
    readonly alertname: string;
    readonly exp_alerts: readonly Expected[];
}
interface Case {
    readonly name: string;
    readonly interval: string;
    readonly input_series: readonly Series[];
    readonly alert_rule_test: readonly AlertTest[];
}

/** `n` one-minute samples of a gauge falling 60 s per minute from `from` (time to expiry, seconds). */
const countdown = (from: number, minutes: number) => `${from}-60x${minutes}`;
/**
 * A healthy proxy's certificate of `ttlHours`, for `cycles` renewals: Istio's agent renews when the time left falls to
 * SECRET_GRACE_PERIOD_RATIO (0.5) of the lifetime, jittered by ±SECRET_GRACE_PERIOD_RATIO_JITTER (0.01). Modelled at
 * the latest point, 0.49: the lowest a healthy proxy ever gets.
 */
const renewalMinutes = (ttlHours: number) => Math.ceil(0.51 * ttlHours * 60);
const renewedLate = (ttlHours: number, cycles: number) =>
    Array.from({ length: cycles }, () => countdown(ttlHours * 3600, renewalMinutes(ttlHours) - 1)).join(" ");

const istiod = 'cluster="cluster1", app="istiod", namespace="istio-system", pod="istiod-7c9d8b5f4-x2x9q"';
const proxy = (pod: string) => `cluster="cluster1", namespace="sample", pod="${pod}"`;
const request = (policy: string, reporter = "destination") =>
    `{reporter="${reporter}", connection_security_policy="${policy}", cluster="cluster1", source_workload="curl", destination_service="helloworld.sample.svc.cluster.local"}`;

const federateUp = (c: string) =>
    `up{job="federate-${c}", cluster="${c}", instance="prometheus-${c}.observability.svc.cluster.local:9090"}`;
const federationDown = (c: string): Expected => ({
    exp_labels: { severity: "critical", cluster: c, job: `federate-${c}` },
    exp_annotations: {
        summary: "The mesh-wide Prometheus cannot federate a cluster",
        description: `federate-${c} failed for 5 minutes: ${c}'s series (and the alerts above for it) are missing.`,
    },
});

/** Prometheus's humanizeDuration for whole seconds ≥ 1 h: "5h 50m 0s". */
const humanize = (seconds: number) => `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m ${seconds % 60}s`;

/** The unit tests, per alert: the series that should fire it, and a healthy mesh's, that must not. */
function cases(ttlHours: number): Case[] {
    const threshold = workloadCertAlertSeconds(ttlHours);
    const failingRenewalMinutes = Math.ceil((ttlHours * 3600 - threshold) / 60) + 10;
    return [
        {
            name: "IstioXdsRejected: fires on a rise of rejects, silent on a counter that rose long ago",
            interval: "1m",
            input_series: [
                { series: `pilot_total_xds_rejects{${istiod}, type="lds"}`, values: "0x10 1x10" },
                { series: `pilot_total_xds_rejects{${istiod}, type="cds"}`, values: "7x20" },
            ],
            alert_rule_test: [
                { eval_time: "9m", alertname: "IstioXdsRejected", exp_alerts: [] },
                {
                    eval_time: "12m",
                    alertname: "IstioXdsRejected",
                    exp_alerts: [
                        {
                            exp_labels: { severity: "warning", cluster: "cluster1", type: "lds" },
                            exp_annotations: {
                                summary: "Proxies rejected configuration from istiod",
                                description: "1 lds responses rejected in cluster1 over 5 minutes: a proxy runs stale config.",
                            },
                        },
                    ],
                },
            ],
        },
        {
            name: `WorkloadCertificateExpiring (${ttlHours} h): silent on a healthy proxy for two renewals, each at the latest the jitter allows`,
            interval: "1m",
            input_series: [{ series: `istio_agent_cert_expiry_seconds{${proxy("healthy-0")}}`, values: renewedLate(ttlHours, 2) }],
            // at the bottom of each sawtooth (the minute before a late renewal) and halfway down
            alert_rule_test: [0, 1].flatMap((cycle) => [
                {
                    eval_time: `${cycle * renewalMinutes(ttlHours) + renewalMinutes(ttlHours) - 1}m`,
                    alertname: "WorkloadCertificateExpiring",
                    exp_alerts: [] as Expected[],
                },
                {
                    eval_time: `${cycle * renewalMinutes(ttlHours) + Math.floor(renewalMinutes(ttlHours) / 2)}m`,
                    alertname: "WorkloadCertificateExpiring",
                    exp_alerts: [] as Expected[],
                },
            ]),
        },
        {
            name: `WorkloadCertificateExpiring (${ttlHours} h): fires 5 minutes after a proxy whose renewal fails falls below ${threshold / 3600} h`,
            interval: "1m",
            // renewal broken from the start: counts down towards expiry
            input_series: [
                {
                    series: `istio_agent_cert_expiry_seconds{${proxy("stuck-0")}}`,
                    values: countdown(ttlHours * 3600, failingRenewalMinutes),
                },
            ],
            alert_rule_test: [
                { eval_time: `${failingRenewalMinutes - 10}m`, alertname: "WorkloadCertificateExpiring", exp_alerts: [] },
                { eval_time: `${failingRenewalMinutes - 7}m`, alertname: "WorkloadCertificateExpiring", exp_alerts: [] },
                {
                    eval_time: `${failingRenewalMinutes}m`,
                    alertname: "WorkloadCertificateExpiring",
                    exp_alerts: [
                        {
                            exp_labels: { severity: "critical", cluster: "cluster1", namespace: "sample", pod: "stuck-0" },
                            exp_annotations: {
                                summary: "A workload certificate is close to expiry (renewal failing)",
                                description: `sample/stuck-0 in cluster1: certificate expires in ${humanize(threshold - 600)} (alert below ${threshold / 3600} h).`,
                            },
                        },
                    ],
                },
            ],
        },
        {
            name: "MeshCaCertificateExpiring: silent on a long-lived intermediate, fires 5 minutes after one drops below 12 h",
            interval: "1m",
            input_series: [
                { series: `citadel_server_cert_chain_expiry_seconds{${istiod}}`, values: countdown(13 * 3600, 90) },
                {
                    series: 'citadel_server_cert_chain_expiry_seconds{cluster="cluster2", app="istiod", namespace="istio-system", pod="istiod-2"}',
                    values: countdown(365 * 86400, 90),
                },
            ],
            alert_rule_test: [
                // 12 h left at minute 60; pending from then, firing from minute 65 (for: 5m)
                { eval_time: "59m", alertname: "MeshCaCertificateExpiring", exp_alerts: [] },
                { eval_time: "63m", alertname: "MeshCaCertificateExpiring", exp_alerts: [] },
                {
                    eval_time: "70m",
                    alertname: "MeshCaCertificateExpiring",
                    exp_alerts: [
                        {
                            exp_labels: { severity: "critical", cluster: "cluster1" },
                            exp_annotations: {
                                summary: "istiod's CA certificate chain expires within 12 h",
                                description: "cluster1: the intermediate expires in 11h 50m 0s; run pulumi up to re-issue it.",
                            },
                        },
                    ],
                },
            ],
        },
        {
            name: "PlaintextTraffic: fires on plaintext requests or TCP connections, silent on mutual TLS",
            interval: "1m",
            input_series: [
                { series: `istio_requests_total${request("mutual_tls")}`, values: "0+30x20" },
                // the client side never knows the server's policy: "unknown" from the source reporter is not plaintext
                { series: `istio_requests_total${request("unknown", "source")}`, values: "0+30x20" },
                { series: `istio_requests_total${request("none")}`, values: "0x10 0+5x10" },
                { series: `istio_tcp_connections_opened_total${request("none").replace("curl", "legacy")}`, values: "0x15 0+1x5" },
            ],
            alert_rule_test: [
                { eval_time: "9m", alertname: "PlaintextTraffic", exp_alerts: [] },
                {
                    eval_time: "13m",
                    alertname: "PlaintextTraffic",
                    exp_alerts: [
                        {
                            exp_labels: {
                                severity: "critical",
                                cluster: "cluster1",
                                source_workload: "curl",
                                destination_service: "helloworld.sample.svc.cluster.local",
                            },
                            exp_annotations: {
                                summary: "Plaintext traffic reached a workload",
                                description: "curl → helloworld.sample.svc.cluster.local in cluster1 without mutual TLS.",
                            },
                        },
                    ],
                },
            ],
        },
        {
            name: "MeshFederationDown: fires when a federate job fails for 5 minutes, silent while it succeeds",
            interval: "1m",
            input_series: [
                { series: federateUp("cluster2"), values: "1x10 0x10" },
                { series: federateUp("cluster3"), values: "1x20" },
            ],
            alert_rule_test: [
                { eval_time: "10m", alertname: "MeshFederationDown", exp_alerts: [] },
                { eval_time: "13m", alertname: "MeshFederationDown", exp_alerts: [] },
                { eval_time: "17m", alertname: "MeshFederationDown", exp_alerts: [federationDown("cluster2")] },
            ],
        },
        {
            name: "MeshFederationDown: fires for a federate job with no series at all, though the other job still has its own",
            interval: "1m",
            input_series: [{ series: federateUp("cluster3"), values: "1x10" }],
            alert_rule_test: [
                { eval_time: "4m", alertname: "MeshFederationDown", exp_alerts: [] },
                { eval_time: "6m", alertname: "MeshFederationDown", exp_alerts: [federationDown("cluster2")] },
            ],
        },
    ];
}

/** promtool's unit-test file for the rule file `rules`. */
function testFile(rules: string, ttlHours: number, only = ""): string {
    return stringify(
        { rule_files: [rules], evaluation_interval: "1m", tests: cases(ttlHours).filter((c) => c.name.startsWith(only)) },
        { lineWidth: 0 },
    );
}

describe("alert rules under promtool", () => {
    ptest("promtool check rules accepts the rendered rule file (every TTL the config allows: 1, 12, 24 h)", () => {
        for (const ttl of [1, 12, 24]) {
            const d = filesDir({ "alerts.yml": ruleFile(ttl) });
            try {
                const r = promtool(["check", "rules", "alerts.yml"], d.dir);
                expect([ttl, r.status, r.output]).toEqual([ttl, 0, expect.stringContaining("SUCCESS: 5 rules found")]);
            } finally {
                d.remove();
            }
        }
    });

    ptest("promtool test rules: each alert fires on its series and stays silent on a healthy mesh (24 h and 12 h certificates)", () => {
        // one promtool run, one rule file and one test file per TTL
        const d = filesDir({
            "alerts-24.yml": ruleFile(24),
            "alerts-24.test.yml": testFile("alerts-24.yml", 24),
            "alerts-12.yml": ruleFile(12),
            "alerts-12.test.yml": testFile("alerts-12.yml", 12),
        });
        try {
            const r = promtool(["test", "rules", "alerts-24.test.yml", "alerts-12.test.yml"], d.dir);
            expect([r.status, r.output]).toEqual([0, expect.stringMatching(/^\s*SUCCESS\s+SUCCESS\s*$/)]);
        } finally {
            d.remove();
        }
    });

    ptest(
        "the healthy cases have teeth: a fixed 12 h workload threshold fires on a healthy 24 h proxy (renewal jitter), and the test run says so",
        () => {
            const mutated = ruleFile(24).replace(`< ${workloadCertAlertSeconds(24)}`, `< ${12 * 3600}`);
            expect(mutated).not.toBe(ruleFile(24));
            const d = filesDir({ "alerts.yml": mutated, "alerts.test.yml": testFile("alerts.yml", 24, "WorkloadCertificateExpiring") });
            try {
                const r = promtool(["test", "rules", "alerts.test.yml"], d.dir);
                expect(r.status).not.toBe(0);
                expect(r.output).toMatch(/alertname: WorkloadCertificateExpiring[\s\S]*healthy-0/);
            } finally {
                d.remove();
            }
        },
    );
});

describe("the dashboard checker (Prometheus's parser, federation's match sets)", () => {
    ptest("flags what federation would not carry and what does not parse; passes what it carries", () => {
        const verdicts = dashboardVerdicts(
            [
                { where: "a", expr: 'sum(rate(istio_requests_total{reporter="destination", cluster=~"$cluster"}[$__rate_interval]))' },
                { where: "b", expr: "sum(pilot_xds_pushes) by (type)" },
                { where: "c", expr: 'go_goroutines{app="istiod"} + on() group_left sum(node_cpu_seconds_total)' },
                { where: "d", expr: "sum(rate(istio_requests_total[5m]" },
            ],
            [...federationMatch],
        );
        expect(verdicts.map((v) => [v.where, v.parseError !== undefined, v.notCarried])).toEqual([
            ["a", false, []],
            ["b", false, []],
            ["c", false, ["node_cpu_seconds_total"]],
            ["d", true, []],
        ]);
    });

    test("Grafana's variables become what Grafana sends: intervals a duration, the rest a value", () => {
        expect(substituteVariables('rate(x{c=~"$cluster", s="${service}", w=~"[[workload]]"}[$__rate_interval]) [${__interval}]')).toBe(
            'rate(x{c=~".*", s=".*", w=~".*"}[5m]) [5m]',
        );
    });
});
