import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, HelmConfig, KubeadmClusterConfig } from "../../config/model";
import { metallbPoolName } from "../../config/loadBalancerAddresses";
import { ChartSource, helmChartSource, helmRelease } from "../../core/helm";
import { VersionProfile, kubernetesPackageVersion } from "../../core/versions";
import { ClusterHandle } from "../handle";
import { cniPlugin } from "../../core/cni";
import { renderApplyGate } from "./gate";
import { apiServerPort, renderKubeadmInit, renderKubeadmReset } from "./kubeadm";
import { joinTokenFromOutput, renderJoinSecrets, renderJoinTokenCreate, renderKubeadmJoin } from "./kubeadmJoin";
import { discoveryHashFromKubeconfig, kubeconfigFromReadback, renderKubeconfigRead } from "./kubeconfigReadback";
import {
    ipAddressPoolManifest,
    l2AdvertisementManifest,
    metallbChart,
    metallbNamespaceLabels,
    metallbNetworkPolicies,
    metallbValues,
} from "./metallb";
import { renderNodePrereqs } from "./nodePrereqs";
import { PrivateRegistry } from "./privateRegistry";
import { remoteScript } from "./remoteScript";
import { BareMetalHost } from "./server";
import { childOptions, createNetworkPolicies } from "../../core/resources";

export interface KubeadmClusterArgs {
    readonly cluster: ClusterConfig & { readonly access: { readonly kind: "kubeadm" } & KubeadmClusterConfig };
    readonly controlPlane: BareMetalHost;
    readonly workers: readonly BareMetalHost[];
    readonly registry: PrivateRegistry;
    readonly versions: VersionProfile;
    readonly helm: HelmConfig;
}

/** Name of the MetalLB pool and L2 advertisement in each cluster. */

/** Host of the API server URL peers use, when it differs from the advertise address (an extra certificate SAN). */
function apiServerHost(url: string): string {
    return new URL(url).hostname.replace(/^\[|\]$/g, "");
}

/**
 * One kubeadm cluster on bare metal, in dependency order:
 * node prerequisites (registry trust first) → kubeadm init → admin kubeconfig read back behind the readiness gate
 * (a secret, feeding this cluster's provider) → workers joined, each with a bootstrap token made for it on the control
 * plane that expires within the hour → the CNI
 * (`clusters[i].cni`, Cilium by default; before anything with pods) → MetalLB → webhook gate → IPAddressPool + L2Advertisement. The handle's `ready` holds the
 * last steps, so the mesh starts only on a networked cluster that can hand out LoadBalancer addresses.
 */
export class KubeadmCluster extends pulumi.ComponentResource {
    public readonly handle: ClusterHandle;

    constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:platform:KubeadmCluster", name, {}, opts);
        const c = args.cluster;
        const access = c.access;
        const cp = args.controlPlane;
        const cpHost = cp.config;
        const v = args.versions;
        const cni = cniPlugin(access.cni);

        const prereqsScript = args.registry.caPem.apply((caPem) =>
            renderNodePrereqs({
                kubernetesMinor: v.kubernetes,
                kubernetesPackageVersion: kubernetesPackageVersion(v),
                registry: { hostPort: args.registry.hostPort, caPem },
                kernelModules: cni.nodeKernelModules,
            }),
        );
        // Host-bound commands are named by host: moving a role to another host is then a new resource (the old one
        // is deleted and cleans ITS host) instead of an update that would leave the old host built and never reset.
        const prereqs = (host: BareMetalHost): command.remote.Command =>
            remoteScript(
                `${name}-${host.config.name}-prereqs`,
                { connection: host.connection, sshUser: host.sshUser, script: prereqsScript },
                // The registry answers (401/200) before any node could pull from it.
                { parent: this, dependsOn: [host.ready, args.registry.setup] },
            );
        const cpPrereqs = prereqs(cp);

        const peerHost = apiServerHost(c.apiServer);
        const init = remoteScript(
            `${name}-${cpHost.name}-init`,
            {
                connection: cp.connection,
                sshUser: cp.sshUser,
                script: renderKubeadmInit({
                    clusterName: c.name,
                    kubernetesVersion: `v${v.kubernetesPatch}`,
                    hostname: cpHost.hostname,
                    advertiseAddress: cpHost.management.address,
                    podSubnet: access.podSubnet,
                    serviceSubnet: access.serviceSubnet,
                    certSANs: [...new Set([peerHost, ...(cpHost.service ? [cpHost.service.address] : [])])],
                    kubeProxy: !cni.replacesKubeProxy,
                }),
                destroy: renderKubeadmReset(),
            },
            { parent: this, dependsOn: [cpPrereqs] },
        );
        const kubeconfigRead = remoteScript(
            `${name}-${cpHost.name}-kubeconfig`,
            // Read again when the cluster was re-created (a new init resource), not on every edit of the init script.
            { connection: cp.connection, sshUser: cp.sshUser, script: renderKubeconfigRead(), secretStdout: true, triggers: [init.id] },
            { parent: this, dependsOn: [init] },
        );
        const kubeconfig = pulumi.secret(kubeconfigRead.stdout.apply(kubeconfigFromReadback));

        const provider = new k8s.Provider(
            `${name}-provider`,
            {
                kubeconfig,
                namespace: "default",
                // A new kubeconfig of the SAME cluster (re-read, renewed client certificate) is an update; only a
                // re-initialized cluster (new init resource) replaces the provider and everything in the cluster.
                clusterIdentifier: init.id,
                // If the node is gone already, destroy drops its objects from state instead of failing before the
                // kubeadm reset of the other nodes can run.
                deleteUnreachable: true,
            },
            { parent: this, dependsOn: [kubeconfigRead] },
        );
        const child = childOptions(this, provider);

        const joins: pulumi.Resource[] = [];
        if (args.workers.length > 0) {
            // The CA hash is public (it pins the cluster CA for the joining node), derived from the secret kubeconfig.
            const caCertHash = pulumi.unsecret(kubeconfig.apply(discoveryHashFromKubeconfig));
            args.workers.forEach((worker) => {
                const workerPrereqs = prereqs(worker);
                // A token per join, made on the control plane once the worker is ready to join, expiring within the
                // hour (kubeadm token create --ttl): no join credential outlives its use for long. Its stdout (the
                // framed token) is a secret; a re-run makes a new token and the old one expires on its own.
                const tokenRun = remoteScript(
                    // Named by the host it runs on (the control plane), like every host-bound command.
                    `${name}-${cpHost.name}-join-token-${worker.config.name}`,
                    {
                        connection: cp.connection,
                        sshUser: cp.sshUser,
                        script: renderJoinTokenCreate(worker.config.hostname),
                        secretStdout: true,
                    },
                    { parent: this, dependsOn: [kubeconfigRead, workerPrereqs] },
                );
                const token = pulumi.secret(tokenRun.stdout.apply(joinTokenFromOutput));
                joins.push(
                    remoteScript(
                        `${name}-${worker.config.name}-join`,
                        {
                            connection: worker.connection,
                            sshUser: worker.sshUser,
                            script: caCertHash.apply((hash) =>
                                renderKubeadmJoin({
                                    hostname: worker.config.hostname,
                                    nodeIp: worker.config.management.address,
                                    controlPlaneEndpoint: `${cpHost.management.address}:${apiServerPort}`,
                                    caCertHash: hash,
                                }),
                            ),
                            destroy: renderKubeadmReset(),
                            stdin: token.apply(renderJoinSecrets),
                        },
                        { parent: this, dependsOn: [workerPrereqs, tokenRun] },
                    ),
                );
            });
        }

        const release = (
            role: string,
            namespace: pulumi.Input<string>,
            chart: ChartSource,
            values: Record<string, unknown>,
            dependsOn: pulumi.Resource[],
        ) =>
            helmRelease(
                `${name}-${role}`,
                { name: role, namespace, chart, values, timeoutSeconds: args.helm.timeoutSeconds },
                child(dependsOn),
            );

        // The CNI first: until it runs, no pod gets a network and the node stays NotReady.
        const cniRelease = release(
            cni.chart.chart,
            cni.chart.namespace,
            helmChartSource(args.helm.chartDir, cni.chart.product, cni.chart.chart, cni.version(v), cni.chart.repository),
            cni.values({
                clusterName: c.name,
                clusterId: access.ciliumClusterId,
                apiServerHost: cpHost.management.address,
                apiServerPort,
                version: cni.version(v),
            }),
            [kubeconfigRead, ...joins],
        );

        const metallbNamespace = new k8s.core.v1.Namespace(
            `${name}-metallb-system`,
            { metadata: { name: metallbChart.namespace, labels: metallbNamespaceLabels() } },
            child([cniRelease]),
        );
        const metallb = release(
            "metallb",
            metallbNamespace.metadata.name,
            helmChartSource(args.helm.chartDir, "metallb", metallbChart.chart, v.metallb, metallbChart.repository),
            metallbValues(v.metallb, v.imageDigests),
            [metallbNamespace, cniRelease],
        );
        // metallb-system's NetworkPolicies: the allows first, the default deny last (no window with nothing allowed).
        // Pods reach the API server at the advertise address (after Service translation): a /32, which every CNI's
        // ipBlocks match, also Cilium's on nodes (policyCIDRMatchMode), unlike 0.0.0.0/0 (`nodesMatchOnlyByAddress`).
        const apiServerAt = { address: `${cpHost.management.address}/32`, port: apiServerPort };
        const metallbPolicies = createNetworkPolicies(
            {
                resourceName: (p) => `${name}-metallb-${p.metadata.name}`,
                policies: metallbNetworkPolicies({ namespace: metallbChart.namespace, apiServers: [apiServerAt] }),
                after: () => [metallbNamespace],
            },
            child,
        );
        const pool = ipAddressPoolManifest({ name: metallbPoolName, addresses: access.loadBalancerPool });
        const l2 = l2AdvertisementManifest({ name: metallbPoolName, addresses: access.loadBalancerPool });
        // A ready controller does not mean its validating webhook serves (MetalLB 0.16): poll a server-side dry run
        // of the real pool until the webhook answers, instead of sleeping.
        const webhookGate = remoteScript(
            `${name}-${cpHost.name}-metallb-webhook`,
            { connection: cp.connection, sshUser: cp.sshUser, script: renderApplyGate({ what: "MetalLB IPAddressPool", manifest: pool }) },
            { parent: this, dependsOn: [metallb] },
        );
        const poolResource = new k8s.apiextensions.CustomResource(`${name}-address-pool`, { ...pool }, child([webhookGate]));
        const l2Resource = new k8s.apiextensions.CustomResource(`${name}-l2-advertisement`, { ...l2 }, child([webhookGate, poolResource]));

        this.handle = {
            name: c.name,
            network: c.network,
            provider,
            adminKubeconfig: kubeconfig,
            apiServer: c.apiServer,
            loadBalancer: { kind: "metallb", serviceAnnotations: c.eastWestServiceAnnotations, sourceRanges: c.eastWestSourceRanges },
            ready: [cniRelease, poolResource, l2Resource, ...metallbPolicies],
            apiServerEndpoints: pulumi.output([apiServerAt]),
            registry: { server: args.registry.hostPort, dockerConfigJson: args.registry.dockerConfigJson },
        };
        this.registerOutputs({ name: c.name, apiServer: c.apiServer, controlPlane: cpHost.name });
    }
}
