/**
 * Every version the project deploys. The values live in ONE place, `versions.json` at the repo root (shared with
 * toolchain/ and sim/); this module gives them their types and checks their shape when loaded. A stack picks a
 * profile with `zta-testbed:versionProfile`; nothing else in the code names a version.
 */
import manifest from "../../versions.json";
import { parseTaggedImage } from "./net";

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
    /** The private registry's image (CNCF distribution), pinned by tag, and by digest when `imageDigests` has one. */
    readonly registryImage: string;
    /**
     * Observability images, the releases Istio's own addons (samples/addons) pin for this Istio release, so the
     * dashboards and Kiali match the proxies' metrics. Kiali at an exact patch (the addons use a floating minor tag).
     * Each is `repo:tag@sha256:…` when `imageDigests` has its digest.
     */
    readonly prometheusImage: string;
    readonly grafanaImage: string;
    readonly kialiImage: string;
    /** The manifest's filled digests (`imageDigests`), for the images a renderer composes itself (Istio, MetalLB, samples). */
    readonly imageDigests: ImageDigests;
}

/** Tagged image reference as written upstream ("docker.io/istio/pilot:1.30.3") → its digest ("sha256:<64 hex>"). */
export type ImageDigests = Readonly<Record<string, string>>;

const digestPattern = /^sha256:[0-9a-f]{64}$/;

/**
 * The `imageDigests` map of versions.json, checked: every key a tagged image reference without a digest, every value
 * "" (not filled yet) or "sha256:" and 64 lower-case hex digits. Only filled entries are returned. A malformed entry
 * is an error naming its key: a typo in a digest must stop the program, never fall back to the tag silently.
 */
export function parseImageDigests(raw: unknown): ImageDigests {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        throw new Error("versions.json: imageDigests must be an object of image reference → digest");
    }
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        const where = `versions.json: imageDigests[${JSON.stringify(key)}]`;
        if (!parseTaggedImage(key) || key.includes("@")) {
            throw new Error(`${where}: the key must be a tagged image reference without a digest, like "docker.io/istio/pilot:1.30.3"`);
        }
        if (typeof value !== "string" || (value !== "" && !digestPattern.test(value))) {
            throw new Error(
                `${where} must be "" (no digest yet) or "sha256:" followed by 64 lower-case hex digits, got ${JSON.stringify(value)}`,
            );
        }
        if (value !== "") {
            out[key] = value;
        }
    }
    return Object.freeze(out);
}

/**
 * The image to render for the upstream reference `upstream` (a key of `imageDigests`): `rendered` (default `upstream`;
 * a mirror's reference of the same image, e.g. "10.5.0.2:5000/istio/pilot:1.30.3") with `@sha256:…` appended when the
 * digest is known. The container runtime then pulls by digest and ignores the tag; a mirror must hold the same
 * manifest (copied with `crane copy` / `skopeo copy --all`, which keep digests), or the pull fails: fail closed.
 */
export function pinnedImage(upstream: string, digests: ImageDigests, rendered: string = upstream): string {
    const digest = Object.prototype.hasOwnProperty.call(digests, upstream) ? digests[upstream] : undefined;
    return digest ? `${rendered}@${digest}` : rendered;
}

/** The digests of versions.json (filled entries only). */
export const imageDigests: ImageDigests = parseImageDigests((manifest as { imageDigests?: unknown }).imageDigests);

function nonEmpty(where: string, value: unknown): string {
    if (typeof value !== "string" || value.trim() === "") {
        throw new Error(`versions.json: ${where} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
    return value;
}

/** The profile fields that are image references (pinned by digest at load when `imageDigests` has one). */
export const profileImageFields = ["registryImage", "prometheusImage", "grafanaImage", "kialiImage"] as const;

/**
 * One profile of versions.json, checked: every field a non-empty string, no unknown field (`why` holds notes), image
 * fields tagged references (the key of their digest in `imageDigests`), resolved to `repo:tag@sha256:…` when filled.
 */
export function parseProfile(name: string, raw: unknown, digests: ImageDigests = imageDigests): VersionProfile {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        throw new Error(`versions.json: profiles.${name} must be an object`);
    }
    const o = raw as Record<string, unknown>;
    const field = (key: Exclude<keyof VersionProfile, "imageDigests">) => nonEmpty(`profiles.${name}.${key}`, o[key]);
    const image = (key: (typeof profileImageFields)[number]) => {
        const value = field(key);
        if (!parseTaggedImage(value) || value.includes("@")) {
            throw new Error(
                `versions.json: profiles.${name}.${key} must be a tagged image reference without a digest (digests go in imageDigests), got ${JSON.stringify(value)}`,
            );
        }
        return pinnedImage(value, digests);
    };
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
        registryImage: image("registryImage"),
        prometheusImage: image("prometheusImage"),
        grafanaImage: image("grafanaImage"),
        kialiImage: image("kialiImage"),
        imageDigests: digests,
    };
    const unknown = Object.keys(o).filter((k) => k !== "why" && (k === "imageDigests" || !(k in profile)));
    if (unknown.length > 0) {
        throw new Error(`versions.json: profiles.${name} has unknown field(s) ${unknown.join(", ")}`);
    }
    return Object.freeze(profile);
}

/** What Istio's "Supported Releases" page says of one Istio minor release. */
export interface IstioSupport {
    /** The Kubernetes minor releases it supports ("Supported Kubernetes Versions"). */
    readonly kubernetes: readonly string[];
    /** Its release date, YYYY-MM-DD. */
    readonly released: string;
    /** Its end of life (YYYY-MM-DD) once reached; absent while it is supported. */
    readonly endOfLife?: string;
}

const minorPattern = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;
const datePattern = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;

/** "1.24.3" → "1.24" (also "1.32" → "1.32", "v1.32.4-gke.1" → "1.32"); undefined when it is not a version. */
export function minorOf(version: string): string | undefined {
    const match = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:[.+-].*)?$/.exec(version);
    return match ? `${match[1]}.${match[2]}` : undefined;
}

/**
 * The `istioSupport` section of versions.json, checked: `source` (where the facts come from) and, per Istio minor,
 * the Kubernetes minors it supports, its release date and its end of life when reached (plus a `why` note).
 */
export function parseIstioSupport(raw: unknown): { readonly source: string; readonly minors: Readonly<Record<string, IstioSupport>> } {
    const o = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
    if (!o || o.minors === null || typeof o.minors !== "object" || Array.isArray(o.minors)) {
        throw new Error("versions.json: istioSupport must be an object with `source` and `minors` (Istio minor → support facts)");
    }
    const source = nonEmpty("istioSupport.source", o.source);
    const minors: Record<string, IstioSupport> = Object.create(null) as Record<string, IstioSupport>;
    for (const [minor, entry] of Object.entries(o.minors as Record<string, unknown>)) {
        const where = `versions.json: istioSupport.minors[${JSON.stringify(minor)}]`;
        const e = entry !== null && typeof entry === "object" && !Array.isArray(entry) ? (entry as Record<string, unknown>) : undefined;
        if (!minorPattern.test(minor) || !e) {
            throw new Error(`${where}: expected an Istio minor like "1.30" mapped to an object`);
        }
        const kubernetes = e.kubernetes;
        if (
            !Array.isArray(kubernetes) ||
            kubernetes.length === 0 ||
            !kubernetes.every((k) => typeof k === "string" && minorPattern.test(k))
        ) {
            throw new Error(`${where}.kubernetes must be a non-empty list of Kubernetes minors like "1.32"`);
        }
        for (const key of ["released", "endOfLife"] as const) {
            if ((key === "released" || e[key] !== undefined) && (typeof e[key] !== "string" || !datePattern.test(e[key]))) {
                throw new Error(`${where}.${key} must be a date YYYY-MM-DD, got ${JSON.stringify(e[key])}`);
            }
        }
        const unknown = Object.keys(e).filter((k) => !["kubernetes", "released", "endOfLife", "why"].includes(k));
        if (unknown.length > 0) {
            throw new Error(`${where} has unknown field(s) ${unknown.join(", ")}`);
        }
        minors[minor] = Object.freeze({
            kubernetes: Object.freeze([...(kubernetes as string[])]),
            released: e.released as string,
            ...(e.endOfLife !== undefined ? { endOfLife: e.endOfLife as string } : {}),
        });
    }
    return Object.freeze({ source, minors: Object.freeze(minors) });
}

/** Istio's support matrix as versions.json records it (istio.io "Supported Releases"). */
export const istioSupport = parseIstioSupport((manifest as { istioSupport?: unknown }).istioSupport);

/** The support facts of a profile's Istio release; throws naming the profile when the matrix has no entry for it. */
export function istioSupportOf(
    profileName: string,
    profile: Pick<VersionProfile, "istio">,
    matrix: Readonly<Record<string, IstioSupport>> = istioSupport.minors,
): IstioSupport & { readonly minor: string } {
    const minor = minorOf(profile.istio);
    const entry = minor !== undefined && Object.prototype.hasOwnProperty.call(matrix, minor) ? matrix[minor] : undefined;
    if (minor === undefined || !entry) {
        throw new Error(
            `versions.json: profiles.${profileName}.istio is ${JSON.stringify(profile.istio)}, but istioSupport.minors has no entry for Istio ${minor ?? profile.istio}; record its supported Kubernetes versions from istio.io "Supported Releases"`,
        );
    }
    return { ...entry, minor };
}

const supportText = (minor: string, s: IstioSupport) =>
    `Istio ${minor} supports Kubernetes ${s.kubernetes.join(", ")}` + (s.endOfLife ? ` and is end of life since ${s.endOfLife}` : "");

/**
 * Why Kubernetes `version` (e.g. "1.32", "v1.32.4-gke.100": only the minor counts) of cluster `clusterName` does not fit
 * the profile's Istio release, per the support matrix; empty when it fits. The seam for clusters whose version is only
 * known from their API server (cloud: kubeconfigs, no version in config); see README "Versions".
 */
export function kubernetesVersionProblems(
    profile: Pick<VersionProfile, "istio">,
    clusterName: string,
    version: string,
    matrix: Readonly<Record<string, IstioSupport>> = istioSupport.minors,
    profileName = "(profile)",
): string[] {
    const support = istioSupportOf(profileName, profile, matrix);
    const minor = minorOf(version);
    if (minor === undefined) {
        return [
            `cluster ${JSON.stringify(clusterName)}: Kubernetes version ${JSON.stringify(version)} is not a version like "1.32" or "v1.32.4"`,
        ];
    }
    return support.kubernetes.includes(minor)
        ? []
        : [
              `cluster ${JSON.stringify(clusterName)} runs Kubernetes ${minor}, outside Istio's support matrix for Istio ${profile.istio}: ${supportText(support.minor, support)} (versions.json istioSupport, from ${istioSupport.source})`,
          ];
}

/**
 * The warning `pulumi up`/`preview` prints for a profile whose Istio/Kubernetes pair is outside Istio's support
 * matrix or whose Istio release is end of life; undefined when the pair is supported.
 */
export function versionPairWarning(
    profileName: string,
    profile: Pick<VersionProfile, "istio" | "kubernetes">,
    matrix: Readonly<Record<string, IstioSupport>> = istioSupport.minors,
): string | undefined {
    const support = istioSupportOf(profileName, profile, matrix);
    const outside = !support.kubernetes.includes(profile.kubernetes);
    if (!outside && !support.endOfLife) {
        return undefined;
    }
    const what = [
        ...(outside ? [`pairs Istio ${profile.istio} with Kubernetes ${profile.kubernetes}, OUTSIDE Istio's support matrix`] : []),
        ...(support.endOfLife ? [`runs Istio ${support.minor}, END OF LIFE since ${support.endOfLife} (no security fixes)`] : []),
    ];
    return (
        `UNSUPPORTED VERSIONS: version profile "${profileName}" ${what.join(" and ")}. ${supportText(support.minor, support)} ` +
        `(versions.json istioSupport, from ${istioSupport.source}). This profile reproduces a published testbed; do not use it ` +
        `as a secure baseline (zta-testbed:versionProfile "default" is the supported pair).`
    );
}

/**
 * The profiles of versions.json: `default` (current supported releases) and `nist-2025` (reproduces the NIST 2025 seed
 * testbed); each profile's `why` there says why a value is what it is.
 */
export const versionProfiles: Readonly<Record<keyof typeof manifest.profiles, VersionProfile>> = Object.freeze(
    Object.fromEntries(
        Object.entries(manifest.profiles as Record<string, unknown>).map(([name, raw]) => {
            const profile = parseProfile(name, raw);
            // Every profile's Istio release has its support facts recorded: the warning below cannot be skipped by omission.
            istioSupportOf(name, profile);
            return [name, profile];
        }),
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
