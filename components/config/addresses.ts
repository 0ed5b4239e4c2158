import { ipRangeName, looksNumeric } from "../core/net";
import { baseUrlExtras } from "../core/validate";

/** Ranges an API server address must never be in: peers in other clusters could not reach it. */
const unreachableRanges = new Set(["loopback", "unspecified", "linkLocal", "broadcast", "multicast"]);

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
    const range = ipRangeName(host);
    if (opts.allowLoopback && (host === "localhost" || range === "loopback")) {
        // The simulation runs every cluster in ONE network namespace, where loopback is shared.
        return undefined;
    }
    if (host === "localhost" || host.endsWith(".localhost")) {
        return "is a loopback name; other clusters cannot reach it (istio#31081)";
    }
    if (range !== undefined) {
        if (unreachableRanges.has(range)) {
            return `is a ${range} address; other clusters cannot reach it (istio#31081)`;
        }
    } else if (looksNumeric(host)) {
        return "has a malformed IPv4 address";
    }
    return undefined;
}

/** Host part of an https URL (for readable outputs). */
export function hostOf(url: string): string {
    return new URL(url).hostname;
}
