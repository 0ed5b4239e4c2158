/**
 * The project's Grafana dashboards as typed objects, rendered to Grafana's dashboard JSON model (schemaVersion 39,
 * read by Grafana 11 and 12). Every query names metrics from `istioMetrics` only and the one provisioned Prometheus
 * datasource, so tests can check both. Pure.
 */
import { alertThresholds } from "./alerts";
import { clusterLabel, istioMetrics } from "./metrics";
import { DashboardSpec, GrafanaDashboard, VariableSpec, renderDashboard } from "./dashboardModel";

/** The provisioned datasource (the mesh-wide Prometheus); every panel and variable uses it by uid. */
const m = istioMetrics;
const inCluster = `${clusterLabel}=~"$cluster"`;
/** Server-side reports only: each request is counted once, by the proxy that knows whether mTLS was used. */
const dest = `reporter="destination", ${inCluster}`;
const clusterVariable = (series: string): VariableSpec => ({ name: "cluster", label: "Cluster", series, valuesOf: clusterLabel });

export interface DashboardInput {
    readonly workloadCertTtlHours: number;
}

/** ZTA · mTLS: who talks to whom with and without mutual TLS, per source and destination cluster. */
function mtlsDashboard(): DashboardSpec {
    const byPair = "source_cluster, destination_cluster, connection_security_policy";
    return {
        uid: "zta-mtls",
        title: "ZTA · mTLS vs plaintext",
        description:
            "Requests and TCP connections by connection_security_policy (server-side reports), per source and destination cluster.",
        variables: [clusterVariable(`${m.requests}{reporter="destination"}`)],
        panels: [
            {
                title: "Requests over mutual TLS",
                description: "Share of requests the receiving proxy saw arrive over mutual TLS (5 min).",
                kind: "stat",
                unit: "percentunit",
                width: 8,
                height: 5,
                threshold: { value: 1, direction: "below" },
                queries: [
                    {
                        expr: `sum(rate(${m.requests}{${dest}, connection_security_policy="mutual_tls"}[5m])) / sum(rate(${m.requests}{${dest}}[5m]))`,
                    },
                ],
            },
            {
                title: "Plaintext requests",
                description: "Requests per second that reached a proxy without mutual TLS; anything above zero breaks zero trust.",
                kind: "stat",
                unit: "reqps",
                width: 8,
                height: 5,
                threshold: { value: 1e-9, direction: "above" },
                queries: [{ expr: `sum(rate(${m.requests}{${dest}, connection_security_policy="none"}[5m])) or vector(0)` }],
            },
            {
                title: "Plaintext TCP connections",
                description: "TCP connections per second opened to a proxy without mutual TLS.",
                kind: "stat",
                unit: "cps",
                width: 8,
                height: 5,
                threshold: { value: 1e-9, direction: "above" },
                queries: [{ expr: `sum(rate(${m.tcpOpened}{${dest}, connection_security_policy="none"}[5m])) or vector(0)` }],
            },
            {
                title: "Requests by security policy, source → destination cluster",
                description: "HTTP/gRPC requests per second, by who sent them (source_cluster), who served them and whether mTLS was used.",
                kind: "timeseries",
                unit: "reqps",
                width: 12,
                height: 9,
                queries: [
                    {
                        expr: `sum by (${byPair}) (rate(${m.requests}{${dest}}[5m]))`,
                        legend: "{{source_cluster}} → {{destination_cluster}} ({{connection_security_policy}})",
                    },
                ],
            },
            {
                title: "TCP connections by security policy, source → destination cluster",
                description: "TCP connections opened per second, by source and destination cluster and whether mTLS was used.",
                kind: "timeseries",
                unit: "cps",
                width: 12,
                height: 9,
                queries: [
                    {
                        expr: `sum by (${byPair}) (rate(${m.tcpOpened}{${dest}}[5m]))`,
                        legend: "{{source_cluster}} → {{destination_cluster}} ({{connection_security_policy}})",
                    },
                ],
            },
            {
                title: "Plaintext callers (last hour)",
                description: "Every source that reached a workload without mutual TLS in the last hour.",
                kind: "table",
                unit: "short",
                width: 24,
                height: 8,
                queries: [
                    {
                        expr: `sum by (${clusterLabel}, source_workload, source_workload_namespace, destination_service) (increase(${m.requests}{${dest}, connection_security_policy="none"}[1h])) > 0 or sum by (${clusterLabel}, source_workload, source_workload_namespace, destination_service) (increase(${m.tcpOpened}{${dest}, connection_security_policy="none"}[1h])) > 0`,
                        instant: true,
                    },
                ],
            },
            {
                title: "Configuration rejected by proxies",
                description: "xDS responses proxies rejected (5 min), by cluster and type: those proxies run stale configuration.",
                kind: "timeseries",
                unit: "short",
                width: 24,
                height: 7,
                queries: [
                    {
                        expr: `sum by (${clusterLabel}, type) (increase(${m.xdsRejects}{${inCluster}}[5m]))`,
                        legend: "{{cluster}} {{type}}",
                    },
                ],
            },
        ],
    };
}

/** ZTA · Certificates: hours left on every workload certificate and on each cluster's CA chain. */
function certificatesDashboard(input: DashboardInput): DashboardSpec {
    const alertHours = alertThresholds(input.workloadCertTtlHours).workloadCertSeconds / 3600;
    const caHours = alertThresholds(input.workloadCertTtlHours).caCertSeconds / 3600;
    return {
        uid: "zta-certificates",
        title: "ZTA · Certificates",
        description: `Workload (SPIFFE) certificate hours to expiry, from each proxy's agent; red below ${alertHours} h (the alert threshold).`,
        variables: [clusterVariable(m.workloadCertExpirySeconds)],
        panels: [
            {
                title: "Soonest workload certificate expiry",
                description: "The smallest hours-to-expiry of any proxy's workload certificate.",
                kind: "stat",
                unit: "h",
                width: 8,
                height: 5,
                threshold: { value: alertHours, direction: "below" },
                queries: [{ expr: `min(${m.workloadCertExpirySeconds}{${inCluster}}) / 3600` }],
            },
            {
                title: "CA intermediate hours to expiry",
                description: "istiod's signing chain (this cluster's intermediate) per cluster.",
                kind: "stat",
                unit: "h",
                width: 8,
                height: 5,
                threshold: { value: caHours, direction: "below" },
                queries: [{ expr: `min by (${clusterLabel}) (${m.caCertChainExpirySeconds}{${inCluster}}) / 3600`, legend: "{{cluster}}" }],
            },
            {
                title: "Root certificate days to expiry",
                description: "The shared mesh root, as each istiod sees it.",
                kind: "stat",
                unit: "d",
                width: 8,
                height: 5,
                queries: [{ expr: `min by (${clusterLabel}) (${m.caRootExpirySeconds}{${inCluster}}) / 86400`, legend: "{{cluster}}" }],
            },
            {
                title: "Workload certificate hours to expiry",
                description:
                    "Per proxy: rises at each rotation (about half the lifetime); a line that keeps falling is a proxy whose renewal fails.",
                kind: "timeseries",
                unit: "h",
                width: 24,
                height: 10,
                threshold: { value: alertHours, direction: "below" },
                queries: [
                    {
                        expr: `min by (${clusterLabel}, namespace, pod) (${m.workloadCertExpirySeconds}{${inCluster}}) / 3600`,
                        legend: "{{cluster}} {{namespace}}/{{pod}}",
                    },
                ],
            },
            {
                title: "Workload certificates now",
                description: "Hours to expiry of each proxy's certificate, soonest first.",
                kind: "table",
                unit: "h",
                width: 24,
                height: 8,
                threshold: { value: alertHours, direction: "below" },
                queries: [
                    {
                        expr: `min by (${clusterLabel}, namespace, pod) (${m.workloadCertExpirySeconds}{${inCluster}}) / 3600`,
                        instant: true,
                    },
                ],
            },
        ],
    };
}

/** ZTA · Services: rate, latency and success per service, with a cluster selector. */
function servicesDashboard(): DashboardSpec {
    const sel = `${dest}, destination_service=~"$service"`;
    return {
        uid: "zta-services",
        title: "ZTA · Service traffic",
        description: "Request rate, success and latency per destination service (server-side reports), selectable by cluster.",
        variables: [
            clusterVariable(`${m.requests}{reporter="destination"}`),
            {
                name: "service",
                label: "Service",
                series: `${m.requests}{reporter="destination", ${inCluster}}`,
                valuesOf: "destination_service",
            },
        ],
        panels: [
            {
                title: "Request rate",
                description: "Requests per second per destination service.",
                kind: "timeseries",
                unit: "reqps",
                width: 12,
                height: 8,
                queries: [
                    {
                        expr: `sum by (${clusterLabel}, destination_service) (rate(${m.requests}{${sel}}[5m]))`,
                        legend: "{{cluster}} {{destination_service}}",
                    },
                ],
            },
            {
                title: "Success rate",
                description: "Share of requests not answered with a 5xx.",
                kind: "timeseries",
                unit: "percentunit",
                width: 12,
                height: 8,
                queries: [
                    {
                        expr: `sum by (${clusterLabel}, destination_service) (rate(${m.requests}{${sel}, response_code!~"5.."}[5m])) / sum by (${clusterLabel}, destination_service) (rate(${m.requests}{${sel}}[5m]))`,
                        legend: "{{cluster}} {{destination_service}}",
                    },
                ],
            },
            {
                title: "Latency p50 / p90 / p99",
                description: "Server-side request duration quantiles per destination service.",
                kind: "timeseries",
                unit: "ms",
                width: 12,
                height: 8,
                queries: [0.5, 0.9, 0.99].map((q) => ({
                    expr: `histogram_quantile(${q}, sum by (le, ${clusterLabel}, destination_service) (rate(${m.requestDuration}{${sel}}[5m])))`,
                    legend: `p${Math.round(q * 100)} {{cluster}} {{destination_service}}`,
                })),
            },
            {
                title: "Requests by source cluster",
                description: "Where each service's requests come from: local callers, or other networks through the east-west gateway.",
                kind: "timeseries",
                unit: "reqps",
                width: 12,
                height: 8,
                queries: [
                    {
                        expr: `sum by (source_cluster, destination_cluster, destination_service) (rate(${m.requests}{${sel}}[5m]))`,
                        legend: "{{source_cluster}} → {{destination_cluster}} {{destination_service}}",
                    },
                ],
            },
            {
                title: "Responses by code",
                description: "Response codes per service: 403 is an authorization denial, 401 a rejected token.",
                kind: "timeseries",
                unit: "reqps",
                width: 24,
                height: 8,
                queries: [
                    {
                        expr: `sum by (destination_service, response_code) (rate(${m.requests}{${sel}}[5m]))`,
                        legend: "{{destination_service}} {{response_code}}",
                    },
                ],
            },
        ],
    };
}

/** The project's dashboards, rendered. */
export function projectDashboards(input: DashboardInput): GrafanaDashboard[] {
    return [mtlsDashboard(), certificatesDashboard(input), servicesDashboard()].map(renderDashboard);
}
