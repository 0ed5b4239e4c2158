/** The remote-sync verdict and the `pulumi up` gate: synced passes, a remote istiod gave up on fails at once naming it, one still syncing is waited for until the deadline. */
import { awaitRemoteSync } from "../../components/verification/remoteSyncGate";
import { remoteSyncVerdict } from "../../components/verification/live/remoteSync";

const gauge = (states: Record<string, string>): string =>
    [
        "# TYPE istiod_remote_cluster_sync_status gauge",
        ...Object.entries(states).flatMap(([cluster, state]) =>
            ["closed", "synced", "syncing", "timeout"].map(
                (s) => `istiod_remote_cluster_sync_status{cluster="${cluster}",cluster_type="remote",status="${s}"} ${s === state ? 1 : 0}`,
            ),
        ),
        'remote_cluster_sync_timeouts_total{cluster="x"} 1',
    ].join("\n");

describe("remoteSyncVerdict", () => {
    test("every peer synced: ok", () => {
        const v = remoteSyncVerdict(gauge({ cluster2: "synced", cluster3: "synced" }), ["cluster2", "cluster3"]);
        expect(v).toMatchObject({ unsynced: [], settled: true, detail: "synced: cluster2, cluster3" });
    });
    test("a peer istiod does not know, one timed out, one syncing: named; settled only without the syncing one", () => {
        const v = remoteSyncVerdict(gauge({ cluster2: "syncing", ghost: "timeout" }), ["cluster2", "cluster3", "ghost"]);
        expect(v.unsynced).toEqual(["cluster2", "cluster3", "ghost"]);
        expect(v.detail).toBe("not synced: cluster2 (syncing), cluster3 (unknown to istiod), ghost (timeout)");
        expect(v.settled).toBe(false);
        expect(remoteSyncVerdict(gauge({ ghost: "timeout", gone: "closed" }), ["ghost", "gone"]).settled).toBe(true);
    });
    test("a gauge series for a cluster nobody requires (its remote secret is gone) is not counted", () => {
        expect(remoteSyncVerdict(gauge({ cluster2: "synced", removed: "timeout" }), ["cluster2"]).unsynced).toEqual([]);
    });
    test("no peers: nothing to sync", () => {
        expect(remoteSyncVerdict("", []).detail).toBe("synced: (no remote cluster)");
    });
});

describe("awaitRemoteSync (the gate)", () => {
    const clock = () => {
        let t = 0;
        return { now: () => t, sleep: (ms: number) => Promise.resolve(void (t += ms)) };
    };
    test("synced after a few polls: returns the states", async () => {
        const states = [{ cluster2: "syncing" }, { cluster2: "syncing" }, { cluster2: "synced" }];
        let call = 0;
        const c = clock();
        const got = await awaitRemoteSync({
            cluster: "cluster1",
            peers: ["cluster2"],
            timeoutMs: 60_000,
            metrics: () => Promise.resolve(gauge(states[Math.min(call++, 2)])),
            remoteSecrets: () => Promise.resolve(["cluster2"]),
            ...c,
        });
        expect(got).toEqual({ cluster2: "synced" });
        expect(call).toBe(3);
    });
    test("a remote secret istiod gave up on fails at once, naming it (no waiting for the deadline)", async () => {
        const c = clock();
        await expect(
            awaitRemoteSync({
                cluster: "cluster1",
                peers: ["cluster2"],
                timeoutMs: 300_000,
                metrics: () => Promise.resolve(gauge({ cluster2: "synced", ghost: "timeout" })),
                remoteSecrets: () => Promise.resolve(["cluster2", "ghost"]),
                ...c,
            }),
        ).rejects.toThrow("cluster cluster1: istiod has not synced every remote cluster — not synced: ghost (timeout)");
        expect(c.now()).toBe(0);
    });
    test("still syncing at the deadline, or istiod unreachable: fails naming the last state seen", async () => {
        const c = clock();
        await expect(
            awaitRemoteSync({
                cluster: "cluster1",
                peers: ["cluster2"],
                timeoutMs: 10_000,
                pollMs: 2000,
                metrics: () => Promise.resolve(gauge({ cluster2: "syncing" })),
                remoteSecrets: () => Promise.resolve([]),
                ...c,
            }),
        ).rejects.toThrow("not synced: cluster2 (syncing)");
        expect(c.now()).toBe(10_000);
        const d = clock();
        await expect(
            awaitRemoteSync({
                cluster: "cluster2",
                peers: ["cluster1"],
                timeoutMs: 4000,
                metrics: () => Promise.reject(new Error("istiod's metrics through the API server: HTTP 503")),
                remoteSecrets: () => Promise.resolve([]),
                ...d,
            }),
        ).rejects.toThrow("HTTP 503");
    });
});
