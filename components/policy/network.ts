/**
 * Network tier of the zero-trust policy: NetworkPolicy (networking.k8s.io/v1) renderers and Pod Security Admission
 * labels. Every namespace the program creates gets `defaultDeny` plus only the named allows below; Istio's mTLS and
 * AuthorizationPolicy then decide per identity on top (NIST SP 800-207A: network-tier and identity-tier policy).
 *
 * NetworkPolicy sees pod-to-pod packets after Service translation: ports are the pods' (target) ports and addresses
 * the real endpoints, never a ClusterIP. Traffic from a pod's own node into the pod (kubelet probes, including the
 * ones Istio rewrites to the agent on 15020/15021) is always allowed by the Kubernetes NetworkPolicy model.
 *
 * Host-network sources and destinations (the API server, other nodes) cannot be selected by pod or namespace labels,
 * only by `ipBlock`. On Cilium an ipBlock matches cluster node addresses only with `policyCIDRMatchMode: nodes`
 * (Helm value, Cilium >= 1.15), and a 0.0.0.0/0 block never matches a node even then (cilium#47827): name nodes by /32.
 * NetworkPolicy guarantees traffic from a node INTO its pods (probes); traffic from a pod to its node needs a rule.
 */
import type * as k8s from "@pulumi/kubernetes";
import { eastWestGatewayName, ingressGatewayName, istioNamespace } from "../mesh/values";
import { cidr, dnsLabel, nonEmpty, port } from "./validate";

export const namespaceNameLabel = "kubernetes.io/metadata.name";

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

/** Pod labels set by the charts: istiod's own, and the gateways' from components/mesh/values.ts. */
export const istiodPodLabels = { app: "istiod" } as const;
export const gatewayPodLabels = {
    ingress: { istio: "ingressgateway", app: ingressGatewayName },
    eastWest: { istio: "eastwestgateway", app: eastWestGatewayName },
} as const;
export type GatewayKind = keyof typeof gatewayPodLabels;

export interface LabelSelector {
    readonly matchLabels?: Readonly<Record<string, string>>;
}

export interface NetworkPolicyPeer {
    readonly podSelector?: LabelSelector;
    readonly namespaceSelector?: LabelSelector;
    readonly ipBlock?: { readonly cidr: string };
}

export interface NetworkPolicyPort {
    readonly protocol: "TCP" | "UDP";
    readonly port: number;
}

export interface IngressRule {
    /** Absent: from anywhere. */
    readonly from?: NetworkPolicyPeer[];
    readonly ports: NetworkPolicyPort[];
}

export interface EgressRule {
    readonly to: NetworkPolicyPeer[];
    readonly ports: NetworkPolicyPort[];
}

export interface NetworkPolicy {
    readonly apiVersion: "networking.k8s.io/v1";
    readonly kind: "NetworkPolicy";
    readonly metadata: { readonly name: string; readonly namespace: string };
    readonly spec: {
        readonly podSelector: LabelSelector;
        readonly policyTypes: ("Ingress" | "Egress")[];
        readonly ingress?: IngressRule[];
        readonly egress?: EgressRule[];
    };
}

/** An address outside the pod network: an IP (→ /32) or CIDR, and the TCP port it serves. */
export interface Endpoint {
    readonly address: string;
    readonly port: number;
}

function policy(
    name: string,
    namespace: string,
    podSelector: LabelSelector,
    rules: { readonly ingress?: IngressRule[]; readonly egress?: EgressRule[] },
): NetworkPolicy {
    const policyTypes = [...(rules.ingress ? ["Ingress" as const] : []), ...(rules.egress ? ["Egress" as const] : [])];
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name, namespace: dnsLabel("namespace", namespace) },
        spec: {
            podSelector: { ...podSelector },
            policyTypes,
            ...(rules.ingress ? { ingress: rules.ingress } : {}),
            ...(rules.egress ? { egress: rules.egress } : {}),
        },
    } satisfies k8s.types.input.networking.v1.NetworkPolicy;
}

const tcp = (...ports: number[]): NetworkPolicyPort[] => ports.map((p) => ({ protocol: "TCP", port: p }));
const inNamespace = (namespace: string, podLabels?: Readonly<Record<string, string>>): NetworkPolicyPeer => ({
    namespaceSelector: { matchLabels: { [namespaceNameLabel]: namespace } },
    ...(podLabels ? { podSelector: { matchLabels: { ...podLabels } } } : {}),
});
const ipBlock = (field: string, address: string): NetworkPolicyPeer => ({ ipBlock: { cidr: cidr(field, address) } });

function appPorts(field: string, ports: readonly number[]): number[] {
    return nonEmpty(field, ports).map((p, i) => port(`${field}[${i}]`, p));
}

/** Deny all ingress and egress for every pod of the namespace; the allows below are the only holes. */
export function defaultDeny(namespace: string): NetworkPolicy {
    return policy("default-deny", namespace, {}, { ingress: [], egress: [] });
}

/** DNS: every pod resolves names through the cluster DNS (CoreDNS keeps the `k8s-app: kube-dns` label). */
export function allowDnsEgress(namespace: string): NetworkPolicy {
    return policy(
        "allow-dns-egress",
        namespace,
        {},
        {
            egress: [
                {
                    to: [inNamespace("kube-system", { "k8s-app": "kube-dns" })],
                    ports: [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ],
                },
            ],
        },
    );
}

/** Sidecars and gateways fetch configuration (xDS) and their certificates from istiod on 15012. */
export function allowIstiodEgress(namespace: string): NetworkPolicy {
    return policy(
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
    return policy(
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
    return policy(
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
    return policy(
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
    return policy(name, gatewayNamespace, { matchLabels: { ...gatewayPodLabels[gateway] } }, { egress });
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
    return policy(name, args.namespace, args.podLabels ? { matchLabels: { ...args.podLabels } } : {}, {
        ingress: [
            {
                from: [inNamespace(dnsLabel("gatewayNamespace", args.gatewayNamespace), gatewayPodLabels[args.gateway])],
                ports: tcp(...appPorts("ports", args.ports)),
            },
        ],
    });
}

/**
 * App-to-app within the namespace on the application ports, both directions. Istio's STRICT mTLS and the
 * AuthorizationPolicies decide which identity may call which service on top; this only bounds the ports.
 */
export function allowAppTraffic(namespace: string, ports: readonly number[]): NetworkPolicy {
    const p = tcp(...appPorts("ports", ports));
    return policy(
        "allow-app-traffic",
        namespace,
        {},
        {
            ingress: [{ from: [{ podSelector: {} }], ports: p }],
            egress: [{ to: [{ podSelector: {} }], ports: p }],
        },
    );
}

/**
 * Sidecars reach services in the other networks through those networks' east-west gateways (their external
 * addresses, port 15443); the remote gateway forwards to the pod by SNI.
 */
export function allowCrossNetworkEgress(namespace: string, remoteGatewayAddresses: readonly string[]): NetworkPolicy {
    const to = nonEmpty("remoteGatewayAddresses", remoteGatewayAddresses).map((a, i) => ipBlock(`remoteGatewayAddresses[${i}]`, a));
    return policy("allow-cross-network-egress", namespace, {}, { egress: [{ to, ports: tcp(istioPorts.crossNetwork) }] });
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
    return policy(
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

export interface EndpointEgressArgs {
    readonly namespace: string;
    /** Pods allowed out, e.g. `istiodPodLabels` or a verification job's labels. */
    readonly podLabels: Readonly<Record<string, string>>;
}

function endpointEgress(name: string, field: string, args: EndpointEgressArgs, endpoints: readonly Endpoint[]): NetworkPolicy {
    if (!args.podLabels || Object.keys(args.podLabels).length === 0) {
        throw new Error("podLabels: expected at least one label (egress outside the cluster is granted per workload, not per namespace)");
    }
    const egress = nonEmpty(field, endpoints).map((e, i) => ({
        to: [ipBlock(`${field}[${i}].address`, e.address)],
        ports: tcp(port(`${field}[${i}].port`, e.port)),
    }));
    return policy(name, args.namespace, { matchLabels: { ...args.podLabels } }, { egress });
}

/**
 * To the Kubernetes API servers: istiod (its own cluster, and the remote clusters named by the remote secrets) and
 * the verification jobs. Give the real endpoints and port (6443 on kubeadm), not the `kubernetes` ClusterIP:443, which
 * is translated before the policy is evaluated. The API server is on the host network, so only an ipBlock selects it.
 */
export function allowApiServerEgress(args: EndpointEgressArgs & { readonly apiServers: readonly Endpoint[] }): NetworkPolicy {
    return endpointEgress("allow-apiserver-egress", "apiServers", args, args.apiServers);
}

/** To Keycloak outside the cluster: istiod fetches the realm's JWKS (jwksUri); verification jobs request tokens. */
export function allowKeycloakEgress(args: EndpointEgressArgs & { readonly keycloak: Endpoint }): NetworkPolicy {
    return endpointEgress("allow-keycloak-egress", "keycloak", args, [args.keycloak]);
}

/**
 * To the private registry, for pods that talk to it (a check that /v2/ answers 401). Image pulls do not need this:
 * the kubelet/containerd pull on the node's network, outside any NetworkPolicy.
 */
export function allowRegistryEgress(args: EndpointEgressArgs & { readonly registry: Endpoint }): NetworkPolicy {
    return endpointEgress("allow-registry-egress", "registry", args, [args.registry]);
}

export { psaLabels, privilegedNamespaces } from "./psa";
export type { PsaLevel } from "./psa";

export interface PodPeerArgs {
    /** Name of the policy (unique in its namespace). */
    readonly name: string;
    readonly namespace: string;
    /** Pods of `namespace` the policy applies to. */
    readonly podLabels: Readonly<Record<string, string>>;
    /** The other side: its namespace and pods. */
    readonly peerNamespace: string;
    readonly peerPodLabels: Readonly<Record<string, string>>;
    /** Pod (container) ports of the receiving side. */
    readonly ports: readonly number[];
}

function podPeerPolicy(direction: "ingress" | "egress", args: PodPeerArgs): NetworkPolicy {
    const peer = [inNamespace(dnsLabel("peerNamespace", args.peerNamespace), args.peerPodLabels)];
    const ports = tcp(...appPorts("ports", args.ports));
    return policy(
        args.name,
        args.namespace,
        { matchLabels: { ...args.podLabels } },
        direction === "ingress" ? { ingress: [{ from: peer, ports }] } : { egress: [{ to: peer, ports }] },
    );
}

/** Pods of `namespace` accept connections from the named pods of `peerNamespace` on `ports`. */
export function allowIngressFromPods(args: PodPeerArgs): NetworkPolicy {
    return podPeerPolicy("ingress", args);
}

/** Pods of `namespace` may connect to the named pods of `peerNamespace` on `ports`. */
export function allowEgressToPods(args: PodPeerArgs): NetworkPolicy {
    return podPeerPolicy("egress", args);
}
