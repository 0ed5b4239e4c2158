/**
 * The bare-metal part of the config model (platform `testbed`): hosts, SSH, the private registry and the kubeadm
 * fields of each cluster. Called only from parse.ts, which owns every other key; the same Problems collector
 * gathers every problem of the whole config before anything is created.
 */
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import {
    BareMetalConfig,
    HostConfig,
    HostRole,
    InterfaceAddress,
    KubeadmClusterConfig,
    RegistryConfig,
    SshConfig,
    hostRoles,
} from "./model";
import { Problems, show } from "./problems";
import { Sensitive } from "./sensitive";
import { parseStructured } from "./structured";

/** Defaults of the bare-metal keys (README's config reference lists the same). */
export const baremetalDefaults = {
    sshUser: "root",
    sshPort: 22,
    podSubnet: "10.244.0.0/16",
    serviceSubnet: "10.96.0.0/16",
    registryPort: 5000,
    registryUser: "zta",
    infraCaValidityDays: 3650,
    registryCertValidityDays: 825,
} as const;

/** The kubeadm fields a `clusters[]` entry may carry (platform testbed only). */
export const kubeadmClusterFields = {
    controlPlane: z.string().optional(),
    workers: z.array(z.string()).optional(),
    podSubnet: z.string().optional(),
    serviceSubnet: z.string().optional(),
    loadBalancerPool: z.array(z.string()).optional(),
    ciliumClusterId: z.number().optional(),
};
type KubeadmFields = { [K in keyof typeof kubeadmClusterFields]?: z.infer<(typeof kubeadmClusterFields)[K]> };

const hostSchema = z
    .object({
        name: z.string(),
        hostname: z.string().optional(),
        management: z.string(),
        service: z.string().optional(),
        roles: z.array(z.string()),
        hostKey: z.string().optional(),
    })
    .strict();
const sshSchema = z
    .object({
        user: z.string().optional(),
        port: z.number().optional(),
        bastion: z
            .object({ host: z.string(), port: z.number().optional(), user: z.string().optional(), hostKey: z.string().optional() })
            .strict()
            .optional(),
    })
    .strict();
const registrySchema = z
    .object({
        port: z.number().optional(),
        dnsName: z.string().optional(),
        user: z.string().optional(),
        caValidityDays: z.number().optional(),
        certValidityDays: z.number().optional(),
    })
    .strict();

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsName = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
// An authorized_keys-style line (what the provider parses), optional comment. No ssh-rsa: the provider then offers
// only the SHA-1 "ssh-rsa" algorithm, which OpenSSH >= 8.8 (Debian 12, Ubuntu 22.04) refuses.
const hostKeyPattern = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( [^\n]*)?$/;
const hostKeyHint = 'an ed25519 or ECDSA SSH host key like "ssh-ed25519 AAAA..." (ssh-keyscan -t ed25519 <address>)';
const privateKeyArmor = /^-----BEGIN (OPENSSH|RSA|EC)? ?PRIVATE KEY-----\n[\s\S]+\n-----END (OPENSSH|RSA|EC)? ?PRIVATE KEY-----\n?$/;

/** An inclusive IPv4 range as 32-bit numbers. */
export interface Ipv4Range {
    readonly first: number;
    readonly last: number;
}

function ipv4Number(text: string): number | undefined {
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) {
        return undefined;
    }
    return ipaddr.IPv4.parse(text)
        .toByteArray()
        .reduce((acc, b) => acc * 256 + b, 0);
}

function ipv4Text(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** A CIDR with zero host bits, as a range; undefined when malformed. */
export function cidrRange(text: string): Ipv4Range | undefined {
    const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
    const base = m ? ipv4Number(m[1]) : undefined;
    const prefix = m ? Number(m[2]) : NaN;
    if (base === undefined || !(prefix >= 0 && prefix <= 32)) {
        return undefined;
    }
    const size = 2 ** (32 - prefix);
    if (base % size !== 0) {
        return undefined;
    }
    return { first: base, last: base + size - 1 };
}

/** A MetalLB address entry (`a-b` range or CIDR) as a range; undefined when malformed or reversed. */
export function poolRange(text: string): Ipv4Range | undefined {
    const dash = /^([0-9.]+)-([0-9.]+)$/.exec(text);
    if (dash) {
        const first = ipv4Number(dash[1]);
        const last = ipv4Number(dash[2]);
        return first !== undefined && last !== undefined && first <= last ? { first, last } : undefined;
    }
    return cidrRange(text);
}

export function overlaps(a: Ipv4Range, b: Ipv4Range): boolean {
    return a.first <= b.last && b.first <= a.last;
}

function within(inner: Ipv4Range, outer: Ipv4Range): boolean {
    return inner.first >= outer.first && inner.last <= outer.last;
}

function contains(range: Ipv4Range, n: number): boolean {
    return n >= range.first && n <= range.last;
}

/** `10.5.0.3/24` → address, prefix and subnet; a problem text when it is not a usable host address. */
export function interfaceAddress(text: string): InterfaceAddress | string {
    const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
    const n = m ? ipv4Number(m[1]) : undefined;
    const prefix = m ? Number(m[2]) : NaN;
    if (!m || n === undefined || !(prefix >= 8 && prefix <= 30)) {
        return `must be an IPv4 interface address with its prefix (/8 to /30) like "10.5.0.3/24", got ${show(text)}`;
    }
    const range = ipaddr.IPv4.parse(m[1]).range();
    if (["unspecified", "loopback", "multicast", "linkLocal", "broadcast", "reserved"].includes(range)) {
        return `${show(text)} is a ${range} address; a server needs a unicast address its peers reach`;
    }
    const size = 2 ** (32 - prefix);
    const base = n - (n % size);
    if (n === base || n === base + size - 1) {
        return `${show(text)} is the network or broadcast address of its subnet, not a host address`;
    }
    return { address: m[1], prefix, subnet: `${ipv4Text(base)}/${prefix}` };
}

function port(problems: Problems, key: string, value: number | undefined, dflt: number): number {
    const p = value ?? dflt;
    if (!Number.isInteger(p) || p < 1 || p > 65535) {
        problems.add(key, `must be a TCP port from 1 to 65535, got ${show(p)}`);
    }
    return p;
}

function readHosts(problems: Problems, text: string | undefined): HostConfig[] {
    if (text === undefined) {
        problems.add("hosts", "is required on platform testbed: a list of {name, management, roles[, hostname, service, hostKey]}");
        return [];
    }
    const entries = parseStructured(problems, "hosts", text, z.array(hostSchema));
    if (!entries) {
        return [];
    }
    if (entries.length === 0) {
        problems.add("hosts", "must list at least one host");
    }
    const hosts: HostConfig[] = [];
    const seen = new Map<string, string>();
    const claim = (what: string, value: string, at: string): void => {
        const other = seen.get(`${what}:${value}`);
        if (other !== undefined) {
            problems.add(at, `${show(value)} is already used by ${other}`);
        } else {
            seen.set(`${what}:${value}`, at);
        }
    };
    entries.forEach((e, i) => {
        const at = `hosts[${i}]`;
        if (!dnsLabel.test(e.name) || e.name.length > 63) {
            problems.add(`${at}.name`, `must be a DNS label (a-z, 0-9, -), got ${show(e.name)}`);
        }
        claim("name", e.name, `${at}.name`);
        const hostname = e.hostname ?? e.name;
        if (!dnsName.test(hostname) || hostname.length > 64) {
            problems.add(
                `${at}.hostname`,
                `must be a lowercase host name of at most 64 characters (it becomes the Kubernetes node name), got ${show(hostname)}`,
            );
        }
        claim("hostname", hostname, `${at}.hostname`);
        const management = interfaceAddress(e.management);
        if (typeof management === "string") {
            problems.add(`${at}.management`, management);
        } else {
            claim("address", management.address, `${at}.management`);
        }
        let service: InterfaceAddress | undefined;
        if (e.service !== undefined) {
            const s = interfaceAddress(e.service);
            if (typeof s === "string") {
                problems.add(`${at}.service`, s);
            } else {
                service = s;
                claim("address", s.address, `${at}.service`);
                if (typeof management !== "string" && management.subnet === s.subnet) {
                    problems.add(
                        `${at}.service`,
                        `is in the management subnet ${management.subnet}; the service plane is a separate network`,
                    );
                }
            }
        }
        const roles: HostRole[] = [];
        e.roles.forEach((role, j) => {
            if (!(hostRoles as readonly string[]).includes(role)) {
                problems.add(`${at}.roles[${j}]`, `must be one of ${hostRoles.map((r) => show(r)).join(", ")}, got ${show(role)}`);
            } else if (roles.includes(role as HostRole)) {
                problems.add(`${at}.roles[${j}]`, `${show(role)} is listed twice`);
            } else {
                roles.push(role as HostRole);
            }
        });
        if (roles.includes("control-plane") && roles.includes("worker")) {
            problems.add(`${at}.roles`, 'a host is either "control-plane" or "worker" of one cluster, not both');
        }
        if (e.roles.length === 0) {
            problems.add(`${at}.roles`, `must name at least one role (${hostRoles.join(", ")})`);
        }
        // Secrets (registry key, join token) go to this host over SSH: it must prove who it is.
        if (e.hostKey === undefined) {
            problems.add(
                `${at}.hostKey`,
                `is required on platform testbed: ${hostKeyHint}, set with pulumi config set --path '${at}.hostKey'`,
            );
        } else if (!hostKeyPattern.test(e.hostKey.trim())) {
            problems.add(`${at}.hostKey`, `must be ${hostKeyHint}, got ${show(e.hostKey)}`);
        }
        if (typeof management !== "string") {
            hosts.push({ name: e.name, hostname, management, service, roles, hostKey: e.hostKey?.trim() });
        }
    });
    return hosts;
}

/** The cipher of an OpenSSH-format private key ("none" when unencrypted); "none" for other formats. */
function opensshCipher(pem: string): string {
    const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(pem)?.[1];
    if (body === undefined) {
        return "none";
    }
    // "openssh-key-v1\0", then a uint32 length and the cipher name (PROTOCOL.key in OpenSSH).
    const data = Buffer.from(body.replace(/\s/g, ""), "base64");
    const magic = "openssh-key-v1\0";
    if (data.subarray(0, magic.length).toString("latin1") !== magic || data.length < magic.length + 4) {
        return "none";
    }
    const length = data.readUInt32BE(magic.length);
    return data.subarray(magic.length + 4, magic.length + 4 + length).toString("latin1");
}

function readSsh(problems: Problems, text: string | undefined, privateKey: string | undefined, keyIsSecret: boolean): SshConfig {
    const entry = (text === undefined ? undefined : parseStructured(problems, "ssh", text, sshSchema)) ?? {};
    const user = entry.user ?? baremetalDefaults.sshUser;
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
        problems.add("ssh.user", `must be a Linux user name, got ${show(user)}`);
    }
    const sshPort = port(problems, "ssh.port", entry.port, baremetalDefaults.sshPort);
    if (privateKey === undefined) {
        problems.add("sshPrivateKey", "is required on platform testbed: pulumi config set --secret sshPrivateKey < ~/.ssh/zta_ed25519");
    } else if (!keyIsSecret) {
        problems.add("sshPrivateKey", "holds credentials and must be set with --secret (it is stored in plain text now)");
    } else if (!privateKeyArmor.test(privateKey.replace(/\r/g, "").trim() + "\n")) {
        problems.add("sshPrivateKey", "is not a PEM or OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)");
    } else if (/ENCRYPTED/.test(privateKey) || opensshCipher(privateKey) !== "none") {
        problems.add("sshPrivateKey", "is passphrase-protected; give an unencrypted key (it is stored as a Pulumi secret)");
    }
    let bastion: SshConfig["bastion"];
    if (entry.bastion) {
        const b = entry.bastion;
        if (!dnsName.test(b.host) && ipv4Number(b.host) === undefined) {
            problems.add("ssh.bastion.host", `must be a host name or IPv4 address, got ${show(b.host)}`);
        }
        if (b.hostKey === undefined) {
            problems.add("ssh.bastion.hostKey", `is required with a bastion: ${hostKeyHint}`);
        } else if (!hostKeyPattern.test(b.hostKey.trim())) {
            problems.add("ssh.bastion.hostKey", `must be ${hostKeyHint}, got ${show(b.hostKey)}`);
        }
        if (b.user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(b.user)) {
            problems.add("ssh.bastion.user", `must be a Linux user name, got ${show(b.user)}`);
        }
        bastion = {
            host: b.host,
            port: port(problems, "ssh.bastion.port", b.port, baremetalDefaults.sshPort),
            user: b.user ?? user,
            hostKey: b.hostKey?.trim(),
        };
    }
    return { user, port: sshPort, privateKey: new Sensitive(privateKey ?? ""), bastion };
}

function readRegistry(problems: Problems, text: string | undefined, hosts: readonly HostConfig[]): RegistryConfig {
    const entry = (text === undefined ? undefined : parseStructured(problems, "registry", text, registrySchema)) ?? {};
    const registryHosts = hosts.filter((h) => h.roles.includes("registry"));
    if (registryHosts.length !== 1) {
        problems.add(
            "hosts",
            `exactly one host needs the role "registry" (the private registry nodes pull from), got ${registryHosts.length === 0 ? "none" : registryHosts.map((h) => show(h.name)).join(", ")}`,
        );
    }
    if (entry.dnsName !== undefined && !dnsName.test(entry.dnsName)) {
        problems.add("registry.dnsName", `must be a lowercase DNS name, got ${show(entry.dnsName)}`);
    }
    const user = entry.user ?? baremetalDefaults.registryUser;
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(user)) {
        problems.add("registry.user", `must be 1-64 characters of [A-Za-z0-9._-], got ${show(user)}`);
    }
    const days = (key: "caValidityDays" | "certValidityDays", dflt: number, max: number): number => {
        const d = entry[key] ?? dflt;
        if (!Number.isInteger(d) || d < 1 || d > max) {
            problems.add(`registry.${key}`, `must be an integer from 1 to ${max}, got ${show(d)}`);
        }
        return d;
    };
    const caDays = days("caValidityDays", baremetalDefaults.infraCaValidityDays, 36500);
    const certDays = days("certValidityDays", baremetalDefaults.registryCertValidityDays, 3650);
    if (certDays > caDays) {
        problems.add("registry.certValidityDays", `must not exceed registry.caValidityDays (${caDays}), got ${certDays}`);
    }
    return {
        host: registryHosts[0]?.name ?? "",
        port: port(problems, "registry.port", entry.port, baremetalDefaults.registryPort),
        dnsName: entry.dnsName,
        user,
        caValidityHours: caDays * 24,
        certValidityHours: certDays * 24,
    };
}

/** Raw input for the bare-metal keys. */
export interface BareMetalRaw {
    readonly hosts?: string;
    readonly ssh?: string;
    readonly sshPrivateKey?: string;
    readonly sshPrivateKeyIsSecret: boolean;
    readonly registry?: string;
}

/** Reads hosts, SSH and registry (platform testbed). */
export function readBareMetal(problems: Problems, raw: BareMetalRaw): BareMetalConfig {
    const hosts = readHosts(problems, raw.hosts);
    const config: BareMetalConfig = {
        ssh: readSsh(problems, raw.ssh, raw.sshPrivateKey, raw.sshPrivateKeyIsSecret),
        hosts,
        registry: readRegistry(problems, raw.registry, hosts),
    };
    invalidHostNames.set(
        config,
        hostEntryNames(raw.hosts).filter((n) => !hosts.some((h) => h.name === n)),
    );
    return config;
}

/** Names of host entries that were rejected (already reported): references to them are not reported again. */
const invalidHostNames = new WeakMap<BareMetalConfig, string[]>();

/** True when some host entry was rejected (and reported): a role it carried may be missing from `hosts`. */
export function hasRejectedHosts(baremetal: BareMetalConfig): boolean {
    return (invalidHostNames.get(baremetal) ?? []).length > 0;
}

function hostEntryNames(text: string | undefined): string[] {
    try {
        const data: unknown = JSON.parse(text ?? "[]");
        return Array.isArray(data) ? data.map((e) => String((e as { name?: unknown }).name)) : [];
    } catch {
        return [];
    }
}

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
): (KubeadmClusterConfig | undefined)[] {
    const hosts = baremetal.hosts;
    const rejected = new Set(invalidHostNames.get(baremetal) ?? []);
    let referenceProblems = false;
    const byName = new Map(hosts.map((h) => [h.name, h]));
    const used = new Map<string, string>();
    const pools: { at: string; text: string; range: Ipv4Range }[] = [];
    const clusterIds = new Map<number, string>();
    const hostSubnets = hosts
        .flatMap((h) => [h.management, ...(h.service ? [h.service] : [])])
        .map((a) => ({ subnet: a.subnet, range: cidrRange(a.subnet) }));
    const hostAddresses = hosts.flatMap((h) =>
        [h.management, ...(h.service ? [h.service] : [])].map((a) => ({
            host: h.name,
            address: a.address,
            n: ipv4Number(a.address) ?? -1,
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

    const results = entries.map((e, i): KubeadmClusterConfig | undefined => {
        const at = `clusters[${i}]`;
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
            const range = cidrRange(text);
            const prefix = Number(text.split("/")[1]);
            if (!range) {
                problems.add(`${at}.${field}`, `must be an IPv4 CIDR with zero host bits like ${show(dflt)}, got ${show(text)}`);
                return { text };
            }
            if (prefix < minPrefix || prefix > maxPrefix) {
                problems.add(`${at}.${field}`, `must have a prefix from /${minPrefix} to /${maxPrefix}, got ${show(text)}`);
            }
            for (const s of hostSubnets) {
                if (s.range && overlaps(range, s.range)) {
                    problems.add(`${at}.${field}`, `${show(text)} overlaps the host subnet ${s.subnet}`);
                }
            }
            return { text, range };
        };
        // Pods: the controller manager hands each node a /24. Services: the API server allows /12 to /28 (IPv4).
        const pods = cidr("podSubnet", baremetalDefaults.podSubnet, 8, 24);
        const services = cidr("serviceSubnet", baremetalDefaults.serviceSubnet, 12, 28);
        if (pods.range && services.range && overlaps(pods.range, services.range)) {
            problems.add(`${at}.serviceSubnet`, `${show(services.text)} overlaps podSubnet ${show(pods.text)}`);
        }

        const pool = e.loadBalancerPool ?? [];
        if (pool.length === 0) {
            problems.add(
                `${at}.loadBalancerPool`,
                'is required on platform testbed: MetalLB addresses in the management subnet, e.g. ["10.5.0.100-10.5.0.120"]',
            );
        }
        const subnet = cp ? cidrRange(cp.management.subnet) : undefined;
        pool.forEach((text, j) => {
            const where = `${at}.loadBalancerPool[${j}]`;
            const range = poolRange(text);
            if (!range) {
                problems.add(where, `must be an IPv4 range "a.b.c.d-e.f.g.h" or a CIDR, got ${show(text)}`);
                return;
            }
            if (subnet && cp) {
                if (!within(range, subnet)) {
                    problems.add(where, `${show(text)} is not inside the management subnet ${cp.management.subnet} of ${show(cp.name)}`);
                } else if (contains(range, subnet.first) || contains(range, subnet.last)) {
                    problems.add(where, `${show(text)} includes the network or broadcast address of ${cp.management.subnet}`);
                }
            }
            for (const h of hostAddresses.filter((a) => contains(range, a.n))) {
                problems.add(where, `${show(text)} includes ${h.address}, an address of host ${show(h.host)}`);
            }
            for (const other of pools.filter((p) => overlaps(p.range, range))) {
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
        };
    });

    hosts.forEach((h, i) => {
        // After a broken reference the "unused host" is a consequence, not a second mistake.
        if (!referenceProblems && (h.roles.includes("control-plane") || h.roles.includes("worker")) && !used.has(h.name)) {
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
    if (ipv4Number(host) !== undefined && cp && ![cp.management.address, cp.service?.address].includes(host)) {
        return `${show(url)} is not an address of the control plane ${show(cp.name)} (${[cp.management.address, cp.service?.address].filter(Boolean).join(", ")})`;
    }
    return undefined;
}
