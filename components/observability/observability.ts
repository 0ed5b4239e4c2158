import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

import { ObservabilityConfig } from "../config/model";
import type { KeycloakEndpoint } from "../identity/identity";
import { readerTokenSecretSpec, renderReaderKubeconfig } from "../mesh/remoteSecret";

import { ClusterHandle } from "../platform/handle";
import { createPullSecret, istioImage, pullSecretName } from "../platform/pullSecret";

import { istioNamespace } from "../core/istio";
import { sampleNamespace } from "../workloads/samples";
import { VersionProfile } from "../core/versions";
import { projectDashboards } from "./dashboards";
import {
    observabilityNamespace,
    observabilityNamespaceObject,
    prometheusHost,
    prometheusObjects,
    prometheusService,
    ports,
    serviceAccounts,
} from "./objects";
import { grafanaAdminUser, grafanaObjects, grafanaSecretKeys } from "./grafana";
import { kialiObjects, kialiRemoteApiBypass, kialiRemoteSecretName, kialiViewerRoleName, kialiViewerRules } from "./kiali";
import { observabilityAuthorizationPolicies, observabilityNetworkPolicies, scrapeTargetPolicies } from "./policy";
import { childOptions, createNetworkPolicies } from "../core/resources";

export interface ObservabilityArgs {
    readonly config: ObservabilityConfig;
    /** Every cluster; the first is the mesh cluster (federator, Grafana, Kiali). */
    readonly clusters: readonly ClusterHandle[];
    readonly trustDomain: string;
    readonly versions: VersionProfile;
    readonly ingressNamespace: string;
    readonly workloadCertTtlHours: number;
    /** Istio's image hub (`istioHub`): the injected sidecars' images come from it. */
    readonly istioHub?: string;
    /** Per cluster: istiod, CNI, STRICT mTLS, allow-nothing (injected pods need them first). */
    readonly meshReady: Readonly<Record<string, readonly pulumi.Resource[]>>;
    /** Istio's standard dashboards (file → JSON), already fetched and checked; empty for none. */
    readonly istioDashboards: Readonly<Record<string, string>>;
    /**
     * The federated clusters' east-west gateways as blocks (core/networkPolicy.ts crossNetworkBlocks of the clusters
     * after the first); the federator's 15443 egress goes only there.
     */
    readonly federationBlocks: pulumi.Input<readonly string[]>;
    /** Kiali's OpenID provider. */
    readonly identity: {
        readonly issuer: string;
        readonly caCertPem: pulumi.Output<string>;
        readonly keycloak: KeycloakEndpoint;
        readonly ready: readonly pulumi.Resource[];
    };
}

const kialiTokenSecret = "kiali-token";

/**
 * Metrics, dashboards and the mesh graph: Prometheus in every cluster scraping Istio, the first cluster's Prometheus
 * federating the others over mTLS, Grafana (the project's dashboards and Istio's) and Kiali (OpenID through the
 * realm, read-only, every cluster) there. Credentials are random secrets; no UI is exposed.
 */
export class Observability extends pulumi.ComponentResource {
    /** Grafana's admin login (secret). */
    public readonly grafanaAdmin: pulumi.Output<{ username: string; password: string }>;
    public readonly prometheusUrls: Record<string, string> = {};
    public readonly workloads: pulumi.Resource[] = [];

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:observability:Observability", name, {}, opts);
        const [meshCluster, ...others] = args.clusters;
        if (!meshCluster) {
            throw new Error("observability: no cluster");
        }
        const creds = args.config.credentials;
        const grafanaPassword = creds
            ? creds.grafanaAdminPassword.output()
            : pulumi.secret(new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, { parent: this }).result);
        // Exactly 32 bytes (Kiali accepts 16/24/32); never the addons' CHANGEME.
        const signingKey = creds
            ? creds.kialiSigningKey.output()
            : pulumi.secret(
                  new random.RandomPassword(`${name}-kiali-signing-key`, { length: 32, special: false }, { parent: this }).result,
              );
        this.grafanaAdmin = pulumi.secret(grafanaPassword.apply((password) => ({ username: grafanaAdminUser, password })));

        const namespaces: Record<string, k8s.core.v1.Namespace> = {};
        const pulls: Record<string, pulumi.Resource[]> = {};
        const pullSecrets: Record<string, string | undefined> = {};
        const policies: Record<string, pulumi.Resource[]> = {};
        const kialiRemote: { cluster: ClusterHandle; kubeconfig: pulumi.Output<string> }[] = [];

        for (const c of args.clusters) {
            const mesh = c.name === meshCluster.name;
            const child = childOptions(this, c.provider);
            const base = `${name}-${c.name}`;
            const ns = new k8s.core.v1.Namespace(
                `${base}-namespace`,
                observabilityNamespaceObject(),
                child([...c.ready, ...(args.meshReady[c.name] ?? [])]),
            );
            namespaces[c.name] = ns;
            // What runs here: Prometheus (and in the mesh cluster Grafana and Kiali), each with an injected sidecar.
            const images = [
                args.versions.prometheusImage,
                ...(mesh ? [args.versions.grafanaImage, args.versions.kialiImage] : []),
                istioImage(args.istioHub, "proxyv2"),
            ];
            const pull = createPullSecret(`${base}-pull-secret`, c, observabilityNamespace, images, { parent: this, dependsOn: [ns] });
            pulls[c.name] = pull ? [pull] : [];
            pullSecrets[c.name] = pull ? pullSecretName : undefined;
            const pullSecret = pullSecrets[c.name];

            // Network policy: allows first, default deny last (no window with nothing allowed), all before pods.
            const rendered = pulumi
                .all([
                    pulumi.all(others.map((o) => pulumi.output(o.apiServer))),
                    c.apiServerEndpoints,
                    pulumi.output(args.federationBlocks),
                ])
                .apply(([remoteApiServers, localApiServers, federationBlocks]) =>
                    observabilityNetworkPolicies({
                        mesh,
                        localApiServers,
                        remoteApiServers: mesh ? remoteApiServers : [],
                        federationBlocks: mesh ? federationBlocks : [],
                        keycloak: mesh ? kialiKeycloak(args.identity.keycloak) : undefined,
                    }),
                );
            // Which policies exist does not depend on addresses (placeholders); `rendered` gives each its content.
            const shape = observabilityNetworkPolicies({
                mesh,
                localApiServers: [{ address: "192.0.2.1/32", port: 443 }],
                remoteApiServers: [],
                federationBlocks: mesh && others.length > 0 ? ["192.0.2.1/32"] : [],
                keycloak: mesh ? kialiKeycloak(args.identity.keycloak) : undefined,
            });
            const created = createNetworkPolicies(
                { resourceName: (p) => `${base}-np-${p.metadata.name}`, policies: shape, content: rendered, after: () => [ns] },
                child,
            );
            // The scraped namespaces (created by the mesh layer) let this cluster's Prometheus in.
            const targets = scrapeTargetPolicies({ namespaces: [istioNamespace, args.ingressNamespace, sampleNamespace] }).map(
                (p) =>
                    new k8s.networking.v1.NetworkPolicy(`${base}-scrape-${p.metadata.namespace}`, p, child(args.meshReady[c.name] ?? [])),
            );
            const authz = observabilityAuthorizationPolicies(args.trustDomain, mesh).map(
                (p) =>
                    new k8s.apiextensions.CustomResource(
                        `${base}-authz-${p.metadata.name}`,
                        { ...p },
                        child([ns, ...(args.meshReady[c.name] ?? [])]),
                    ),
            );
            policies[c.name] = [...created, ...targets, ...authz];

            // Prometheus (every cluster).
            const prom = prometheusObjects({
                cluster: c.name,
                image: args.versions.prometheusImage,
                retention: args.config.retention,
                federate: mesh ? others.map((o) => ({ cluster: o.name, address: `${prometheusHost(o.name)}:${ports.prometheus}` })) : [],
                ...(mesh ? { alerts: { workloadCertTtlHours: args.workloadCertTtlHours } } : {}),
                pullSecret,
            });
            const sa = new k8s.core.v1.ServiceAccount(`${base}-prometheus-sa`, prom.serviceAccount, child([ns]));
            const role = new k8s.rbac.v1.ClusterRole(`${base}-prometheus-role`, prom.clusterRole, child());
            const binding = new k8s.rbac.v1.ClusterRoleBinding(`${base}-prometheus-binding`, prom.clusterRoleBinding, child([role, sa]));
            const cm = new k8s.core.v1.ConfigMap(`${base}-prometheus-config`, prom.configMap, child([ns]));
            new k8s.core.v1.Service(`${base}-prometheus-service`, prom.service, child([ns]));
            if (mesh) {
                // Stubs: the mesh cluster must resolve each federated name (Istio supplies the remote endpoints).
                others.forEach((o) => new k8s.core.v1.Service(`${base}-prometheus-stub-${o.name}`, prometheusService(o.name), child([ns])));
            }
            this.prometheusUrls[c.name] = `http://${prometheusHost(c.name)}:${ports.prometheus}`;
            this.workloads.push(
                new k8s.apps.v1.Deployment(
                    `${base}-prometheus`,
                    prom.deployment,
                    child([ns, sa, binding, cm, ...pulls[c.name], ...policies[c.name]]),
                ),
            );

            if (!mesh) {
                // Kiali's read-only identity here, for its remote kubeconfig in the mesh cluster.
                const { serviceAccount: kialiSa, binding: viewerBinding } = kialiViewer(
                    base,
                    child,
                    { metadata: { name: serviceAccounts.kiali, namespace: observabilityNamespace }, automountServiceAccountToken: false },
                    ns,
                );
                const spec = readerTokenSecretSpec();
                const token = new k8s.core.v1.Secret(
                    `${base}-kiali-token`,
                    {
                        ...spec,
                        metadata: {
                            name: kialiTokenSecret,
                            namespace: observabilityNamespace,
                            annotations: { "kubernetes.io/service-account.name": serviceAccounts.kiali },
                        },
                    },
                    child([kialiSa, viewerBinding]),
                );
                kialiRemote.push({
                    cluster: c,
                    kubeconfig: pulumi.secret(
                        pulumi.all([token.data, pulumi.output(c.apiServer)]).apply(([data, server]) =>
                            renderReaderKubeconfig({
                                cluster: c.name,
                                server,
                                caDataBase64: data?.["ca.crt"] ?? "",
                                token: Buffer.from(data?.token ?? "", "base64").toString("utf8"),
                            }),
                        ),
                    ),
                });
            }
        }

        // Grafana and Kiali in the mesh cluster.
        const c = meshCluster;
        const ns = namespaces[c.name];
        const child = childOptions(this, c.provider);
        const base = `${name}-${c.name}`;
        const pullSecret = pullSecrets[c.name];
        const before = [ns, ...pulls[c.name], ...policies[c.name]];

        const grafana = grafanaObjects({
            image: args.versions.grafanaImage,
            meshCluster: c.name,
            projectDashboards: projectDashboards({ workloadCertTtlHours: args.workloadCertTtlHours }),
            istioDashboards: args.istioDashboards,
            adminSecretName: "grafana-admin",
            pullSecret,
        });
        const grafanaSecret = new k8s.core.v1.Secret(
            `${base}-grafana-admin`,
            {
                metadata: { name: "grafana-admin", namespace: observabilityNamespace },
                type: "Opaque",
                stringData: pulumi.secret(
                    grafanaPassword.apply((p) => ({ [grafanaSecretKeys.user]: grafanaAdminUser, [grafanaSecretKeys.password]: p })),
                ),
            },
            child([ns]),
        );
        const gsa = new k8s.core.v1.ServiceAccount(`${base}-grafana-sa`, grafana.serviceAccount, child([ns]));
        const configMaps = [
            new k8s.core.v1.ConfigMap(`${base}-grafana-provisioning`, grafana.provisioning, child([ns])),
            new k8s.core.v1.ConfigMap(`${base}-grafana-dashboards-zta`, grafana.projectDashboards, child([ns])),
            ...(grafana.istioDashboards
                ? [new k8s.core.v1.ConfigMap(`${base}-grafana-dashboards-istio`, grafana.istioDashboards, child([ns]))]
                : []),
        ];
        new k8s.core.v1.Service(`${base}-grafana-service`, grafana.service, child([ns]));
        this.workloads.push(
            new k8s.apps.v1.Deployment(`${base}-grafana`, grafana.deployment, child([...before, grafanaSecret, gsa, ...configMaps])),
        );

        const keycloakPort = args.identity.keycloak.port;
        const kialiInput = {
            image: args.versions.kialiImage,
            cluster: c.name,
            remoteClusters: kialiRemote.map((r) => r.cluster.name),
            issuer: args.identity.issuer,
            localPort: args.config.kialiLocalPort,
            signingKeySecretName: "kiali-signing-key",
            // Keycloak and istiod's monitoring port; the remote API servers below (its own goes through the sidecar).
            bypassPorts: [keycloakPort, 15014],
            pullSecret,
        };
        const kiali = kialiObjects(kialiInput);
        const remoteBypass = pulumi
            .all(kialiRemote.map((r) => pulumi.output(r.cluster.apiServer)))
            .apply((urls) => kialiRemoteApiBypass(urls));
        const { serviceAccount: ksa, binding: viewerBinding } = kialiViewer(base, child, kiali.serviceAccount, ns);
        const signing = new k8s.core.v1.Secret(
            `${base}-kiali-signing-key`,
            {
                metadata: { name: "kiali-signing-key", namespace: observabilityNamespace },
                type: "Opaque",
                stringData: pulumi.secret(signingKey.apply((value) => ({ "value.txt": value }))),
            },
            child([ns]),
        );
        const cabundle = new k8s.core.v1.ConfigMap(
            `${base}-kiali-cabundle`,
            {
                metadata: { name: "kiali-cabundle", namespace: observabilityNamespace },
                data: args.identity.caCertPem.apply((ca) => ({ "openid-server-ca.crt": ca })),
            },
            child([ns]),
        );
        const remoteSecrets = kialiRemote.map(
            (r) =>
                new k8s.core.v1.Secret(
                    `${base}-kiali-remote-${r.cluster.name}`,
                    {
                        metadata: {
                            name: kialiRemoteSecretName(r.cluster.name),
                            namespace: observabilityNamespace,
                            labels: { "kiali.io/multiCluster": "true" },
                            annotations: { "kiali.io/cluster": r.cluster.name },
                        },
                        type: "Opaque",
                        stringData: pulumi.secret(r.kubeconfig.apply((kc) => ({ [r.cluster.name]: kc }))),
                    },
                    child([ns]),
                ),
        );
        const kcm = new k8s.core.v1.ConfigMap(`${base}-kiali-config`, kiali.configMap, child([ns]));
        new k8s.core.v1.Service(`${base}-kiali-service`, kiali.service, child([ns]));
        // The same Deployment with the remote API servers' bypass (addresses, or ports for names) in its annotations.
        const kialiDeployment = remoteBypass.apply(
            (bypass) =>
                kialiObjects({
                    ...kialiInput,
                    bypassPorts: [...kialiInput.bypassPorts, ...bypass.ports],
                    bypassAddresses: bypass.addresses,
                }).deployment,
        );
        this.workloads.push(
            new k8s.apps.v1.Deployment(
                `${base}-kiali`,
                { metadata: kiali.deployment.metadata, spec: kialiDeployment.apply((d) => d.spec) },
                child([...before, ksa, viewerBinding, signing, cabundle, kcm, ...remoteSecrets, ...args.identity.ready]),
            ),
        );
        this.registerOutputs({ prometheusUrls: this.prometheusUrls });
    }
}

/** Kiali's service account bound to the read-only viewer ClusterRole (the mesh cluster's Kiali, or its remote identity). */
function kialiViewer(
    base: string,
    child: (deps?: readonly pulumi.Resource[]) => pulumi.CustomResourceOptions,
    account: k8s.core.v1.ServiceAccountArgs,
    ns: pulumi.Resource,
): { serviceAccount: k8s.core.v1.ServiceAccount; binding: k8s.rbac.v1.ClusterRoleBinding } {
    const serviceAccount = new k8s.core.v1.ServiceAccount(`${base}-kiali-sa`, account, child([ns]));
    const role = new k8s.rbac.v1.ClusterRole(
        `${base}-kiali-viewer`,
        { metadata: { name: kialiViewerRoleName }, rules: kialiViewerRules() },
        child(),
    );
    const binding = new k8s.rbac.v1.ClusterRoleBinding(
        `${base}-kiali-viewer-binding`,
        {
            metadata: { name: kialiViewerRoleName },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: kialiViewerRoleName },
            subjects: [{ kind: "ServiceAccount", name: serviceAccounts.kiali, namespace: observabilityNamespace }],
        },
        child([role, serviceAccount]),
    );
    return { serviceAccount, binding };
}

/** Where Kiali reaches the OpenID issuer, for its egress policy. */
function kialiKeycloak(k: KeycloakEndpoint) {
    return k.kind === "host"
        ? ({ kind: "address", endpoint: { address: `${k.address}/32`, port: k.port } } as const)
        : ({ kind: "pods", namespace: k.namespace, podLabels: { ...k.podLabels }, port: k.port } as const);
}
