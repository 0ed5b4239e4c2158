/**
 * Pure pieces of endpoint discovery, as istioctl's `create-remote-secret` builds them (1.24-1.27):
 * a reader token Secret in the source cluster and `istio-remote-secret-<cluster>` in every other one.
 */
import { stringify } from "yaml";

import { istioNamespace } from "../core/istio";

/**
 * The identity other clusters' istiod use to read this one. Not Istio's `istio-reader-service-account`: its
 * ClusterRole also reads every ConfigMap and gets every Secret and can write ServiceExports and review tokens.
 * Ours reads what a remote istiod's initial sync lists and nothing else (README, security model).
 */
export const readerServiceAccount = "zta-remote-reader";
export const readerTokenSecretName = `${readerServiceAccount}-token`;

const read = ["get", "list", "watch"];

/**
 * What a remote istiod (1.30) lists and watches in this cluster, measured against a real istiod in the sim
 * (tests/sim, control-plane checks): service discovery (services, endpoint slices, pods, nodes, namespaces, …), Istio's
 * config kinds, and the credentials controller's Secret informer. That informer lists Secrets cluster-wide (its only
 * narrowing is a field selector on the type, which RBAC cannot express); without it the remote cluster never finishes
 * its initial sync, and istiod 1.30 stops serving a cluster whose sync timed out (PILOT_REMOTE_CLUSTER_TIMEOUT) —
 * no cross-network endpoints at all. So Secrets are `list`/`watch` here (no `get`), the price of joining the mesh.
 */
export function readerClusterRoleRules(): { apiGroups: string[]; resources: string[]; verbs: string[] }[] {
    return [
        { apiGroups: [""], resources: ["endpoints", "pods", "services", "nodes", "namespaces", "replicationcontrollers"], verbs: read },
        { apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: read },
        { apiGroups: ["apps"], resources: ["replicasets"], verbs: read },
        {
            apiGroups: ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"],
            resources: ["*"],
            verbs: read,
        },
        { apiGroups: ["gateway.networking.k8s.io"], resources: ["gateways"], verbs: read },
        { apiGroups: ["multicluster.x-k8s.io"], resources: ["serviceexports", "serviceimports"], verbs: read },
        { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: read },
    ];
}

/** The mesh config ConfigMap (`istio` in istio-system), which a remote istiod watches by name: one object, not all ConfigMaps. */
export function readerMeshConfigRules(): { apiGroups: string[]; resources: string[]; resourceNames: string[]; verbs: string[] }[] {
    return [{ apiGroups: [""], resources: ["configmaps"], resourceNames: ["istio"], verbs: read }];
}
export const multiClusterLabel = "istio/multiCluster";
export const clusterAnnotation = "networking.istio.io/cluster";

export function remoteSecretName(cluster: string): string {
    return `istio-remote-secret-${cluster}`;
}

/** The long-lived service-account token Secret Kubernetes >= 1.24 no longer creates by itself. */
export function readerTokenSecretSpec(): { metadata: Record<string, unknown>; type: string } {
    return {
        metadata: {
            name: readerTokenSecretName,
            namespace: istioNamespace,
            annotations: { "kubernetes.io/service-account.name": readerServiceAccount },
        },
        type: "kubernetes.io/service-account-token",
    };
}

export interface ReaderKubeconfigInput {
    /** Cluster ID: names the kubeconfig's cluster, context and user. */
    readonly cluster: string;
    /** API server URL reachable from the other clusters. */
    readonly server: string;
    /** The token Secret's `ca.crt`, still base64 as Secret data holds it. */
    readonly caDataBase64: string;
    /** The token, decoded. */
    readonly token: string;
}

/** The kubeconfig istiod in another cluster uses to watch this one. */
export function renderReaderKubeconfig(v: ReaderKubeconfigInput): string {
    if (!v.token) {
        // An empty token gives a remote secret that silently fails to authenticate (istio#38246).
        throw new Error(`reader token for cluster ${v.cluster} is empty`);
    }
    if (!v.caDataBase64) {
        throw new Error(`reader token Secret for cluster ${v.cluster} has no ca.crt`);
    }
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: v.cluster, cluster: { "certificate-authority-data": v.caDataBase64, server: v.server } }],
        contexts: [{ name: v.cluster, context: { cluster: v.cluster, user: v.cluster } }],
        "current-context": v.cluster,
        preferences: {},
        users: [{ name: v.cluster, user: { token: v.token } }],
    });
}

/** Metadata of the remote secret for `cluster`: istiod finds it by label; the data key is the cluster ID. */
export function remoteSecretMetadata(cluster: string): {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
} {
    return {
        name: remoteSecretName(cluster),
        namespace: istioNamespace,
        labels: { [multiClusterLabel]: "true" },
        annotations: { [clusterAnnotation]: cluster },
    };
}
