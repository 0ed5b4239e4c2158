import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterHandle, PeerClusterHandle } from "../platform/handle";
import { IstioControlPlane } from "./controlPlane";
import {
    readerClusterRoleRules,
    readerMeshConfigRules,
    readerServiceAccount,
    readerTokenSecretSpec,
    remoteSecretMetadata,
    renderReaderKubeconfig,
} from "./remoteSecret";

import { istioNamespace } from "../core/istio";

export interface EndpointDiscoveryArgs {
    /** Clusters this stack owns, each with its installed control plane. */
    readonly clusters: readonly { readonly handle: ClusterHandle; readonly controlPlane: IstioControlPlane }[];
    /** Clusters of other stacks joining the mesh. */
    readonly peers: readonly PeerClusterHandle[];
}

/**
 * Cross-cluster wiring: every istiod learns every other cluster's endpoints. For each ordered pair (A, B)
 * the reader credentials of A land in B as `istio-remote-secret-A`, built declaratively (no istioctl).
 */
export class EndpointDiscovery extends pulumi.ComponentResource {
    /** Per owned cluster: the reader kubeconfig other clusters use (secret). */
    public readonly readerKubeconfigs: pulumi.Output<Record<string, string>>;
    /** The remote secrets: cross-network endpoints are known once istiod has read them. */
    public readonly remoteSecrets: k8s.core.v1.Secret[] = [];

    constructor(name: string, args: EndpointDiscoveryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:mesh:EndpointDiscovery", name, {}, opts);

        const sources: { name: string; kubeconfig: pulumi.Output<string> }[] = [];
        for (const { handle, controlPlane } of args.clusters) {
            const opts = { parent: this, provider: handle.provider };
            const account = new k8s.core.v1.ServiceAccount(
                `${name}-${handle.name}-reader`,
                { metadata: { name: readerServiceAccount, namespace: controlPlane.systemNamespace.metadata.name } },
                opts,
            );
            const role = new k8s.rbac.v1.ClusterRole(
                `${name}-${handle.name}-reader-role`,
                { metadata: { name: readerServiceAccount }, rules: readerClusterRoleRules() },
                opts,
            );
            const binding = new k8s.rbac.v1.ClusterRoleBinding(
                `${name}-${handle.name}-reader-binding`,
                {
                    metadata: { name: readerServiceAccount },
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
                    subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: istioNamespace }],
                },
                opts,
            );
            const meshConfigRole = new k8s.rbac.v1.Role(
                `${name}-${handle.name}-reader-mesh-config-role`,
                { metadata: { name: readerServiceAccount, namespace: istioNamespace }, rules: readerMeshConfigRules() },
                { ...opts, dependsOn: [controlPlane.systemNamespace] },
            );
            const meshConfigBinding = new k8s.rbac.v1.RoleBinding(
                `${name}-${handle.name}-reader-mesh-config-binding`,
                {
                    metadata: { name: readerServiceAccount, namespace: istioNamespace },
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: meshConfigRole.metadata.name },
                    subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: istioNamespace }],
                },
                opts,
            );
            const token = new k8s.core.v1.Secret(`${name}-${handle.name}-reader-token`, readerTokenSecretSpec(), {
                ...opts,
                // The token controller fills the Secret only once its service account exists; the base release
                // first, so the reader never exists without Istio's CRDs it reads.
                dependsOn: [account, binding, meshConfigBinding, controlPlane.baseRelease],
                // Fixed name: a replacement (README, "Rotating the cross-cluster credentials") must delete first, or
                // the delete of the old object would remove the new one (pulumi-kubernetes#4522).
                deleteBeforeReplace: true,
            });
            const kubeconfig = pulumi.secret(
                pulumi.all([token.data, handle.apiServer]).apply(([data, server]) =>
                    renderReaderKubeconfig({
                        cluster: handle.name,
                        server,
                        caDataBase64: data?.["ca.crt"] ?? "",
                        token: Buffer.from(data?.token ?? "", "base64").toString("utf8"),
                    }),
                ),
            );
            sources.push({ name: handle.name, kubeconfig });
        }
        sources.push(...args.peers.map((p) => ({ name: p.name, kubeconfig: p.readerKubeconfig })));

        for (const target of args.clusters) {
            for (const source of sources) {
                if (source.name === target.handle.name) {
                    continue;
                }
                const remote = new k8s.core.v1.Secret(
                    `${name}-${source.name}-in-${target.handle.name}`,
                    {
                        metadata: remoteSecretMetadata(source.name),
                        type: "Opaque",
                        // Exactly one key, equal to the remote cluster ID, or istiod silently ignores it.
                        stringData: pulumi.secret(source.kubeconfig.apply((kc) => ({ [source.name]: kc }))),
                    },
                    { parent: this, provider: target.handle.provider, dependsOn: [target.controlPlane.systemNamespace] },
                );
                this.remoteSecrets.push(remote);
            }
        }

        const owned = sources.filter((s) => args.clusters.some((c) => c.handle.name === s.name));
        this.readerKubeconfigs = pulumi.secret(
            pulumi.all(owned.map((s) => s.kubeconfig)).apply((kcs) => Object.fromEntries(owned.map((s, i) => [s.name, kcs[i]]))),
        );
        this.registerOutputs({ readerKubeconfigs: this.readerKubeconfigs });
    }
}
