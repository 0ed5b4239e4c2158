/**
 * Keycloak as code (components/identity): the realm file, the cluster manifests, and the testbed script run
 * against stub system commands (tests/platform/baremetal/stubs.ts). The Keycloak container's docker run takes kc.sh's
 * arguments after the image and the post-start check reads the discovery document, which the shared docker and curl
 * stubs do not emulate: this file installs its own docker, curl and chown stubs into each scratch host's bin.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { keycloakArgs, keycloakImage, keycloakUpstreamImage } from "../../components/identity/keycloak";
import { imageDigests, pinnedImage } from "../../components/core/versions";
import {
    KeycloakSecrets,
    KeycloakSetupInput,
    renderKeycloakRemove,
    renderKeycloakSecrets,
    renderKeycloakSetup,
} from "../../components/identity/keycloakHost";
import type * as k8s from "@pulumi/kubernetes";
import { defaultKeycloakResources, KeycloakKubeInput, keycloakManifests } from "../../components/identity/keycloakKube";
import { Plain } from "../harness/kinds";
import { issuerUrl, RealmImportInput, realmImport, serviceAccountUserId } from "../../components/identity/realm";
import {
    bashSyntax,
    commandLine,
    hostPool,
    isStateChanging,
    leaksOf,
    ScriptRun,
    shellcheck,
    StubCall,
    StubHost,
} from "../platform/baremetal/stubs";

const realmInput: RealmImportInput = {
    realm: "zta",
    issuerUrlBase: "https://keycloak.lab:8443",
    audience: "zta-ingress",
    clientId: "zta-client",
    accessTokenLifespanSeconds: 300,
};
const realm = realmImport(realmInput);
const realmWithUser = realmImport({ ...realmInput, testUser: { username: "alice" } });
const uiClient = { clientId: "kiali", redirectUris: ["http://localhost:20001/kiali"], requirePkce: true, signInRole: "kiali-viewer" };
const realmWithUi = realmImport({ ...realmInput, testUser: { username: "alice" }, uiClient });
const subject = serviceAccountUserId("zta", "zta-client");

describe("realmImport", () => {
    test("renders exactly this realm: confidential client-credentials client, audience mapper, no secret", () => {
        expect(realm.representation).toEqual({
            realm: "zta",
            enabled: true,
            sslRequired: "all",
            registrationAllowed: false,
            resetPasswordAllowed: false,
            rememberMe: false,
            bruteForceProtected: true,
            permanentLockout: false,
            failureFactor: 5,
            waitIncrementSeconds: 60,
            maxFailureWaitSeconds: 900,
            minimumQuickLoginWaitSeconds: 60,
            quickLoginCheckMilliSeconds: 1000,
            maxDeltaTimeSeconds: 43200,
            accessTokenLifespan: 300,
            defaultSignatureAlgorithm: "RS256",
            revokeRefreshToken: true,
            refreshTokenMaxReuse: 0,
            clients: [
                {
                    clientId: "zta-client",
                    enabled: true,
                    protocol: "openid-connect",
                    publicClient: false,
                    bearerOnly: false,
                    clientAuthenticatorType: "client-secret",
                    secret: "${ZTA_CLIENT_SECRET}",
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
                                "included.custom.audience": "zta-ingress",
                                "access.token.claim": "true",
                                "id.token.claim": "false",
                                "introspection.token.claim": "true",
                            },
                        },
                    ],
                },
            ],
            users: [
                {
                    id: subject,
                    username: "service-account-zta-client",
                    enabled: true,
                    serviceAccountClientId: "zta-client",
                    realmRoles: [],
                },
            ],
            // Without a UI client nobody signs in with a browser or a password: the realm's own flows deny everyone.
            authenticationFlows: [
                {
                    alias: "zta-deny-all",
                    description: "Refuses every sign-in",
                    providerId: "basic-flow",
                    topLevel: true,
                    builtIn: false,
                    authenticationExecutions: [
                        {
                            authenticator: "deny-access-authenticator",
                            authenticatorFlow: false,
                            requirement: "REQUIRED",
                            priority: 10,
                            userSetupAllowed: false,
                        },
                    ],
                },
            ],
            authenticatorConfig: [],
            browserFlow: "zta-deny-all",
            directGrantFlow: "zta-deny-all",
            registrationFlow: "zta-deny-all",
            // The realm signs with the key Pulumi made (placeholder only), above the generated keys' priority.
            components: {
                "org.keycloak.keys.KeyProvider": [
                    {
                        name: "zta-rs256",
                        providerId: "rsa",
                        subComponents: {},
                        config: {
                            priority: ["1000"],
                            enabled: ["true"],
                            active: ["true"],
                            algorithm: ["RS256"],
                            keyUse: ["SIG"],
                            privateKey: ["${ZTA_REALM_SIGNING_KEY}"],
                        },
                    },
                ],
            },
        });
        expect(JSON.parse(realm.json)).toEqual(realm.representation);
        expect(realm.json.endsWith("}\n")).toBe(true);
    });

    test("the only ${...} in the file are the secret placeholders Keycloak resolves at import", () => {
        expect(realm.json.match(/\$\{[^}]*\}/g)).toEqual(["${ZTA_CLIENT_SECRET}", "${ZTA_REALM_SIGNING_KEY}"]);
        expect(realmWithUser.json.match(/\$\{[^}]*\}/g)).toEqual([
            "${ZTA_CLIENT_SECRET}",
            "${ZTA_TEST_USER_PASSWORD}",
            "${ZTA_REALM_SIGNING_KEY}",
        ]);
        expect(realm.secretEnv).toEqual(["ZTA_CLIENT_SECRET", "ZTA_REALM_SIGNING_KEY"]);
        expect(realmWithUser.secretEnv).toEqual(["ZTA_CLIENT_SECRET", "ZTA_REALM_SIGNING_KEY", "ZTA_TEST_USER_PASSWORD"]);
    });

    test("issuer, audience and the pinned service-account subject are returned for the mesh policies", () => {
        expect(realm).toMatchObject({
            realm: "zta",
            issuer: "https://keycloak.lab:8443/realms/zta",
            clientId: "zta-client",
            audience: "zta-ingress",
            serviceAccountSubject: subject,
        });
        // UUID version 5: stable for a realm and client, different for another client or realm.
        expect(subject).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(serviceAccountUserId("zta", "zta-client")).toBe(subject);
        expect(serviceAccountUserId("zta", "other")).not.toBe(subject);
        expect(serviceAccountUserId("lab", "zta-client")).not.toBe(subject);
    });

    test("a test user: password from its own placeholder, not temporary, no roles, no required actions", () => {
        const users = realmWithUser.representation.users as readonly Record<string, unknown>[];
        expect(users[1]).toEqual({
            username: "alice",
            enabled: true,
            email: "alice@zta.invalid",
            emailVerified: true,
            firstName: "Test",
            lastName: "User",
            credentials: [{ type: "password", value: "${ZTA_TEST_USER_PASSWORD}", temporary: false }],
            requiredActions: [],
            realmRoles: [],
        });
    });

    test.each<[string, Partial<RealmImportInput>, string]>([
        ["the master realm", { realm: "master" }, "realm:"],
        ["a realm with upper case", { realm: "ZTA" }, "realm:"],
        ["an http issuer base", { issuerUrlBase: "http://keycloak.lab:8443" }, "issuerUrlBase: must use https"],
        ["an issuer base with a path", { issuerUrlBase: "https://keycloak.lab:8443/auth" }, "issuerUrlBase:"],
        ["an issuer base with a trailing slash", { issuerUrlBase: "https://keycloak.lab:8443/" }, "issuerUrlBase:"],
        ["an issuer base with the default port spelled out", { issuerUrlBase: "https://keycloak.lab:443" }, "issuerUrlBase:"],
        ["a client id with a placeholder", { clientId: "${X}" }, "clientId:"],
        ["an audience with a placeholder", { audience: "${ZTA_CLIENT_SECRET}" }, "audience:"],
        ["an audience with a quote", { audience: 'a"b' }, "audience:"],
        ["a long token lifespan", { accessTokenLifespanSeconds: 3600 }, "accessTokenLifespanSeconds:"],
        ["a fractional token lifespan", { accessTokenLifespanSeconds: 90.5 }, "accessTokenLifespanSeconds:"],
        ["a test user named like a service account", { testUser: { username: "service-account-x" } }, "testUser.username:"],
        ["a test user with a space", { testUser: { username: "a b" } }, "testUser.username:"],
    ])("refuses %s, naming the field", (_what, change, message) => {
        expect(() => realmImport({ ...realmInput, ...change })).toThrow(message);
    });
});

describe("realmImport: who may sign in to the UI client (Kiali runs with disable_rbac)", () => {
    type J = Record<string, any>;
    const rep = realmWithUi.representation as J;
    const flows = rep.authenticationFlows as J[];
    const flowByAlias = (alias: string): J => {
        const f = flows.find((x) => x.alias === alias);
        if (!f) throw new Error(`no flow ${alias}`);
        return f;
    };
    const kiali = (rep.clients as J[]).find((c) => c.clientId === "kiali") as J;

    test("the UI client's browser flow is overridden (by the flow's id in the file) with: sign in, then deny a user without the role", () => {
        const browser = flows.find((f) => f.id === kiali.authenticationFlowBindingOverrides.browser) as J;
        expect(Object.keys(kiali.authenticationFlowBindingOverrides)).toEqual(["browser"]);
        expect(browser).toEqual({
            id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
            alias: "kiali-browser",
            description: "Browser sign-in to kiali: only users with the realm role kiali-viewer",
            providerId: "basic-flow",
            topLevel: true,
            builtIn: false,
            authenticationExecutions: [
                { authenticatorFlow: true, flowAlias: "kiali-sign-in", requirement: "REQUIRED", priority: 10, userSetupAllowed: false },
                {
                    authenticatorFlow: true,
                    flowAlias: "kiali-require-role",
                    requirement: "CONDITIONAL",
                    priority: 20,
                    userSetupAllowed: false,
                },
            ],
        });
        // Signing in: the SSO cookie or the username/password form — either way the role check follows.
        expect(flowByAlias("kiali-sign-in")).toMatchObject({ topLevel: false, providerId: "basic-flow" });
        expect(flowByAlias("kiali-sign-in").authenticationExecutions.map((e: J) => [e.authenticator, e.requirement])).toEqual([
            ["auth-cookie", "ALTERNATIVE"],
            ["auth-username-password-form", "ALTERNATIVE"],
        ]);
        // The check: "Condition - user role" negated on kiali-viewer, then "Deny access".
        const check = flowByAlias("kiali-require-role");
        expect(check).toMatchObject({ topLevel: false, providerId: "basic-flow" });
        expect(check.authenticationExecutions).toEqual([
            {
                authenticator: "conditional-user-role",
                authenticatorFlow: false,
                authenticatorConfig: "kiali-without-kiali-viewer",
                requirement: "REQUIRED",
                priority: 10,
                userSetupAllowed: false,
            },
            {
                authenticator: "deny-access-authenticator",
                authenticatorFlow: false,
                requirement: "REQUIRED",
                priority: 20,
                userSetupAllowed: false,
            },
        ]);
        expect(rep.authenticatorConfig).toEqual([
            { alias: "kiali-without-kiali-viewer", config: { condUserRole: "kiali-viewer", negate: "true" } },
        ]);
    });

    test("the role exists in the realm (the condition never matches a missing role, which would let everyone in) and the observer holds it", () => {
        expect(rep.roles).toEqual({
            realm: [{ name: "kiali-viewer", description: "May sign in to kiali", composite: false, clientRole: false }],
        });
        const observer = (rep.users as J[]).find((u) => u.username === "alice") as J;
        expect(observer.realmRoles).toEqual(["kiali-viewer"]);
        // The client-credentials client's service account gets nothing.
        expect((rep.users as J[]).find((u) => u.serviceAccountClientId === "zta-client")?.realmRoles).toEqual([]);
    });

    test("outside the UI client nobody signs in: the realm's browser, direct-grant and registration flows deny everyone", () => {
        // A file with authenticationFlows gets none of Keycloak's default browser/direct grant/registration flows.
        for (const binding of ["browserFlow", "directGrantFlow", "registrationFlow"]) {
            expect(flowByAlias(rep[binding] as string).authenticationExecutions).toEqual([
                {
                    authenticator: "deny-access-authenticator",
                    authenticatorFlow: false,
                    requirement: "REQUIRED",
                    priority: 10,
                    userSetupAllowed: false,
                },
            ]);
        }
        // The confidential client's client-credentials grant goes through Keycloak's "clients" flow, which the import creates.
        expect(flows.map((f) => f.alias)).not.toContain("clients");
    });

    test("valid Keycloak 26 import JSON: only representation fields; every flow alias and authenticator config it names is in the file", () => {
        const flowFields = ["id", "alias", "description", "providerId", "topLevel", "builtIn", "authenticationExecutions"];
        const executionFields = [
            "authenticator",
            "authenticatorConfig",
            "authenticatorFlow",
            "flowAlias",
            "requirement",
            "priority",
            "userSetupAllowed",
        ];
        const aliases = new Set(flows.map((f) => f.alias as string));
        const configs = new Set((rep.authenticatorConfig as J[]).map((c) => c.alias as string));
        expect(aliases.size).toBe(flows.length);
        for (const f of flows) {
            expect(flowFields).toEqual(expect.arrayContaining(Object.keys(f)));
            expect(f.providerId).toBe("basic-flow");
            for (const e of f.authenticationExecutions as J[]) {
                expect(executionFields).toEqual(expect.arrayContaining(Object.keys(e)));
                expect(["REQUIRED", "ALTERNATIVE", "CONDITIONAL"]).toContain(e.requirement);
                // The importer looks both up by alias and dereferences the result (a missing one fails the import).
                if (e.authenticatorFlow) {
                    expect(aliases.has(e.flowAlias)).toBe(true);
                    expect(flowByAlias(e.flowAlias).topLevel).toBe(false);
                } else {
                    expect(e.flowAlias).toBeUndefined();
                }
                if (e.authenticatorConfig !== undefined) expect(configs.has(e.authenticatorConfig)).toBe(true);
            }
        }
        // A sub-flow is used exactly once; the override names a top-level flow; realm bindings name flows by alias.
        const used = flows.flatMap((f) => (f.authenticationExecutions as J[]).filter((e) => e.authenticatorFlow).map((e) => e.flowAlias));
        expect(used.sort()).toEqual(
            flows
                .filter((f) => !f.topLevel)
                .map((f) => f.alias)
                .sort(),
        );
        expect(flows.find((f) => f.id === kiali.authenticationFlowBindingOverrides.browser)?.topLevel).toBe(true);
        for (const binding of ["browserFlow", "directGrantFlow", "registrationFlow"]) expect(aliases.has(rep[binding])).toBe(true);
        expect(JSON.parse(realmWithUi.json)).toEqual(rep);
        // The same input gives the same file (the flow id is name-based): a re-import changes nothing.
        expect(realmImport({ ...realmInput, testUser: { username: "alice" }, uiClient }).json).toBe(realmWithUi.json);
    });

    test.each<[string, Partial<typeof uiClient>]>([
        ["a role with a placeholder", { signInRole: "${X}" }],
        ["an empty role", { signInRole: "" }],
    ])("refuses %s, naming the field", (_what, change) => {
        expect(() => realmImport({ ...realmInput, uiClient: { ...uiClient, ...change } })).toThrow("uiClient.signInRole:");
    });
});

describe("issuerUrl", () => {
    test("is the realm URL under the base", () => {
        expect(issuerUrl("https://keycloak.lab:8443", "zta")).toBe("https://keycloak.lab:8443/realms/zta");
        expect(issuerUrl("https://id.example.org", "zta")).toBe("https://id.example.org/realms/zta");
    });

    test.each([
        ["http://keycloak.lab", "zta", "must use https"],
        ["https://Keycloak.lab", "zta", 'write it as "https://keycloak.lab"'],
        ["keycloak.lab", "zta", "issuerUrlBase:"],
        ["https://keycloak.lab", "master", "realm:"],
    ])("refuses %s with realm %s", (base, name, message) => {
        expect(() => issuerUrl(base, name)).toThrow(message);
    });
});

// ---------------------------------------------------------------------------------------------- the cluster pod

const kubeRealm = realmImport({ ...realmInput, issuerUrlBase: "https://keycloak.identity.svc.cluster.local:8443" });
const kubeInput: KeycloakKubeInput = {
    namespace: "identity",
    hostname: "keycloak.identity.svc.cluster.local",
    tlsSecretName: "keycloak-tls",
    adminSecretName: "keycloak-admin",
    clientSecretName: "keycloak-client",
    realmConfigMapName: "keycloak-realm",
    realm: kubeRealm,
    resources: defaultKeycloakResources,
};
const manifests = keycloakManifests(kubeInput);
const pod = manifests.deployment.spec.template.spec;
const keycloak = pod.containers[0];
const allContainers: readonly Plain<k8s.types.input.core.v1.Container>[] = [...pod.initContainers, ...pod.containers];

describe("keycloakManifests", () => {
    test("one Keycloak container and one init container, the pinned image, Recreate, 1 replica", () => {
        expect(pod.containers.map((c) => c.name)).toEqual(["keycloak"]);
        expect(pod.initContainers.map((c) => c.name)).toEqual(["copy-quarkus"]);
        expect(allContainers.map((c) => c.image)).toEqual([keycloakImage, keycloakImage]);
        expect(keycloakUpstreamImage).toBe("quay.io/keycloak/keycloak:26.7.4");
        // By digest once versions.json imageDigests has it.
        expect(keycloakImage).toBe(pinnedImage(keycloakUpstreamImage, imageDigests));
        expect(manifests.deployment.spec.replicas).toBe(1);
        expect(manifests.deployment.spec.strategy).toEqual({ type: "Recreate" });
        expect(manifests.deployment.spec.selector.matchLabels).toEqual(manifests.service.spec.selector);
        for (const [key, value] of Object.entries(manifests.deployment.spec.selector.matchLabels)) {
            expect((manifests.deployment.spec.template.metadata.labels as Record<string, string>)[key]).toBe(value);
        }
    });

    test("production mode with the realm import, HTTPS only, the issuer's host name, dev-file database", () => {
        expect(keycloak.args).toEqual([
            "start",
            "--import-realm",
            "--hostname=https://keycloak.identity.svc.cluster.local:8443",
            "--http-enabled=false",
            "--https-port=8443",
            "--https-certificate-file=/opt/keycloak/conf/tls/tls.crt",
            "--https-certificate-key-file=/opt/keycloak/conf/tls/tls.key",
            "--health-enabled=true",
            "--http-management-port=9000",
            "--db=dev-file",
            "--cache=local",
        ]);
        expect("command" in keycloak).toBe(false);
    });

    test("pod security: PSS restricted field by field, no host namespaces, no service-account token", () => {
        expect(pod.securityContext).toEqual({
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            seccompProfile: { type: "RuntimeDefault" },
        });
        expect([pod.hostNetwork, pod.hostPID, pod.hostIPC]).toEqual([false, false, false]);
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.serviceAccountName).toBe("keycloak");
        expect(manifests.serviceAccount.metadata.name).toBe("keycloak");
        expect(manifests.serviceAccount.automountServiceAccountToken).toBe(false);
        for (const c of allContainers) {
            const sc = c.securityContext ?? {};
            expect([c.name, sc.runAsNonRoot, sc.runAsUser]).toEqual([c.name, true, 1000]);
            expect([c.name, sc.allowPrivilegeEscalation, sc.privileged]).toEqual([c.name, false, false]);
            expect([c.name, sc.capabilities]).toEqual([c.name, { drop: ["ALL"] }]);
            expect([c.name, sc.seccompProfile]).toEqual([c.name, { type: "RuntimeDefault" }]);
            expect([c.name, sc.readOnlyRootFilesystem]).toEqual([c.name, true]);
        }
        expect(pod.volumes.filter((v) => !v.emptyDir && !v.secret && !v.configMap)).toEqual([]);
    });

    test("read-only root: what Keycloak writes is an emptyDir, and lib/quarkus is seeded from the image first", () => {
        const mounts = Object.fromEntries(keycloak.volumeMounts.map((m) => [m.mountPath, m]));
        const volumes = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
        for (const dir of ["/opt/keycloak/data", "/tmp", "/opt/keycloak/lib/quarkus"]) {
            expect([dir, volumes[mounts[dir].name].emptyDir?.sizeLimit]).toEqual([dir, expect.stringMatching(/^[0-9]+(Mi|Gi)$/)]);
            expect(mounts[dir].readOnly).toBeUndefined();
        }
        const init = pod.initContainers[0];
        expect(init.command).toEqual(["cp", "-R", "/opt/keycloak/lib/quarkus/.", "/mnt/quarkus/"]);
        expect(init.volumeMounts).toEqual([{ name: mounts["/opt/keycloak/lib/quarkus"].name, mountPath: "/mnt/quarkus" }]);
        expect(mounts["/opt/keycloak/data/import"]).toEqual({ name: "realm", mountPath: "/opt/keycloak/data/import", readOnly: true });
        expect(mounts["/opt/keycloak/conf/tls"]).toEqual({ name: "tls", mountPath: "/opt/keycloak/conf/tls", readOnly: true });
        expect(volumes.tls.secret).toEqual({ secretName: "keycloak-tls", defaultMode: 0o440, optional: false });
        expect(volumes.realm.configMap).toMatchObject({
            name: "keycloak-realm",
            items: [{ key: "realm.json", path: "realm.json" }],
            optional: false,
        });
    });

    test("requests and limits on every container", () => {
        expect(keycloak.resources).toEqual(defaultKeycloakResources);
        for (const c of allContainers) {
            for (const kind of ["requests", "limits"] as const) {
                expect([c.name, kind, Object.keys(c.resources?.[kind] ?? {}).sort()]).toEqual([c.name, kind, ["cpu", "memory"]]);
            }
        }
    });

    test("secrets only through non-optional secretKeyRef: no literal env value at all, nothing secret on argv", () => {
        expect(keycloak.env).toEqual([
            {
                name: "KC_BOOTSTRAP_ADMIN_USERNAME",
                valueFrom: { secretKeyRef: { name: "keycloak-admin", key: "username", optional: false } },
            },
            {
                name: "KC_BOOTSTRAP_ADMIN_PASSWORD",
                valueFrom: { secretKeyRef: { name: "keycloak-admin", key: "password", optional: false } },
            },
            { name: "ZTA_CLIENT_SECRET", valueFrom: { secretKeyRef: { name: "keycloak-client", key: "client-secret", optional: false } } },
            {
                name: "ZTA_REALM_SIGNING_KEY",
                valueFrom: { secretKeyRef: { name: "keycloak-client", key: "realm-signing-key", optional: false } },
            },
        ]);
        for (const c of allContainers) {
            for (const e of c.env ?? []) {
                expect([e.name, e.value]).toEqual([e.name, undefined]);
                if (/PASSWORD|SECRET/.test(e.name)) {
                    expect([e.name, e.valueFrom?.secretKeyRef?.optional]).toEqual([e.name, false]);
                }
            }
            expect((c.args ?? []).concat(c.command ?? []).filter((a) => /password|secret/i.test(a))).toEqual([]);
        }
        const userRealm = realmImport({ ...realmInput, issuerUrlBase: kubeRealm.issuerUrlBase, testUser: { username: "alice" } });
        const withUser = keycloakManifests({ ...kubeInput, realm: userRealm });
        expect(withUser.deployment.spec.template.spec.containers[0].env?.[4]).toEqual({
            name: "ZTA_TEST_USER_PASSWORD",
            valueFrom: { secretKeyRef: { name: "keycloak-client", key: "test-user-password", optional: false } },
        });
    });

    test("probes: started, ready and live on the management port 9000 over HTTPS", () => {
        const probe = (p: string) => ({ httpGet: { path: p, port: 9000, scheme: "HTTPS" } });
        expect(keycloak.startupProbe).toMatchObject(probe("/health/started"));
        expect(keycloak.readinessProbe).toMatchObject(probe("/health/ready"));
        expect(keycloak.livenessProbe).toMatchObject(probe("/health/live"));
        // The startup probe allows a first start (build and import) of 5 minutes.
        expect((keycloak.startupProbe?.periodSeconds ?? 0) * (keycloak.startupProbe?.failureThreshold ?? 0)).toBe(300);
        expect(keycloak.ports).toEqual([
            { name: "https", containerPort: 8443, protocol: "TCP" },
            { name: "management", containerPort: 9000, protocol: "TCP" },
        ]);
    });

    test("Service: 8443 https and 9000 management, named for Istio's protocol selection; ConfigMap holds the realm", () => {
        expect(manifests.service.spec).toEqual({
            type: "ClusterIP",
            selector: { "app.kubernetes.io/name": "keycloak", "app.kubernetes.io/instance": "keycloak" },
            ports: [
                { name: "https", port: 8443, targetPort: "https", protocol: "TCP" },
                { name: "https-management", port: 9000, targetPort: "management", protocol: "TCP" },
            ],
        });
        expect(manifests.configMap.data).toEqual({ "realm.json": kubeRealm.json });
        for (const m of [manifests.serviceAccount, manifests.configMap, manifests.deployment, manifests.service]) {
            expect(m.metadata.namespace).toBe("identity");
        }
    });

    test("a realm change rolls the pod (a new pod re-imports); the same input gives the same hash", () => {
        const annotation = (m: typeof manifests) => m.deployment.spec.template.metadata.annotations?.["zta-testbed.dev/config-sha256"];
        expect(annotation(manifests)).toMatch(/^[0-9a-f]{64}$/);
        expect(annotation(keycloakManifests({ ...kubeInput }))).toBe(annotation(manifests));
        const other = realmImport({ ...realmInput, issuerUrlBase: kubeRealm.issuerUrlBase, accessTokenLifespanSeconds: 120 });
        expect(annotation(keycloakManifests({ ...kubeInput, realm: other }))).not.toBe(annotation(manifests));
    });

    test.each<[string, Partial<KeycloakKubeInput>, string]>([
        ["two replicas", { replicas: 2 }, "replicas:"],
        ["the latest tag", { image: "quay.io/keycloak/keycloak:latest" }, "image:"],
        ["an unpinned image", { image: "quay.io/keycloak/keycloak" }, "image:"],
        ["a namespace with upper case", { namespace: "Identity" }, "namespace:"],
        ["a TLS secret name with a slash", { tlsSecretName: "a/b" }, "tlsSecretName:"],
        ["a host name with a scheme", { hostname: "https://keycloak" }, "hostname:"],
        ["a host name the realm's issuer does not use", { hostname: "keycloak.identity" }, "hostname: this Keycloak issues tokens as"],
        ["a port the realm's issuer does not use", { port: 443 }, "hostname: this Keycloak issues tokens as"],
        ["the management port as Service port", { port: 9000 }, "port: 9000 is the management port"],
        [
            "no memory limit",
            { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "" } } },
            "resources.limits.memory:",
        ],
        [
            "a bad CPU request",
            { resources: { requests: { cpu: "lots", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } },
            "resources.requests.cpu:",
        ],
    ])("refuses %s, naming the field", (_what, change, message) => {
        expect(() => keycloakManifests({ ...kubeInput, ...change })).toThrow(message);
    });
});

// ------------------------------------------------------------------------------------------- the testbed script

const certPem = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUa2V5Y2xvYWs=\n-----END CERTIFICATE-----\n";
const caPem = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUY2EtY2E=\n-----END CERTIFICATE-----\n";
const keyPem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKcKeyMaterialSecretW9x\n-----END PRIVATE KEY-----\n";
const secrets: KeycloakSecrets = {
    serverKeyPem: keyPem,
    clientSecret: "ClientSecret_0123456789abcdefABCDEF-xyz",
    realmSigningKey: "MIIE" + "RealmKeyMaterial0123456789+/".repeat(50),
};
const stdin = renderKeycloakSecrets(secrets);
const secretValues: Record<string, string> = {
    key: "KcKeyMaterialSecretW9x",
    clientSecret: secrets.clientSecret,
    realmSigningKey: secrets.realmSigningKey,
    testUserPassword: "TestUserPassword_42",
};
const hostInput: KeycloakSetupInput = { hostname: "keycloak.lab", bindAddress: "10.0.0.2", tlsCertPem: certPem, caPem, realm };
const script = renderKeycloakSetup(hostInput);
const issuer = "https://keycloak.lab:8443/realms/zta";
const discoveryCall = `curl --silent --show-error --cacert <ROOT>/etc/zta-keycloak/ca.crt --resolve keycloak.lab:8443:10.0.0.2 --write-out \\n%{http_code} ${issuer}/.well-known/openid-configuration`;
const tokenCall = `curl --silent --show-error --cacert <ROOT>/etc/zta-keycloak/ca.crt --resolve keycloak.lab:8443:10.0.0.2 --output /dev/null --write-out %{http_code} --config - ${issuer}/protocol/openid-connect/token`;
const adminConsoleCall =
    "curl --silent --show-error --cacert <ROOT>/etc/zta-keycloak/ca.crt --resolve keycloak.lab:8443:10.0.0.2 --output /dev/null --write-out %{http_code} https://keycloak.lab:8443/admin/master/console/";
const dockerPs = "docker ps --all --format {{.Names}}";
const dockerInspect = 'docker inspect --format {{.State.Running}} {{index .Config.Labels "zta.config-sha256"}} zta-keycloak';
const chownData = "chown 1000:0 <ROOT>/var/lib/zta-keycloak/data";

function dockerRun(image = keycloakImage): string {
    return [
        "docker run --detach --name zta-keycloak --restart unless-stopped --publish 10.0.0.2:8443:8443 --publish 127.0.0.1:9000:9000",
        "--cap-drop ALL --security-opt no-new-privileges",
        "--volume <ROOT>/var/lib/zta-keycloak/data:/opt/keycloak/data",
        "--volume <ROOT>/etc/zta-keycloak/import:/opt/keycloak/data/import:ro",
        "--volume <ROOT>/etc/zta-keycloak/tls:/opt/keycloak/conf/tls:ro",
        "--env-file <ROOT>/etc/zta-keycloak/keycloak.env",
        `--label zta.config-sha256=<HASH> ${image}`,
        ...keycloakArgs("https://keycloak.lab:8443", { adminSurface: false }),
    ].join(" ");
}

const dpkgQuery = "dpkg-query --show --showformat=${db:Status-Status} ${Package}\\n";
/** A first run on a server whose Docker is installed but disabled and stopped (e.g. after a failed boot). */
const firstRunCalls = [
    dpkgQuery,
    "systemctl show --property=UnitFileState --value docker",
    "systemctl enable docker",
    "systemctl show --property=ActiveState --value docker",
    "systemctl start docker",
    dockerPs,
    chownData,
    dockerRun(),
    discoveryCall,
    tokenCall,
    adminConsoleCall,
];

/**
 * Stubs for this file (tests/fixtures/identity/*.sh), run like the shared ones: shared stub library, call
 * recording and failure injection, then the body (docker is the shared stub, which keeps kc.sh's arguments after
 * the image in state "container-command"). curl: the discovery document and token endpoint of a running Keycloak (state
 * "keycloak"). chown: records only.
 */
const fixtures = path.join(__dirname, "..", "fixtures", "identity");
const localStubs: Record<string, boolean> = { curl: true, chown: false };

function installLocalStubs(host: StubHost): void {
    const shebang = fs.readFileSync(path.join(host.bin, "docker"), "utf8").split("\n")[0];
    const lib = path.join(host.dir, "stub-lib.sh");
    for (const [name, readsStdin] of Object.entries(localStubs)) {
        const text = [
            shebang,
            `STUB_READS_STDIN=${readsStdin ? 1 : 0}`,
            `source '${lib}'`,
            'stub_record "$@"',
            'stub_fail_if_told "$@"',
            fs.readFileSync(path.join(fixtures, `${name}.sh`), "utf8"),
        ].join("\n");
        const file = path.join(host.bin, name);
        fs.rmSync(file, { force: true });
        fs.writeFileSync(file, text, { mode: 0o755 });
    }
    host.setState("keycloak", [`login zta-client:${secrets.clientSecret}`]);
}

const pool = hostPool(installLocalStubs);
afterAll(pool.cleanup);

/** A server after the registry setup: Docker Engine and curl installed, Docker enabled and running. */
function readyHost(): StubHost {
    const host = pool.fresh();
    host.setState("dpkg", ["ca-certificates 1", "curl 1", "docker.io 26.1.5"]);
    host.setState("enabled", ["docker"]);
    host.setState("active", ["docker"]);
    return host;
}

function run(host: StubHost, text = script, input = stdin): ScriptRun {
    return host.run(text, { stdin: input });
}

function lines(host: StubHost, calls: readonly StubCall[], hash?: string): string[] {
    return calls.map((c) => {
        const line = commandLine(c).split(host.root).join("<ROOT>");
        return hash ? line.split(hash).join("<HASH>") : line;
    });
}

function changes(host: StubHost, r: ScriptRun, hash?: string): string[] {
    return lines(host, r.calls.filter(isStateChanging), hash);
}

/** The label the script must compute: image, ports, data dir, arguments, then the sha256 of each file it reads. */
function expectedHash(host: StubHost, image = keycloakImage): string {
    const sha = (text: string) => createHash("sha256").update(text).digest("hex");
    const files = ["tls/tls.crt", "tls/tls.key", "import/realm.json", "keycloak.env"];
    const head = [
        image,
        "10.0.0.2",
        "8443",
        "9000",
        "/var/lib/zta-keycloak/data",
        ...keycloakArgs("https://keycloak.lab:8443", { adminSurface: false }),
    ];
    return sha(head.map((l) => `${l}\n`).join("") + files.map((f) => `${sha(host.file(`/etc/zta-keycloak/${f}`) ?? "")}  -\n`).join(""));
}

function expectNoLeaks(r: ScriptRun): void {
    for (const [name, value] of Object.entries(secretValues)) {
        expect([name, leaksOf(r, value)]).toEqual([name, []]);
    }
}

/** A realm whose client holds the secret itself: what the host renderer must refuse to embed in its script. */
function literalSecretRealm(): typeof realm {
    const representation = JSON.parse(realm.json.replace("${ZTA_CLIENT_SECRET}", secrets.clientSecret));
    return { ...realm, representation, json: `${JSON.stringify(representation, null, 2)}\n` };
}

describe("renderKeycloakSetup: rendering", () => {
    test("bash -n and shellcheck are clean, with and without a test user, and for the removal", () => {
        for (const text of [script, renderKeycloakSetup({ ...hostInput, realm: realmWithUser }), renderKeycloakRemove()]) {
            expect(bashSyntax(text)).toBe("");
            expect(shellcheck(text)).toBe("");
        }
    });

    test("is pure, and neither the script nor the secret bundle's framing holds a secret in clear", () => {
        expect(renderKeycloakSetup({ ...hostInput })).toBe(script);
        for (const value of Object.values(secretValues)) {
            expect(script).not.toContain(value);
            expect(stdin).not.toContain(value);
        }
        const [header, ...rest] = stdin.split("\n");
        expect(header).toBe("zta-keycloak-secrets-v2");
        expect(rest.map((l) => Buffer.from(l, "base64").toString("utf8"))).toEqual([
            keyPem,
            secrets.clientSecret,
            secrets.realmSigningKey,
            "",
            "",
        ]);
    });

    test.each<[string, Partial<KeycloakSetupInput>, string]>([
        ["a host with a scheme", { hostname: "https://keycloak.lab" }, "hostname:"],
        ["a host in upper case", { hostname: "Keycloak.lab" }, "hostname:"],
        ["a host the realm's issuer does not use", { hostname: "id.lab" }, "hostname: this Keycloak issues tokens as"],
        ["port 0", { port: 0 }, "port:"],
        ["every interface as bind address", { bindAddress: "0.0.0.0" }, "bindAddress:"],
        ["loopback as bind address (clusters could not reach it)", { bindAddress: "127.0.0.1" }, "bindAddress:"],
        ["a name as bind address", { bindAddress: "keycloak.lab" }, "bindAddress:"],
        ["the management port equal to the HTTPS port", { mgmtPort: 8443 }, "mgmtPort:"],
        ["no start attempts", { startAttempts: 0 }, "startAttempts:"],
        ["the latest tag", { image: "quay.io/keycloak/keycloak:latest" }, "image:"],
        ["an image with shell syntax", { image: "keycloak:26;reboot" }, "image:"],
        ["a certificate that is a key", { tlsCertPem: keyPem }, "tlsCertPem:"],
        ["a CA that is not PEM", { caPem: "hello" }, "caPem:"],
        ["the root directory as data dir", { dataDir: "/" }, "dataDir:"],
        ["/var/lib itself as data dir", { dataDir: "/var/lib/keycloak" }, "dataDir:"],
        ["a data dir with ..", { dataDir: "/var/lib/zta/../../etc" }, "dataDir:"],
        [
            "a realm file edited after rendering",
            { realm: { ...realm, json: realm.json.replace("${ZTA_CLIENT_SECRET}", secrets.clientSecret) } },
            "realm: its json and representation differ",
        ],
        [
            "a realm that carries a literal client secret",
            { realm: literalSecretRealm() },
            "realm: the client secret must be the placeholder ${ZTA_CLIENT_SECRET}",
        ],
    ])("refuses %s, naming the field", (_what, change, message) => {
        expect(() => renderKeycloakSetup({ ...hostInput, ...change })).toThrow(message);
    });

    test.each<[string, Partial<KeycloakSecrets>, string]>([
        ["a certificate as key", { serverKeyPem: certPem }, "serverKeyPem:"],
        ["a short client secret", { clientSecret: "short" }, "clientSecret:"],
        ["a client secret with a quote", { clientSecret: `${"x".repeat(32)}"` }, "clientSecret:"],
        ["a test user password with a dollar", { testUserPassword: "Password$12345" }, "testUserPassword:"],
    ])("renderKeycloakSecrets refuses %s, naming the field but not the value", (_what, change, message) => {
        const bad = { ...secrets, ...change };
        expect(() => renderKeycloakSecrets(bad)).toThrow(message);
        try {
            renderKeycloakSecrets(bad);
        } catch (error) {
            for (const value of [bad.serverKeyPem, bad.clientSecret]) {
                expect((error as Error).message).not.toContain(value);
            }
        }
    });
});

describe("renderKeycloakSetup: a new Keycloak on the registry's server, run twice", () => {
    let host: StubHost;
    let first: ScriptRun;
    let second: ScriptRun;
    let filesAfterFirst: ReturnType<StubHost["files"]>;
    let hash: string;
    beforeAll(() => {
        host = readyHost();
        host.setState("enabled", []);
        host.setState("active", []);
        first = run(host);
        filesAfterFirst = host.files();
        hash = expectedHash(host);
        second = run(host);
    });

    test("the first run makes exactly the expected calls, in order", () => {
        expect(first.stderr).toBe("");
        expect(first.status).toBe(0);
        expect(lines(host, first.calls, hash)).toEqual(firstRunCalls);
        expect(first.stdout).toMatch(/zta: Keycloak: \d+ change\(s\)\n$/);
    });

    test("the container runs the pinned image with kc.sh start --import-realm, secrets only via --env-file", () => {
        expect(host.readState("containers")).toEqual([`zta-keycloak true ${hash} ${keycloakImage}`]);
        expect(host.readState("container-command")).toEqual(keycloakArgs("https://keycloak.lab:8443", { adminSurface: false }));
        expect(host.readState("container-command")).not.toContain("start-dev");
        const docker = first.calls.find((c) => c.name === "docker" && c.argv[0] === "run");
        expect(docker?.argv).toContain("--env-file");
        expect(docker?.argv.filter((a) => a === "-e" || a === "--env" || /KC_BOOTSTRAP|ZTA_/.test(a))).toEqual([]);
    });

    test("no admin surface: no bootstrap admin in the environment, the admin console and admin API disabled", () => {
        expect(filesAfterFirst["/etc/zta-keycloak/keycloak.env"].content).not.toContain("KC_BOOTSTRAP_ADMIN");
        expect(host.readState("container-command")).toContain("--features-disabled=admin,admin-api");
        expect(lines(host, first.calls)).toContain(adminConsoleCall);
    });

    test("published on the management address only (the management port on loopback only)", () => {
        const docker = first.calls.find((c) => c.name === "docker" && c.argv[0] === "run");
        const argv = docker?.argv ?? [];
        expect(argv.flatMap((a, i) => (argv[i - 1] === "--publish" ? [a] : []))).toEqual(["10.0.0.2:8443:8443", "127.0.0.1:9000:9000"]);
    });

    test("no secret leaks: not in any argv, command environment, stdout or stderr, in either run", () => {
        expectNoLeaks(first);
        expectNoLeaks(second);
    });

    test("the client secret reaches curl only on its stdin, as a curl config", () => {
        const token = first.calls.find((c) => lines(host, [c])[0] === tokenCall);
        expect(token?.stdin).toBe(`user = "zta-client:${secrets.clientSecret}"\ndata = "grant_type=client_credentials"\n`);
        const discovery = first.calls.find((c) => lines(host, [c])[0] === discoveryCall);
        expect(discovery?.stdin).toBe("");
    });

    test("files: key 640, env file 600, the rest 644, data dir 700; contents as given", () => {
        expect(Object.fromEntries(Object.entries(filesAfterFirst).map(([f, s]) => [f, s.mode]))).toEqual({
            "/etc/zta-keycloak/ca.crt": "644",
            "/etc/zta-keycloak/import/realm.json": "644",
            "/etc/zta-keycloak/keycloak.env": "600",
            "/etc/zta-keycloak/tls/tls.crt": "644",
            "/etc/zta-keycloak/tls/tls.key": "640",
        });
        expect(filesAfterFirst["/etc/zta-keycloak/keycloak.env"].content).toBe(
            `ZTA_CLIENT_SECRET=${secrets.clientSecret}\nZTA_REALM_SIGNING_KEY=${secrets.realmSigningKey}\n`,
        );
        expect(filesAfterFirst["/etc/zta-keycloak/tls/tls.key"].content).toBe(keyPem);
        expect(filesAfterFirst["/etc/zta-keycloak/import/realm.json"].content).toBe(realm.json);
        expect(filesAfterFirst["/etc/zta-keycloak/tls/tls.crt"].content).toBe(certPem);
        expect((fs.statSync(`${host.root}/var/lib/zta-keycloak/data`).mode & 0o777).toString(8)).toBe("700");
    });

    test("the second run changes nothing: no docker run/rm or chown; files not rewritten", () => {
        expect(second.stderr).toBe("");
        expect(second.status).toBe(0);
        expect(changes(host, second)).toEqual([]);
        expect(lines(host, second.calls, hash)).toEqual([
            dpkgQuery,
            "systemctl show --property=UnitFileState --value docker",
            "systemctl show --property=ActiveState --value docker",
            dockerPs,
            dockerInspect,
            discoveryCall,
            tokenCall,
            adminConsoleCall,
        ]);
        expect(second.stdout).toBe("zta: Keycloak: 0 change(s)\n");
        expect(host.files()).toEqual(filesAfterFirst);
    });
});

describe("renderKeycloakSetup: Docker Engine", () => {
    test.each<[string, string[], string]>([
        [
            "no Docker Engine",
            ["curl 1"],
            "zta: docker: no Docker Engine installed (docker.io or docker-ce); the registry setup installs it",
        ],
        ["no curl", ["docker-ce 5:27.0.0-1"], "zta: curl: not installed (the post-start check needs it)"],
    ])("%s: stops with a clear message and installs nothing", (_what, packages, message) => {
        const host = pool.fresh();
        host.setState("dpkg", packages);
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(message);
        expect(lines(host, r.calls)).toEqual([dpkgQuery]);
        expect(host.files()).toEqual({});
    });
});

describe("renderKeycloakSetup: failures stop the script", () => {
    function expectStoppedAt(host: StubHost, r: ScriptRun, command: string): void {
        expect(r.status).not.toBe(0);
        expect(r.calls.filter((c) => c.failed)).toHaveLength(1);
        expect(lines(host, r.calls).at(-1)?.startsWith(command)).toBe(true);
        expect(r.calls.some((c) => c.name === "curl")).toBe(false);
        expect(r.stdout).not.toContain("Keycloak:");
        expectNoLeaks(r);
    }

    test("a failing systemctl stops it at once", () => {
        const host = readyHost();
        host.setState("enabled", []);
        host.failOn("systemctl enable docker");
        expectStoppedAt(host, run(host), "systemctl enable docker");
    });

    test("a failing docker run stops it at once; the next run starts the container from an emptied data directory", () => {
        const host = readyHost();
        host.failOn("docker run");
        expectStoppedAt(host, run(host), "docker run");
        host.failOn();
        const r = run(host);
        expect(r.status).toBe(0);
        // Without a container nothing vouches for the data directory: it is emptied like any other.
        expect(changes(host, r, expectedHash(host))).toEqual([chownData, dockerRun()]);
    });
});

describe("renderKeycloakSetup: the post-start check, against a running Keycloak", () => {
    let host: StubHost;
    beforeAll(() => {
        host = readyHost();
        expect(run(host).status).toBe(0);
    });
    const login = `login zta-client:${secrets.clientSecret}`;

    test("an issuer other than the realm's FAILS the run, naming both", () => {
        host.setState("keycloak", [login, "issuer https://localhost:8443/realms/zta"]);
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(
            `zta: keycloak: the issuer is https://localhost:8443/realms/zta, expected ${issuer} (tokens would not match the mesh's RequestAuthentication)\n`,
        );
        expect(lines(host, r.calls)).not.toContain(tokenCall);
    });

    test("a Keycloak that refuses the client secret (placeholder not resolved) FAILS the run without leaking it", () => {
        host.setState("keycloak", ["login zta-client:${ZTA_CLIENT_SECRET}"]);
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(
            `zta: keycloak: ${issuer}/protocol/openid-connect/token answered 401 to the client's credentials; expected 200 (was ZTA_CLIENT_SECRET set when the realm was imported?)\n`,
        );
        expectNoLeaks(r);
    });

    test("waits for a slow start: 2 refused connections and a 503, with pauses, then success", () => {
        host.setState("keycloak", [login, "down 2", "starting 1"]);
        const r = run(host);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(lines(host, r.calls).slice(-9)).toEqual([
            discoveryCall,
            "sleep 5",
            discoveryCall,
            "sleep 5",
            discoveryCall,
            "sleep 5",
            discoveryCall,
            tokenCall,
            adminConsoleCall,
        ]);
    });

    test("an admin console that answers FAILS the run: the admin features must be disabled", () => {
        host.setState("keycloak", [login]);
        const withConsole = renderKeycloakSetup(hostInput).replace("    '--features-disabled=admin,admin-api'\n", "");
        const r = run(host, withConsole);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(
            "zta: keycloak: https://keycloak.lab:8443/admin/master/console/ serves the admin console; expected it disabled (--features-disabled=admin,admin-api)\n",
        );
    });

    test("gives up after startAttempts attempts (default 60, 5 s apart) with a clear message", () => {
        expect(script).toContain("\nattempts=60\n");
        host.setState("keycloak", [login, "down 1000"]);
        const r = run(host, renderKeycloakSetup({ ...hostInput, startAttempts: 3 }));
        expect(r.status).not.toBe(0);
        expect(lines(host, r.calls).slice(-5)).toEqual([discoveryCall, "sleep 5", discoveryCall, "sleep 5", discoveryCall]);
        expect(r.stderr).toBe(
            `zta: keycloak: no 200 from ${issuer}/.well-known/openid-configuration after 3 attempts (last: curl exit status 7)\n`,
        );
    });
});

describe("renderKeycloakSetup: one server through a sequence of changes", () => {
    let host: StubHost;
    const database = "/var/lib/zta-keycloak/data/h2/keycloakdb.mv.db";
    beforeAll(() => {
        host = readyHost();
        expect(run(host).status).toBe(0);
    });

    test("a stopped container with the same configuration is recreated and keeps its database", () => {
        const hash = expectedHash(host);
        host.putFile(database, "realm and signing keys");
        host.setState("containers", [`zta-keycloak false ${hash} ${keycloakImage}`]);
        const r = run(host);
        expect(r.status).toBe(0);
        expect(changes(host, r, hash)).toEqual(["docker rm --force zta-keycloak", dockerRun()]);
        expect(host.file(database)).toBe("realm and signing keys");
    });

    test("a realm change recreates the container once, from an emptied database", () => {
        const changedRealm = realmImport({ ...realmInput, accessTokenLifespanSeconds: 120 });
        const r = run(host, renderKeycloakSetup({ ...hostInput, realm: changedRealm }));
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(changes(host, r, expectedHash(host))).toEqual(["docker rm --force zta-keycloak", chownData, dockerRun()]);
        expect(r.stdout).toContain("zta: changed: emptied /var/lib/zta-keycloak/data\n");
        expect(host.file(database)).toBeUndefined();
    });

    test("a rotated client secret recreates the container (the env file is hashed) without leaking", () => {
        const rotated = `${secrets.clientSecret}-rotated`;
        host.setState("keycloak", [`login zta-client:${rotated}`]);
        const r = run(host, script, renderKeycloakSecrets({ ...secrets, clientSecret: rotated }));
        expect(r.status).toBe(0);
        expect(changes(host, r, expectedHash(host))).toEqual(["docker rm --force zta-keycloak", chownData, dockerRun()]);
        expect(leaksOf(r, rotated)).toEqual([]);
    });
});

describe("renderKeycloakSetup: the secret bundle", () => {
    const bundle = stdin.split("\n");
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    test.each<[string, string, string]>([
        ["no stdin", "", "no header line"],
        ["another header", stdin.replace("zta-keycloak-secrets-v2", "v0"), "wrong header line"],
        [
            "the previous bundle (with a bootstrap admin)",
            stdin.replace("zta-keycloak-secrets-v2", "zta-keycloak-secrets-v1"),
            "wrong header line",
        ],
        ["a missing test user password line", `${bundle.slice(0, 4).join("\n")}\n`, "no test user password line"],
        ["extra data", `${stdin}more\n`, "data after the test user password line"],
        ["a key that is not PEM", [bundle[0], b64("hello"), ...bundle.slice(2)].join("\n"), "server key is not a PEM private key"],
        [
            "a short client secret",
            [...bundle.slice(0, 2), b64("short"), ...bundle.slice(3)].join("\n"),
            "client secret is not 32-128 characters of [A-Za-z0-9_-]",
        ],
        [
            "a test user password for a realm without test user",
            renderKeycloakSecrets({ ...secrets, testUserPassword: secretValues.testUserPassword }),
            "a test user password, but the realm has no test user",
        ],
    ])("%s: refused before any command runs", (_what, input, message) => {
        const host = pool.fresh();
        const r = run(host, script, input);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(`zta: stdin: expected the Keycloak secret bundle (${message})\n`);
        expect(r.calls).toEqual([]);
        expect(host.files()).toEqual({});
    });

    test("a realm with a test user requires its password, and passes it to Keycloak in the env file only", () => {
        const text = renderKeycloakSetup({ ...hostInput, realm: realmWithUser });
        const missing = run(pool.fresh(), text);
        expect(missing.stderr).toContain("the realm has a test user: test user password must be 12-128 characters");
        const host = readyHost();
        const r = run(host, text, renderKeycloakSecrets({ ...secrets, testUserPassword: secretValues.testUserPassword }));
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(host.file("/etc/zta-keycloak/keycloak.env")).toContain(`\nZTA_TEST_USER_PASSWORD=${secretValues.testUserPassword}\n`);
        expectNoLeaks(r);
    });
});

describe("renderKeycloakRemove (destroy)", () => {
    const remove = renderKeycloakRemove();

    /** What a setup leaves behind (the removal does not depend on how it got there). */
    function setUpHost(): StubHost {
        const host = readyHost();
        host.setState("containers", [`zta-keycloak true ${"0".repeat(64)} ${keycloakImage}`]);
        host.putFile("/etc/zta-keycloak/keycloak.env", `ZTA_CLIENT_SECRET=${secrets.clientSecret}\n`, 0o600);
        host.putFile("/etc/zta-keycloak/tls/tls.key", keyPem, 0o640);
        host.putFile("/var/lib/zta-keycloak/data/h2/keycloakdb.mv.db", "realm and signing keys", 0o600);
        return host;
    }

    test("removes the container, the configuration (key, env file) and the database; a second run changes nothing", () => {
        const host = setUpHost();
        const first = run(host, remove, "");
        expect(first.stderr).toBe("");
        expect(first.status).toBe(0);
        expect(changes(host, first)).toEqual(["docker rm --force zta-keycloak"]);
        expect(first.stdout).toContain("zta: changed: removed /var/lib/zta-keycloak/data\n");
        expect(host.readState("containers")).toEqual([]);
        expect(host.files()).toEqual({});
        expect(fs.existsSync(`${host.root}/var/lib/zta-keycloak/data`)).toBe(false);
        const second = run(host, remove, "");
        expect(second.status).toBe(0);
        expect(second.stdout).toBe("zta: Keycloak removal: 0 change(s)\n");
    });

    test("a failing docker stops the removal before the secrets are deleted", () => {
        const host = setUpHost();
        host.failOn("docker rm");
        expect(run(host, remove, "").status).not.toBe(0);
        expect(host.file("/etc/zta-keycloak/keycloak.env")).toBeDefined();
    });

    test("refuses a data dir it must not delete", () => {
        expect(() => renderKeycloakRemove({ dataDir: "/var/lib" })).toThrow("dataDir:");
    });
});
