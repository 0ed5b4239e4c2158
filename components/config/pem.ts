import { X509Certificate, createPrivateKey } from "node:crypto";

/** Splits a PEM bundle into its certificates, in order. */
export function splitPemBundle(pem: string): string[] {
    return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function parseCert(pem: string, what: string): X509Certificate {
    const blocks = splitPemBundle(pem);
    if (blocks.length !== 1) {
        throw new Error(`${what} must be exactly one PEM certificate (found ${blocks.length})`);
    }
    try {
        return new X509Certificate(blocks[0]);
    } catch {
        throw new Error(`${what} is not a parsable X.509 certificate`);
    }
}

function checkValidNow(cert: X509Certificate, what: string, now: Date): void {
    if (new Date(cert.validTo) <= now) {
        throw new Error(`${what} expired on ${cert.validTo}`);
    }
    if (new Date(cert.validFrom) > now) {
        throw new Error(`${what} is not valid before ${cert.validFrom}`);
    }
}

/** Validates an externally held root CA certificate; returns problems (empty = fine). */
export function rootCertProblems(pem: string, now = new Date()): string[] {
    try {
        const cert = parseCert(pem, "the root certificate");
        if (!cert.ca) {
            return ["the root certificate is not a CA certificate (basicConstraints CA:FALSE)"];
        }
        if (!cert.verify(cert.publicKey)) {
            return ["the root certificate is not self-signed"];
        }
        checkValidNow(cert, "the root certificate", now);
        return [];
    } catch (e) {
        return [(e as Error).message];
    }
}

/** Checks that a private key (PEM, never echoed) belongs to a certificate. */
export function keyMatchProblem(certPem: string, keyPem: string, what: string): string | undefined {
    let key;
    try {
        key = createPrivateKey(keyPem);
    } catch {
        return `${what} private key is not a parsable PEM private key`;
    }
    try {
        return new X509Certificate(splitPemBundle(certPem)[0] ?? "").checkPrivateKey(key)
            ? undefined
            : `${what} private key does not match its certificate`;
    } catch {
        return `${what} certificate is not parsable`;
    }
}

/**
 * Validates a ready-made intermediate: a CA, chained (through `chainPem`) to `rootPem`, valid now.
 * `chainPem` must start with the intermediate and end with the root.
 */
export function intermediateProblems(certPem: string, chainPem: string, rootPem: string, now = new Date()): string[] {
    try {
        const cert = parseCert(certPem, "the intermediate certificate");
        if (!cert.ca) {
            return ["the intermediate certificate is not a CA certificate"];
        }
        checkValidNow(cert, "the intermediate certificate", now);
        const chain = splitPemBundle(chainPem).map((p) => new X509Certificate(p));
        const root = new X509Certificate(splitPemBundle(rootPem)[0] ?? "");
        if (chain.length < 2 || !chain[0].raw.equals(cert.raw) || !chain[chain.length - 1].raw.equals(root.raw)) {
            return ["the certificate chain must start with the intermediate and end with the mesh root"];
        }
        for (let i = 0; i + 1 < chain.length; i++) {
            if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) {
                return [`the certificate chain is broken at position ${i} (not signed by the next certificate)`];
            }
        }
        return [];
    } catch (e) {
        return [(e as Error).message];
    }
}

/** Expiry of the first certificate in a PEM, or undefined when unparsable (reported elsewhere). */
export function certExpiry(pem: string): Date | undefined {
    try {
        return new Date(new X509Certificate(splitPemBundle(pem)[0] ?? "").validTo);
    } catch {
        return undefined;
    }
}
