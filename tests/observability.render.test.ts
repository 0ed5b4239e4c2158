/**
 * Observability renderers (issue 6, first part: not wired yet): every metric a rule uses is one Istio emits, the
 * thresholds follow the certificate lifetime, and the scrape jobs are the ones Istio documents.
 */
import { alertRules, workloadCertAlertSeconds } from "../components/observability/alerts";
import { connectionSecurityPolicies, istioMetrics } from "../components/observability/metrics";
import { prometheusConfig } from "../components/observability/prometheus";

const emitted = new Set<string>(Object.values(istioMetrics));
/** Metric names in a PromQL expression: identifiers outside `by (...)` groupings, followed by `{`, `[` or `)`. */
function metricsIn(expr: string): string[] {
    const withoutGroupings = expr.replace(/\bby \([^)]*\)/g, "");
    return [...withoutGroupings.matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=[{[)])/g)].map((m) => m[1]).filter((n) => n.includes("_"));
}

describe("alert rules", () => {
    const groups = alertRules({ workloadCertTtlHours: 24 });
    const rules = groups.flatMap((g) => g.rules);

    test("the three the issue names, and nothing else: xDS rejects, certificates close to expiry, plaintext", () => {
        expect(rules.map((r) => r.alert)).toEqual([
            "IstioXdsRejected",
            "WorkloadCertificateExpiring",
            "MeshCaCertificateExpiring",
            "PlaintextTraffic",
        ]);
    });

    test("every metric an expression reads is one Istio emits (a typo would silently never fire)", () => {
        for (const r of rules) {
            const used = metricsIn(r.expr);
            expect([r.alert, used.length > 0]).toEqual([r.alert, true]);
            for (const metric of used) {
                expect([r.alert, metric, emitted.has(metric)]).toEqual([r.alert, metric, true]);
            }
        }
    });

    test("each alert keeps the cluster label (federated series of every cluster stay apart)", () => {
        for (const r of rules) {
            expect(r.expr).toMatch(/by \(cluster[,)]/);
        }
    });

    test("plaintext: the server side's view, connection_security_policy none, for HTTP and TCP", () => {
        const plaintext = rules.find((r) => r.alert === "PlaintextTraffic")!;
        expect(connectionSecurityPolicies).toContain("none");
        expect(plaintext.expr).toContain('istio_requests_total{reporter="destination", connection_security_policy="none"}');
        expect(plaintext.expr).toContain('istio_tcp_connections_opened_total{reporter="destination", connection_security_policy="none"}');
    });

    test.each([
        [24, 6 * 3600],
        [12, 3 * 3600],
        [1, 900],
    ])("workload certificates of %i h alert below %i s (a quarter of the lifetime, at most 12 h: renewal is at half)", (ttl, seconds) => {
        expect(workloadCertAlertSeconds(ttl)).toBe(seconds);
        const rule = alertRules({ workloadCertTtlHours: ttl })[0].rules.find((r) => r.alert === "WorkloadCertificateExpiring")!;
        expect(rule.expr).toBe(`min by (cluster, namespace, pod) (istio_agent_cert_expiry_seconds) < ${seconds}`);
    });

    test("a lifetime outside 1-24 h is refused naming the field", () => {
        expect(() => workloadCertAlertSeconds(25)).toThrow(/^workloadCertTtlHours: expected an integer from 1 to 24, got 25$/);
    });
});

describe("prometheus config", () => {
    const config = prometheusConfig({ cluster: "cluster2", istioNamespace: "istio-system", ruleFiles: ["/etc/prometheus/rules/zta.yaml"] });

    test("the cluster is an external label (federation keeps it)", () => {
        expect(config.global.external_labels).toEqual({ cluster: "cluster2" });
    });

    test("Istio's jobs: istiod on http-monitoring, Envoy on *-envoy-prom at /stats/prometheus, merged metrics by annotation", () => {
        expect(config.scrape_configs.map((j) => j.job_name)).toEqual(["istiod", "envoy-stats", "kubernetes-pods"]);
        const [istiod, envoy, pods] = config.scrape_configs;
        expect(istiod.kubernetes_sd_configs).toEqual([{ role: "endpoints", namespaces: { names: ["istio-system"] } }]);
        expect(istiod.relabel_configs[0]).toEqual({
            source_labels: ["__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"],
            action: "keep",
            regex: "istiod;http-monitoring",
        });
        expect(envoy.metrics_path).toBe("/stats/prometheus");
        expect(envoy.relabel_configs[0]).toEqual({
            source_labels: ["__meta_kubernetes_pod_container_port_name"],
            action: "keep",
            regex: ".*-envoy-prom",
        });
        expect(pods.relabel_configs[0]).toEqual({
            source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
            action: "keep",
            regex: "true",
        });
        // The address is the pod IP with the annotated port (15020).
        const address = pods.relabel_configs.find((r) => r.target_label === "__address__")!;
        expect(new RegExp(`^${address.regex}$`).test("15020;10.244.1.7")).toBe(true);
        expect("15020;10.244.1.7".replace(new RegExp(address.regex!), address.replacement!)).toBe("10.244.1.7:15020");
    });

    test("pod targets carry namespace and pod (the alerts group by them); finished pods are dropped", () => {
        for (const job of config.scrape_configs.slice(1)) {
            expect(job.relabel_configs.map((r) => r.target_label)).toEqual(expect.arrayContaining(["namespace", "pod"]));
        }
        expect(config.scrape_configs[2].relabel_configs.at(-1)).toEqual({
            source_labels: ["__meta_kubernetes_pod_phase"],
            action: "drop",
            regex: "Pending|Succeeded|Failed|Completed",
        });
    });

    test("a cluster name that is not a DNS label is refused", () => {
        expect(() => prometheusConfig({ cluster: "Cluster_1", istioNamespace: "istio-system", ruleFiles: [] })).toThrow(/^cluster: /);
    });
});
