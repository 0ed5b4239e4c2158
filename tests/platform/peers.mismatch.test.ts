/**
 * Bad peers fail the run before any resource of ours exists (only the references are read), all at once:
 * a peer with another root, and a peer that exports no reader kubeconfig for one of its clusters.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../components/config/problems";
import { startEngine } from "../harness/engine";
import { TestPki } from "../harness/pki";
import { stackConfig } from "../harness/stacks";

const pki = new TestPki();
afterAll(() => pki.cleanup());

test("mismatched root and missing reader kubeconfig: one ConfigError naming both, nothing created", async () => {
    const ours = pki.root();
    const theirs = pki.root("Their Root");
    const wrongRoot = "organization/zta-testbed/testbed";
    const noReader = "organization/zta-testbed/lab2";
    const peering = (rootCert: string, clusters: { name: string; network: string }[]) => ({
        meshId: "zta-mesh",
        trustDomain: "cluster.local",
        rootCert,
        clusters,
    });
    const engine = await startEngine({
        stack: "cloud",
        stackOutputs: {
            [wrongRoot]: { meshPeering: peering(theirs.cert, [{ name: "cluster1", network: "network1" }]) },
            [noReader]: { meshPeering: peering(ours.cert, [{ name: "lab2", network: "network-lab2" }]), readerKubeconfigs: {} },
        },
        secretStackOutputs: { [noReader]: ["readerKubeconfigs"] },
    });
    const sc = stackConfig(
        "cloud",
        { caSource: "external-root", caRootCert: ours.cert, peers: [{ stack: wrongRoot }, { stack: noReader }] },
        { caRootKey: ours.key },
    );
    pulumi.runtime.setAllConfig(sc.config, sc.secretKeys);
    const { loadConfig } = await import("../../components/config/load");
    const { deployTestbed } = await import("../../components/program");
    const error = await deployTestbed(loadConfig()).then(
        () => undefined,
        (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
        `zta-testbed:peers[0].stack: stack "${wrongRoot}" uses a different mesh root certificate; cross-network mTLS would fail (istio#32501)`,
        `zta-testbed:peers[1].stack: stack "${noReader}" exports no reader kubeconfig for cluster "lab2"`,
    ]);
    const recording = await engine.finish();
    expect(recording.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:StackReference", "pulumi:pulumi:StackReference"]);
});
