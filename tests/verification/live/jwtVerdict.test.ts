/** The check Istio's JWT filter makes, as the sim's identity checks make it (components/verification/live/jwtVerdict.ts). */
import { generateKeyPairSync } from "node:crypto";
import { badTokens, realmJwks, signJwt } from "../../../components/identity/jwt";
import { decodeJwt, jwtVerdict } from "../../../components/verification/live/jwtVerdict";

const pem = (k: ReturnType<typeof generateKeyPairSync>["privateKey"]) => k.export({ type: "pkcs8", format: "pem" }).toString();
const key = pem(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
const other = pem(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
const issuer = "https://keycloak.keycloak.svc.cluster.local:8443/realms/zta";
const rule = { issuer, audiences: ["zta-ingress"], jwks: realmJwks(key) };
const now = Math.floor(Date.now() / 1000);
const claims = { iss: issuer, sub: "s-1", aud: "zta-ingress", iat: now, exp: now + 300 };

describe("jwtVerdict", () => {
    test("a token of the realm's key, issuer, audience, in its lifetime: accepted", () => {
        expect(jwtVerdict(signJwt(key, claims), rule)).toMatchObject({ ok: true, reasons: [] });
        // aud as a list naming the audience among others, as Keycloak writes it with several
        expect(jwtVerdict(signJwt(key, { ...claims, aud: ["account", "zta-ingress"] }), rule).ok).toBe(true);
    });

    test("the verification layer's bad tokens each fail for exactly their one reason", () => {
        const bad = badTokens({ signingKeyPem: key, issuer, audience: "zta-ingress", subject: "s-1" });
        const reasons = (t: string) => jwtVerdict(t, rule).reasons;
        expect(reasons(bad.expired)).toEqual([expect.stringMatching(/^expired at 2020-01-01T00:05:00/)]);
        expect(reasons(bad.forged)).toEqual(["signature does not verify with the JWKS key"]);
        expect(reasons(bad.wrongAudience)).toEqual(['aud "zta-ingress-other" names none of zta-ingress']);
    });

    test("another key (its kid is not in the JWKS), another issuer, not yet valid, another algorithm, garbage", () => {
        expect(jwtVerdict(signJwt(other, claims), rule).reasons).toEqual([expect.stringMatching(/^kid .* is not in the JWKS/)]);
        expect(jwtVerdict(signJwt(key, { ...claims, iss: "https://evil.example/realms/zta" }), rule).reasons).toEqual([
            `iss https://evil.example/realms/zta, expected ${issuer}`,
        ]);
        expect(jwtVerdict(signJwt(key, { ...claims, nbf: now + 3600 }), rule).reasons).toEqual([
            expect.stringMatching(/^not valid before /),
        ]);
        const [, payload, signature] = signJwt(key, claims).split(".");
        const none = `${Buffer.from(JSON.stringify({ alg: "none", kid: decodeJwt(signJwt(key, claims)).header.kid })).toString("base64url")}.${payload}.${signature}`;
        expect(jwtVerdict(none, rule).ok).toBe(false);
        expect(jwtVerdict(none, rule).reasons[0]).toBe("alg none, expected RS256");
        expect(jwtVerdict("a.b", rule)).toMatchObject({ ok: false, reasons: ["malformed: a JWT has 3 segments, this has 2"] });
    });
});
