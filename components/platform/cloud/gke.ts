/**
 * A GKE Standard cluster the program creates: VPC and subnetwork (pod and service ranges), the cluster with
 * Dataplane V2 (NetworkPolicy enforced), its node pool, for private nodes Cloud NAT and the webhook firewall rule,
 * and a kubeconfig as a secret.
 */
// One file per resource: a service's index declares all of its resources (hundreds of files for the typecheck).
import { Firewall } from "@pulumi/gcp/compute/firewall";
import { Network } from "@pulumi/gcp/compute/network";
import { Router } from "@pulumi/gcp/compute/router";
import { RouterNat } from "@pulumi/gcp/compute/routerNat";
import { Subnetwork } from "@pulumi/gcp/compute/subnetwork";
import { Cluster, ClusterArgs } from "@pulumi/gcp/container/cluster";
import { NodePool } from "@pulumi/gcp/container/nodePool";
import { getClientConfigOutput } from "@pulumi/gcp/organizations/getClientConfig";
import { Provider as GcpProvider } from "@pulumi/gcp/provider";
import * as pulumi from "@pulumi/pulumi";
import { istioPorts } from "../../core/istio";
import { ClusterConfig, CloudProviderSettings, GkeClusterConfig } from "../../config/model";
import { isGcpZone } from "../../config/cloudClusters";
import { ClusterHandle } from "../handle";
import { clusterHandle } from "../kubeconfigCluster";
import { gkeKubeconfig } from "./kubeconfig";
import { cloudGatewayAnnotations } from "./loadBalancer";
import { providerArgs } from "./providerArgs";

/** Names of the subnetwork's secondary ranges the cluster's pods and Services use. */
export const gkeRangeNames = { pods: "pods", services: "services" } as const;

/** The region of a GKE location (a region, or a zone in it). */
export const gkeRegion = (location: string): string => (isGcpZone(location) ? location.replace(/-[a-z]$/, "") : location);

/** The Cluster arguments, pure (tests read them directly). */
export function gkeClusterArgs(
    gke: GkeClusterConfig,
    refs: { readonly network: pulumi.Input<string>; readonly subnetwork: pulumi.Input<string> },
): ClusterArgs {
    return {
        location: gke.location,
        network: refs.network,
        subnetwork: refs.subnetwork,
        networkingMode: "VPC_NATIVE",
        ipAllocationPolicy: { clusterSecondaryRangeName: gkeRangeNames.pods, servicesSecondaryRangeName: gkeRangeNames.services },
        // Dataplane V2 enforces NetworkPolicy (the Calico add-on, `networkPolicy`, must stay off with it).
        datapathProvider: "ADVANCED_DATAPATH",
        // Standard, never Autopilot: istio-cni's node agent needs privileged pods.
        enableAutopilot: false,
        // The provider's default (true) would make `pulumi destroy` fail and leave the cluster billing.
        deletionProtection: false,
        // The node pool is its own resource (resized or replaced without touching the cluster).
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        releaseChannel: { channel: gke.releaseChannel },
        // The control plane starts at the profile's minor; the channel upgrades it later (README "Cloud stack").
        minMasterVersion: gke.kubernetesVersion,
        masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
        ...(gke.privateNodes
            ? {
                  privateClusterConfig: {
                      enablePrivateNodes: true,
                      // The API server keeps its public endpoint: Pulumi and the other cluster's istiod reach it there.
                      enablePrivateEndpoint: false,
                      masterIpv4CidrBlock: gke.privateNodes.masterCidr,
                  },
              }
            : {}),
    };
}

export interface GkeClusterArgs {
    readonly cluster: ClusterConfig;
    readonly gke: GkeClusterConfig;
    /** `gcp:*` config, given to this cluster's explicit provider. */
    readonly provider: CloudProviderSettings;
}

export class GkeCluster extends pulumi.ComponentResource {
    public readonly handle: ClusterHandle;
    public readonly outputs: Record<string, pulumi.Input<string>>;

    constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:platform:GkeCluster", name, {}, opts);
        const { cluster: c, gke } = args;
        const gcp = new GcpProvider(`${name}-gcp`, providerArgs(args.provider), { parent: this });
        const child = { parent: this, provider: gcp };
        const region = gkeRegion(gke.location);
        const vpc = new Network(`${name}-network`, { autoCreateSubnetworks: false, routingMode: "REGIONAL" }, child);
        const subnet = new Subnetwork(
            `${name}-subnet`,
            {
                network: vpc.id,
                region,
                ipCidrRange: gke.nodeCidr,
                secondaryIpRanges: [
                    { rangeName: gkeRangeNames.pods, ipCidrRange: gke.podCidr },
                    { rangeName: gkeRangeNames.services, ipCidrRange: gke.serviceCidr },
                ],
                privateIpGoogleAccess: true,
            },
            child,
        );
        const privateNodeNeeds: pulumi.Resource[] = [];
        if (gke.privateNodes) {
            // Nodes without external addresses pull the mesh's images through Cloud NAT.
            const router = new Router(`${name}-router`, { network: vpc.id, region }, child);
            privateNodeNeeds.push(
                new RouterNat(
                    `${name}-nat`,
                    {
                        router: router.name,
                        region,
                        natIpAllocateOption: "AUTO_ONLY",
                        sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
                    },
                    child,
                ),
                // GKE's own rule lets the control plane reach nodes on 443 and 10250 only: istiod's webhook is 15017.
                new Firewall(
                    `${name}-control-plane-webhooks`,
                    {
                        network: vpc.id,
                        direction: "INGRESS",
                        sourceRanges: [gke.privateNodes.masterCidr],
                        allows: [{ protocol: "tcp", ports: ["443", "10250", String(istioPorts.webhook)] }],
                    },
                    child,
                ),
            );
        }
        // A replacement cannot be created beside the old cluster: both would claim the subnetwork's pod and service ranges.
        const cluster = new Cluster(`${name}-cluster`, gkeClusterArgs(gke, { network: vpc.id, subnetwork: subnet.id }), {
            ...child,
            deleteBeforeReplace: true,
        });
        const nodes = new NodePool(
            `${name}-nodes`,
            {
                cluster: cluster.id,
                location: gke.location,
                nodeCount: gke.nodeCount,
                nodeConfig: {
                    machineType: gke.machineType,
                    diskSizeGb: gke.diskSizeGb,
                    oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
                    shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
                },
                // A release channel upgrades nodes with the control plane (GKE requires auto-upgrade then).
                management: { autoRepair: true, autoUpgrade: true },
            },
            child,
        );
        if (gke.kubeconfigAuth === "access-token") {
            // destroy and refresh do not run the program: they would use the token stored at the last `up`.
            void pulumi.log.warn(
                `cluster ${c.name}: kubeconfigAuth access-token embeds an OAuth token valid for about an hour; after that, ` +
                    "`pulumi destroy` and `pulumi refresh` need --run-program (a fresh token) or they fail on every Kubernetes object",
                this,
            );
        }
        const token =
            gke.kubeconfigAuth === "access-token" ? getClientConfigOutput({ parent: this, provider: gcp }).accessToken : pulumi.output("");
        const kubeconfig = pulumi.secret(
            pulumi
                .all([cluster.name, cluster.endpoint, cluster.masterAuth, token])
                .apply(([clusterName, endpoint, auth, t]) =>
                    gkeKubeconfig(
                        `gke_${clusterName}`,
                        endpoint,
                        auth.clusterCaCertificate ?? "",
                        gke.kubeconfigAuth === "access-token" ? { kind: "access-token", token: t } : { kind: "gke-gcloud-auth-plugin" },
                    ),
                ),
        );
        const apiServer = pulumi.interpolate`https://${cluster.endpoint}`;
        this.handle = clusterHandle(this, name, {
            cluster: c,
            kubeconfig,
            apiServer,
            apiServerAddress: "endpointSlice",
            // Kubernetes objects after the nodes exist; on destroy, they (and their load balancers) go first.
            dependsOn: [cluster, nodes, ...privateNodeNeeds],
            cloudAnnotations: {
                eastWest: cloudGatewayAnnotations("gke", "eastWest", gke.eastWestLoadBalancer),
                ingress: cloudGatewayAnnotations("gke", "ingress", gke.ingressLoadBalancer),
            },
        });
        this.outputs = {
            cloud: "gke",
            location: gke.location,
            cluster: cluster.name,
            network: vpc.name,
            apiServer,
            credentials: pulumi.interpolate`gcloud container clusters get-credentials ${cluster.name} --location ${gke.location}`,
        };
        this.registerOutputs(this.outputs);
    }
}
