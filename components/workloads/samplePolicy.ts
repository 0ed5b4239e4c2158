/**
 * The samples' zero-trust policy as pure renderers: their NetworkPolicies (network tier) and the ALLOW
 * AuthorizationPolicies naming exactly the identities that may call them (identity tier).
 */
import { allowFrom, AuthorizationPolicy, principal } from "../policy/mesh";
import { Destination, allowCrossNetworkEgress, allowFromGateway, allowIstiodEgress, gatewayDestinations } from "../policy/network";
import { ingressGatewayName, istioNamespace } from "../core/istio";
import { allowAppTraffic, allowDnsEgress, defaultDeny, NetworkPolicy } from "../core/networkPolicy";
import { sampleNamespace, samplePorts } from "./samples";

export interface SampleNetworkInput {
    /** Namespace of the ingress gateway (its pods call httpbin). */
    readonly ingressNamespace: string;
    /** East-west gateway blocks of the OTHER networks (cross-network calls go there on 15443): crossNetworkBlocks. */
    readonly remoteGatewayAddresses: readonly string[];
}

/**
 * NetworkPolicies of `sample`, mirroring the AuthorizationPolicies below one layer down: curl → helloworld on 5000
 * (locally, or from the other networks through the east-west gateway), the ingress gateway → httpbin on 8080.
 */
export function sampleNetworkPolicies(input: SampleNetworkInput): NetworkPolicy[] {
    return [
        defaultDeny(sampleNamespace),
        allowDnsEgress(sampleNamespace),
        allowIstiodEgress(sampleNamespace),
        allowAppTraffic(sampleNamespace, [samplePorts.helloworld]),
        // Other networks reach helloworld, and httpbin (every cluster runs one behind the same name, so an ingress
        // gateway balances across networks), through this cluster's east-west gateway.
        allowFromGateway({
            namespace: sampleNamespace,
            gateway: "eastWest",
            gatewayNamespace: istioNamespace,
            ports: [samplePorts.helloworld, samplePorts.httpbin],
        }),
        allowFromGateway({
            namespace: sampleNamespace,
            gateway: "ingress",
            gatewayNamespace: input.ingressNamespace,
            ports: [samplePorts.httpbin],
            podLabels: { app: "httpbin" },
        }),
        ...(input.remoteGatewayAddresses.length > 0 ? [allowCrossNetworkEgress(sampleNamespace, input.remoteGatewayAddresses)] : []),
    ];
}

/**
 * Where each gateway forwards into `sample`, read from the policies above that admit it: the ingress gateway to
 * httpbin's pods on 8080, the east-west gateway to helloworld and httpbin on their ports (the gateways' egress).
 */
export function sampleGatewayDestinations(ingressNamespace: string): { ingress: Destination[]; eastWest: Destination[] } {
    const policies = sampleNetworkPolicies({ ingressNamespace, remoteGatewayAddresses: [] });
    return {
        ingress: gatewayDestinations(policies, "ingress", ingressNamespace),
        eastWest: gatewayDestinations(policies, "eastWest", istioNamespace),
    };
}

/**
 * The only calls allowed into `sample` (on top of the mesh-wide allow-nothing): the curl client's identity may GET
 * /hello from helloworld on 5000, and the ingress gateway's identity may call httpbin (container port 8080). The same
 * trust domain spans all clusters, so curl in any cluster is covered, and nothing else is.
 */
export function sampleAuthorizationPolicies(trustDomain: string, ingressNamespace: string): AuthorizationPolicy[] {
    return [
        allowFrom({
            name: "helloworld",
            namespace: sampleNamespace,
            selector: { app: "helloworld" },
            principals: [principal(trustDomain, sampleNamespace, "curl")],
            ports: [String(samplePorts.helloworld)],
            methods: ["GET"],
            paths: ["/hello"],
        }),
        allowFrom({
            name: "httpbin",
            namespace: sampleNamespace,
            selector: { app: "httpbin" },
            // The gateway chart names the service account after the release (components/mesh/values.ts).
            principals: [principal(trustDomain, ingressNamespace, ingressGatewayName)],
            ports: [String(samplePorts.httpbin)],
        }),
    ];
}
