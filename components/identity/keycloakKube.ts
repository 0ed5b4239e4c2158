/**
 * Keycloak in a cluster (cloud and sim stacks: cluster 1), as plain Kubernetes manifests; a later step creates them
 * with @pulumi/kubernetes. Pure: no Pulumi resources.
 *
 * - One replica with the dev-file database (H2 in an emptyDir), acceptable for a testbed: the database is per pod
 *   and starts empty with every pod, and the realm is imported from the ConfigMap at each start. So the realm file
 *   is the only source of truth, and realm changes roll the pod (a hash of it is a pod annotation). Replicas > 1
 *   would be separate Keycloaks with separate signing keys, hence refused. A pod restart also means new realm
 *   signing keys: Istio must fetch the JWKS from Keycloak (jwksUri), not hold a copy.
 * - PSS "restricted" and more: non-root uid 1000, no privilege escalation, ALL capabilities dropped, seccomp
 *   RuntimeDefault, read-only root file system, requests and limits, no service-account token.
 * - Writable paths with a read-only root: /opt/keycloak/data (H2 database, its transaction logs, data/tmp) and
 *   /tmp, as emptyDirs; and /opt/keycloak/lib/quarkus, where `start` re-augments the server for this
 *   configuration (keycloak.ts). An emptyDir there would hide the image's own files, which the launcher needs
 *   (lib/quarkus/quarkus-application.dat), so an init container first copies them into it.
 * - Secrets only through secretKeyRef (non-optional: the pod does not start without them): the bootstrap admin and
 *   the client secret the realm file's placeholder resolves to. TLS key and certificate from a kubernetes.io/tls
 *   Secret signed by the infrastructure CA, valid for `hostname`.
 * - Probes: /health/started, /health/ready and /health/live on the management port 9000, over HTTPS (the
 *   management interface inherits the main server's TLS).
 */
import type * as k8s from "@pulumi/kubernetes";
import { checkHost, checkPinnedImage, checkPort, publicBaseUrl } from "./inputs";
import {
    bootstrapAdminPasswordEnv,
    bootstrapAdminUsernameEnv,
    containerDataDir,
    containerImportDir,
    containerQuarkusDir,
    containerTlsDir,
    keycloakArgs,
    keycloakHttpsPort,
    keycloakImage,
    keycloakManagementPort,
    keycloakUid,
    realmFileName,
} from "./keycloak";
import { clientSecretEnv, issuerUrl, RealmImport, realmSigningKeyEnv, testUserPasswordEnv } from "./realm";
import { sha256Hex, rolloutKey } from "../core/rollout";
import { hardenedContainer, restrictedPod } from "../core/securityContext";
import { isDnsLabel, isDnsSubdomain } from "../core/net";

export interface ResourceList {
    readonly cpu: string;
    readonly memory: string;
}

export interface KeycloakResources {
    readonly requests: ResourceList;
    readonly limits: ResourceList;
}

/**
 * Keycloak's JVM takes a share of the container's memory limit (kc.sh's container heap settings); 2 GiB leaves room
 * for the start-time build and a small realm.
 */
export const defaultKeycloakResources: KeycloakResources = {
    requests: { cpu: "500m", memory: "1Gi" },
    limits: { cpu: "2", memory: "2Gi" },
};

/** Keys of the Secret named by `adminSecretName`. */
export const adminSecretKeys = { username: "username", password: "password" } as const;
/** Keys of the Secret named by `clientSecretName` (`test-user-password` only when the realm has a test user). */
export const clientSecretKeys = {
    clientSecret: "client-secret",
    realmSigningKey: "realm-signing-key",
    testUserPassword: "test-user-password",
} as const;

export interface KeycloakKubeInput {
    readonly namespace: string;
    /** Default `keycloakImage`; must be pinned by tag. */
    readonly image?: string;
    /** DNS name clients and istiod reach Keycloak at; the TLS certificate must be valid for it. */
    readonly hostname: string;
    /** Port in Keycloak's public URL (and the Service's port). Default 8443. */
    readonly port?: number;
    /** kubernetes.io/tls Secret (tls.crt, tls.key) issued by the infrastructure CA for `hostname`. */
    readonly tlsSecretName: string;
    /** Secret with the bootstrap admin's `username` and `password`. */
    readonly adminSecretName: string;
    /**
     * Secret with `client-secret` (32+ characters of [A-Za-z0-9_-]), `realm-signing-key` (jwt.ts
     * keycloakPrivateKeyValue) and, with a test user, `test-user-password`.
     */
    readonly clientSecretName: string;
    readonly realmConfigMapName: string;
    /** The realm file (realm.ts); its issuer must be this Keycloak's. */
    readonly realm: RealmImport;
    /** Only 1 (dev-file database). */
    readonly replicas?: number;
    readonly resources: KeycloakResources;
}

export const keycloakName = "keycloak";
/** The in-cluster Keycloak's Secrets and ConfigMap, by role (the verification layer reads them back). */
export const keycloakObjectNames = {
    tls: "keycloak-tls",
    admin: "keycloak-admin",
    realmSecrets: "keycloak-realm-secrets",
    realm: "keycloak-realm",
} as const;
/** Pod annotation: a hash of image, arguments and realm file (a change rolls the pod, which re-imports). */
export const configHashAnnotation = rolloutKey("config");

/** Kubernetes quantities as the fields use them: millicores or cores; bytes with a binary or decimal suffix. */
const cpuQuantity = /^(?:[1-9][0-9]*m|[0-9]+(?:\.[0-9]+)?)$/;
const memoryQuantity = /^[1-9][0-9]*(?:Ki|Mi|Gi|Ti|k|M|G|T)?$/;

function checkName(field: string, value: string, valid: (v: unknown) => boolean): void {
    if (!valid(value)) {
        throw new Error(`${field}: expected a Kubernetes name (lower-case letters, digits and "-"), got "${value}"`);
    }
}

function checkResources(resources: KeycloakResources): void {
    for (const kind of ["requests", "limits"] as const) {
        const list = resources[kind] as ResourceList | undefined;
        if (!list || !cpuQuantity.test(list.cpu ?? "")) {
            throw new Error(`resources.${kind}.cpu: expected a CPU quantity like "500m" or "2", got "${String(list?.cpu)}"`);
        }
        if (!memoryQuantity.test(list.memory ?? "")) {
            throw new Error(`resources.${kind}.memory: expected a memory quantity like "1Gi", got "${String(list.memory)}"`);
        }
    }
}

const containerSecurityContext = {
    ...hardenedContainer(keycloakUid, keycloakUid),
    seccompProfile: { type: "RuntimeDefault" },
} satisfies k8s.types.input.core.v1.SecurityContext;

function healthProbe(path: string, periodSeconds: number, failureThreshold: number) {
    return {
        httpGet: { path, port: keycloakManagementPort, scheme: "HTTPS" },
        periodSeconds,
        timeoutSeconds: 5,
        failureThreshold,
    } satisfies k8s.types.input.core.v1.Probe;
}

function secretEnv(name: string, secretName: string, key: string) {
    return { name, valueFrom: { secretKeyRef: { name: secretName, key, optional: false } } } satisfies k8s.types.input.core.v1.EnvVar;
}

/** The manifests; throws an Error naming the offending field on invalid input. */
export function keycloakManifests(input: KeycloakKubeInput) {
    checkName("namespace", input.namespace, isDnsLabel);
    for (const field of ["tlsSecretName", "adminSecretName", "clientSecretName", "realmConfigMapName"] as const) {
        checkName(field, input[field], isDnsSubdomain);
    }
    const image = input.image ?? keycloakImage;
    const tag = checkPinnedImage("image", image);
    checkHost("hostname", input.hostname);
    if (input.hostname !== input.hostname.toLowerCase()) {
        throw new Error(`hostname: write it in lower case (the issuer is compared as a string), got "${input.hostname}"`);
    }
    const port = input.port ?? keycloakHttpsPort;
    checkPort("port", port);
    if (port === keycloakManagementPort) {
        throw new Error(`port: ${port} is the management port's Service port; choose another`);
    }
    const replicas = input.replicas ?? 1;
    if (replicas !== 1) {
        throw new Error(
            `replicas: must be 1 (the dev-file database is per pod; more would be separate Keycloaks), got ${String(replicas)}`,
        );
    }
    checkResources(input.resources);
    const publicUrl = publicBaseUrl(input.hostname, port);
    const issuer = issuerUrl(publicUrl, input.realm.realm);
    if (issuer !== input.realm.issuer) {
        throw new Error(`hostname: this Keycloak issues tokens as "${issuer}", but the realm's issuer is "${input.realm.issuer}"`);
    }

    const args = keycloakArgs(publicUrl);
    const labels = {
        "app.kubernetes.io/name": keycloakName,
        "app.kubernetes.io/instance": keycloakName,
        "app.kubernetes.io/version": tag,
        "app.kubernetes.io/part-of": "zta-testbed",
        // Istio's telemetry reads app/version.
        app: keycloakName,
        version: tag,
    };
    const selector = { "app.kubernetes.io/name": keycloakName, "app.kubernetes.io/instance": keycloakName };
    const meta = (name: string) => ({ name, namespace: input.namespace, labels }) satisfies k8s.types.input.meta.v1.ObjectMeta;
    const configHash = sha256Hex(JSON.stringify({ image, args, realm: input.realm.json }));

    const env: ReturnType<typeof secretEnv>[] = [
        secretEnv(bootstrapAdminUsernameEnv, input.adminSecretName, adminSecretKeys.username),
        secretEnv(bootstrapAdminPasswordEnv, input.adminSecretName, adminSecretKeys.password),
        secretEnv(clientSecretEnv, input.clientSecretName, clientSecretKeys.clientSecret),
        secretEnv(realmSigningKeyEnv, input.clientSecretName, clientSecretKeys.realmSigningKey),
    ];
    if (input.realm.secretEnv.includes(testUserPasswordEnv)) {
        env.push(secretEnv(testUserPasswordEnv, input.clientSecretName, clientSecretKeys.testUserPassword));
    }

    const copyTarget = "/mnt/quarkus";
    const initContainer = {
        name: "copy-quarkus",
        image,
        imagePullPolicy: "IfNotPresent",
        // No shell: cp from the image's coreutils (kc.sh itself relies on them).
        command: ["cp", "-R", `${containerQuarkusDir}/.`, `${copyTarget}/`],
        securityContext: containerSecurityContext,
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
        volumeMounts: [{ name: "quarkus", mountPath: copyTarget }],
    } satisfies k8s.types.input.core.v1.Container;

    const container = {
        name: keycloakName,
        image,
        imagePullPolicy: "IfNotPresent",
        args,
        env,
        ports: [
            { name: "https", containerPort: keycloakHttpsPort, protocol: "TCP" },
            { name: "management", containerPort: keycloakManagementPort, protocol: "TCP" },
        ],
        securityContext: containerSecurityContext,
        resources: { requests: { ...input.resources.requests }, limits: { ...input.resources.limits } },
        volumeMounts: [
            { name: "data", mountPath: containerDataDir },
            { name: "realm", mountPath: containerImportDir, readOnly: true },
            { name: "tls", mountPath: containerTlsDir, readOnly: true },
            { name: "quarkus", mountPath: containerQuarkusDir },
            { name: "tmp", mountPath: "/tmp" },
        ],
        // The first start builds and imports: up to 5 minutes before liveness takes over.
        startupProbe: healthProbe("/health/started", 5, 60),
        readinessProbe: healthProbe("/health/ready", 10, 3),
        livenessProbe: healthProbe("/health/live", 10, 3),
    } satisfies k8s.types.input.core.v1.Container;

    return {
        serviceAccount: {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: meta(keycloakName),
            // Keycloak never calls the Kubernetes API.
            automountServiceAccountToken: false,
        } satisfies k8s.types.input.core.v1.ServiceAccount,
        configMap: {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: meta(input.realmConfigMapName),
            data: { [realmFileName]: input.realm.json },
        } satisfies k8s.types.input.core.v1.ConfigMap,
        deployment: {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: meta(keycloakName),
            spec: {
                replicas: 1,
                // Never two pods at once: each would be its own Keycloak.
                strategy: { type: "Recreate" },
                selector: { matchLabels: selector },
                template: {
                    metadata: { labels, annotations: { [configHashAnnotation]: configHash } },
                    spec: {
                        serviceAccountName: keycloakName,
                        automountServiceAccountToken: false,
                        enableServiceLinks: false,
                        hostNetwork: false,
                        hostPID: false,
                        hostIPC: false,
                        // fsGroup makes the 0440 Secret files readable by the keycloak user.
                        securityContext: restrictedPod({ uid: keycloakUid, gid: keycloakUid, fsGroup: keycloakUid }),
                        initContainers: [initContainer],
                        containers: [container],
                        volumes: [
                            { name: "data", emptyDir: { sizeLimit: "1Gi" } },
                            { name: "quarkus", emptyDir: { sizeLimit: "1Gi" } },
                            { name: "tmp", emptyDir: { sizeLimit: "512Mi" } },
                            {
                                name: "realm",
                                configMap: {
                                    name: input.realmConfigMapName,
                                    items: [{ key: realmFileName, path: realmFileName }],
                                    defaultMode: 0o444,
                                    optional: false,
                                },
                            },
                            { name: "tls", secret: { secretName: input.tlsSecretName, defaultMode: 0o440, optional: false } },
                        ],
                    },
                },
            },
        } satisfies k8s.types.input.apps.v1.Deployment,
        service: {
            apiVersion: "v1",
            kind: "Service",
            metadata: meta(keycloakName),
            spec: {
                type: "ClusterIP",
                selector,
                // Port names tell Istio the protocol: both ports speak TLS.
                ports: [
                    { name: "https", port, targetPort: "https", protocol: "TCP" },
                    { name: "https-management", port: keycloakManagementPort, targetPort: "management", protocol: "TCP" },
                ],
            },
        } satisfies k8s.types.input.core.v1.Service,
    };
}

export type KeycloakManifests = ReturnType<typeof keycloakManifests>;
