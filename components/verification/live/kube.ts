/**
 * A minimal Kubernetes REST client: just enough to GET/POST/PATCH with a kubeconfig's credentials. Used by the live
 * control-plane checks (`npm run verify`), the sim's process runtime and the sim tests; no client library needed.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import { parse as parseYaml } from "yaml";

interface KubeconfigDoc {
    "current-context": string;
    contexts: { name: string; context: { cluster: string; user: string } }[];
    clusters: { name: string; cluster: { server: string; "certificate-authority-data"?: string; "certificate-authority"?: string } }[];
    users: {
        name: string;
        user: {
            token?: string;
            "client-certificate-data"?: string;
            "client-certificate"?: string;
            "client-key-data"?: string;
            "client-key"?: string;
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

export class Kube {
    readonly server: string;
    readonly #agent: https.Agent;
    readonly #token?: string;

    constructor(kubeconfigText: string) {
        const kc = parseYaml(kubeconfigText) as KubeconfigDoc;
        const ctx = kc.contexts.find((c) => c.name === kc["current-context"]) ?? kc.contexts[0];
        const cluster = kc.clusters.find((c) => c.name === ctx.context.cluster)!.cluster;
        const user = kc.users.find((u) => u.name === ctx.context.user)!.user;
        this.server = cluster.server;
        this.#token = user.token;
        this.#agent = new https.Agent({
            ca: fromData(cluster["certificate-authority-data"], cluster["certificate-authority"]),
            cert: fromData(user["client-certificate-data"], user["client-certificate"]),
            key: fromData(user["client-key-data"], user["client-key"]),
            keepAlive: false,
        });
    }

    request(method: string, path: string, body?: unknown, contentType?: string, accept = "application/json"): Promise<KubeResponse> {
        const url = new URL(path, this.server);
        const payload = body === undefined ? undefined : JSON.stringify(body);
        return new Promise((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method,
                    agent: this.#agent,
                    timeout: 10_000,
                    headers: {
                        Accept: accept,
                        ...(payload
                            ? { "Content-Type": contentType ?? (method === "PATCH" ? "application/merge-patch+json" : "application/json") }
                            : {}),
                        ...(this.#token ? { Authorization: `Bearer ${this.#token}` } : {}),
                    },
                },
                (res) => {
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
