/**
 * `clusters` (and, off bare metal, `kubeconfigs`): names, networks, API server addresses, load balancers, and on
 * platform testbed the kubeadm fields (kubeadmClusters.ts). Called only from parse.ts.
 */
import { z } from "zod";
import { istioPlatforms } from "../core/istio";
import { dnsLabelMaxLength, isDnsLabel } from "../core/net";
import { apiServerProblem } from "./addresses";
import { readEastWestSourceRanges } from "./eastWestSourceRanges";
import { cniClusterNameProblem, kubeadmApiServerProblem, kubeadmClusterFields, readKubeadmClusters } from "./kubeadmClusters";
import { summarizeKubeconfig } from "./kubeconfig";
import { loadBalancerAnnotationProblems } from "./loadBalancerAddresses";
import { isReservedName } from "./bounds";
import { BareMetalConfig, ClusterAccess, ClusterConfig, LoadBalancerKind, PlatformKind, loadBalancerKinds } from "./model";
import { Problems, show } from "./problems";
import { RawConfig, labelValuePattern, plaintextProblems } from "./readers";
import { Sensitive } from "./sensitive";
import { ownEntry, parseEntries, parseStructured } from "./structured";
import { ProvisionContext, ProvisionedAccess, joinedNetworkProblems, readProvision } from "./cloudClusters";

const defaultLoadBalancer: Record<PlatformKind, LoadBalancerKind> = { cloud: "cloud", testbed: "metallb", sim: "sim" };

// Kubernetes annotation key: optional DNS-subdomain prefix, then a name segment.
const annotationKey = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

const clusterSchema = z
    .object({
        name: z.string(),
        network: z.string(),
        apiServer: z.string().optional(),
        loadBalancer: z.enum(loadBalancerKinds as [LoadBalancerKind, ...LoadBalancerKind[]]).optional(),
        eastWestServiceAnnotations: z.record(z.string(), z.string()).optional(),
        eastWestSourceRanges: z.array(z.string()).optional(),
        istioPlatform: z.enum(istioPlatforms).optional(),
        provision: z.record(z.string(), z.unknown()).optional(),
        ...kubeadmClusterFields,
    })
    .strict();

export function readClusters(
    problems: Problems,
    raw: RawConfig,
    platform: PlatformKind | undefined,
    hasPeers: boolean,
    baremetal: BareMetalConfig | undefined,
    /** What `provision` blocks (platform cloud) are read against: the version profile, the providers' locations. */
    cloud: ProvisionContext = { versions: undefined, profileName: "", providers: {} },
): ClusterConfig[] {
    const text = raw.get("clusters");
    if (text === undefined) {
        problems.add("clusters", "is required: a list of {name, network[, apiServer, loadBalancer]}");
        return [];
    }
    const parsed = parseEntries(problems, "clusters", text, clusterSchema);
    if (!parsed) {
        return [];
    }
    // Entries refused by the schema (reported) are left out; the others keep their positions in messages.
    const entries = parsed.entries.map((e) => e.value);
    const positions = parsed.entries.map((e) => e.index);
    for (const name of refusedEntryNames(text, positions)) {
        // their kubeconfig or intermediate is not "for no cluster": the cluster's entry was reported already
        problems.reject(`kubeconfigs.${name}`);
        problems.reject(`caIntermediates.${name}`);
    }
    entries.forEach((entry, k) => {
        if (isReservedName(entry.name)) {
            // it would be the key of its kubeconfig and intermediate, where such names are refused
            problems.add(`clusters[${positions[k]}].name`, `${show(entry.name)} is a name every JavaScript object has; choose another`);
            problems.reject(`kubeconfigs.${entry.name}`);
            problems.reject(`caIntermediates.${entry.name}`);
        }
    });
    const minimum = hasPeers ? 1 : 2;
    if (parsed.count < minimum) {
        problems.add(
            "clusters",
            `a multi-cluster mesh needs at least ${minimum} cluster${minimum > 1 ? "s" : ""}${hasPeers ? "" : " (or peers from another stack)"}, got ${parsed.count}`,
        );
    }

    // Bare metal builds its clusters (kubeadm) and reads their kubeconfigs back; other platforms are given them.
    const kubeadm = baremetal ? readKubeadmClusters(problems, entries, baremetal, positions, entries.length < parsed.count) : undefined;
    if (baremetal && raw.get("kubeconfigs") !== undefined) {
        problems.add(
            "kubeconfigs",
            "is not used on platform testbed: kubeadm creates the clusters and Pulumi reads their kubeconfigs back",
        );
    }
    // Clusters the program creates (platform cloud) have no kubeconfig to give: Pulumi reads theirs from the cloud.
    // (On cloud only; a provision block refused by the schema still means the cluster is not given by kubeconfig.)
    const isCreated = (e: { provision?: unknown }, k: number): boolean =>
        platform === "cloud" && (e.provision !== undefined || problems.rejected(`clusters[${positions[k]}].provision`));
    const provisioned = entries.filter(isCreated).map((e) => e.name);
    const kubeconfigs =
        baremetal || platform === undefined
            ? new Map<string, string>()
            : readKubeconfigs(
                  problems,
                  raw,
                  entries.filter((e, k) => !isCreated(e, k)).map((c) => c.name),
                  provisioned,
              );
    const created: { at: string; access: ProvisionedAccess }[] = [];
    const names = new Map<string, number>();
    const networks = new Map<string, number>();
    const clusters: ClusterConfig[] = [];
    entries.forEach((entry, k) => {
        const i = positions[k];
        const at = `clusters[${i}]`;
        if (!isDnsLabel(entry.name)) {
            problems.add(
                `${at}.name`,
                `must be a DNS label of at most ${dnsLabelMaxLength} characters (a-z, 0-9, -), got ${show(entry.name)}`,
            );
        }
        const seenName = names.get(entry.name);
        if (seenName !== undefined) {
            problems.add(
                `${at}.name`,
                `${show(entry.name)} duplicates clusters[${seenName}].name; cluster names must be unique in the mesh`,
            );
        } else {
            names.set(entry.name, i);
        }
        if (!labelValuePattern.test(entry.network)) {
            problems.add(`${at}.network`, `must be a Kubernetes label value, got ${show(entry.network)}`);
        }
        const seenNetwork = networks.get(entry.network);
        if (seenNetwork !== undefined) {
            problems.add(
                `${at}.network`,
                `${show(entry.network)} duplicates clusters[${seenNetwork}].network; each cluster of this multi-network mesh needs its own network`,
            );
        } else {
            networks.set(entry.network, i);
        }

        for (const key of Object.keys(entry.eastWestServiceAnnotations ?? {})) {
            if (!annotationKey.test(key)) {
                problems.add(`${at}.eastWestServiceAnnotations`, `${show(key)} is not a valid annotation key`);
            }
        }
        if (!baremetal && platform !== undefined) {
            for (const field of Object.keys(kubeadmClusterFields)) {
                if ((entry as Record<string, unknown>)[field] !== undefined) {
                    problems.add(
                        `${at}.${field}`,
                        `is only used on platform testbed (bare-metal kubeadm clusters), not ${show(platform ?? "")}`,
                    );
                }
            }
        } else if (baremetal) {
            const nameProblem = cniClusterNameProblem(entry.name, entry.cni);
            if (nameProblem) {
                problems.add(`${at}.name`, nameProblem);
            }
            if (entry.apiServer !== undefined) {
                const p = kubeadmApiServerProblem(entry.apiServer, kubeadm?.[k]?.controlPlane, baremetal.hosts);
                if (p) {
                    problems.add(`${at}.apiServer`, p);
                }
            }
        }
        if (baremetal && entry.loadBalancer !== undefined && entry.loadBalancer !== "metallb") {
            problems.add(
                `${at}.loadBalancer`,
                `must be "metallb" on platform testbed (bare metal has no cloud load balancer), got ${show(entry.loadBalancer)}`,
            );
        }
        if (entry.provision !== undefined && platform !== "cloud" && platform !== undefined) {
            // The rest of the entry is read as the platform's own kind of cluster.
            problems.reject(
                `${at}.provision`,
                `is only used on platform cloud (AKS or GKE clusters the program creates), not ${show(platform)}`,
            );
        }
        const provisionedAccess =
            entry.provision !== undefined && platform === "cloud"
                ? readProvision(problems, at, entry.name, entry.provision, cloud)
                : undefined;
        if (isCreated(entry, k)) {
            provisionedFieldProblems(problems, at, entry, provisionedAccess?.kind);
            if (provisionedAccess) {
                created.push({ at, access: provisionedAccess });
                clusters.push({
                    name: entry.name,
                    network: entry.network,
                    // the cluster's endpoint, once it exists: the platform handle carries it
                    apiServer: "",
                    apiServerFromKubeconfig: false,
                    access: provisionedAccess,
                    loadBalancer: "cloud",
                    eastWestServiceAnnotations: entry.eastWestServiceAnnotations ?? {},
                    eastWestSourceRanges: readEastWestSourceRanges(problems, at, entry.eastWestSourceRanges),
                    ...(provisionedAccess.kind === "gke" ? { istioPlatform: "gke" as const } : {}),
                });
            }
            return;
        }
        const kubeconfigText = kubeconfigs.get(entry.name);
        let apiServer = entry.apiServer;
        const kubeadmCluster = kubeadm?.[k];
        const controlPlane = kubeadmCluster ? baremetal?.hosts.find((h) => h.name === kubeadmCluster.controlPlane) : undefined;
        let fromKubeconfig = false;
        const allowLoopback = platform === "sim";
        if (apiServer !== undefined) {
            const problem = apiServerProblem(apiServer, { allowLoopback });
            if (problem) {
                problems.add(`${at}.apiServer`, `${show(apiServer)} ${problem}`);
            }
        } else if (controlPlane) {
            // kubeadm advertises the management address; its certificate carries it as a SAN.
            apiServer = `https://${controlPlane.management.address}:6443`;
        } else if (kubeconfigText !== undefined) {
            try {
                apiServer = summarizeKubeconfig(kubeconfigText).server;
                fromKubeconfig = true;
                const problem = apiServerProblem(apiServer, { allowLoopback });
                if (problem) {
                    problems.add(
                        `${at}.apiServer`,
                        `is unset and the kubeconfig's server ${show(apiServer)} ${problem}; set the address other clusters reach`,
                    );
                }
            } catch {
                // readKubeconfigs already reported the unreadable kubeconfig.
            }
        }
        const access: ClusterAccess =
            baremetal && kubeadmCluster
                ? { kind: "kubeadm", ...kubeadmCluster }
                : { kind: "kubeconfig", kubeconfig: new Sensitive(kubeconfigText ?? "") };
        clusters.push({
            name: entry.name,
            network: entry.network,
            apiServer: apiServer ?? "",
            apiServerFromKubeconfig: fromKubeconfig,
            access,
            loadBalancer: entry.loadBalancer ?? defaultLoadBalancer[platform ?? "testbed"],
            eastWestServiceAnnotations: entry.eastWestServiceAnnotations ?? {},
            eastWestSourceRanges: readEastWestSourceRanges(problems, at, entry.eastWestSourceRanges),
            ...(entry.istioPlatform !== undefined ? { istioPlatform: entry.istioPlatform } : {}),
        });
    });
    loadBalancerAnnotationProblems(
        problems,
        entries.map((e, k) => ({
            at: `clusters[${positions[k]}]`,
            name: e.name,
            annotations: e.eastWestServiceAnnotations ?? {},
            ...(baremetal ? { pool: e.loadBalancerPool ?? [] } : {}),
        })),
        baremetal,
    );
    joinedNetworkProblems(problems, created);
    return clusters;
}

/** Fields of a created cluster's entry that only an existing cluster has, or that the cloud decides. */
function provisionedFieldProblems(
    problems: Problems,
    at: string,
    entry: { apiServer?: string; loadBalancer?: LoadBalancerKind; istioPlatform?: string },
    kind: "aks" | "gke" | undefined,
): void {
    if (entry.apiServer !== undefined) {
        problems.add(
            `${at}.apiServer`,
            "is the endpoint of the cluster the program creates (clusters[i].provision), known once it exists: remove it",
        );
    }
    if (entry.loadBalancer !== undefined && entry.loadBalancer !== "cloud") {
        problems.add(
            `${at}.loadBalancer`,
            `must be "cloud" for a cluster the program creates on AKS or GKE, got ${show(entry.loadBalancer)}`,
        );
    }
    if (entry.istioPlatform !== undefined && kind !== undefined && entry.istioPlatform !== (kind === "gke" ? "gke" : undefined)) {
        problems.add(
            `${at}.istioPlatform`,
            kind === "gke"
                ? `is "gke" for a GKE cluster (set by the program), got ${show(entry.istioPlatform)}`
                : `is not used on AKS (its node layout is Istio's default), got ${show(entry.istioPlatform)}`,
        );
    }
}

/** The names (where they are strings) of the list entries the schema refused: those not at `kept` positions. */
function refusedEntryNames(text: string, kept: readonly number[]): string[] {
    const list = JSON.parse(text) as unknown[];
    return list.flatMap((e, i) => {
        const name = (e as { name?: unknown } | null)?.name;
        return kept.includes(i) || typeof name !== "string" ? [] : [name];
    });
}

function readKubeconfigs(
    problems: Problems,
    raw: RawConfig,
    clusterNames: readonly string[],
    provisioned: readonly string[] = [],
): Map<string, string> {
    const found = new Map<string, string>();
    const setHint = (name: string): string => `pulumi config set --secret --path 'kubeconfigs.${name}' "$(cat <kubeconfig>)"`;
    const text = raw.get("kubeconfigs");
    if (text === undefined) {
        if (clusterNames.length > 0) {
            problems.add(
                "kubeconfigs",
                `is required (one admin kubeconfig per cluster, as secrets): ${clusterNames.map(setHint).join("; ")}`,
            );
        }
        return found;
    }
    if (!raw.isSecret("kubeconfigs")) {
        problems.add("kubeconfigs", "holds credentials and must be set with --secret (it is stored in plain text now)");
    } else {
        plaintextProblems(problems, raw, "kubeconfigs");
    }
    const map = parseStructured(problems, "kubeconfigs", text, z.record(z.string(), z.string()), true);
    if (!map) {
        return found;
    }
    for (const name of clusterNames) {
        const kubeconfig = ownEntry(map, name);
        if (kubeconfig === undefined) {
            problems.add(`kubeconfigs.${name}`, `is missing: ${setHint(name)}`);
            continue;
        }
        try {
            summarizeKubeconfig(kubeconfig);
        } catch (e) {
            problems.add(`kubeconfigs.${name}`, (e as Error).message);
        }
        found.set(name, kubeconfig);
    }
    for (const name of Object.keys(map)) {
        if (provisioned.includes(name)) {
            problems.add(
                `kubeconfigs.${name}`,
                `cluster ${show(name)} is created by the program (its provision block): Pulumi reads its credentials from the cloud; remove this kubeconfig`,
            );
        } else if (!clusterNames.includes(name)) {
            problems.add(`kubeconfigs.${name}`, `names no cluster in clusters (known: ${clusterNames.map((n) => show(n)).join(", ")})`);
        }
    }
    return found;
}
