/** caSource external-intermediates: ready-made intermediates; the root key never touches Pulumi. */
import { execFileSync } from "node:child_process";
import { parseConfig } from "../../components/config/parse";
import { problemsOf as problems } from "../harness/problems";
import { SECRET } from "../harness/engine";
import { TestPki } from "../harness/pki";
import { ProgramRun, runProgram } from "../harness/program";
import { rawConfig, stackConfig } from "../harness/stacks";

const pki = new TestPki();
const root = pki.root();
const foreignRoot = pki.root("Foreign Root");
const good = { cluster1: pki.intermediate(root, "cluster1"), cluster2: pki.intermediate(root, "cluster2") };
afterAll(() => pki.cleanup());

const config = (intermediates: Record<string, { cert: string; key: string; chain?: string }>) =>
    stackConfig("testbed", { caSource: "external-intermediates", caRootCert: root.cert }, { caIntermediates: intermediates });

describe("validation of ready-made intermediates", () => {
    test("intermediates chained to the root are accepted", () => {
        const model = parseConfig(rawConfig(config(good)));
        expect(model.ca.source).toBe("external-intermediates");
    });
    test("an intermediate from another root is refused", () => {
        const stray = pki.intermediate(foreignRoot, "cluster2");
        expect(problems(() => parseConfig(rawConfig(config({ ...good, cluster2: stray }))))).toEqual([
            "zta-testbed:caIntermediates.cluster2: the certificate chain is broken at position 0 (not signed by the next certificate)",
        ]);
    });
    test("a swapped key and a missing cluster are refused, all at once", () => {
        const p = problems(() => parseConfig(rawConfig(config({ cluster1: { ...good.cluster1, key: good.cluster2.key } }))));
        expect(p).toEqual([
            "zta-testbed:caIntermediates.cluster1.key: the intermediate private key does not match its certificate",
            "zta-testbed:caIntermediates.cluster2: is missing: pulumi config set --secret --path 'caIntermediates.cluster2.cert' ... (and .key)",
        ]);
        expect(p.join()).not.toContain("PRIVATE KEY");
    });
    test("one intermediate for two clusters is refused", () => {
        expect(problems(() => parseConfig(rawConfig(config({ ...good, cluster2: good.cluster1 }))))).toEqual([
            "zta-testbed:caIntermediates.cluster2: is the same certificate as caIntermediates.cluster1; each cluster needs its own intermediate",
        ]);
    });
    test("a chain that does not end at the mesh root is refused", () => {
        const p = problems(() => parseConfig(rawConfig(config({ ...good, cluster1: { ...good.cluster1, chain: good.cluster1.cert } }))));
        expect(p).toEqual([
            "zta-testbed:caIntermediates.cluster1: the certificate chain must start with the intermediate and end with the mesh root",
        ]);
    });
});

describe("the openssl PKI the sim makes its ready-made intermediates with (sim/pki.ts)", () => {
    const keyUsage = (pem: string): string =>
        execFileSync("openssl", ["x509", "-noout", "-ext", "keyUsage"], { input: pem, encoding: "utf8" }).replace(/\s+/g, " ").trim();
    test("root and intermediates carry only the CA key usage: Certificate Sign, CRL Sign (no key encipherment, no non-repudiation)", () => {
        for (const pem of [root.cert, good.cluster1.cert, good.cluster2.cert]) {
            expect(keyUsage(pem)).toBe("X509v3 Key Usage: critical Certificate Sign, CRL Sign");
        }
    });
});

describe("program with ready-made intermediates", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram("testbed", config(good));
    });

    test("creates no TLS resources at all", () => {
        // (The bare-metal infrastructure CA for the registry, and the identity layer's certificates, are not part of the mesh.)
        expect(
            run.recording.resources.filter((r) => r.type.startsWith("tls:") && !/^(infra-ca|registry-tls|identity)-/.test(r.name)),
        ).toEqual([]);
    });

    test("cacerts carries the given intermediate, its secret key, the root and the chain", () => {
        for (const cluster of ["cluster1", "cluster2"] as const) {
            const cacerts = run.recording.get(`mesh-${cluster}-cacerts`);
            expect(cacerts.redacted.stringData).toBe(SECRET);
            expect(cacerts.inputs.stringData).toEqual({
                "ca-cert.pem": good[cluster].cert,
                "ca-key.pem": good[cluster].key,
                "root-cert.pem": root.cert,
                "cert-chain.pem": `${good[cluster].cert.trim()}\n${root.cert.trim()}\n`,
            });
        }
    });
});
