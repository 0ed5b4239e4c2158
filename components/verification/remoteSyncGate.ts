/**
 * The gate that makes `pulumi up` fail loudly when an istiod has not synced a remote cluster: after the remote
 * secrets and istiod, during an update (never a preview), it asks istiod — through the API server's service proxy to
 * its monitoring port, reachable wherever Pulumi reaches the API server — for its remote-cluster sync gauge, until
 * every cluster it must have synced is synced (the mesh's others and whatever remote secrets name), or until istiod
 * gave up on one (`timeout`: PILOT_REMOTE_CLUSTER_TIMEOUT) or the deadline passes. It runs on every `up`.
 */
import * as pulumi from "@pulumi/pulumi";
import { istioNamespace } from "../core/istio";
import { Kube } from "./live/kube";
import { remoteSecretClusters, remoteSyncVerdict } from "./live/remoteSync";

/** istiod's metrics through the API server (service proxy to istiod:15014). */
export async function istiodMetricsViaApiServer(kube: Kube): Promise<string> {
    const r = await kube.request(
        "GET",
        `/api/v1/namespaces/${istioNamespace}/services/istiod:15014/proxy/metrics`,
        undefined,
        undefined,
        "text/plain",
    );
    if (r.status !== 200) {
        throw new Error(`istiod's metrics through the API server: HTTP ${r.status}`);
    }
    return typeof r.body === "string" ? r.body : JSON.stringify(r.body);
}

export interface AwaitRemoteSyncArgs {
    readonly cluster: string;
    /** The mesh's other clusters (owned and peers). */
    readonly peers: readonly string[];
    readonly timeoutMs: number;
    readonly pollMs?: number;
    /** istiod's metrics text, and the clusters the remote secrets present name. */
    readonly metrics: () => Promise<string>;
    readonly remoteSecrets: () => Promise<string[]>;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly now?: () => number;
}

/** Polls until every required remote is synced; throws, naming each that is not, once istiod gave up or time is up. */
export async function awaitRemoteSync(a: AwaitRemoteSyncArgs): Promise<Record<string, string>> {
    const now = a.now ?? Date.now;
    const sleep = a.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const deadline = now() + a.timeoutMs;
    let lastError = "";
    for (;;) {
        try {
            const verdict = remoteSyncVerdict(await a.metrics(), [...a.peers, ...(await a.remoteSecrets())]);
            if (verdict.unsynced.length === 0) {
                return { ...verdict.statuses };
            }
            lastError = verdict.detail;
            if (verdict.settled) {
                break;
            }
        } catch (e) {
            lastError = e instanceof Error ? e.message : String(e);
        }
        if (now() >= deadline) {
            break;
        }
        await sleep(a.pollMs ?? 2000);
    }
    throw new Error(
        `cluster ${a.cluster}: istiod has not synced every remote cluster — ${lastError}. A remote cluster that is not synced ` +
            "gets no cross-network endpoints; check its remote secret (a reachable API server, a reader with the permissions " +
            "README's security model lists).",
    );
}

export interface RemoteSyncGateArgs {
    readonly cluster: string;
    readonly adminKubeconfig: pulumi.Output<string>;
    readonly peers: readonly string[];
    /** What must exist first: istiod and the remote secrets. */
    readonly after: readonly pulumi.CustomResource[];
    readonly timeoutSeconds: number;
}

/**
 * The value of an Output as a promise that also REJECTS when a resource it depends on failed (the SDK's own
 * `promise()`, marked internal; `apply` would simply never run, and a program awaiting it would hang).
 */
export function settled<T>(o: pulumi.Output<T>): Promise<T> {
    return (o as unknown as { promise(): Promise<T> }).promise();
}

/**
 * The gates of every cluster, awaited by the program itself (not inside an `apply`, whose rejection would escape as
 * an unhandled one): resolves to each istiod's state per remote cluster, or rejects with one error naming every
 * cluster and remote that is not synced — which fails `pulumi up`. A preview skips them (undefined).
 */
export async function awaitRemoteSyncGates(
    gates: readonly RemoteSyncGateArgs[],
): Promise<Record<string, Record<string, string>> | undefined> {
    if (pulumi.runtime.isDryRun()) {
        return undefined;
    }
    const results = await Promise.allSettled(
        gates.map(async (g) => {
            const [kubeconfig] = await settled(pulumi.all([g.adminKubeconfig, ...g.after.map((r) => r.id)]));
            const kube = new Kube(kubeconfig);
            const states = await awaitRemoteSync({
                cluster: g.cluster,
                peers: g.peers,
                timeoutMs: g.timeoutSeconds * 1000,
                metrics: () => istiodMetricsViaApiServer(kube),
                remoteSecrets: () => remoteSecretClusters(kube),
            });
            return [g.cluster, states] as const;
        }),
    );
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failures.length > 0) {
        throw new Error(failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join("\n"));
    }
    return Object.fromEntries(results.map((r) => (r as PromiseFulfilledResult<readonly [string, Record<string, string>]>).value));
}
