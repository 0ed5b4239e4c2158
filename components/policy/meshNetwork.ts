/**
 * The NetworkPolicies of the namespaces the mesh layer creates (istio-system, the ingress namespace): default deny in each, then exactly the holes the mesh needs. Pure: tests check every rule.
 *
 * Addresses: a cluster's own API server as its `default/kubernetes` endpoints (and the kubeadm advertise address), as
 * /32; another cluster's by its URL (/32 for an IP; `0.0.0.0/0` limited to the port for a DNS name, for istiod only).
 * Webhook ports take any source (the API server's source address differs per platform and cannot be pinned).
 */

import {
    Destination,
    allowEastWestGatewayIngress,
    allowGatewayEgress,
    allowIngressGatewayIngress,
    allowIstiodEgress,
    allowIstiodIngress,
} from "./network";
import { istioNamespace, istioPorts, istiodPodLabels } from "../core/istio";
import {
    Endpoint,
    NetworkPolicy,
    allowApiServerEgress,
    allowDnsEgress,
    anyAddress,
    apiServerEndpoint,
    defaultDeny,
    ipBlock,
    tcp,
    uniqueEndpoints,
} from "../core/networkPolicy";

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
    /**
     * Where each gateway forwards, as derived from the policies that admit it (policy/network.ts gatewayDestinations):
     * the ingress gateway to its routes' backends, the east-west gateway to the mesh services other networks call.
     */
    readonly gatewayDestinations: { readonly ingress: readonly Destination[]; readonly eastWest: readonly Destination[] };
    /** The other networks' east-west gateways as blocks (core/networkPolicy.ts crossNetworkBlocks); empty: none. */
    readonly remoteGatewayBlocks: readonly string[];
}

/**
 * istio-system: istiod (xDS/CA 15012 from every pod, webhooks 15017, egress to the API servers) and the east-west
 * gateway (15443/15021 from anywhere, egress to exactly the pods and ports it forwards to); the ingress namespace: the
 * ingress gateway (443/80/15021 from anywhere, egress to its backends' pods on their ports and, for endpoints in
 * other networks, to those networks' east-west gateways on 15443). DNS and istiod for all of them.
 */
export function meshNetworkPolicies(input: MeshNetworkInput): NetworkPolicy[] {
    const apiServers = uniqueEndpoints([
        ...input.localApiServers,
        ...input.remoteApiServers.map(apiServerEndpoint),
        ...(input.hasExternalPeers ? [443, 6443].map((port) => ({ address: anyAddress, port })) : []),
    ]);
    const ingressEgress = allowGatewayEgress("ingress", input.gatewayDestinations.ingress, input.ingressNamespace);
    // Endpoints in other networks are their east-west gateways' external addresses, on 15443 only.
    const crossNetwork = input.remoteGatewayBlocks.map((b, i) => ipBlock(`remoteGatewayBlocks[${i}]`, b));
    return [
        // istio-system
        allowDnsEgress(istioNamespace),
        allowIstiodEgress(istioNamespace),
        // The webhook port is open to any source: see allowIstiodIngress for why the caller cannot be pinned.
        allowIstiodIngress(),
        allowApiServerEgress({ namespace: istioNamespace, podLabels: { ...istiodPodLabels }, apiServers }),
        allowEastWestGatewayIngress(),
        // Cross-network mTLS is forwarded by SNI to the local pods of the mesh services other networks call.
        allowGatewayEgress("eastWest", input.gatewayDestinations.eastWest, istioNamespace),
        defaultDeny(istioNamespace),
        // the ingress gateway's namespace
        allowDnsEgress(input.ingressNamespace),
        allowIstiodEgress(input.ingressNamespace),
        allowIngressGatewayIngress(input.ingressNamespace),
        // Routes decide where requests go (VirtualServices); the pods' AuthorizationPolicies decide whether they may.
        crossNetwork.length === 0
            ? ingressEgress
            : {
                  ...ingressEgress,
                  spec: {
                      ...ingressEgress.spec,
                      egress: [...(ingressEgress.spec.egress ?? []), { to: crossNetwork, ports: tcp(istioPorts.crossNetwork) }],
                  },
              },
        defaultDeny(input.ingressNamespace),
    ];
}
