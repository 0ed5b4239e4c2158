/**
 * Pure renderers for the Istio Helm releases and Istio objects: plain data in, plain data out, so tests
 * check exactly what the charts receive. Top-level chart keys only (never `_internal_defaults_do_not_set`).
 */
import { HelmConfig } from "../config/model";
import { ChartSource, helmChartSource } from "../core/helm";
import { psaLabels } from "../core/podSecurity";
import { show } from "../core/validate";
import { ImageDigests, IstioChart, pinnedImage } from "../core/versions";
import { IstioPlatform, crossNetworkPort, eastWestGatewayName, gatewayPodLabels, ingressGatewayName, networkLabel } from "../core/istio";

/** Annotation carrying the CA bundle hash so istiod restarts when cacerts changes (istio#57853). */

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

/** The hub Istio's published charts pull from (their `global.hub`). */
export const istioUpstreamHub = "docker.io/istio";

/** The Istio images this mesh runs (sidecar mode with istio-cni; no ztunnel), as upstream tags them. */
export function istioUpstreamImages(istio: string): { readonly pilot: string; readonly proxy: string; readonly installCni: string } {
    return {
        pilot: `${istioUpstreamHub}/pilot:${istio}`,
        proxy: `${istioUpstreamHub}/proxyv2:${istio}`,
        installCni: `${istioUpstreamHub}/install-cni:${istio}`,
    };
}

/**
 * Full image references for the Istio charts, only for images whose digest versions.json has: `hub/name:tag@sha256:…`
 * (the private registry's hub when one is set: a mirror copied with its digests). The charts take a full reference
 * verbatim when an image value contains "/" (istiod `image`, cni `image`, `global.proxy.image` and
 * `global.proxy_init.image` for every injected proxy, gateways included, and the istio-validation init container);
 * without a digest the chart composes hub/name:tag itself, as before.
 */
export function istioImages(istio: string, digests: ImageDigests, hub?: string): { pilot?: string; proxy?: string; installCni?: string } {
    const upstream = istioUpstreamImages(istio);
    const out: { pilot?: string; proxy?: string; installCni?: string } = {};
    for (const key of ["pilot", "proxy", "installCni"] as const) {
        const rendered = hub === undefined ? upstream[key] : `${hub}/${upstream[key].slice(istioUpstreamHub.length + 1)}`;
        const pinned = pinnedImage(upstream[key], digests, rendered);
        if (pinned !== rendered) {
            out[key] = pinned;
        }
    }
    return out;
}

export interface CniValuesInput {
    /** Istio release of the chart (decides which platform profiles exist). */
    readonly istio: string;
    readonly platform?: IstioPlatform;
    /** Image hub override (the private registry), as istiod's. */
    readonly hub?: string;
    readonly imagePullSecrets?: readonly string[];
    /** install-cni pinned by digest (istioImages); default the chart's hub/install-cni:tag. */
    readonly image?: string;
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
    return {
        ...(Object.keys(global).length > 0 ? { global } : {}),
        ...(v.image !== undefined ? { image: v.image } : {}),
    };
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
    /** Pull secrets (names) for istiod and injected proxies, when images come from a private registry. */
    readonly imagePullSecrets?: readonly string[];
    /** Zero-trust mesh settings (REGISTRY_ONLY egress, workload certificate lifetime): meshConfigValues below. */
    readonly meshPolicy: MeshConfigValues;
    /** istiod and proxy images pinned by digest (istioImages); default the chart's hub/name:tag. */
    readonly images?: { readonly pilot?: string; readonly proxy?: string };
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
            // Sidecars, gateways ("auto") and istio-validation all take these; a full reference is used verbatim.
            ...(v.images?.proxy !== undefined ? { proxy: { image: v.images.proxy }, proxy_init: { image: v.images.proxy } } : {}),
        },
        // Top level: the istiod chart's values are flat since 1.23 (istio#52036), so 1.24 and 1.30 read `image`.
        ...(v.images?.pilot !== undefined ? { image: v.images.pilot } : {}),
        meshConfig: { trustDomain: v.trustDomain, ...v.meshPolicy.meshConfig },
        // No restart on a new cacerts: istiod watches its files and reloads its CA (AUTO_RELOAD_PLUGIN_CERTS, on by
        // default since Istio 1.18, the flag itself gone in 1.30); shown for real by the sim tier's rotation test.
        pilot: {
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
    /** The Service's `loadBalancerSourceRanges` (validated CIDRs); absent or empty: no restriction. */
    readonly sourceRanges?: readonly string[];
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
        labels: { ...gatewayPodLabels.eastWest },
        service: {
            type: "LoadBalancer",
            annotations: { ...v.serviceAnnotations },
            // Who may reach the load balancer (clusters[i].eastWestSourceRanges); unset: anyone, mTLS authenticates.
            ...(v.sourceRanges && v.sourceRanges.length > 0 ? { loadBalancerSourceRanges: [...v.sourceRanges] } : {}),
        },
        podAnnotations: { [certTtlAnnotation]: v.certTtl },
        ...pullSecretsValue(v.imagePullSecrets),
    };
}

export function ingressGatewayValues(
    certTtl: string,
    imagePullSecrets?: readonly string[],
    serviceAnnotations: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
    return {
        name: ingressGatewayName,
        labels: { ...gatewayPodLabels.ingress },
        // A cloud's load-balancer annotations (created AKS/GKE clusters: health probes, internal or public).
        service: {
            type: "LoadBalancer",
            ...(Object.keys(serviceAnnotations).length > 0 ? { annotations: { ...serviceAnnotations } } : {}),
        },
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

/** Spec cap on workload certificate lifetime (NIST SP 800-204A short-lived credentials; Istio's default is also 24 h). */
export const maxWorkloadCertTtlHours = 24;

export interface MeshConfigInput {
    /** Only REGISTRY_ONLY is offered: ALLOW_ANY would let any workload reach any external address. */
    readonly outboundTrafficPolicy: "REGISTRY_ONLY";
    /** Workload certificate lifetime, whole hours, 1-24. */
    readonly workloadCertTtlHours: number;
}

export interface MeshConfigValues {
    readonly meshConfig: {
        readonly outboundTrafficPolicy: { readonly mode: "REGISTRY_ONLY" };
        readonly defaultConfig: { readonly proxyMetadata: { readonly SECRET_TTL: string } };
    };
    readonly pilot: { readonly env: { readonly DEFAULT_WORKLOAD_CERT_TTL: string; readonly MAX_WORKLOAD_CERT_TTL: string } };
}

/**
 * Fragment of the istiod chart values; deep-merge it with `istiodValues()` (both set keys under `meshConfig` and
 * `pilot`). The certificate lifetime needs three knobs, identical in Istio 1.24 and 1.30:
 * - `SECRET_TTL` (pilot-agent env, pilot/cmd/pilot-agent/options/options.go) is the lifetime each proxy REQUESTS in its
 *   CSR; it is what actually sets the TTL, because istiod signs the requested lifetime as is. Set mesh-wide through
 *   `meshConfig.defaultConfig.proxyMetadata`, which the sidecar and gateway injection templates turn into env vars.
 * - `DEFAULT_WORKLOAD_CERT_TTL` (istiod env) applies only to CSRs that request no lifetime.
 * - `MAX_WORKLOAD_CERT_TTL` (istiod env, default 90 days) makes istiod REFUSE longer requests (security/pkg/pki/ca/ca.go,
 *   sign with checkLifetime), so a pod annotation cannot raise its own TTL past the cap. istiod's own serving
 *   certificate is signed with checkLifetime=false and is not affected.
 */
export function meshConfigValues(input: MeshConfigInput): MeshConfigValues {
    if (input.outboundTrafficPolicy !== "REGISTRY_ONLY") {
        throw new Error(
            `outboundTrafficPolicy: only "REGISTRY_ONLY" is allowed (explicit ServiceEntries), got ${show(input.outboundTrafficPolicy)}`,
        );
    }
    const hours = input.workloadCertTtlHours;
    if (typeof hours !== "number" || !Number.isInteger(hours) || hours < 1 || hours > maxWorkloadCertTtlHours) {
        throw new Error(`workloadCertTtlHours: expected whole hours from 1 to ${maxWorkloadCertTtlHours}, got ${show(hours)}`);
    }
    const ttl = `${hours}h`;
    return {
        meshConfig: {
            outboundTrafficPolicy: { mode: "REGISTRY_ONLY" },
            defaultConfig: { proxyMetadata: { SECRET_TTL: ttl } },
        },
        pilot: { env: { DEFAULT_WORKLOAD_CERT_TTL: ttl, MAX_WORKLOAD_CERT_TTL: ttl } },
    };
}
