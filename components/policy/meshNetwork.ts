/**
 * The NetworkPolicies of the namespaces the platform and mesh layers create (istio-system, the ingress namespace,
 * metallb-system): default deny in each, then exactly the holes the mesh needs. Pure: tests check every rule.
 *
 * Addresses: a cluster's own API server as its `default/kubernetes` endpoints (and the kubeadm advertise address), as
 * /32; another cluster's by its URL (/32 for an IP; `0.0.0.0/0` limited to the port for a DNS name, for istiod only).
 * Webhook ports take any source (the API server's source address differs per platform and cannot be pinned).
 */
import { istioNamespace } from "../mesh/values";
import {
    Endpoint,
    NetworkPolicy,
    NetworkPolicyPeer,
    allowApiServerEgress,
    allowDnsEgress,
    allowEastWestGatewayIngress,
    allowIngressGatewayIngress,
    allowIstiodEgress,
    allowIstiodIngress,
    defaultDeny,
    gatewayPodLabels,
    istioPorts,
    istiodPodLabels,
} from "./network";

/** The whole IPv4 space: only ever combined with a single port and a single workload. */
export const anyAddress = "0.0.0.0/0";

/** MetalLB controller pods (chart labels) and its webhook port (container port `webhook-server`). */
export const metallbControllerLabels = { "app.kubernetes.io/name": "metallb", "app.kubernetes.io/component": "controller" } as const;
export const metallbWebhookPort = 9443;

/** An API server as the program knows it: its URL (host may be a name or an IPv4 address). */
export function apiServerEndpoint(url: string): Endpoint {
    const u = new URL(url);
    const port = Number(u.port || "443");
    const isIpv4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(u.hostname);
    return { address: isIpv4 ? `${u.hostname}/32` : anyAddress, port };
}

/** Endpoints without duplicates (several clusters may share `0.0.0.0/0:443`). */
function unique(endpoints: readonly Endpoint[]): Endpoint[] {
    const seen = new Set<string>();
    return endpoints.filter((e) => {
        const key = `${e.address}:${e.port}`;
        return seen.has(key) ? false : (seen.add(key), true);
    });
}

function rule(
    name: string,
    namespace: string,
    podLabels: Record<string, string>,
    spec: Pick<NetworkPolicy["spec"], "ingress" | "egress">,
): NetworkPolicy {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name, namespace },
        spec: {
            podSelector: { matchLabels: podLabels },
            policyTypes: [...(spec.ingress ? ["Ingress" as const] : []), ...(spec.egress ? ["Egress" as const] : [])],
            ...spec,
        },
    };
}

/** Any pod of the cluster (every namespace), not addresses outside the pod network. */
const anyPod: NetworkPolicyPeer = { namespaceSelector: {} };

export interface MeshNetworkInput {
    readonly ingressNamespace: string;
    /**
     * This cluster's API server as pods reach it: the endpoints of the `default/kubernetes` Service (what the policy
     * sees after Service translation), plus any known statically (kubeadm: the advertise address).
     */
    readonly localApiServers: readonly Endpoint[];
    /** API server URLs of the OTHER clusters of this stack, which istiod dials with its remote secrets. */
    readonly remoteApiServers: readonly string[];
    /** Remote clusters of other stacks exist (their API addresses are only in secret kubeconfigs): allow 443/6443. */
    readonly hasExternalPeers: boolean;
}

/**
 * istio-system: istiod (xDS/CA 15012 from every pod, webhooks 15017, egress to the API servers) and the east-west
 * gateway (15443/15021 from anywhere, egress to the pods it forwards to); the ingress namespace: the ingress gateway
 * (443/80/15021 from anywhere, egress to pods and, for endpoints in other networks, to their east-west gateways on
 * 15443). DNS and istiod for all of them.
 */
export function meshNetworkPolicies(input: MeshNetworkInput): NetworkPolicy[] {
    const apiServers = unique([
        ...input.localApiServers,
        ...input.remoteApiServers.map(apiServerEndpoint),
        ...(input.hasExternalPeers ? [443, 6443].map((port) => ({ address: anyAddress, port })) : []),
    ]);
    const ingressGateway = { ...gatewayPodLabels.ingress };
    const eastWest = { ...gatewayPodLabels.eastWest };
    return [
        // istio-system
        allowDnsEgress(istioNamespace),
        allowIstiodEgress(istioNamespace),
        // The webhook port is open to any source: see allowIstiodIngress for why the caller cannot be pinned.
        allowIstiodIngress(),
        allowApiServerEgress({ namespace: istioNamespace, podLabels: { ...istiodPodLabels }, apiServers }),
        allowEastWestGatewayIngress(),
        // The east-west gateway forwards cross-network mTLS to local pods on their own (unknown) ports.
        rule("allow-eastwest-gateway-egress", istioNamespace, eastWest, { egress: [{ to: [anyPod], ports: [] }] }),
        defaultDeny(istioNamespace),
        // the ingress gateway's namespace
        allowDnsEgress(input.ingressNamespace),
        allowIstiodEgress(input.ingressNamespace),
        allowIngressGatewayIngress(input.ingressNamespace),
        // Routes decide where requests go (VirtualServices); the pods' AuthorizationPolicies decide whether they may.
        // Endpoints in other networks are their east-west gateways' external addresses, on 15443 only.
        rule("allow-ingress-gateway-egress", input.ingressNamespace, ingressGateway, {
            egress: [
                { to: [anyPod], ports: [] },
                { to: [{ ipBlock: { cidr: anyAddress } }], ports: [{ protocol: "TCP", port: istioPorts.crossNetwork }] },
            ],
        }),
        defaultDeny(input.ingressNamespace),
    ];
}

export interface MetallbNetworkInput {
    readonly namespace: string;
    /** The API server as the controller reaches it (the advertise address on kubeadm). */
    readonly apiServers: readonly Endpoint[];
}

/**
 * metallb-system: the controller's webhook (9443, any source: see allowIstiodIngress) and its egress to the API
 * server. The speaker runs on the host network, where NetworkPolicy does not apply.
 */
export function metallbNetworkPolicies(input: MetallbNetworkInput): NetworkPolicy[] {
    const controller = { ...metallbControllerLabels };
    return [
        allowDnsEgress(input.namespace),
        rule("allow-controller-webhook", input.namespace, controller, {
            ingress: [{ ports: [{ protocol: "TCP", port: metallbWebhookPort }] }],
        }),
        allowApiServerEgress({ namespace: input.namespace, podLabels: controller, apiServers: input.apiServers }),
        defaultDeny(input.namespace),
    ];
}

/** The default deny of a namespace is created last: until then its allows exist and nothing is cut off mid-way. */
export function isDefaultDeny(p: NetworkPolicy): boolean {
    return p.metadata.name === "default-deny";
}
