/**
 * The check Istio's JWT filter makes of a bearer token, done here with node:crypto: the `kid` picks a key of the
 * RequestAuthentication's inline JWKS, the RS256 signature must verify with it, `iss` must be the rule's issuer, `aud`
 * must name one of its audiences, and `exp`/`nbf` must hold now. The sim has no Envoy: this is how a token Keycloak
 * issued, and the verification layer's deliberately bad ones, are held against the exact JWKS the program deployed.
 * Pure.
 */
import { createPublicKey, verify } from "node:crypto";

export interface JwtRuleView {
    readonly issuer: string;
    readonly audiences: readonly string[];
    /** The inline JWKS, as the RequestAuthentication holds it (a JSON string). */
    readonly jwks: string;
}

export interface JwtVerdict {
    readonly ok: boolean;
    /** Why not (empty when ok): each failed condition, in the filter's order. */
    readonly reasons: readonly string[];
    readonly header: Readonly<Record<string, unknown>>;
    readonly claims: Readonly<Record<string, unknown>>;
}

function part(segment: string | undefined, what: string): Record<string, unknown> {
    try {
        const v = JSON.parse(Buffer.from(segment ?? "", "base64url").toString("utf8")) as unknown;
        if (v && typeof v === "object" && !Array.isArray(v)) {
            return v as Record<string, unknown>;
        }
    } catch {
        // reported below
    }
    throw new Error(`${what} is not a base64url JSON object`);
}

/** Decodes a compact JWS without verifying it. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
    const segments = token.split(".");
    if (segments.length !== 3) {
        throw new Error(`a JWT has 3 segments, this has ${segments.length}`);
    }
    return { header: part(segments[0], "header"), claims: part(segments[1], "payload") };
}

export function jwtVerdict(token: string, rule: JwtRuleView, now = new Date()): JwtVerdict {
    let decoded: { header: Record<string, unknown>; claims: Record<string, unknown> };
    try {
        decoded = decodeJwt(token);
    } catch (e) {
        return { ok: false, reasons: [`malformed: ${(e as Error).message}`], header: {}, claims: {} };
    }
    const { header, claims } = decoded;
    const reasons: string[] = [];
    const keys = (JSON.parse(rule.jwks) as { keys?: { kid?: string; kty?: string; n?: string; e?: string; alg?: string }[] }).keys ?? [];
    if (header.alg !== "RS256") {
        reasons.push(`alg ${String(header.alg)}, expected RS256`);
    }
    const jwk = keys.find((k) => k.kid === header.kid);
    if (!jwk) {
        reasons.push(`kid ${String(header.kid)} is not in the JWKS (${keys.map((k) => k.kid).join(", ")})`);
    } else {
        const [h, p, s] = token.split(".");
        const key = createPublicKey({ key: { kty: "RSA", n: jwk.n ?? "", e: jwk.e ?? "" }, format: "jwk" });
        if (!verify("sha256", Buffer.from(`${h}.${p}`), key, Buffer.from(s, "base64url"))) {
            reasons.push("signature does not verify with the JWKS key");
        }
    }
    if (claims.iss !== rule.issuer) {
        reasons.push(`iss ${String(claims.iss)}, expected ${rule.issuer}`);
    }
    const aud = Array.isArray(claims.aud) ? (claims.aud as unknown[]) : [claims.aud];
    if (rule.audiences.length > 0 && !aud.some((a) => typeof a === "string" && rule.audiences.includes(a))) {
        reasons.push(`aud ${JSON.stringify(claims.aud)} names none of ${rule.audiences.join(", ")}`);
    }
    const t = Math.floor(now.getTime() / 1000);
    if (typeof claims.exp !== "number" || claims.exp <= t) {
        reasons.push(typeof claims.exp === "number" ? `expired at ${new Date(claims.exp * 1000).toISOString()}` : "no exp");
    }
    if (typeof claims.nbf === "number" && claims.nbf > t) {
        reasons.push(`not valid before ${new Date(claims.nbf * 1000).toISOString()}`);
    }
    return { ok: reasons.length === 0, reasons, header, claims };
}
