/**
 * The NetworkPolicies of the namespaces the platform and mesh layers create (istio-system, the ingress namespace,
 * metallb-system): default deny in each, then exactly the holes the mesh needs. Pure: tests check every rule.
 *
 * Addresses the program cannot know (an API server behind a DNS name, the webhook callers of a managed control plane)
 * become `0.0.0.0/0` limited to the port, for the one workload that needs it; known ones (bare metal) are /32.
 */
import { istioNamespace } from "../mesh/values";
import {
    Endpoint,
    NetworkPolicy,
    NetworkPolicyPeer,
    allowApiServerEgress,
    allowDnsEgress,
    allowEastWestGatewayIngress,
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
    /** API servers istiod talks to: its own cluster's and every cluster whose remote secret it holds. */
    readonly apiServers: readonly string[];
    /** Where this cluster's API server calls webhooks from (CIDRs or addresses); `0.0.0.0/0` when unknown. */
    readonly webhookSources: readonly string[];
    /** Remote clusters of other stacks exist (their API addresses are only in secret kubeconfigs): allow 443/6443. */
    readonly hasExternalPeers: boolean;
}

/**
 * istio-system: istiod (xDS/CA 15012 from every pod, webhooks 15017 from the API server, egress to the API servers)
 * and the east-west gateway (15443/15021 from anywhere, egress to the pods it forwards to); the ingress namespace:
 * the ingress gateway (443/80/15021 from anywhere, egress to the pods it routes to). DNS and istiod for all of them.
 */
export function meshNetworkPolicies(input: MeshNetworkInput): NetworkPolicy[] {
    const apiServers = unique([
        ...input.apiServers.map(apiServerEndpoint),
        ...(input.hasExternalPeers ? [443, 6443].map((port) => ({ address: anyAddress, port })) : []),
    ]);
    const ingressGateway = { ...gatewayPodLabels.ingress };
    const eastWest = { ...gatewayPodLabels.eastWest };
    return [
        // istio-system
        allowDnsEgress(istioNamespace),
        allowIstiodEgress(istioNamespace),
        allowIstiodIngress({ apiServerSources: input.webhookSources }),
        allowApiServerEgress({ namespace: istioNamespace, podLabels: { ...istiodPodLabels }, apiServers }),
        allowEastWestGatewayIngress(),
        // The east-west gateway forwards cross-network mTLS to local pods on their own (unknown) ports.
        rule("allow-eastwest-gateway-egress", istioNamespace, eastWest, { egress: [{ to: [anyPod], ports: [] }] }),
        defaultDeny(istioNamespace),
        // the ingress gateway's namespace
        allowDnsEgress(input.ingressNamespace),
        allowIstiodEgress(input.ingressNamespace),
        rule("allow-ingress-gateway-ingress", input.ingressNamespace, ingressGateway, {
            ingress: [{ ports: [443, 80, istioPorts.status].map((port) => ({ protocol: "TCP" as const, port })) }],
        }),
        // Routes decide where requests go (VirtualServices); the pods' AuthorizationPolicies decide whether they may.
        rule("allow-ingress-gateway-egress", input.ingressNamespace, ingressGateway, { egress: [{ to: [anyPod], ports: [] }] }),
        defaultDeny(input.ingressNamespace),
    ];
}

export interface MetallbNetworkInput {
    readonly namespace: string;
    /** This cluster's API server URL (the controller watches it). */
    readonly apiServer: string;
    /** Where the API server calls the validating webhook from. */
    readonly webhookSources: readonly string[];
}

/**
 * metallb-system: the controller's webhook (9443) from the API server and its egress to the API server. The speaker
 * runs on the host network, where NetworkPolicy does not apply.
 */
export function metallbNetworkPolicies(input: MetallbNetworkInput): NetworkPolicy[] {
    const controller = { ...metallbControllerLabels };
    return [
        allowDnsEgress(input.namespace),
        rule("allow-controller-webhook", input.namespace, controller, {
            ingress: [
                {
                    from: input.webhookSources.map((cidr) => ({ ipBlock: { cidr: cidr.includes("/") ? cidr : `${cidr}/32` } })),
                    ports: [{ protocol: "TCP", port: metallbWebhookPort }],
                },
            ],
        }),
        allowApiServerEgress({ namespace: input.namespace, podLabels: controller, apiServers: [apiServerEndpoint(input.apiServer)] }),
        defaultDeny(input.namespace),
    ];
}

/** The default deny of a namespace is created last: until then its allows exist and nothing is cut off mid-way. */
export function isDefaultDeny(p: NetworkPolicy): boolean {
    return p.metadata.name === "default-deny";
}
