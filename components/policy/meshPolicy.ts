import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterHandle } from "../platform/handle";
import { istioNamespace } from "../mesh/values";
import { allowNothing, peerAuthenticationStrict } from "./mesh";
import { isDefaultDeny, meshNetworkPolicies } from "./meshNetwork";

export interface MeshPolicyArgs {
    readonly cluster: ClusterHandle;
    /** istiod's release: its validating webhook checks these objects, so it must serve first. */
    readonly istiod: pulumi.Resource;
    /** istio-system and the ingress namespace (their NetworkPolicies). */
    readonly systemNamespace: pulumi.Resource;
    readonly ingressNamespace: pulumi.Resource;
    readonly ingressNamespaceName: string;
    /** API servers istiod talks to: every cluster of this stack (its own included). */
    readonly apiServers: readonly pulumi.Input<string>[];
    /** Clusters of other stacks are in the mesh. */
    readonly hasExternalPeers: boolean;
}

/**
 * The mesh-wide zero-trust baseline of one cluster, in istio-system (the root namespace): mTLS STRICT for every
 * workload, and the allow-nothing policy, so that only explicit ALLOW policies naming identities let requests through.
 * (Egress REGISTRY_ONLY and the workload certificate lifetime are istiod values: components/mesh/values.ts.)
 */
export class MeshPolicy extends pulumi.ComponentResource {
    public readonly peerAuthentication: k8s.apiextensions.CustomResource;
    public readonly allowNothing: k8s.apiextensions.CustomResource;
    public readonly networkPolicies: k8s.networking.v1.NetworkPolicy[];

    constructor(name: string, args: MeshPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:policy:MeshPolicy", name, {}, opts);
        const child = { parent: this, provider: args.cluster.provider, dependsOn: [args.istiod] };
        this.peerAuthentication = new k8s.apiextensions.CustomResource(`${name}-strict-mtls`, { ...peerAuthenticationStrict() }, child);
        this.allowNothing = new k8s.apiextensions.CustomResource(`${name}-allow-nothing`, { ...allowNothing() }, child);

        // NetworkPolicies: the count is fixed (addresses may be outputs), the allows of a namespace before its deny.
        const rendered = pulumi.all(args.apiServers.map((a) => pulumi.output(a))).apply((apiServers) =>
            meshNetworkPolicies({
                ingressNamespace: args.ingressNamespaceName,
                apiServers,
                webhookSources: args.cluster.webhookSources,
                hasExternalPeers: args.hasExternalPeers,
            }),
        );
        // The same list with placeholder addresses: only its length, names and namespaces are used here.
        const shape = meshNetworkPolicies({
            ingressNamespace: args.ingressNamespaceName,
            apiServers: ["https://192.0.2.1:6443"],
            webhookSources: ["0.0.0.0/0"],
            hasExternalPeers: false,
        });
        const allows = new Map<string, pulumi.Resource[]>();
        this.networkPolicies = shape.map((p, i) => {
            const ns = p.metadata.namespace;
            const deps = isDefaultDeny(p) ? (allows.get(ns) ?? []) : [];
            const resource = new k8s.networking.v1.NetworkPolicy(
                `${name}-${ns === istioNamespace ? "system" : "ingress"}-${p.metadata.name}`,
                rendered.apply((list) => list[i]),
                {
                    parent: this,
                    provider: args.cluster.provider,
                    dependsOn: [ns === istioNamespace ? args.systemNamespace : args.ingressNamespace, ...deps],
                },
            );
            if (!isDefaultDeny(p)) {
                allows.set(ns, [...(allows.get(ns) ?? []), resource]);
            }
            return resource;
        });
        this.registerOutputs({});
    }
}
