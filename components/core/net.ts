/**
 * The networking rules every layer checks input against: DNS names, IP addresses, IPv4 CIDRs and ranges. Pure
 * predicates and parsers that never throw; the config layer turns a failure into one of many collected problems,
 * the renderers (through core/validate.ts or their own guards) into an Error naming the field. One definition each,
 * so a value the config layer accepts is one the renderers accept.
 */
import * as ipaddr from "ipaddr.js";

/** Longest DNS-1123 label (RFC 1123 §2.1; Kubernetes object names, namespaces, kubeadm cluster names). */
export const dnsLabelMaxLength = 63;
/** Longest DNS-1123 subdomain / host name. */
export const dnsNameMaxLength = 253;

const label = "[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?";
const anyCaseLabel = "[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?";
const dnsLabelPattern = new RegExp(`^${label}$`);
const dnsSubdomainPattern = new RegExp(`^${label}(?:\\.${label})*$`);
const anyCaseDnsNamePattern = new RegExp(`^${anyCaseLabel}(?:\\.${anyCaseLabel})*$`);

/** A DNS-1123 label: lowercase a-z, 0-9 and '-', at most 63 characters, starting and ending alphanumeric. */
export function isDnsLabel(value: unknown): value is string {
    return typeof value === "string" && dnsLabelPattern.test(value);
}

/**
 * A lowercase DNS-1123 subdomain of at most 253 characters (dot-separated labels): Secret and ServiceAccount names,
 * lowercase RFC 1123 host names (Kubernetes node names).
 */
export function isDnsSubdomain(value: unknown): value is string {
    return typeof value === "string" && value.length <= dnsNameMaxLength && dnsSubdomainPattern.test(value);
}

/** A DNS name in any letter case (certificate SANs, host:port endpoints), at most 253 characters. */
export function isDnsName(value: unknown): value is string {
    return typeof value === "string" && value.length <= dnsNameMaxLength && anyCaseDnsNamePattern.test(value);
}

/** A fully qualified lowercase host name: a DNS subdomain with at least two labels (no wildcard, no port). */
export function isQualifiedHostName(value: unknown): value is string {
    return isDnsSubdomain(value) && value.includes(".");
}

/** Looks like an IPv4 address (digits and dots only), so it must not be taken for a host name even if malformed. */
export function looksNumeric(value: string): boolean {
    return /^[0-9.]+$/.test(value);
}

/** A dotted-quad IPv4 address: exactly four decimal octets 0-255 without leading zeros. */
export function isIPv4(value: unknown): value is string {
    return typeof value === "string" && ipaddr.IPv4.isValidFourPartDecimal(value);
}

/** An IPv4 address (dotted quad, see isIPv4) or an IPv6 address. */
export function isIpAddress(value: unknown): value is string {
    return typeof value === "string" && ipaddr.isValid(value) && (!ipaddr.IPv4.isIPv4(value) || isIPv4(value));
}

/** ipaddr.js's name of the range an IP address is in ("unicast", "private", "loopback", ...); undefined if not an IP. */
export function ipRangeName(address: string): string | undefined {
    return isIpAddress(address) ? ipaddr.parse(address).range() : undefined;
}

/** A dotted-quad IPv4 address (see isIPv4) as a 32-bit number; undefined otherwise. */
export function parseIPv4(value: unknown): number | undefined {
    return isIPv4(value)
        ? ipaddr.IPv4.parse(value)
              .toByteArray()
              .reduce((acc, b) => acc * 256 + b, 0)
        : undefined;
}

/** A 32-bit number as a dotted-quad IPv4 address. */
export function ipv4Text(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** An inclusive IPv4 range as 32-bit numbers. */
export interface Ipv4Range {
    readonly first: number;
    readonly last: number;
}

/** An IPv4 CIDR as its range and prefix length. */
export interface Ipv4Cidr extends Ipv4Range {
    readonly prefix: number;
}

/** An IPv4 CIDR "a.b.c.d/n" (n 0-32 without leading zero) whose host bits are zero; undefined otherwise. */
export function parseIPv4Cidr(value: unknown): Ipv4Cidr | undefined {
    const match = typeof value === "string" ? /^([0-9.]+)\/(0|[1-9][0-9]?)$/.exec(value) : null;
    const base = match ? parseIPv4(match[1]) : undefined;
    const prefix = match ? Number(match[2]) : NaN;
    if (base === undefined || !(prefix <= 32)) {
        return undefined;
    }
    const size = 2 ** (32 - prefix);
    return base % size === 0 ? { first: base, last: base + size - 1, prefix } : undefined;
}

/** Why an IPv4 range or CIDR entry ("a.b.c.d-e.f.g.h" or "a.b.c.d/n", MetalLB's forms) was refused. */
export type Ipv4PoolProblem = "malformed-range-address" | "reversed-range" | "not-a-range-or-cidr";

/** A MetalLB-style address entry, an inclusive range "a-b" (first <= last) or a CIDR, as a range or why not. */
export function parseIPv4Pool(value: unknown): Ipv4Range | Ipv4PoolProblem {
    const text = typeof value === "string" ? value : "";
    const dash = /^([0-9.]+)-([0-9.]+)$/.exec(text);
    if (dash) {
        const first = parseIPv4(dash[1]);
        const last = parseIPv4(dash[2]);
        if (first === undefined || last === undefined) {
            return "malformed-range-address";
        }
        return first <= last ? { first, last } : "reversed-range";
    }
    return parseIPv4Cidr(text) ?? "not-a-range-or-cidr";
}

export function rangesOverlap(a: Ipv4Range, b: Ipv4Range): boolean {
    return a.first <= b.last && b.first <= a.last;
}

export function rangeWithin(inner: Ipv4Range, outer: Ipv4Range): boolean {
    return inner.first >= outer.first && inner.last <= outer.last;
}

export function rangeContains(range: Ipv4Range, address: number): boolean {
    return address >= range.first && address <= range.last;
}

/** An address with its prefix as configured on an interface, and the subnet it implies. */
export interface Ipv4InterfaceAddress {
    readonly address: string;
    readonly prefix: number;
    /** The subnet in CIDR form, e.g. 10.5.0.0/24. */
    readonly subnet: string;
}

/** Ranges no server address may be in: peers could not reach it. */
const unusableHostRanges = ["unspecified", "loopback", "multicast", "linkLocal", "broadcast", "reserved"];

/** `10.5.0.3/24` → address, prefix and subnet; a problem text when it is not a usable host address. */
export function parseIPv4InterfaceAddress(text: string): Ipv4InterfaceAddress | string {
    const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
    const n = m ? parseIPv4(m[1]) : undefined;
    const prefix = m ? Number(m[2]) : NaN;
    if (!m || n === undefined || !(prefix >= 8 && prefix <= 30)) {
        return `must be an IPv4 interface address with its prefix (/8 to /30) like "10.5.0.3/24", got ${JSON.stringify(text)}`;
    }
    const range = ipRangeName(m[1]) ?? "";
    if (unusableHostRanges.includes(range)) {
        return `${JSON.stringify(text)} is a ${range} address; a server needs a unicast address its peers reach`;
    }
    const size = 2 ** (32 - prefix);
    const base = n - (n % size);
    if (n === base || n === base + size - 1) {
        return `${JSON.stringify(text)} is the network or broadcast address of its subnet, not a host address`;
    }
    return { address: m[1], prefix, subnet: `${ipv4Text(base)}/${prefix}` };
}

/**
 * An IP address or a CIDR (IPv4 or IPv6) as a CIDR ("10.5.0.4" → "10.5.0.4/32"), or why not: malformed, or host bits
 * set (usually a typo; newer API servers reject non-canonical CIDRs), with the network the user probably meant.
 */
export function checkCidr(value: unknown): { cidr: string } | { malformed: true } | { hostBitsOf: string } {
    if (typeof value !== "string") {
        return { malformed: true };
    }
    if (!value.includes("/")) {
        return isIpAddress(value) ? { cidr: `${value}/${ipaddr.parse(value).kind() === "ipv4" ? 32 : 128}` } : { malformed: true };
    }
    if (!ipaddr.isValidCIDR(value)) {
        return { malformed: true };
    }
    const [address, prefix] = ipaddr.parseCIDR(value);
    if (address.kind() === "ipv4" && !isIPv4(value.split("/")[0])) {
        return { malformed: true };
    }
    const network = address.kind() === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(value) : ipaddr.IPv6.networkAddressFromCIDR(value);
    return network.toString() === address.toString() ? { cidr: value } : { hostBitsOf: `${network.toString()}/${prefix}` };
}

/** A host that is an IPv4 address (when numeric) or a lowercase RFC 1123 host name. */
export function isHostOrIPv4(value: unknown): value is string {
    return typeof value === "string" && (looksNumeric(value) ? isIPv4(value) : isDnsSubdomain(value));
}

/** "host:port" (host: see isHostOrIPv4; port 1-65535, no leading zero); the parts, or undefined. */
export function parseHostPort(value: unknown): { readonly host: string; readonly port: number } | undefined {
    const match = typeof value === "string" ? /^([^:]+):([1-9][0-9]{0,4})$/.exec(value) : null;
    if (!match) {
        return undefined;
    }
    const [, host, port] = match;
    const validHost = isHostOrIPv4(host);
    return validHost && Number(port) >= 1 && Number(port) <= 65535 ? { host, port: Number(port) } : undefined;
}

const imageHostLabel = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const imageNameComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
/** [registry-host[:port]/]path:tag[@sha256:digest]: the tag is required (images are pinned). */
const imageReferencePattern = new RegExp(
    `^((?:${imageHostLabel}(?:\\.${imageHostLabel})*(?::[0-9]{1,5})?/)?${imageNameComponent}(?:/${imageNameComponent})*):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})(@sha256:[0-9a-f]{64})?$`,
);

/** An image reference with a tag (and optionally a digest); undefined when it is not one. */
export function parseTaggedImage(value: unknown): { readonly repository: string; readonly tag: string } | undefined {
    const match = typeof value === "string" ? imageReferencePattern.exec(value) : null;
    return match ? { repository: match[1], tag: match[2] } : undefined;
}
