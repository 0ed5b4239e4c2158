/**
 * Every version the project deploys, pinned in ONE place. A stack picks a profile with
 * `zta-testbed:versionProfile`; nothing else in the code names a version.
 */

/** Upstream chart repository for Istio's base/istiod/gateway charts (chart version = Istio version). */
export const istioChartRepo = "https://istio-release.storage.googleapis.com/charts";

export interface VersionProfile {
    /** One line for README and stack outputs. */
    readonly description: string;
    /** Kubernetes minor release for kubeadm clusters (bare metal); managed clusters bring their own. */
    readonly kubernetes: string;
    /** Exact Kubernetes release kubeadm installs (a patch of `kubernetes`). */
    readonly kubernetesPatch: string;
    /** Debian revision of kubeadm/kubelet/kubectl from pkgs.k8s.io for `kubernetesPatch`. */
    readonly kubernetesPackageRevision: string;
    /** Istio release; also the version of the base and istiod charts. */
    readonly istio: string;
    /**
     * Version of Istio's `gateway` chart. Equal to `istio` unless that chart cannot be installed: gateway
     * charts before 1.26.4/1.27.1 carry a values.schema.json that Helm >= 3.18.5 (embedded in the pinned
     * pulumi-kubernetes) rejects for ANY values (istio#57354). The gateway image is injected by istiod
     * ("auto"), so proxies still run the control plane's version.
     */
    readonly gatewayChart: string;
    /** Cilium chart/image release (bare metal CNI). */
    readonly cilium: string;
    /** MetalLB chart/image release (bare metal LoadBalancer). */
    readonly metallb: string;
    /** The private registry's image (CNCF distribution), pinned by tag. */
    readonly registryImage: string;
    /**
     * Observability images, the releases Istio's own addons (samples/addons) pin for this Istio release, so the
     * dashboards and Kiali match the proxies' metrics. Kiali at an exact patch (the addons use a floating minor tag).
     */
    readonly prometheusImage: string;
    readonly grafanaImage: string;
    readonly kialiImage: string;
}

export const versionProfiles = {
    /** Current supported releases. Istio 1.30 supports Kubernetes 1.32-1.36. */
    default: {
        description: "current supported releases",
        kubernetes: "1.35",
        kubernetesPatch: "1.35.4",
        kubernetesPackageRevision: "1.1",
        istio: "1.30.3",
        gatewayChart: "1.30.3",
        cilium: "1.20.0",
        metallb: "0.16.1",
        registryImage: "registry:2.8.3",
        prometheusImage: "docker.io/prom/prometheus:v3.10.0",
        grafanaImage: "docker.io/grafana/grafana:12.0.1",
        kialiImage: "quay.io/kiali/kiali:v2.26.1",
    },
    /** Reproduces the NIST 2025 seed testbed (its text says Cilium 1.17; its script pinned 1.14.1). */
    "nist-2025": {
        description: "reproduces the NIST ZTA testbed seed (2025)",
        kubernetes: "1.32",
        // A late 1.32 patch: 1.32 is past upstream support; this profile exists to reproduce the seed.
        kubernetesPatch: "1.32.13",
        kubernetesPackageRevision: "1.1",
        istio: "1.24.3",
        // First 1.2x gateway chart with a schema Helm >= 3.18.5 accepts; proxies stay 1.24.3 (injected).
        gatewayChart: "1.26.4",
        cilium: "1.17.18",
        metallb: "0.13.10",
        // The seed ran registry:2 unpinned; 2.8.3 is the last 2.x release.
        registryImage: "registry:2.8.3",
        prometheusImage: "docker.io/prom/prometheus:v2.54.1",
        grafanaImage: "docker.io/grafana/grafana:11.2.2-security-01",
        kialiImage: "quay.io/kiali/kiali:v2.0.0",
    },
} as const satisfies Record<string, VersionProfile>;

/** The kubeadm/kubelet/kubectl package version for a profile, e.g. "1.32.13-1.1". */
export function kubernetesPackageVersion(v: VersionProfile): string {
    return `${v.kubernetesPatch}-${v.kubernetesPackageRevision}`;
}

export type VersionProfileName = keyof typeof versionProfiles;

export const versionProfileNames = Object.keys(versionProfiles) as VersionProfileName[];

export function isVersionProfileName(name: string): name is VersionProfileName {
    return Object.prototype.hasOwnProperty.call(versionProfiles, name);
}

/** The Istio charts the control plane installs, in install order. */
export const istioCharts = ["base", "cni", "istiod", "gateway"] as const;
export type IstioChart = (typeof istioCharts)[number];
