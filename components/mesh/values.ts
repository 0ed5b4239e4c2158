/**
 * Pure renderers for the Istio Helm releases and Istio objects: plain data in, plain data out, so tests
 * check exactly what the charts receive. Top-level chart keys only (never `_internal_defaults_do_not_set`).
 */
import { HelmConfig } from "../config/model";
import { ChartSource, helmChartSource } from "../core/helm";
import type { MeshConfigValues } from "../policy/mesh";
import { psaLabels } from "../policy/psa";
import { IstioChart } from "../core/versions";

export const istioNamespace = "istio-system";
export const networkLabel = "topology.istio.io/network";
export const eastWestGatewayName = "istio-eastwestgateway";
export const ingressGatewayName = "istio-ingressgateway";
export const crossNetworkGatewayName = "cross-network-gateway";
/** Port istiod expects network gateways on (mTLS AUTO_PASSTHROUGH). */
export const crossNetworkPort = 15443;
/** Annotation carrying the CA bundle hash so istiod restarts when cacerts changes (istio#57853). */
export const cacertsHashAnnotation = "zta-testbed.dev/cacerts-sha256";

export const releaseNames = {
    base: "istio-base",
    cni: "istio-cni",
    istiod: "istiod",
    eastWest: eastWestGatewayName,
    ingress: ingressGatewayName,
} as const;

/** Where helm.v3.Release finds a chart: the pinned upstream repo, or a local dir for air-gapped runs. */
export function chartSource(helm: HelmConfig, chart: IstioChart, version: string): ChartSource {
    return helmChartSource(helm.chartDir, "istio", chart, version, helm.repository);
}

/**
 * Pod Security labels of the namespaces the Istio charts run in: enforce `baseline` (no privileged containers, host
 * namespaces or host paths), audit and warn `restricted`. Not enforced `restricted`: the istiod and gateway charts do
 * not set a seccomp profile in every pinned version, and an enforced level the charts miss would stop the install.
 */
export function istioNamespacePsaLabels(): Record<string, string> {
    return {
        ...psaLabels("baseline"),
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    };
}

export function namespaceLabels(network: string): Record<string, string> {
    return { ...istioNamespacePsaLabels(), [networkLabel]: network };
}

/** Namespace of the istio-cni node agent: kube-system, already on the short `privileged` allow-list (components/policy/psa.ts). */
export const cniNamespace = "kube-system";

/** Platforms whose node layout Istio's cni chart knows (`files/profile-platform-<name>.yaml`; `gke` from 1.25 on). */
export const istioPlatforms = ["gke", "k3d", "k3s", "microk8s", "minikube", "openshift"] as const;
export type IstioPlatform = (typeof istioPlatforms)[number];

export interface CniValuesInput {
    /** Istio release of the chart (decides which platform profiles exist). */
    readonly istio: string;
    readonly platform?: IstioPlatform;
    /** Image hub override (the private registry), as istiod's. */
    readonly hub?: string;
    readonly imagePullSecrets?: readonly string[];
}

/** Whether `version` (x.y.z) is at least `major.minor`. */
function atLeast(version: string, major: number, minor: number): boolean {
    const [a, b] = version.split(".").map(Number);
    return a > major || (a === major && b >= minor);
}

/**
 * The istio-cni node agent sets up each pod's traffic redirection, so injected pods need no istio-init container with
 * NET_ADMIN/NET_RAW and application namespaces can enforce Pod Security `restricted`. Chained after the cluster's CNI
 * (Cilium keeps other CNI configurations: `cni.exclusive: false`). `platform` picks Istio's node paths; the 1.24
 * chart has no `gke` profile (it fails on an unknown platform) but detects GKE by its Kubernetes version itself.
 */
export function cniValues(v: CniValuesInput): Record<string, unknown> {
    const platform = v.platform === "gke" && !atLeast(v.istio, 1, 25) ? undefined : v.platform;
    const global = {
        ...(platform !== undefined ? { platform } : {}),
        ...(v.hub !== undefined ? { hub: v.hub } : {}),
        ...(v.imagePullSecrets?.length ? { imagePullSecrets: [...v.imagePullSecrets] } : {}),
    };
    return Object.keys(global).length > 0 ? { global } : {};
}

/** The base chart needs nothing for this topology (CRDs, reader service account). */
export function baseValues(): Record<string, unknown> {
    return {};
}

export interface IstiodValuesInput {
    readonly meshId: string;
    readonly cluster: string;
    readonly network: string;
    readonly trustDomain: string;
    readonly hub?: string;
    /** SHA-256 of the cacerts bundle (public parts). */
    readonly cacertsHash: string;
    /** Pull secrets (names) for istiod and injected proxies, when images come from a private registry. */
    readonly imagePullSecrets?: readonly string[];
    /** Zero-trust mesh settings (REGISTRY_ONLY egress, workload certificate lifetime): components/policy/mesh.ts. */
    readonly meshPolicy: MeshConfigValues;
}

export function istiodValues(v: IstiodValuesInput): Record<string, unknown> {
    return {
        global: {
            meshID: v.meshId,
            // Unset, every cluster calls itself "Kubernetes" and remote secrets collide (istio#42516).
            multiCluster: { clusterName: v.cluster },
            network: v.network,
            ...(v.hub !== undefined ? { hub: v.hub } : {}),
            ...(v.imagePullSecrets?.length ? { imagePullSecrets: [...v.imagePullSecrets] } : {}),
        },
        meshConfig: { trustDomain: v.trustDomain, ...v.meshPolicy.meshConfig },
        // istiod picks its CA once at start-up: a new cacerts must restart it.
        pilot: {
            podAnnotations: { [cacertsHashAnnotation]: v.cacertsHash },
            ...v.meshPolicy.pilot,
            // Injection relies on the istio-cni agent instead of an istio-init container (see cniValues).
            cni: { enabled: true },
        },
    };
}

export interface GatewayValuesInput {
    /** Workload certificate lifetime the proxies request (e.g. "24h"): a change rolls the gateway pods. */
    readonly certTtl: string;
    readonly network: string;
    readonly serviceAnnotations: Readonly<Record<string, string>>;
    /** Pull secrets (names) when images come from a private registry. */
    readonly imagePullSecrets?: readonly string[];
}

/**
 * Pod annotation carrying the requested certificate lifetime: the proxy's SECRET_TTL is fixed at injection, so a
 * changed lifetime must restart the gateway pods, or they keep requesting the old one (which istiod's lower
 * MAX_WORKLOAD_CERT_TTL would refuse at the next rotation). Helm merges it with the chart's own annotations.
 */
export const certTtlAnnotation = "zta-testbed.dev/workload-cert-ttl";

function pullSecretsValue(names: readonly string[] | undefined): Record<string, unknown> {
    return names?.length ? { imagePullSecrets: names.map((name) => ({ name })) } : {};
}

/**
 * East-west gateway: `networkGateway` alone labels the Service and pods with the network (pod label from
 * chart 1.26 on, the oldest gateway chart pinned), fixes the Service ports (15021, 15443, 15012, 15017) and
 * sets ISTIO_META_REQUESTED_NETWORK_VIEW.
 */
export function eastWestGatewayValues(v: GatewayValuesInput): Record<string, unknown> {
    return {
        name: eastWestGatewayName,
        networkGateway: v.network,
        labels: { istio: "eastwestgateway", app: eastWestGatewayName },
        service: { type: "LoadBalancer", annotations: { ...v.serviceAnnotations } },
        podAnnotations: { [certTtlAnnotation]: v.certTtl },
        ...pullSecretsValue(v.imagePullSecrets),
    };
}

export function ingressGatewayValues(certTtl: string, imagePullSecrets?: readonly string[]): Record<string, unknown> {
    return {
        name: ingressGatewayName,
        labels: { istio: "ingressgateway", app: ingressGatewayName },
        service: { type: "LoadBalancer" },
        podAnnotations: { [certTtlAnnotation]: certTtl },
        ...pullSecretsValue(imagePullSecrets),
    };
}

/** samples/multicluster/expose-services.yaml: pass mTLS through for every *.local service. */
export function crossNetworkGatewaySpec(): Record<string, unknown> {
    return {
        selector: { istio: "eastwestgateway" },
        servers: [
            {
                port: { number: crossNetworkPort, name: "tls", protocol: "TLS" },
                tls: { mode: "AUTO_PASSTHROUGH" },
                hosts: ["*.local"],
            },
        ],
    };
}
