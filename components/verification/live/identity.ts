/**
 * Identity checks against a running Keycloak (the sim's real one; a live cluster's through a port-forward), with
 * everything they compare against read back from the cluster the program deployed to: the ingress's
 * RequestAuthentication (issuer, audiences, the exact inline JWKS bytes) and ALLOW policy, the realm file Keycloak
 * imported, its Secrets (client secret, observer password, bootstrap admin) and the verification layer's bad tokens.
 *
 * What each shows: Keycloak serves OIDC discovery over HTTPS with the certificate chain we issued, as the issuer the
 * mesh expects; its client-credentials token verifies against the mesh's JWKS (the key Pulumi made, imported) with
 * the configured audience and lifetime; what must be refused is (password grant, a wrong secret, a public client
 * without PKCE, the observer outside the authorization-code flow, repeated wrong passwords); and the bad tokens fail
 * the same check the real token passes.
 */
import { createHash, randomBytes } from "node:crypto";
import * as https from "node:https";
import { Kube, objectPath } from "./kube";
import { JwtRuleView, decodeJwt, jwtVerdict } from "./jwtVerdict";
import { adminSecretKeys, clientSecretKeys, keycloakObjectNames } from "../../identity/keycloakKube";
import { realmFileName } from "../../identity/keycloak";
import { ingressSecretKeys, verifyNamespace } from "../checks";

export const identityCheckIds = [
    "oidc-discovery",
    "keycloak-serves-mesh-key",
    "client-credentials-token",
    "bad-tokens-refused",
    "password-grant-refused",
    "wrong-secret-refused",
    "ui-client-requires-pkce",
    "observer-code-flow-only",
    "ui-sign-in-requires-role",
    "brute-force-protection",
] as const;
export type IdentityCheckId = (typeof identityCheckIds)[number];

export interface IdentityCheckResult {
    readonly id: IdentityCheckId;
    readonly ok: boolean;
    readonly detail: string;
}

/** Where Keycloak answers (sim: its pod IP; live: a port-forward). TLS is verified as its public name. */
export interface KeycloakEndpoint {
    readonly host: string;
    readonly port: number;
}

type Json = Record<string, any>;

/** What the checks compare against, as the cluster holds it. */
export interface IdentityFacts {
    readonly rule: JwtRuleView;
    /** The ALLOW's requestPrincipals at the ingress. */
    readonly requestPrincipals: readonly string[];
    readonly caPem: string;
    /** Keycloak's public name and port, from the issuer. */
    readonly publicHost: string;
    readonly publicPort: number;
    readonly realm: string;
    readonly clientId: string;
    readonly clientSecret: string;
    readonly accessTokenLifespan: number;
    /** The UI client (Kiali); `signInRole`: the realm role its browser flow requires (none: anyone signs in). */
    readonly ui?: { readonly clientId: string; readonly redirectUri: string; readonly pkce: boolean; readonly signInRole?: string };
    readonly observer?: { readonly username: string; readonly password: string };
    readonly admin: { readonly username: string; readonly password: string };
    readonly badTokens: { readonly expired: string; readonly forged: string; readonly wrongAudience: string };
    readonly bruteForce: { readonly failureFactor: number };
}

const secretData = async (kube: Kube, name: string, namespace: string): Promise<Record<string, string>> => {
    const s = await kube.getOk<{ data?: Record<string, string> }>(objectPath("v1", "Secret", name, namespace));
    return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
};
const bearer = (header: string) => header.replace(/^Authorization: Bearer /, "").trim();

/** Reads the facts from the cluster where Keycloak and the ingress run. */
export async function identityFacts(
    kube: Kube,
    where: { readonly keycloakNamespace: string; readonly ingressNamespace: string },
): Promise<IdentityFacts> {
    const ra = await kube.getOk<Json>(objectPath("security.istio.io/v1", "RequestAuthentication", "ingress-jwt", where.ingressNamespace));
    const allow = await kube.getOk<Json>(
        objectPath("security.istio.io/v1", "AuthorizationPolicy", "ingress-require-jwt", where.ingressNamespace),
    );
    const rule = (ra.spec.jwtRules as Json[])[0];
    const realmCm = await kube.getOk<Json>(objectPath("v1", "ConfigMap", keycloakObjectNames.realm, where.keycloakNamespace));
    const realm = JSON.parse(realmCm.data[realmFileName] as string) as Json;
    const secrets = await secretData(kube, keycloakObjectNames.realmSecrets, where.keycloakNamespace);
    const admin = await secretData(kube, keycloakObjectNames.admin, where.keycloakNamespace);
    const verify = await secretData(kube, "verify-ingress-jwt", verifyNamespace);
    const clients = realm.clients as Json[];
    const confidential = clients.find((c) => c.publicClient === false)!;
    const ui = clients.find((c) => c.publicClient === true);
    const observer = (realm.users as Json[]).find((u) => !String(u.username).startsWith("service-account-"));
    const issuer = new URL(rule.issuer as string);
    return {
        rule: { issuer: rule.issuer as string, audiences: rule.audiences as string[], jwks: rule.jwks as string },
        requestPrincipals: ((allow.spec.rules as Json[]) ?? []).flatMap((r) =>
            ((r.from as Json[] | undefined) ?? []).flatMap((f) => (f.source?.requestPrincipals as string[] | undefined) ?? []),
        ),
        caPem: verify[ingressSecretKeys.ca],
        publicHost: issuer.hostname,
        publicPort: Number(issuer.port || 443),
        realm: realm.realm as string,
        clientId: confidential.clientId as string,
        clientSecret: secrets[clientSecretKeys.clientSecret],
        accessTokenLifespan: realm.accessTokenLifespan as number,
        ui: ui && {
            clientId: ui.clientId as string,
            redirectUri: (ui.redirectUris as string[])[0],
            pkce: (ui.attributes as Json | undefined)?.["pkce.code.challenge.method"] === "S256",
            // the role a "Condition - user role" (negated, then Deny access) requires; read from the realm as imported
            signInRole: ((realm.authenticatorConfig as Json[] | undefined) ?? []).find((c) => c.config?.negate === "true")?.config
                ?.condUserRole as string | undefined,
        },
        observer: observer && { username: observer.username as string, password: secrets[clientSecretKeys.testUserPassword] },
        admin: { username: admin[adminSecretKeys.username], password: admin[adminSecretKeys.password] },
        badTokens: {
            expired: bearer(verify[ingressSecretKeys.expired]),
            forged: bearer(verify[ingressSecretKeys.forged]),
            wrongAudience: bearer(verify[ingressSecretKeys.wrongAudience]),
        },
        bruteForce: { failureFactor: realm.failureFactor as number },
    };
}

interface Answer {
    readonly status: number;
    readonly headers: Record<string, string | string[] | undefined>;
    readonly body: string;
}

/** HTTPS to Keycloak as its public name (SNI, Host, certificate checked against our CA); a small cookie jar. */
class KeycloakHttp {
    readonly cookies = new Map<string, string>();
    constructor(
        readonly endpoint: KeycloakEndpoint,
        readonly facts: IdentityFacts,
    ) {}

    request(
        method: "GET" | "POST" | "DELETE",
        target: string,
        opts: { form?: Record<string, string>; json?: unknown; headers?: Record<string, string> } = {},
    ) {
        const url = new URL(target, `https://${this.facts.publicHost}:${this.facts.publicPort}`);
        const body = opts.form
            ? new URLSearchParams(opts.form).toString()
            : opts.json !== undefined
              ? JSON.stringify(opts.json)
              : undefined;
        const headers: Record<string, string> = {
            host: `${url.hostname}:${url.port || 443}`,
            ...(body
                ? {
                      "content-type": opts.form ? "application/x-www-form-urlencoded" : "application/json",
                      "content-length": String(Buffer.byteLength(body)),
                  }
                : {}),
            ...(this.cookies.size > 0 ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") } : {}),
            ...opts.headers,
        };
        return new Promise<Answer>((resolve, reject) => {
            const req = https.request(
                {
                    host: this.endpoint.host,
                    port: this.endpoint.port,
                    method,
                    path: `${url.pathname}${url.search}`,
                    headers,
                    ca: this.facts.caPem,
                    servername: this.facts.publicHost,
                    timeout: 15_000,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        for (const c of res.headers["set-cookie"] ?? []) {
                            const [pair] = c.split(";");
                            const i = pair.indexOf("=");
                            this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
                        }
                        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
                    });
                    res.on("error", reject);
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: no answer in 15 s`)));
            req.on("error", reject);
            req.end(body);
        });
    }
}

const realmPath = (f: IdentityFacts) => `/realms/${f.realm}`;
const tokenPath = (f: IdentityFacts) => `${realmPath(f)}/protocol/openid-connect/token`;
const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;
const errorOf = (a: Answer): string => {
    try {
        return String((JSON.parse(a.body) as Json).error);
    } catch {
        return `HTTP ${a.status}`;
    }
};

/** PKCE (RFC 7636, S256). */
function pkcePair(): { verifier: string; challenge: string } {
    const verifier = randomBytes(32).toString("base64url");
    return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** The login page of an authorization request: the form's action (HTML-unescaped). */
function loginAction(html: string): string | undefined {
    const m =
        /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html) ?? /action="([^"]*login-actions\/authenticate[^"]*)"/.exec(html);
    return m?.[1].replace(/&amp;/g, "&");
}

async function authorize(kc: KeycloakHttp, f: IdentityFacts, pkce?: { challenge: string }): Promise<Answer> {
    const ui = f.ui!;
    const q = new URLSearchParams({
        client_id: ui.clientId,
        redirect_uri: ui.redirectUri,
        response_type: "code",
        scope: "openid",
        state: randomBytes(8).toString("hex"),
        ...(pkce ? { code_challenge: pkce.challenge, code_challenge_method: "S256" } : {}),
    });
    return kc.request("GET", `${realmPath(f)}/protocol/openid-connect/auth?${q.toString()}`);
}

/** Logs in through the form; the redirect's `code`, or undefined when the form came back (refused). */
async function formLogin(kc: KeycloakHttp, f: IdentityFacts, password: string, pkce: { challenge: string }): Promise<string | undefined> {
    const page = await authorize(kc, f, pkce);
    const action = loginAction(page.body);
    if (page.status !== 200 || !action) {
        throw new Error(`the authorization request gave HTTP ${page.status} without a login form`);
    }
    const r = await kc.request("POST", action, { form: { username: f.observer!.username, password, credentialId: "" } });
    const location = String(r.headers.location ?? "");
    return r.status === 302 && location.startsWith(f.ui!.redirectUri)
        ? (new URL(location).searchParams.get("code") ?? undefined)
        : undefined;
}

async function adminToken(kc: KeycloakHttp, f: IdentityFacts): Promise<string> {
    const r = await kc.request("POST", "/realms/master/protocol/openid-connect/token", {
        form: { grant_type: "password", client_id: "admin-cli", username: f.admin.username, password: f.admin.password },
    });
    if (r.status !== 200) {
        throw new Error(`the bootstrap admin's token: HTTP ${r.status} ${errorOf(r)}`);
    }
    return (JSON.parse(r.body) as Json).access_token as string;
}

/** Runs every identity check; a check that throws fails with the error as its detail. */
export async function identityChecks(endpoint: KeycloakEndpoint, f: IdentityFacts): Promise<IdentityCheckResult[]> {
    const kc = new KeycloakHttp(endpoint, f);
    const results: IdentityCheckResult[] = [];
    const check = async (id: IdentityCheckId, fn: () => Promise<string> | string) => {
        try {
            results.push({ id, ok: true, detail: await fn() });
        } catch (e) {
            results.push({ id, ok: false, detail: e instanceof Error ? e.message : String(e) });
        }
    };
    const fail = (msg: string): never => {
        throw new Error(msg);
    };
    let discovery: Json = {};
    let token = "";

    await check("oidc-discovery", async () => {
        const r = await kc.request("GET", `${realmPath(f)}/.well-known/openid-configuration`);
        if (r.status !== 200) fail(`HTTP ${r.status}`);
        discovery = JSON.parse(r.body) as Json;
        if (discovery.issuer !== f.rule.issuer) fail(`issuer ${String(discovery.issuer)}, the mesh expects ${f.rule.issuer}`);
        for (const k of ["token_endpoint", "jwks_uri", "authorization_endpoint"]) {
            if (!String(discovery[k]).startsWith(`${f.rule.issuer}/`)) fail(`${k} ${String(discovery[k])} is not under the issuer`);
        }
        return `issuer ${String(discovery.issuer)} over TLS verified against the identity CA as ${f.publicHost}`;
    });

    await check("keycloak-serves-mesh-key", async () => {
        const r = await kc.request("GET", String(discovery.jwks_uri ?? `${f.rule.issuer}/protocol/openid-connect/certs`));
        const served = ((JSON.parse(r.body) as Json).keys as Json[]).filter((k) => k.use === "sig" && k.kty === "RSA");
        const mesh = (JSON.parse(f.rule.jwks) as Json).keys as Json[];
        for (const k of mesh) {
            if (!served.some((s) => s.kid === k.kid && s.n === k.n && s.e === k.e))
                fail(`the mesh's key ${String(k.kid)} is not among Keycloak's`);
        }
        return `Keycloak signs with the mesh's key ${mesh.map((k) => String(k.kid)).join(", ")} (of ${served.length} RSA keys it serves)`;
    });

    await check("client-credentials-token", async () => {
        const r = await kc.request("POST", tokenPath(f), {
            form: { grant_type: "client_credentials" },
            headers: { authorization: basic(f.clientId, f.clientSecret) },
        });
        if (r.status !== 200) fail(`HTTP ${r.status} ${errorOf(r)}`);
        token = (JSON.parse(r.body) as Json).access_token as string;
        const v = jwtVerdict(token, f.rule);
        if (!v.ok) fail(`the mesh's JWKS/claims check refuses it: ${v.reasons.join("; ")}`);
        const { claims, header } = v;
        const lifetime = Number(claims.exp) - Number(claims.iat);
        if (lifetime !== f.accessTokenLifespan) fail(`exp - iat = ${lifetime} s, the realm says ${f.accessTokenLifespan} s`);
        const principal = `${String(claims.iss)}/${String(claims.sub)}`;
        const admitted = f.requestPrincipals.some((p) => (p.endsWith("/*") ? principal.startsWith(p.slice(0, -1)) : p === principal));
        if (!admitted) fail(`request principal ${principal} is not admitted by the ingress's ALLOW (${f.requestPrincipals.join(", ")})`);
        return `kid ${String(header.kid)}, iss ${String(claims.iss)}, aud ${JSON.stringify(claims.aud)}, lifetime ${lifetime} s, azp ${String(claims.azp)}: verifies against the RequestAuthentication's inline JWKS; principal ${principal} admitted`;
    });

    await check("bad-tokens-refused", () => {
        if (!token || !jwtVerdict(token, f.rule).ok) fail("no valid token to compare with");
        const expect: Record<keyof IdentityFacts["badTokens"], RegExp> = {
            expired: /^expired at /,
            forged: /^signature does not verify/,
            wrongAudience: /^aud /,
        };
        const lines = (Object.keys(expect) as (keyof IdentityFacts["badTokens"])[]).map((k) => {
            const v = jwtVerdict(f.badTokens[k], f.rule);
            if (v.ok || v.reasons.length !== 1 || !expect[k].test(v.reasons[0])) {
                fail(`${k}: expected exactly one reason ${String(expect[k])}, got ${v.ok ? "accepted" : v.reasons.join("; ")}`);
            }
            return `${k}: ${v.reasons[0]}`;
        });
        return `the real token passes; ${lines.join("; ")}`;
    });

    await check("password-grant-refused", async () => {
        const r = await kc.request("POST", tokenPath(f), {
            form: { grant_type: "password", username: f.observer?.username ?? "nobody", password: f.observer?.password ?? "x" },
            headers: { authorization: basic(f.clientId, f.clientSecret) },
        });
        if (r.status === 200) fail("the ingress client got a token by password");
        return `HTTP ${r.status} ${errorOf(r)}`;
    });

    await check("wrong-secret-refused", async () => {
        const r = await kc.request("POST", tokenPath(f), {
            form: { grant_type: "client_credentials" },
            headers: { authorization: basic(f.clientId, `${f.clientSecret.slice(0, -4)}XXXX`) },
        });
        // Keycloak answers 401 with `unauthorized_client` where RFC 6749 names `invalid_client`; what counts is the 401 and no token
        const body = (() => {
            try {
                return JSON.parse(r.body) as Json;
            } catch {
                return {};
            }
        })();
        if (r.status !== 401 || body.access_token !== undefined) fail(`HTTP ${r.status} ${errorOf(r)}, expected 401 without a token`);
        return `HTTP ${r.status} ${String(body.error)} (${String(body.error_description)})`;
    });

    await check("ui-client-requires-pkce", async () => {
        if (!f.ui) {
            return "no UI client in this realm";
        }
        const r = await authorize(new KeycloakHttp(endpoint, f), f);
        const location = String(r.headers.location ?? "");
        if (!f.ui.pkce) {
            return `this profile's Kiali sends no PKCE, so the realm does not require it (HTTP ${r.status})`;
        }
        const error = location ? new URL(location).searchParams.get("error") : null;
        if (r.status !== 302 || error !== "invalid_request")
            fail(`without code_challenge: HTTP ${r.status} ${location || "(no redirect)"}`);
        return `without code_challenge: redirected with error=${error} (${new URL(location).searchParams.get("error_description") ?? ""})`;
    });

    await check("observer-code-flow-only", async () => {
        if (!f.ui || !f.observer) return "no observer in this realm";
        const direct = await kc.request("POST", tokenPath(f), {
            form: { grant_type: "password", client_id: f.ui.clientId, username: f.observer.username, password: f.observer.password },
        });
        if (direct.status === 200) fail("the observer got a token by password grant");
        const pkce = pkcePair();
        const code = await formLogin(new KeycloakHttp(endpoint, f), f, f.observer.password, pkce);
        if (!code) fail("the observer's login through the form did not redirect with a code");
        const r = await kc.request("POST", tokenPath(f), {
            form: {
                grant_type: "authorization_code",
                client_id: f.ui.clientId,
                code: code!,
                redirect_uri: f.ui.redirectUri,
                code_verifier: pkce.verifier,
            },
        });
        if (r.status !== 200) fail(`code exchange: HTTP ${r.status} ${errorOf(r)}`);
        const t = (JSON.parse(r.body) as Json).access_token as string;
        const claims = decodeJwt(t).claims;
        if (claims.preferred_username !== f.observer.username) fail(`token of ${String(claims.preferred_username)}`);
        const atIngress = jwtVerdict(t, f.rule);
        if (atIngress.ok) fail("the observer's token would pass the ingress");
        return `password grant: HTTP ${direct.status} ${errorOf(direct)}; authorization code + PKCE: a token for ${String(claims.preferred_username)}, which the ingress refuses (${atIngress.reasons.join("; ")})`;
    });

    await check("ui-sign-in-requires-role", async () => {
        if (!f.ui || !f.observer) return "no UI client or observer in this realm";
        const role = f.ui.signInRole;
        if (!role) fail(`every user of the realm signs in to ${f.ui.clientId} (no role condition in its browser flow)`);
        const auth = { authorization: `Bearer ${await adminToken(kc, f)}` };
        const users = await kc.request(
            "GET",
            `/admin/realms/${f.realm}/users?exact=true&username=${encodeURIComponent(f.observer.username)}`,
            {
                headers: auth,
            },
        );
        const id = ((JSON.parse(users.body) as Json[])[0] ?? {}).id as string;
        const mappings = `/admin/realms/${f.realm}/users/${id}/role-mappings/realm`;
        const roleRep = JSON.parse(
            (await kc.request("GET", `/admin/realms/${f.realm}/roles/${encodeURIComponent(role!)}`, { headers: auth })).body,
        ) as Json;
        const signIn = async () => (await formLogin(new KeycloakHttp(endpoint, f), f, f.observer!.password, pkcePair())) !== undefined;
        if (!(await signIn())) fail(`${f.observer.username}, who holds ${role!}, could not sign in`);
        const removed = await kc.request("DELETE", mappings, { headers: auth, json: [roleRep] });
        if (removed.status !== 204) fail(`removing ${role!}: HTTP ${removed.status}`);
        let without: boolean;
        try {
            without = await signIn();
        } finally {
            // put the observer back as it was, whatever happened
            await kc.request("POST", mappings, { headers: auth, json: [roleRep] });
            await kc.request("DELETE", `/admin/realms/${f.realm}/attack-detection/brute-force/users/${id}`, { headers: auth });
        }
        if (without) fail(`${f.observer.username} signed in to ${f.ui.clientId} with the right password but without ${role!}`);
        if (!(await signIn())) fail(`${f.observer.username} could not sign in again once ${role!} was given back`);
        return `${f.observer.username} with ${role!}: a code; the same password without ${role!}: refused (Deny access); with the role given back: a code again`;
    });

    await check("brute-force-protection", async () => {
        if (!f.ui || !f.observer) return "no user to lock out in this realm";
        const attacker = new KeycloakHttp(endpoint, f);
        for (let i = 0; i < f.bruteForce.failureFactor; i++) {
            if (await formLogin(attacker, f, `wrong-${i}-${randomBytes(4).toString("hex")}`, pkcePair()))
                fail(`wrong password ${i + 1} let in`);
        }
        const locked = await formLogin(attacker, f, f.observer.password, pkcePair());
        const admin = await adminToken(kc, f);
        const auth = { authorization: `Bearer ${admin}` };
        const users = await kc.request(
            "GET",
            `/admin/realms/${f.realm}/users?exact=true&username=${encodeURIComponent(f.observer.username)}`,
            {
                headers: auth,
            },
        );
        const id = ((JSON.parse(users.body) as Json[])[0] ?? {}).id as string;
        const status = await kc.request("GET", `/admin/realms/${f.realm}/attack-detection/brute-force/users/${id}`, { headers: auth });
        const s = JSON.parse(status.body) as Json;
        // put the observer back as it was (the lockout would otherwise last its wait)
        await kc.request("DELETE", `/admin/realms/${f.realm}/attack-detection/brute-force/users/${id}`, { headers: auth });
        if (locked) fail("the right password let in right after the wrong ones");
        if (s.disabled !== true) fail(`Keycloak's attack detection: ${status.body}`);
        return `${f.bruteForce.failureFactor} wrong passwords, then the right one refused; attack detection: disabled ${String(s.disabled)}, ${String(s.numFailures)} failures (lockout cleared afterwards)`;
    });

    return results;
}
