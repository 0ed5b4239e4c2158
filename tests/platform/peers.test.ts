/**
 * Joining clusters owned by another stack (e.g. the bare-metal testbed meshed with the cloud stack):
 * its exported reader kubeconfigs become remote secrets here, after its identity is checked.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { MeshPeering, peeringProblems } from "../../components/platform/peers";
import { SECRET, promiseOf } from "../harness/engine";
import { TestPki } from "../harness/pki";
import { ProgramRun, runProgram } from "../harness/program";
import { adminKubeconfig, stackConfig } from "../harness/stacks";

const pki = new TestPki();
const root = pki.root();
afterAll(() => pki.cleanup());

const peerStack = "organization/zta-testbed/testbed";
const peering = (over: Partial<MeshPeering> = {}): MeshPeering => ({
    meshId: "zta-mesh",
    trustDomain: "cluster.local",
    rootCert: root.cert,
    clusters: [
        { name: "cluster1", network: "network1" },
        { name: "cluster2", network: "network2" },
    ],
    ...over,
});
const ours = () => ({ meshId: "zta-mesh", trustDomain: "cluster.local", rootCert: root.cert });
const taken = () => new Map([["aks", "this stack"]]);
const takenNets = () => new Map([["network-aks", 'cluster "aks" of this stack']]);

describe("peer identity checks", () => {
    test("a matching peer passes", () => {
        expect(peeringProblems(0, peerStack, peering(), ours(), taken(), takenNets())).toEqual([]);
    });
    test("a different root, meshId or trust domain is refused, naming the peers key", () => {
        const other = pki.root("Other Root");
        const p = peeringProblems(
            0,
            peerStack,
            peering({ rootCert: other.cert, meshId: "mesh1", trustDomain: "lab.example" }),
            ours(),
            taken(),
            takenNets(),
        );
        expect(p).toEqual([
            `zta-testbed:peers[0].stack: stack "${peerStack}" has meshId "mesh1", this stack "zta-mesh"; one mesh needs one meshId`,
            `zta-testbed:peers[0].stack: stack "${peerStack}" has trustDomain "lab.example", this stack "cluster.local"`,
            `zta-testbed:peers[0].stack: stack "${peerStack}" uses a different mesh root certificate; cross-network mTLS would fail (istio#32501)`,
        ]);
    });
    test("clashing cluster names and networks are refused", () => {
        const p = peeringProblems(
            0,
            peerStack,
            peering({ clusters: [{ name: "aks", network: "network-aks" }] }),
            ours(),
            taken(),
            takenNets(),
        );
        expect(p).toEqual([
            `zta-testbed:peers[0].stack: cluster "aks" of "${peerStack}" clashes with cluster "aks" of this stack`,
            `zta-testbed:peers[0].stack: network "network-aks" of "${peerStack}" is already used by cluster "aks" of this stack`,
        ]);
    });
    test("a malformed peering export is refused", () => {
        expect(peeringProblems(1, peerStack, { meshId: "zta-mesh" }, ours(), taken(), takenNets())).toEqual([
            expect.stringMatching(/^zta-testbed:peers\[1\]\.stack: stack ".*" exports a malformed meshPeering output/),
        ]);
    });
});

describe("cloud stack joined by the testbed stack's clusters", () => {
    let run: ProgramRun;
    const peerKubeconfigs = {
        cluster1: adminKubeconfig("cluster1", "https://10.5.0.3:6443"),
        cluster2: adminKubeconfig("cluster2", "https://10.5.0.4:6443"),
    };
    beforeAll(async () => {
        const sc = stackConfig(
            "cloud",
            { caSource: "external-root", caRootCert: root.cert, peers: [{ stack: peerStack }] },
            { caRootKey: root.key },
        );
        run = await runProgram("cloud", sc, {
            stackOutputs: { [peerStack]: { meshPeering: peering(), readerKubeconfigs: peerKubeconfigs } },
            secretStackOutputs: { [peerStack]: ["readerKubeconfigs"] },
        });
    });

    test("each owned cluster gets a remote secret for each peer cluster, with the peer's kubeconfig, secret", () => {
        for (const target of ["aks", "gke"]) {
            for (const peer of ["cluster1", "cluster2"] as const) {
                const r = run.recording.get(`mesh-discovery-${peer}-in-${target}`);
                expect(r.inputs.metadata.name).toBe(`istio-remote-secret-${peer}`);
                expect(r.inputs.metadata.annotations).toEqual({ "networking.istio.io/cluster": peer });
                expect(r.redacted.stringData).toBe(SECRET);
                expect(r.inputs.stringData).toEqual({ [peer]: peerKubeconfigs[peer] });
                expect(parseYaml(r.inputs.stringData[peer]).clusters[0].cluster.server).toMatch(/^https:\/\/10\.5\.0\.[34]:6443$/);
            }
        }
        const remote = run.recording.resources.filter((r) => r.inputs.metadata?.labels?.["istio/multiCluster"] === "true");
        // 2 owned × 1 other owned + 2 owned × 2 peers.
        expect(remote).toHaveLength(6);
    });

    test("nothing is deployed into the peer's clusters (it owns them)", () => {
        expect(
            run.recording.resources
                .filter((r) => r.type === "pulumi:providers:kubernetes")
                .map((r) => r.name)
                .sort(),
        ).toEqual(["aks-provider", "gke-provider"]);
        expect(run.recording.find((r) => /mesh-cluster[12]-/.test(r.name))).toEqual([]);
    });

    test("peer clusters are listed in the outputs; our peering export names only our own clusters", async () => {
        expect(run.outputs.peerClusters).toEqual([
            { name: "cluster1", network: "network1", stack: peerStack },
            { name: "cluster2", network: "network2", stack: peerStack },
        ]);
        const ownPeering = await promiseOf(run.outputs.meshPeering as pulumi.Output<MeshPeering>);
        expect(ownPeering.clusters.map((c) => c.name)).toEqual(["aks", "gke"]);
        expect(ownPeering.rootCert).toBe(root.cert);
        const readers = run.outputs.readerKubeconfigs as pulumi.Output<Record<string, string>>;
        expect(await pulumi.isSecret(readers)).toBe(true);
        expect(Object.keys(await promiseOf(readers))).toEqual(["aks", "gke"]);
    });
});
