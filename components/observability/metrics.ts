/**
 * The Istio metrics the observability layer relies on, by the names Prometheus sees, with where Istio defines them
 * (checked in the istio/istio sources at tags 1.24.6 and 1.30.3; same names in both). Dashboards, alerts and
 * recording rules may only use these: a misspelt metric silently shows nothing.
 */
export const istioMetrics = {
    /** Sidecar/gateway agent: seconds until its workload certificate chain expires (security/pkg/nodeagent/cache/monitoring.go, prefixed istio_agent_). */
    workloadCertExpirySeconds: "istio_agent_cert_expiry_seconds",
    /** istiod: seconds until the CA's certificate chain (our per-cluster intermediate) expires (security/pkg/server/ca/monitoring.go). */
    caCertChainExpirySeconds: "citadel_server_cert_chain_expiry_seconds",
    /** istiod: seconds until the root expires. */
    caRootExpirySeconds: "citadel_server_root_cert_expiry_seconds",
    /** istiod: xDS responses proxies rejected, label `type` (pkg/xds/monitoring.go). */
    xdsRejects: "pilot_total_xds_rejects",
    /** Standard proxy metrics (istio.io reference "Istio Standard Metrics"; istio/proxy istio_stats.cc). */
    requests: "istio_requests_total",
    requestDuration: "istio_request_duration_milliseconds_bucket",
    tcpOpened: "istio_tcp_connections_opened_total",
} as const;

/** Values of `connection_security_policy` as the server-side proxy reports them (istio_stats.cc). */
export const connectionSecurityPolicies = ["mutual_tls", "none", "unknown"] as const;

/** Labels of the standard metrics the dashboards group by. */
export const standardLabels = [
    "reporter",
    "source_cluster",
    "destination_cluster",
    "source_workload",
    "source_workload_namespace",
    "destination_service",
    "destination_workload",
    "destination_workload_namespace",
    "response_code",
    "connection_security_policy",
] as const;

/** Label every series carries once it left its cluster: the local Prometheus's external label, kept by federation. */
export const clusterLabel = "cluster";
