import { parse as parseYaml } from "yaml";

/** What validation needs from an admin kubeconfig: the server of its current context. */
export interface KubeconfigSummary {
    readonly server: string;
    readonly context: string;
}

interface NamedEntry {
    name?: unknown;
    cluster?: { server?: unknown };
    context?: { cluster?: unknown; user?: unknown };
    user?: Record<string, unknown>;
}

/** The fields of a kubeconfig user that authenticate it (client-go's AuthInfo); one must be set. */
const credentialFields = [
    "token",
    "tokenFile",
    "client-certificate-data",
    "client-certificate",
    "exec",
    "auth-provider",
    "username",
] as const;

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
    // The provider is given the kubeconfig as it is and connects through its current-context: without one it
    // would connect with none, even when the file holds a single context.
    const contextName = typeof kc["current-context"] === "string" ? kc["current-context"] : "";
    if (!contextName) {
        throw new Error("has no current-context: set it (kubectl config use-context <name>) to the admin context");
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
    const user = list(kc.users).find((u) => u.name === context.context?.user);
    if (!user) {
        throw new Error(`context "${contextName}" names a user it does not define`);
    }
    const auth = user.user ?? {};
    const has = (field: string) => auth[field] !== undefined && auth[field] !== null && auth[field] !== "";
    if (!credentialFields.some(has)) {
        throw new Error(`context "${contextName}"'s user has no credentials (token, client certificate and key, exec or auth-provider)`);
    }
    if ((has("client-certificate-data") || has("client-certificate")) && !has("client-key-data") && !has("client-key")) {
        throw new Error(`context "${contextName}"'s user has a client certificate but no client key`);
    }
    return { server, context: contextName };
}
