import { parse as parseYaml } from "yaml";

/** What validation needs from an admin kubeconfig: the server of its current context. */
export interface KubeconfigSummary {
    readonly server: string;
    readonly context: string;
}

interface NamedEntry {
    name?: unknown;
    cluster?: { server?: unknown };
    context?: { cluster?: unknown };
}

/**
 * Reads just enough of a kubeconfig (YAML or JSON) to validate it. Throws an Error whose message never
 * contains the kubeconfig's content (it holds credentials).
 */
export function summarizeKubeconfig(text: string): KubeconfigSummary {
    let doc: unknown;
    try {
        doc = parseYaml(text);
    } catch {
        throw new Error("is not valid YAML/JSON");
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
        throw new Error("is not a kubeconfig (expected a mapping with clusters, contexts and users)");
    }
    const kc = doc as { clusters?: unknown; contexts?: unknown; users?: unknown; "current-context"?: unknown };
    const list = (v: unknown): NamedEntry[] => (Array.isArray(v) ? (v as NamedEntry[]) : []);
    const clusters = list(kc.clusters);
    const contexts = list(kc.contexts);
    if (clusters.length === 0 || contexts.length === 0 || list(kc.users).length === 0) {
        throw new Error("is not a kubeconfig (needs non-empty clusters, contexts and users)");
    }
    let contextName = typeof kc["current-context"] === "string" ? kc["current-context"] : "";
    if (!contextName) {
        if (contexts.length !== 1) {
            throw new Error("has no current-context and more than one context");
        }
        contextName = typeof contexts[0].name === "string" ? contexts[0].name : "";
    }
    const context = contexts.find((c) => c.name === contextName);
    if (!context) {
        throw new Error(`names current-context "${contextName}" which it does not define`);
    }
    const cluster = clusters.find((c) => c.name === context.context?.cluster);
    const server = cluster?.cluster?.server;
    if (typeof server !== "string" || server === "") {
        throw new Error(`context "${contextName}" points at a cluster without a server`);
    }
    return { server, context: contextName };
}
