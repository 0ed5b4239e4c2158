/**
 * The bare-metal part of the config model (platform `testbed`): hosts, SSH and the private registry (the kubeadm
 * fields of each cluster: kubeadmClusters.ts). Called only from parse.ts, which owns every other key; the same
 * Problems collector gathers every problem of the whole config before anything is created.
 */
import { z } from "zod";
import { isDnsLabel, isDnsSubdomain, isIPv4, parseIPv4InterfaceAddress } from "../core/net";
import { BareMetalConfig, HostConfig, HostRole, InterfaceAddress, RegistryConfig, SshConfig, hostRoles } from "./model";
import { Problems, show } from "./problems";
import { Sensitive } from "./sensitive";
import { parseEntries, parseStructured } from "./structured";

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

// An authorized_keys-style line (what the provider parses), optional comment. No ssh-rsa: the provider then offers
// only the SHA-1 "ssh-rsa" algorithm, which OpenSSH >= 8.8 (Debian 12, Ubuntu 22.04) refuses.
const hostKeyPattern = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( [^\n]*)?$/;
const hostKeyHint = 'an ed25519 or ECDSA SSH host key like "ssh-ed25519 AAAA..." (ssh-keyscan -t ed25519 <address>)';
const privateKeyArmor = /^-----BEGIN (OPENSSH|RSA|EC)? ?PRIVATE KEY-----\n[\s\S]+\n-----END (OPENSSH|RSA|EC)? ?PRIVATE KEY-----\n?$/;

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
    const parsed = parseEntries(problems, "hosts", text, hostSchema);
    if (!parsed) {
        return [];
    }
    if (parsed.count === 0) {
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
    parsed.entries.forEach(({ value: e, index: i }) => {
        const at = `hosts[${i}]`;
        if (!isDnsLabel(e.name)) {
            problems.add(`${at}.name`, `must be a DNS label (a-z, 0-9, -), got ${show(e.name)}`);
        }
        claim("name", e.name, `${at}.name`);
        const hostname = e.hostname ?? e.name;
        if (!isDnsSubdomain(hostname) || hostname.length > 64) {
            problems.add(
                `${at}.hostname`,
                `must be a lowercase host name of at most 64 characters (it becomes the Kubernetes node name), got ${show(hostname)}`,
            );
        }
        claim("hostname", hostname, `${at}.hostname`);
        const management = parseIPv4InterfaceAddress(e.management);
        if (typeof management === "string") {
            problems.add(`${at}.management`, management);
        } else {
            claim("address", management.address, `${at}.management`);
        }
        let service: InterfaceAddress | undefined;
        if (e.service !== undefined) {
            const s = parseIPv4InterfaceAddress(e.service);
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
        if (!isDnsSubdomain(b.host) && !isIPv4(b.host)) {
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

function readRegistry(problems: Problems, text: string | undefined, hosts: readonly HostConfig[], someRefused: boolean): RegistryConfig {
    const entry = (text === undefined ? undefined : parseStructured(problems, "registry", text, registrySchema)) ?? {};
    const registryHosts = hosts.filter((h) => h.roles.includes("registry"));
    // none left after a refused host entry (reported): it may have been the one
    if (registryHosts.length !== 1 && !(registryHosts.length === 0 && someRefused)) {
        problems.add(
            "hosts",
            `exactly one host needs the role "registry" (the private registry nodes pull from), got ${registryHosts.length === 0 ? "none" : registryHosts.map((h) => show(h.name)).join(", ")}`,
        );
    }
    if (entry.dnsName !== undefined && !isDnsSubdomain(entry.dnsName)) {
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
    const refused = hostEntryNames(raw.hosts).filter((n) => !hosts.some((h) => h.name === n));
    const config: BareMetalConfig = {
        ssh: readSsh(problems, raw.ssh, raw.sshPrivateKey, raw.sshPrivateKeyIsSecret),
        hosts,
        registry: readRegistry(problems, raw.registry, hosts, refused.length > 0),
    };
    invalidHostNames.set(config, refused);
    return config;
}

/** Names of host entries that were rejected (already reported): references to them are not reported again. */
const invalidHostNames = new WeakMap<BareMetalConfig, string[]>();

/** True when some host entry was rejected (and reported): a role it carried may be missing from `hosts`. */
export function hasRejectedHosts(baremetal: BareMetalConfig): boolean {
    return rejectedHostNames(baremetal).length > 0;
}

/** Names of the host entries that were rejected (and reported). */
export function rejectedHostNames(baremetal: BareMetalConfig): readonly string[] {
    return invalidHostNames.get(baremetal) ?? [];
}

function hostEntryNames(text: string | undefined): string[] {
    try {
        const data: unknown = JSON.parse(text ?? "[]");
        return Array.isArray(data) ? data.map((e) => String((e as { name?: unknown }).name)) : [];
    } catch {
        return [];
    }
}
