/**
 * MetalLB in L2 mode for the bare-metal clusters: the chart's Helm values, its namespace's Pod Security labels, and
 * the IPAddressPool / L2Advertisement the east-west and ingress gateways draw their LoadBalancer addresses from.
 * Pure renderers; tests/platform/baremetal/cni.test.ts validates them against the chart's values schema and the CRDs.
 *
 * The CRs go to MetalLB's namespace and are checked by its validating webhook (failurePolicy Fail, kept): whoever
 * applies them must first wait until the webhook serves (metallb#1597); controller readiness does not imply it.
 */
import { isDnsLabel, parseIPv4Pool, rangesOverlap } from "../../core/net";
import { Endpoint, NetworkPolicy, allowApiServerEgress, allowDnsEgress, defaultDeny, podPolicy } from "../../core/networkPolicy";
import { ownedNamespaces } from "../../core/namespaces";
import { ImageDigests, pinnedImage } from "../../core/versions";

export const metallbChart = {
    repository: "https://metallb.github.io/metallb",
    chart: "metallb",
    namespace: ownedNamespaces.metallb,
} as const;

/**
 * Pod Security Admission labels for MetalLB's namespace: `privileged`. The speaker DaemonSet needs hostNetwork (it
 * answers ARP for service addresses on the node's interface) and the NET_RAW capability; both violate `baseline`.
 * It is one of the few namespaces on the documented privileged allow-list; audit and warn match enforce so that
 * nothing is reported as a violation the namespace deliberately permits.
 */
export function metallbNamespaceLabels(): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/audit": "privileged",
        "pod-security.kubernetes.io/warn": "privileged",
    };
}

interface Version {
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
}

function parseVersion(version: string): Version {
    const match = typeof version === "string" ? /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/.exec(version) : null;
    if (!match) {
        throw new Error(`version: expected an exact MetalLB chart version like "0.16.1", got ${JSON.stringify(version)}`);
    }
    return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

function atLeast(v: Version, minor: number, patch: number): boolean {
    return v.major > 0 || v.minor > minor || (v.minor === minor && v.patch >= patch);
}

/** The images the MetalLB chart runs (L2 mode: controller and speaker; FRR is off), as upstream tags them. */
export function metallbUpstreamImages(version: string): { readonly controller: string; readonly speaker: string } {
    return { controller: `quay.io/metallb/controller:v${version}`, speaker: `quay.io/metallb/speaker:v${version}` };
}

/**
 * The chart's `<component>.image.tag` for a digest-pinned image. The chart renders `repository:tag` and has no digest
 * field, so the digest rides in the tag ("v0.16.1@sha256:…", a valid reference once joined); nothing without a digest.
 */
function metallbImageValues(version: string, digests: ImageDigests): Record<string, unknown> {
    const upstream = metallbUpstreamImages(version);
    const out: Record<string, unknown> = {};
    for (const component of ["controller", "speaker"] as const) {
        const pinned = pinnedImage(upstream[component], digests);
        if (pinned !== upstream[component]) {
            out[component] = { image: { tag: `v${version}@${pinned.slice(upstream[component].length + 1)}` } };
        }
    }
    return out;
}

/**
 * Helm values for the `metallb` chart (L2 mode, single node), its images pinned by digest where `digests` (versions.json
 * imageDigests) has theirs. Throws an Error naming `version` if unsupported.
 */
export function metallbValues(version: string, digests: ImageDigests = {}): Record<string, unknown> {
    const v = parseVersion(version);
    if (!atLeast(v, 13, 0)) {
        // Older releases are configured by a ConfigMap, not by the IPAddressPool/L2Advertisement CRs rendered here.
        throw new Error(`version: MetalLB ${version} predates the metallb.io/v1beta1 CRs (0.13.0); use 0.13.0 or later`);
    }
    if (atLeast(v, 14, 0) && !atLeast(v, 14, 4)) {
        // 0.14.0 started honouring the exclude label (see ignoreExcludeLB below); the chart only exposes the opt-out from 0.14.4.
        throw new Error(`version: MetalLB ${version} cannot announce from a kubeadm control-plane node; use 0.13.x or 0.14.4 or later`);
    }
    const speaker: Record<string, unknown> = {
        // L2 mode needs no BGP daemon: no FRR sidecar (the 0.13 chart's default), fewer privileged containers.
        frr: { enabled: false },
        // One node, so no peer speakers whose failure memberlist would detect: no gossip port 7946 opened on the
        // host network, no memberlist secret. The chart requires speakers on every node then, which one node satisfies.
        memberlist: { enabled: false },
    };
    if (atLeast(v, 14, 4)) {
        // kubeadm labels its control-plane node node.kubernetes.io/exclude-from-external-load-balancers, and from
        // 0.14.0 the speaker announces nothing from such nodes. The single node IS the control plane, so without
        // this flag no gateway address would ever be announced (MetalLB troubleshooting docs).
        speaker.ignoreExcludeLB = true;
    }
    const images = metallbImageValues(version, digests);
    const values: Record<string, unknown> = {
        ...(images.controller ? { controller: images.controller } : {}),
        speaker: { ...speaker, ...(images.speaker as Record<string, unknown> | undefined) },
    };
    if (atLeast(v, 14, 0)) {
        // From 0.14 the chart can install the frr-k8s subchart (its own privileged DaemonSet; on by default in 0.16)
        // as the BGP backend. L2 mode does not use it.
        values.frrk8s = { enabled: false };
    }
    return values;
}

export interface MetallbPoolInput {
    /** Pool name (also the L2Advertisement's name): a lowercase DNS label. */
    readonly name: string;
    /** IPv4 ranges "a.b.c.d-e.f.g.h" (first <= last) or CIDRs "a.b.c.d/n" (host bits zero). */
    readonly addresses: readonly string[];
}

export interface IPAddressPoolManifest {
    readonly apiVersion: "metallb.io/v1beta1";
    readonly kind: "IPAddressPool";
    readonly metadata: { readonly name: string; readonly namespace: string };
    readonly spec: { readonly addresses: string[]; readonly autoAssign: boolean };
}

export interface L2AdvertisementManifest {
    readonly apiVersion: "metallb.io/v1beta1";
    readonly kind: "L2Advertisement";
    readonly metadata: { readonly name: string; readonly namespace: string };
    readonly spec: { readonly ipAddressPools: string[] };
}

function validatePool(input: MetallbPoolInput): void {
    if (!isDnsLabel(input.name)) {
        throw new Error(`name: expected a lowercase DNS label like "gateways", got ${JSON.stringify(input.name)}`);
    }
    if (!Array.isArray(input.addresses) || input.addresses.length === 0) {
        throw new Error("addresses: expected at least one IPv4 range or CIDR");
    }
    const ranges = input.addresses.map((address: unknown, i) => {
        const range = parseIPv4Pool(address);
        if (range === "malformed-range-address") {
            throw new Error(`addresses[${i}]: malformed IPv4 address in range ${JSON.stringify(address)}`);
        }
        if (range === "reversed-range") {
            throw new Error(`addresses[${i}]: range ${JSON.stringify(address)} ends before it starts`);
        }
        if (range === "not-a-range-or-cidr") {
            throw new Error(
                `addresses[${i}]: expected an IPv4 range like "10.0.0.200-10.0.0.210" or a CIDR with zero host bits like "10.0.0.200/29", got ${JSON.stringify(address)}`,
            );
        }
        return range;
    });
    // MetalLB's webhook rejects overlapping ranges; say which entries instead of failing at apply time.
    ranges.forEach((a, i) =>
        ranges.slice(0, i).forEach((b, j) => {
            if (rangesOverlap(a, b)) {
                throw new Error(
                    `addresses[${i}]: ${JSON.stringify(input.addresses[i])} overlaps addresses[${j}] ${JSON.stringify(input.addresses[j])}`,
                );
            }
        }),
    );
}

/** The address pool. autoAssign: the gateways' LoadBalancer Services name no pool, so they must get addresses from it. */
export function ipAddressPoolManifest(input: MetallbPoolInput): IPAddressPoolManifest {
    validatePool(input);
    return {
        apiVersion: "metallb.io/v1beta1",
        kind: "IPAddressPool",
        metadata: { name: input.name, namespace: metallbChart.namespace },
        spec: { addresses: [...input.addresses], autoAssign: true },
    };
}

/** Announces the pool's addresses by ARP from the node (L2 mode); limited to this pool, not every pool. */
export function l2AdvertisementManifest(input: MetallbPoolInput): L2AdvertisementManifest {
    validatePool(input);
    return {
        apiVersion: "metallb.io/v1beta1",
        kind: "L2Advertisement",
        metadata: { name: input.name, namespace: metallbChart.namespace },
        spec: { ipAddressPools: [input.name] },
    };
}

/** MetalLB controller pods (chart labels) and its webhook port (container port `webhook-server`). */
export const metallbControllerLabels = { "app.kubernetes.io/name": "metallb", "app.kubernetes.io/component": "controller" } as const;
export const metallbWebhookPort = 9443;

export interface MetallbNetworkInput {
    readonly namespace: string;
    /** The API server as the controller reaches it (the advertise address on kubeadm). */
    readonly apiServers: readonly Endpoint[];
}

/**
 * metallb-system: the controller's webhook (9443, any source: see allowIstiodIngress) and its egress to the API
 * server. The speaker runs on the host network, where NetworkPolicy does not apply.
 */
export function metallbNetworkPolicies(input: MetallbNetworkInput): NetworkPolicy[] {
    const controller = { ...metallbControllerLabels };
    return [
        allowDnsEgress(input.namespace),
        podPolicy("allow-controller-webhook", input.namespace, controller, {
            ingress: [{ ports: [{ protocol: "TCP", port: metallbWebhookPort }] }],
        }),
        allowApiServerEgress({ namespace: input.namespace, podLabels: controller, apiServers: input.apiServers }),
        defaultDeny(input.namespace),
    ];
}
