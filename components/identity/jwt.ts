/**
 * The realm's signing key seen from the mesh: the inline JWKS Istio verifies tokens with, and the deliberately bad
 * tokens the verification layer presents at the ingress. Pure (node:crypto only): no Pulumi resources.
 *
 * The key is made by Pulumi and imported into the realm (realm.ts), so the JWKS is known without asking Keycloak:
 * istiod never has to fetch it (it could not verify Keycloak's private-CA certificate, and every token would get a
 * 401, istio#53260), and a Keycloak restart (in-cluster: a fresh database) keeps the same key.
 */
import { KeyObject, createHash, createPrivateKey, createPublicKey, sign } from "node:crypto";

export interface Jwk {
    readonly kid: string;
    readonly kty: "RSA";
    readonly alg: "RS256";
    readonly use: "sig";
    readonly n: string;
    readonly e: string;
}

function rsaPrivateKey(pem: string): KeyObject {
    let key: KeyObject;
    try {
        key = createPrivateKey(pem);
    } catch {
        throw new Error("signingKey: expected a PEM private key");
    }
    if (key.asymmetricKeyType !== "rsa" || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
        throw new Error("signingKey: expected an RSA key of at least 2048 bits (RS256)");
    }
    return key;
}

/**
 * Keycloak's key id for an imported key: base64url (no padding) of the SHA-256 of the public key's
 * SubjectPublicKeyInfo DER (KeyUtils.createKeyId). Envoy picks the JWK by the token's `kid`, so they must agree.
 */
export function keycloakKeyId(publicKey: KeyObject): string {
    const der = publicKey.export({ type: "spki", format: "der" });
    return createHash("sha256").update(der).digest("base64url");
}

/** The key as Keycloak's `rsa` key provider reads it: base64 of the PKCS#8 DER, one line (safe in a JSON string). */
export function keycloakPrivateKeyValue(privateKeyPem: string): string {
    return rsaPrivateKey(privateKeyPem).export({ type: "pkcs8", format: "der" }).toString("base64");
}

/** The JWKS (public key only) for RequestAuthentication's inline `jwks`. */
export function realmJwks(privateKeyPem: string): string {
    const publicKey = createPublicKey(rsaPrivateKey(privateKeyPem));
    const jwk = publicKey.export({ format: "jwk" }) as { n: string; e: string };
    const key: Jwk = { kid: keycloakKeyId(publicKey), kty: "RSA", alg: "RS256", use: "sig", n: jwk.n, e: jwk.e };
    return JSON.stringify({ keys: [key] });
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An RS256 compact JWS (PKCS#1 v1.5 signatures are deterministic: same input, same token). */
export function signJwt(privateKeyPem: string, claims: Record<string, unknown>): string {
    const key = rsaPrivateKey(privateKeyPem);
    const header = { alg: "RS256", typ: "JWT", kid: keycloakKeyId(createPublicKey(key)) };
    const input = `${b64url(header)}.${b64url(claims)}`;
    return `${input}.${sign("sha256", Buffer.from(input), key).toString("base64url")}`;
}

export interface BadTokensInput {
    readonly signingKeyPem: string;
    readonly issuer: string;
    readonly audience: string;
    /** `sub` of the realm's client (its service-account user). */
    readonly subject: string;
}

/** Tokens the ingress must refuse with 401, each for exactly one reason (all other claims valid). */
export interface BadTokens {
    /** Signed by the realm's own key, expired since 2020. */
    readonly expired: string;
    /** Claims changed after signing (the subject swapped): the signature no longer verifies. */
    readonly forged: string;
    /** Signed by the realm's key for another audience. */
    readonly wrongAudience: string;
}

/** Fixed timestamps, so the tokens (and the Secret holding them) never change between runs. */
const issuedAt = Date.UTC(2020, 0, 1) / 1000;
const farFuture = Date.UTC(2100, 0, 1) / 1000;

export function badTokens(input: BadTokensInput): BadTokens {
    const base = { iss: input.issuer, sub: input.subject, azp: "zta-verify", typ: "Bearer" };
    const expired = signJwt(input.signingKeyPem, { ...base, aud: input.audience, iat: issuedAt, exp: issuedAt + 300 });
    const valid = signJwt(input.signingKeyPem, { ...base, aud: input.audience, iat: issuedAt, exp: farFuture });
    const [header, , signature] = valid.split(".");
    const forged = `${header}.${b64url({ ...base, sub: "00000000-0000-0000-0000-000000000000", aud: input.audience, iat: issuedAt, exp: farFuture })}.${signature}`;
    const wrongAudience = signJwt(input.signingKeyPem, { ...base, aud: `${input.audience}-other`, iat: issuedAt, exp: farFuture });
    return { expired, forged, wrongAudience };
}
