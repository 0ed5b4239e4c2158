/**
 * Remote-cluster sync as istiod reports it (its `istiod_remote_cluster_sync_status` gauge), judged against the
 * clusters it must have synced: the mesh's other clusters and every cluster a remote secret in istio-system names.
 * Shared by the control-plane checks and the program's gate that fails `pulumi up` on an unsynced remote.
 */
import { istioNamespace } from "../../core/istio";
import { Kube } from "./kube";
import { metricSamples } from "./istiodClient";

export interface RemoteSyncVerdict {
    /** Remote cluster → istiod's state (synced, syncing, timeout, closed) or "unknown to istiod". */
    readonly statuses: Readonly<Record<string, string>>;
    /** Clusters that must be synced and are not. */
    readonly unsynced: readonly string[];
    /** Nothing left in progress: every unsynced cluster is one istiod gave up on (or does not know). */
    readonly settled: boolean;
    readonly detail: string;
}

/**
 * `mustSync`: the mesh's other clusters plus those the remote secrets present name. A gauge series for a cluster with
 * no remote secret left (istiod can keep one after a secret is deleted) is not counted.
 */
export function remoteSyncVerdict(metricsText: string, mustSync: readonly string[]): RemoteSyncVerdict {
    const statuses: Record<string, string> = {};
    for (const s of metricSamples(metricsText, "istiod_remote_cluster_sync_status")) {
        if (s.value === 1 && s.labels.cluster) {
            statuses[s.labels.cluster] = s.labels.status;
        }
    }
    const wanted = [...new Set(mustSync)].sort();
    const state = (c: string) => statuses[c] ?? "unknown to istiod";
    const unsynced = wanted.filter((c) => state(c) !== "synced");
    const settled = unsynced.every((c) => ["timeout", "closed"].includes(state(c)));
    return {
        statuses: Object.fromEntries(wanted.map((c) => [c, state(c)])),
        unsynced,
        settled,
        detail:
            unsynced.length === 0
                ? `synced: ${wanted.join(", ") || "(no remote cluster)"}`
                : `not synced: ${unsynced.map((c) => `${c} (${state(c)})`).join(", ")}`,
    };
}

/** Clusters named by the remote secrets in istio-system (their annotation, else the name), read as metadata only. */
export async function remoteSecretClusters(kube: Kube): Promise<string[]> {
    const items = await kube.listMetadata(
        `/api/v1/namespaces/${istioNamespace}/secrets?labelSelector=${encodeURIComponent("istio/multiCluster=true")}`,
    );
    return items.map(
        (s) => s.metadata.annotations?.["networking.istio.io/cluster"] ?? s.metadata.name.replace(/^istio-remote-secret-/, ""),
    );
}
