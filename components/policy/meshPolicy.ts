import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterHandle } from "../platform/handle";

import { istioNamespace } from "../core/istio";
import { allowNothing, peerAuthenticationStrict } from "./mesh";
import { meshNetworkPolicies } from "./meshNetwork";
import { Destination } from "./network";
import { childOptions, createNetworkPolicies } from "../core/resources";

export interface MeshPolicyArgs {
    readonly cluster: ClusterHandle;
    /** istiod's release: its validating webhook checks these objects, so it must serve first. */
    readonly istiod: pulumi.Resource;
    /** istio-system and the ingress namespace (their NetworkPolicies). */
    readonly systemNamespace: pulumi.Resource;
    readonly ingressNamespace: pulumi.Resource;
    readonly ingressNamespaceName: string;
    /** API server URLs of the OTHER clusters of this stack (istiod's remote secrets point there). */
    readonly remoteApiServers: readonly pulumi.Input<string>[];
    /** Clusters of other stacks are in the mesh. */
    readonly hasExternalPeers: boolean;
    /** Where the gateways forward (derived from the policies that admit them: policy/network.ts gatewayDestinations). */
    readonly gatewayDestinations: { readonly ingress: readonly Destination[]; readonly eastWest: readonly Destination[] };
    /** The other networks' east-west gateways as blocks (core/networkPolicy.ts crossNetworkBlocks). */
    readonly remoteGatewayBlocks: pulumi.Input<readonly string[]>;
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
        const child = childOptions(this, args.cluster.provider);
        this.peerAuthentication = new k8s.apiextensions.CustomResource(
            `${name}-strict-mtls`,
            { ...peerAuthenticationStrict() },
            child([args.istiod]),
        );
        this.allowNothing = new k8s.apiextensions.CustomResource(`${name}-allow-nothing`, { ...allowNothing() }, child([args.istiod]));

        const rendered = pulumi
            .all([
                pulumi.all(args.remoteApiServers.map((a) => pulumi.output(a))),
                args.cluster.apiServerEndpoints,
                pulumi.output(args.remoteGatewayBlocks),
            ])
            .apply(([remoteApiServers, localApiServers, remoteGatewayBlocks]) =>
                meshNetworkPolicies({
                    ingressNamespace: args.ingressNamespaceName,
                    localApiServers,
                    remoteApiServers,
                    hasExternalPeers: args.hasExternalPeers,
                    gatewayDestinations: args.gatewayDestinations,
                    remoteGatewayBlocks,
                }),
            );
        // Which policies exist does not depend on addresses: render once with placeholders to create the resources,
        // then give each its real content, matched by namespace and name.
        const shape = meshNetworkPolicies({
            ingressNamespace: args.ingressNamespaceName,
            localApiServers: [{ address: "192.0.2.1/32", port: 443 }],
            remoteApiServers: [],
            hasExternalPeers: false,
            gatewayDestinations: args.gatewayDestinations,
            remoteGatewayBlocks: [],
        });
        this.networkPolicies = createNetworkPolicies(
            {
                resourceName: (p) => `${name}-${p.metadata.namespace === istioNamespace ? "system" : "ingress"}-${p.metadata.name}`,
                policies: shape,
                content: rendered,
                after: (ns) => [ns === istioNamespace ? args.systemNamespace : args.ingressNamespace],
            },
            childOptions(this, args.cluster.provider),
        );
        this.registerOutputs({});
    }
}
