/**
 * `pulumi preview`/`up` warns once, after the config is valid, when the stack's version profile pairs Istio with a
 * Kubernetes release outside Istio's support matrix or runs an end-of-life Istio (versions.json istioSupport).
 */
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../harness/program";
import { stackConfig } from "../harness/stacks";
import { versionPairWarning, versionProfiles } from "../../components/core/versions";

async function warningsOf(stack: "testbed" | "cloud"): Promise<string[]> {
    const warn = jest.spyOn(pulumi.log, "warn");
    try {
        await runProgram(stack, stackConfig(stack));
        return warn.mock.calls.map(([message]) => String(message)).filter((m) => m.startsWith("UNSUPPORTED VERSIONS"));
    } finally {
        warn.mockRestore();
    }
}

test("the testbed stack (profile nist-2025: Istio 1.24.3, end of life, on Kubernetes 1.32) is warned about exactly once", async () => {
    const expected = versionPairWarning("nist-2025", versionProfiles["nist-2025"]);
    expect(expected).toContain('version profile "nist-2025" pairs Istio 1.24.3 with Kubernetes 1.32, OUTSIDE');
    expect(await warningsOf("testbed")).toEqual([expected]);
}, 120_000);

test("the cloud stack (profile default, a supported pair) is not", async () => {
    expect(await warningsOf("cloud")).toEqual([]);
}, 120_000);
