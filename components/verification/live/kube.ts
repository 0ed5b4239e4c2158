/**
 * A minimal Kubernetes REST client: just enough to GET/POST/PATCH with a kubeconfig's credentials. Used by the live
 * control-plane checks (`npm run verify`), the sim's process runtime and the sim tests; no client library needed.
 *
 * Credentials: a static bearer token, a client certificate, or an exec credential plugin (`users[].user.exec`, e.g.
 * GKE's gke-gcloud-auth-plugin), run as client-go runs it: no shell, non-interactive, KUBERNETES_EXEC_INFO set, its
 * ExecCredential cached per Kube until its expirationTimestamp.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import { parse as parseYaml } from "yaml";

interface KubeconfigCluster {
    server: string;
    "certificate-authority-data"?: string;
    "certificate-authority"?: string;
    "tls-server-name"?: string;
    "insecure-skip-tls-verify"?: boolean;
    "proxy-url"?: string;
    "disable-compression"?: boolean;
    extensions?: { name: string; extension: unknown }[] | null;
}

interface KubeconfigDoc {
    "current-context": string;
    contexts: { name: string; context: { cluster: string; user: string } }[];
    clusters: { name: string; cluster: KubeconfigCluster }[];
    users: {
        name: string;
        user: {
            token?: string;
            "client-certificate-data"?: string;
            "client-certificate"?: string;
            "client-key-data"?: string;
            "client-key"?: string;
            exec?: unknown;
        };
    }[];
}

export interface KubeResponse {
    status: number;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of any Kubernetes kind; callers narrow it
    body: any;
}

const fromData = (data?: string, file?: string): Buffer | undefined =>
    data !== undefined ? Buffer.from(data, "base64") : file !== undefined ? fs.readFileSync(file) : undefined;

/** The client.authentication.k8s.io versions an exec plugin may speak (v1alpha1 is gone from client-go). */
export const execApiVersions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"] as const;
export type ExecApiVersion = (typeof execApiVersions)[number];

/** A kubeconfig user's `exec` stanza (clientcmd ExecConfig), validated. */
export interface ExecConfig {
    apiVersion: ExecApiVersion;
    command: string;
    args: string[];
    env: { name: string; value: string }[];
    installHint?: string;
    provideClusterInfo: boolean;
    interactiveMode?: "Never" | "IfAvailable" | "Always";
}

/** ExecCredential spec.cluster: the kubeconfig cluster as client-go hands it to a plugin (CA always as data). */
export interface ExecCluster {
    server: string;
    "tls-server-name"?: string;
    "insecure-skip-tls-verify"?: boolean;
    /** base64 of the PEM bundle, as Go marshals []byte */
    "certificate-authority-data"?: string;
    "proxy-url"?: string;
    "disable-compression"?: boolean;
    /** the cluster's `client.authentication.k8s.io/exec` extension, when it has one */
    config?: unknown;
}

/** What a plugin returned: a bearer token and/or a client certificate (PEM), valid until expiresAt (if any). */
export interface ExecCredential {
    token?: string;
    clientCertificateData?: string;
    clientKeyData?: string;
    expiresAt?: Date;
}

/** The exec-info extension's name on a kubeconfig cluster (client-go's ExecInfo extension). */
const execExtensionName = "client.authentication.k8s.io/exec";
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Validates a kubeconfig user's `exec` stanza; `who` names the user in errors. */
export function parseExecConfig(raw: unknown, who = "kubeconfig user"): ExecConfig {
    if (!isRecord(raw)) {
        throw new Error(`${who}: exec must be a mapping`);
    }
    const apiVersion = raw.apiVersion;
    if (!execApiVersions.includes(apiVersion as ExecApiVersion)) {
        throw new Error(`${who}: exec apiVersion ${JSON.stringify(apiVersion)} is not supported (use ${execApiVersions.join(" or ")})`);
    }
    if (typeof raw.command !== "string" || raw.command === "") {
        throw new Error(`${who}: exec has no command`);
    }
    const args = raw.args ?? [];
    if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) {
        throw new Error(`${who}: exec args must be a list of strings`);
    }
    const env = raw.env ?? [];
    if (!Array.isArray(env) || !env.every((e) => isRecord(e) && typeof e.name === "string" && typeof e.value === "string")) {
        throw new Error(`${who}: exec env must be a list of {name, value} strings`);
    }
    const mode = raw.interactiveMode;
    if (mode !== undefined && mode !== "Never" && mode !== "IfAvailable" && mode !== "Always") {
        throw new Error(`${who}: exec interactiveMode ${JSON.stringify(mode)} is not Never, IfAvailable or Always`);
    }
    return {
        apiVersion: apiVersion as ExecApiVersion,
        command: raw.command,
        args,
        env: (env as { name: string; value: string }[]).map(({ name, value }) => ({ name, value })),
        ...(typeof raw.installHint === "string" && raw.installHint !== "" ? { installHint: raw.installHint } : {}),
        provideClusterInfo: raw.provideClusterInfo === true,
        ...(mode !== undefined ? { interactiveMode: mode } : {}),
    };
}

/** The kubeconfig cluster as spec.cluster: the CA (from data or file) as base64 data, the exec extension as config. */
export function execClusterOf(cluster: KubeconfigCluster): ExecCluster {
    const ca = fromData(cluster["certificate-authority-data"], cluster["certificate-authority"]);
    const extension = (cluster.extensions ?? []).find((e) => e.name === execExtensionName);
    return {
        server: cluster.server,
        ...(cluster["tls-server-name"] ? { "tls-server-name": cluster["tls-server-name"] } : {}),
        ...(cluster["insecure-skip-tls-verify"] ? { "insecure-skip-tls-verify": true } : {}),
        ...(ca ? { "certificate-authority-data": ca.toString("base64") } : {}),
        ...(cluster["proxy-url"] ? { "proxy-url": cluster["proxy-url"] } : {}),
        ...(cluster["disable-compression"] ? { "disable-compression": true } : {}),
        ...(extension ? { config: extension.extension } : {}),
    };
}

/** The ExecCredential request put in KUBERNETES_EXEC_INFO: never interactive; spec.cluster only with provideClusterInfo. */
export function execCredentialRequest(exec: ExecConfig, cluster?: ExecCluster): Record<string, unknown> {
    return {
        apiVersion: exec.apiVersion,
        kind: "ExecCredential",
        spec: { interactive: false, ...(exec.provideClusterInfo && cluster ? { cluster } : {}) },
    };
}

/** The plugin's environment: ours, then the stanza's env, then KUBERNETES_EXEC_INFO (as client-go orders them). */
export function execEnv(exec: ExecConfig, cluster?: ExecCluster, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...base };
    for (const { name, value } of exec.env) {
        env[name] = value;
    }
    env.KUBERNETES_EXEC_INFO = JSON.stringify(execCredentialRequest(exec, cluster));
    return env;
}

/**
 * Reads a plugin's stdout as the ExecCredential answering `apiVersion`. Errors describe the shape, never the content:
 * stdout carries the secret.
 */
export function readExecCredential(stdout: string, apiVersion: ExecApiVersion): ExecCredential {
    let doc: unknown;
    try {
        doc = JSON.parse(stdout);
    } catch {
        throw new Error(`exec plugin output is not JSON (${Buffer.byteLength(stdout)} bytes)`);
    }
    if (!isRecord(doc) || doc.kind !== "ExecCredential") {
        throw new Error("exec plugin output is not an ExecCredential");
    }
    if (doc.apiVersion !== apiVersion) {
        throw new Error(`exec plugin returned apiVersion ${JSON.stringify(doc.apiVersion)}, but was asked for ${apiVersion}`);
    }
    const status = doc.status;
    if (!isRecord(status)) {
        throw new Error("exec plugin returned an ExecCredential without status");
    }
    const text = (key: string): string | undefined => {
        const v = status[key];
        if (v === undefined || v === null || v === "") {
            return undefined;
        }
        if (typeof v !== "string") {
            throw new Error(`exec plugin returned a non-string status.${key}`);
        }
        return v;
    };
    const token = text("token");
    const cert = text("clientCertificateData");
    const key = text("clientKeyData");
    if ((cert === undefined) !== (key === undefined)) {
        throw new Error("exec plugin returned only one of status.clientCertificateData and status.clientKeyData");
    }
    if (token === undefined && cert === undefined) {
        throw new Error("exec plugin returned neither status.token nor status.clientCertificateData/clientKeyData");
    }
    const expiry = text("expirationTimestamp");
    const expiresAt = expiry === undefined ? undefined : new Date(expiry);
    if (expiresAt !== undefined && Number.isNaN(expiresAt.getTime())) {
        throw new Error(`exec plugin returned an unreadable status.expirationTimestamp ${JSON.stringify(expiry)}`);
    }
    return {
        ...(token !== undefined ? { token } : {}),
        ...(cert !== undefined ? { clientCertificateData: cert, clientKeyData: key } : {}),
        ...(expiresAt ? { expiresAt } : {}),
    };
}

/** Margin before expirationTimestamp at which a credential counts as expired (a request may take 10 s). */
export const execExpirySkewMs = 10_000;

/** Whether a cached credential may still be used at `now`: no expiry means valid for the Kube's lifetime. */
export function execCredentialFresh(cred: ExecCredential, now = Date.now()): boolean {
    return cred.expiresAt === undefined || now < cred.expiresAt.getTime() - execExpirySkewMs;
}

/** Removes what looks like a bearer token (the given ones, JWTs, Google access tokens) from a plugin's stderr. */
export function redactTokens(text: string, known: readonly string[] = []): string {
    let out = text;
    for (const t of known) {
        if (t.length >= 8) {
            out = out.split(t).join("[REDACTED]");
        }
    }
    return out.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, "[REDACTED]").replace(/\bya29\.[\w.-]+/g, "[REDACTED]");
}

export interface ExecRunOptions {
    /** kill the plugin after this long (default 60 s) */
    timeoutMs?: number;
    /** the environment the plugin's env is laid over (default process.env) */
    baseEnv?: NodeJS.ProcessEnv;
    /** tokens to keep out of error messages (e.g. the one just cached) */
    redact?: readonly string[];
}

const stderrLimit = 2048;

/**
 * Runs an exec credential plugin once: no shell, stdin closed, bounded by a timeout, and reads its ExecCredential.
 * A missing command names itself and the installHint; a failing one shows its stderr (trimmed, ≤ 2 kB, tokens redacted).
 */
export function runExecPlugin(exec: ExecConfig, cluster?: ExecCluster, options: ExecRunOptions = {}): ExecCredential {
    if (exec.interactiveMode === "Always") {
        throw new Error(`exec plugin ${exec.command} needs interactiveMode Always, but the live checks run without a terminal`);
    }
    const timeoutMs = options.timeoutMs ?? 60_000;
    const r = spawnSync(exec.command, exec.args, {
        env: execEnv(exec, cluster, options.baseEnv),
        stdio: ["ignore", "pipe", "pipe"],
        timeout: timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 1024 * 1024,
        encoding: "utf8",
        shell: false,
        windowsHide: true,
    });
    const stderr = () => {
        const text = redactTokens((r.stderr ?? "").trim(), options.redact);
        return text === "" ? "" : `: ${text.length > stderrLimit ? `${text.slice(0, stderrLimit)}…` : text}`;
    };
    const code = r.error && "code" in r.error ? String(r.error.code) : undefined;
    if (code === "ENOENT") {
        throw new Error(
            `exec credential plugin ${JSON.stringify(exec.command)} not found` +
                (exec.installHint ? `: ${exec.installHint}` : " (install it or put it on PATH)"),
        );
    }
    if (code === "ETIMEDOUT") {
        throw new Error(`exec credential plugin ${exec.command} timed out after ${timeoutMs / 1000} s${stderr()}`);
    }
    if (r.error) {
        throw new Error(`exec credential plugin ${exec.command} could not run: ${code ?? r.error.message}${stderr()}`);
    }
    if (r.status !== 0) {
        const how = r.status === null ? `was killed by ${r.signal ?? "a signal"}` : `exited with status ${r.status}`;
        throw new Error(`exec credential plugin ${exec.command} ${how}${stderr()}`);
    }
    try {
        return readExecCredential(r.stdout, exec.apiVersion);
    } catch (e) {
        throw new Error(`exec credential plugin ${exec.command}: ${(e as Error).message}`);
    }
}

export class Kube {
    readonly server: string;
    readonly #ca?: Buffer;
    readonly #agent: https.Agent;
    readonly #token?: string;
    readonly #exec?: { config: ExecConfig; cluster: ExecCluster };
    #execCached?: { cred: ExecCredential; agent: https.Agent };
    #execRuns = 0;

    constructor(kubeconfigText: string) {
        const kc = parseYaml(kubeconfigText) as KubeconfigDoc;
        const ctx = kc.contexts.find((c) => c.name === kc["current-context"]) ?? kc.contexts[0];
        const cluster = kc.clusters.find((c) => c.name === ctx.context.cluster)!.cluster;
        const userEntry = kc.users.find((u) => u.name === ctx.context.user)!;
        const user = userEntry.user;
        this.server = cluster.server;
        this.#token = user.token;
        this.#ca = fromData(cluster["certificate-authority-data"], cluster["certificate-authority"]);
        if (user.exec !== undefined && user.exec !== null) {
            const who = `kubeconfig user ${JSON.stringify(userEntry.name)}`;
            if (user.token || user["client-certificate-data"] || user["client-certificate"]) {
                throw new Error(`${who}: exec together with a token or client certificate is ambiguous; keep one`);
            }
            this.#exec = { config: parseExecConfig(user.exec, who), cluster: execClusterOf(cluster) };
        }
        this.#agent = new https.Agent({
            ca: this.#ca,
            cert: fromData(user["client-certificate-data"], user["client-certificate"]),
            key: fromData(user["client-key-data"], user["client-key"]),
            keepAlive: false,
        });
    }

    /** How many times this Kube has run its exec credential plugin (0 without one). */
    get execRuns(): number {
        return this.#execRuns;
    }

    /** The agent and bearer token for the next request: static, or the exec plugin's (run when none is cached or fresh). */
    #credentials(): { agent: https.Agent; token?: string } {
        if (!this.#exec) {
            return { agent: this.#agent, token: this.#token };
        }
        if (!this.#execCached || !execCredentialFresh(this.#execCached.cred)) {
            const previous = this.#execCached?.cred.token;
            this.#execCached = undefined;
            this.#execRuns++;
            const cred = runExecPlugin(this.#exec.config, this.#exec.cluster, { redact: previous ? [previous] : [] });
            const agent = cred.clientCertificateData
                ? new https.Agent({ ca: this.#ca, cert: cred.clientCertificateData, key: cred.clientKeyData, keepAlive: false })
                : this.#agent;
            this.#execCached = { cred, agent };
        }
        return { agent: this.#execCached.agent, token: this.#execCached.cred.token };
    }

    request(method: string, path: string, body?: unknown, contentType?: string, accept = "application/json"): Promise<KubeResponse> {
        const url = new URL(path, this.server);
        const payload = body === undefined ? undefined : JSON.stringify(body);
        let auth: { agent: https.Agent; token?: string };
        try {
            auth = this.#credentials();
        } catch (e) {
            return Promise.reject(e instanceof Error ? e : new Error(String(e)));
        }
        return new Promise((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method,
                    agent: auth.agent,
                    timeout: 10_000,
                    headers: {
                        Accept: accept,
                        ...(payload
                            ? { "Content-Type": contentType ?? (method === "PATCH" ? "application/merge-patch+json" : "application/json") }
                            : {}),
                        ...(auth.token ? { Authorization: `Bearer ${auth.token}` } : {}),
                    },
                },
                (res) => {
                    if (res.statusCode === 401 && this.#exec) {
                        // a revoked or rotated credential: the next request runs the plugin again (as client-go does)
                        this.#execCached = undefined;
                    }
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let parsed: unknown = text;
                        try {
                            parsed = JSON.parse(text);
                        } catch {
                            // non-JSON error bodies stay text
                        }
                        resolve({ status: res.statusCode ?? 0, body: parsed });
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`timeout: ${method} ${url.href}`)));
            req.on("error", reject);
            if (payload) {
                req.write(payload);
            }
            req.end();
        });
    }

    get(path: string): Promise<KubeResponse> {
        return this.request("GET", path);
    }

    /** Metadata only (names, labels, annotations) of a list: for Secrets, their contents never travel. */
    async listMetadata(path: string): Promise<{ metadata: { name: string; annotations?: Record<string, string> } }[]> {
        const r = await this.request("GET", path, undefined, undefined, "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1");
        if (r.status !== 200) {
            throw new Error(`GET ${path} (metadata): HTTP ${r.status}`);
        }
        return (r.body as { items: { metadata: { name: string; annotations?: Record<string, string> } }[] }).items;
    }

    /** GET that must answer 200: the body, or an error naming the path and status. */
    async getOk<T = unknown>(path: string): Promise<T> {
        const r = await this.get(path);
        if (r.status !== 200) {
            const body = r.body as { message?: string } | string | null;
            throw new Error(
                `GET ${path}: HTTP ${r.status} ${typeof body === "object" ? (body?.message ?? "") : String(body).slice(0, 200)}`,
            );
        }
        return r.body as T;
    }
}

/** REST path of an object from its apiVersion/kind/name/namespace (the kinds the program creates). */
export function objectPath(apiVersion: string, kind: string, name: string, namespace?: string): string {
    const plural: Record<string, string> = {
        Namespace: "namespaces",
        Secret: "secrets",
        ServiceAccount: "serviceaccounts",
        Service: "services",
        ConfigMap: "configmaps",
        Deployment: "deployments",
        DaemonSet: "daemonsets",
        ClusterRole: "clusterroles",
        Role: "roles",
        RoleBinding: "rolebindings",
        ClusterRoleBinding: "clusterrolebindings",
        Gateway: "gateways",
        PeerAuthentication: "peerauthentications",
        AuthorizationPolicy: "authorizationpolicies",
        RequestAuthentication: "requestauthentications",
        VirtualService: "virtualservices",
        ServiceEntry: "serviceentries",
        NetworkPolicy: "networkpolicies",
        Job: "jobs",
    };
    const resource = plural[kind];
    if (!resource) {
        throw new Error(`no REST mapping for kind ${kind}`);
    }
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return namespace ? `${base}/namespaces/${namespace}/${resource}/${name}` : `${base}/${resource}/${name}`;
}
