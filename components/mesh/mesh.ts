import * as pulumi from "@pulumi/pulumi";
import { CaConfig } from "../config/model";
import { ClusterHandle, PeerClusterHandle } from "../platform/handle";
import { MeshCa } from "./ca";
import { IstioControlPlane, MeshSettings } from "./controlPlane";
import { EndpointDiscovery } from "./endpointDiscovery";

export interface MeshArgs extends MeshSettings {
    /** Where the root and intermediates come from. */
    readonly ca: CaConfig;
    /** Clusters this stack deploys into: one loop, any number. */
    readonly clusters: readonly ClusterHandle[];
    /** Clusters of other stacks that join (remote secrets only). */
    readonly peers: readonly PeerClusterHandle[];
}

export interface ClusterMeshStatus {
    readonly network: string;
    readonly controlPlane: Record<string, string>;
    readonly eastWestAddress?: string;
}

/**
 * ONE Istio multi-primary, multi-network mesh over every cluster: shared CA → control planes → endpoint discovery.
 * What runs on the mesh (policy, identity, workloads, observability, verification) is composed by program.ts.
 */
export class Mesh extends pulumi.ComponentResource {
    /** The mesh root certificate (public). */
    public readonly rootCertPem: pulumi.Output<string>;
    /** Per cluster: network, Helm status per release, east-west address. */
    public readonly clusters: pulumi.Output<Record<string, ClusterMeshStatus>>;
    /** Per owned cluster: Istio reader kubeconfig (secret). */
    public readonly readerKubeconfigs: pulumi.Output<Record<string, string>>;
    /** The control plane of each cluster, in the order of `args.clusters`. */
    public readonly controlPlanes: readonly IstioControlPlane[];
    /** The remote secrets: endpoint discovery across clusters (what the cross-network checks rely on). */
    public readonly remoteSecrets: readonly pulumi.CustomResource[];

    constructor(name: string, args: MeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:mesh:Mesh", name, {}, opts);
        const ca = new MeshCa(`${name}-ca`, { ca: args.ca, clusters: args.clusters.map((c) => c.name) }, { parent: this });
        this.rootCertPem = ca.rootCertPem;

        const planes = args.clusters.map((handle) => ({
            handle,
            controlPlane: new IstioControlPlane(
                `${name}-${handle.name}`,
                {
                    meshId: args.meshId,
                    trustDomain: args.trustDomain,
                    versions: args.versions,
                    helm: args.helm,
                    hub: args.hub,
                    ingressNamespace: args.ingressNamespace,
                    workloadCertTtlHours: args.workloadCertTtlHours,
                    cluster: handle,
                    ca: ca.intermediates[handle.name],
                    rootCertPem: ca.rootCertPem,
                },
                { parent: this },
            ),
        }));
        this.controlPlanes = planes.map((p) => p.controlPlane);

        const discovery = new EndpointDiscovery(`${name}-discovery`, { clusters: planes, peers: args.peers }, { parent: this });
        this.readerKubeconfigs = discovery.readerKubeconfigs;
        this.remoteSecrets = discovery.remoteSecrets;

        this.clusters = pulumi
            .all(planes.map((p) => pulumi.all([p.controlPlane.status, p.controlPlane.eastWestAddress])))
            .apply((rows) =>
                Object.fromEntries(
                    rows.map(([status, address], i) => [
                        planes[i].handle.name,
                        { network: planes[i].handle.network, controlPlane: status, ...(address ? { eastWestAddress: address } : {}) },
                    ]),
                ),
            );
        this.registerOutputs({ rootCertPem: this.rootCertPem, clusters: this.clusters, readerKubeconfigs: this.readerKubeconfigs });
    }
}
