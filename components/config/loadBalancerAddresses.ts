/**
 * Fixed LoadBalancer addresses asked for through `clusters[i].eastWestServiceAnnotations`. MetalLB hands out what
 * an annotation names without checking it against anything but its pools, and a cloud provider takes a static
 * address as given: an address outside the cluster's pool, a host's own address or another cluster's address would
 * leave the east-west gateway pending, or answering for a machine it is not. Called only from clusters.ts.
 */
import { isIpAddress, parseIPv4, parseIPv4Pool, rangeContains, type Ipv4Range } from "../core/net";
import { unservableHostProblem } from "./addresses";
import { BareMetalConfig } from "./model";
import { Problems, show } from "./problems";

/** The one MetalLB IPAddressPool each kubeadm cluster gets (components/platform/baremetal/kubeadmCluster.ts). */
export const metallbPoolName = "zta-pool";

/** MetalLB's annotations (`metallb.universe.tf/` before 0.15, `metallb.io/` since; both are read by 0.15+). */
const metallbPrefixes = ["metallb.universe.tf/", "metallb.io/"];
/** Cloud annotations that pin a static address (AKS: azure-load-balancer-ipv4/ipv6). */
const cloudAddressAnnotations = [
    "service.beta.kubernetes.io/azure-load-balancer-ipv4",
    "service.beta.kubernetes.io/azure-load-balancer-ipv6",
];

export interface LoadBalancerAnnotationsInput {
    /** `clusters[i]`, for messages. */
    readonly at: string;
    readonly name: string;
    readonly annotations: Readonly<Record<string, string>>;
    /** MetalLB pool entries of this cluster (bare metal); undefined on cloud and sim. */
    readonly pool?: readonly string[];
}

/** Every problem with the fixed addresses of every cluster's east-west Service, across clusters too. */
export function loadBalancerAnnotationProblems(
    problems: Problems,
    clusters: readonly LoadBalancerAnnotationsInput[],
    baremetal: BareMetalConfig | undefined,
): void {
    const hostAddresses = (baremetal?.hosts ?? []).flatMap((h) =>
        [h.management.address, ...(h.service ? [h.service.address] : [])].map((address) => ({ address, host: h.name })),
    );
    const pools = clusters.map((c) => ({
        at: c.at,
        ranges: (c.pool ?? []).map((p) => parseIPv4Pool(p)).filter((r): r is Ipv4Range => typeof r !== "string"),
    }));
    const claimed = new Map<string, string>();
    clusters.forEach((c, i) => {
        const key = `${c.at}.eastWestServiceAnnotations`;
        for (const [annotation, value] of Object.entries(c.annotations)) {
            const metallb = metallbPrefixes.find((p) => annotation.startsWith(p));
            const suffix = metallb ? annotation.slice(metallb.length) : undefined;
            if (metallb && c.pool === undefined) {
                problems.add(key, `${show(annotation)} is a MetalLB annotation, but ${show(c.name)} gets its load balancer from its cloud`);
                continue;
            }
            if (suffix === "address-pool" && value !== metallbPoolName) {
                problems.add(key, `${show(annotation)} names the pool ${show(value)}; the program creates only ${show(metallbPoolName)}`);
            }
            if (suffix !== "loadBalancerIPs" && !cloudAddressAnnotations.includes(annotation)) {
                continue;
            }
            for (const address of value.split(",").map((a) => a.trim())) {
                const where = `${key}[${show(annotation)}]`;
                if (!isIpAddress(address)) {
                    problems.add(where, `must list IP addresses, got ${show(address)}`);
                    continue;
                }
                const unservable = unservableHostProblem(address);
                if (unservable) {
                    problems.add(where, `${show(address)} ${unservable}; other networks cannot reach the east-west gateway there`);
                    continue;
                }
                const host = hostAddresses.find((h) => h.address === address);
                if (host) {
                    problems.add(where, `${show(address)} is an address of host ${show(host.host)}, not one MetalLB may hand out`);
                }
                const n = parseIPv4(address);
                if (c.pool !== undefined && n !== undefined && !pools[i].ranges.some((r) => rangeContains(r, n))) {
                    const other = pools.find((p, j) => j !== i && p.ranges.some((r) => rangeContains(r, n)));
                    problems.add(
                        where,
                        `${show(address)} is not in ${show(c.name)}'s loadBalancerPool ${show(c.pool)}${other ? ` (it is in ${other.at}.loadBalancerPool)` : ""}; MetalLB would leave the gateway pending`,
                    );
                }
                const owner = claimed.get(address);
                if (owner !== undefined && owner !== c.at) {
                    problems.add(where, `${show(address)} is already the fixed address of ${owner}'s east-west gateway`);
                }
                claimed.set(address, c.at);
            }
        }
    });
}
