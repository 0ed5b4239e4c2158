/**
 * Every version the project deploys. The values live in ONE place, `versions.json` at the repo root (shared with
 * toolchain/ and sim/); this module gives them their types and checks their shape when loaded. A stack picks a
 * profile with `zta-testbed:versionProfile`; nothing else in the code names a version.
 */
import manifest from "../../versions.json";

/** Upstream chart repository for Istio's base/istiod/gateway charts (chart version = Istio version). */
export const istioChartRepo: string = nonEmpty("istioChartRepo", (manifest as { istioChartRepo?: unknown }).istioChartRepo);

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

function nonEmpty(where: string, value: unknown): string {
    if (typeof value !== "string" || value.trim() === "") {
        throw new Error(`versions.json: ${where} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
    return value;
}

/** One profile of versions.json, checked: every field a non-empty string, no unknown field (`why` holds notes). */
function parseProfile(name: string, raw: unknown): VersionProfile {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        throw new Error(`versions.json: profiles.${name} must be an object`);
    }
    const o = raw as Record<string, unknown>;
    const field = (key: keyof VersionProfile) => nonEmpty(`profiles.${name}.${key}`, o[key]);
    // An object literal of the interface's type: the compiler insists on every field.
    const profile: VersionProfile = {
        description: field("description"),
        kubernetes: field("kubernetes"),
        kubernetesPatch: field("kubernetesPatch"),
        kubernetesPackageRevision: field("kubernetesPackageRevision"),
        istio: field("istio"),
        gatewayChart: field("gatewayChart"),
        cilium: field("cilium"),
        metallb: field("metallb"),
        registryImage: field("registryImage"),
        prometheusImage: field("prometheusImage"),
        grafanaImage: field("grafanaImage"),
        kialiImage: field("kialiImage"),
    };
    const unknown = Object.keys(o).filter((k) => k !== "why" && !(k in profile));
    if (unknown.length > 0) {
        throw new Error(`versions.json: profiles.${name} has unknown field(s) ${unknown.join(", ")}`);
    }
    return Object.freeze(profile);
}

/**
 * The profiles of versions.json: `default` (current supported releases) and `nist-2025` (reproduces the NIST 2025 seed
 * testbed); each profile's `why` there says why a value is what it is.
 */
export const versionProfiles: Readonly<Record<keyof typeof manifest.profiles, VersionProfile>> = Object.freeze(
    Object.fromEntries(
        Object.entries(manifest.profiles as Record<string, unknown>).map(([name, raw]) => [name, parseProfile(name, raw)]),
    ) as Record<keyof typeof manifest.profiles, VersionProfile>,
);

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
