/**
 * The kubeadm fields of each `clusters[]` entry (platform testbed): host references, pod and service CIDRs, the
 * MetalLB pool, the CNI and its cluster ID, checked against the hosts (baremetal.ts) and against each other. Called
 * only from parse.ts, with the same Problems collector.
 */
import { z } from "zod";
import { cniPlugins, defaultCni, findCniPlugin } from "../core/cni";
import { Ipv4Range, isIPv4, parseIPv4, parseIPv4Cidr, parseIPv4Pool, rangeContains, rangesOverlap, rangeWithin } from "../core/net";
import { baremetalDefaults, rejectedHostNames } from "./baremetal";
import { BareMetalConfig, HostConfig, HostRole, KubeadmClusterConfig } from "./model";
import { Problems, show } from "./problems";

/** The kubeadm fields a `clusters[]` entry may carry (platform testbed only). */
export const kubeadmClusterFields = {
    controlPlane: z.string().optional(),
    workers: z.array(z.string()).optional(),
    podSubnet: z.string().optional(),
    serviceSubnet: z.string().optional(),
    loadBalancerPool: z.array(z.string()).optional(),
    ciliumClusterId: z.number().optional(),
    cni: z.string().optional(),
};
type KubeadmFields = { [K in keyof typeof kubeadmClusterFields]?: z.infer<(typeof kubeadmClusterFields)[K]> };

/**
 * The kubeadm part of each `clusters[]` entry, checked against the hosts and against each other: host references
 * exist and carry the right role and are used once; CIDRs well-formed, pod and service CIDRs disjoint from each
 * other and from every host subnet; pools inside the control plane's management subnet, clear of every host
 * address and of the subnet's network/broadcast addresses, and disjoint across all clusters; Cilium IDs unique.
 */
export function readKubeadmClusters(
    problems: Problems,
    entries: readonly KubeadmFields[],
    baremetal: BareMetalConfig,
    /** Each entry's position in `clusters` (entries the schema refused are not given); default: 0, 1, 2, … */
    positions: readonly number[] = entries.map((_, i) => i),
    /** Some entry was refused: a host it would have used is not "unused". */
    incomplete = false,
): (KubeadmClusterConfig | undefined)[] {
    const hosts = baremetal.hosts;
    const rejected = new Set(rejectedHostNames(baremetal));
    let referenceProblems = false;
    const byName = new Map(hosts.map((h) => [h.name, h]));
    const used = new Map<string, string>();
    const pools: { at: string; text: string; range: Ipv4Range }[] = [];
    const clusterIds = new Map<number, string>();
    const hostSubnets = hosts
        .flatMap((h) => [h.management, ...(h.service ? [h.service] : [])])
        .map((a) => ({ subnet: a.subnet, range: parseIPv4Cidr(a.subnet) }));
    const hostAddresses = hosts.flatMap((h) =>
        [h.management, ...(h.service ? [h.service] : [])].map((a) => ({
            host: h.name,
            address: a.address,
            n: parseIPv4(a.address) ?? -1,
        })),
    );

    const useHost = (at: string, name: string, role: HostRole): HostConfig | undefined => {
        const host = byName.get(name);
        if (!host) {
            referenceProblems = true;
            if (rejected.has(name)) {
                // The host entry itself was reported; a second problem for the reference would only be noise.
                return undefined;
            }
            problems.add(
                at,
                `names no host in hosts (known: ${[...byName.keys()].map((n) => show(n)).join(", ") || "none"}), got ${show(name)}`,
            );
            return undefined;
        }
        if (!host.roles.includes(role)) {
            referenceProblems = true;
            problems.add(at, `host ${show(name)} lacks the role ${show(role)} (its roles: ${host.roles.join(", ") || "none"})`);
        }
        const other = used.get(name);
        if (other !== undefined) {
            problems.add(at, `host ${show(name)} is already used by ${other}; a host belongs to one cluster`);
        } else {
            used.set(name, at);
        }
        return host;
    };

    const results = entries.map((e, k): KubeadmClusterConfig | undefined => {
        const i = positions[k];
        const at = `clusters[${i}]`;
        const cni = e.cni ?? defaultCni;
        if (!findCniPlugin(cni)) {
            problems.add(
                `${at}.cni`,
                `must be one of ${Object.keys(cniPlugins)
                    .map((n) => show(n))
                    .join(", ")}, got ${show(cni)}`,
            );
        }
        if (e.controlPlane === undefined) {
            problems.add(
                `${at}.controlPlane`,
                "is required on platform testbed: the name of the host that runs this cluster's control plane",
            );
            return undefined;
        }
        const cp = useHost(`${at}.controlPlane`, e.controlPlane, "control-plane");
        const workers = e.workers ?? [];
        workers.forEach((w, j) => useHost(`${at}.workers[${j}]`, w, "worker"));

        const cidr = (
            field: "podSubnet" | "serviceSubnet",
            dflt: string,
            minPrefix: number,
            maxPrefix: number,
        ): { text: string; range?: Ipv4Range } => {
            const text = e[field] ?? dflt;
            const range = parseIPv4Cidr(text);
            const prefix = Number(text.split("/")[1]);
            if (!range) {
                problems.add(`${at}.${field}`, `must be an IPv4 CIDR with zero host bits like ${show(dflt)}, got ${show(text)}`);
                return { text };
            }
            if (prefix < minPrefix || prefix > maxPrefix) {
                problems.add(`${at}.${field}`, `must have a prefix from /${minPrefix} to /${maxPrefix}, got ${show(text)}`);
            }
            for (const s of hostSubnets) {
                if (s.range && rangesOverlap(range, s.range)) {
                    problems.add(`${at}.${field}`, `${show(text)} overlaps the host subnet ${s.subnet}`);
                }
            }
            return { text, range };
        };
        // Pods: the controller manager hands each node a /24. Services: the API server allows /12 to /28 (IPv4).
        const pods = cidr("podSubnet", baremetalDefaults.podSubnet, 8, 24);
        const services = cidr("serviceSubnet", baremetalDefaults.serviceSubnet, 12, 28);
        if (pods.range && services.range && rangesOverlap(pods.range, services.range)) {
            problems.add(`${at}.serviceSubnet`, `${show(services.text)} overlaps podSubnet ${show(pods.text)}`);
        }

        const pool = e.loadBalancerPool ?? [];
        if (pool.length === 0) {
            problems.add(
                `${at}.loadBalancerPool`,
                'is required on platform testbed: MetalLB addresses in the management subnet, e.g. ["10.5.0.100-10.5.0.120"]',
            );
        }
        const subnet = cp ? parseIPv4Cidr(cp.management.subnet) : undefined;
        pool.forEach((text, j) => {
            const where = `${at}.loadBalancerPool[${j}]`;
            const range = parseIPv4Pool(text);
            if (typeof range === "string") {
                problems.add(where, `must be an IPv4 range "a.b.c.d-e.f.g.h" or a CIDR, got ${show(text)}`);
                return;
            }
            if (subnet && cp) {
                if (!rangeWithin(range, subnet)) {
                    problems.add(where, `${show(text)} is not inside the management subnet ${cp.management.subnet} of ${show(cp.name)}`);
                } else if (rangeContains(range, subnet.first) || rangeContains(range, subnet.last)) {
                    problems.add(where, `${show(text)} includes the network or broadcast address of ${cp.management.subnet}`);
                }
            }
            for (const h of hostAddresses.filter((a) => rangeContains(range, a.n))) {
                problems.add(where, `${show(text)} includes ${h.address}, an address of host ${show(h.host)}`);
            }
            for (const other of pools.filter((p) => rangesOverlap(p.range, range))) {
                problems.add(where, `${show(text)} overlaps ${other.at} ${show(other.text)}`);
            }
            pools.push({ at: where, text, range });
        });

        const clusterId = e.ciliumClusterId ?? i + 1;
        if (!Number.isInteger(clusterId) || clusterId < 1 || clusterId > 255) {
            problems.add(`${at}.ciliumClusterId`, `must be an integer from 1 to 255, got ${show(clusterId)}`);
        }
        const otherId = clusterIds.get(clusterId);
        if (otherId !== undefined) {
            problems.add(`${at}.ciliumClusterId`, `${clusterId} is already the Cilium cluster ID of ${otherId}`);
        }
        clusterIds.set(clusterId, at);

        return {
            controlPlane: e.controlPlane,
            workers,
            podSubnet: pods.text,
            serviceSubnet: services.text,
            loadBalancerPool: pool,
            ciliumClusterId: clusterId,
            cni,
        };
    });

    hosts.forEach((h, i) => {
        // After a broken reference the "unused host" is a consequence, not a second mistake.
        if (!referenceProblems && !incomplete && (h.roles.includes("control-plane") || h.roles.includes("worker")) && !used.has(h.name)) {
            problems.add(`hosts[${i}].roles`, `host ${show(h.name)} has a cluster role but no cluster in clusters uses it`);
        }
    });
    return results;
}

/**
 * A configured API URL for a kubeadm cluster: port 6443 (where kubeadm's API server listens) and a host that is a
 * DNS name (added as a certificate SAN) or one of the control plane's own addresses. Undefined when fine.
 */
export function kubeadmApiServerProblem(url: string, controlPlane: string | undefined, hosts: readonly HostConfig[]): string | undefined {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return undefined; // apiServerProblem reports malformed URLs
    }
    if (parsed.port !== "6443") {
        return `${show(url)} must use port 6443, where kubeadm's API server listens`;
    }
    const host = parsed.hostname;
    if (host.startsWith("[")) {
        return `${show(url)}: IPv6 API addresses are not supported on platform testbed`;
    }
    const cp = hosts.find((h) => h.name === controlPlane);
    if (isIPv4(host) && cp && ![cp.management.address, cp.service?.address].includes(host)) {
        return `${show(url)} is not an address of the control plane ${show(cp.name)} (${[cp.management.address, cp.service?.address].filter(Boolean).join(", ")})`;
    }
    return undefined;
}

/**
 * Why the cluster's CNI (`clusters[i].cni`) cannot run a cluster named `name` (e.g. Cilium: at most 32 characters,
 * not "default"), as a problem for `clusters[i].name`; undefined when fine or when the CNI is unknown (reported
 * as `clusters[i].cni`).
 */
export function cniClusterNameProblem(name: string, cni: string | undefined): string | undefined {
    const selected = cni ?? defaultCni;
    const problem = findCniPlugin(selected)?.clusterNameProblem(name);
    return problem && `${problem} (CNI ${show(selected)} on platform testbed), got ${show(name)}`;
}
