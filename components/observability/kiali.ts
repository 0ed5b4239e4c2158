/** Kiali in the mesh cluster: read-only, OpenID through the realm, every cluster through viewer kubeconfigs. */
import type * as k8s from "@pulumi/kubernetes";
import { stringify } from "yaml";
import { hardenedContainer } from "../core/securityContext";
import { sha256Hex, rolloutKey } from "../core/rollout";
import { istioNamespace } from "../core/istio";
import { anyAddress, apiServerEndpoint } from "../core/networkPolicy";
import {
    kialiClientId,
    kialiLabels,
    kialiWebRoot,
    meta,
    observabilityNamespace,
    podSecurity,
    ports,
    prometheusUrl,
    readRules,
    serviceAccounts,
    sidecarBypassAnnotation,
} from "./objects";

/**
 * Read-only Kiali (view_only_mode): kiali-server's `kiali-viewer` role without the OpenShift rules and without
 * `pods/portforward`. Kiali port-forwards to a pod's Envoy admin port (15000: the workload's Envoy tab, config_dump)
 * and to istiod's 15014 (proxy sync status via /debug/syncz; a remote cluster's istiod version), but RBAC cannot narrow
 * port-forward to a port or a pod label: it would open every pod's localhost — Envoy's admin API (POST /quitquitquit,
 * /logging), istiod's plaintext xDS on 15010 — past NetworkPolicy and mesh authorization. Those Kiali panels stay empty
 * (README, Security model); `istioctl proxy-status`/`proxy-config` with an admin kubeconfig show the same.
 */
export function kialiViewerRules(): { apiGroups: string[]; resources: string[]; verbs: string[] }[] {
    return [
        { apiGroups: [""], resources: ["configmaps", "endpoints", "pods/log"], verbs: readRules },
        { apiGroups: [""], resources: ["namespaces", "pods", "replicationcontrollers", "services"], verbs: readRules },
        { apiGroups: ["extensions", "apps"], resources: ["daemonsets", "deployments", "replicasets", "statefulsets"], verbs: readRules },
        { apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: readRules },
        {
            apiGroups: [
                "networking.istio.io",
                "security.istio.io",
                "extensions.istio.io",
                "telemetry.istio.io",
                "gateway.networking.k8s.io",
            ],
            resources: ["*"],
            verbs: readRules,
        },
        { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
        { apiGroups: ["admissionregistration.k8s.io"], resources: ["mutatingwebhookconfigurations"], verbs: readRules },
    ];
}

export const kialiViewerRoleName = "zta-kiali-viewer";
export const kialiRemoteSecretName = (cluster: string): string => `kiali-remote-cluster-secret-${cluster}`;
/** Kiali reads each remote cluster's kubeconfig from here (kubernetes/cluster_secret.go, 2.0 and 2.26). */
export const kialiRemoteSecretsDir = "/kiali-remote-cluster-secrets";
/** Override file for login_token.signing_key (config/config.go, 2.0 and 2.26). */
export const kialiSigningKeyDir = "/kiali-override-secrets/login-token-signing-key";
/** CA bundle Kiali trusts the OpenID issuer with (2.0: openid controller; 2.26: config). */
export const kialiCaBundleDir = "/kiali-cabundle";

export interface KialiInput {
    readonly image: string;
    /** Home cluster (Istio cluster ID). */
    readonly cluster: string;
    /** Other clusters: their kubeconfig Secrets are mounted. */
    readonly remoteClusters: readonly string[];
    readonly issuer: string;
    readonly localPort: number;
    readonly signingKeySecretName: string;
    /** Ports that bypass the sidecar (Keycloak, istiod's monitoring port, remote API servers known only by name). */
    readonly bypassPorts: readonly number[];
    /** Single addresses that bypass the sidecar (remote API servers known by address). */
    readonly bypassAddresses?: readonly string[];
    readonly pullSecret?: string;
}

/** Kiali's config.yaml: OpenID through Keycloak (multi-cluster needs openid or anonymous), read-only. */
export function kialiConfig(input: Omit<KialiInput, "image" | "signingKeySecretName" | "bypassPorts" | "bypassAddresses" | "pullSecret">) {
    return {
        auth: {
            strategy: "openid",
            openid: {
                client_id: kialiClientId,
                issuer_uri: input.issuer,
                // Keycloak's tokens gate the UI; the API calls use Kiali's read-only service accounts in every
                // cluster (the API servers do not trust Keycloak, and remote clusters could not use the token).
                disable_rbac: true,
                username_claim: "preferred_username",
                scopes: ["openid", "profile"],
                authentication_timeout: 300,
            },
        },
        deployment: { cluster_wide_access: true, view_only_mode: true, namespace: observabilityNamespace, instance_name: "kiali" },
        // 2.0 reads this key; 2.26 finds istiod by label and ignores it.
        istio_namespace: istioNamespace,
        external_services: {
            istio: { root_namespace: istioNamespace },
            prometheus: { url: prometheusUrl(input.cluster) },
            // Kiali would need Grafana credentials to link dashboards; it has none.
            grafana: { enabled: false },
            tracing: { enabled: false },
            custom_dashboards: { enabled: true },
        },
        kubernetes_config: { cluster_name: input.cluster },
        login_token: { expiration_seconds: 3600 },
        server: {
            port: ports.kiali,
            web_root: kialiWebRoot,
            // The OpenID redirect goes to the port-forward on the user's machine.
            web_fqdn: "localhost",
            web_port: String(input.localPort),
            web_schema: "http",
            observability: { metrics: { enabled: true, port: ports.kialiMetrics } },
        },
    };
}

/**
 * How Kiali reaches the OTHER clusters' API servers around its sidecar (they are outside the mesh's registry, and
 * REGISTRY_ONLY would refuse them): by address when the URL names one (a /32 or /128 on excludeOutboundIPRanges);
 * a URL with a DNS name can only be bypassed by its port (the address it resolves to in the pod is not known here).
 * Its own cluster's API server needs no bypass: the `kubernetes` Service is in the registry.
 */
export function kialiRemoteApiBypass(urls: readonly string[]): { ports: number[]; addresses: string[] } {
    const ports: number[] = [];
    const addresses: string[] = [];
    for (const url of urls) {
        const e = apiServerEndpoint(url);
        if (e.address === anyAddress) {
            ports.push(e.port);
        } else {
            addresses.push(e.address);
        }
    }
    return { ports: [...new Set(ports)], addresses: [...new Set(addresses)] };
}

/** Where the OpenID provider may send the browser back to (the Keycloak client's redirect URIs). */
export function kialiRedirectUris(localPort: number): string[] {
    return [`http://localhost:${localPort}${kialiWebRoot}`, `http://localhost:${localPort}${kialiWebRoot}/*`];
}

export function kialiObjects(input: KialiInput) {
    const config = stringify(kialiConfig(input));
    const remote = [...input.remoteClusters];
    return {
        serviceAccount: { metadata: meta(serviceAccounts.kiali) } satisfies k8s.types.input.core.v1.ServiceAccount,
        configMap: { metadata: meta("kiali"), data: { "config.yaml": config } } satisfies k8s.types.input.core.v1.ConfigMap,
        service: {
            metadata: meta("kiali", { ...kialiLabels }),
            spec: {
                selector: { ...kialiLabels },
                ports: [{ name: "http", port: ports.kiali, targetPort: ports.kiali, protocol: "TCP" }],
            },
        } satisfies k8s.types.input.core.v1.Service,
        deployment: {
            metadata: meta("kiali", { ...kialiLabels }),
            spec: {
                replicas: 1,
                selector: { matchLabels: { ...kialiLabels } },
                template: {
                    metadata: {
                        labels: { ...kialiLabels },
                        annotations: {
                            ...sidecarBypassAnnotation(input.bypassPorts, input.bypassAddresses),
                            [rolloutKey("config")]: sha256Hex(config + remote.join(",")),
                        },
                    },
                    spec: {
                        serviceAccountName: serviceAccounts.kiali,
                        // Kiali reads the mesh through the API server (policypack TOKEN_MOUNT_SERVICE_ACCOUNTS).
                        automountServiceAccountToken: true,
                        enableServiceLinks: false,
                        securityContext: podSecurity(1000),
                        ...(input.pullSecret ? { imagePullSecrets: [{ name: input.pullSecret }] } : {}),
                        containers: [
                            {
                                name: "kiali",
                                image: input.image,
                                imagePullPolicy: "IfNotPresent",
                                command: ["/opt/kiali/kiali", "-config", "/kiali-configuration/config.yaml"],
                                env: [{ name: "ACTIVE_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }],
                                ports: [
                                    { name: "api-port", containerPort: ports.kiali, protocol: "TCP" },
                                    { name: "http-metrics", containerPort: ports.kialiMetrics, protocol: "TCP" },
                                ],
                                readinessProbe: { httpGet: { path: `${kialiWebRoot}/healthz`, port: ports.kiali }, periodSeconds: 30 },
                                livenessProbe: { httpGet: { path: `${kialiWebRoot}/healthz`, port: ports.kiali }, periodSeconds: 30 },
                                resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "500m", memory: "1Gi" } },
                                securityContext: hardenedContainer(1000, 1000),
                                volumeMounts: [
                                    { name: "config", mountPath: "/kiali-configuration", readOnly: true },
                                    { name: "signing-key", mountPath: kialiSigningKeyDir, readOnly: true },
                                    { name: "cabundle", mountPath: kialiCaBundleDir, readOnly: true },
                                    ...remote.map((c) => ({
                                        name: `remote-${c}`,
                                        mountPath: `${kialiRemoteSecretsDir}/${kialiRemoteSecretName(c)}`,
                                        readOnly: true,
                                    })),
                                ],
                            },
                        ],
                        volumes: [
                            { name: "config", configMap: { name: "kiali" } },
                            { name: "signing-key", secret: { secretName: input.signingKeySecretName, optional: false } },
                            { name: "cabundle", configMap: { name: "kiali-cabundle" } },
                            ...remote.map((c) => ({
                                name: `remote-${c}`,
                                secret: { secretName: kialiRemoteSecretName(c), optional: false },
                            })),
                        ],
                    },
                },
            },
        } satisfies k8s.types.input.apps.v1.Deployment,
    };
}
