import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import {
    IstioChart,
    VersionProfile,
    istioChartRepo,
    istioCharts,
    isVersionProfileName,
    versionProfileNames,
    versionProfiles,
} from "../core/versions";
import { apiServerProblem } from "./addresses";

import { istioPlatforms } from "../core/istio";
import { kubeadmApiServerProblem, kubeadmClusterFields, readBareMetal, readKubeadmClusters } from "./baremetal";
import { summarizeKubeconfig } from "./kubeconfig";
import {
    BareMetalConfig,
    CaConfig,
    ClusterAccess,
    CaLifetimes,
    ClusterConfig,
    ExternalIntermediate,
    HelmConfig,
    LoadBalancerKind,
    PeerConfig,
    PlatformKind,
    TestbedConfig,
    caSources,
    loadBalancerKinds,
    platformKinds,
} from "./model";
import { certExpiry, intermediateProblems, keyMatchProblem, rootCertProblems } from "./pem";
import { Problems, show } from "./problems";
import { Sensitive } from "./sensitive";
import { readIdentity } from "./identity";
import { readObservability } from "./observability";
import { parseStructured } from "./structured";

/** Raw stack config, keys without the project namespace; objects arrive as JSON text. */
export interface RawConfig {
    get(key: string): string | undefined;
    /** True when the key was set with `--secret`. */
    isSecret(key: string): boolean;
    /**
     * Dotted paths of leaves of a structured key that the stack file stores in plain text. `isSecret` is true
     * for the whole key as soon as ONE leaf is secure, so a plaintext sibling would otherwise slip through.
     */
    plaintextLeaves?(key: string): string[];
}

/** Problems for credential-holding keys with plaintext parts (never echoing the values). */
function plaintextProblems(problems: Problems, raw: RawConfig, key: string, isCredential: (leaf: string) => boolean = () => true): void {
    for (const leaf of (raw.plaintextLeaves?.(key) ?? []).filter(isCredential)) {
        problems.add(
            leaf ? `${key}.${leaf}` : key,
            "holds credentials but is stored in plain text in the stack file: set it with --secret",
        );
    }
}

/** Defaults for the simple keys; Pulumi.yaml's `config:` schema declares the same (a test keeps them equal). */
export const configDefaults = {
    versionProfile: "default",
    meshId: "zta-mesh",
    trustDomain: "cluster.local",
    caSource: "generated",
    caRootValidityDays: 3650,
    caIntermediateValidityDays: 730,
    caRenewBeforeDays: 30,
    helmTimeoutSeconds: 600,
    chartRepository: istioChartRepo,
    ingressNamespace: "istio-ingress",
    workloadCertTtlHours: 24,
    verificationTimeoutSeconds: 300,
    ingressHost: "httpbin.zta.test",
} as const;

const defaultLoadBalancer: Record<PlatformKind, LoadBalancerKind> = { cloud: "cloud", testbed: "metallb", sim: "sim" };

// DNS-1123 label (cluster names also name kubeconfig entries and Secret data keys).
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const maxClusterName = 63;
// Kubernetes annotation key: optional DNS-subdomain prefix, then a name segment.
const annotationKey = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
// Kubernetes label value (network names become `topology.istio.io/network` label values).
const labelValue = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const trustDomainPattern = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const stackNamePattern = /^[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9][-A-Za-z0-9_.]*$/;

const clusterSchema = z
    .object({
        name: z.string(),
        network: z.string(),
        apiServer: z.string().optional(),
        loadBalancer: z.enum(loadBalancerKinds as [LoadBalancerKind, ...LoadBalancerKind[]]).optional(),
        eastWestServiceAnnotations: z.record(z.string(), z.string()).optional(),
        istioPlatform: z.enum(istioPlatforms).optional(),
        ...kubeadmClusterFields,
    })
    .strict();
const peerSchema = z.object({ stack: z.string() }).strict();
const intermediateSchema = z.object({ cert: z.string(), key: z.string(), chain: z.string().optional() }).strict();

function readInt(problems: Problems, raw: RawConfig, key: string, dflt: number, min: number, max: number): number {
    const text = raw.get(key);
    if (text === undefined) {
        return dflt;
    }
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
        problems.add(key, `must be an integer from ${min} to ${max}, got ${show(text)}`);
        return dflt;
    }
    return value;
}

function readEnum<T extends string>(problems: Problems, raw: RawConfig, key: string, allowed: readonly T[], dflt?: T): T | undefined {
    const text = raw.get(key) ?? dflt;
    if (text === undefined) {
        problems.add(key, `is required; one of ${allowed.map((a) => show(a)).join(", ")}`);
        return undefined;
    }
    if (!(allowed as readonly string[]).includes(text)) {
        problems.add(key, `must be one of ${allowed.map((a) => show(a)).join(", ")}, got ${show(text)}`);
        return undefined;
    }
    return text as T;
}

function readPattern(problems: Problems, raw: RawConfig, key: string, pattern: RegExp, dflt: string, what: string): string {
    const value = raw.get(key) ?? dflt;
    if (!pattern.test(value)) {
        problems.add(key, `must be ${what}, got ${show(value)}`);
    }
    return value;
}

/** Reads a secret-only key: present, set with --secret. Returns its plaintext, wrapped. */
function readSecret(
    problems: Problems,
    raw: RawConfig,
    key: string,
    hint: string,
    isCredential?: (leaf: string) => boolean,
): string | undefined {
    const text = raw.get(key);
    if (text === undefined) {
        problems.add(key, `is required: ${hint}`);
        return undefined;
    }
    if (!raw.isSecret(key)) {
        problems.add(key, "holds credentials and must be set with --secret (it is stored in plain text now)");
    } else {
        plaintextProblems(problems, raw, key, isCredential);
    }
    return text;
}

function readClusters(
    problems: Problems,
    raw: RawConfig,
    platform: PlatformKind | undefined,
    hasPeers: boolean,
    baremetal: BareMetalConfig | undefined,
): ClusterConfig[] {
    const text = raw.get("clusters");
    if (text === undefined) {
        problems.add("clusters", "is required: a list of {name, network[, apiServer, loadBalancer]}");
        return [];
    }
    const entries = parseStructured(problems, "clusters", text, z.array(clusterSchema));
    if (!entries) {
        return [];
    }
    const minimum = hasPeers ? 1 : 2;
    if (entries.length < minimum) {
        problems.add(
            "clusters",
            `a multi-cluster mesh needs at least ${minimum} cluster${minimum > 1 ? "s" : ""}${hasPeers ? "" : " (or peers from another stack)"}, got ${entries.length}`,
        );
    }

    // Bare metal builds its clusters (kubeadm) and reads their kubeconfigs back; other platforms are given them.
    const kubeadm = baremetal ? readKubeadmClusters(problems, entries, baremetal) : undefined;
    if (baremetal && raw.get("kubeconfigs") !== undefined) {
        problems.add(
            "kubeconfigs",
            "is not used on platform testbed: kubeadm creates the clusters and Pulumi reads their kubeconfigs back",
        );
    }
    const kubeconfigs = baremetal
        ? new Map<string, string>()
        : readKubeconfigs(
              problems,
              raw,
              entries.map((c) => c.name),
          );
    const names = new Map<string, number>();
    const networks = new Map<string, number>();
    const clusters: ClusterConfig[] = [];
    entries.forEach((entry, i) => {
        const at = `clusters[${i}]`;
        if (!dnsLabel.test(entry.name) || entry.name.length > maxClusterName) {
            problems.add(
                `${at}.name`,
                `must be a DNS label of at most ${maxClusterName} characters (a-z, 0-9, -), got ${show(entry.name)}`,
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
        if (!labelValue.test(entry.network)) {
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
        if (!baremetal) {
            for (const field of Object.keys(kubeadmClusterFields)) {
                if ((entry as Record<string, unknown>)[field] !== undefined) {
                    problems.add(
                        `${at}.${field}`,
                        `is only used on platform testbed (bare-metal kubeadm clusters), not ${show(platform ?? "")}`,
                    );
                }
            }
        } else {
            // Cilium's cluster.name: a DNS label of at most 32 characters, never "default".
            if (entry.name.length > 32 || entry.name === "default") {
                problems.add(
                    `${at}.name`,
                    `must be at most 32 characters and not "default" on platform testbed (Cilium cluster name), got ${show(entry.name)}`,
                );
            }
            if (entry.apiServer !== undefined) {
                const p = kubeadmApiServerProblem(entry.apiServer, kubeadm?.[i]?.controlPlane, baremetal.hosts);
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
        const kubeconfigText = kubeconfigs.get(entry.name);
        let apiServer = entry.apiServer;
        const kubeadmCluster = kubeadm?.[i];
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
            ...(entry.istioPlatform !== undefined ? { istioPlatform: entry.istioPlatform } : {}),
        });
    });
    return clusters;
}

function readKubeconfigs(problems: Problems, raw: RawConfig, clusterNames: readonly string[]): Map<string, string> {
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
        const kubeconfig = map[name];
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
        if (!clusterNames.includes(name)) {
            problems.add(`kubeconfigs.${name}`, `names no cluster in clusters (known: ${clusterNames.map((n) => show(n)).join(", ")})`);
        }
    }
    return found;
}

function readPeers(problems: Problems, raw: RawConfig): PeerConfig[] {
    const text = raw.get("peers");
    if (text === undefined) {
        return [];
    }
    const peers = parseStructured(problems, "peers", text, z.array(peerSchema)) ?? [];
    const seen = new Set<string>();
    peers.forEach((peer, i) => {
        if (!stackNamePattern.test(peer.stack)) {
            problems.add(`peers[${i}].stack`, `must be a fully qualified stack name <org>/<project>/<stack>, got ${show(peer.stack)}`);
        }
        if (seen.has(peer.stack)) {
            problems.add(`peers[${i}].stack`, `${show(peer.stack)} is listed twice`);
        }
        seen.add(peer.stack);
    });
    return peers;
}

function readCa(problems: Problems, raw: RawConfig, clusterNames: readonly string[], hasPeers: boolean): CaConfig {
    const source = readEnum(problems, raw, "caSource", caSources, configDefaults.caSource) ?? "generated";
    const hours = (key: string, days: number, max: number): number => 24 * readInt(problems, raw, key, days, 1, max);
    const lifetimes: CaLifetimes = {
        rootValidityHours: hours("caRootValidityDays", configDefaults.caRootValidityDays, 36500),
        intermediateValidityHours: hours("caIntermediateValidityDays", configDefaults.caIntermediateValidityDays, 36500),
        renewBeforeHours: hours("caRenewBeforeDays", configDefaults.caRenewBeforeDays, 3650),
    };
    if (source === "generated") {
        if (lifetimes.intermediateValidityHours > lifetimes.rootValidityHours) {
            problems.add(
                "caIntermediateValidityDays",
                `must not exceed caRootValidityDays (${lifetimes.rootValidityHours / 24}), got ${lifetimes.intermediateValidityHours / 24}`,
            );
        }
    }
    if (source !== "external-intermediates") {
        if (lifetimes.renewBeforeHours >= lifetimes.intermediateValidityHours) {
            problems.add(
                "caRenewBeforeDays",
                `must be shorter than caIntermediateValidityDays (${lifetimes.intermediateValidityHours / 24}), got ${lifetimes.renewBeforeHours / 24}`,
            );
        }
    }
    if (hasPeers && source === "generated") {
        problems.add(
            "caSource",
            'is "generated" but peers are configured: every stack of one mesh must share one root, so use "external-root" or "external-intermediates" in each',
        );
    }
    if (source === "generated") {
        return { source, ...lifetimes };
    }

    const rootCertPem = raw.get("caRootCert");
    if (rootCertPem === undefined) {
        problems.add("caRootCert", `is required when caSource is ${show(source)}: pulumi config set caRootCert "$(cat root-cert.pem)"`);
    } else {
        for (const p of rootCertProblems(rootCertPem)) {
            problems.add("caRootCert", p);
        }
    }

    if (source === "external-root") {
        const rootExpiry = rootCertPem === undefined ? undefined : certExpiry(rootCertPem);
        if (rootExpiry && Date.now() + lifetimes.intermediateValidityHours * 3_600_000 > rootExpiry.getTime()) {
            problems.add(
                "caIntermediateValidityDays",
                `${lifetimes.intermediateValidityHours / 24} days would outlive the given root, which expires ${rootExpiry.toISOString()}`,
            );
        }
        const key = readSecret(problems, raw, "caRootKey", `pulumi config set --secret caRootKey "$(cat root-key.pem)"`);
        if (key !== undefined && rootCertPem !== undefined) {
            const p = keyMatchProblem(rootCertPem, key, "the root");
            if (p) {
                problems.add("caRootKey", p);
            }
        }
        return { source, rootCertPem: rootCertPem ?? "", rootKeyPem: new Sensitive(key ?? ""), ...lifetimes };
    }

    const intermediates: Record<string, ExternalIntermediate> = {};
    const text = readSecret(
        problems,
        raw,
        "caIntermediates",
        "a map cluster name -> {cert, key[, chain]} set with --secret --path",
        // Certificates are public; only the keys must be secure in the stack file.
        (leaf) => leaf.endsWith(".key"),
    );
    const map =
        text === undefined ? undefined : parseStructured(problems, "caIntermediates", text, z.record(z.string(), intermediateSchema), true);
    if (map) {
        for (const name of clusterNames) {
            const entry = map[name];
            const key = `caIntermediates.${name}`;
            if (!entry) {
                problems.add(key, `is missing: pulumi config set --secret --path '${key}.cert' ... (and .key)`);
                continue;
            }
            const chainPem = entry.chain ?? `${entry.cert.trim()}\n${(rootCertPem ?? "").trim()}\n`;
            if (rootCertPem !== undefined) {
                for (const p of intermediateProblems(entry.cert, chainPem, rootCertPem)) {
                    problems.add(key, p);
                }
            }
            const p = keyMatchProblem(entry.cert, entry.key, "the intermediate");
            if (p) {
                problems.add(`${key}.key`, p);
            }
            const twin = Object.entries(intermediates).find(([, other]) => other.certPem.trim() === entry.cert.trim());
            if (twin) {
                problems.add(key, `is the same certificate as caIntermediates.${twin[0]}; each cluster needs its own intermediate`);
            }
            intermediates[name] = { certPem: entry.cert, keyPem: new Sensitive(entry.key), chainPem };
        }
        for (const name of Object.keys(map)) {
            if (!clusterNames.includes(name)) {
                problems.add(`caIntermediates.${name}`, "names no cluster in clusters");
            }
        }
    }
    return { source, rootCertPem: rootCertPem ?? "", intermediates };
}

function readHelm(
    problems: Problems,
    raw: RawConfig,
    versions: VersionProfile | undefined,
    platform: PlatformKind | undefined,
): HelmConfig {
    const timeoutSeconds = readInt(problems, raw, "helmTimeoutSeconds", configDefaults.helmTimeoutSeconds, 60, 7200);
    const repository = raw.get("chartRepository") ?? configDefaults.chartRepository;
    // Helm repositories only: an oci:// registry is not a `repositoryOpts.repo` (pulumi-kubernetes#2158).
    if (!/^https:\/\/[^\s]+$/.test(repository)) {
        problems.add("chartRepository", `must be an https:// Helm repository URL, got ${show(repository)}`);
    }
    const chartDir = raw.get("chartDir");
    if (chartDir !== undefined) {
        if (!path.isAbsolute(chartDir)) {
            problems.add("chartDir", `must be an absolute path, got ${show(chartDir)}`);
        } else if (!fs.existsSync(chartDir)) {
            problems.add("chartDir", `does not exist: ${show(chartDir)}`);
        } else if (versions) {
            // Every chart the profile installs must be there, or the install would stop half-way.
            // Bare metal also installs Cilium and MetalLB from the same directory.
            const charts: [string, string, string][] = [
                ...chartVersions(versions).map(([chart, version]): [string, string, string] => ["istio", chart, version]),
                ...(platform === "testbed"
                    ? [
                          ["cilium", "cilium", versions.cilium] as [string, string, string],
                          ["metallb", "metallb", versions.metallb] as [string, string, string],
                      ]
                    : []),
            ];
            for (const [product, chart, version] of charts) {
                const chartYaml = path.join(chartDir, product, version, chart, "Chart.yaml");
                if (!fs.existsSync(chartYaml)) {
                    problems.add("chartDir", `has no ${chart} chart for ${version} (expected ${show(chartYaml)})`);
                }
            }
        }
    }
    return { timeoutSeconds, repository, chartDir };
}

/** The (chart, version) pairs a profile installs. */
export function chartVersions(versions: VersionProfile): [IstioChart, string][] {
    return istioCharts.map((chart) => [chart, chart === "gateway" ? versions.gatewayChart : versions.istio]);
}

/**
 * Validates raw stack config into the typed model. Throws ONE ConfigError listing every problem, each
 * naming its key and (unless secret) the offending value. Pure apart from reading what `chartDir` holds.
 */
export function parseConfig(raw: RawConfig): TestbedConfig {
    const problems = new Problems();
    const platform = readEnum(problems, raw, "platform", platformKinds);
    const profileName = raw.get("versionProfile") ?? configDefaults.versionProfile;
    if (!isVersionProfileName(profileName)) {
        problems.add(
            "versionProfile",
            `unknown version profile ${show(profileName)}; known: ${versionProfileNames.map((n) => show(n)).join(", ")}`,
        );
    }
    const meshId = readPattern(problems, raw, "meshId", labelValue, configDefaults.meshId, "a Kubernetes label value");
    const trustDomain = readPattern(
        problems,
        raw,
        "trustDomain",
        trustDomainPattern,
        configDefaults.trustDomain,
        "a DNS-style trust domain (lower case, no spiffe:// prefix)",
    );
    const ingressNamespace = readPattern(problems, raw, "ingressNamespace", dnsLabel, configDefaults.ingressNamespace, "a DNS label");
    if (ingressNamespace === "istio-system") {
        problems.add("ingressNamespace", "must not be istio-system: the ingress gateway gets its own namespace");
    }
    // Short-lived workload identities: at most a day (zero-trust reference; Istio's default is 24 h too).
    const workloadCertTtlHours = readInt(problems, raw, "workloadCertTtlHours", configDefaults.workloadCertTtlHours, 1, 24);
    // How long each in-cluster check keeps retrying before it fails `up` (configuration reaches proxies eventually).
    const verificationTimeoutSeconds = readInt(
        problems,
        raw,
        "verificationTimeoutSeconds",
        configDefaults.verificationTimeoutSeconds,
        30,
        1800,
    );
    const sampleRegistry = raw.get("sampleRegistry");
    if (sampleRegistry !== undefined && !/^[a-z0-9.-]+(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(sampleRegistry)) {
        problems.add("sampleRegistry", `must be an image repository prefix like 10.5.0.2:5000/samples, got ${show(sampleRegistry)}`);
    }
    const istioHub = raw.get("istioHub");
    if (istioHub !== undefined && !/^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?(\/[a-z0-9._-]+)*$/.test(istioHub)) {
        problems.add("istioHub", `must be an image repository prefix like registry.example:5000/istio, got ${show(istioHub)}`);
    }
    const peers = readPeers(problems, raw);
    const baremetal =
        platform === "testbed"
            ? readBareMetal(problems, {
                  hosts: raw.get("hosts"),
                  ssh: raw.get("ssh"),
                  sshPrivateKey: raw.get("sshPrivateKey"),
                  sshPrivateKeyIsSecret: raw.isSecret("sshPrivateKey"),
                  registry: raw.get("registry"),
              })
            : undefined;
    if (platform !== "testbed") {
        for (const key of ["hosts", "ssh", "sshPrivateKey", "registry"]) {
            if (raw.get(key) !== undefined) {
                problems.add(key, `is only used on platform testbed (bare metal), not ${show(platform ?? "")}`);
            }
        }
    }
    const clusters = readClusters(problems, raw, platform, peers.length > 0, baremetal);
    const ca = readCa(
        problems,
        raw,
        clusters.map((c) => c.name),
        peers.length > 0,
    );
    const helm = readHelm(problems, raw, isVersionProfileName(profileName) ? versionProfiles[profileName] : undefined, platform);
    const identity = readIdentity(
        problems,
        {
            identity: raw.get("identity"),
            ingressHost: raw.get("ingressHost"),
            identityTls: raw.get("identityTls"),
            identityTlsIsSecret: raw.isSecret("identityTls"),
            identityCredentials: raw.get("identityCredentials"),
            identityCredentialsIsSecret: raw.isSecret("identityCredentials"),
        },
        platform,
        clusters[0]?.name,
        baremetal,
    );
    const observability = readObservability(problems, {
        observability: raw.get("observability"),
        observabilityCredentials: raw.get("observabilityCredentials"),
        observabilityCredentialsIsSecret: raw.isSecret("observabilityCredentials"),
    });

    problems.throwIfAny();
    const versionProfile = profileName as keyof typeof versionProfiles;
    return {
        platform: platform as PlatformKind,
        versionProfile,
        versions: versionProfiles[versionProfile],
        meshId,
        trustDomain,
        clusters,
        peers,
        ca,
        helm,
        istioHub,
        ingressNamespace,
        workloadCertTtlHours,
        verificationTimeoutSeconds,
        ...(sampleRegistry !== undefined ? { sampleRegistry } : {}),
        identity,
        observability,
        baremetal,
    };
}
