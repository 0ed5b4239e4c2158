/**
 * Keycloak as code (components/identity): the realm file and the cluster manifests. The testbed script, run against
 * stub system commands, is tested in keycloakHost.script.test.ts (the script tier).
 */
import { keycloakImage, keycloakUpstreamImage } from "../../components/identity/keycloak";
import { imageDigests, pinnedImage } from "../../components/core/versions";
import type * as k8s from "@pulumi/kubernetes";
import { defaultKeycloakResources, KeycloakKubeInput, keycloakManifests } from "../../components/identity/keycloakKube";
import { Plain } from "../harness/kinds";
import { issuerUrl, RealmImportInput, realmImport, serviceAccountUserId } from "../../components/identity/realm";
import { realm, realmInput, realmWithUser } from "./realmFixture";

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
