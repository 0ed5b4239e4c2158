/**
 * An AKS cluster the program creates: resource group, VNet with the node subnet, the cluster (Azure CNI overlay, a
 * NetworkPolicy engine), the subnet role its identity needs, and its admin kubeconfig as a secret.
 */
// One file per resource: a service's index declares all of its hundreds of resources (1,000 files for the typecheck).
import { RoleAssignment } from "@pulumi/azure-native/authorization/roleAssignment";
import { listManagedClusterAdminCredentialsOutput } from "@pulumi/azure-native/containerservice/listManagedClusterAdminCredentials";
import { ManagedCluster, ManagedClusterArgs } from "@pulumi/azure-native/containerservice/managedCluster";
import { Subnet } from "@pulumi/azure-native/network/subnet";
import { VirtualNetwork } from "@pulumi/azure-native/network/virtualNetwork";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider";
import { ResourceGroup } from "@pulumi/azure-native/resources/resourceGroup";
import * as pulumi from "@pulumi/pulumi";
import { AksClusterConfig, ClusterConfig, CloudProviderSettings } from "../../config/model";
import { ClusterHandle } from "../handle";
import { clusterHandle } from "../kubeconfigCluster";
import { aksKubeconfig } from "./kubeconfig";
import { cloudGatewayAnnotations } from "./loadBalancer";
import { providerArgs } from "./providerArgs";

/** Azure's built-in "Network Contributor" role: the cluster identity's right to put load balancers in the subnet. */
export const networkContributorRoleId = "4d97b98b-1d4f-4787-a291-c67834d212e7";

/** The ManagedCluster arguments, pure (tests read them directly). */
export function aksClusterArgs(
    c: ClusterConfig,
    aks: AksClusterConfig,
    refs: {
        readonly resourceGroupName: pulumi.Input<string>;
        readonly nodeResourceGroup: pulumi.Input<string>;
        readonly subnetId: pulumi.Input<string>;
    },
): ManagedClusterArgs {
    return {
        resourceGroupName: refs.resourceGroupName,
        location: aks.location,
        // The API server's DNS name starts with it; the name is validated to fit (at most 54 characters).
        dnsPrefix: c.name,
        kubernetesVersion: aks.kubernetesVersion,
        // Set, not derived: AKS's default MC_<group>_<cluster>_<region> passes its 80-character limit with Pulumi's suffixes.
        nodeResourceGroup: refs.nodeResourceGroup,
        identity: { type: "SystemAssigned" },
        sku: { name: "Base", tier: aks.tier },
        enableRBAC: true,
        // Local accounts stay on: Pulumi uses the cluster-admin client certificate (no Entra ID, no kubelogin needed).
        disableLocalAccounts: false,
        agentPoolProfiles: [
            {
                name: "system",
                mode: "System",
                type: "VirtualMachineScaleSets",
                osType: "Linux",
                vmSize: aks.vmSize,
                count: aks.nodeCount,
                osDiskSizeGB: aks.diskSizeGb,
                vnetSubnetID: refs.subnetId,
            },
        ],
        networkProfile: {
            // Azure CNI overlay: nodes take subnet addresses, pods podCidr (not routed outside the cluster).
            networkPlugin: "azure",
            networkPluginMode: "overlay",
            // AKS's default engine is none, under which every NetworkPolicy the program writes would be ignored.
            networkPolicy: aks.networkPolicy,
            // Cilium as the engine requires Cilium as the dataplane (Azure CNI powered by Cilium).
            networkDataplane: aks.networkPolicy === "cilium" ? "cilium" : "azure",
            podCidr: aks.podCidr,
            serviceCidr: aks.serviceCidr,
            dnsServiceIP: aks.dnsServiceIp,
            loadBalancerSku: "standard",
            outboundType: "loadBalancer",
        },
    };
}

export interface AksClusterArgs {
    readonly cluster: ClusterConfig;
    readonly aks: AksClusterConfig;
    /** `azure-native:*` config, given to this cluster's explicit provider. */
    readonly provider: CloudProviderSettings;
}

export class AksCluster extends pulumi.ComponentResource {
    public readonly handle: ClusterHandle;
    public readonly outputs: Record<string, pulumi.Input<string>>;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:platform:AksCluster", name, {}, opts);
        const { cluster: c, aks } = args;
        const azure = new AzureProvider(`${name}-azure`, providerArgs(args.provider), { parent: this });
        const child = { parent: this, provider: azure };
        const group = new ResourceGroup(`${name}-resource-group`, { location: aks.location }, child);
        const vnet = new VirtualNetwork(
            `${name}-vnet`,
            { resourceGroupName: group.name, location: aks.location, addressSpace: { addressPrefixes: [aks.nodeCidr] } },
            // The subnet is its own resource; the VNet's inline list would fight it on every update.
            { ...child, ignoreChanges: ["subnets"] },
        );
        const subnet = new Subnet(
            `${name}-node-subnet`,
            { resourceGroupName: group.name, virtualNetworkName: vnet.name, addressPrefix: aks.nodeCidr },
            child,
        );
        const managed = new ManagedCluster(
            `${name}-cluster`,
            aksClusterArgs(c, aks, {
                resourceGroupName: group.name,
                nodeResourceGroup: pulumi.interpolate`${group.name}-nodes`,
                subnetId: subnet.id,
            }),
            // A replacement (network profile, region) cannot be created beside the old cluster: the node resource group
            // is named. Its Kubernetes objects are deleted first all the same (they depend on it through the provider).
            { ...child, deleteBeforeReplace: true },
        );
        // A cluster in a VNet it does not own needs this to create load balancers and their rules there.
        const subnetRole = new RoleAssignment(
            `${name}-subnet-network-contributor`,
            {
                principalId: managed.identity.apply((i) => i?.principalId ?? ""),
                principalType: "ServicePrincipal",
                roleDefinitionId: subnet.id.apply(
                    (id) =>
                        `${id.split("/").slice(0, 3).join("/")}/providers/Microsoft.Authorization/roleDefinitions/${networkContributorRoleId}`,
                ),
                scope: subnet.id,
            },
            child,
        );
        const credentials = listManagedClusterAdminCredentialsOutput(
            { resourceGroupName: group.name, resourceName: managed.name },
            { parent: this, provider: azure },
        );
        // The SDK does not mark the credentials secret: they are, from here on.
        const kubeconfig = pulumi.secret(credentials.kubeconfigs.apply((k) => aksKubeconfig(c.name, k)));
        const apiServer = pulumi.interpolate`https://${managed.fqdn}:443`;
        this.handle = clusterHandle(this, name, {
            cluster: c,
            kubeconfig,
            apiServer,
            apiServerAddress: "endpointSlice",
            // Kubernetes objects after the cluster can place load balancers; on destroy, they go first.
            dependsOn: [managed, subnetRole],
            cloudAnnotations: {
                eastWest: cloudGatewayAnnotations("aks", "eastWest", aks.eastWestLoadBalancer, c.eastWestSourceRanges.length > 0),
                ingress: cloudGatewayAnnotations("aks", "ingress", aks.ingressLoadBalancer),
            },
        });
        this.outputs = {
            cloud: "aks",
            location: aks.location,
            resourceGroup: group.name,
            cluster: managed.name,
            apiServer,
            credentials: pulumi.interpolate`az aks get-credentials --resource-group ${group.name} --name ${managed.name} --admin`,
        };
        this.registerOutputs(this.outputs);
    }
}
