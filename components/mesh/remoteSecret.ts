/**
 * Pure pieces of endpoint discovery, as istioctl's `create-remote-secret` builds them (1.24-1.27):
 * a reader token Secret in the source cluster and `istio-remote-secret-<cluster>` in every other one.
 */
import { stringify } from "yaml";
import { istioNamespace } from "./values";

export const readerServiceAccount = "istio-reader-service-account";
export const readerTokenSecretName = `${readerServiceAccount}-istio-remote-secret-token`;
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
