/** caSource external-root: the root comes from secret config; Pulumi signs intermediates with it. */
import { parseConfig } from "../../components/config/parse";
import { problemsOf as problems } from "../harness/problems";
import { SECRET } from "../harness/engine";
import { TestPki } from "../harness/pki";
import { ProgramRun, runProgram } from "../harness/program";
import { rawConfig, stackConfig } from "../harness/stacks";
import { promiseOf } from "../harness/engine";

const pki = new TestPki();
const root = pki.root();
afterAll(() => pki.cleanup());

const withRoot = (cert: string, key: string | undefined, keySecret = true) => {
    const sc = stackConfig("testbed", { caSource: "external-root", caRootCert: cert }, key === undefined ? {} : { caRootKey: key });
    if (!keySecret) {
        sc.secretKeys = sc.secretKeys.filter((k) => k !== "zta-testbed:caRootKey");
    }
    return sc;
};

describe("validation of an external root", () => {
    test("a matching CA root and key are accepted", () => {
        const model = parseConfig(rawConfig(withRoot(root.cert, root.key)));
        expect(model.ca.source).toBe("external-root");
    });
    test("a key that is not the root's is refused (and not echoed)", () => {
        const other = pki.root("Other");
        const p = problems(() => parseConfig(rawConfig(withRoot(root.cert, other.key))));
        expect(p).toEqual(["zta-testbed:caRootKey: the root private key does not match its certificate"]);
    });
    test("intermediates may not outlive the given root", () => {
        const shortRoot = pki.root("Short Root", true, 30);
        expect(problems(() => parseConfig(rawConfig(withRoot(shortRoot.cert, shortRoot.key))))).toEqual([
            expect.stringMatching(/^zta-testbed:caIntermediateValidityDays: 730 days would outlive the given root, which expires /),
        ]);
    });
    test("a certificate that is not a CA is refused", () => {
        const leaf = pki.root("leaf", false);
        expect(problems(() => parseConfig(rawConfig(withRoot(leaf.cert, leaf.key))))).toEqual([
            "zta-testbed:caRootCert: the root certificate is not a CA certificate (basicConstraints CA:FALSE)",
        ]);
    });
    test("garbage, a missing key and a plaintext key are refused", () => {
        expect(problems(() => parseConfig(rawConfig(withRoot("not a pem", root.key))))).toContain(
            "zta-testbed:caRootCert: the root certificate must be exactly one PEM certificate (found 0)",
        );
        expect(problems(() => parseConfig(rawConfig(withRoot(root.cert, undefined))))[0]).toMatch(/^zta-testbed:caRootKey: is required/);
        expect(problems(() => parseConfig(rawConfig(withRoot(root.cert, root.key, false))))).toEqual([
            "zta-testbed:caRootKey: holds credentials and must be set with --secret (it is stored in plain text now)",
        ]);
    });
});

describe("program with an external root", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram("testbed", withRoot(root.cert, root.key));
    });

    test("no root key or root certificate is generated", () => {
        // (The bare-metal infrastructure CA for the registry, and the identity layer's certificates, are not part of the mesh.)
        const tlsTypes = run.recording.resources
            .filter((r) => r.type.startsWith("tls:") && !/^(infra-ca|registry-tls|identity)-/.test(r.name))
            .map((r) => r.type);
        expect(tlsTypes.filter((t) => t.endsWith("SelfSignedCert"))).toHaveLength(0);
        // One key per intermediate only.
        expect(tlsTypes.filter((t) => t.endsWith("PrivateKey"))).toHaveLength(2);
    });

    test("intermediates are signed with the given root, whose key stays secret", () => {
        for (const cluster of ["cluster1", "cluster2"]) {
            const cert = run.recording.get(`mesh-ca-${cluster}-cert`);
            expect(cert.inputs.caCertPem).toBe(root.cert);
            expect(cert.inputs.caPrivateKeyPem).toBe(root.key);
            expect(cert.redacted.caPrivateKeyPem).toBe(SECRET);
            const cacerts = run.recording.get(`mesh-${cluster}-cacerts`);
            expect(cacerts.inputs.stringData["root-cert.pem"]).toBe(root.cert);
        }
    });

    test("the exported root is the given one", async () => {
        expect(await promiseOf(run.outputs.rootCert as never)).toBe(root.cert);
    });
});
