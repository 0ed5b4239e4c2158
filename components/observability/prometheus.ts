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
    readonly kubernetes_sd_configs: readonly {
        readonly role: "pod" | "endpoints";
        readonly namespaces?: { readonly names: readonly string[] };
    }[];
    readonly relabel_configs: readonly RelabelConfig[];
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

export interface PrometheusInput {
    /** Istio cluster ID: the `cluster` external label. */
    readonly cluster: string;
    /** istiod's namespace. */
    readonly istioNamespace: string;
    /** Where the rule files are mounted. */
    readonly ruleFiles: readonly string[];
}

const podMeta = "__meta_kubernetes_pod";
const annotation = (name: string) => `${podMeta}_annotation_prometheus_io_${name}`;

/** Pod targets keep their namespace and pod name (the dashboards and alerts group by them). */
const podLabels: RelabelConfig[] = [
    { source_labels: [`${podMeta}_namespace`], action: "replace", target_label: "namespace" },
    { source_labels: [`${podMeta}_name`], action: "replace", target_label: "pod" },
];

export function prometheusConfig(input: PrometheusInput): PrometheusConfig {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(input.cluster)) {
        throw new Error(`cluster: expected a DNS label, got "${input.cluster}"`);
    }
    return {
        global: { scrape_interval: "15s", evaluation_interval: "30s", external_labels: { [clusterLabel]: input.cluster } },
        rule_files: [...input.ruleFiles],
        scrape_configs: [
            {
                // istiod's own metrics (xDS pushes and rejects, CA certificate expiry) on its http-monitoring port 15014.
                job_name: "istiod",
                kubernetes_sd_configs: [{ role: "endpoints", namespaces: { names: [input.istioNamespace] } }],
                relabel_configs: [
                    {
                        source_labels: ["__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"],
                        action: "keep",
                        regex: "istiod;http-monitoring",
                    },
                ],
            },
            {
                // Envoy's own statistics on 15090 (container port named http-envoy-prom), sidecars and gateways.
                job_name: "envoy-stats",
                metrics_path: "/stats/prometheus",
                kubernetes_sd_configs: [{ role: "pod" }],
                relabel_configs: [
                    { source_labels: [`${podMeta}_container_port_name`], action: "keep", regex: ".*-envoy-prom" },
                    ...podLabels,
                ],
            },
            {
                // Merged app + agent metrics (istio_agent_cert_expiry_seconds among them) where the injector annotated
                // prometheus.io/scrape, path /stats/prometheus, port 15020.
                job_name: "kubernetes-pods",
                honor_labels: true,
                kubernetes_sd_configs: [{ role: "pod" }],
                relabel_configs: [
                    { source_labels: [annotation("scrape")], action: "keep", regex: "true" },
                    { source_labels: [annotation("path")], action: "replace", regex: "(.+)", target_label: "__metrics_path__" },
                    {
                        source_labels: [annotation("port"), `${podMeta}_ip`],
                        action: "replace",
                        regex: "(\\d+);((([0-9]+?)(\\.|$)){4})",
                        replacement: "$2:$1",
                        target_label: "__address__",
                    },
                    ...podLabels,
                    { source_labels: [`${podMeta}_phase`], action: "drop", regex: "Pending|Succeeded|Failed|Completed" },
                ],
            },
        ],
    };
}
