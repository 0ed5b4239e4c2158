import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LoadBalancerKind } from "../config/model";
import type { Endpoint } from "../core/networkPolicy";

import type { IstioPlatform } from "../core/istio";

/**
 * What the mesh layer needs from a cluster this stack deploys into, whatever created it
 * (kubeconfig from config, kubeadm on bare metal, a simulated control plane).
 */
export interface ClusterHandle {
    readonly name: string;
    readonly network: string;
    /** Explicit provider for everything in this cluster (the default provider is disabled). */
    readonly provider: k8s.Provider;
    /** The admin kubeconfig the provider uses (secret): for the live checks `pulumi up` runs after deploying. */
    readonly adminKubeconfig: pulumi.Output<string>;
    /** API server URL the other clusters' istiod dial (never loopback). */
    readonly apiServer: pulumi.Input<string>;
    /**
     * How LoadBalancer Services get addresses, annotations the east-west Service needs for that, and who may reach it
     * (`loadBalancerSourceRanges`; empty: no restriction).
     */
    readonly loadBalancer: {
        readonly kind: LoadBalancerKind;
        readonly serviceAnnotations: Readonly<Record<string, string>>;
        /** Annotations of the ingress gateway's LoadBalancer Service (a created cloud cluster's); default none. */
        readonly ingressServiceAnnotations?: Readonly<Record<string, string>>;
        readonly sourceRanges: readonly string[];
    };
    /** Resources that must be complete before workloads run here (CNI, load balancer); may be empty. */
    readonly ready: readonly pulumi.Resource[];
    /**
     * This cluster's API server as pods reach it after the `kubernetes` Service is translated, for NetworkPolicies,
     * each a single address: kubeadm's advertise address:6443 (Cilium never matches a node with 0.0.0.0/0); on cloud
     * the addresses of the `default/kubernetes` EndpointSlice, read at deploy time; on the sim the URL's loopback.
     */
    readonly apiServerEndpoints: pulumi.Output<readonly Endpoint[]>;
    /** Istio's name for the cluster's platform when its node layout differs (e.g. `gke`), for the istio-cni agent. */
    readonly istioPlatform?: IstioPlatform;
    /** The private registry this cluster pulls from (bare metal), for `kubernetes.io/dockerconfigjson` pull secrets. */
    readonly registry?: { readonly server: string; readonly dockerConfigJson: pulumi.Output<string> };
}

/** A cluster owned by another stack that joins this mesh: we only write its remote secret into ours. */
export interface PeerClusterHandle {
    readonly name: string;
    readonly network: string;
    /** The stack that owns it. */
    readonly stack: string;
    /** Its Istio reader kubeconfig (secret), exported by the owning stack. */
    readonly readerKubeconfig: pulumi.Output<string>;
}
