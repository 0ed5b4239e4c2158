/** The certificate judgements (components/verification/live/certs.ts) on a real root → intermediate → SPIFFE leaf made by openssl. */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { certName, hoursLeft, lifetimeHours, pemCertificates, uriSans, verifyChain } from "../../../components/verification/live/certs";

const spiffe = "spiffe://cluster.local/ns/sample/sa/curl";
const extensions = `[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = critical,URI:${spiffe}
[anonymous]
basicConstraints = critical,CA:false
# no key identifiers: an issuer is then matched by name, and only the signature can tell an impostor
[impostor]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = none
authorityKeyIdentifier = none
`;

let dir = "";
const pem: Record<"root" | "intermediate" | "leaf" | "anonymous" | "otherRoot" | "impostorRoot" | "impostorIntermediate", string> = {
    root: "",
    intermediate: "",
    leaf: "",
    anonymous: "",
    otherRoot: "",
    impostorRoot: "",
    impostorIntermediate: "",
};
let root: X509Certificate;
let intermediate: X509Certificate;
let leaf: X509Certificate;
let otherRoot: X509Certificate;
let impostorRoot: X509Certificate;
let anonymous: X509Certificate;
let impostorIntermediate: X509Certificate;

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-certs-"));
    const file = (name: string) => path.join(dir, name);
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    fs.writeFileSync(file("ext.cnf"), extensions);
    const key = (name: string) => openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`);
    const selfSigned = (name: string, subject: string, ext = "ca") => {
        key(name);
        openssl(
            ...["req", "-x509", "-new", "-key", `${name}.key`, "-subj", subject, "-days", "3650"],
            ...["-config", "ext.cnf", "-extensions", ext, "-out", `${name}.pem`],
        );
    };
    const signed = (name: string, subject: string, issuer: string, ext: string, serial: number, days: number) => {
        key(name);
        openssl("req", "-new", "-key", `${name}.key`, "-subj", subject, "-config", "ext.cnf", "-out", `${name}.csr`);
        openssl(
            ...["x509", "-req", "-in", `${name}.csr`, "-CA", `${issuer}.pem`, "-CAkey", `${issuer}.key`],
            ...["-set_serial", String(serial), "-days", String(days), "-extfile", "ext.cnf", "-extensions", ext, "-out", `${name}.pem`],
        );
    };
    selfSigned("root", "/O=cluster.local/CN=Root CA");
    signed("intermediate", "/O=cluster.local/CN=Intermediate CA zta-sim-1", "root", "ca", 2, 365);
    signed("leaf", "/", "intermediate", "leaf", 3, 1);
    signed("anonymous", "/", "intermediate", "anonymous", 4, 1);
    selfSigned("otherRoot", "/O=elsewhere.local/CN=Other Root CA");
    // the mesh root's and the intermediate's names, other keys
    selfSigned("impostorRoot", "/O=cluster.local/CN=Root CA", "impostor");
    signed("impostorIntermediate", "/O=cluster.local/CN=Intermediate CA zta-sim-1", "root", "impostor", 5, 365);
    for (const name of Object.keys(pem) as (keyof typeof pem)[]) {
        pem[name] = fs.readFileSync(file(`${name}.pem`), "utf8");
    }
    [root, intermediate, leaf, anonymous, otherRoot, impostorRoot, impostorIntermediate] = [
        pem.root,
        pem.intermediate,
        pem.leaf,
        pem.anonymous,
        pem.otherRoot,
        pem.impostorRoot,
        pem.impostorIntermediate,
    ].map((p) => new X509Certificate(p));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const rootName = "O=cluster.local,CN=Root CA";
const intermediateName = "O=cluster.local,CN=Intermediate CA zta-sim-1";

describe("pemCertificates", () => {
    test("every certificate of a bundle, in order, whatever surrounds them", () => {
        const bundle = `leaf:\n${pem.leaf}\n# chain\n${pem.intermediate}${pem.root}trailing text`;
        expect(pemCertificates(bundle).map((c) => c.fingerprint256)).toEqual([leaf, intermediate, root].map((c) => c.fingerprint256));
    });
    test("no PEM block: no certificates", () => {
        expect(pemCertificates("")).toEqual([]);
        expect(pemCertificates("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")).toEqual([]);
    });
});

describe("certName and uriSans", () => {
    test("a CA's name is its subject, one line", () => {
        expect(certName(root)).toBe(rootName);
        expect(certName(intermediate)).toBe(intermediateName);
    });
    test("a workload certificate (empty subject) is named by its URI SAN", () => {
        expect(leaf.subject).toBeFalsy();
        expect(certName(leaf)).toBe(spiffe);
    });
    test("neither subject nor URI SAN: named by its fingerprint", () => {
        expect(certName(anonymous)).toBe(anonymous.fingerprint256.slice(0, 23));
        expect(certName(anonymous)).not.toBe(certName(leaf));
    });
    test("the leaf's URI SANs are its SPIFFE ID; a CA or a certificate without SANs has none", () => {
        expect(uriSans(leaf)).toEqual([spiffe]);
        expect(uriSans(root)).toEqual([]);
        expect(uriSans(anonymous)).toEqual([]);
    });
});

describe("verifyChain", () => {
    test("leaf + intermediate against the mesh root: ok, path leaf → intermediate → root", () => {
        expect(verifyChain([leaf, intermediate], [root])).toEqual({ ok: true, path: [spiffe, intermediateName, rootName], problems: [] });
    });
    test("the root presented too (as istiod sends it) and several trusted roots: still ok, same path", () => {
        expect(verifyChain([leaf, intermediate, root], [otherRoot, root])).toEqual({
            ok: true,
            path: [spiffe, intermediateName, rootName],
            problems: [],
        });
    });
    test("a trusted intermediate anchors the chain itself", () => {
        expect(verifyChain([leaf], [intermediate])).toEqual({ ok: true, path: [spiffe, intermediateName], problems: [] });
    });
    test("against an unrelated root: fails, naming the certificate nothing trusted signs", () => {
        const v = verifyChain([leaf, intermediate], [otherRoot]);
        expect(v.ok).toBe(false);
        expect(v.problems).toEqual([`no issuer of ${intermediateName} in the chain or the trusted roots`]);
        expect(v.path).toEqual([spiffe, intermediateName]);
    });
    test("against a root with the mesh root's name but another key: fails", () => {
        expect(impostorRoot.subject).toBe(root.subject);
        const v = verifyChain([leaf, intermediate], [impostorRoot]);
        expect(v.ok).toBe(false);
        expect(v.problems).toEqual([`no issuer of ${intermediateName} in the chain or the trusted roots`]);
    });
    test("an intermediate with the right name but another key in the chain (itself signed by the root): fails at the leaf", () => {
        expect(verifyChain([impostorIntermediate], [root]).ok).toBe(true);
        const v = verifyChain([leaf, impostorIntermediate], [root]);
        expect(v.ok).toBe(false);
        expect(v.problems).toEqual([`no issuer of ${spiffe} in the chain or the trusted roots`]);
    });
    test("the intermediate missing: fails, naming the leaf by its SPIFFE ID", () => {
        const v = verifyChain([leaf], [root]);
        expect(v.ok).toBe(false);
        expect(v.problems).toEqual([`no issuer of ${spiffe} in the chain or the trusted roots`]);
    });
    test("an empty chain: fails", () => {
        expect(verifyChain([], [root])).toEqual({ ok: false, path: [], problems: ["empty chain"] });
    });
    test("long after the leaf and intermediate expire: fails on validity, the path still walked", () => {
        const v = verifyChain([leaf, intermediate], [root], new Date(Date.parse(intermediate.validTo) + 3_600_000));
        expect(v.ok).toBe(false);
        expect(v.path).toEqual([spiffe, intermediateName, rootName]);
        expect(v.problems).toHaveLength(2);
        expect(v.problems[0]).toBe(`${spiffe}: outside its validity (${leaf.validFrom} – ${leaf.validTo})`);
        expect(v.problems[1]).toMatch(/^O=cluster\.local,CN=Intermediate CA zta-sim-1: outside its validity/);
    });
    test("just after the leaf expires, the intermediate still valid: fails on the leaf only", () => {
        const v = verifyChain([leaf, intermediate], [root], new Date(Date.parse(leaf.validTo) + 1000));
        expect(v.ok).toBe(false);
        expect(v.problems).toEqual([`${spiffe}: outside its validity (${leaf.validFrom} – ${leaf.validTo})`]);
    });
    test("before the leaf is valid: fails on validity", () => {
        const v = verifyChain([leaf, intermediate], [root], new Date(Date.parse(leaf.validFrom) - 60_000));
        expect(v.ok).toBe(false);
        expect(v.problems[0]).toContain(`${spiffe}: outside its validity`);
    });
});

describe("verifyChain: anchors and roots that are not trusted", () => {
    test("the chain's own root, not trusted: fails saying the chain ends at an untrusted root (no looping)", () => {
        const v = verifyChain([leaf, intermediate, root], [otherRoot]);
        expect(v.ok).toBe(false);
        expect(v.problems).toEqual([`the chain ends at ${rootName}, a root that is not trusted`]);
        expect(v.path).toEqual([spiffe, intermediateName, rootName]);
    });
    test("an expired trust anchor fails the chain, named, even when checked through a signature", () => {
        const later = new Date(Date.parse(intermediate.validTo) + 3_600_000);
        const v = verifyChain([leaf], [intermediate], later);
        expect(v.ok).toBe(false);
        expect(v.problems.some((p) => p.startsWith(`${intermediateName}: outside its validity`))).toBe(true);
    });
});

describe("lifetimeHours and hoursLeft", () => {
    test("a 1-day leaf lives 24 h; hours left count down from now", () => {
        expect(lifetimeHours(leaf)).toBe(24);
        expect(lifetimeHours(intermediate)).toBe(365 * 24);
        const start = new Date(Date.parse(leaf.validFrom));
        expect(hoursLeft(leaf, start)).toBe(24);
        expect(hoursLeft(leaf, new Date(start.getTime() + 6 * 3_600_000))).toBe(18);
        expect(hoursLeft(leaf, new Date(start.getTime() + 30 * 3_600_000))).toBe(-6);
    });
});
