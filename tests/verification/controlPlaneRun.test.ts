/**
 * In-`up` control-plane checks: the `controlPlaneChecks` config key (absolute path of an executable zta-xds, every
 * problem at once through parseConfig), and how their verdicts stand in for verification Jobs that could not run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseConfig } from "../../components/config/parse";
import { withControlPlaneVerdicts } from "../../components/verification/controlPlaneRun";
import { ControlPlaneReport, controlPlaneCheckIds } from "../../components/verification/live/controlPlane";
import { verificationChecks } from "../../components/verification/registry";
import { problemsOf } from "../harness/problems";
import { rawConfig, stackConfig } from "../harness/stacks";

const parse = (changes: Record<string, unknown>) => parseConfig(rawConfig(stackConfig("sim", changes)));

describe("zta-testbed:controlPlaneChecks", () => {
    let dir = "";
    let bin = "";
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-cp-"));
        bin = path.join(dir, "zta-xds");
        fs.writeFileSync(bin, "#!/bin/sh\n", { mode: 0o755 });
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("absent: not run in `up` (npm run verify only)", () => {
        expect(parse({}).controlPlaneChecks).toBeUndefined();
    });
    test("an executable zta-xds: istiod reached on its pod IP", () => {
        expect(parse({ controlPlaneChecks: { ztaXds: bin } }).controlPlaneChecks).toEqual({ ztaXds: bin, istiodAccess: "pod-ip" });
    });
    test("relative, another binary, not executable, missing, unknown keys: refused, naming the key and value", () => {
        const notExec = path.join(dir, "sub", "zta-xds");
        fs.mkdirSync(path.dirname(notExec));
        fs.writeFileSync(notExec, "", { mode: 0o644 });
        expect(problemsOf(() => parse({ controlPlaneChecks: { ztaXds: "bin/zta-xds" } }))).toEqual([
            'zta-testbed:controlPlaneChecks.ztaXds: must be the absolute path of the toolchain\'s zta-xds binary, got "bin/zta-xds"',
        ]);
        expect(problemsOf(() => parse({ controlPlaneChecks: { ztaXds: "/usr/bin/curl" } }))[0]).toContain(
            "absolute path of the toolchain's zta-xds",
        );
        expect(problemsOf(() => parse({ controlPlaneChecks: { ztaXds: notExec } }))[0]).toContain("is not an executable file");
        expect(problemsOf(() => parse({ controlPlaneChecks: { ztaXds: path.join(dir, "gone", "zta-xds") } }))[0]).toContain(
            "is not an executable file",
        );
        expect(problemsOf(() => parse({ controlPlaneChecks: { ztaXds: bin, istiodAccess: "port-forward" } })).join("\n")).toContain(
            "controlPlaneChecks",
        );
        expect(problemsOf(() => parse({ controlPlaneChecks: { ztaXds: bin, extra: 1 } })).join("\n")).toContain("controlPlaneChecks");
    });
});

describe("withControlPlaneVerdicts", () => {
    const simulated = "simulated: Job completed without running (kwok pods run no containers); wiring and ordering only";
    const results = {
        "cross-network": simulated,
        "plaintext-refused": simulated,
        "unauthorized-identity": simulated,
        "ingress-jwt": "not run: Keycloak is cluster-local to cluster1",
    };
    const report = (failing: { id: string; cluster: string }[] = []): ControlPlaneReport => ({
        facts: [],
        results: ["cluster1", "cluster2"].flatMap((cluster) =>
            controlPlaneCheckIds.map((id) => ({
                id,
                cluster,
                ok: !failing.some((f) => f.id === id && f.cluster === cluster),
                detail: `${id} detail`,
            })),
        ),
    });
    test("every registry check names at least one control-plane check", () => {
        for (const c of verificationChecks) {
            expect([c.name, c.controlPlane.length > 0]).toEqual([c.name, true]);
        }
    });
    test("no report: the results as they were", () => {
        expect(withControlPlaneVerdicts("cluster1", results, undefined)).toEqual(results);
    });
    test("all passed: simulated claims become verified (control plane), naming the checks; 'not run' stays", () => {
        const out = withControlPlaneVerdicts("cluster2", results, report());
        expect(out["cross-network"]).toBe(
            "verified (control plane: remote-clusters-synced, xds-cross-network-endpoints); the traffic itself is simulated (no Envoy)",
        );
        expect(out["unauthorized-identity"]).toMatch(/^verified \(control plane: xds-inbound-mtls-rbac, xds-deny-by-default\)/);
        expect(out["ingress-jwt"]).toBe(results["ingress-jwt"]);
    });
    test("one failing check behind a claim: FAILED (control plane) naming it, in that cluster only", () => {
        const r = report([{ id: "xds-deny-by-default", cluster: "cluster2" }]);
        expect(withControlPlaneVerdicts("cluster2", results, r)["unauthorized-identity"]).toBe(
            "FAILED (control plane): xds-deny-by-default: xds-deny-by-default detail",
        );
        expect(withControlPlaneVerdicts("cluster2", results, r)["plaintext-refused"]).toMatch(/^verified/);
        expect(withControlPlaneVerdicts("cluster1", results, r)["unauthorized-identity"]).toMatch(/^verified/);
    });
    test("a real Job verdict (passed) is never overwritten", () => {
        expect(withControlPlaneVerdicts("cluster1", { ...results, "cross-network": "passed" }, report())["cross-network"]).toBe("passed");
    });
});
