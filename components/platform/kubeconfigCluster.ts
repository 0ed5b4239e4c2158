import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config/model";
import { Sensitive } from "../config/sensitive";
import { Endpoint, apiServerEndpoint, hostBlock } from "../core/networkPolicy";
import { isIpAddress } from "../core/net";
import { ClusterHandle } from "./handle";

export interface KubeconfigClusterArgs {
    /** The validated cluster entry (its kubeconfig stays a secret). */
    readonly cluster: ClusterConfig;
    /** Its admin kubeconfig. */
    readonly kubeconfig: Sensitive;
    /**
     * Where pods meet the API server: `endpointSlice` (managed clusters) reads the `default/kubernetes` EndpointSlice
     * at deploy time; `url` takes the cluster's API server URL (the sim, whose pods dial the host's loopback directly
     * and whose API server publishes no endpoints).
     */
    readonly apiServerAddress: "endpointSlice" | "url";
}

/** The subset of a discovery.k8s.io/v1 EndpointSlice the program reads. */
export interface EndpointSliceView {
    readonly addressType?: string;
    readonly endpoints?: readonly { readonly addresses?: readonly string[] }[];
    readonly ports?: readonly { readonly port?: number; readonly protocol?: string }[];
}

/**
 * The API server's real addresses from its `default/kubernetes` EndpointSlice, each address on each TCP port, as
 * single-address endpoints. None is an error naming the cluster: without them the API server could only be allowed
 * as the whole address space, which is what this replaces.
 */
export function apiServerEndpointsOf(cluster: string, slice: EndpointSliceView | undefined): Endpoint[] {
    const addresses = [...new Set((slice?.endpoints ?? []).flatMap((e) => e.addresses ?? []))].filter((a) => isIpAddress(a));
    const ports = [...new Set((slice?.ports ?? []).filter((p) => (p.protocol ?? "TCP") === "TCP").map((p) => p.port ?? 0))].filter(
        (p) => p > 0,
    );
    if (addresses.length === 0 || ports.length === 0) {
        throw new Error(
            `cluster ${cluster}: the EndpointSlice default/kubernetes lists no API server address and port; the NetworkPolicies ` +
                "allow the API server by its real addresses only (is the API server publishing its endpoints?)",
        );
    }
    return addresses.sort().flatMap((a) => ports.map((port) => ({ address: hostBlock(a), port })));
}

function readApiServerEndpoints(cluster: string, slice: k8s.discovery.v1.EndpointSlice): pulumi.Output<readonly Endpoint[]> {
    return pulumi.all([slice.endpoints, slice.ports]).apply(([endpoints, ports]) => apiServerEndpointsOf(cluster, { endpoints, ports }));
}

export interface HandleArgs {
    readonly cluster: ClusterConfig;
    /** The admin kubeconfig (secret) the cluster's provider uses. */
    readonly kubeconfig: pulumi.Output<string>;
    /** API server URL the other clusters' istiod dial. */
    readonly apiServer: pulumi.Input<string>;
    readonly apiServerAddress: KubeconfigClusterArgs["apiServerAddress"];
    /** What the provider waits for (a created cluster's node pool): Kubernetes objects go after, and before it on destroy. */
    readonly dependsOn?: readonly pulumi.Resource[];
    /** Annotations of the gateways' LoadBalancer Services that the cluster's cloud needs (before the user's own). */
    readonly cloudAnnotations?: { readonly eastWest: Readonly<Record<string, string>>; readonly ingress: Readonly<Record<string, string>> };
}

/**
 * The one way a cluster becomes a handle, whoever made it: its explicit Kubernetes provider from the admin kubeconfig
 * (`${name}-provider`), and where its pods meet the API server.
 */
export function clusterHandle(parent: pulumi.Resource, name: string, args: HandleArgs): ClusterHandle {
    const c = args.cluster;
    const provider = new k8s.Provider(
        `${name}-provider`,
        {
            kubeconfig: args.kubeconfig,
            // Never fall back to ambient context or namespace: every object names its namespace.
            namespace: "default",
        },
        { parent, ...(args.dependsOn?.length ? { dependsOn: [...args.dependsOn] } : {}) },
    );
    return {
        name: c.name,
        network: c.network,
        provider,
        adminKubeconfig: args.kubeconfig,
        apiServer: args.apiServer,
        loadBalancer: {
            kind: c.loadBalancer,
            // the user's annotations last: they may refine what the cloud's defaults say
            serviceAnnotations: { ...args.cloudAnnotations?.eastWest, ...c.eastWestServiceAnnotations },
            ingressServiceAnnotations: { ...args.cloudAnnotations?.ingress },
            sourceRanges: c.eastWestSourceRanges,
        },
        ready: [],
        ...(c.istioPlatform !== undefined ? { istioPlatform: c.istioPlatform } : {}),
        // A managed API server's address may differ from the kubeconfig's URL (private endpoints, a name): what pods
        // reach after the `kubernetes` Service is translated is its EndpointSlice, read through this provider at
        // deploy time (a preview reads it too). A changed API server address takes effect on the next `pulumi up`.
        apiServerEndpoints:
            args.apiServerAddress === "url"
                ? pulumi.output(args.apiServer).apply((url) => [apiServerEndpoint(url)])
                : readApiServerEndpoints(
                      c.name,
                      k8s.discovery.v1.EndpointSlice.get(`${name}-apiserver-endpoints`, "default/kubernetes", { parent, provider }),
                  ),
    };
}

/** An existing cluster reached through an admin kubeconfig held as a secret (AKS, GKE, any kubeadm). */
export class KubeconfigCluster extends pulumi.ComponentResource {
    public readonly handle: ClusterHandle;

    constructor(name: string, args: KubeconfigClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:platform:KubeconfigCluster", name, {}, opts);
        const c = args.cluster;
        this.handle = clusterHandle(this, name, {
            cluster: c,
            kubeconfig: args.kubeconfig.output(),
            apiServer: c.apiServer,
            apiServerAddress: args.apiServerAddress,
        });
        this.registerOutputs({ name: c.name, network: c.network, apiServer: c.apiServer });
    }
}
