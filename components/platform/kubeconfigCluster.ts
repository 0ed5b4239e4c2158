import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config/model";
import { Sensitive } from "../config/sensitive";
import { ClusterHandle } from "./handle";

export interface KubeconfigClusterArgs {
    /** The validated cluster entry (its kubeconfig stays a secret). */
    readonly cluster: ClusterConfig;
    /** Its admin kubeconfig. */
    readonly kubeconfig: Sensitive;
}

/** An existing cluster reached through an admin kubeconfig held as a secret (AKS, GKE, any kubeadm). */
export class KubeconfigCluster extends pulumi.ComponentResource {
    public readonly handle: ClusterHandle;

    constructor(name: string, args: KubeconfigClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:platform:KubeconfigCluster", name, {}, opts);
        const c = args.cluster;
        const kubeconfig = args.kubeconfig.output();
        const provider = new k8s.Provider(
            `${name}-provider`,
            {
                kubeconfig,
                // Never fall back to ambient context or namespace: every object names its namespace.
                namespace: "default",
            },
            { parent: this },
        );
        this.handle = {
            name: c.name,
            network: c.network,
            provider,
            adminKubeconfig: kubeconfig,
            apiServer: c.apiServer,
            loadBalancer: { kind: c.loadBalancer, serviceAnnotations: c.eastWestServiceAnnotations },
            ready: [],
            ...(c.istioPlatform !== undefined ? { istioPlatform: c.istioPlatform } : {}),
            // A managed API server's address (behind the kubernetes Service) is not known here, and may differ from the
            // kubeconfig's URL (private endpoints): port 443, any address, for istiod only. It lies outside the
            // cluster, so the whole-space block matches it on every CNI (it never matches nodes on Cilium).
            apiServerEndpoints: [{ address: "0.0.0.0/0", port: 443 }],
        };
        this.registerOutputs({ name: c.name, network: c.network, apiServer: c.apiServer });
    }
}
