/**
 * Pod-template hash annotations: Kubernetes does not restart pods when a ConfigMap or Secret they read changes, so a
 * hash of what they read goes into the template, and a change rolls them. One prefix for every such annotation.
 */
import { createHash } from "node:crypto";

export const annotationPrefix = "zta-testbed.dev/";

export function sha256Hex(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

/** The annotation key for a hash of `what` (e.g. "config" → "zta-testbed.dev/config-sha256"). */
export function rolloutKey(what: "cacerts" | "config" | "content" | "secrets" | "inputs"): string {
    return `${annotationPrefix}${what}-sha256`;
}
