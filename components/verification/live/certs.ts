/**
 * Certificates istiod issues, judged with Node's X.509: identity (SPIFFE URI SAN), chain (signature and issuer at
 * every step up to a trusted root), lifetime. Pure.
 */
import { X509Certificate } from "node:crypto";

/** Every certificate of a PEM bundle, in order. */
export function pemCertificates(pem: string): X509Certificate[] {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    return blocks.map((b) => new X509Certificate(b));
}

/** A certificate's name for people: its subject, else (workload certificates have none) its URI SAN. */
export function certName(cert: X509Certificate): string {
    const subject = (cert.subject ?? "").replace(/\n/g, ",");
    return subject || uriSans(cert)[0] || cert.fingerprint256.slice(0, 23);
}

export interface ChainVerdict {
    readonly ok: boolean;
    /** Subjects from the leaf up to the trusted root, as walked. */
    readonly path: readonly string[];
    readonly problems: readonly string[];
}

/**
 * Walks leaf → issuer → … using the presented chain, until a certificate of `trusted` signs the last one (or is
 * it). Every step: issuer name matches and the signature verifies; every certificate is inside its validity.
 */
export function verifyChain(chain: readonly X509Certificate[], trusted: readonly X509Certificate[], now = new Date()): ChainVerdict {
    const problems: string[] = [];
    const path: string[] = [];
    if (chain.length === 0) {
        return { ok: false, path, problems: ["empty chain"] };
    }
    const inValidity = (c: X509Certificate) => new Date(c.validFrom) <= now && now <= new Date(c.validTo);
    let current = chain[0];
    const pool = chain.slice(1);
    for (let depth = 0; depth < 8; depth++) {
        path.push(certName(current));
        if (!inValidity(current)) {
            problems.push(`${certName(current)}: outside its validity (${current.validFrom} – ${current.validTo})`);
        }
        const anchor =
            trusted.find((t) => t.fingerprint256 === current.fingerprint256) ??
            trusted.find((t) => current.checkIssued(t) && current.verify(t.publicKey));
        if (anchor) {
            if (anchor.fingerprint256 !== current.fingerprint256) {
                path.push(certName(anchor));
                if (!inValidity(anchor)) {
                    problems.push(`${certName(anchor)}: outside its validity (${anchor.validFrom} – ${anchor.validTo})`);
                }
            }
            return { ok: problems.length === 0, path, problems };
        }
        if (current.checkIssued(current) && current.verify(current.publicKey)) {
            problems.push(`the chain ends at ${certName(current)}, a root that is not trusted`);
            return { ok: false, path, problems };
        }
        const issuer = pool.find((c) => c !== current && current.checkIssued(c) && current.verify(c.publicKey));
        if (!issuer) {
            problems.push(`no issuer of ${certName(current)} in the chain or the trusted roots`);
            return { ok: false, path, problems };
        }
        current = issuer;
    }
    return { ok: false, path, problems: [...problems, "chain longer than 8"] };
}

/** URI SANs of a certificate. */
export function uriSans(cert: X509Certificate): string[] {
    return (cert.subjectAltName ?? "")
        .split(/,\s*/)
        .filter((s) => s.startsWith("URI:"))
        .map((s) => s.slice(4));
}

export const lifetimeHours = (cert: X509Certificate): number => (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 3_600_000;
export const hoursLeft = (cert: X509Certificate, now = new Date()): number => (Date.parse(cert.validTo) - now.getTime()) / 3_600_000;
