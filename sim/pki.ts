/**
 * openssl-made PKI following the mesh CA profile (components/mesh/caProfile.ts): root `O=Istio, CN=Root CA`,
 * per-cluster intermediates `O=Istio, CN=Intermediate CA, L=<cluster>`, CA pathlen 0, SAN istiod.istio-system.svc.
 * Used by the sim (RSA 4096, kept in the sim dir so re-runs are no-ops) and by tests (P-256, throw-away).
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { caKeyUsageExtension, istiodSan } from "../components/mesh/caProfile";

export interface Pem {
    cert: string;
    key: string;
}

export type KeySpec = "rsa4096" | "p256";

/** CA key usage: the mesh profile's (keyCertSign, cRLSign), for the identity CA too. */
const keyUsage = caKeyUsageExtension;

/** `openssl req` arguments for a new unencrypted key written to `<file>`. */
function newKey(spec: KeySpec, file: string): string[] {
    const alg = spec === "rsa4096" ? ["-newkey", "rsa:4096"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
    return [...alg, "-nodes", "-keyout", file];
}

export class OpensslPki {
    #n = 0;

    constructor(
        readonly dir: string,
        readonly spec: KeySpec,
    ) {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    }

    private ssl(args: string[]): void {
        execFileSync("openssl", args, { cwd: this.dir, stdio: ["ignore", "ignore", "pipe"] });
    }

    private file(name: string): string {
        return path.join(this.dir, name);
    }

    /** A self-signed root CA (or, with ca=false, a plain self-signed leaf for negative tests). */
    root(cn = "Root CA", ca = true, days = 3650): Pem {
        const id = `root${this.#n++}`;
        const ext = ca ? `basicConstraints=critical,CA:true\n${keyUsage}\n` : "basicConstraints=critical,CA:false\n";
        fs.writeFileSync(this.file(`${id}.cnf`), `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${ext}subjectKeyIdentifier=hash\n`);
        this.ssl(
            ["req", "-x509", "-sha256", ...newKey(this.spec, `${id}.key`), "-out", `${id}.crt`, "-days", String(days)].concat([
                "-subj",
                `/O=Istio/CN=${cn}`,
                "-config",
                `${id}.cnf`,
                "-extensions",
                "v3",
            ]),
        );
        return { cert: fs.readFileSync(this.file(`${id}.crt`), "utf8"), key: fs.readFileSync(this.file(`${id}.key`), "utf8") };
    }

    /** An intermediate CA for `cluster`, signed by `issuer`, valid `days` days, or exactly `hours` hours when given. */
    intermediate(issuer: Pem, cluster: string, days = 730, hours?: number): Pem {
        const id = `int${this.#n++}`;
        fs.writeFileSync(this.file(`${id}-issuer.crt`), issuer.cert);
        fs.writeFileSync(this.file(`${id}-issuer.key`), issuer.key, { mode: 0o600 });
        fs.writeFileSync(
            this.file(`${id}.ext`),
            `basicConstraints=critical,CA:true,pathlen:0\n${keyUsage}\nsubjectAltName=DNS:${istiodSan}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`,
        );
        this.ssl([
            "req",
            "-new",
            ...newKey(this.spec, `${id}.key`),
            "-out",
            `${id}.csr`,
            "-subj",
            `/O=Istio/CN=Intermediate CA/L=${cluster}`,
        ]);
        if (hours === undefined) {
            this.ssl(
                ["x509", "-req", "-sha256", "-in", `${id}.csr`, "-CA", `${id}-issuer.crt`, "-CAkey", `${id}-issuer.key`].concat([
                    "-CAcreateserial",
                    "-out",
                    `${id}.crt`,
                    "-days",
                    String(days),
                    "-extfile",
                    `${id}.ext`,
                ]),
            );
        } else {
            // `openssl x509` (3.0) counts validity in days only; `openssl ca` takes an exact end date.
            const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
            fs.writeFileSync(this.file(`${id}-index.txt`), "");
            fs.writeFileSync(
                this.file(`${id}-ca.cnf`),
                `[ca]\ndefault_ca = zta\n[zta]\ndatabase = ${id}-index.txt\nnew_certs_dir = .\nserial = ${id}-serial\n` +
                    `policy = any\npreserve = yes\nunique_subject = no\ncopy_extensions = none\n[any]\nO = optional\nCN = supplied\nL = optional\n`,
            );
            fs.writeFileSync(this.file(`${id}-serial`), `${randomBytes(16).toString("hex")}\n`);
            this.ssl([
                "ca",
                "-batch",
                "-notext",
                "-config",
                `${id}-ca.cnf`,
                "-md",
                "sha256",
                "-in",
                `${id}.csr`,
                "-cert",
                `${id}-issuer.crt`,
                "-keyfile",
                `${id}-issuer.key`,
                "-out",
                `${id}.crt`,
                "-extfile",
                `${id}.ext`,
                "-startdate",
                stamp(Date.now() - 60_000),
                "-enddate",
                stamp(Date.now() + hours * 3_600_000),
            ]);
        }
        fs.rmSync(this.file(`${id}-issuer.key`));
        return { cert: fs.readFileSync(this.file(`${id}.crt`), "utf8"), key: fs.readFileSync(this.file(`${id}.key`), "utf8") };
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

export interface MeshPki {
    rootCertPem: string;
    intermediates: Record<string, { cert: string; key: string }>;
}

/**
 * The sim's mesh PKI: made once (RSA 4096) and kept in `dir`, so every later `npm run sim` plugs in the same
 * certificates and a second `pulumi up` changes nothing. The root key stays in `dir` too (0600, never given to
 * Pulumi): the sim issues a new intermediate with it to show a CA rotation (issueIntermediate).
 */
export function ensureMeshPki(dir: string, clusters: readonly string[]): MeshPki {
    const bundleFile = path.join(dir, "mesh-pki.json");
    const rootKeyFile = path.join(dir, "root-key.pem");
    if (fs.existsSync(bundleFile) && fs.existsSync(rootKeyFile)) {
        const existing = JSON.parse(fs.readFileSync(bundleFile, "utf8")) as MeshPki;
        if (clusters.every((c) => existing.intermediates[c])) {
            return existing;
        }
    }
    const pki = new OpensslPki(path.join(dir, "work"), "rsa4096");
    const root = pki.root();
    const bundle: MeshPki = {
        rootCertPem: root.cert,
        intermediates: Object.fromEntries(clusters.map((c) => [c, pki.intermediate(root, c)])),
    };
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(rootKeyFile, root.key, { mode: 0o600 });
    fs.writeFileSync(bundleFile, JSON.stringify(bundle), { mode: 0o600 });
    pki.cleanup();
    return bundle;
}

/** A new intermediate for `cluster`, signed by the sim's kept root (a rotation); the bundle on disk is not changed. */
export function issueIntermediate(dir: string, cluster: string, hours?: number): Pem {
    const bundle = JSON.parse(fs.readFileSync(path.join(dir, "mesh-pki.json"), "utf8")) as MeshPki;
    const root = { cert: bundle.rootCertPem, key: fs.readFileSync(path.join(dir, "root-key.pem"), "utf8") };
    const pki = new OpensslPki(path.join(dir, "work-rotate"), "rsa4096");
    try {
        return pki.intermediate(root, cluster, undefined, hours);
    } finally {
        pki.cleanup();
    }
}

export interface IdentityPki {
    caCert: string;
    ingressCert: string;
    ingressKey: string;
    keycloakCert: string;
    keycloakKey: string;
    realmSigningKey: string;
}

/**
 * The sim's `identityTls`: a P-256 CA, server certificates for the ingress host and Keycloak's host name, and the
 * realm's RSA 2048 signing key, made once with openssl and kept in `dir` (the tls provider cannot be built offline).
 */
export function ensureIdentityPki(dir: string, ingressHost: string, keycloakHost: string): IdentityPki {
    const bundleFile = path.join(dir, "identity-pki.json");
    const tag = `${ingressHost} ${keycloakHost}`;
    if (fs.existsSync(bundleFile)) {
        const existing = JSON.parse(fs.readFileSync(bundleFile, "utf8")) as { tag: string; pki: IdentityPki };
        if (existing.tag === tag) {
            return existing.pki;
        }
    }
    const work = path.join(dir, "identity-work");
    fs.mkdirSync(work, { recursive: true, mode: 0o700 });
    const ssl = (args: string[]) => execFileSync("openssl", args, { cwd: work, stdio: ["ignore", "ignore", "pipe"] });
    const read = (f: string) => fs.readFileSync(path.join(work, f), "utf8");
    const p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    fs.writeFileSync(
        path.join(work, "ca.cnf"),
        `[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:true\n${keyUsage}\nsubjectKeyIdentifier=hash\n`,
    );
    ssl([
        "req",
        "-x509",
        "-sha256",
        ...p256,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "3650",
        "-subj",
        "/O=zta-testbed/CN=zta-testbed sim CA",
        "-config",
        "ca.cnf",
        "-extensions",
        "v3",
    ]);
    const server = (name: string, host: string) => {
        fs.writeFileSync(
            path.join(work, `${name}.ext`),
            `basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${host}\n`,
        );
        ssl(["req", "-new", ...p256, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/O=zta-testbed/CN=${host}`]);
        ssl([
            "x509",
            "-req",
            "-sha256",
            "-in",
            `${name}.csr`,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            `${name}.crt`,
            "-days",
            "365",
            "-extfile",
            `${name}.ext`,
        ]);
    };
    server("ingress", ingressHost);
    server("keycloak", keycloakHost);
    ssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "realm.key"]);
    const pki: IdentityPki = {
        caCert: read("ca.crt"),
        ingressCert: read("ingress.crt"),
        ingressKey: read("ingress.key"),
        keycloakCert: read("keycloak.crt"),
        keycloakKey: read("keycloak.key"),
        realmSigningKey: read("realm.key"),
    };
    fs.writeFileSync(bundleFile, JSON.stringify({ tag, pki }), { mode: 0o600 });
    fs.rmSync(work, { recursive: true, force: true });
    return pki;
}
