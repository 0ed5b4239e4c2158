/**
 * The sim's process runtime: for the pods sim/runtime/processes.ts chooses, it does a kubelet's job with real
 * binaries, inside the sim's loopback-only network namespace:
 *   - the pod's IP (kwok allocated it) becomes an address on `lo`, so the pod's Service/Endpoints lead to it;
 *   - the pod's volumes become files (Secrets, ConfigMaps, downward API, projected service-account tokens from the
 *     TokenRequest API, bound to the pod), rewritten atomically when the objects change;
 *   - the container runs as a process in a private root (chroot) holding the binary at the image's entrypoint path
 *     and the volumes at their mount paths, as the pod's user, with the pod's args and environment;
 *   - its readiness probe decides the pod's Ready condition; an exit shows as not ready, and it is restarted with
 *     back-off (restartCount counts up), as restartPolicy Always does.
 * One loop per cluster, bounded by the pods it runs; SIGTERM stops every process and removes every address.
 *
 * Usage (inside the netns, started by sim/cluster.sh up): runtime.ts run STATEDIR CLUSTER=KUBECONFIG...
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import { Kube } from "../../components/verification/live/kube";
import { configMapSource, ConfigMap, DataSource, Pod, Secret, secretSource } from "./pod";
import { PlanContext, ProcessPlan, ReadinessPlan, planProcess, tokenKey, tokenNeeds } from "./plan";
import { imageOf, processImages, ProcessImage, selectionKey, selectionValue } from "./processes";
import { writeAtomic } from "./files";
import { mountScript, mountSteps } from "./rootfs";
import { toolchainPath } from "../toolchain";

const tickMs = 500;

/** chroot(8), found once on the runtime's own PATH (a process's PATH is the pod's, inside its root). */
const chrootBin = ["/usr/sbin/chroot", "/usr/bin/chroot", "/sbin/chroot"].find((p) => fs.existsSync(p)) ?? "chroot";

const log = (msg: string) => process.stdout.write(`${new Date().toISOString()} ${msg}\n`);

interface ContainerState {
    readonly ready: boolean;
    readonly restartCount: number;
    readonly state: Record<string, Record<string, string | number>>;
    readonly lastState?: Record<string, Record<string, string | number>>;
}

/** One chosen pod, run as one process. */
class PodProcess {
    child?: ChildProcess;
    startedAt = 0;
    restarts = 0;
    backoffUntil = 0;
    lastExit?: { code: number | null; signal: string | null; at: string };
    ready = false;
    successes = 0;
    failures = 0;
    nextProbe = 0;
    probing = false;
    waiting?: string;
    tokens = new Map<string, { token: string; renewAt: number }>();
    addressAdded = false;
    reported = "";
    plan?: ProcessPlan;
    /** The image's init containers have all completed (once per pod, as a kubelet runs them). */
    initDone = false;
    readonly podDir: string;
    readonly root: string;

    constructor(
        readonly cluster: string,
        public pod: Pod,
        readonly image: ProcessImage,
        stateDir: string,
    ) {
        this.podDir = path.join(stateDir, "pods", cluster, `${pod.metadata.namespace}_${pod.metadata.name}`);
        this.root = this.rootOf(image.container);
    }

    /** A container's root: one per pod for a static binary, one per container for an image root. */
    rootOf(container: string): string {
        return this.image.rootfs ? path.join(this.podDir, container, "root") : path.join(this.podDir, "root");
    }

    /** A volume's storage (image roots mount it; a static binary's root holds the files itself). */
    storageOf(volume: string): string {
        return path.join(this.podDir, "volumes", volume);
    }

    get key(): string {
        return `${this.cluster}/${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
    }
    get ip(): string {
        return this.pod.status?.podIP ?? "";
    }
    get logFile(): string {
        return path.join(this.podDir, `${this.image.container}.log`);
    }
}

/** Signals a container's whole process group (it was spawned detached: its own group). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    try {
        if (child.pid !== undefined) {
            process.kill(-child.pid, signal);
        }
    } catch {
        // already gone
    }
}

function ip(args: string[]): void {
    try {
        execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
        const msg = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
        if (!/File exists|already assigned|Cannot assign requested address/.test(msg)) {
            throw new Error(`ip ${args.join(" ")}: ${msg.trim()}`);
        }
    }
}

function probe(r: ReadinessPlan, host: string): Promise<boolean> {
    const timeout = r.timeoutSeconds * 1000;
    if (r.scheme === "TCP") {
        return new Promise((resolve) => {
            const s = net.connect({ host, port: r.port, timeout }, () => {
                s.destroy();
                resolve(true);
            });
            s.on("error", () => resolve(false));
            s.on("timeout", () => {
                s.destroy();
                resolve(false);
            });
        });
    }
    return new Promise((resolve) => {
        // kubelet: HTTPS probes do not verify the certificate; 200 ≤ status < 400 is success
        const mod = r.scheme === "HTTPS" ? https : http;
        const req = mod.get({ host, port: r.port, path: r.path, timeout, rejectUnauthorized: false }, (res) => {
            res.resume();
            resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
        });
        req.on("error", () => resolve(false));
        req.on("timeout", () => {
            req.destroy();
            resolve(false);
        });
    });
}

class ClusterRuntime {
    readonly procs = new Map<string, PodProcess>();
    /** Set on shutdown: nothing starts any more. */
    stopping = false;
    readonly kube: Kube;
    readonly apiServer: { host: string; port: number };

    constructor(
        readonly name: string,
        kubeconfig: string,
        readonly stateDir: string,
    ) {
        this.kube = new Kube(fs.readFileSync(kubeconfig, "utf8"));
        const u = new URL(this.kube.server);
        this.apiServer = { host: u.hostname, port: Number(u.port || 443) };
    }

    async tick(): Promise<void> {
        const apps = [...new Set(processImages.map((p) => p.app))].join(",");
        const list = await this.kube.getOk<{ items: Pod[] }>(`/api/v1/pods?labelSelector=${encodeURIComponent(`app in (${apps})`)}`);
        const seen = new Set<string>();
        const byNamespace = new Map<string, PodProcess[]>();
        for (const pod of list.items) {
            const image = imageOf(pod);
            if (!image || pod.metadata.deletionTimestamp || !pod.status?.podIP || pod.status.phase !== "Running") {
                continue;
            }
            const key = `${this.name}/${pod.metadata.namespace}/${pod.metadata.name}`;
            let p = this.procs.get(key);
            if (p && p.pod.metadata.uid !== pod.metadata.uid) {
                await this.stop(p); // same name, new pod
                p = undefined;
            }
            if (!p) {
                p = new PodProcess(this.name, pod, image, this.stateDir);
                this.procs.set(key, p);
                log(`${key}: chosen (${image.name}, pod IP ${pod.status.podIP})`);
            }
            p.pod = pod;
            seen.add(key);
            const ns = pod.metadata.namespace ?? "";
            byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), p]);
        }
        for (const [key, p] of this.procs) {
            if (!seen.has(key)) {
                await this.stop(p);
                this.procs.delete(key);
            }
        }
        for (const [ns, procs] of byNamespace) {
            const [secrets, configMaps] = await Promise.all([
                this.kube.getOk<{ items: Secret[] }>(`/api/v1/namespaces/${ns}/secrets`),
                this.kube.getOk<{ items: ConfigMap[] }>(`/api/v1/namespaces/${ns}/configmaps`),
            ]);
            const s = new Map<string, DataSource>(secrets.items.map((x) => [x.metadata.name ?? "", secretSource(x)]));
            const c = new Map<string, DataSource>(configMaps.items.map((x) => [x.metadata.name ?? "", configMapSource(x)]));
            for (const p of procs) {
                try {
                    await this.reconcile(p, s, c);
                } catch (e) {
                    log(`${p.key}: ${e instanceof Error ? e.message : String(e)}`);
                    p.waiting = e instanceof Error ? e.message : String(e);
                }
                await this.report(p);
            }
        }
    }

    async token(p: PodProcess, audience: string, expirationSeconds: number): Promise<string> {
        const key = tokenKey({ audience, expirationSeconds });
        const have = p.tokens.get(key);
        if (have && Date.now() < have.renewAt) {
            return have.token;
        }
        const sa = p.pod.spec.serviceAccountName ?? "default";
        const r = await this.kube.request("POST", `/api/v1/namespaces/${p.pod.metadata.namespace}/serviceaccounts/${sa}/token`, {
            apiVersion: "authentication.k8s.io/v1",
            kind: "TokenRequest",
            spec: {
                ...(audience ? { audiences: [audience] } : {}),
                expirationSeconds,
                boundObjectRef: { apiVersion: "v1", kind: "Pod", name: p.pod.metadata.name, uid: p.pod.metadata.uid },
            },
        });
        const body = r.body as { status?: { token?: string }; message?: string };
        if (r.status !== 201 || !body.status?.token) {
            throw new Error(`TokenRequest for ${sa} (audience "${audience}"): HTTP ${r.status} ${body.message ?? ""}`);
        }
        // kubelet renews at 80 % of the lifetime
        p.tokens.set(key, { token: body.status.token, renewAt: Date.now() + expirationSeconds * 800 });
        return body.status.token;
    }

    async reconcile(p: PodProcess, secrets: Map<string, DataSource>, configMaps: Map<string, DataSource>): Promise<void> {
        const tokens = new Map<string, string>();
        for (const need of tokenNeeds(p.pod)) {
            tokens.set(tokenKey(need), await this.token(p, need.audience, need.expirationSeconds));
        }
        const ctx: PlanContext = {
            secrets,
            configMaps,
            tokens,
            apiServer: this.apiServer,
            nodeAllocatable: { cpu: "64", memory: "256Gi" },
            entrypoint: p.image.entrypoint,
            userland: p.image.rootfs !== undefined,
            imageEnv: p.image.env,
            extraArgs: p.image.listen.map((a) => a.replace(/\{ip\}/g, p.ip)),
        };
        const result = planProcess(p.pod, p.image.container, ctx);
        if ("waiting" in result) {
            p.waiting = result.waiting;
            return;
        }
        if (!p.addressAdded) {
            ip(["addr", "add", `${p.ip}/32`, "dev", "lo"]);
            p.addressAdded = true;
        }
        if (!p.initDone && Date.now() >= p.backoffUntil) {
            for (const name of p.image.initContainers ?? []) {
                const init = planProcess(p.pod, name, { ...ctx, extraArgs: [] });
                if ("waiting" in init) {
                    p.waiting = `init container ${name}: ${init.waiting}`;
                    return;
                }
                this.materialize(p, init.plan, name);
                const code = await this.runToCompletion(p, init.plan, name);
                if (code !== 0) {
                    p.waiting = `init container ${name} exited ${code}`;
                    p.restarts += 1;
                    p.backoffUntil = Date.now() + Math.min(30_000, 1000 * 2 ** Math.min(p.restarts - 1, 5));
                    return;
                }
            }
            p.initDone = true;
        }
        if (!p.initDone) {
            return;
        }
        p.waiting = undefined;
        p.plan = result.plan;
        this.materialize(p, result.plan, p.image.container);
        if (!p.child && Date.now() >= p.backoffUntil) {
            this.start(p, result.plan);
        }
        if (p.child && !p.probing && Date.now() >= p.nextProbe) {
            await this.probeOnce(p, result.plan);
        }
    }

    /** The kubelet's files of every container: /etc/resolv.conf, /etc/hosts, /etc/hostname. */
    writeEtc(p: PodProcess, root: string): void {
        // what the kubelet writes into every container (dnsPolicy ClusterFirst): the sim has no cluster DNS,
        // so the nameserver is loopback, where nothing answers
        const ns = p.pod.metadata.namespace ?? "default";
        fs.mkdirSync(path.join(root, "etc"), { recursive: true });
        fs.writeFileSync(
            path.join(root, "etc", "resolv.conf"),
            `nameserver 127.0.0.1\nsearch ${ns}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`,
        );
        fs.writeFileSync(path.join(root, "etc", "hosts"), `127.0.0.1\tlocalhost\n${p.ip}\t${p.pod.metadata.name ?? ""}\n`);
        fs.writeFileSync(path.join(root, "etc", "hostname"), `${p.pod.metadata.name ?? ""}\n`);
    }

    /**
     * An image root (rootfs.ts): the skeleton, links, the image's users, hard-linked copies of the toolchain's trees
     * (with the mount points the pod needs made in them), and each volume's storage, shared by the pod's containers.
     */
    materializeRootfs(p: PodProcess, plan: ProcessPlan, container: string): void {
        const spec = p.image.rootfs!;
        const root = p.rootOf(container);
        if (!fs.existsSync(path.join(root, "etc", "passwd"))) {
            fs.mkdirSync(root, { recursive: true });
            for (const [name, target] of Object.entries(spec.links)) {
                fs.symlinkSync(target, path.join(root, name));
            }
            for (const t of spec.trees) {
                fs.mkdirSync(path.dirname(path.join(root, t.path)), { recursive: true });
                execFileSync("cp", ["-al", toolchainPath(t.piece), path.join(root, t.path)]);
            }
            fs.mkdirSync(path.join(root, "tmp"), { recursive: true, mode: 0o1777 });
            fs.chmodSync(path.join(root, "tmp"), 0o1777);
            this.writeEtc(p, root);
            fs.writeFileSync(path.join(root, "etc", "passwd"), `${spec.passwd.join("\n")}\n`);
            fs.writeFileSync(path.join(root, "etc", "group"), `${spec.group.join("\n")}\n`);
        }
        // mount points inside a tree exist before it turns read-only
        for (const v of plan.volumes) {
            if (spec.trees.some((t) => v.mountPath.startsWith(`${t.path}/`)) && !v.subPath) {
                fs.mkdirSync(path.join(root, v.mountPath), { recursive: true });
            }
        }
        const owner = { uid: plan.uid, gid: plan.fsGroup ?? plan.gid };
        for (const v of plan.volumes) {
            const storage = p.storageOf(v.name);
            if (v.kind === "emptyDir") {
                if (!fs.existsSync(storage)) {
                    fs.mkdirSync(storage, { recursive: true });
                    fs.chmodSync(storage, 0o777);
                }
            } else if (writeAtomic(storage, v.files, owner) && p.child) {
                log(`${p.key}: volume ${v.name} updated (${v.mountPath})`);
            }
        }
    }

    /** The root: binary at the entrypoint path, /tmp, and every volume at its mount path (subPath: one file, copied once). */
    materialize(p: PodProcess, plan: ProcessPlan, container: string): void {
        if (p.image.rootfs) {
            this.materializeRootfs(p, plan, container);
            return;
        }
        const root = p.root;
        const bin = path.join(root, p.image.entrypoint);
        if (!fs.existsSync(bin)) {
            if (!p.image.binary) {
                throw new Error(`${p.image.name}: neither a binary nor an image root`);
            }
            fs.mkdirSync(path.dirname(bin), { recursive: true });
            const src = toolchainPath(p.image.binary);
            try {
                fs.linkSync(src, bin);
            } catch {
                fs.copyFileSync(src, bin);
                fs.chmodSync(bin, 0o755);
            }
            fs.mkdirSync(path.join(root, "tmp"), { recursive: true });
            fs.chmodSync(path.join(root, "tmp"), 0o1777);
            this.writeEtc(p, root);
        }
        const owner = { uid: plan.uid, gid: plan.fsGroup ?? plan.gid };
        for (const v of plan.volumes) {
            const target = path.join(root, v.mountPath);
            if (v.kind === "emptyDir") {
                if (!fs.existsSync(target)) {
                    fs.mkdirSync(target, { recursive: true });
                    fs.chmodSync(target, 0o777);
                }
            } else if (v.subPath) {
                const f = v.files.find((x) => x.path === v.subPath);
                if (f && !fs.existsSync(target)) {
                    fs.mkdirSync(path.dirname(target), { recursive: true });
                    fs.writeFileSync(target, f.content, { mode: f.mode });
                }
            } else if (writeAtomic(target, v.files, owner) && p.child) {
                log(`${p.key}: volume ${v.name} updated (${v.mountPath})`);
            }
        }
    }

    start(p: PodProcess, plan: ProcessPlan): void {
        if (plan.workingDir !== "/") {
            throw new Error(`workingDir ${plan.workingDir}: the sim's runtime runs processes in / of their root`);
        }
        if (this.stopping) {
            return;
        }
        const child = this.spawnContainer(p, plan, p.image.container, p.logFile);
        p.child = child;
        p.startedAt = Date.now();
        p.nextProbe = p.startedAt + (plan.readiness?.initialDelaySeconds ?? 0) * 1000;
        p.successes = 0;
        p.failures = 0;
        log(`${p.key}: started pid ${child.pid} (${plan.argv.join(" ")}); log ${p.logFile}`);
        child.on("error", (e) => log(`${p.key}: cannot start: ${e.message}`));
        child.on("exit", (code, signal) => {
            if (p.child !== child) {
                return;
            }
            p.child = undefined;
            p.ready = false;
            p.restarts += 1;
            p.lastExit = { code, signal, at: new Date().toISOString() };
            // restartPolicy Always, with the kubelet's doubling back-off (here 1 s .. 30 s)
            p.backoffUntil = Date.now() + Math.min(30_000, 1000 * 2 ** Math.min(p.restarts - 1, 5));
            log(`${p.key}: exited (code ${code}, signal ${signal}); restart ${p.restarts} after back-off`);
        });
    }

    /**
     * One container's process, in its own process group (stopping it stops what it started): chroot into its root
     * as the pod's user; for an image root, first the mounts, in a mount namespace of its own.
     */
    spawnContainer(p: PodProcess, plan: ProcessPlan, container: string, logFile: string): ChildProcess {
        const userspec = [
            ...(plan.uid !== undefined ? [`--userspec=${plan.uid}:${plan.gid ?? plan.uid}`] : []),
            ...(plan.fsGroup !== undefined ? [`--groups=${plan.fsGroup}`] : []),
        ];
        const root = p.rootOf(container);
        const out = fs.openSync(logFile, "a");
        try {
            if (!p.image.rootfs) {
                return spawn(chrootBin, [...userspec, root, ...plan.argv], {
                    env: { ...plan.env },
                    stdio: ["ignore", out, out],
                    detached: true,
                });
            }
            const spec = p.image.rootfs;
            const resolved = {
                ...spec,
                trees: spec.trees.map((t) => ({ path: t.path, source: toolchainPath(t.piece) })),
                binds: spec.binds.map((b) => ({ path: b.path, source: fs.realpathSync(toolchainPath(b.piece)) })),
            };
            const script = mountScript(
                root,
                mountSteps(root, resolved, plan.volumes, (v) => p.storageOf(v)),
                chrootBin,
                userspec,
            );
            return spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, "sh", ...plan.argv], {
                // the host's PATH for the mounts; the container's own environment otherwise (chroot keeps it)
                env: { ...plan.env, PATH: `${plan.env.PATH ?? ""}:/usr/sbin:/usr/bin:/sbin:/bin` },
                stdio: ["ignore", out, out],
                detached: true,
            });
        } finally {
            fs.closeSync(out);
        }
    }

    /** An init container: run it and wait for its exit (bounded: 5 minutes). */
    async runToCompletion(p: PodProcess, plan: ProcessPlan, container: string): Promise<number> {
        if (this.stopping) {
            return -1;
        }
        const logFile = path.join(p.podDir, `${container}.log`);
        log(`${p.key}: init container ${container}: ${plan.argv.join(" ")}; log ${logFile}`);
        const child = this.spawnContainer(p, plan, container, logFile);
        const code = await new Promise<number>((resolve) => {
            const timer = setTimeout(() => {
                killGroup(child, "SIGKILL");
                resolve(-1);
            }, 300_000);
            child.on("error", () => resolve(-1));
            child.on("exit", (c) => {
                clearTimeout(timer);
                resolve(c ?? -1);
            });
        });
        log(`${p.key}: init container ${container} exited ${code}`);
        return code;
    }

    async probeOnce(p: PodProcess, plan: ProcessPlan): Promise<void> {
        const r = plan.readiness;
        if (!r) {
            p.ready = true; // no probe: ready once running
            return;
        }
        p.probing = true;
        try {
            const ok = await probe(r, p.ip);
            if (ok) {
                p.successes += 1;
                p.failures = 0;
                if (p.successes >= r.successThreshold) {
                    p.ready = true;
                }
            } else {
                p.failures += 1;
                p.successes = 0;
                if (p.failures >= r.failureThreshold || !p.ready) {
                    p.ready = false;
                }
            }
        } finally {
            p.probing = false;
            // the probe period, capped at 1 s so a Ready pod is seen promptly (a kubelet uses the period as given)
            p.nextProbe = Date.now() + Math.min(r.periodSeconds, 1) * 1000;
        }
    }

    /** Writes the pod's status (only when it changed): conditions and every container's status. */
    async report(p: PodProcess): Promise<void> {
        const now = new Date().toISOString();
        const running: ContainerState = p.child
            ? { ready: p.ready, restartCount: p.restarts, state: { running: { startedAt: new Date(p.startedAt).toISOString() } } }
            : {
                  ready: false,
                  restartCount: p.restarts,
                  state: {
                      waiting: { reason: p.waiting ? "ContainerCreating" : p.restarts > 0 ? "CrashLoopBackOff" : "ContainerCreating" },
                  },
              };
        const own: ContainerState = {
            ...running,
            ...(p.lastExit
                ? {
                      lastState: {
                          terminated: { exitCode: p.lastExit.code ?? 137, reason: p.lastExit.signal ?? "Error", finishedAt: p.lastExit.at },
                      },
                  }
                : {}),
        };
        const statuses = p.pod.spec.containers.map((c) =>
            c.name === p.image.container
                ? { name: c.name, image: c.image ?? "", imageID: "", started: !!p.child, ...own }
                : // the pod's other containers stay simulated, as kwok would have them
                  {
                      name: c.name,
                      image: c.image ?? "",
                      imageID: "",
                      started: true,
                      ready: true,
                      restartCount: 0,
                      state: { running: { startedAt: now } },
                  },
        );
        const ready = statuses.every((s) => s.ready);
        const signature = JSON.stringify([ready, p.restarts, !!p.child, p.waiting ?? ""]);
        if (signature === p.reported) {
            return;
        }
        const conditions = ["Ready", "ContainersReady"].map((type) => ({
            type,
            status: ready ? "True" : "False",
            lastTransitionTime: now,
        }));
        const r = await this.kube.request(
            "PATCH",
            `/api/v1/namespaces/${p.pod.metadata.namespace}/pods/${p.pod.metadata.name}/status`,
            { status: { conditions, containerStatuses: statuses } },
            "application/strategic-merge-patch+json",
        );
        if (r.status !== 200) {
            throw new Error(`${p.key}: status patch: HTTP ${r.status}`);
        }
        p.reported = signature;
        log(`${p.key}: ${ready ? "Ready" : "not ready"} (restarts ${p.restarts}${p.waiting ? `, waiting: ${p.waiting}` : ""})`);
    }

    async stop(p: PodProcess): Promise<void> {
        const child = p.child;
        p.child = undefined;
        if (child && child.exitCode === null) {
            killGroup(child, "SIGTERM");
            const gone = await Promise.race([
                new Promise<boolean>((resolve) => child.once("exit", () => resolve(true))),
                new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000)),
            ]);
            if (!gone) {
                killGroup(child, "SIGKILL");
            }
        }
        if (p.addressAdded) {
            ip(["addr", "del", `${p.ip}/32`, "dev", "lo"]);
            p.addressAdded = false;
        }
        fs.rmSync(p.podDir, { recursive: true, force: true });
        log(`${p.key}: stopped`);
    }

    snapshot(): Record<string, unknown>[] {
        return [...this.procs.values()].map((p) => ({
            key: p.key,
            image: p.image.name,
            podIP: p.ip,
            pid: p.child?.pid,
            ready: p.ready,
            restarts: p.restarts,
            waiting: p.waiting,
            log: p.logFile,
        }));
    }
}

async function run(stateDir: string, clusters: [string, string][]): Promise<void> {
    fs.mkdirSync(stateDir, { recursive: true });
    const runtimes = clusters.map(([name, kc]) => new ClusterRuntime(name, kc, stateDir));
    let stopping = false;
    const shutdown = async () => {
        if (stopping) {
            return;
        }
        stopping = true;
        log("stopping every process");
        // no tick may start a process from now on; then all stop at once (each: TERM, 5 s, KILL)
        for (const rt of runtimes) {
            rt.stopping = true;
        }
        await Promise.all(runtimes.flatMap((rt) => [...rt.procs.values()].map((p) => rt.stop(p))));
        process.exit(0);
    };
    process.on("SIGTERM", () => void shutdown());
    process.on("SIGINT", () => void shutdown());
    const statusFile = path.join(stateDir, "status.json");
    log(`runtime up for ${clusters.map(([n]) => n).join(", ")}; chosen: ${processImages.map((p) => `${p.namespace}/${p.app}`).join(", ")}`);
    for (;;) {
        const t0 = Date.now();
        await Promise.all(
            runtimes.map((rt) =>
                rt.tick().catch((e: unknown) => {
                    log(`${rt.name}: ${e instanceof Error ? e.message : String(e)}`);
                }),
            ),
        );
        if (stopping) {
            return;
        }
        const snapshot = JSON.stringify(
            { pid: process.pid, at: new Date().toISOString(), pods: runtimes.flatMap((rt) => rt.snapshot()) },
            null,
            1,
        );
        fs.writeFileSync(`${statusFile}.tmp`, snapshot);
        fs.renameSync(`${statusFile}.tmp`, statusFile);
        await new Promise((r) => setTimeout(r, Math.max(50, tickMs - (Date.now() - t0))));
    }
}

const [command, stateDir, ...pairs] = process.argv.slice(2);
if (command === "run" && stateDir && pairs.length > 0) {
    run(
        stateDir,
        pairs.map((p) => p.split("=", 2) as [string, string]),
    ).catch((e: unknown) => {
        log(`runtime failed: ${e instanceof Error ? e.stack : String(e)}`);
        process.exit(1);
    });
} else if (command === "selection") {
    // for sim/kwok.sh: the stage selector key, then the chosen `namespace/app` values
    process.stdout.write([selectionKey, ...processImages.map(selectionValue)].join("\n") + "\n");
} else {
    process.stderr.write("usage: runtime.ts run STATEDIR CLUSTER=KUBECONFIG... | runtime.ts selection\n");
    process.exit(2);
}
