/** Grafana in the mesh cluster: provisioned datasource and dashboards, admin from a Secret, nothing anonymous. */
import type * as k8s from "@pulumi/kubernetes";
import { stringify } from "yaml";
import { hardenedContainer } from "../core/securityContext";
import { sha256Hex, rolloutKey } from "../core/rollout";

import { GrafanaDashboard, datasource } from "./dashboardModel";
import { grafanaLabels, meta, podSecurity, ports, prometheusUrl, serviceAccounts } from "./objects";

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
