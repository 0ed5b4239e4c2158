/**
 * The CNI plug-in seam (components/core/cni): a second CNI is one object in the registry, and then the config layer
 * accepts it, applies its rules, and the bare-metal platform installs it instead of Cilium (recording mocks).
 */
import { parseConfig } from "../../../components/config/parse";
import { CniPlugin, cniPlugins } from "../../../components/core/cni";
import type { ChartProduct } from "../../../components/core/helm";
import { Recording } from "../../harness/engine";
import { problemsOf } from "../../harness/problems";
import { runProgram } from "../../harness/program";
import { rawConfig, readStackFile, stackConfig } from "../../harness/stacks";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const COMMAND = "command:remote:Command";

/** A CNI that is not Cilium in every respect the interface lets it differ. */
const fake: CniPlugin = {
    name: "fake",
    // ChartProduct names chartDir's folders; a real second CNI adds its own to the union in core/helm.ts.
    chart: { product: "fake" as ChartProduct, repository: "https://charts.fake.example/", chart: "fake-cni", namespace: "fake-system" },
    version: () => "9.8.7",
    values: (input) => ({ fakeCluster: input.clusterName, fakeApi: `${input.apiServerHost}:${input.apiServerPort}`, v: input.version }),
    clusterNameProblem: (name) => (name.startsWith("cluster") ? undefined : 'must start with "cluster" (the fake CNI)'),
    replacesKubeProxy: false,
    nodeKernelModules: ["fake_mod"],
    privilegedNamespace: "fake-system",
    nodesMatchOnlyByAddress: false,
};

const clusters = (readStackFile("testbed")["zta-testbed:clusters"] as Record<string, unknown>[]).map((c) =>
    c.name === "cluster2" ? { ...c, cni: "fake" } : c,
);

beforeAll(() => {
    (cniPlugins as Record<string, CniPlugin>).fake = fake;
});
afterAll(() => {
    delete (cniPlugins as Record<string, CniPlugin>).fake;
});

describe("the config layer", () => {
    const parse = (changes: Record<string, unknown>) => parseConfig(rawConfig(stackConfig("testbed", changes)));

    test("accepts a registered CNI per cluster; Cilium stays the default", () => {
        const model = parse({ clusters });
        expect(model.clusters.map((c) => (c.access.kind === "kubeadm" ? c.access.cni : undefined))).toEqual(["cilium", "fake"]);
    });

    test("applies the selected CNI's cluster-name rule and refuses unknown CNIs, every problem at once", () => {
        const changed = clusters.map((c, i) => (i === 0 ? { ...c, cni: "flannel" } : { ...c, name: "default", cni: "fake" }));
        expect(problemsOf(() => parse({ clusters: changed }))).toEqual([
            'zta-testbed:clusters[0].cni: must be one of "cilium", "fake", got "flannel"',
            'zta-testbed:clusters[1].name: must start with "cluster" (the fake CNI) (CNI "fake" on platform testbed), got "default"',
        ]);
    });
});

describe("the bare-metal platform with cluster2 on the fake CNI", () => {
    let rec: Recording;
    beforeAll(async () => {
        rec = (await runProgram("testbed", stackConfig("testbed", { clusters }))).recording;
    });
    const script = (name: string): string => String(rec.get(name, COMMAND).inputs.create);

    test("installs the fake CNI's chart and values in cluster2, Cilium in cluster1", () => {
        expect(rec.find((r) => r.type === RELEASE && /^cluster[12]-(cilium|fake-cni)$/.test(r.name)).map((r) => r.name)).toEqual(
            expect.arrayContaining(["cluster1-cilium", "cluster2-fake-cni"]),
        );
        expect(rec.find((r) => r.name === "cluster2-cilium")).toEqual([]);
        const release = rec.get("cluster2-fake-cni", RELEASE);
        expect(release.inputs).toMatchObject({ chart: "fake-cni", version: "9.8.7", namespace: "fake-system" });
        expect(release.inputs.repositoryOpts.repo).toBe("https://charts.fake.example/");
        expect(release.inputs.values).toEqual({ fakeCluster: "cluster2", fakeApi: "10.5.0.4:6443", v: "9.8.7" });
        // What waited for Cilium waits for the fake CNI: MetalLB, and the handle's readiness.
        expect(rec.waitsFor(rec.get("cluster2-metallb", RELEASE), release)).toBe(true);
    });

    test("the nodes load its kernel modules and keep kube-proxy, which it does not replace", () => {
        expect(script("cluster2-server3-prereqs")).toContain("overlay br_netfilter fake_mod");
        expect(script("cluster1-server2-prereqs")).not.toContain("fake_mod");
        expect(script("cluster2-server3-init")).not.toContain("--skip-phases=addon/kube-proxy");
        expect(script("cluster1-server2-init")).toContain("--skip-phases=addon/kube-proxy");
    });
});
