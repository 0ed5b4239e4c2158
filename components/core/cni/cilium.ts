/**
 * Cilium, the default bare-metal CNI (`clusters[i].cni: cilium`): Helm values for a kubeadm cluster that runs
 * WITHOUT kube-proxy (kubeadm skips the addon) and carries an Istio sidecar mesh, and Cilium's rules and facts for
 * the other layers. Pure renderer; tests/platform/baremetal/cni.test.ts validates the output against the chart's
 * values.schema.json at the pinned versions.
 *
 * Deliberately left at the chart defaults (docs.cilium.io "Integration with Istio"):
 * - `l7Proxy` (true) only redirects traffic that a CiliumNetworkPolicy selects with L7 (HTTP/Kafka/DNS) rules, and
 *   DNS-aware (toFQDNs) egress rules need it. Cilium HTTP rules cannot see inside Istio mTLS, so the project writes no
 *   L7 CiliumNetworkPolicy; mesh L7 authorization belongs to Istio AuthorizationPolicy.
 * - `envoy.*`, `ingressController`, `gatewayAPI`, `envoyConfig`, `loadBalancer.l7`: off by default (the standalone
 *   cilium-envoy only serves the features above). Istio owns ingress and east-west gateways; enabling Cilium's own
 *   would put a second L7 proxy in the path of mesh traffic.
 */
import { isDnsLabel, parseIPv4 } from "../net";
import type { CniInput, CniPlugin } from "./plugin";

export const ciliumChart = { repository: "https://helm.cilium.io/", chart: "cilium", namespace: "kube-system" } as const;

/**
 * Cilium's input: cluster.name a lowercase DNS label of at most 32 characters (the agent's clustermesh limit), not
 * "default"; cluster.id an integer 1..255, unique per cluster (0 means "no clustermesh identity"); the chart version
 * e.g. "1.17.18" or "1.20.0" (the values are the same for every supported version).
 */
export type CiliumInput = CniInput;

/**
 * Why `name` cannot be Cilium's cluster.name, or undefined. Same rule as the agent's ValidateClusterName
 * (pkg/clustermesh/types): it refuses to start otherwise.
 */
export function ciliumClusterNameProblem(name: unknown): string | undefined {
    if (!isDnsLabel(name) || name.length > 32) {
        return 'must be a lowercase DNS label of at most 32 characters like "zta-1" (Cilium\'s cluster name limit)';
    }
    // The agent refuses cluster name "default" together with a non-zero cluster ID.
    return name === "default" ? '"default" is reserved by Cilium for clusters without a cluster ID; choose a unique name' : undefined;
}

/** Oldest chart these values were checked against (schema and templates): 1.17. */
const minimumMinor = 17;

function validate(input: CniInput): void {
    const nameProblem = ciliumClusterNameProblem(input.clusterName);
    if (nameProblem) {
        throw new Error(`clusterName: ${nameProblem}, got ${JSON.stringify(input.clusterName)}`);
    }
    if (!Number.isInteger(input.clusterId) || input.clusterId < 1 || input.clusterId > 255) {
        throw new Error(`clusterId: expected an integer from 1 to 255, got ${JSON.stringify(input.clusterId)}`);
    }
    const host = parseIPv4(input.apiServerHost);
    if (host === undefined) {
        throw new Error(`apiServerHost: expected an IPv4 address like "10.0.0.10", got ${JSON.stringify(input.apiServerHost)}`);
    }
    const first = Math.floor(host / 2 ** 24);
    if (host === 0 || first === 127 || first >= 224) {
        // The agent must reach the API server at an address in its certificate: the node's advertise address.
        throw new Error(`apiServerHost: ${input.apiServerHost} is not a unicast node address (use the kubeadm advertise address)`);
    }
    if (!Number.isInteger(input.apiServerPort) || input.apiServerPort < 1 || input.apiServerPort > 65535) {
        throw new Error(`apiServerPort: expected an integer from 1 to 65535, got ${JSON.stringify(input.apiServerPort)}`);
    }
    const version = typeof input.version === "string" ? /^1\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/.exec(input.version) : null;
    if (!version) {
        throw new Error(`version: expected an exact Cilium chart version like "1.20.0", got ${JSON.stringify(input.version)}`);
    }
    if (Number(version[1]) < minimumMinor) {
        throw new Error(
            `version: Cilium ${input.version} is older than 1.${minimumMinor}, the oldest chart these values were checked against`,
        );
    }
}

/** Helm values for the `cilium` chart. Throws an Error naming the field on bad input. */
export function ciliumValues(input: CniInput): Record<string, unknown> {
    validate(input);
    return {
        // kubeadm installs no kube-proxy, so Cilium's eBPF service handling is the only one. A boolean: 1.20's
        // schema allows string|boolean, 1.17's declares nothing, and both charts compare `toString` of it to "true".
        kubeProxyReplacement: true,
        // Without kube-proxy there is no kubernetes Service VIP yet when the agent starts: it dials the API server directly.
        k8sServiceHost: input.apiServerHost,
        k8sServicePort: input.apiServerPort,
        // Kube-proxy replacement turns on socket load-balancing, which would rewrite a pod's connect() to a service
        // backend before the sidecar's iptables redirect sees it (istio#27619); limit it to the host namespace.
        socketLB: { hostNamespaceOnly: true },
        // Leave other CNI configurations (the Istio CNI plugin's chained entry) in /etc/cni/net.d (cilium#26760).
        cni: { exclusive: false },
        // Pod CIDRs come from the node objects (kubeadm podSubnet, allocated by kube-controller-manager), so pod
        // addresses stay inside the range kubeadm validated and the NetworkPolicies are written for.
        ipam: { mode: "kubernetes" },
        // NetworkPolicy ipBlocks must match nodes: the API server (istiod's and MetalLB's egress, the webhook calls) runs
        // on the host network, and by default Cilium's CIDR selectors never match cluster nodes (Cilium >= 1.15).
        policyCIDRMatchMode: ["nodes"],
        // A changed cilium-config must reach the running agents (e.g. policyCIDRMatchMode on an existing cluster): the
        // chart then stamps the pods with the ConfigMap's checksum, so Helm rolls them.
        rollOutCiliumPods: true,
        // Single-node clusters: the default 2 replicas would leave one Pending (host ports, anti-affinity).
        operator: { replicas: 1, rollOutPods: true },
        // Distinct per cluster so identities and (future) clustermesh never collide between the two clusters.
        cluster: { name: input.clusterName, id: input.clusterId },
    };
}

/** Cilium as the CNI plug-in (see ./index.ts). */
export const cilium: CniPlugin = {
    name: "cilium",
    chart: { product: "cilium", ...ciliumChart },
    version: (versions) => versions.cilium,
    values: ciliumValues,
    clusterNameProblem: ciliumClusterNameProblem,
    // kubeProxyReplacement (above).
    replacesKubeProxy: true,
    // Cilium's agent loads the BPF and netfilter modules it needs itself.
    nodeKernelModules: [],
    // The agent: host network, BPF capabilities, hostPath to the CNI and BPF filesystems.
    privilegedNamespace: ciliumChart.namespace,
    // policyCIDRMatchMode: nodes (above) lets /32 ipBlocks match nodes; 0.0.0.0/0 never does (cilium#47827).
    nodesMatchOnlyByAddress: true,
};
