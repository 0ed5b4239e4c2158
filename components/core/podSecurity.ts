/** Pod Security Admission labels and the short list of namespaces allowed `privileged`. */
import { show } from "./validate";

export type PsaLevel = "restricted" | "baseline" | "privileged";
const psaLevels: readonly PsaLevel[] = ["restricted", "baseline", "privileged"];

/**
 * Pod Security Admission labels: enforce, audit and warn at the same level, each pinned to `latest` (the checks of
 * the running Kubernetes release), so that nothing the namespace deliberately permits is reported as a violation.
 */
export function psaLabels(level: PsaLevel): Record<string, string> {
    if (!psaLevels.includes(level)) {
        throw new Error(`level: expected one of ${psaLevels.join(", ")}, got ${show(level)}`);
    }
    const labels: Record<string, string> = {};
    for (const mode of ["enforce", "audit", "warn"]) {
        labels[`pod-security.kubernetes.io/${mode}`] = level;
        labels[`pod-security.kubernetes.io/${mode}-version`] = "latest";
    }
    return labels;
}

/**
 * The only namespaces allowed `privileged`, each for node-level agents that cannot run otherwise. Everything else is
 * `restricted`, or `baseline` where a chart we do not control needs it. (Meshed namespaces using the istio-init
 * container are the one further, avoidable exception: see components/workloads/samples.ts.)
 */
export const privilegedNamespaces: readonly { readonly namespace: string; readonly why: string }[] = [
    {
        namespace: "kube-system",
        why: "Cilium agent (host network, BPF capabilities, hostPath to the CNI and BPF filesystems); istio-cni-node (hostPath to the CNI directories) is installed here too, so istio-system need not be privileged",
    },
    { namespace: "metallb-system", why: "MetalLB speaker (host network, NET_RAW to answer ARP for service addresses)" },
];
