/**
 * The identity, ingress and verification layers as the engine receives them (cloud and testbed stacks under the
 * recording mocks): what waits for what, what is secret, which JWKS and issuer the mesh enforces, and the outputs.
 */
import { createPublicKey, verify } from "node:crypto";
import { realmJwks } from "../../components/identity/jwt";
import { RecordedResource, SECRET, promiseOf, testRsaKey } from "../harness/engine";
import { ProgramRun, runProgram } from "../harness/program";
import { stackConfig } from "../harness/stacks";

const JOB = "kubernetes:batch/v1:Job";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET_TYPE = "kubernetes:core/v1:Secret";
const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const checks = ["cross-network", "plaintext-refused", "unauthorized-identity", "ingress-jwt"];

describe("cloud: Keycloak in the first cluster, the JWT ingress in both, the checks last", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram("cloud", stackConfig("cloud"));
    });
    const rec = () => run.recording;
    const issuer = "https://keycloak.keycloak.svc.cluster.local:8443/realms/zta";

    test("Keycloak runs in aks only, through aks's provider, after its secrets, realm and network policies", () => {
        const keycloak = rec().get("identity-keycloak", DEPLOYMENT);
        expect(keycloak.provider).toContain("aks-provider");
        expect(
            rec()
                .ofType(DEPLOYMENT)
                .filter((d) => d.inputs.metadata?.namespace === "keycloak"),
        ).toHaveLength(1);
        for (const dep of ["identity-tls", "identity-admin", "identity-realm-secrets", "identity-realm", "identity-default-deny"]) {
            expect([dep, rec().dependsOn(keycloak, rec().get(dep))]).toEqual([dep, true]);
        }
        // Its only way in: the ingress check's token client, on 8443.
        const allow = rec().get("identity-allow-token-clients", NP).inputs.spec;
        expect(allow.ingress).toEqual([
            {
                from: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "zta-verify" } },
                        podSelector: { matchLabels: { "zta.verify/check": "ingress-jwt" } },
                    },
                ],
                ports: [{ protocol: "TCP", port: 8443 }],
            },
        ]);
        expect(rec().get("identity-namespace").inputs.metadata.labels["istio-injection"]).toBe("disabled");
    });

    test("every credential of the identity layer is a secret: TLS key, admin, client secret, signing key, the check's token request", () => {
        for (const name of ["identity-tls", "identity-admin", "identity-realm-secrets", "verify-aks-ingress-check"]) {
            expect([name, rec().get(name, SECRET_TYPE).redacted.stringData]).toEqual([name, SECRET]);
        }
        const realm = rec().get("identity-realm").inputs.data["realm.json"] as string;
        expect(realm).toContain("${ZTA_CLIENT_SECRET}");
        expect(realm).toContain("${ZTA_REALM_SIGNING_KEY}");
        expect(realm).not.toContain("PRIVATE KEY");
    });

    test("both ingresses enforce the realm: issuer, audience, the inline JWKS of the realm's key, the token from the Authorization header only, and an ALLOW on its principals confined to the ingress's host and API", () => {
        for (const cluster of ["aks", "gke"]) {
            const ra = rec().get(`mesh-${cluster}-jwt-ingress-request-authentication`).inputs;
            expect(ra.spec.jwtRules).toEqual([
                {
                    issuer,
                    audiences: ["zta-ingress"],
                    fromHeaders: [{ name: "Authorization", prefix: "Bearer " }],
                    jwks: realmJwks(testRsaKey()),
                },
            ]);
            const allow = rec().get(`mesh-${cluster}-jwt-ingress-require-jwt`).inputs;
            expect(allow.spec.rules[0]).toEqual({
                from: [{ source: { requestPrincipals: [`${issuer}/*`] } }],
                to: [
                    {
                        operation: {
                            hosts: ["httpbin.zta.test", "httpbin.zta.test:443"],
                            ports: ["443"],
                            methods: ["GET", "HEAD"],
                            paths: ["/headers", "/get", "/status/*"],
                        },
                    },
                ],
            });
            const gateway = rec().get(`mesh-${cluster}-jwt-ingress-gateway`);
            expect(gateway.inputs.spec.servers[0].tls).toEqual({
                mode: "SIMPLE",
                credentialName: "sample-ingress-tls",
                minProtocolVersion: "TLSV1_2",
            });
            // The route never serves without the JWT policies and its certificate.
            for (const dep of ["request-authentication", "require-jwt", "tls"]) {
                expect(rec().dependsOn(gateway, rec().get(`mesh-${cluster}-jwt-ingress-${dep}`))).toBe(true);
            }
        }
    });

    test("each check waits for everything it verifies, in every cluster (samples, gateways, ingress, remote secrets, Keycloak)", () => {
        const jobs = rec().ofType(JOB);
        expect(jobs.map((j) => j.name).sort()).toEqual(
            ["aks", "gke"].flatMap((c) => checks.filter((k) => c === "aks" || k !== "ingress-jwt").map((k) => `verify-${c}-${k}`)).sort(),
        );
        const mustWaitFor = [
            ...["aks", "gke"].flatMap((c) => [
                `mesh-${c}-samples-helloworld-v${c === "aks" ? 1 : 2}`,
                `mesh-${c}-eastwest`,
                `mesh-${c}-jwt-ingress-route`,
            ]),
            "mesh-discovery-aks-in-gke",
            "mesh-discovery-gke-in-aks",
            "identity-keycloak",
        ];
        for (const job of jobs) {
            for (const dep of mustWaitFor) {
                expect([job.name, dep, rec().waitsFor(job, rec().get(dep))]).toEqual([job.name, dep, true]);
            }
            // Replaced delete-first (fixed names), with a deadline the engine waits out.
            expect(job.deleteBeforeReplace).toBe(true);
        }
    });

    test("the bad tokens the ingress check presents are refused for exactly one reason each", () => {
        const secret = rec().get("verify-aks-ingress-check", SECRET_TYPE).inputs.stringData as Record<string, string>;
        const publicKey = createPublicKey(testRsaKey());
        const parts = (header: string) =>
            header
                .replace(/^Authorization: Bearer /, "")
                .trim()
                .split(".");
        const ok = (p: string[]) => verify("sha256", Buffer.from(`${p[0]}.${p[1]}`), publicKey, Buffer.from(p[2], "base64url"));
        const claims = (p: string[]) => JSON.parse(Buffer.from(p[1], "base64url").toString()) as Record<string, unknown>;
        const expired = parts(secret["expired.header"]);
        expect(ok(expired)).toBe(true);
        expect(claims(expired).exp as number).toBeLessThan(Date.now() / 1000);
        expect(ok(parts(secret["forged.header"]))).toBe(false);
        const audience = parts(secret["wrong-audience.header"]);
        expect(ok(audience)).toBe(true);
        expect(claims(audience).aud).not.toBe("zta-ingress");
        for (const p of [expired, audience]) {
            expect(claims(p).iss).toBe(issuer);
        }
        expect(secret["token-request.curlrc"]).toMatch(/^user = "zta-client:[A-Za-z0-9]{48}"\ndata = "grant_type=client_credentials"\n$/);
        expect(secret["ca.crt"]).toContain("BEGIN CERTIFICATE");
    });

    test("outputs: every check per cluster (passed; ingress not run where Keycloak is not reachable), identity public facts and secret credentials", async () => {
        const verification = await promiseOf(run.outputs.verification as any);
        expect(verification).toEqual({
            aks: Object.fromEntries(checks.map((c) => [c, "passed"])),
            gke: {
                "cross-network": "passed",
                "plaintext-refused": "passed",
                "unauthorized-identity": "passed",
                "ingress-jwt": "not run: Keycloak is cluster-local to aks (its Service name is the issuer)",
            },
        });
        const identity = run.outputs.identity as Record<string, any>;
        expect(identity.issuer).toBe(issuer);
        expect(identity.ingressHost).toBe("httpbin.zta.test");
        expect(await promiseOf(identity.clientSecret.isSecret)).toBe(true);
        expect(await promiseOf(identity.keycloakAdmin.isSecret)).toBe(true);
    });
});

describe("testbed: Keycloak as a container on server1, after the registry setup, secrets on stdin", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram("testbed", stackConfig("testbed"));
    });

    test("the setup runs on the keycloak host after its registry setup; its script holds no secret; stdin is secret", () => {
        const rec = run.recording;
        const setup: RecordedResource = rec.get("identity-server1-setup");
        expect(rec.dependsOn(setup, rec.get("registry-server1-setup"))).toBe(true);
        expect(setup.redacted.stdin).toBe(SECRET);
        expect(setup.inputs.create).toContain("https://10.5.0.2:8443/realms/zta");
        expect(setup.inputs.create).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|ZTA_CLIENT_SECRET=[A-Za-z0-9]/);
        expect(setup.deleteBeforeReplace).toBe(true);
    });

    test("Keycloak is published on server1's management address only, without admin user or admin console; no admin output", () => {
        const create = run.recording.get("identity-server1-setup").inputs.create as string;
        expect(create).toMatch(/BIND_ADDRESS=\W{0,8}10\.5\.0\.2\W/);
        expect(create).toContain('--publish "$BIND_ADDRESS:$PORT:8443"');
        expect(create).toContain("--features-disabled=admin,admin-api");
        expect(create).not.toContain("KC_BOOTSTRAP_ADMIN");
        expect(Object.keys(run.outputs.identity as Record<string, unknown>)).not.toContain("keycloakAdmin");
        expect(run.recording.resources.map((r) => r.name)).not.toContain("identity-admin-password");
    });

    test("every cluster runs all four checks (Keycloak is reachable from both), the token client may reach only server1:8443", () => {
        const rec = run.recording;
        for (const cluster of ["cluster1", "cluster2"]) {
            for (const check of checks) {
                rec.get(`verify-${cluster}-${check}`, JOB);
            }
            const egress = rec.get(`verify-${cluster}-allow-keycloak-egress`, NP).inputs.spec;
            expect(egress.podSelector).toEqual({ matchLabels: { "zta.verify/check": "ingress-jwt" } });
            expect(egress.egress).toEqual([{ to: [{ ipBlock: { cidr: "10.5.0.2/32" } }], ports: [{ protocol: "TCP", port: 8443 }] }]);
        }
    });
});
