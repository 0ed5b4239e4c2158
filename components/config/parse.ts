/**
 * The config layer's entry: validates raw stack config into the typed model, every problem at once. The parts
 * live beside it: readers.ts (single keys), clusters.ts and kubeadmClusters.ts, baremetal.ts, ca.ts, identity.ts,
 * observability.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { CniPlugin, findCniPlugin } from "../core/cni";
import { isDnsLabel } from "../core/net";
import { baseUrlExtras, isImageRegistryPrefix } from "../core/validate";
import { reservedNamespaceProblem } from "../core/namespaces";
import { IstioChart, VersionProfile, istioCharts, isVersionProfileName, versionProfileNames, versionProfiles } from "../core/versions";
import { readBareMetal } from "./baremetal";
import { readCa } from "./ca";
import { readClusters } from "./clusters";
import { providerLocations, readProviderSettings } from "./cloudClusters";
import { configDefaults } from "./defaults";
import { readIdentity } from "./identity";
import { BareMetalConfig, HelmConfig, IdentityConfig, PeerConfig, PlatformKind, TestbedConfig, platformKinds } from "./model";
import { readObservability } from "./observability";
import { readControlPlaneChecks } from "./controlPlaneChecks";
import { Problems, configNamespace, show } from "./problems";
import { isConfigKey, nearestConfigKey } from "./keys";
import { RawConfig, labelValuePattern, readEnum, readInt, readPattern } from "./readers";
import { parseStructured } from "./structured";
import { boundedRawConfig } from "./bounds";

export { configDefaults } from "./defaults";
export type { RawConfig } from "./readers";

const trustDomainPattern = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const stackNamePattern = /^[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9][-A-Za-z0-9_.]*$/;
const peerSchema = z.object({ stack: z.string() }).strict();

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

function readHelm(
    problems: Problems,
    raw: RawConfig,
    versions: VersionProfile | undefined,
    platform: PlatformKind | undefined,
    cnis: readonly CniPlugin[],
): HelmConfig {
    const timeoutSeconds = readInt(problems, raw, "helmTimeoutSeconds", configDefaults.helmTimeoutSeconds, 60, 7200);
    const repository = raw.get("chartRepository") ?? configDefaults.chartRepository;
    // Helm repositories only: an oci:// registry is not a `repositoryOpts.repo` (pulumi-kubernetes#2158).
    if (!/^https:\/\/[^\s]+$/.test(repository) || !URL.canParse(repository)) {
        problems.add("chartRepository", `must be an https:// Helm repository URL, got ${show(repository)}`);
    } else {
        const extras = baseUrlExtras(new URL(repository));
        if (extras.length > 0) {
            // the repository URL is part of every Release's (plain-text) inputs and state
            problems.add("chartRepository", `must not carry ${extras.join(", ")}; got ${show(repository)}`);
        }
    }
    const chartDir = raw.get("chartDir");
    if (chartDir !== undefined) {
        if (!path.isAbsolute(chartDir)) {
            problems.add("chartDir", `must be an absolute path, got ${show(chartDir)}`);
        } else if (!fs.existsSync(chartDir)) {
            problems.add("chartDir", `does not exist: ${show(chartDir)}`);
        } else if (versions) {
            // Every chart the profile installs must be there, or the install would stop half-way.
            // Bare metal also installs its clusters' CNIs and MetalLB from the same directory.
            const charts: [string, string, string][] = [
                ...chartVersions(versions).map(([chart, version]): [string, string, string] => ["istio", chart, version]),
                ...(platform === "testbed"
                    ? [
                          ...cnis.map((cni): [string, string, string] => [cni.chart.product, cni.chart.chart, cni.version(versions)]),
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

/** Keycloak's management (health) port, which the host setup publishes on the Keycloak host's loopback. */
const keycloakHostManagementPort = 9000;

/**
 * Ports that must be distinct on one host (bare metal): SSH on every host, the registry and Keycloak (and Keycloak's
 * management port) on theirs. A clash would surface halfway through a host's setup, as a port Docker cannot publish
 * or an SSH daemon cut off.
 */
function hostPortCollisions(problems: Problems, baremetal: BareMetalConfig, identity: IdentityConfig): void {
    for (const host of baremetal.hosts) {
        const uses: [string, number][] = [["ssh.port", baremetal.ssh.port]];
        if (host.name === baremetal.registry.host) {
            uses.push(["registry.port", baremetal.registry.port]);
        }
        if (identity.placement.kind === "host" && identity.placement.host === host.name) {
            uses.push(["identity.port", identity.port], ["Keycloak's management port", keycloakHostManagementPort]);
        }
        uses.forEach(([key, port], i) => {
            const earlier = uses.slice(0, i).find(([, p]) => p === port);
            if (earlier) {
                const [reported, other] = key.startsWith("Keycloak's") ? [earlier[0], key] : [key, earlier[0]];
                problems.add(reported, `${port} is also ${other} on host ${show(host.name)}: each service there needs a port of its own`);
            }
        });
    }
}

/**
 * Validates raw stack config into the typed model. Throws ONE ConfigError listing every problem, each
 * naming its key and (unless secret) the offending value. Pure apart from reading what `chartDir` holds.
 */
export function parseConfig(given: RawConfig): TestbedConfig {
    const problems = new Problems();
    const raw = boundedRawConfig(problems, given);
    // a key nobody reads would leave its default in force, silently
    for (const key of raw.keys?.() ?? []) {
        if (!isConfigKey(key)) {
            const near = nearestConfigKey(key);
            problems.add(
                key,
                `is not a setting of ${configNamespace}${near ? ` (did you mean ${show(near)}?)` : ""}; README's configuration reference lists them`,
            );
        }
    }
    const platform = readEnum(problems, raw, "platform", platformKinds);
    const profileName = raw.get("versionProfile") ?? configDefaults.versionProfile;
    if (!isVersionProfileName(profileName)) {
        problems.add(
            "versionProfile",
            `unknown version profile ${show(profileName)}; known: ${versionProfileNames.map((n) => show(n)).join(", ")}`,
        );
    }
    const meshId = readPattern(problems, raw, "meshId", labelValuePattern, configDefaults.meshId, "a Kubernetes label value");
    const trustDomain = readPattern(
        problems,
        raw,
        "trustDomain",
        trustDomainPattern,
        configDefaults.trustDomain,
        "a DNS-style trust domain (lower case, no spiffe:// prefix)",
    );
    const ingressNamespace = readPattern(
        problems,
        raw,
        "ingressNamespace",
        { test: isDnsLabel },
        configDefaults.ingressNamespace,
        "a DNS label",
    );
    const reserved = reservedNamespaceProblem(ingressNamespace);
    if (reserved) {
        problems.add("ingressNamespace", `must be a namespace of the ingress gateway's own: ${reserved}`);
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
    if (sampleRegistry !== undefined && !isImageRegistryPrefix(sampleRegistry)) {
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
    // With an unknown platform, which keys apply is unknown too: only the platform itself is reported.
    if (platform !== "testbed" && platform !== undefined) {
        for (const key of ["hosts", "ssh", "sshPrivateKey", "registry"]) {
            if (raw.get(key) !== undefined) {
                problems.add(key, `is only used on platform testbed (bare metal), not ${show(platform ?? "")}`);
            }
        }
    }
    // The clouds' provider config (set the usual way), for the clusters the cloud platform creates.
    const cloudProviders =
        platform === "cloud"
            ? { azure: readProviderSettings(problems, raw, "azure-native"), gcp: readProviderSettings(problems, raw, "gcp") }
            : undefined;
    const clusters = readClusters(problems, raw, platform, peers.length > 0, baremetal, {
        versions: isVersionProfileName(profileName) ? versionProfiles[profileName] : undefined,
        profileName,
        providers: cloudProviders ? providerLocations(cloudProviders) : {},
    });
    const ca = readCa(
        problems,
        raw,
        clusters.map((c) => c.name),
        peers.length > 0,
    );
    // The CNIs the clusters use (unknown names are reported already).
    const cnis = [...new Set(clusters.flatMap((c) => (c.access.kind === "kubeadm" ? [c.access.cni] : [])))].flatMap(
        (n) => findCniPlugin(n) ?? [],
    );
    const helm = readHelm(problems, raw, isVersionProfileName(profileName) ? versionProfiles[profileName] : undefined, platform, cnis);
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
    if (baremetal) {
        hostPortCollisions(problems, baremetal, identity);
    }
    const controlPlaneChecks = readControlPlaneChecks(problems, raw.get("controlPlaneChecks"));
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
        ...(controlPlaneChecks ? { controlPlaneChecks } : {}),
        baremetal,
        ...(cloudProviders && clusters.some((c) => c.access.kind === "aks" || c.access.kind === "gke") ? { cloudProviders } : {}),
    };
}
