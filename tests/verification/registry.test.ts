/**
 * The registry of verification checks (components/verification/registry.ts), like the policy pack's meta-test: for
 * EVERY registered check, its script passes in its passing scenario and fails, with the reason, in each failing
 * scenario (stub curl, see verification.shared.ts); a check without a failing scenario fails here. Also: names are
 * unique and Job-sized, and the skip rules say where each check runs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ScriptInputs, VerificationIdentity, verificationChecks } from "../../components/verification/registry";
import { stubCurlHarness } from "./shared";

const { run, dir } = stubCurlHarness();

/** Deadline 0: one round, then the verdict. */
const inputs: ScriptInputs = {
    timeoutSeconds: 0,
    ingressNamespace: "istio-ingress",
    ingressHost: "httpbin.zta.test",
    tokenUrl: "https://keycloak.keycloak.svc.cluster.local:8443/realms/zta/protocol/openid-connect/token",
};

test("the registry: today's checks keep their order (Jobs and the verification output follow it; new ones append), names unique", () => {
    const names = verificationChecks.map((c) => c.name);
    expect(names.slice(0, 4)).toEqual(["cross-network", "plaintext-refused", "unauthorized-identity", "ingress-jwt"]);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
        // Job `verify-<name>` and the label value: a DNS label.
        expect(`verify-${name}`).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    }
});

describe.each(verificationChecks.map((c) => [c.name, c] as const))("check %s", (name, check) => {
    let secretDir: string | undefined;
    beforeAll(() => {
        if (check.scenarios.files) {
            secretDir = fs.mkdtempSync(path.join(dir(), "secret-"));
            for (const [file, content] of Object.entries(check.scenarios.files)) {
                fs.writeFileSync(path.join(secretDir, file), content);
            }
        }
    });
    const script = check.script(inputs);

    test("says which claim it proves and has at least one failing scenario (so it can fail)", () => {
        expect(check.claim.length).toBeGreaterThan(0);
        expect(check.scenarios.fail.length).toBeGreaterThan(0);
    });
    test(`passes: ${check.scenarios.pass.name}`, () => {
        const r = run(script, check.scenarios.pass.curl, secretDir);
        expect(r.message).toMatch(new RegExp(`^PASS ${name}: `));
        expect(r.message).toContain(check.scenarios.pass.reason);
        expect(r.status).toBe(0);
    });
    test.each(check.scenarios.fail.map((s) => [s.name, s] as const))("fails: %s", (_, scenario) => {
        const r = run(script, scenario.curl, secretDir);
        expect(r.message).toMatch(new RegExp(`^FAIL ${name}: \\S`));
        expect(r.message).toContain(scenario.reason);
        expect(r.status).toBe(1);
    });
});

describe("where checks run (skip rules derive from the identity endpoint)", () => {
    const identity = (keycloak: VerificationIdentity["keycloak"]): VerificationIdentity => ({
        tokenUrl: inputs.tokenUrl,
        clientId: "zta-client",
        clientSecret: pulumi.output("s"),
        caCertPem: pulumi.output("CA"),
        badTokens: pulumi.output({ expired: "e", forged: "f", wrongAudience: "w" }),
        keycloak,
        ingressHost: inputs.ingressHost,
    });
    const skipped = (cluster: string, keycloak: VerificationIdentity["keycloak"]) =>
        Object.fromEntries(
            verificationChecks.flatMap((c) => {
                const reason = c.skip?.({ cluster, ingressNamespace: "istio-ingress", identity: identity(keycloak) });
                return reason === undefined ? [] : [[c.name, reason]];
            }),
        );
    const inCluster = { kind: "cluster", cluster: "cluster1", namespace: "keycloak", podLabels: { app: "keycloak" }, port: 8443 } as const;

    test("Keycloak in cluster 1 (cloud, sim): ingress-jwt runs there only", () => {
        expect(skipped("cluster1", inCluster)).toEqual({});
        expect(skipped("cluster2", inCluster)).toEqual({
            "ingress-jwt": "Keycloak is cluster-local to cluster1 (its Service name is the issuer)",
        });
    });
    test("Keycloak on a host (testbed): every check runs everywhere", () => {
        expect(skipped("cluster2", { kind: "host", address: "10.0.0.1", port: 8443 })).toEqual({});
    });
    test("a skipped check keeps no allow towards Keycloak", () => {
        const ingress = verificationChecks.find((c) => c.name === "ingress-jwt");
        const ctx = { cluster: "cluster2", ingressNamespace: "istio-ingress", identity: identity(inCluster) };
        const names = (runs: boolean) => (ingress?.networkPolicies?.(ctx, runs).client ?? []).map((p) => p.metadata.name);
        expect(names(true)).toContain("allow-keycloak-egress");
        expect(names(false)).not.toContain("allow-keycloak-egress");
    });
});
