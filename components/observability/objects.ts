/**
 * The Kubernetes objects of the observability layer as pure renderers: Prometheus in every cluster, and in the
 * first (the "mesh" cluster) Prometheus also federating the others, Grafana and Kiali. Plain manifests, not charts:
 * they deploy unchanged on the sim (no chart repository offline) and every field is reviewed here.
 *
 * Everything runs in namespace `observability`, injected (sidecars), Pod Security `restricted`:
 * - Prometheus scrapes Istio's plaintext metrics ports (15014 istiod, 15020 merged) around its
 *   sidecar (excludeOutboundPorts), as istio.io's Prometheus integration does. The API server is reached THROUGH the
 *   sidecar: the `kubernetes` Service is in the mesh's registry, and Envoy dials its endpoint, which is what the
 *   NetworkPolicy admits (a bypassed port would be a hole for every address on it).
 * - Federation is a plain HTTP request to `prometheus-<cluster>.observability.svc.cluster.local:9090`: the federator's
 *   sidecar carries it over mTLS through the remote network's east-west gateway; the remote Prometheus admits only
 *   the federator's identity on GET /federate (objects in policy.ts). Never plaintext across networks.
 * - Grafana and Kiali query the mesh Prometheus over mTLS as their own identities. Their UIs are reached with
 *   `kubectl port-forward` (Kubernetes RBAC, then the UI's own login); nothing in or outside the mesh may call them.
 */
import { stringify } from "yaml";
import type * as k8s from "@pulumi/kubernetes";

import { psaLabels } from "../core/podSecurity";
import { istioNamespace } from "../core/istio";

import { hardenedContainer, restrictedPod } from "../core/securityContext";
import { AlertInput, alertRules } from "./alerts";
import { FederationTarget, prometheusConfig } from "./prometheus";
import { sha256Hex, rolloutKey } from "../core/rollout";
import { ownedNamespaces } from "../core/namespaces";

export const observabilityNamespace = ownedNamespaces.observability;
export const ports = { prometheus: 9090, grafana: 3000, kiali: 20001, kialiMetrics: 9090 } as const;
/** Label on each Prometheus pod naming its cluster: the per-cluster Service selects by it. */
export const clusterPodLabel = "zta.observability/cluster";
export const prometheusLabels = { app: "prometheus" } as const;
export const grafanaLabels = { app: "grafana" } as const;
export const kialiLabels = { app: "kiali" } as const;
export const serviceAccounts = {
    prometheus: "prometheus",
    /** The mesh-wide Prometheus's identity: the only one other clusters' Prometheus answer /federate to. */
    federator: "prometheus-federator",
    grafana: "grafana",
    kiali: "kiali",
} as const;
export const kialiWebRoot = "/kiali";
export const kialiClientId = "kiali";
/** The realm role a user needs to sign in to Kiali (Keycloak refuses the rest: identity/realm.ts signInFlows). */
export const kialiSignInRole = "kiali-viewer";

/** The per-cluster Prometheus Service; in the mesh cluster also as a stub (no local endpoints) for DNS. */
export const prometheusServiceName = (cluster: string): string => `prometheus-${cluster}`;
export const prometheusHost = (cluster: string): string => `${prometheusServiceName(cluster)}.${observabilityNamespace}.svc.cluster.local`;
export const prometheusUrl = (cluster: string): string => `http://${prometheusHost(cluster)}:${ports.prometheus}`;

type Meta = { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
export const meta = (name: string, labels?: Record<string, string>): Meta => ({
    name,
    namespace: observabilityNamespace,
    ...(labels ? { labels } : {}),
});

export function observabilityNamespaceObject() {
    return {
        metadata: { name: observabilityNamespace, labels: { "istio-injection": "enabled", ...psaLabels("restricted") } },
    } satisfies k8s.types.input.core.v1.Namespace;
}

/** Pod-level security for every pod here (the injected containers inherit seccomp). */
export const podSecurity = (uid: number) => restrictedPod({ uid, gid: uid, fsGroup: uid });

/**
 * Outbound traffic that bypasses the sidecar: ports (Istio's plaintext metrics ports, Keycloak) and, when given, single
 * addresses (`excludeOutboundIPRanges`: remote API servers outside the mesh's registry, by address). The sidecar's
 * redirect sees the address a pod dials, before any Service translation: a ClusterIP, never its endpoints.
 */
export function sidecarBypassAnnotation(ports: readonly number[], addresses: readonly string[] = []): Record<string, string> {
    const unique = [...new Set(ports)].sort((a, b) => a - b);
    const blocks = [...new Set(addresses)].sort();
    return {
        "traffic.sidecar.istio.io/excludeOutboundPorts": unique.join(","),
        ...(blocks.length > 0 ? { "traffic.sidecar.istio.io/excludeOutboundIPRanges": blocks.join(",") } : {}),
    };
}

export const readRules = ["get", "list", "watch"];

// ---------------------------------------------------------------- Prometheus

export interface PrometheusInput {
    readonly cluster: string;
    readonly image: string;
    readonly retention: string;
    /** The mesh cluster's Prometheus federates these; empty elsewhere. */
    readonly federate: readonly FederationTarget[];
    /** Alert rules: the mesh-wide Prometheus only (it sees every cluster). */
    readonly alerts?: Omit<AlertInput, "federated">;
    readonly pullSecret?: string;
}

export const prometheusRuleFile = "/etc/prometheus/alerts.yml";

export function prometheusObjects(input: PrometheusInput) {
    const mesh = input.alerts !== undefined;
    const config = prometheusConfig({
        cluster: input.cluster,
        istioNamespace,
        ruleFiles: mesh ? [prometheusRuleFile] : [],
        federate: input.federate,
    });
    const data: Record<string, string> = { "prometheus.yml": stringify(config) };
    if (input.alerts) {
        data["alerts.yml"] = stringify({
            groups: alertRules({ ...input.alerts, federated: input.federate.map((f) => f.cluster) }),
        });
    }
    const sa = mesh ? serviceAccounts.federator : serviceAccounts.prometheus;
    const labels = { ...prometheusLabels, [clusterPodLabel]: input.cluster };
    const configHash = sha256Hex(JSON.stringify(data));
    return {
        serviceAccount: { metadata: meta(sa) } satisfies k8s.types.input.core.v1.ServiceAccount,
        clusterRole: {
            metadata: { name: "zta-observability-prometheus" },
            rules: [
                { apiGroups: [""], resources: ["pods", "endpoints", "services"], verbs: readRules },
                { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: readRules },
            ],
        } satisfies k8s.types.input.rbac.v1.ClusterRole,
        clusterRoleBinding: {
            metadata: { name: "zta-observability-prometheus" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "zta-observability-prometheus" },
            subjects: [{ kind: "ServiceAccount", name: sa, namespace: observabilityNamespace }],
        } satisfies k8s.types.input.rbac.v1.ClusterRoleBinding,
        configMap: { metadata: meta("prometheus-config"), data } satisfies k8s.types.input.core.v1.ConfigMap,
        service: prometheusService(input.cluster),
        deployment: {
            metadata: meta("prometheus", labels),
            spec: {
                replicas: 1,
                // One TSDB writer at a time.
                strategy: { type: "Recreate" },
                selector: { matchLabels: labels },
                template: {
                    metadata: {
                        labels,
                        annotations: {
                            // The metrics ports only: the API server goes through the sidecar (see the top of this file).
                            ...sidecarBypassAnnotation([15014, 15020]),
                            // No lifecycle API (it would let any caller shut Prometheus down): a new config rolls the pod.
                            [rolloutKey("config")]: configHash,
                        },
                    },
                    spec: {
                        serviceAccountName: sa,
                        // Kubernetes service discovery (policypack TOKEN_MOUNT_SERVICE_ACCOUNTS).
                        automountServiceAccountToken: true,
                        enableServiceLinks: false,
                        securityContext: podSecurity(65534),
                        ...(input.pullSecret ? { imagePullSecrets: [{ name: input.pullSecret }] } : {}),
                        containers: [
                            {
                                name: "prometheus",
                                image: input.image,
                                imagePullPolicy: "IfNotPresent",
                                args: [
                                    "--config.file=/etc/prometheus/prometheus.yml",
                                    "--storage.tsdb.path=/prometheus",
                                    `--storage.tsdb.retention.time=${input.retention}`,
                                    `--web.listen-address=:${ports.prometheus}`,
                                ],
                                ports: [{ name: "http-web", containerPort: ports.prometheus, protocol: "TCP" }],
                                readinessProbe: {
                                    httpGet: { path: "/-/ready", port: ports.prometheus },
                                    periodSeconds: 10,
                                    failureThreshold: 6,
                                },
                                livenessProbe: {
                                    httpGet: { path: "/-/healthy", port: ports.prometheus },
                                    periodSeconds: 20,
                                    failureThreshold: 6,
                                },
                                resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
                                securityContext: hardenedContainer(65534, 65534),
                                volumeMounts: [
                                    { name: "config", mountPath: "/etc/prometheus", readOnly: true },
                                    { name: "data", mountPath: "/prometheus" },
                                ],
                            },
                        ],
                        volumes: [
                            { name: "config", configMap: { name: "prometheus-config" } },
                            // Ephemeral by design: the testbed is rebuilt per experiment; a restart loses history.
                            { name: "data", emptyDir: { sizeLimit: "8Gi" } },
                        ],
                    },
                },
            },
        } satisfies k8s.types.input.apps.v1.Deployment,
    };
}

/**
 * `prometheus-<cluster>`: the same object in that cluster and (as a stub that selects no local pod) in the mesh
 * cluster, which must resolve the name; Istio merges the endpoints of both, so the name leads only to that cluster's
 * Prometheus. Port name `http-` makes Istio treat it as HTTP (path-level authorization).
 */
export function prometheusService(cluster: string) {
    return {
        metadata: meta(prometheusServiceName(cluster), { ...prometheusLabels }),
        spec: {
            selector: { ...prometheusLabels, [clusterPodLabel]: cluster },
            ports: [{ name: "http-web", port: ports.prometheus, targetPort: ports.prometheus, protocol: "TCP" }],
        },
    } satisfies k8s.types.input.core.v1.Service;
}

// ---------------------------------------------------------------- Grafana
