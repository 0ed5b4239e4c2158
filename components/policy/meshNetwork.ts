/**
 * The NetworkPolicies of the namespaces the mesh layer creates (istio-system, the ingress namespace): default deny in each, then exactly the holes the mesh needs. Pure: tests check every rule.
 *
 * Addresses: a cluster's own API server as its `default/kubernetes` endpoints (and the kubeadm advertise address), as
 * /32; another cluster's by its URL (/32 for an IP; `0.0.0.0/0` limited to the port for a DNS name, for istiod only).
 * Webhook ports take any source (the API server's source address differs per platform and cannot be pinned).
 */

import { allowEastWestGatewayIngress, allowIngressGatewayIngress, allowIstiodEgress, allowIstiodIngress } from "./network";
import { istioNamespace, gatewayPodLabels, istioPorts, istiodPodLabels } from "../core/istio";
import {
    Endpoint,
    NetworkPolicy,
    NetworkPolicyPeer,
    allowApiServerEgress,
    allowDnsEgress,
    anyAddress,
    apiServerEndpoint,
    defaultDeny,
    podPolicy,
    uniqueEndpoints,
} from "../core/networkPolicy";

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
    const apiServers = uniqueEndpoints([
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
        podPolicy("allow-eastwest-gateway-egress", istioNamespace, eastWest, { egress: [{ to: [anyPod], ports: [] }] }),
        defaultDeny(istioNamespace),
        // the ingress gateway's namespace
        allowDnsEgress(input.ingressNamespace),
        allowIstiodEgress(input.ingressNamespace),
        allowIngressGatewayIngress(input.ingressNamespace),
        // Routes decide where requests go (VirtualServices); the pods' AuthorizationPolicies decide whether they may.
        // Endpoints in other networks are their east-west gateways' external addresses, on 15443 only.
        podPolicy("allow-ingress-gateway-egress", input.ingressNamespace, ingressGateway, {
            egress: [
                { to: [anyPod], ports: [] },
                { to: [{ ipBlock: { cidr: anyAddress } }], ports: [{ protocol: "TCP", port: istioPorts.crossNetwork }] },
            ],
        }),
        defaultDeny(input.ingressNamespace),
    ];
}
