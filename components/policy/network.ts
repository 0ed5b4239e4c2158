/**
 * Network tier of the zero-trust policy, the mesh's part: NetworkPolicies that open exactly what Istio needs (istiod,
 * the gateways, cross-network, metrics). Every namespace the program creates gets `defaultDeny` plus only named allows
 * (core/networkPolicy.ts); Istio's mTLS and AuthorizationPolicy then decide per identity on top (NIST SP 800-207A:
 * network-tier and identity-tier policy).
 */
import { GatewayKind, gatewayPodLabels, istioNamespace, istioPorts, istiodPodLabels } from "../core/istio";
import {
    NetworkPolicy,
    NetworkPolicyPeer,
    appPorts,
    inNamespace,
    ipBlock,
    namespaceNameLabel,
    networkPolicy,
    tcp,
} from "../core/networkPolicy";
import { dnsLabel, nonEmpty } from "../core/validate";

/** Sidecars and gateways fetch configuration (xDS) and their certificates from istiod on 15012. */
export function allowIstiodEgress(namespace: string): NetworkPolicy {
    return networkPolicy(
        "allow-istiod-egress",
        namespace,
        {},
        { egress: [{ to: [inNamespace(istioNamespace, istiodPodLabels)], ports: tcp(istioPorts.xds) }] },
    );
}

export interface IstiodIngressArgs {
    /**
     * Where the API server calls the webhooks from, when that is known and stable; absent: the port is open to any
     * source. The caller differs per platform — the local host, another node's cilium_host address, a konnectivity
     * agent POD on AKS/GKE — and an ipBlock can match none of the latter on Cilium, so an unknown caller must not be
     * guessed: the webhook is TLS-served and only the API server uses it.
     */
    readonly apiServerSources?: readonly string[];
}

/**
 * istiod (in istio-system): xDS/CA on 15012 from any pod of the cluster (every meshed namespace); the injection and
 * validation webhooks on 15017. Without the webhook rule pod creation in injected namespaces fails closed (the
 * injection webhook's failurePolicy is Fail).
 */
export function allowIstiodIngress(args: IstiodIngressArgs = {}): NetworkPolicy {
    const sources = (args.apiServerSources ?? []).map((s, i) => ipBlock(`apiServerSources[${i}]`, s));
    return networkPolicy(
        "allow-istiod-ingress",
        istioNamespace,
        { matchLabels: { ...istiodPodLabels } },
        {
            ingress: [
                { from: [{ namespaceSelector: {} }], ports: tcp(istioPorts.xds) },
                sources.length > 0 ? { from: sources, ports: tcp(istioPorts.webhook) } : { ports: tcp(istioPorts.webhook) },
            ],
        },
    );
}

/**
 * East-west gateway: 15443 from anywhere (it is the entry point for the other networks' sidecars; mTLS with the
 * shared root authenticates them) and 15021 for load-balancer health checks. The Service also lists 15012/15017 (the
 * chart hard-codes them for primary-remote); multi-primary does not use them, so they stay closed here.
 */
export function allowEastWestGatewayIngress(): NetworkPolicy {
    return networkPolicy(
        "allow-eastwest-gateway-ingress",
        istioNamespace,
        { matchLabels: { ...gatewayPodLabels.eastWest } },
        {
            ingress: [{ ports: tcp(istioPorts.crossNetwork, istioPorts.status) }],
        },
    );
}

/**
 * Ingress gateway (in its own namespace): HTTPS 443 from anywhere, 80 only because its Gateway server answers every
 * plain-HTTP request with a redirect to HTTPS, and 15021 for health checks. The gateway chart (1.24-1.30) binds 80/443
 * itself (Service targetPort = port, unprivileged-port sysctl), so these are the pod's ports as well.
 */
export function allowIngressGatewayIngress(gatewayNamespace: string): NetworkPolicy {
    return networkPolicy(
        "allow-ingress-gateway-ingress",
        gatewayNamespace,
        { matchLabels: { ...gatewayPodLabels.ingress } },
        {
            ingress: [{ ports: tcp(443, 80, istioPorts.status) }],
        },
    );
}

export interface Destination {
    readonly namespace: string;
    /** Pod (container) ports. */
    readonly ports: readonly number[];
    /** Pods within the namespace; default all. */
    readonly podLabels?: Readonly<Record<string, string>>;
}

/**
 * A gateway's egress to the application pods it forwards to (after routing, the gateway dials pod IP:targetPort).
 * `gatewayNamespace`: istio-system for the east-west gateway, the ingress namespace for the ingress gateway.
 */
export function allowGatewayEgress(gateway: GatewayKind, destinations: readonly Destination[], gatewayNamespace: string): NetworkPolicy {
    const egress = nonEmpty("destinations", destinations).map((d, i) => ({
        to: [inNamespace(dnsLabel(`destinations[${i}].namespace`, d.namespace), d.podLabels)],
        ports: tcp(...appPorts(`destinations[${i}].ports`, d.ports)),
    }));
    const name = gateway === "ingress" ? "allow-ingress-gateway-egress" : "allow-eastwest-gateway-egress";
    return networkPolicy(name, gatewayNamespace, { matchLabels: { ...gatewayPodLabels[gateway] } }, { egress });
}

const sameLabels = (a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean =>
    a !== undefined && Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

const isGatewayPeer = (peer: NetworkPolicyPeer, gateway: GatewayKind, gatewayNamespace: string): boolean =>
    peer.ipBlock === undefined &&
    peer.namespaceSelector?.matchLabels?.[namespaceNameLabel] === gatewayNamespace &&
    Object.keys(peer.namespaceSelector.matchLabels).length === 1 &&
    sameLabels(peer.podSelector?.matchLabels, gatewayPodLabels[gateway]);

/**
 * What a gateway forwards to, read from the rendered policies that let it in: every ingress rule whose sources are
 * exactly that gateway's pods gives one destination (the policy's namespace and pods, the rule's ports). The
 * gateway's egress then mirrors the holes made for it (allowFromGateway), so a backend added on one side is added
 * on the other, and nothing else — no other namespace, no other port — is reachable from the gateway.
 */
export function gatewayDestinations(policies: readonly NetworkPolicy[], gateway: GatewayKind, gatewayNamespace: string): Destination[] {
    return policies.flatMap((p) =>
        (p.spec.ingress ?? [])
            .filter((r) => (r.from ?? []).length > 0 && (r.from ?? []).every((peer) => isGatewayPeer(peer, gateway, gatewayNamespace)))
            .map((r) => ({
                namespace: p.metadata.namespace,
                ports: r.ports.map((x) => x.port),
                ...(p.spec.podSelector.matchLabels ? { podLabels: { ...p.spec.podSelector.matchLabels } } : {}),
            })),
    );
}

export interface FromGatewayArgs {
    readonly namespace: string;
    readonly gateway: GatewayKind;
    /** Where that gateway runs: istio-system (east-west) or the ingress namespace. */
    readonly gatewayNamespace: string;
    readonly ports: readonly number[];
    /** Pods the gateway may reach; default every pod of the namespace. */
    readonly podLabels?: Readonly<Record<string, string>>;
}

/** Application pods accept the gateway's (mTLS) connections on their ports: the ingress path, or cross-network calls. */
export function allowFromGateway(args: FromGatewayArgs): NetworkPolicy {
    const name = args.gateway === "ingress" ? "allow-from-ingress-gateway" : "allow-from-eastwest-gateway";
    return networkPolicy(name, args.namespace, args.podLabels ? { matchLabels: { ...args.podLabels } } : {}, {
        ingress: [
            {
                from: [inNamespace(dnsLabel("gatewayNamespace", args.gatewayNamespace), gatewayPodLabels[args.gateway])],
                ports: tcp(...appPorts("ports", args.ports)),
            },
        ],
    });
}

/**
 * Sidecars reach services in the other networks through those networks' east-west gateways (their external
 * addresses, port 15443); the remote gateway forwards to the pod by SNI.
 */
export function allowCrossNetworkEgress(namespace: string, remoteGatewayAddresses: readonly string[]): NetworkPolicy {
    const to = nonEmpty("remoteGatewayAddresses", remoteGatewayAddresses).map((a, i) => ipBlock(`remoteGatewayAddresses[${i}]`, a));
    return networkPolicy("allow-cross-network-egress", namespace, {}, { egress: [{ to, ports: tcp(istioPorts.crossNetwork) }] });
}

/**
 * Prometheus in `monitoringNamespace` (only its pods with `scraperPodLabels`, when given) scrapes the proxies on 15020
 * (merged agent + Envoy + app metrics: Envoy's own 15090 would repeat the same series) and, in istio-system, istiod
 * (15014). Nothing else of the monitoring stack gets in.
 */
export function allowMetricsScrape(
    namespace: string,
    monitoringNamespace: string,
    scraperPodLabels?: Readonly<Record<string, string>>,
): NetworkPolicy {
    const ports = namespace === istioNamespace ? [istioPorts.mergedMetrics, istioPorts.istiodMetrics] : [istioPorts.mergedMetrics];
    return networkPolicy(
        "allow-metrics-scrape",
        namespace,
        {},
        {
            ingress: [
                { from: [inNamespace(dnsLabel("monitoringNamespace", monitoringNamespace), scraperPodLabels)], ports: tcp(...ports) },
            ],
        },
    );
}
