/**
 * Input checks shared by the renderers. Each throws an Error whose message starts with the field name, so a bad
 * input is reported before anything is rendered, let alone created. The rules themselves are core/net.ts's
 * predicates (and the few below), which the config layer uses too, collecting problems instead of throwing.
 */
import { checkCidr, isDnsLabel, isDnsSubdomain, isIPv4, isIpAddress, isQualifiedHostName } from "./net";

/** An image repository prefix "host[:port][/path]" the sample images are pulled from (no scheme, tag or trailing slash). */
export function isImageRegistryPrefix(value: unknown): value is string {
    return typeof value === "string" && /^[a-z0-9.-]+(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(value);
}

/**
 * `scheme://user:password@` in any text, up to the LAST `@` before whitespace or a quote: a password may hold `/`, `?`
 * or `#` (then the URL does not even parse, and the whole value is what a message would show).
 */
const urlUserInfo = /([a-z][a-z0-9+.-]*:\/\/)[^\s"']*@/gi;
/** The query string or fragment of a URL in any text: where tokens and signatures travel (`?sig=`, `?token=`). */
const urlQuery = /([a-z][a-z0-9+.-]*:\/\/(?:<credentials hidden>@)?[^\s"'?#]*)([?#])[^\s"']*/gi;

/** Text with the user info, query and fragment of any URL in it hidden (a message may show a URL, never a credential). */
export function withoutUrlCredentials(text: string): string {
    return text.replace(urlUserInfo, "$1<credentials hidden>@").replace(urlQuery, "$1$2<hidden>");
}

export function show(value: unknown): string {
    return withoutUrlCredentials(JSON.stringify(value) ?? String(value));
}

/**
 * What a base URL (an API server, a chart repository, an issuer) must not carry, in words; empty when clean.
 * Credentials in a URL end up in plain-text state, outputs and logs; a query or fragment would be silently dropped or
 * mangled where paths are appended to it.
 */
export function baseUrlExtras(url: URL): string[] {
    return [
        ...(url.username || url.password ? ["credentials (user:password@): set them as secrets, never in a URL"] : []),
        ...(url.search ? ["a query string"] : []),
        ...(url.hash ? ["a fragment"] : []),
    ];
}

/** A DNS-1123 label: namespace, Service and most object names. */
export function dnsLabel(field: string, value: unknown): string {
    if (!isDnsLabel(value)) {
        throw new Error(`${field}: expected a lowercase DNS label (a-z, 0-9, '-', at most 63), got ${show(value)}`);
    }
    return value;
}

/** A DNS-1123 subdomain: ServiceAccount and Secret names. */
export function dnsSubdomain(field: string, value: unknown): string {
    if (!isDnsSubdomain(value)) {
        throw new Error(`${field}: expected a lowercase DNS name (a-z, 0-9, '-', '.'), got ${show(value)}`);
    }
    return value;
}

/** A fully qualified host name with at least two labels, no wildcard, no port. */
export function hostName(field: string, value: unknown): string {
    if (!isQualifiedHostName(value)) {
        throw new Error(`${field}: expected a fully qualified host name like "app.example.org" (no wildcard, no port), got ${show(value)}`);
    }
    return value;
}

export function port(field: string, value: unknown): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
        throw new Error(`${field}: expected a port number 1-65535, got ${show(value)}`);
    }
    return value;
}

export function nonEmpty<T>(field: string, value: readonly T[] | undefined): readonly T[] {
    if (!Array.isArray(value) || value.length === 0) {
        throw new Error(`${field}: expected at least one entry`);
    }
    return value as readonly T[];
}

export function unique(field: string, values: readonly (string | number)[]): void {
    values.forEach((v, i) => {
        if (values.indexOf(v) !== i) {
            throw new Error(`${field}[${i}]: duplicate ${show(v)}`);
        }
    });
}

/** An IP address. */
export function ipAddress(field: string, value: unknown): string {
    if (!isIpAddress(value)) {
        throw new Error(`${field}: expected an IP address like "10.5.0.4", got ${show(value)}`);
    }
    return value;
}

/**
 * An IP address or a CIDR with zero host bits, as a CIDR ("10.5.0.4" → "10.5.0.4/32"). Host bits are refused
 * because they usually mean a typo (and newer API servers reject non-canonical CIDRs).
 */
export function cidr(field: string, value: unknown): string {
    const checked = checkCidr(value);
    if ("hostBitsOf" in checked) {
        throw new Error(`${field}: ${show(value)} has host bits set; did you mean "${checked.hostBitsOf}"?`);
    }
    if ("malformed" in checked) {
        throw new Error(
            typeof value === "string" && !value.includes("/")
                ? `${field}: expected an IP address like "10.5.0.4", got ${show(value)}`
                : `${field}: expected an IP address or a CIDR with zero host bits like "10.5.0.0/24", got ${show(value)}`,
        );
    }
    return checked.cidr;
}

/** An absolute https URL (JWKS, issuer): anything else lets a network attacker swap the keys. */
export function httpsUrl(field: string, value: unknown): string {
    let url: URL | undefined;
    try {
        url = typeof value === "string" ? new URL(value) : undefined;
    } catch {
        url = undefined;
    }
    if (!url || url.protocol !== "https:" || url.username !== "" || url.password !== "" || url.hash !== "") {
        throw new Error(`${field}: expected an absolute https:// URL without credentials or fragment, got ${show(value)}`);
    }
    return value as string;
}

/**
 * The address a host publishes a service on (Docker `--publish <address>:…`): one of its own unicast IPv4 addresses —
 * not 0.0.0.0 (every interface) and not loopback (the clusters could not reach it; the push registry lives there).
 */
export function hostBindAddress(field: string, value: string): string {
    if (!isIPv4(value) || value.startsWith("0.") || value.startsWith("127.")) {
        throw new Error(`${field}: expected the host's management IPv4 address like "10.5.0.2", got ${show(value)}`);
    }
    return value;
}
