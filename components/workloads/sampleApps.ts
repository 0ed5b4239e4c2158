import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterHandle } from "../platform/handle";
import { createPullSecret, istioImage, pullSecretFor } from "../platform/pullSecret";
import { HelloworldVersion, sampleImages, sampleNamespace, sampleObjects } from "./samples";
import { sampleAuthorizationPolicies, sampleNetworkPolicies } from "./samplePolicy";
import { childOptions, createNetworkPolicies } from "../core/resources";

export interface SampleAppsArgs {
    readonly cluster: ClusterHandle;
    readonly trustDomain: string;
    readonly ingressNamespace: string;
    /** helloworld versions this cluster runs (v1 in one cluster, v2 in the other: cross-network balancing shows). */
    readonly helloworldVersions: readonly HelloworldVersion[];
    /** Image repository prefix of the sample images; default the upstream repositories. */
    readonly registry?: string;
    /** Istio's image hub (`istioHub`): the injected sidecars' images come from it. */
    readonly istioHub?: string;
    /** istiod (injection webhook, CRDs' validation) and the CNI agent: injected pods need both. */
    readonly meshReady: readonly pulumi.Resource[];
    /** The other networks' east-west gateways as blocks (core/networkPolicy.ts crossNetworkBlocks); absent: none. */
    readonly remoteGatewayBlocks?: pulumi.Input<readonly string[]>;
}

/**
 * The sample workloads of one cluster in namespace `sample` (sidecars injected, Pod Security restricted thanks to
 * istio-cni): helloworld (this cluster's versions) behind one Service name, the curl client, httpbin behind the
 * ingress; one service account each; default-deny NetworkPolicies with the allows they need; ALLOW policies naming
 * exactly the identities that may call them (the mesh-wide allow-nothing denies everything else).
 */
export class SampleApps extends pulumi.ComponentResource {
    public readonly namespace: k8s.core.v1.Namespace;
    public readonly deployments: k8s.apps.v1.Deployment[];

    constructor(name: string, args: SampleAppsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:workloads:SampleApps", name, {}, opts);
        const child = childOptions(this, args.cluster.provider);
        // A pull secret only when the namespace pulls from the private registry: a sample image from the mirror
        // (`sampleRegistry`), or the injected sidecar from the Istio hub there (`istioHub`).
        const sample = sampleImages(args.registry);
        const images = [sample.helloworldV1, sample.helloworldV2, sample.httpbin, sample.curl, istioImage(args.istioHub, "proxyv2")];
        const pullSecret = pullSecretFor(args.cluster, images) !== undefined;
        const objects = sampleObjects({
            sidecarInit: "istio-cni",
            registry: args.registry,
            pullSecret,
            helloworldVersions: args.helloworldVersions,
        });

        this.namespace = new k8s.core.v1.Namespace(`${name}-namespace`, objects.namespace, child([...args.meshReady]));
        const inNamespace = child([this.namespace]);
        const secret = createPullSecret(`${name}-pull-secret`, args.cluster, sampleNamespace, images, {
            parent: this,
            dependsOn: [this.namespace],
        });

        // Default deny after its allows (no window with nothing allowed); all before the pods start.
        // Other networks' east-west gateways: their addresses once assigned (a placeholder renders the shape).
        const content = pulumi
            .output(args.remoteGatewayBlocks ?? [])
            .apply((blocks) => sampleNetworkPolicies({ ingressNamespace: args.ingressNamespace, remoteGatewayAddresses: blocks }));
        const policies = sampleNetworkPolicies({
            ingressNamespace: args.ingressNamespace,
            remoteGatewayAddresses: args.remoteGatewayBlocks === undefined ? [] : ["192.0.2.1/32"],
        });
        const networkPolicies = createNetworkPolicies(
            { resourceName: (p) => `${name}-${p.metadata.name}`, policies, content, after: () => [this.namespace] },
            child,
        );

        const authz = sampleAuthorizationPolicies(args.trustDomain, args.ingressNamespace).map(
            (p) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-authz-${p.metadata.name}`,
                    { ...p },
                    child([this.namespace, ...args.meshReady]),
                ),
        );
        const accounts = objects.serviceAccounts.map(
            (sa) => new k8s.core.v1.ServiceAccount(`${name}-sa-${sa.metadata.name}`, sa, inNamespace),
        );
        objects.services.forEach((svc) => new k8s.core.v1.Service(`${name}-svc-${svc.metadata.name}`, svc, inNamespace));
        this.deployments = objects.deployments.map(
            (d) =>
                new k8s.apps.v1.Deployment(
                    `${name}-${d.metadata.name}`,
                    d,
                    child([this.namespace, ...accounts, ...networkPolicies, ...authz, ...(secret ? [secret] : [])]),
                ),
        );
        this.registerOutputs({ namespace: sampleNamespace });
    }
}
