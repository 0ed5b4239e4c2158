/**
 * The realm's signing key seen from the mesh (components/identity/jwt.ts): Keycloak's key id, the inline JWKS, the key
 * value Keycloak imports, RS256 tokens, and the deliberately bad tokens. Expected values come from openssl and
 * node:crypto verification, never from the code under test.
 */
import { execFileSync } from "node:child_process";
import { KeyObject, createPrivateKey, createPublicKey, verify } from "node:crypto";
import { badTokens, keycloakKeyId, keycloakPrivateKeyValue, realmJwks, signJwt } from "../../components/identity/jwt";

const openssl = (args: string[], input?: Buffer | string): Buffer =>
    execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 1 << 20 });

// One RSA 2048 realm key per file (openssl, as an operator would make it), plus two keys RS256 cannot use.
const signingKeyPem = openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]).toString("utf8");
const otherKeyPem = openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]).toString("utf8");
const ecKeyPem = openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]).toString("utf8");
const rsa1024Pem = openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"]).toString("utf8");

/** Keycloak's KeyUtils.createKeyId, entirely in openssl: base64url(SHA-256(SubjectPublicKeyInfo DER)), no padding. */
function opensslKeyId(privateKeyPem: string): string {
    const spki = openssl(["pkey", "-pubout", "-outform", "DER"], privateKeyPem);
    const digest = openssl(["dgst", "-sha256", "-binary"], spki);
    expect(digest).toHaveLength(32);
    return digest.toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const realmKid = opensslKeyId(signingKeyPem);
const realmPublicKey = createPublicKey(signingKeyPem);

interface Jws {
    header: Record<string, unknown>;
    claims: Record<string, unknown>;
    signingInput: string;
    signature: Buffer;
}

function decode(token: string): Jws {
    const parts = token.split(".");
    expect(parts).toHaveLength(3);
    for (const part of parts) {
        expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    const json = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
    return {
        header: json(parts[0]),
        claims: json(parts[1]),
        signingInput: `${parts[0]}.${parts[1]}`,
        signature: Buffer.from(parts[2], "base64url"),
    };
}

const verifies = (jws: Jws, key: KeyObject = realmPublicKey): boolean =>
    verify("sha256", Buffer.from(jws.signingInput), key, jws.signature);

describe("keycloakKeyId", () => {
    test("is base64url (no padding) of SHA-256 over the SubjectPublicKeyInfo DER, as openssl computes it", () => {
        expect(realmKid).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(keycloakKeyId(realmPublicKey)).toBe(realmKid);
        // The same whichever form the public key arrives in.
        const publicPem = openssl(["pkey", "-pubout"], signingKeyPem).toString("utf8");
        expect(keycloakKeyId(createPublicKey(publicPem))).toBe(realmKid);
    });

    test("differs between keys", () => {
        expect(keycloakKeyId(createPublicKey(otherKeyPem))).toBe(opensslKeyId(otherKeyPem));
        expect(opensslKeyId(otherKeyPem)).not.toBe(realmKid);
    });
});

describe("realmJwks", () => {
    test("holds exactly the realm's public key, with Keycloak's kid and no private member", () => {
        const jwks = JSON.parse(realmJwks(signingKeyPem)) as { keys: Record<string, unknown>[] };
        expect(Object.keys(jwks)).toEqual(["keys"]);
        expect(jwks.keys).toHaveLength(1);
        const publicJwk = realmPublicKey.export({ format: "jwk" });
        const key = jwks.keys[0];
        expect(key).toEqual({ kty: "RSA", alg: "RS256", use: "sig", kid: realmKid, n: publicJwk.n, e: publicJwk.e });
        for (const member of ["d", "p", "q", "dp", "dq", "qi"]) {
            expect(key).not.toHaveProperty(member);
        }
        // The JWK is usable as a verification key and is the realm's public key.
        expect(createPublicKey({ key: { kty: "RSA", n: String(key.n), e: String(key.e) }, format: "jwk" }).equals(realmPublicKey)).toBe(
            true,
        );
    });

    test.each([
        ["an EC key", ecKeyPem],
        ["an RSA 1024 key", rsa1024Pem],
        ["something that is not a key", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"],
    ])("refuses %s", (_what, pem) => {
        expect(() => realmJwks(pem)).toThrow(/^signingKey:/);
        expect(() => keycloakPrivateKeyValue(pem)).toThrow(/^signingKey:/);
        expect(() => signJwt(pem, { sub: "x" })).toThrow(/^signingKey:/);
    });

    test("the error never echoes the key", () => {
        let message = "";
        try {
            realmJwks(ecKeyPem);
        } catch (e) {
            message = (e as Error).message;
        }
        expect(message).toMatch(/^signingKey:/);
        expect(message).not.toContain("PRIVATE KEY");
        expect(message).not.toContain(ecKeyPem.split("\n")[1]);
    });
});

describe("keycloakPrivateKeyValue", () => {
    test("is one line of base64 without PEM armour, the PKCS#8 DER of the same key", () => {
        const value = keycloakPrivateKeyValue(signingKeyPem);
        expect(value).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
        expect(value).not.toContain("\n");
        expect(value).not.toContain("-----");
        const key = createPrivateKey({ key: Buffer.from(value, "base64"), format: "der", type: "pkcs8" });
        expect(key.equals(createPrivateKey(signingKeyPem))).toBe(true);
        expect(key.asymmetricKeyType).toBe("rsa");
        // openssl reads it as the same key too.
        const der = Buffer.from(value, "base64");
        expect(
            openssl(["pkey", "-inform", "DER", "-pubout", "-outform", "DER"], der).equals(
                openssl(["pkey", "-pubout", "-outform", "DER"], signingKeyPem),
            ),
        ).toBe(true);
    });
});

describe("signJwt", () => {
    const claims = {
        iss: "https://keycloak.lab:8443/realms/zta",
        sub: "subject-1",
        aud: "zta-ingress",
        iat: 1_600_000_000,
        exp: 4_000_000_000,
    };

    test("is an RS256 JWS with the realm's kid that verifies with the realm's public key", () => {
        const jws = decode(signJwt(signingKeyPem, claims));
        expect(jws.header).toEqual({ alg: "RS256", typ: "JWT", kid: realmKid });
        expect(jws.claims).toEqual(claims);
        expect(jws.signature).toHaveLength(256);
        expect(verifies(jws)).toBe(true);
        expect(verifies(jws, createPublicKey(otherKeyPem))).toBe(false);
    });

    test("is deterministic: same input, same token", () => {
        expect(signJwt(signingKeyPem, claims)).toBe(signJwt(signingKeyPem, { ...claims }));
        expect(signJwt(signingKeyPem, claims)).not.toBe(signJwt(signingKeyPem, { ...claims, sub: "subject-2" }));
    });
});

describe("badTokens", () => {
    const input = {
        signingKeyPem,
        issuer: "https://keycloak.keycloak.svc.cluster.local:8443/realms/zta",
        audience: "zta-ingress",
        subject: "3f0b6c1e-1111-4222-8333-444455556666",
    };
    const tokens = badTokens(input);
    const now = Date.now() / 1000;
    const expired = decode(tokens.expired);
    const forged = decode(tokens.forged);
    const wrongAudience = decode(tokens.wrongAudience);

    test("every token has the realm's header and issuer", () => {
        for (const jws of [expired, forged, wrongAudience]) {
            expect(jws.header).toEqual({ alg: "RS256", typ: "JWT", kid: realmKid });
            expect(jws.claims.iss).toBe(input.issuer);
        }
    });

    test("expired: signed by the realm key, expired, with fixed timestamps", () => {
        expect(verifies(expired)).toBe(true);
        expect(expired.claims.aud).toBe(input.audience);
        expect(expired.claims.sub).toBe(input.subject);
        expect(typeof expired.claims.exp).toBe("number");
        expect(typeof expired.claims.iat).toBe("number");
        expect(expired.claims.exp as number).toBeLessThan(now);
        expect(expired.claims.iat as number).toBeLessThan(expired.claims.exp as number);
        expect(badTokens(input).expired).toBe(tokens.expired);
        expect(badTokens({ ...input }).expired).toBe(tokens.expired);
    });

    test("forged: the valid header and signature of another payload, which differs only in sub", () => {
        expect(verifies(forged)).toBe(false);
        expect(forged.claims.sub).not.toBe(input.subject);
        expect(forged.claims.aud).toBe(input.audience);
        expect(forged.claims.exp as number).toBeGreaterThan(now);
        // Restoring the real subject gives a payload the realm key did sign: the signature is that token's.
        const original = { ...forged.claims, sub: input.subject };
        const [header] = tokens.forged.split(".");
        const originalInput = `${header}.${Buffer.from(JSON.stringify(original)).toString("base64url")}`;
        expect(verify("sha256", Buffer.from(originalInput), realmPublicKey, forged.signature)).toBe(true);
        // ...and that token is one the realm would issue (deterministic RS256).
        expect(signJwt(signingKeyPem, original)).toBe(`${originalInput}.${forged.signature.toString("base64url")}`);
        expect(badTokens(input).forged).toBe(tokens.forged);
    });

    test("wrongAudience: signed by the realm key, valid, for another audience", () => {
        expect(verifies(wrongAudience)).toBe(true);
        expect(wrongAudience.claims.aud).not.toBe(input.audience);
        expect([wrongAudience.claims.aud].flat()).not.toContain(input.audience);
        expect(wrongAudience.claims.sub).toBe(input.subject);
        expect(wrongAudience.claims.exp as number).toBeGreaterThan(now);
        expect(badTokens(input).wrongAudience).toBe(tokens.wrongAudience);
    });

    test("the three tokens are distinct and carry no private key material", () => {
        expect(new Set([tokens.expired, tokens.forged, tokens.wrongAudience]).size).toBe(3);
        for (const jws of [expired, forged, wrongAudience]) {
            expect(JSON.stringify(jws.claims)).not.toMatch(/PRIVATE KEY/);
        }
    });
});
