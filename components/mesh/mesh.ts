import * as pulumi from "@pulumi/pulumi";
import { MeshPolicy } from "../policy/meshPolicy";
import { SampleApps } from "../workloads/sampleApps";
import { IngressIdentity, SampleIngress } from "../workloads/sampleIngress";
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
    /** The realm and the ingress certificate the JWT-protected ingress of every cluster uses. */
    readonly ingress: IngressIdentity;
}

export interface ClusterMeshStatus {
    readonly network: string;
    readonly controlPlane: Record<string, string>;
    readonly eastWestAddress?: string;
}

/** ONE Istio multi-primary, multi-network mesh over every cluster: shared CA → control planes → wiring. */
export class Mesh extends pulumi.ComponentResource {
    /** The mesh root certificate (public). */
    public readonly rootCertPem: pulumi.Output<string>;
    /** Per cluster: network, Helm status per release, east-west address. */
    public readonly clusters: pulumi.Output<Record<string, ClusterMeshStatus>>;
    /** Per owned cluster: Istio reader kubeconfig (secret). */
    public readonly readerKubeconfigs: pulumi.Output<Record<string, string>>;
    /** Everything the verification layer tests, in every cluster (samples, ingress, gateways, remote secrets). */
    public readonly underTest: pulumi.Resource[];
    /** Per cluster: what injected workloads need first (istiod, the CNI agent, STRICT mTLS, allow-nothing). */
    public readonly meshReady: Record<string, pulumi.Resource[]> = {};

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

        // Zero-trust baseline per cluster: STRICT mTLS, allow-nothing, NetworkPolicies (policy layer, after the control plane).
        const policies = planes.map(
            (p) =>
                new MeshPolicy(
                    `${name}-${p.handle.name}-policy`,
                    {
                        cluster: p.handle,
                        istiod: p.controlPlane.istiodRelease,
                        systemNamespace: p.controlPlane.systemNamespace,
                        ingressNamespace: p.controlPlane.ingressNamespace,
                        ingressNamespaceName: args.ingressNamespace,
                        remoteApiServers: args.clusters.filter((c) => c.name !== p.handle.name).map((c) => c.apiServer),
                        hasExternalPeers: args.peers.length > 0,
                    },
                    { parent: this },
                ),
        );

        planes.forEach((p, i) => {
            this.meshReady[p.handle.name] = [
                p.controlPlane.istiodRelease,
                p.controlPlane.cniRelease,
                policies[i].peerAuthentication,
                policies[i].allowNothing,
                ...policies[i].networkPolicies,
            ];
        });

        // Workloads: the samples in every cluster, helloworld v1 and v2 alternating so each version lives in one network.
        const underTest: pulumi.Resource[] = [];
        planes.forEach((p, i) => {
            const samples = new SampleApps(
                `${name}-${p.handle.name}-samples`,
                {
                    cluster: p.handle,
                    trustDomain: args.trustDomain,
                    ingressNamespace: args.ingressNamespace,
                    helloworldVersions: [i % 2 === 0 ? "v1" : "v2"],
                    registry: args.sampleRegistry,
                    // Injection (istiod, CNI agent) and the zero-trust baseline before any workload starts.
                    meshReady: [
                        p.controlPlane.istiodRelease,
                        p.controlPlane.cniRelease,
                        policies[i].peerAuthentication,
                        policies[i].allowNothing,
                    ],
                },
                { parent: this },
            );
            // The JWT-protected HTTPS ingress in front of httpbin.
            const ingress = new SampleIngress(
                `${name}-${p.handle.name}-jwt-ingress`,
                {
                    cluster: p.handle,
                    ingressNamespace: args.ingressNamespace,
                    identity: args.ingress,
                    after: [p.controlPlane.istiodRelease, p.controlPlane.ingressNamespace, ...samples.deployments],
                },
                { parent: this },
            );
            underTest.push(
                ...samples.deployments,
                ...p.controlPlane.gateways,
                ...ingress.resources,
                policies[i].peerAuthentication,
                policies[i].allowNothing,
                ...policies[i].networkPolicies,
            );
        });

        const discovery = new EndpointDiscovery(`${name}-discovery`, { clusters: planes, peers: args.peers }, { parent: this });
        this.readerKubeconfigs = discovery.readerKubeconfigs;
        this.underTest = [...underTest, ...discovery.remoteSecrets];

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
