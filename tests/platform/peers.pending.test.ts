/** Mutual peering bootstraps: a peer that has not run yet is skipped with a warning, not an error. */
import { TestPki } from "../harness/pki";
import { runProgram } from "../harness/program";
import { stackConfig } from "../harness/stacks";

const pki = new TestPki();
afterAll(() => pki.cleanup());

test("a peer stack without meshPeering yet: the run succeeds, writes no remote secret for it, lists no peer cluster", async () => {
    const root = pki.root();
    const peer = "organization/zta-testbed/cloud";
    const run = await runProgram(
        "testbed",
        stackConfig("testbed", { caSource: "external-root", caRootCert: root.cert, peers: [{ stack: peer }] }, { caRootKey: root.key }),
        { stackOutputs: { [peer]: {} } },
    );
    expect(run.outputs.peerClusters).toEqual([]);
    // pulumi.log.warn, as the harness collects it
    expect(run.warnings).toContainEqual(
        expect.stringContaining(`zta-testbed:peers[0].stack: stack "${peer}" has not exported meshPeering yet`),
    );
    const remote = run.recording.resources.filter((r) => r.inputs.metadata?.labels?.["istio/multiCluster"] === "true");
    // Only the two owned clusters see each other until the peer has run.
    expect(remote.map((r) => r.name).sort()).toEqual(["mesh-discovery-cluster1-in-cluster2", "mesh-discovery-cluster2-in-cluster1"]);
});
