/**
 * Istio's names, labels and ports that more than one layer uses, in ONE leaf module: the charts' values, the
 * NetworkPolicies, the AuthorizationPolicies, the checks and the observability layer all read them from here.
 */
import { ownedNamespaces } from "./namespaces";

export const istioNamespace = ownedNamespaces.istio;
/** istiod's meshConfig.rootNamespace default: policies here apply mesh-wide (or, with a selector, in every namespace). */
export const rootNamespace = istioNamespace;
export const networkLabel = "topology.istio.io/network";
export const eastWestGatewayName = "istio-eastwestgateway";
export const ingressGatewayName = "istio-ingressgateway";
export const crossNetworkGatewayName = "cross-network-gateway";

/** security.istio.io/v1 and networking.istio.io/v1 are served by every pinned Istio (1.24.3 stores v1beta1, serves v1). */
export const securityApiVersion = "security.istio.io/v1";
export const networkingApiVersion = "networking.istio.io/v1";

/** Istio ports the mesh needs open (Istio "Ports used by Istio"). */
export const istioPorts = {
    /** istiod: xDS and certificate signing (mTLS). */
    xds: 15012,
    /** istiod: sidecar-injection and validation webhooks (Service port 443 → 15017). */
    webhook: 15017,
    /** istiod: Prometheus metrics. */
    istiodMetrics: 15014,
    /** Proxies: merged application + agent metrics (the prometheus.io/port Istio annotates). */
    mergedMetrics: 15020,
    /** Proxies: Envoy's own Prometheus endpoint. */
    envoyMetrics: 15090,
    /** Gateways: health (load balancers probe it). */
    status: 15021,
    /** East-west gateway: cross-network mTLS (AUTO_PASSTHROUGH). */
    crossNetwork: 15443,
} as const;

/** Port istiod expects network gateways on (mTLS AUTO_PASSTHROUGH). */
export const crossNetworkPort = istioPorts.crossNetwork;

/** Pod labels: istiod's (set by its chart), and the gateways' (set by our gateway values). */
export const istiodPodLabels = { app: "istiod" } as const;
export const gatewayPodLabels = {
    ingress: { istio: "ingressgateway", app: ingressGatewayName },
    eastWest: { istio: "eastwestgateway", app: eastWestGatewayName },
} as const;
export type GatewayKind = keyof typeof gatewayPodLabels;

/** Namespace of the istio-cni node agent: kube-system, already on the short `privileged` allow-list (core/podSecurity.ts). */
export const cniNamespace = "kube-system";

/** Platforms whose node layout Istio's cni chart knows (`files/profile-platform-<name>.yaml`; `gke` from 1.25 on). */
export const istioPlatforms = ["gke", "k3d", "k3s", "microk8s", "minikube", "openshift"] as const;
export type IstioPlatform = (typeof istioPlatforms)[number];
