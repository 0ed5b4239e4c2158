/**
 * The Keycloak realm as code: the JSON file Keycloak imports at start (`kc.sh start --import-realm`, from
 * /opt/keycloak/data/import). Pure: no Pulumi resources.
 *
 * The client secret is NOT in the file. The file holds the placeholder `${ZTA_CLIENT_SECRET}` and Keycloak resolves
 * it from its own environment while importing: for the import at start, ExportImportManager turns placeholder
 * replacement on and AbstractFileBasedImportProvider replaces `${VAR}` with System.getenv(VAR) (server guide,
 * "Using Environment Variables within the Realm Configuration Files"). `kc.sh import` does not, so only the import
 * at start is used. Two consequences the renderers guard against:
 * - an UNSET variable is left as the literal text `${ZTA_CLIENT_SECRET}`, a publicly known secret: the host script
 *   always writes the variable and then proves the secret works (a client-credentials grant answers 200); in the
 *   cluster the variable comes from a non-optional secretKeyRef, so the pod does not start without it;
 * - the replacement is textual, before JSON parsing: secrets are limited to [A-Za-z0-9_-] so they cannot break out
 *   of their JSON string.
 * The realm is imported only when it does not exist yet: both deployments start from an empty database whenever
 * the configuration changes (see keycloakHost.ts, keycloakKube.ts), so this file stays the single source of truth.
 */
import { createHash } from "node:crypto";
import { checkHttpsBase } from "./inputs";
import { isDnsLabel } from "../core/net";
import { show } from "../core/validate";

/** Environment variable Keycloak reads the client secret from at import. */
export const clientSecretEnv = "ZTA_CLIENT_SECRET";
/**
 * Environment variable Keycloak reads the realm's RSA signing key from at import: base64 of its PKCS#8 DER on one
 * line (jwt.ts keycloakPrivateKeyValue), which the `rsa` key provider accepts without PEM armour.
 */
export const realmSigningKeyEnv = "ZTA_REALM_SIGNING_KEY";
/** Name of the imported key provider; its priority outranks the realm's generated keys, so it signs every token. */
export const realmKeyProviderName = "zta-rs256";
export const realmKeyPriority = 1000;
/** Environment variable Keycloak reads the test user's password from at import (only with `testUser`). */
export const testUserPasswordEnv = "ZTA_TEST_USER_PASSWORD";
/** Characters allowed in secrets that are substituted into the realm file (see above). */
export const placeholderSafeSecret = /^[A-Za-z0-9_-]+$/;

export interface RealmImportInput {
    /** Realm name: lower-case letters, digits and "-"; not "master". */
    readonly realm: string;
    /** `https://host[:port]` Keycloak is reached at (its --hostname); the issuer is `${base}/realms/${realm}`. */
    readonly issuerUrlBase: string;
    /** Value of the access token's `aud` claim, matched by Istio's RequestAuthentication `audiences`. */
    readonly audience: string;
    /** The one confidential client (client-credentials grant only). */
    readonly clientId: string;
    /** Access token lifetime, 60-900 s: short-lived, since nothing revokes a JWT before it expires. */
    readonly accessTokenLifespanSeconds: number;
    /**
     * An optional person to log in with: the observer who signs in to Kiali (through `uiClient`). Tokens it gets
     * carry no `audience` for the ingress, so RequestAuthentication refuses them there.
     */
    readonly testUser?: { readonly username: string };
    /**
     * A public OpenID client for a UI (Kiali): authorization-code flow only, redirects only to the given URIs (a
     * local port-forward), no audience mapper. Public: Kiali 2.0 sends no client secret; PKCE when the UI sends it.
     */
    readonly uiClient?: {
        readonly clientId: string;
        readonly redirectUris: readonly string[];
        readonly requirePkce: boolean;
        /**
         * The realm role a user must hold to sign in through this client (the test user gets it). Kiali runs with
         * `disable_rbac` (its own service accounts read the clusters), so who signs in is all the authorization it has.
         */
        readonly signInRole: string;
    };
}

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

export interface RealmImport {
    readonly realm: string;
    readonly issuerUrlBase: string;
    /** `iss` of every token of the realm: what RequestAuthentication's `issuer` must equal. */
    readonly issuer: string;
    readonly clientId: string;
    readonly audience: string;
    /**
     * `sub` of the client's access tokens: the id of its service-account user, pinned in the file so it survives
     * re-imports. Istio's requestPrincipal for the client is `${issuer}/${serviceAccountSubject}`.
     */
    readonly serviceAccountSubject: string;
    /** Environment variables Keycloak must have when it imports the file (their values are secrets). */
    readonly secretEnv: readonly string[];
    /** The realm representation (RealmRepresentation). */
    readonly representation: JsonObject;
    /** `representation` as the file's text. */
    readonly json: string;
}

const usernamePattern = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
/** No "$", "{", "}", quotes or backslashes: the audience goes into the file that placeholders are resolved in. */
const audiencePattern = /^[A-Za-z0-9._:/-]{1,255}$/;
/** Fixed namespace of the service-account ids (UUID version 5, RFC 9562). */
const subjectNamespace = "5b0e3c1d-6f7a-4c2e-9d8b-2a1f0e7c3b94";

function checkRealmName(realm: string): void {
    if (!isDnsLabel(realm)) {
        throw new Error(`realm: expected 1-63 characters of [a-z0-9-] starting and ending with a letter or digit, got ${show(realm)}`);
    }
    if (realm === "master") {
        throw new Error('realm: "master" is Keycloak\'s administration realm and cannot be imported; choose another name');
    }
}

/** The issuer of `realm`'s tokens: `${base}/realms/${realm}`; `base` must be a canonical https URL. */
export function issuerUrl(base: string, realm: string): string {
    checkHttpsBase("issuerUrlBase", base);
    checkRealmName(realm);
    return `${base}/realms/${realm}`;
}

/** A name-based UUID (version 5): the same realm and client always give the same service-account id. */
export function serviceAccountUserId(realm: string, clientId: string): string {
    return nameBasedId(realm, clientId);
}

function nameBasedId(realm: string, name: string): string {
    const namespace = Buffer.from(subjectNamespace.replace(/-/g, ""), "hex");
    const hash = createHash("sha1").update(namespace).update(`${realm}/${name}`, "utf8").digest();
    const bytes = Buffer.from(hash.subarray(0, 16));
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = bytes.toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function placeholder(env: string): string {
    return `\${${env}}`;
}

/** Flow aliases of the realm file. */
export const realmFlows = {
    /** Bound as the realm's browser, direct-grant and registration flow: nobody signs in outside the UI client. */
    deny: "zta-deny-all",
    uiBrowser: (clientId: string) => `${clientId}-browser`,
    uiSignIn: (clientId: string) => `${clientId}-sign-in`,
    uiRequireRole: (clientId: string) => `${clientId}-require-role`,
} as const;

type Requirement = "REQUIRED" | "ALTERNATIVE" | "CONDITIONAL";

function execution(priority: number, requirement: Requirement, step: { authenticator: string; config?: string } | { flow: string }) {
    return {
        ...("flow" in step
            ? { authenticatorFlow: true, flowAlias: step.flow }
            : {
                  authenticator: step.authenticator,
                  authenticatorFlow: false,
                  ...(step.config ? { authenticatorConfig: step.config } : {}),
              }),
        requirement,
        priority,
        userSetupAllowed: false,
    } satisfies JsonObject;
}

function flow(alias: string, description: string, topLevel: boolean, executions: JsonObject[], id?: string): JsonObject {
    return {
        ...(id ? { id } : {}),
        alias,
        description,
        providerId: "basic-flow",
        topLevel,
        builtIn: false,
        authenticationExecutions: executions,
    };
}

/**
 * Who may sign in, as realm-import JSON (Keycloak 26). A realm file with `authenticationFlows` gets none of Keycloak's
 * default browser, direct-grant and registration flows (DefaultExportImportManager.importAuthenticationFlows), so the
 * file binds all three to `deny` (Deny access): the account console and password grants (admin-cli allows them)
 * refuse everyone. The UI client overrides its browser flow (authenticationFlowBindingOverrides, by the flow's id in
 * this file, which the import maps to the new id) with: sign in (SSO cookie or username/password form), then a
 * conditional sub-flow — "Condition - user role" on `signInRole`, negated, then "Deny access" — so a user without
 * the role is refused at Keycloak and Kiali never gets a code for them. The client-credentials client authenticates
 * through Keycloak's `clients` flow, which the import still creates.
 */
function signInFlows(realm: string, ui: NonNullable<RealmImportInput["uiClient"]> | undefined) {
    const deny = flow(realmFlows.deny, "Refuses every sign-in", true, [
        execution(10, "REQUIRED", { authenticator: "deny-access-authenticator" }),
    ]);
    if (ui === undefined) {
        return { flows: [deny], configs: [] as JsonObject[], uiBrowserId: undefined };
    }
    const c = ui.clientId;
    const withoutRole = `${c}-without-${ui.signInRole}`;
    const uiBrowserId = nameBasedId(realm, `flow/${realmFlows.uiBrowser(c)}`);
    return {
        uiBrowserId,
        flows: [
            deny,
            flow(
                realmFlows.uiBrowser(c),
                `Browser sign-in to ${c}: only users with the realm role ${ui.signInRole}`,
                true,
                [
                    execution(10, "REQUIRED", { flow: realmFlows.uiSignIn(c) }),
                    execution(20, "CONDITIONAL", { flow: realmFlows.uiRequireRole(c) }),
                ],
                uiBrowserId,
            ),
            flow(realmFlows.uiSignIn(c), "SSO cookie or username and password", false, [
                execution(10, "ALTERNATIVE", { authenticator: "auth-cookie" }),
                execution(20, "ALTERNATIVE", { authenticator: "auth-username-password-form" }),
            ]),
            flow(realmFlows.uiRequireRole(c), `Deny a signed-in user without ${ui.signInRole}`, false, [
                execution(10, "REQUIRED", { authenticator: "conditional-user-role", config: withoutRole }),
                execution(20, "REQUIRED", { authenticator: "deny-access-authenticator" }),
            ]),
        ],
        // ConditionalRoleAuthenticatorFactory: condUserRole (a realm role by name), negate.
        configs: [{ alias: withoutRole, config: { condUserRole: ui.signInRole, negate: "true" } }] as JsonObject[],
    };
}

/** The realm file and what the rest of the program needs to know about it; throws naming the offending field. */
export function realmImport(input: RealmImportInput): RealmImport {
    const issuer = issuerUrl(input.issuerUrlBase, input.realm);
    if (!isDnsLabel(input.clientId)) {
        throw new Error(`clientId: expected 1-63 characters of [a-z0-9-], got ${show(input.clientId)}`);
    }
    if (!audiencePattern.test(input.audience)) {
        throw new Error(`audience: expected 1-255 characters of [A-Za-z0-9._:/-], got "${input.audience}"`);
    }
    const lifespan = input.accessTokenLifespanSeconds;
    if (!Number.isInteger(lifespan) || lifespan < 60 || lifespan > 900) {
        throw new Error(`accessTokenLifespanSeconds: expected an integer from 60 to 900 (short-lived tokens), got ${String(lifespan)}`);
    }
    const serviceAccountUsername = `service-account-${input.clientId}`;
    const testUser = input.testUser;
    if (testUser !== undefined) {
        if (!usernamePattern.test(testUser.username)) {
            throw new Error(`testUser.username: expected 1-64 characters of [a-z0-9._-], got "${testUser.username}"`);
        }
        if (testUser.username.startsWith("service-account-")) {
            throw new Error(`testUser.username: "service-account-" names belong to clients' service accounts`);
        }
    }
    const subject = serviceAccountUserId(input.realm, input.clientId);
    const ui = input.uiClient;
    if (ui !== undefined) {
        if (!isDnsLabel(ui.clientId) || ui.clientId === input.clientId) {
            throw new Error(`uiClient.clientId: expected a client name other than "${input.clientId}", got "${ui.clientId}"`);
        }
        if (ui.redirectUris.length === 0) {
            throw new Error("uiClient.redirectUris: expected at least one URI");
        }
        if (!isDnsLabel(ui.signInRole)) {
            throw new Error(`uiClient.signInRole: expected a role name of [a-z0-9-], got ${show(ui.signInRole)}`);
        }
        ui.redirectUris.forEach((u, i) => {
            const url = URL.canParse(u) ? new URL(u) : undefined;
            // Loopback only: the UI is reached through kubectl port-forward; no redirect may leave the user's machine.
            if (!url || url.protocol !== "http:" || url.hostname !== "localhost") {
                throw new Error(`uiClient.redirectUris[${i}]: expected http://localhost:<port>/..., got "${u}"`);
            }
        });
    }

    const client: JsonObject = {
        clientId: input.clientId,
        enabled: true,
        protocol: "openid-connect",
        // Confidential, authenticated by its secret; the client-credentials grant is its only way to a token.
        publicClient: false,
        bearerOnly: false,
        clientAuthenticatorType: "client-secret",
        secret: placeholder(clientSecretEnv),
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
        implicitFlowEnabled: false,
        directAccessGrantsEnabled: false,
        consentRequired: false,
        frontchannelLogout: false,
        redirectUris: [],
        webOrigins: [],
        attributes: {
            "client_credentials.use_refresh_token": "false",
            "oauth2.device.authorization.grant.enabled": "false",
            "oidc.ciba.grant.enabled": "false",
        },
        // No role claims at all (no scope mappings), and of the built-in scopes only "basic", which carries the
        // `sub` mapper since Keycloak 25: without it the token has no subject and no requestPrincipal.
        fullScopeAllowed: false,
        defaultClientScopes: ["basic"],
        optionalClientScopes: [],
        protocolMappers: [
            {
                name: "audience",
                protocol: "openid-connect",
                protocolMapper: "oidc-audience-mapper",
                consentRequired: false,
                config: {
                    "included.custom.audience": input.audience,
                    "access.token.claim": "true",
                    "id.token.claim": "false",
                    "introspection.token.claim": "true",
                },
            },
        ],
    };

    // Imported users get no default roles (the importer adds users without them); both lists stay empty.
    const users: JsonObject[] = [
        {
            id: subject,
            username: serviceAccountUsername,
            enabled: true,
            serviceAccountClientId: input.clientId,
            realmRoles: [],
        },
    ];
    if (testUser !== undefined) {
        users.push({
            username: testUser.username,
            enabled: true,
            // The user profile requires these; a login would otherwise stop at an "update profile" form.
            email: `${testUser.username}@${input.realm}.invalid`,
            emailVerified: true,
            firstName: "Test",
            lastName: "User",
            credentials: [{ type: "password", value: placeholder(testUserPasswordEnv), temporary: false }],
            requiredActions: [],
            // The one role it has: the UI client's sign-in role (no default roles, see above).
            realmRoles: ui === undefined ? [] : [ui.signInRole],
        });
    }

    const flows = signInFlows(input.realm, ui);
    const representation: JsonObject = {
        realm: input.realm,
        enabled: true,
        sslRequired: "all",
        registrationAllowed: false,
        resetPasswordAllowed: false,
        rememberMe: false,
        // Brute-force protection on (user logins; Keycloak has no lockout for client secrets, which is why they are
        // 32+ random characters): after 5 failures waits of 60 s, growing to 15 min, reset after 12 h.
        bruteForceProtected: true,
        permanentLockout: false,
        failureFactor: 5,
        waitIncrementSeconds: 60,
        maxFailureWaitSeconds: 900,
        minimumQuickLoginWaitSeconds: 60,
        quickLoginCheckMilliSeconds: 1000,
        maxDeltaTimeSeconds: 43200,
        accessTokenLifespan: lifespan,
        // RS256: what Istio's JWT filter verifies; stated rather than left to the server default.
        defaultSignatureAlgorithm: "RS256",
        revokeRefreshToken: true,
        refreshTokenMaxReuse: 0,
        clients: [
            client,
            ...(ui === undefined
                ? []
                : [
                      {
                          clientId: ui.clientId,
                          enabled: true,
                          protocol: "openid-connect",
                          publicClient: true,
                          bearerOnly: false,
                          serviceAccountsEnabled: false,
                          standardFlowEnabled: true,
                          implicitFlowEnabled: false,
                          directAccessGrantsEnabled: false,
                          consentRequired: false,
                          frontchannelLogout: false,
                          redirectUris: [...ui.redirectUris],
                          webOrigins: [],
                          attributes: {
                              "oauth2.device.authorization.grant.enabled": "false",
                              "oidc.ciba.grant.enabled": "false",
                              ...(ui.requirePkce ? { "pkce.code.challenge.method": "S256" } : {}),
                          },
                          // Only users with the sign-in role get through this client's browser flow (signInFlows).
                          authenticationFlowBindingOverrides: { browser: flows.uiBrowserId as string },
                          // `sub` (basic) and `preferred_username` (profile), which Kiali shows; no roles.
                          fullScopeAllowed: false,
                          defaultClientScopes: ["basic", "profile"],
                          optionalClientScopes: [],
                      } satisfies JsonObject,
                  ]),
        ],
        ...(ui === undefined
            ? {}
            : {
                  roles: {
                      realm: [{ name: ui.signInRole, description: `May sign in to ${ui.clientId}`, composite: false, clientRole: false }],
                  },
              }),
        users,
        authenticationFlows: flows.flows,
        authenticatorConfig: flows.configs,
        browserFlow: realmFlows.deny,
        directGrantFlow: realmFlows.deny,
        registrationFlow: realmFlows.deny,
        // The signing key Pulumi made (secret; only its placeholder is here): the mesh's inline JWKS is derived from
        // the same key, and a Keycloak that starts from an empty database keeps signing with it.
        components: {
            "org.keycloak.keys.KeyProvider": [
                {
                    name: realmKeyProviderName,
                    providerId: "rsa",
                    subComponents: {},
                    config: {
                        priority: [String(realmKeyPriority)],
                        enabled: ["true"],
                        active: ["true"],
                        algorithm: ["RS256"],
                        keyUse: ["SIG"],
                        privateKey: [placeholder(realmSigningKeyEnv)],
                    },
                },
            ],
        },
    };

    const secretEnv = [clientSecretEnv, realmSigningKeyEnv, ...(testUser === undefined ? [] : [testUserPasswordEnv])];
    return {
        realm: input.realm,
        issuerUrlBase: input.issuerUrlBase,
        issuer,
        clientId: input.clientId,
        audience: input.audience,
        serviceAccountSubject: subject,
        secretEnv,
        representation,
        json: `${JSON.stringify(representation, null, 2)}\n`,
    };
}
