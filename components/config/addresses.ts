import { ipRangeName, looksNumeric } from "../core/net";
import { baseUrlExtras } from "../core/validate";

/** Ranges an address others must dial can never be in: nobody else reaches it, or it names no one host. */
const unreachableRanges: ReadonlyMap<string, string> = new Map([
    ["loopback", "a loopback"],
    ["unspecified", "an unspecified"],
    ["linkLocal", "a link-local"],
    ["broadcast", "a broadcast"],
    ["multicast", "a multicast"],
]);

/**
 * Why other machines cannot dial `host` (an IP address or a DNS name), or undefined when nothing rules it out:
 * loopback names (`localhost`, `*.localhost`, RFC 6761) and addresses that are loopback, unspecified, link-local,
 * broadcast or multicast. A malformed dotted quad is reported too (it would be looked up as a name).
 */
export function unservableHostProblem(host: string): string | undefined {
    const bare = host.replace(/^\[|\]$/g, "");
    if (bare === "localhost" || bare.endsWith(".localhost")) {
        return "is a loopback name";
    }
    const range = ipRangeName(bare);
    if (range !== undefined) {
        const kind = unreachableRanges.get(range);
        return kind && `is ${kind} address`;
    }
    return looksNumeric(bare) ? "is a malformed IPv4 address" : undefined;
}

/**
 * Checks a URL other clusters' istiod will dial. Returns a problem description, or undefined when fine.
 * Loopback addresses are the classic multi-cluster failure (istio#31081): each istiod would dial itself.
 */
export function apiServerProblem(url: string, opts: { allowLoopback?: boolean } = {}): string | undefined {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return "is not a valid URL (expected https://<host>:<port>)";
    }
    if (parsed.protocol !== "https:") {
        return `must use https (got ${parsed.protocol.replace(":", "")})`;
    }
    if (parsed.pathname !== "/" && parsed.pathname !== "") {
        return "must not carry a path";
    }
    const extras = baseUrlExtras(parsed);
    if (extras.length > 0) {
        return `must not carry ${extras.join(", ")}`;
    }
    const host = parsed.hostname.replace(/^\[|\]$/g, "");
    if (opts.allowLoopback && (host === "localhost" || ipRangeName(host) === "loopback")) {
        // The simulation runs every cluster in ONE network namespace, where loopback is shared.
        return undefined;
    }
    const problem = unservableHostProblem(host);
    if (problem === "is a malformed IPv4 address") {
        return "has a malformed IPv4 address";
    }
    return problem && `${problem}; other clusters cannot reach it (istio#31081)`;
}

/** Host part of an https URL (for readable outputs). */
export function hostOf(url: string): string {
    return new URL(url).hostname;
}
