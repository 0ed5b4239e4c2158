/**
 * The Kubernetes objects of the observability layer as pure renderers: Prometheus in every cluster, and in the
 * first (the "mesh" cluster) Prometheus also federating the others, Grafana and Kiali. Plain manifests, not charts:
 * they deploy unchanged on the sim (no chart repository offline) and every field is reviewed here.
 *
 * Everything runs in namespace `observability`, injected (sidecars), Pod Security `restricted`:
 * - Prometheus scrapes Istio's plaintext metrics ports (15014 istiod, 15020 merged) around its
 *   sidecar (excludeOutboundPorts), as istio.io's Prometheus integration does, and reaches the API server directly.
 * - Federation is a plain HTTP request to `prometheus-<cluster>.observability.svc.cluster.local:9090`: the federator's
 *   sidecar carries it over mTLS through the remote network's east-west gateway; the remote Prometheus admits only
 *   the federator's identity on GET /federate (objects in policy.ts). Never plaintext across networks.
 * - Grafana and Kiali query the mesh Prometheus over mTLS as their own identities. Their UIs are reached with
 *   `kubectl port-forward` (Kubernetes RBAC, then the UI's own login); nothing in or outside the mesh may call them.
 */
import { stringify } from "yaml";
import type * as k8s from "@pulumi/kubernetes";

import { psaLabels } from "../core/podSecurity";
import { istioNamespace } from "../core/istio";

import { hardenedContainer, restrictedPod } from "../core/securityContext";
import { AlertInput, alertRules } from "./alerts";
import { GrafanaDashboard, datasource } from "./dashboards";
import { FederationTarget, federationJobName, prometheusConfig } from "./prometheus";
import { sha256Hex, rolloutKey } from "../core/rollout";

export const observabilityNamespace = "observability";
export const ports = { prometheus: 9090, grafana: 3000, kiali: 20001, kialiMetrics: 9090 } as const;
/** Label on each Prometheus pod naming its cluster: the per-cluster Service selects by it. */
export const clusterPodLabel = "zta.observability/cluster";
export const prometheusLabels = { app: "prometheus" } as const;
export const grafanaLabels = { app: "grafana" } as const;
export const kialiLabels = { app: "kiali" } as const;
export const serviceAccounts = {
    prometheus: "prometheus",
    /** The mesh-wide Prometheus's identity: the only one other clusters' Prometheus answer /federate to. */
    federator: "prometheus-federator",
    grafana: "grafana",
    kiali: "kiali",
} as const;
export const kialiWebRoot = "/kiali";
export const kialiClientId = "kiali";

/** The per-cluster Prometheus Service; in the mesh cluster also as a stub (no local endpoints) for DNS. */
export const prometheusServiceName = (cluster: string): string => `prometheus-${cluster}`;
export const prometheusHost = (cluster: string): string => `${prometheusServiceName(cluster)}.${observabilityNamespace}.svc.cluster.local`;
export const prometheusUrl = (cluster: string): string => `http://${prometheusHost(cluster)}:${ports.prometheus}`;

type Meta = { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
const meta = (name: string, labels?: Record<string, string>): Meta => ({
    name,
    namespace: observabilityNamespace,
    ...(labels ? { labels } : {}),
});

export function observabilityNamespaceObject() {
    return {
        metadata: { name: observabilityNamespace, labels: { "istio-injection": "enabled", ...psaLabels("restricted") } },
    } satisfies k8s.types.input.core.v1.Namespace;
}

/** Pod-level security for every pod here (the injected containers inherit seccomp). */
const podSecurity = (uid: number) => restrictedPod({ uid, gid: uid, fsGroup: uid });

/** Outbound ports that bypass the sidecar: Istio's plaintext metrics ports and the API servers (not in the mesh). */
export function sidecarBypassAnnotation(ports: readonly number[]): Record<string, string> {
    const unique = [...new Set(ports)].sort((a, b) => a - b);
    return { "traffic.sidecar.istio.io/excludeOutboundPorts": unique.join(",") };
}

const readRules = ["get", "list", "watch"];

// ---------------------------------------------------------------- Prometheus

export interface PrometheusInput {
    readonly cluster: string;
    readonly image: string;
    readonly retention: string;
    /** The mesh cluster's Prometheus federates these; empty elsewhere. */
    readonly federate: readonly FederationTarget[];
    /** Alert rules: the mesh-wide Prometheus only (it sees every cluster). */
    readonly alerts?: Omit<AlertInput, "federationJobs">;
    /** API server ports as pods reach them (the sidecar bypass). */
    readonly apiServerPorts: readonly number[];
    readonly pullSecret?: string;
}

export const prometheusRuleFile = "/etc/prometheus/alerts.yml";

export function prometheusObjects(input: PrometheusInput) {
    const mesh = input.alerts !== undefined;
    const config = prometheusConfig({
        cluster: input.cluster,
        istioNamespace,
        ruleFiles: mesh ? [prometheusRuleFile] : [],
        federate: input.federate,
    });
    const data: Record<string, string> = { "prometheus.yml": stringify(config) };
    if (input.alerts) {
        data["alerts.yml"] = stringify({
            groups: alertRules({ ...input.alerts, federationJobs: input.federate.map((f) => federationJobName(f.cluster)) }),
        });
    }
    const sa = mesh ? serviceAccounts.federator : serviceAccounts.prometheus;
    const labels = { ...prometheusLabels, [clusterPodLabel]: input.cluster };
    const configHash = sha256Hex(JSON.stringify(data));
    return {
        serviceAccount: { metadata: meta(sa) } satisfies k8s.types.input.core.v1.ServiceAccount,
        clusterRole: {
            metadata: { name: "zta-observability-prometheus" },
            rules: [
                { apiGroups: [""], resources: ["pods", "endpoints", "services"], verbs: readRules },
                { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: readRules },
            ],
        } satisfies k8s.types.input.rbac.v1.ClusterRole,
        clusterRoleBinding: {
            metadata: { name: "zta-observability-prometheus" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "zta-observability-prometheus" },
            subjects: [{ kind: "ServiceAccount", name: sa, namespace: observabilityNamespace }],
        } satisfies k8s.types.input.rbac.v1.ClusterRoleBinding,
        configMap: { metadata: meta("prometheus-config"), data } satisfies k8s.types.input.core.v1.ConfigMap,
        service: prometheusService(input.cluster),
        deployment: {
            metadata: meta("prometheus", labels),
            spec: {
                replicas: 1,
                // One TSDB writer at a time.
                strategy: { type: "Recreate" },
                selector: { matchLabels: labels },
                template: {
                    metadata: {
                        labels,
                        annotations: {
                            ...sidecarBypassAnnotation([15014, 15020, ...input.apiServerPorts]),
                            // No lifecycle API (it would let any caller shut Prometheus down): a new config rolls the pod.
                            [rolloutKey("config")]: configHash,
                        },
                    },
                    spec: {
                        serviceAccountName: sa,
                        // Kubernetes service discovery (policypack TOKEN_MOUNT_SERVICE_ACCOUNTS).
                        automountServiceAccountToken: true,
                        enableServiceLinks: false,
                        securityContext: podSecurity(65534),
                        ...(input.pullSecret ? { imagePullSecrets: [{ name: input.pullSecret }] } : {}),
                        containers: [
                            {
                                name: "prometheus",
                                image: input.image,
                                imagePullPolicy: "IfNotPresent",
                                args: [
                                    "--config.file=/etc/prometheus/prometheus.yml",
                                    "--storage.tsdb.path=/prometheus",
                                    `--storage.tsdb.retention.time=${input.retention}`,
                                    `--web.listen-address=:${ports.prometheus}`,
                                ],
                                ports: [{ name: "http-web", containerPort: ports.prometheus, protocol: "TCP" }],
                                readinessProbe: {
                                    httpGet: { path: "/-/ready", port: ports.prometheus },
                                    periodSeconds: 10,
                                    failureThreshold: 6,
                                },
                                livenessProbe: {
                                    httpGet: { path: "/-/healthy", port: ports.prometheus },
                                    periodSeconds: 20,
                                    failureThreshold: 6,
                                },
                                resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
                                securityContext: hardenedContainer(65534, 65534),
                                volumeMounts: [
                                    { name: "config", mountPath: "/etc/prometheus", readOnly: true },
                                    { name: "data", mountPath: "/prometheus" },
                                ],
                            },
                        ],
                        volumes: [
                            { name: "config", configMap: { name: "prometheus-config" } },
                            // Ephemeral by design: the testbed is rebuilt per experiment; a restart loses history.
                            { name: "data", emptyDir: { sizeLimit: "8Gi" } },
                        ],
                    },
                },
            },
        } satisfies k8s.types.input.apps.v1.Deployment,
    };
}

/**
 * `prometheus-<cluster>`: the same object in that cluster and (as a stub that selects no local pod) in the mesh
 * cluster, which must resolve the name; Istio merges the endpoints of both, so the name leads only to that cluster's
 * Prometheus. Port name `http-` makes Istio treat it as HTTP (path-level authorization).
 */
export function prometheusService(cluster: string) {
    return {
        metadata: meta(prometheusServiceName(cluster), { ...prometheusLabels }),
        spec: {
            selector: { ...prometheusLabels, [clusterPodLabel]: cluster },
            ports: [{ name: "http-web", port: ports.prometheus, targetPort: ports.prometheus, protocol: "TCP" }],
        },
    } satisfies k8s.types.input.core.v1.Service;
}

// ---------------------------------------------------------------- Grafana

export interface GrafanaInput {
    readonly image: string;
    /** The mesh-wide Prometheus (first cluster). */
    readonly meshCluster: string;
    readonly projectDashboards: readonly GrafanaDashboard[];
    /** Istio's dashboards, file name → JSON text (empty: none). */
    readonly istioDashboards: Readonly<Record<string, string>>;
    /** Name of the Secret with keys `admin-user` and `admin-password`. */
    readonly adminSecretName: string;
    readonly pullSecret?: string;
}

export const grafanaAdminUser = "admin";
export const grafanaSecretKeys = { user: "admin-user", password: "admin-password" } as const;
const dashboardDir = "/var/lib/grafana/dashboards";

export function grafanaProvisioning(input: Pick<GrafanaInput, "meshCluster" | "istioDashboards">) {
    const providers = [
        { name: "zta", folder: "Zero Trust", path: `${dashboardDir}/zta` },
        ...(Object.keys(input.istioDashboards).length > 0 ? [{ name: "istio", folder: "Istio", path: `${dashboardDir}/istio` }] : []),
    ];
    return {
        "datasources.yaml": stringify({
            apiVersion: 1,
            // Remove anything else a previous version provisioned.
            deleteDatasources: [],
            datasources: [
                {
                    name: "Mesh Prometheus",
                    uid: datasource.uid,
                    type: datasource.type,
                    access: "proxy",
                    url: prometheusUrl(input.meshCluster),
                    isDefault: true,
                    editable: false,
                    jsonData: { timeInterval: "15s", httpMethod: "POST" },
                },
            ],
        }),
        "dashboards.yaml": stringify({
            apiVersion: 1,
            providers: providers.map((p) => ({
                name: p.name,
                folder: p.folder,
                type: "file",
                disableDeletion: true,
                allowUiUpdates: false,
                updateIntervalSeconds: 60,
                options: { path: p.path },
            })),
        }),
    };
}

export function grafanaObjects(input: GrafanaInput) {
    const provisioning = grafanaProvisioning(input);
    const zta = Object.fromEntries(input.projectDashboards.map((d) => [`${d.uid}.json`, JSON.stringify(d, null, 1)]));
    const istio = { ...input.istioDashboards };
    const hasIstio = Object.keys(istio).length > 0;
    const env = (name: string, value: string) => ({ name, value });
    const fromSecret = (name: string, key: string) => ({
        name,
        valueFrom: { secretKeyRef: { name: input.adminSecretName, key, optional: false } },
    });
    const contentHash = sha256Hex(JSON.stringify([provisioning, zta, istio]));
    return {
        serviceAccount: { metadata: meta(serviceAccounts.grafana), automountServiceAccountToken: false },
        provisioning: { metadata: meta("grafana-provisioning"), data: provisioning } satisfies k8s.types.input.core.v1.ConfigMap,
        projectDashboards: { metadata: meta("grafana-dashboards-zta"), data: zta } satisfies k8s.types.input.core.v1.ConfigMap,
        istioDashboards: hasIstio
            ? ({ metadata: meta("grafana-dashboards-istio"), data: istio } satisfies k8s.types.input.core.v1.ConfigMap)
            : undefined,
        service: {
            metadata: meta("grafana", { ...grafanaLabels }),
            spec: {
                selector: { ...grafanaLabels },
                ports: [{ name: "http", port: ports.grafana, targetPort: ports.grafana, protocol: "TCP" }],
            },
        } satisfies k8s.types.input.core.v1.Service,
        deployment: {
            metadata: meta("grafana", { ...grafanaLabels }),
            spec: {
                replicas: 1,
                strategy: { type: "Recreate" },
                selector: { matchLabels: { ...grafanaLabels } },
                template: {
                    metadata: {
                        labels: { ...grafanaLabels },
                        annotations: { [rolloutKey("content")]: contentHash },
                    },
                    spec: {
                        serviceAccountName: serviceAccounts.grafana,
                        automountServiceAccountToken: false,
                        enableServiceLinks: false,
                        securityContext: podSecurity(472),
                        ...(input.pullSecret ? { imagePullSecrets: [{ name: input.pullSecret }] } : {}),
                        containers: [
                            {
                                name: "grafana",
                                image: input.image,
                                imagePullPolicy: "IfNotPresent",
                                env: [
                                    fromSecret("GF_SECURITY_ADMIN_USER", grafanaSecretKeys.user),
                                    fromSecret("GF_SECURITY_ADMIN_PASSWORD", grafanaSecretKeys.password),
                                    // No anonymous access, no self sign-up: the admin (random password) is the only login.
                                    env("GF_AUTH_ANONYMOUS_ENABLED", "false"),
                                    env("GF_USERS_ALLOW_SIGN_UP", "false"),
                                    env("GF_USERS_ALLOW_ORG_CREATE", "false"),
                                    env("GF_SECURITY_DISABLE_GRAVATAR", "true"),
                                    env("GF_SECURITY_COOKIE_SAMESITE", "strict"),
                                    env("GF_SNAPSHOTS_EXTERNAL_ENABLED", "false"),
                                    // Nothing leaves the cluster (the NetworkPolicy would drop it anyway).
                                    env("GF_ANALYTICS_REPORTING_ENABLED", "false"),
                                    env("GF_ANALYTICS_CHECK_FOR_UPDATES", "false"),
                                    env("GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES", "false"),
                                    env("GF_NEWS_NEWS_FEED_ENABLED", "false"),
                                    env("GF_PLUGINS_PLUGIN_ADMIN_ENABLED", "false"),
                                    env("GF_PATHS_DATA", "/var/lib/grafana"),
                                    env("GF_PATHS_PLUGINS", "/var/lib/grafana/plugins"),
                                    env("GF_PATHS_PROVISIONING", "/etc/grafana/provisioning"),
                                    env("GF_LOG_MODE", "console"),
                                ],
                                ports: [{ name: "http", containerPort: ports.grafana, protocol: "TCP" }],
                                readinessProbe: { httpGet: { path: "/api/health", port: ports.grafana }, periodSeconds: 10 },
                                livenessProbe: {
                                    httpGet: { path: "/api/health", port: ports.grafana },
                                    periodSeconds: 20,
                                    failureThreshold: 6,
                                },
                                resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
                                securityContext: hardenedContainer(472, 472),
                                volumeMounts: [
                                    { name: "data", mountPath: "/var/lib/grafana" },
                                    { name: "tmp", mountPath: "/tmp" },
                                    {
                                        name: "provisioning",
                                        mountPath: "/etc/grafana/provisioning/datasources/datasources.yaml",
                                        subPath: "datasources.yaml",
                                        readOnly: true,
                                    },
                                    {
                                        name: "provisioning",
                                        mountPath: "/etc/grafana/provisioning/dashboards/dashboards.yaml",
                                        subPath: "dashboards.yaml",
                                        readOnly: true,
                                    },
                                    { name: "dashboards-zta", mountPath: `${dashboardDir}/zta`, readOnly: true },
                                    ...(hasIstio ? [{ name: "dashboards-istio", mountPath: `${dashboardDir}/istio`, readOnly: true }] : []),
                                ],
                            },
                        ],
                        volumes: [
                            { name: "data", emptyDir: { sizeLimit: "1Gi" } },
                            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                            { name: "provisioning", configMap: { name: "grafana-provisioning" } },
                            { name: "dashboards-zta", configMap: { name: "grafana-dashboards-zta" } },
                            ...(hasIstio ? [{ name: "dashboards-istio", configMap: { name: "grafana-dashboards-istio" } }] : []),
                        ],
                    },
                },
            },
        } satisfies k8s.types.input.apps.v1.Deployment,
    };
}

// ---------------------------------------------------------------- Kiali

/** Read-only Kiali (view_only_mode): kiali-server's `kiali-viewer` role without the OpenShift rules. */
export function kialiViewerRules(): { apiGroups: string[]; resources: string[]; verbs: string[] }[] {
    return [
        { apiGroups: [""], resources: ["configmaps", "endpoints", "pods/log"], verbs: readRules },
        { apiGroups: [""], resources: ["namespaces", "pods", "replicationcontrollers", "services"], verbs: readRules },
        // Kiali reads istiod's and the proxies' debug endpoints through the API server (port-forward).
        { apiGroups: [""], resources: ["pods/portforward"], verbs: ["create", "post"] },
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
    /** Ports that bypass the sidecar (API servers, Keycloak, istiod's monitoring port). */
    readonly bypassPorts: readonly number[];
    readonly pullSecret?: string;
}

/** Kiali's config.yaml: OpenID through Keycloak (multi-cluster needs openid or anonymous), read-only. */
export function kialiConfig(input: Omit<KialiInput, "image" | "signingKeySecretName" | "bypassPorts" | "pullSecret">) {
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
                            ...sidecarBypassAnnotation(input.bypassPorts),
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
