/**
 * Prometheus configuration of one cluster (as an object; YAML at the edge): the scrape jobs Istio documents for a
 * self-managed Prometheus (istio.io ops/integrations/prometheus "Option 2", and the `kubernetes-pods` job of
 * samples/addons/prometheus.yaml for the merged metrics on 15020), and the cluster as an external label so series
 * keep their origin once federated. Pure.
 */
import { clusterLabel } from "./metrics";

export interface RelabelConfig {
    readonly source_labels?: readonly string[];
    readonly action?: "keep" | "drop" | "replace" | "labelmap";
    readonly regex?: string;
    readonly replacement?: string;
    readonly target_label?: string;
}

export interface ScrapeConfig {
    readonly job_name: string;
    readonly honor_labels?: boolean;
    readonly metrics_path?: string;
    readonly scrape_interval?: string;
    readonly scrape_timeout?: string;
    readonly params?: Readonly<Record<string, readonly string[]>>;
    readonly kubernetes_sd_configs?: readonly {
        readonly role: "pod" | "endpoints";
        readonly namespaces?: { readonly names: readonly string[] };
    }[];
    readonly static_configs?: readonly { readonly targets: readonly string[]; readonly labels?: Readonly<Record<string, string>> }[];
    readonly relabel_configs?: readonly RelabelConfig[];
}

export interface PrometheusConfig {
    readonly global: {
        readonly scrape_interval: string;
        readonly evaluation_interval: string;
        readonly external_labels: Readonly<Record<string, string>>;
    };
    readonly rule_files: readonly string[];
    readonly scrape_configs: readonly ScrapeConfig[];
}

/** A cluster the mesh-wide Prometheus federates: its Prometheus as the mesh names it (reached over mTLS). */
export interface FederationTarget {
    readonly cluster: string;
    /** host:port, e.g. prometheus-cluster2.observability.svc.cluster.local:9090. */
    readonly address: string;
}

export interface PrometheusInput {
    /** Istio cluster ID: the `cluster` label of every series scraped here, and the external label. */
    readonly cluster: string;
    /** istiod's namespace. */
    readonly istioNamespace: string;
    /** Where the rule files are mounted (the mesh-wide Prometheus only). */
    readonly ruleFiles: readonly string[];
    /** Other clusters to federate (the mesh-wide Prometheus); none elsewhere. */
    readonly federate: readonly FederationTarget[];
}

/**
 * What the mesh-wide Prometheus pulls from each cluster: every Istio standard/agent metric, istiod's own series
 * (pilot_*, citadel_*, galley_*, sidecar_injection_*, its Go runtime), the one Envoy statistic Istio's dashboards
 * read, and `up`. Not the rest of Envoy's statistics (large; no dashboard here needs them across clusters).
 */
export const federationMatch = [
    '{__name__=~"istio_.*"}',
    '{app="istiod"}',
    // Istio's control-plane dashboard: proxies' xDS connections.
    '{__name__="envoy_cluster_upstream_cx_active"}',
    '{__name__="up"}',
] as const;

/** Where Istio's pods serve their metrics: merged (sidecars, gateways), istiod. */
const mergedMetricsPort = 15020;
const istiodMetricsPort = 15014;

/** Scrape job name of a federated cluster. */
export const federationJobName = (cluster: string): string => `federate-${cluster}`;

const dnsLabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const podMeta = "__meta_kubernetes_pod";
const annotation = (name: string) => `${podMeta}_annotation_prometheus_io_${name}`;

/** Every series scraped here carries its cluster, locally too (external labels apply only when leaving). */
const clusterRelabel = (cluster: string): RelabelConfig => ({ action: "replace", target_label: clusterLabel, replacement: cluster });

/** Pod targets keep their namespace and pod name (the dashboards and alerts group by them). */
const podLabels: RelabelConfig[] = [
    { source_labels: ["__meta_kubernetes_namespace"], action: "replace", target_label: "namespace" },
    { source_labels: [`${podMeta}_name`], action: "replace", target_label: "pod" },
];

export function prometheusConfig(input: PrometheusInput): PrometheusConfig {
    if (!dnsLabelPattern.test(input.cluster)) {
        throw new Error(`cluster: expected a DNS label, got "${input.cluster}"`);
    }
    const seen = new Set<string>([input.cluster]);
    for (const f of input.federate) {
        if (!dnsLabelPattern.test(f.cluster) || seen.has(f.cluster)) {
            throw new Error(`federate: expected distinct DNS labels other than "${input.cluster}", got "${f.cluster}"`);
        }
        if (!/^[a-z0-9.-]+:[0-9]{1,5}$/.test(f.address)) {
            throw new Error(`federate[${f.cluster}].address: expected host:port, got "${f.address}"`);
        }
        seen.add(f.cluster);
    }
    const own = clusterRelabel(input.cluster);
    return {
        global: { scrape_interval: "15s", evaluation_interval: "30s", external_labels: { [clusterLabel]: input.cluster } },
        rule_files: [...input.ruleFiles],
        scrape_configs: [
            {
                // ONE job, as Istio's own addon: every Istio pod announces its metrics endpoint with prometheus.io
                // annotations — sidecars and gateways the merged agent + Envoy + app metrics on 15020
                // (istio_requests_total, istio_agent_cert_expiry_seconds, ...), istiod its own on 15014 (pilot_*,
                // citadel_*). A second job on Envoy's 15090 or istiod's Service would scrape the same series twice
                // and double every sum. Only those two ports: other annotated pods (a CNI agent, say) are not ours.
                job_name: "kubernetes-pods",
                // The target's labels win (Istio's addon honors the scraped ones): istiod's own metrics carry a
                // `cluster` label of their own — the REMOTE cluster in istiod_remote_cluster_sync_status — which
                // would otherwise replace this Prometheus's cluster and, once federated, file cluster 1's series
                // under cluster 2. A scraped label that collides is kept as exported_<name> (here
                // exported_cluster). Found by the sim's real scrape of the real istiod.
                honor_labels: false,
                kubernetes_sd_configs: [{ role: "pod" }],
                relabel_configs: [
                    { source_labels: [annotation("scrape")], action: "keep", regex: "true" },
                    { source_labels: [annotation("port")], action: "keep", regex: `${mergedMetricsPort}|${istiodMetricsPort}` },
                    { source_labels: [annotation("path")], action: "replace", regex: "(.+)", target_label: "__metrics_path__" },
                    {
                        source_labels: [annotation("port"), `${podMeta}_ip`],
                        action: "replace",
                        regex: "(\\d+);((([0-9]+?)(\\.|$)){4})",
                        replacement: "$2:$1",
                        target_label: "__address__",
                    },
                    // Pod labels as series labels (app="istiod", app/version of workloads), as Istio's addon does.
                    { action: "labelmap", regex: `${podMeta}_label_(.+)` },
                    ...podLabels,
                    { source_labels: [`${podMeta}_phase`], action: "drop", regex: "Pending|Succeeded|Failed|Completed" },
                    own,
                ],
            },
            // The other clusters' series, with their own `cluster` label kept (honor_labels). Plain HTTP to the
            // mesh name: the sidecar turns it into mTLS through the remote east-west gateway, and the remote
            // Prometheus's AuthorizationPolicy admits only this Prometheus's identity, GET /federate.
            ...input.federate.map((f): ScrapeConfig => ({
                job_name: federationJobName(f.cluster),
                honor_labels: true,
                metrics_path: "/federate",
                scrape_interval: "30s",
                scrape_timeout: "25s",
                params: { "match[]": [...federationMatch] },
                static_configs: [{ targets: [f.address], labels: { [clusterLabel]: f.cluster } }],
            })),
        ],
    };
}
