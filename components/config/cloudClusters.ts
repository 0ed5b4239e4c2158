/**
 * `clusters[i].provision` (platform cloud): the AKS and GKE clusters the program creates, and the provider config
 * (`azure-native:*`, `gcp:*`) their explicit providers are given. Called only from clusters.ts and parse.ts.
 */
import { z } from "zod";
import { Ipv4Cidr, ipv4Text, parseIPv4Cidr, rangesOverlap } from "../core/net";
import { VersionProfile, kubernetesVersionProblems } from "../core/versions";
import { editDistance } from "./keys";
import {
    AksClusterConfig,
    CloudProviderSettings,
    CloudProvisionKind,
    GkeClusterConfig,
    LoadBalancerScope,
    cloudProvisionKinds,
    loadBalancerScopes,
} from "./model";
import { Problems, show } from "./problems";
import { RawConfig } from "./readers";
import { Sensitive } from "./sensitive";
import { parseStructured } from "./structured";

/** Defaults of the clusters the program creates; README "Cloud stack" explains the sizing. */
export const cloudDefaults = {
    aks: {
        vmSize: "Standard_D4s_v5",
        nodeCount: 2,
        diskSizeGb: 128,
        // AKS's own defaults for a VNet it would create, and for overlay pods and services.
        nodeCidr: "10.224.0.0/16",
        podCidr: "10.244.0.0/16",
        serviceCidr: "10.0.0.0/16",
        networkPolicy: "cilium",
        tier: "Free",
    },
    gke: {
        machineType: "e2-standard-4",
        /** Nodes per zone: a regional cluster spreads over three zones, a zonal one has only its own. */
        nodeCountRegional: 1,
        nodeCountZonal: 3,
        diskSizeGb: 100,
        nodeCidr: "10.128.0.0/20",
        podCidr: "10.32.0.0/14",
        serviceCidr: "10.36.0.0/20",
        releaseChannel: "REGULAR",
        masterCidr: "172.16.0.0/28",
        kubeconfigAuth: "gke-gcloud-auth-plugin",
    },
    loadBalancer: "public",
} as const;

/** Zones of a GKE regional cluster's node pool (GKE's default for a region). */
export const gkeRegionZones = 3;

/** The longest cluster name whose created resources keep within the clouds' name limits (see `nameProblems`). */
export const gkeMaxClusterName = 24;
export const aksMaxClusterName = 47;

const common = {
    kind: z.string(),
    location: z.string().optional(),
    kubernetesVersion: z.string().optional(),
    nodeCount: z.number().int().optional(),
    diskSizeGb: z.number().int().optional(),
    nodeCidr: z.string().optional(),
    podCidr: z.string().optional(),
    serviceCidr: z.string().optional(),
    eastWestLoadBalancer: z.enum(loadBalancerScopes as [LoadBalancerScope, ...LoadBalancerScope[]]).optional(),
    ingressLoadBalancer: z.enum(loadBalancerScopes as [LoadBalancerScope, ...LoadBalancerScope[]]).optional(),
};
const aksSchema = z
    .object({
        ...common,
        vmSize: z.string().optional(),
        networkPolicy: z.enum(["cilium", "azure"]).optional(),
        tier: z.enum(["Free", "Standard"]).optional(),
    })
    .strict();
const gkeSchema = z
    .object({
        ...common,
        machineType: z.string().optional(),
        releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE", "EXTENDED"]).optional(),
        privateNodes: z.boolean().optional(),
        masterCidr: z.string().optional(),
        kubeconfigAuth: z.enum(["gke-gcloud-auth-plugin", "access-token"]).optional(),
        autopilot: z.boolean().optional(),
    })
    .strict();

const azureLocation = /^[a-z][a-z0-9]{2,39}$/;
const gcpRegion = /^[a-z]+-[a-z]+[0-9]+$/;
const gcpZone = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;
const azureVmSize = /^Standard_[A-Za-z0-9_-]+$/;
const gceMachineType = /^[a-z][a-z0-9]*-[a-z0-9-]+$/;
/** GCE shared-core types: fractions of a vCPU, too small for istiod, the gateways and the observability stack. */
const sharedCore = new Set(["e2-micro", "e2-small", "e2-medium", "f1-micro", "g1-small"]);
/** Azure's address ranges an AKS pod or service CIDR must avoid (AKS "Configure Azure CNI Overlay networking"). */
const aksReservedRanges = ["169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24"];

/** vCPUs of an Azure VM size by its naming convention (`Standard_D4s_v5` → 4), when it says. */
export function azureVcpus(vmSize: string): number | undefined {
    const m = /^Standard_[A-Za-z]+?(\d+)/.exec(vmSize);
    return m ? Number(m[1]) : undefined;
}

/** vCPUs of a GCE machine type (`e2-standard-4` → 4, `n2-custom-6-16384` → 6), when it says; 0 for shared-core. */
export function gceVcpus(machineType: string): number | undefined {
    if (sharedCore.has(machineType)) {
        return 0;
    }
    const m = /-(?:standard|highmem|highcpu|custom)-(\d+)/.exec(machineType);
    return m ? Number(m[1]) : undefined;
}

/** Whether a GKE location is a zone (`europe-west3-a`) rather than a region. */
export const isGcpZone = (location: string): boolean => gcpZone.test(location);

/** What readProvision returns: the cluster's access and the ranges other clusters are checked against. */
export type ProvisionedAccess = ({ readonly kind: "aks" } & AksClusterConfig) | ({ readonly kind: "gke" } & GkeClusterConfig);

export interface ProvisionContext {
    readonly versions: VersionProfile | undefined;
    readonly profileName: string;
    readonly providers: ProviderLocations;
}

/** The provider-level locations (`azure-native:location`, `gcp:region`, `gcp:zone`) a cluster may inherit. */
export interface ProviderLocations {
    readonly azure?: string;
    readonly gcp?: string;
}

/**
 * One cluster's `provision` block (platform cloud: clusters.ts refuses it elsewhere) as its access, or undefined
 * (reported). `at` is `clusters[i]`; `name` the cluster's name, which the created resources' names derive from.
 */
export function readProvision(
    problems: Problems,
    at: string,
    name: string,
    value: unknown,
    ctx: ProvisionContext,
): ProvisionedAccess | undefined {
    const key = `${at}.provision`;
    const kindText = (value as { kind?: unknown }).kind;
    if (typeof kindText !== "string" || !(cloudProvisionKinds as readonly string[]).includes(kindText)) {
        const near = typeof kindText === "string" ? cloudProvisionKinds.find((k) => editDistance(k, kindText) <= 1) : undefined;
        problems.reject(
            `${key}.kind`,
            kindText === undefined
                ? `is required: "aks" (Azure) or "gke" (Google Cloud)`
                : `must be "aks" (Azure) or "gke" (Google Cloud), got ${show(kindText)}${near ? ` (did you mean ${show(near)}?)` : ""}`,
        );
        problems.reject(key);
        return undefined;
    }
    const kind = kindText as CloudProvisionKind;
    if (kind === "gke" && (value as { autopilot?: unknown }).autopilot === true) {
        problems.reject(
            `${key}.autopilot`,
            "GKE Autopilot is refused: istio-cni's node agent needs privileged pods (SYS_ADMIN, the host's CNI directory), which " +
                "Autopilot does not admit; the program creates a Standard cluster (remove autopilot)",
        );
    }
    const text = JSON.stringify(value);
    const parsed = kind === "aks" ? parseStructured(problems, key, text, aksSchema) : parseStructured(problems, key, text, gkeSchema);
    if (!parsed) {
        return undefined;
    }

    const location = parsed.location ?? (kind === "aks" ? ctx.providers.azure : ctx.providers.gcp);
    const locationKey = `${key}.location`;
    if (location === undefined) {
        problems.add(
            locationKey,
            kind === "aks"
                ? "is unset and so is azure-native:location: set the Azure region the usual way (pulumi config set azure-native:location westeurope) or here"
                : "is unset and so are gcp:region and gcp:zone: set the Google Cloud region the usual way (pulumi config set gcp:region europe-west3) or here",
        );
    } else if (kind === "aks" ? !azureLocation.test(location) : !gcpRegion.test(location) && !gcpZone.test(location)) {
        problems.add(
            locationKey,
            kind === "aks"
                ? `must be an Azure region name like "westeurope" or "eastus2", got ${show(location)}`
                : `must be a Google Cloud region like "europe-west3" or a zone like "europe-west3-a", got ${show(location)}`,
        );
    }

    const kubernetesVersion = parsed.kubernetesVersion ?? ctx.versions?.kubernetes ?? "";
    if (parsed.kubernetesVersion !== undefined) {
        if (!/^1\.[0-9]{1,2}$/.test(parsed.kubernetesVersion)) {
            problems.add(
                `${key}.kubernetesVersion`,
                `must be a Kubernetes minor like "1.35" (the cloud picks its newest patch), got ${show(parsed.kubernetesVersion)}`,
            );
        } else if (ctx.versions) {
            // The profile's own version is warned about at every preview (versionPairWarning); an override must fit.
            for (const p of kubernetesVersionProblems(ctx.versions, name, parsed.kubernetesVersion, undefined, ctx.profileName)) {
                problems.add(`${key}.kubernetesVersion`, p);
            }
        }
    }

    const zonal = kind === "gke" && location !== undefined && isGcpZone(location);
    const defaultNodes =
        kind === "aks" ? cloudDefaults.aks.nodeCount : zonal ? cloudDefaults.gke.nodeCountZonal : cloudDefaults.gke.nodeCountRegional;
    const nodeCount = parsed.nodeCount ?? defaultNodes;
    const maxNodes = kind === "aks" ? 100 : 50;
    if (nodeCount < 1 || nodeCount > maxNodes) {
        problems.add(
            `${key}.nodeCount`,
            `must be from 1 to ${maxNodes}${kind === "gke" ? " (nodes per zone)" : ""}, got ${show(nodeCount)}`,
        );
    }
    const diskSizeGb = parsed.diskSizeGb ?? (kind === "aks" ? cloudDefaults.aks.diskSizeGb : cloudDefaults.gke.diskSizeGb);
    if (diskSizeGb < 30 || diskSizeGb > 2048) {
        problems.add(
            `${key}.diskSizeGb`,
            `must be from 30 to 2048 (GB per node; images of Istio and the samples need room), got ${show(diskSizeGb)}`,
        );
    }

    const d = kind === "aks" ? cloudDefaults.aks : cloudDefaults.gke;
    const cidr = (field: "nodeCidr" | "podCidr" | "serviceCidr" | "masterCidr", dflt: string, min: number, max: number) => {
        const t = (parsed as Record<string, unknown>)[field] as string | undefined;
        const text = t ?? dflt;
        const range = parseIPv4Cidr(text);
        if (!range) {
            problems.add(`${key}.${field}`, `must be an IPv4 CIDR with zero host bits like ${show(dflt)}, got ${show(text)}`);
        } else if (range.prefix < min || range.prefix > max) {
            problems.add(`${key}.${field}`, `must have a prefix from /${min} to /${max}, got ${show(text)}`);
        }
        return { field, text, range };
    };
    // Nodes: a subnet big enough for the pool and its upgrades. Pods: a /24 per node. Services: the API server's /12-/28.
    const ranges = [cidr("nodeCidr", d.nodeCidr, 8, 28), cidr("podCidr", d.podCidr, 8, 21), cidr("serviceCidr", d.serviceCidr, 12, 27)];
    const gkeParsed = kind === "gke" ? (parsed as z.infer<typeof gkeSchema>) : undefined;
    if (gkeParsed?.masterCidr !== undefined && gkeParsed.privateNodes !== true) {
        problems.add(`${key}.masterCidr`, "is only used with privateNodes: true (the control plane's peered /28)");
    }
    if (gkeParsed?.privateNodes === true) {
        ranges.push(cidr("masterCidr", cloudDefaults.gke.masterCidr, 28, 28));
    }
    ranges.forEach((a, i) => {
        for (const b of ranges.slice(0, i)) {
            if (a.range && b.range && rangesOverlap(a.range, b.range)) {
                problems.add(`${key}.${a.field}`, `${show(a.text)} overlaps ${b.field} ${show(b.text)}: each range must be its own`);
            }
        }
    });
    if (kind === "aks") {
        for (const r of ranges.filter((x) => x.field !== "nodeCidr")) {
            const reserved = aksReservedRanges.find((t) => r.range && rangesOverlap(r.range, parseIPv4Cidr(t) as Ipv4Cidr));
            if (reserved) {
                problems.add(`${key}.${r.field}`, `${show(r.text)} overlaps ${reserved}, which Azure reserves (AKS refuses it)`);
            }
        }
    }

    const lbs = {
        eastWestLoadBalancer: parsed.eastWestLoadBalancer ?? cloudDefaults.loadBalancer,
        ingressLoadBalancer: parsed.ingressLoadBalancer ?? cloudDefaults.loadBalancer,
    };
    const base = {
        location: location ?? "",
        kubernetesVersion,
        nodeCount,
        diskSizeGb,
        nodeCidr: ranges[0].text,
        podCidr: ranges[1].text,
        serviceCidr: ranges[2].text,
        ...lbs,
    };
    nameProblems(problems, at, name, kind);
    if (kind === "aks") {
        const a = parsed as z.infer<typeof aksSchema>;
        const vmSize = a.vmSize ?? cloudDefaults.aks.vmSize;
        const vcpus = azureVcpus(vmSize);
        if (!azureVmSize.test(vmSize)) {
            problems.add(`${key}.vmSize`, `must be an Azure VM size like "Standard_D4s_v5", got ${show(vmSize)}`);
        } else if (vcpus !== undefined && vcpus < 2) {
            problems.add(`${key}.vmSize`, `${show(vmSize)} has ${vcpus} vCPU; AKS system node pools need at least 2 vCPUs and 4 GiB`);
        }
        const services = ranges[2].range;
        return {
            kind,
            ...base,
            vmSize,
            networkPolicy: a.networkPolicy ?? cloudDefaults.aks.networkPolicy,
            tier: a.tier ?? cloudDefaults.aks.tier,
            // AKS's convention (and its default, 10.0.0.10): the tenth address of the service range.
            dnsServiceIp: services ? ipv4Text(services.first + 10) : "",
        };
    }
    const g = gkeParsed as z.infer<typeof gkeSchema>;
    const machineType = g.machineType ?? cloudDefaults.gke.machineType;
    const vcpus = gceVcpus(machineType);
    if (!gceMachineType.test(machineType)) {
        problems.add(`${key}.machineType`, `must be a Compute Engine machine type like "e2-standard-4", got ${show(machineType)}`);
    } else if (vcpus !== undefined && vcpus < 2) {
        problems.add(
            `${key}.machineType`,
            `${show(machineType)} has ${vcpus === 0 ? "a shared core" : `${vcpus} vCPU`}; istiod, the gateways and the observability stack need nodes of at least 2 vCPUs`,
        );
    }
    return {
        kind,
        ...base,
        machineType,
        releaseChannel: g.releaseChannel ?? cloudDefaults.gke.releaseChannel,
        ...(g.privateNodes === true ? { privateNodes: { masterCidr: g.masterCidr ?? cloudDefaults.gke.masterCidr } } : {}),
        kubeconfigAuth: g.kubeconfigAuth ?? cloudDefaults.gke.kubeconfigAuth,
    };
}

/**
 * Names the created resources derive from the cluster's: GKE cluster names have at most 40 characters and Pulumi
 * appends `-cluster` and an 8-character suffix, and Compute Engine names start with a letter; AKS cluster names have
 * at most 63 (`<name>-cluster-xxxxxxx`) and its node resource group 80 (`<name>-resource-group-xxxxxxx-nodes`).
 */
function nameProblems(problems: Problems, at: string, name: string, kind: CloudProvisionKind): void {
    const max = kind === "gke" ? gkeMaxClusterName : aksMaxClusterName;
    if (kind === "gke" && !/^[a-z]/.test(name)) {
        problems.add(`${at}.name`, `${show(name)} must start with a letter on GKE (Compute Engine names its network and cluster after it)`);
    }
    if (name.length > max) {
        problems.add(
            `${at}.name`,
            `${show(name)} is ${name.length} characters long; a cluster the program creates on ${kind === "gke" ? "GKE" : "AKS"} has a name of at most ${max} (its cloud resources are named after it)`,
        );
    }
}

/** Two created clusters whose east-west load balancers are both internal have joined (routed) networks. */
export function joinedNetworkProblems(
    problems: Problems,
    clusters: readonly { readonly at: string; readonly access: ProvisionedAccess }[],
): void {
    const internal = clusters.filter((c) => c.access.eastWestLoadBalancer === "internal");
    internal.forEach((a, i) => {
        for (const b of internal.slice(0, i)) {
            for (const field of ["nodeCidr", "podCidr"] as const) {
                for (const other of ["nodeCidr", "podCidr"] as const) {
                    const ra = parseIPv4Cidr(a.access[field]);
                    const rb = parseIPv4Cidr(b.access[other]);
                    if (ra && rb && rangesOverlap(ra, rb)) {
                        problems.add(
                            `${a.at}.provision.${field}`,
                            `${show(a.access[field])} overlaps ${b.at}.provision.${other} ${show(b.access[other])}: both east-west load balancers are internal, so the two networks are joined and must not share addresses`,
                        );
                    }
                }
            }
        }
    });
}

/** Keys of the providers' config that carry credentials: refused unless set with --secret. */
const credentialKeys: Record<string, readonly string[]> = {
    "azure-native": ["clientSecret", "clientCertificatePassword", "oidcToken", "oidcRequestToken"],
    gcp: ["credentials", "accessToken"],
};

/** Parses a provider config value as the engine passes it (objects, booleans and numbers as JSON text). */
function providerValue(text: string): unknown {
    // Numbers stay text: a numeric project ID is a string input.
    if (/^(true|false|[[{].*)$/s.test(text)) {
        try {
            return JSON.parse(text) as unknown;
        } catch {
            return text;
        }
    }
    return text;
}

/** The provider config of one package (`azure-native`, `gcp`), secrets kept as Sensitive. */
export function readProviderSettings(problems: Problems, raw: RawConfig, namespace: "azure-native" | "gcp"): CloudProviderSettings {
    const plain: Record<string, unknown> = {};
    const secret: Record<string, Sensitive> = {};
    for (const entry of raw.providerConfig?.(namespace) ?? []) {
        if (entry.secret) {
            secret[entry.key] = new Sensitive(entry.value);
        } else if ((credentialKeys[namespace] ?? []).includes(entry.key)) {
            problems.addQualified(
                `${namespace}:${entry.key}`,
                "holds credentials and must be set with --secret (it is stored in plain text now)",
            );
        } else {
            plain[entry.key] = providerValue(entry.value);
        }
    }
    return { plain, secret };
}

/** The provider-level default locations, from the provider config. */
export function providerLocations(settings: {
    readonly azure: CloudProviderSettings;
    readonly gcp: CloudProviderSettings;
}): ProviderLocations {
    const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
    const gcp = str(settings.gcp.plain.region) ?? str(settings.gcp.plain.zone);
    const azure = str(settings.azure.plain.location);
    return { ...(azure !== undefined ? { azure } : {}), ...(gcp !== undefined ? { gcp } : {}) };
}
