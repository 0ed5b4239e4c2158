/**
 * Pure pieces of endpoint discovery, as istioctl's `create-remote-secret` builds them (1.24-1.27):
 * a reader token Secret in the source cluster and `istio-remote-secret-<cluster>` in every other one.
 */
import { stringify } from "yaml";

import { istioNamespace } from "../core/istio";

/**
 * The identity other clusters' istiod use to read this one. Not Istio's `istio-reader-service-account`: its
 * ClusterRole can read every Secret of the cluster (cacerts' intermediate key included). Ours reads what
 * endpoint discovery needs and nothing else.
 */
export const readerServiceAccount = "zta-remote-reader";
export const readerTokenSecretName = `${readerServiceAccount}-token`;

const read = ["get", "list", "watch"];

/**
 * Least-privilege rules for a remote istiod: Istio's reader ClusterRole minus Secrets, ConfigMaps, the
 * serviceexport writes and the review APIs. Cost: istiod reports the remote cluster's sync as timed out after
 * PILOT_REMOTE_CLUSTER_TIMEOUT (its credentials informer is forbidden) while endpoint discovery proceeds
 * (istio pkg/kube/multicluster/cluster.go, istio#59845); remote clusters' TLS Secrets are not served across
 * clusters, which a multi-primary mesh does not need (each istiod serves its own gateways).
 */
export function readerClusterRoleRules(): { apiGroups: string[]; resources: string[]; verbs: string[] }[] {
    return [
        { apiGroups: [""], resources: ["endpoints", "pods", "services", "nodes", "namespaces", "replicationcontrollers"], verbs: read },
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
