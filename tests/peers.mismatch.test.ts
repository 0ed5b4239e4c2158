/** A peer with another root fails the run before any resource of ours exists (only the reference is read). */
import { ConfigError } from "../components/config/problems";
import { TestPki } from "./harness/pki";
import { startEngine } from "./harness/engine";
import * as pulumi from "@pulumi/pulumi";
import { stackConfig } from "./harness/stacks";

const pki = new TestPki();
afterAll(() => pki.cleanup());

test("mismatched peer root: ConfigError and nothing created", async () => {
    const ours = pki.root();
    const theirs = pki.root("Their Root");
    const peerStack = "organization/zta-testbed/testbed";
    const engine = await startEngine({
        stack: "cloud",
        stackOutputs: {
            [peerStack]: {
                meshPeering: {
                    meshId: "zta-mesh",
                    trustDomain: "cluster.local",
                    rootCert: theirs.cert,
                    clusters: [{ name: "cluster1", network: "network1" }],
                },
            },
        },
    });
    const sc = stackConfig(
        "cloud",
        { caSource: "external-root", caRootCert: ours.cert, peers: [{ stack: peerStack }] },
        { caRootKey: ours.key },
    );
    pulumi.runtime.setAllConfig(sc.config, sc.secretKeys);
    const { loadConfig } = await import("../components/config/load");
    const { deployTestbed } = await import("../components/program");
    await expect(deployTestbed(loadConfig())).rejects.toThrow(ConfigError);
    await expect(deployTestbed(loadConfig())).rejects.toThrow(/peers\[0\]\.stack: .* uses a different mesh root certificate/);
    const recording = await engine.finish();
    expect(recording.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:StackReference", "pulumi:pulumi:StackReference"]);
});
