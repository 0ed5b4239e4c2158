/**
 * Talking to a running istiod as one of its proxies would: an xDS stream or a CSR over its TLS port (15012),
 * authenticated with a service-account token bound to a real pod (TokenRequest API), through the zta-xds tool
 * (toolchain piece istiod-1.30). Also its monitoring endpoint (15014), for its own metrics.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { Kube } from "./kube";
import { XdsDump } from "./xds";

/** Where one istiod answers (sim: its pod IP; a live cluster: a port-forward). */
export interface IstiodEndpoint {
    readonly host: string;
    readonly xdsPort: number;
    readonly monitoringPort: number;
}

export interface PodRef {
    readonly name: string;
    readonly namespace: string;
    readonly uid: string;
    readonly ip: string;
    readonly serviceAccount: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly nodeName: string;
    readonly hostIP: string;
    /** The injected istio-proxy container (init container when native sidecars), when there is one. */
    readonly proxy?: ProxyContainer;
}

export interface ProxyContainer {
    readonly name: string;
    readonly args?: readonly string[];
    readonly env?: readonly { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
}

interface PodJson {
    metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
    spec: { serviceAccountName?: string; nodeName?: string; containers: ProxyContainer[]; initContainers?: ProxyContainer[] };
    status?: { podIP?: string; hostIP?: string; conditions?: { type: string; status: string }[] };
}

const isReady = (p: PodJson) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/** Ready, not-terminating pods of a namespace with a label selector. */
export async function readyPods(kube: Kube, namespace: string, selector: string): Promise<PodRef[]> {
    const list = await kube.getOk<{ items: PodJson[] }>(
        `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`,
    );
    return list.items
        .filter((p) => !p.metadata.deletionTimestamp && isReady(p) && p.status?.podIP)
        .map((p) => ({
            name: p.metadata.name,
            namespace: p.metadata.namespace,
            uid: p.metadata.uid,
            ip: p.status?.podIP ?? "",
            serviceAccount: p.spec.serviceAccountName ?? "default",
            labels: p.metadata.labels ?? {},
            nodeName: p.spec.nodeName ?? "",
            hostIP: p.status?.hostIP ?? "",
            proxy: [...(p.spec.initContainers ?? []), ...p.spec.containers].find((c) => c.name === "istio-proxy"),
        }));
}

/** A token for the pod's service account, audience istio-ca, bound to the pod (as the kubelet mounts istio-token). */
export async function podToken(kube: Kube, pod: PodRef, audience = "istio-ca"): Promise<string> {
    const r = await kube.request("POST", `/api/v1/namespaces/${pod.namespace}/serviceaccounts/${pod.serviceAccount}/token`, {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: {
            audiences: [audience],
            expirationSeconds: 600,
            boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.name, uid: pod.uid },
        },
    });
    const token = (r.body as { status?: { token?: string } }).status?.token;
    if (r.status !== 201 || !token) {
        throw new Error(`TokenRequest for ${pod.namespace}/${pod.serviceAccount}: HTTP ${r.status}`);
    }
    return token;
}

/**
 * The node metadata pilot-agent would send for this pod: every ISTIO_META_* of its injected proxy (downward-API
 * fields resolved), plus what the agent adds itself.
 */
export function proxyNode(pod: PodRef, clusterId: string, istioVersion: string): { id: string; meta: Record<string, unknown> } {
    const env = (pod.proxy?.env ?? []).filter((e) => e.name.startsWith("ISTIO_META_") || e.name === "PROXY_CONFIG");
    const field = (f: string): string =>
        ({
            "metadata.name": pod.name,
            "metadata.namespace": pod.namespace,
            "spec.nodeName": pod.nodeName,
            "status.podIP": pod.ip,
            "status.hostIP": pod.hostIP,
        })[f] ?? "";
    const meta: Record<string, unknown> = {};
    for (const e of env) {
        const value = e.valueFrom?.fieldRef ? field(e.valueFrom.fieldRef.fieldPath) : (e.value ?? "");
        if (e.name === "PROXY_CONFIG") {
            meta.PROXY_CONFIG = JSON.parse(value) as unknown;
        } else {
            meta[e.name.slice("ISTIO_META_".length)] = value;
        }
    }
    Object.assign(meta, {
        CLUSTER_ID: meta.CLUSTER_ID ?? clusterId,
        NAMESPACE: pod.namespace,
        LABELS: pod.labels,
        INSTANCE_IPS: pod.ip,
        SERVICE_ACCOUNT: pod.serviceAccount,
        ISTIO_VERSION: istioVersion,
        POD_NAME: pod.name,
    });
    const args = pod.proxy?.args ?? [];
    const type = args[0] === "proxy" && args[1] === "router" ? "router" : "sidecar";
    return { id: `${type}~${pod.ip}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.cluster.local`, meta };
}

function run(bin: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(bin, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
            resolve({ code, stdout, stderr });
        });
    });
}

/** Runs zta-xds with secret inputs in a private temporary directory (never in argv). */
async function withFiles<T>(files: Record<string, string>, f: (paths: Record<string, string>) => Promise<T>): Promise<T> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-xds-"));
    try {
        const paths: Record<string, string> = {};
        for (const [name, content] of Object.entries(files)) {
            paths[name] = path.join(dir, name);
            fs.writeFileSync(paths[name], content, { mode: 0o600 });
        }
        return await f(paths);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export class IstiodClient {
    constructor(
        readonly ztaXds: string,
        readonly endpoint: IstiodEndpoint,
        /** Root bundle istiod's serving certificate must chain to (what proxies mount: istio-ca-root-cert). */
        readonly rootPem: string,
    ) {}

    /** One zta-xds call with the token and root in private files; its stdout (JSON) and exit status. */
    private call(command: "xds" | "csr", token: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
        return withFiles({ token, "root.pem": this.rootPem }, (p) =>
            run(
                this.ztaXds,
                [
                    command,
                    "--addr",
                    `${this.endpoint.host}:${this.endpoint.xdsPort}`,
                    "--root",
                    p["root.pem"],
                    "--token-file",
                    p.token,
                    ...args,
                ],
                30_000,
            ),
        );
    }

    async xds(token: string, node: { id: string; meta: Record<string, unknown> }): Promise<XdsDump> {
        const r = await this.call("xds", token, ["--node-id", node.id, "--meta", JSON.stringify(node.meta)]);
        if (r.code !== 0) {
            throw new Error(`xDS as ${node.id}: ${r.stderr.trim() || `exit ${r.code}`}`);
        }
        return JSON.parse(r.stdout) as XdsDump;
    }

    /** A CSR for `spiffe` with the token; returns the chain PEMs (leaf first) or the CA's refusal (exit 3). */
    async csr(token: string, spiffe: string, clusterId: string, ttlHours: number): Promise<{ chain?: string[]; error?: string }> {
        const r = await this.call("csr", token, ["--spiffe", spiffe, "--cluster", clusterId, "--ttl", `${ttlHours}h`]);
        if (r.code !== 0 && r.code !== 3) {
            throw new Error(`CSR for ${spiffe}: ${r.stderr.trim() || `exit ${r.code}`}`);
        }
        return JSON.parse(r.stdout) as { chain?: string[]; error?: string };
    }

    /** istiod's Prometheus metrics (monitoring port), as text. */
    metrics(): Promise<string> {
        return new Promise((resolve, reject) => {
            const req = http.get(
                { host: this.endpoint.host, port: this.endpoint.monitoringPort, path: "/metrics", timeout: 10_000 },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
                },
            );
            req.on("timeout", () => req.destroy(new Error("timeout reading istiod metrics")));
            req.on("error", reject);
        });
    }
}

/** Samples of one metric from Prometheus text: labels → value. */
export function metricSamples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
    const out: { labels: Record<string, string>; value: number }[] = [];
    for (const line of text.split("\n")) {
        if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ")) {
            continue;
        }
        const m = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
        if (!m) {
            continue;
        }
        const labels: Record<string, string> = {};
        for (const l of (m[1] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
            labels[l[1]] = l[2];
        }
        out.push({ labels, value: Number(m[2]) });
    }
    return out;
}
