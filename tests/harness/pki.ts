/**
 * Real test PKI made with openssl at test time (EC P-256 for speed; never committed): roots and
 * intermediates for the external-CA paths, where the program validates PEMs itself.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Pem {
    cert: string;
    key: string;
}

/** `openssl req` arguments for a new unencrypted P-256 key written to `<id>.key`. */
const newEcKey = (id: string): string[] => ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${id}.key`];

export class TestPki {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-pki-"));
    #n = 0;

    private ssl(args: string[]): void {
        execFileSync("openssl", args, { cwd: this.dir, stdio: ["ignore", "ignore", "pipe"] });
    }

    private read(name: string): string {
        return fs.readFileSync(path.join(this.dir, name), "utf8");
    }

    private write(name: string, text: string): void {
        fs.writeFileSync(path.join(this.dir, name), text);
    }

    /** A self-signed CA (or, with ca=false, a plain self-signed leaf). */
    root(cn = "Root CA", ca = true): Pem {
        const id = `r${this.#n++}`;
        const ext = ca
            ? "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,digitalSignature\n"
            : "basicConstraints=critical,CA:false\n";
        this.write(`${id}.cnf`, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${ext}subjectKeyIdentifier=hash\n`);
        this.ssl([
            "req",
            "-x509",
            ...newEcKey(id),
            "-out",
            `${id}.crt`,
            "-days",
            "30",
            "-subj",
            `/O=Istio/CN=${cn}`,
            "-config",
            `${id}.cnf`,
            "-extensions",
            "v3",
        ]);
        return { cert: this.read(`${id}.crt`), key: this.read(`${id}.key`) };
    }

    /** An intermediate CA for `cluster`, signed by `issuer`. */
    intermediate(issuer: Pem, cluster: string): Pem {
        const id = `i${this.#n++}`;
        this.write(`${id}-issuer.crt`, issuer.cert);
        this.write(`${id}-issuer.key`, issuer.key);
        this.write(
            `${id}.ext`,
            "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,digitalSignature\nsubjectAltName=DNS:istiod.istio-system.svc\n",
        );
        this.ssl(["req", "-new", ...newEcKey(id), "-out", `${id}.csr`, "-subj", `/O=Istio/CN=Intermediate CA/L=${cluster}`]);
        this.ssl([
            "x509",
            "-req",
            "-in",
            `${id}.csr`,
            "-CA",
            `${id}-issuer.crt`,
            "-CAkey",
            `${id}-issuer.key`,
            "-CAcreateserial",
            "-out",
            `${id}.crt`,
            "-days",
            "10",
            "-extfile",
            `${id}.ext`,
        ]);
        return { cert: this.read(`${id}.crt`), key: this.read(`${id}.key`) };
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
