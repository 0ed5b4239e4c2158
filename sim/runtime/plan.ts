/**
 * Pod → process, as a kubelet would set a container up: argv ($(VAR) expanded), environment (values, downward API,
 * resource fields, Secret/ConfigMap keys), every mounted volume as files, the user to run as and the readiness
 * probe. Pure: the runtime fetches the objects and tokens, this decides what they become.
 */
import type { Container, DataSource, KeyToPath, ObjectFieldSelector, Pod, Probe, ProjectedSource, Volume } from "./pod";

export interface FileEntry {
    /** Path inside the volume. */
    readonly path: string;
    readonly content: Buffer;
    readonly mode: number;
}

export interface VolumePlan {
    readonly name: string;
    /** Absolute path in the process's root. */
    readonly mountPath: string;
    /** `files`: written atomically (kubelet style, ..data swap); `emptyDir`: a writable directory. */
    readonly kind: "files" | "emptyDir";
    readonly files: readonly FileEntry[];
    /** With subPath: only this file of the volume, at mountPath itself. */
    readonly subPath?: string;
    /** The mount is read-only (honoured where the runtime mounts: rootfs images). */
    readonly readOnly?: boolean;
}

export interface ReadinessPlan {
    readonly scheme: "HTTP" | "HTTPS" | "TCP";
    readonly port: number;
    readonly path: string;
    readonly initialDelaySeconds: number;
    readonly periodSeconds: number;
    readonly timeoutSeconds: number;
    readonly successThreshold: number;
    readonly failureThreshold: number;
}

export interface ProcessPlan {
    readonly argv: readonly string[];
    readonly env: Readonly<Record<string, string>>;
    readonly workingDir: string;
    readonly uid?: number;
    readonly gid?: number;
    readonly fsGroup?: number;
    readonly volumes: readonly VolumePlan[];
    readonly readiness?: ReadinessPlan;
    /** resourceVersions of every Secret/ConfigMap the plan read: a change means the files must be rewritten. */
    readonly sources: Readonly<Record<string, string>>;
}

export interface TokenNeed {
    /** Empty: the API server's own audience (kube-api-access). */
    readonly audience: string;
    readonly expirationSeconds: number;
}

export const tokenKey = (t: TokenNeed): string => `${t.audience}|${t.expirationSeconds}`;

export interface PlanContext {
    readonly secrets: ReadonlyMap<string, DataSource>;
    readonly configMaps: ReadonlyMap<string, DataSource>;
    /** Tokens by tokenKey, from the TokenRequest API. */
    readonly tokens: ReadonlyMap<string, string>;
    /** Where the `kubernetes` Service really answers (the sim has no kube-proxy). */
    readonly apiServer: { readonly host: string; readonly port: number };
    /** Node allocatable: what a resource field without a limit resolves to (as the kubelet does). */
    readonly nodeAllocatable: { readonly cpu: string; readonly memory: string };
    /** The binary that plays the image's entrypoint, as the process sees it. */
    readonly entrypoint: string;
    /**
     * The image brings a userland (its root holds a shell, coreutils ...): a container `command` runs as written, as
     * in the image. Without one only the entrypoint exists, and a command naming anything else is refused.
     */
    readonly userland?: boolean;
    /** The image's own environment (its config's Env): under the pod's, as a container runtime applies it. */
    readonly imageEnv?: Readonly<Record<string, string>>;
    /** Flags appended to the container's args (pinning listeners to the pod IP); each replaces the container's own `--name=`. */
    readonly extraArgs: readonly string[];
}

export type PlanResult = { readonly plan: ProcessPlan } | { readonly waiting: string };

/** Tokens the pod's projected volumes ask for (what the runtime must request before planning). */
export function tokenNeeds(pod: Pod): TokenNeed[] {
    const needs = new Map<string, TokenNeed>();
    for (const v of pod.spec.volumes ?? []) {
        for (const s of v.projected?.sources ?? []) {
            if (s.serviceAccountToken) {
                const need = {
                    audience: s.serviceAccountToken.audience ?? "",
                    expirationSeconds: s.serviceAccountToken.expirationSeconds ?? 3607,
                };
                needs.set(tokenKey(need), need);
            }
        }
    }
    return [...needs.values()];
}

class Waiting extends Error {}

/** Kubernetes quantity → number (cores for cpu, bytes for memory): enough for resource fields. */
export function quantity(q: string | number): number {
    if (typeof q === "number") {
        return q;
    }
    const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
    if (!m) {
        throw new Error(`not a quantity: ${q}`);
    }
    const units: Record<string, number> = {
        "": 1,
        m: 1e-3,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
        Ki: 1024,
        Mi: 1024 ** 2,
        Gi: 1024 ** 3,
        Ti: 1024 ** 4,
    };
    const unit = units[m[2]];
    if (unit === undefined) {
        throw new Error(`unknown quantity unit in ${q}`);
    }
    return Number(m[1]) * unit;
}

function fieldValue(pod: Pod, ref: ObjectFieldSelector): string {
    const f = ref.fieldPath;
    const sub = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(f);
    if (sub) {
        return (sub[1] === "labels" ? pod.metadata.labels : pod.metadata.annotations)?.[sub[2]] ?? "";
    }
    const values: Record<string, string | undefined> = {
        "metadata.name": pod.metadata.name,
        "metadata.namespace": pod.metadata.namespace,
        "metadata.uid": pod.metadata.uid,
        "spec.nodeName": pod.spec.nodeName,
        "spec.serviceAccountName": pod.spec.serviceAccountName,
        "status.hostIP": pod.status?.hostIP,
        "status.podIP": pod.status?.podIP,
        "status.podIPs": pod.status?.podIP,
    };
    if (!(f in values)) {
        throw new Error(`downward API field ${f} is not supported by the sim's runtime`);
    }
    return values[f] ?? "";
}

function resourceValue(container: Container, resource: string, divisor: string | number | undefined, ctx: PlanContext): string {
    const [kind, name] = resource.split(".") as ["limits" | "requests", string];
    const set = container.resources?.[kind]?.[name];
    // kubelet: a limit that is not set resolves to node allocatable; a request that is not set is 0
    const raw = set ?? (kind === "requests" ? "0" : name === "cpu" ? ctx.nodeAllocatable.cpu : ctx.nodeAllocatable.memory);
    // rounded to 12 significant digits first: 1001m / 1m must be 1001, not ceil(1001.0000000000001)
    const value = Number((quantity(raw) / quantity(divisor ?? 1)).toPrecision(12));
    return String(Math.ceil(value));
}

const sourceKey = (kind: "secret" | "configmap", name: string) => `${kind}/${name}`;

function lookup(
    kind: "secret" | "configmap",
    name: string,
    optional: boolean | undefined,
    ctx: PlanContext,
    used: Record<string, string>,
): DataSource | undefined {
    const src = (kind === "secret" ? ctx.secrets : ctx.configMaps).get(name);
    used[sourceKey(kind, name)] = src?.resourceVersion ?? "";
    if (!src && !optional) {
        throw new Waiting(`${kind} ${name} not found`);
    }
    return src;
}

function projectKeys(
    src: DataSource | undefined,
    items: KeyToPath[] | undefined,
    mode: number,
    what: string,
    optional: boolean | undefined,
): FileEntry[] {
    if (!src) {
        return [];
    }
    if (!items) {
        return Object.entries(src.data).map(([key, content]) => ({ path: key, content, mode }));
    }
    return items.flatMap((i) => {
        const content = src.data[i.key];
        if (!content) {
            // kubelet: an optional source's missing key is skipped; a required one keeps the pod waiting
            if (optional) {
                return [];
            }
            throw new Waiting(`${what}: key ${i.key} not found`);
        }
        return [{ path: i.path, content, mode: i.mode ?? mode }];
    });
}

function volumeFiles(pod: Pod, v: Volume, ctx: PlanContext, used: Record<string, string>): VolumePlan["files"] | "emptyDir" {
    if (v.emptyDir) {
        return "emptyDir";
    }
    if (v.secret) {
        const src = lookup("secret", v.secret.secretName, v.secret.optional, ctx, used);
        return projectKeys(src, v.secret.items, v.secret.defaultMode ?? 0o644, `secret ${v.secret.secretName}`, v.secret.optional);
    }
    if (v.configMap) {
        const src = lookup("configmap", v.configMap.name, v.configMap.optional, ctx, used);
        return projectKeys(src, v.configMap.items, v.configMap.defaultMode ?? 0o644, `configmap ${v.configMap.name}`, v.configMap.optional);
    }
    if (v.downwardAPI) {
        const mode = v.downwardAPI.defaultMode ?? 0o644;
        return (v.downwardAPI.items ?? []).map((i) => ({
            path: i.path,
            content: Buffer.from(i.fieldRef ? fieldValue(pod, i.fieldRef) : ""),
            mode: i.mode ?? mode,
        }));
    }
    if (v.projected) {
        const mode = v.projected.defaultMode ?? 0o644;
        return (v.projected.sources ?? []).flatMap((s: ProjectedSource): FileEntry[] => {
            if (s.serviceAccountToken) {
                const need = {
                    audience: s.serviceAccountToken.audience ?? "",
                    expirationSeconds: s.serviceAccountToken.expirationSeconds ?? 3607,
                };
                const token = ctx.tokens.get(tokenKey(need));
                if (!token) {
                    throw new Waiting(`no token for audience "${need.audience}"`);
                }
                // kubelet writes projected tokens 0600 (owned by the pod's user, see ProcessPlan.uid)
                return [{ path: s.serviceAccountToken.path, content: Buffer.from(token), mode: 0o600 }];
            }
            if (s.configMap) {
                const src = lookup("configmap", s.configMap.name, s.configMap.optional, ctx, used);
                return projectKeys(src, s.configMap.items, mode, `configmap ${s.configMap.name}`, s.configMap.optional);
            }
            if (s.secret) {
                const src = lookup("secret", s.secret.name, s.secret.optional, ctx, used);
                return projectKeys(src, s.secret.items, mode, `secret ${s.secret.name}`, s.secret.optional);
            }
            if (s.downwardAPI) {
                return (s.downwardAPI.items ?? []).map((i) => ({
                    path: i.path,
                    content: Buffer.from(i.fieldRef ? fieldValue(pod, i.fieldRef) : ""),
                    mode: i.mode ?? mode,
                }));
            }
            return [];
        });
    }
    throw new Error(
        `volume ${v.name}: only secret, configMap, projected, downwardAPI and emptyDir volumes are supported by the sim's runtime`,
    );
}

/** kubelet's $(VAR) expansion: defined names are replaced, `$$` escapes, anything else stays as written. */
export function expand(s: string, env: Readonly<Record<string, string>>): string {
    return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m: string, name: string | undefined) =>
        m === "$$" ? "$" : name !== undefined && name in env ? env[name] : m,
    );
}

function containerPort(container: Container, port: number | string): number {
    if (typeof port === "number") {
        return port;
    }
    const named = container.ports?.find((p) => p.name === port);
    if (!named) {
        throw new Error(`container ${container.name}: probe port ${port} is not a named port of the container`);
    }
    return named.containerPort;
}

/** pilot-agent's status port: Istio's injector rewrites app probes to it (sidecar.istio.io/rewriteAppHTTPProbers). */
const agentStatusPort = 15020;

/**
 * The app probe behind a probe Istio's injector rewrote: `/app-health/<container>/readyz` on the agent's port, with
 * the original in the proxy's ISTIO_KUBE_APP_PROBERS. The sim has no pilot-agent to forward it: the runtime probes
 * what the agent would have probed, the app's own port. A probe that was not rewritten is returned as it is.
 */
export function appProbe(pod: Pod, probe: Probe | undefined): Probe | undefined {
    const get = probe?.httpGet;
    if (!get || get.port !== agentStatusPort || !/^\/app-health\/[^/]+\/(readyz|livez|startupz)$/.test(get.path ?? "")) {
        return probe;
    }
    const proxy = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === "istio-proxy");
    const probers = proxy?.env?.find((e) => e.name === "ISTIO_KUBE_APP_PROBERS")?.value;
    const original = probers ? (JSON.parse(probers) as Record<string, Probe>)[get.path ?? ""] : undefined;
    if (!original) {
        throw new Error(`probe ${get.path ?? ""} on ${agentStatusPort} was rewritten by Istio, but the proxy has no app prober for it`);
    }
    return {
        ...probe,
        httpGet: original.httpGet,
        tcpSocket: original.tcpSocket,
        timeoutSeconds: original.timeoutSeconds ?? probe.timeoutSeconds,
    };
}

function readinessOf(container: Container, probe: Probe | undefined): ReadinessPlan | undefined {
    if (!probe) {
        return undefined;
    }
    const common = {
        initialDelaySeconds: probe.initialDelaySeconds ?? 0,
        periodSeconds: probe.periodSeconds ?? 10,
        timeoutSeconds: probe.timeoutSeconds ?? 1,
        successThreshold: probe.successThreshold ?? 1,
        failureThreshold: probe.failureThreshold ?? 3,
    };
    if (probe.httpGet) {
        const scheme = (probe.httpGet.scheme ?? "HTTP").toUpperCase() === "HTTPS" ? "HTTPS" : "HTTP";
        return { scheme, port: containerPort(container, probe.httpGet.port), path: probe.httpGet.path ?? "/", ...common };
    }
    if (probe.tcpSocket) {
        return { scheme: "TCP", port: containerPort(container, probe.tcpSocket.port), path: "", ...common };
    }
    throw new Error(`container ${container.name}: only httpGet and tcpSocket readiness probes are supported by the sim's runtime`);
}

/** Plans a container of the pod, or one of its init containers. */
export function planProcess(pod: Pod, containerName: string, ctx: PlanContext): PlanResult {
    const container = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === containerName);
    if (!container) {
        throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name} has no container ${containerName}`);
    }
    const used: Record<string, string> = {};
    try {
        // the environment in the kubelet's order: envFrom, then env (later wins); $(VAR) refers to earlier entries
        const env: Record<string, string> = {
            KUBERNETES_SERVICE_HOST: ctx.apiServer.host,
            KUBERNETES_SERVICE_PORT: String(ctx.apiServer.port),
            KUBERNETES_SERVICE_PORT_HTTPS: String(ctx.apiServer.port),
            HOSTNAME: pod.metadata.name ?? "",
            PATH: "/usr/local/bin:/usr/bin:/bin",
            HOME: "/",
            ...ctx.imageEnv,
        };
        for (const from of container.envFrom ?? []) {
            const src = from.secretRef
                ? lookup("secret", from.secretRef.name, from.secretRef.optional, ctx, used)
                : from.configMapRef
                  ? lookup("configmap", from.configMapRef.name, from.configMapRef.optional, ctx, used)
                  : undefined;
            for (const [k, v] of Object.entries(src?.data ?? {})) {
                env[`${from.prefix ?? ""}${k}`] = v.toString("utf8");
            }
        }
        for (const e of container.env ?? []) {
            const vf = e.valueFrom;
            if (!vf) {
                env[e.name] = expand(e.value ?? "", env);
            } else if (vf.fieldRef) {
                env[e.name] = fieldValue(pod, vf.fieldRef);
            } else if (vf.resourceFieldRef) {
                const target =
                    pod.spec.containers.find((c) => c.name === (vf.resourceFieldRef?.containerName ?? container.name)) ?? container;
                env[e.name] = resourceValue(target, vf.resourceFieldRef.resource, vf.resourceFieldRef.divisor, ctx);
            } else {
                const ref = vf.secretKeyRef ?? vf.configMapKeyRef;
                if (ref) {
                    const src = lookup(vf.secretKeyRef ? "secret" : "configmap", ref.name, ref.optional, ctx, used);
                    const value = src?.data[ref.key];
                    if (value) {
                        env[e.name] = value.toString("utf8");
                    } else if (!ref.optional) {
                        throw new Waiting(`key ${ref.key} of ${ref.name} not found (env ${e.name})`);
                    }
                }
            }
        }

        const volumes: VolumePlan[] = [];
        const byName = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
        for (const m of container.volumeMounts ?? []) {
            const v = byName.get(m.name);
            if (!v) {
                throw new Error(`container ${container.name}: volume mount ${m.name} names no volume of the pod`);
            }
            const files = volumeFiles(pod, v, ctx, used);
            volumes.push(
                files === "emptyDir"
                    ? { name: m.name, mountPath: m.mountPath, kind: "emptyDir", files: [], subPath: m.subPath, readOnly: m.readOnly }
                    : { name: m.name, mountPath: m.mountPath, kind: "files", files, subPath: m.subPath, readOnly: m.readOnly },
            );
        }

        // a container command naming another binary would not be this image's entrypoint: refuse rather than guess
        if (container.command && !ctx.userland && container.command[0] !== ctx.entrypoint) {
            throw new Error(
                `container ${container.name}: command ${container.command[0]} is not the entrypoint the sim runs (${ctx.entrypoint})`,
            );
        }
        const argv = [...(container.command ?? [ctx.entrypoint]), ...(container.args ?? [])].map((a) => expand(a, env));
        const sc = { ...pod.spec.securityContext, ...container.securityContext };
        // an extra flag replaces the container's own of that name (Prometheus 3 takes --web.listen-address more than
        // once: with both, it would bind both)
        const flagName = (a: string) => (/^--?[A-Za-z0-9_.-]+=/.exec(a) ?? [""])[0];
        const replaced = new Set(ctx.extraArgs.map(flagName).filter((n) => n !== ""));
        return {
            plan: {
                argv: [argv[0], ...argv.slice(1).filter((a) => !replaced.has(flagName(a))), ...ctx.extraArgs],
                env,
                workingDir: container.workingDir ?? "/",
                uid: sc.runAsUser,
                gid: sc.runAsGroup ?? sc.runAsUser,
                fsGroup: pod.spec.securityContext?.fsGroup,
                volumes,
                readiness: readinessOf(container, appProbe(pod, container.readinessProbe)),
                sources: used,
            },
        };
    } catch (e) {
        if (e instanceof Waiting) {
            return { waiting: e.message };
        }
        throw e;
    }
}
