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

/** The gate as an Output: istiod's sync state per remote cluster after an update; unknown in a preview. */
export function remoteSyncGate(args: RemoteSyncGateArgs): pulumi.Output<Record<string, string> | undefined> {
    return pulumi.all([args.adminKubeconfig, ...args.after.map((r) => r.id)]).apply(async ([kubeconfig]) => {
        if (pulumi.runtime.isDryRun()) {
            return undefined;
        }
        const kube = new Kube(kubeconfig);
        return awaitRemoteSync({
            cluster: args.cluster,
            peers: args.peers,
            timeoutMs: args.timeoutSeconds * 1000,
            metrics: () => istiodMetricsViaApiServer(kube),
            remoteSecrets: () => remoteSecretClusters(kube),
        });
    });
}
