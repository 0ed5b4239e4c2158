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
}

export const versionProfiles = {
    /** Current supported releases. Istio 1.30 supports Kubernetes 1.32-1.36. */
    default: {
        description: "current supported releases",
        kubernetes: "1.35",
        istio: "1.30.3",
        gatewayChart: "1.30.3",
        cilium: "1.20.0",
        metallb: "0.16.1",
    },
    /** Reproduces the NIST 2025 seed testbed (its text says Cilium 1.17; its script pinned 1.14.1). */
    "nist-2025": {
        description: "reproduces the NIST ZTA testbed seed (2025)",
        kubernetes: "1.32",
        istio: "1.24.3",
        // First 1.2x gateway chart with a schema Helm >= 3.18.5 accepts; proxies stay 1.24.3 (injected).
        gatewayChart: "1.26.4",
        cilium: "1.17.18",
        metallb: "0.13.10",
    },
} as const satisfies Record<string, VersionProfile>;

export type VersionProfileName = keyof typeof versionProfiles;

export const versionProfileNames = Object.keys(versionProfiles) as VersionProfileName[];

export function isVersionProfileName(name: string): name is VersionProfileName {
    return Object.prototype.hasOwnProperty.call(versionProfiles, name);
}

/** The Istio charts the control plane installs, in install order. */
export const istioCharts = ["base", "istiod", "gateway"] as const;
export type IstioChart = (typeof istioCharts)[number];
