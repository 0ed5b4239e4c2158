/**
 * NetworkPolicy (networking.k8s.io/v1) primitives every layer uses: types, default deny, DNS, pod-to-pod and
 * endpoint allows, and `createNetworkPolicies` (core/resources.ts) to create a namespace's allows before its deny.
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
import { isIpAddress } from "./net";
import { cidr, dnsLabel, nonEmpty, port } from "./validate";

export const namespaceNameLabel = "kubernetes.io/metadata.name";

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

export function networkPolicy(
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

/** A NetworkPolicy for the pods with `podLabels` (none: every pod of the namespace). */
export function podPolicy(
    name: string,
    namespace: string,
    podLabels: Readonly<Record<string, string>>,
    rules: { readonly ingress?: IngressRule[]; readonly egress?: EgressRule[] },
): NetworkPolicy {
    return networkPolicy(name, namespace, Object.keys(podLabels).length > 0 ? { matchLabels: { ...podLabels } } : {}, rules);
}

export const tcp = (...ports: number[]): NetworkPolicyPort[] => ports.map((p) => ({ protocol: "TCP", port: p }));
export const inNamespace = (namespace: string, podLabels?: Readonly<Record<string, string>>): NetworkPolicyPeer => ({
    namespaceSelector: { matchLabels: { [namespaceNameLabel]: namespace } },
    ...(podLabels ? { podSelector: { matchLabels: { ...podLabels } } } : {}),
});
export const ipBlock = (field: string, address: string): NetworkPolicyPeer => ({ ipBlock: { cidr: cidr(field, address) } });

export function appPorts(field: string, ports: readonly number[]): number[] {
    return nonEmpty(field, ports).map((p, i) => port(`${field}[${i}]`, p));
}

/** Deny all ingress and egress for every pod of the namespace; the allows below are the only holes. */
export function defaultDeny(namespace: string): NetworkPolicy {
    return networkPolicy("default-deny", namespace, {}, { ingress: [], egress: [] });
}

/** DNS: every pod resolves names through the cluster DNS (CoreDNS keeps the `k8s-app: kube-dns` label). */
export function allowDnsEgress(namespace: string): NetworkPolicy {
    return networkPolicy(
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

/**
 * App-to-app within the namespace on the application ports, both directions. Istio's STRICT mTLS and the
 * AuthorizationPolicies decide which identity may call which service on top; this only bounds the ports.
 */
export function allowAppTraffic(namespace: string, ports: readonly number[]): NetworkPolicy {
    const p = tcp(...appPorts("ports", ports));
    return networkPolicy(
        "allow-app-traffic",
        namespace,
        {},
        {
            ingress: [{ from: [{ podSelector: {} }], ports: p }],
            egress: [{ to: [{ podSelector: {} }], ports: p }],
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
    return networkPolicy(name, args.namespace, { matchLabels: { ...args.podLabels } }, { egress });
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
    return networkPolicy(
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

/** The whole IPv4 space: only ever combined with a single port and a single workload. */
export const anyAddress = "0.0.0.0/0";

/** An API server as the program knows it: its URL (host may be a name or an IPv4 address). */
export function apiServerEndpoint(url: string): Endpoint {
    const u = new URL(url);
    const port = Number(u.port || "443");
    const isIpv4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(u.hostname);
    return { address: isIpv4 ? `${u.hostname}/32` : anyAddress, port };
}

/** An address as a single-host block: /32 (IPv4) or /128 (IPv6). */
export function hostBlock(address: string): string {
    return address.includes(":") ? `${address}/128` : `${address}/32`;
}

/**
 * Where a workload's cross-network (15443) traffic may go: the other networks' east-west gateways. Each known
 * address is a single-host block. When any of them is not known as an address — not assigned yet, a DNS name (some
 * cloud load balancers), or clusters of other stacks (their gateways' addresses are not exported) — the whole space,
 * still for port 15443 only: a narrower list would cut the mesh off from that network.
 */
export function crossNetworkBlocks(addresses: readonly (string | undefined)[], unknownOthers: boolean): string[] {
    const known = addresses.filter((a): a is string => a !== undefined && isIpAddress(a));
    if (unknownOthers || known.length !== addresses.length) {
        return [anyAddress];
    }
    return [...new Set(known.map(hostBlock))].sort();
}

/** Endpoints without duplicates (several clusters may share `0.0.0.0/0:443`). */
export function uniqueEndpoints(endpoints: readonly Endpoint[]): Endpoint[] {
    const seen = new Set<string>();
    return endpoints.filter((e) => {
        const key = `${e.address}:${e.port}`;
        return seen.has(key) ? false : (seen.add(key), true);
    });
}

/** The default deny of a namespace is created last: until then its allows exist and nothing is cut off mid-way. */
export function isDefaultDeny(p: NetworkPolicy): boolean {
    return p.metadata.name === "default-deny";
}
