/**
 * Committed stack files as test input: their plain config as written, plus TEST values for the secrets a
 * user would set with `pulumi config set --secret` (never real credentials).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { RawConfig } from "../../components/config/parse";
import { configNamespace } from "../../components/config/problems";
import { TestPki } from "./pki";

export const repoRoot = path.resolve(__dirname, "..", "..");

/** The stacks whose Pulumi.<stack>.yaml is committed. */
export const committedStacks = ["testbed", "cloud", "sim"] as const;
export type CommittedStack = (typeof committedStacks)[number];

/** A kubeconfig shaped like the ones kubeadm/az/gcloud write, with a fake token. */
export function adminKubeconfig(cluster: string, server: string): string {
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: cluster, cluster: { server, "certificate-authority-data": Buffer.from(`CA-${cluster}`).toString("base64") } }],
        contexts: [{ name: `admin@${cluster}`, context: { cluster, user: `admin-${cluster}` } }],
        "current-context": `admin@${cluster}`,
        users: [{ name: `admin-${cluster}`, user: { token: `TEST-ADMIN-TOKEN-${cluster}` } }],
    });
}

/** An SSH private key in OpenSSH armor whose body is not a key: config only checks the armor. */
export const testSshKey =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nVEVTVC1PTkxZLVNTSC1LRVktbm90LWEtcmVhbC1rZXk=\n-----END OPENSSH PRIVATE KEY-----\n";

/** The sim's ready-made intermediates (sim/deploy.ts makes RSA 4096 ones; tests use throw-away P-256). */
function simCa(): Record<string, unknown> {
    const pki = new TestPki();
    try {
        const root = pki.root();
        return {
            caRootCert: root.cert,
            caIntermediates: { cluster1: pki.intermediate(root, "cluster1"), cluster2: pki.intermediate(root, "cluster2") },
        };
    } finally {
        pki.cleanup();
    }
}

/** Test secrets per committed stack (what README tells users to set, or what the sim driver sets). */
export const testSecrets: Record<CommittedStack, Record<string, unknown>> = {
    testbed: {
        // kubeadm creates the clusters; the only credential a lab admin sets is the SSH key (fake here).
        sshPrivateKey: testSshKey,
    },
    // The program creates both clusters and reads their credentials from the clouds: a user sets no secret.
    cloud: {},
    // Made on first use: the sim's PKI costs openssl runs, and most test files that import this module never read it.
    get sim(): Record<string, unknown> {
        simSecrets ??= {
            kubeconfigs: {
                // One network namespace for both clusters: loopback is where they meet (sim platform only).
                cluster1: adminKubeconfig("zta-sim-1", "https://127.0.0.1:16443"),
                cluster2: adminKubeconfig("zta-sim-2", "https://127.0.0.1:26443"),
            },
            ...simCa(),
        };
        return simSecrets;
    },
};
let simSecrets: Record<string, unknown> | undefined;

/** A well-formed ed25519 host key line per host (test-only; what `ssh-keyscan -t ed25519` prints after the host). */
export function testHostKey(host: string): string {
    const blob = Buffer.concat([
        Buffer.from([0, 0, 0, 11]),
        Buffer.from("ssh-ed25519"),
        Buffer.from([0, 0, 0, 32]),
        Buffer.alloc(32, host),
    ]);
    return `ssh-ed25519 ${blob.toString("base64")}`;
}

/**
 * Plain config a lab admin adds to a committed stack before the first run (README), as test values: the testbed's
 * pinned host keys.
 */
function testPlainConfig(stack: CommittedStack): Record<string, unknown> {
    // Istio's dashboards are downloaded at deploy time (unreachable here); tests/observability/istio.test.ts covers them.
    const offline = { observability: { istioDashboards: "none" } };
    if (stack !== "testbed") {
        return offline;
    }
    const hosts = readStackFile("testbed")[`${configNamespace}:hosts`] as Record<string, unknown>[];
    return { ...offline, hosts: hosts.map((h) => ({ ...h, hostKey: testHostKey(String(h.name)) })) };
}

export interface StackConfig {
    /** Fully qualified key → value as the language host passes it (objects as JSON). */
    config: Record<string, string>;
    secretKeys: string[];
}

function encode(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** Reads Pulumi.<stack>.yaml's `config:` (no secure values may be committed). */
export function readStackFile(stack: string): Record<string, unknown> {
    // Parsed once per test file (YAML with comments costs ~10 ms, and hundreds of cases read it); each caller gets a copy.
    let config = stackFiles.get(stack);
    if (config === undefined) {
        const doc = parseYaml(fs.readFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
        config = doc.config ?? {};
        stackFiles.set(stack, config);
    }
    return structuredClone(config);
}
const stackFiles = new Map<string, Record<string, unknown>>();

/** Stack config for a committed stack with test secrets; `changes` (unqualified keys) override or delete (undefined). */
export function stackConfig(
    stack: CommittedStack,
    changes: Record<string, unknown> = {},
    secretChanges: Record<string, unknown> = {},
): StackConfig {
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(readStackFile(stack))) {
        config[key] = encode(value);
    }
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries({ ...testSecrets[stack], ...secretChanges })) {
        const full = `${configNamespace}:${key}`;
        if (value === undefined) {
            delete config[full];
            continue;
        }
        config[full] = encode(value);
        secretKeys.push(full);
    }
    for (const [key, value] of Object.entries({ ...testPlainConfig(stack), ...changes })) {
        const full = `${configNamespace}:${key}`;
        if (value === undefined) {
            delete config[full];
        } else {
            config[full] = encode(value);
        }
    }
    return { config, secretKeys };
}

/** RawConfig view of a StackConfig, for calling parseConfig directly. */
export function rawConfig(sc: StackConfig): RawConfig {
    return {
        get: (key) => sc.config[`${configNamespace}:${key}`],
        isSecret: (key) => sc.secretKeys.includes(`${configNamespace}:${key}`),
        keys: () =>
            Object.keys(sc.config)
                .filter((k) => k.startsWith(`${configNamespace}:`))
                .map((k) => k.slice(configNamespace.length + 1)),
        providerConfig: (namespace) =>
            Object.entries(sc.config)
                .filter(([k]) => k.startsWith(`${namespace}:`))
                .map(([k, value]) => ({ key: k.slice(namespace.length + 1), value, secret: sc.secretKeys.includes(k) })),
    };
}

/** The cloud stack plus a third cluster: the N-cluster case. */
export function threeClusterConfig(): StackConfig {
    const base = readStackFile("cloud");
    const clusters = [
        ...(base[`${configNamespace}:clusters`] as unknown[]),
        { name: "eks", network: "network-eks", apiServer: "https://198.51.100.7:443" },
    ];
    // Two clusters the program creates and one it is given: both paths in one mesh.
    return stackConfig("cloud", { clusters }, { kubeconfigs: { eks: adminKubeconfig("eks", "https://198.51.100.7:443") } });
}

/** The committed cloud stack's (created) clusters with `changes[i]` merged into cluster i's provision block. */
export function createdCloudClusters(changes: Readonly<Record<number, Record<string, unknown>>> = {}): Record<string, unknown>[] {
    return (readStackFile("cloud")[`${configNamespace}:clusters`] as Record<string, unknown>[]).map((c, i) =>
        changes[i] ? { ...c, provision: { ...(c.provision as Record<string, unknown>), ...changes[i] } } : c,
    );
}

/**
 * The committed cloud stack (AKS and GKE created) with provision changes per cluster (or whole `clusters`), other
 * project keys (`zta`), and provider config in its own namespaces (`azure-native:*`, `gcp:*`; undefined removes a
 * key), some of it secret.
 */
export function createdCloudConfig(
    changes: {
        readonly provision?: Readonly<Record<number, Record<string, unknown>>>;
        readonly clusters?: readonly unknown[];
        readonly providers?: Record<string, unknown>;
        readonly secretProviders?: Record<string, unknown>;
    } = {},
    zta: Record<string, unknown> = {},
): StackConfig {
    const sc = stackConfig("cloud", { clusters: changes.clusters ?? createdCloudClusters(changes.provision), ...zta });
    for (const [key, value] of Object.entries({ ...changes.providers, ...changes.secretProviders })) {
        if (value === undefined) {
            delete sc.config[key];
        } else {
            sc.config[key] = encode(value);
        }
    }
    sc.secretKeys.push(...Object.keys(changes.secretProviders ?? {}));
    return sc;
}

/** Admin kubeconfigs of existing AKS and GKE clusters (test values): the cloud stack's kubeconfig path. */
export const existingCloudKubeconfigs: Readonly<Record<string, string>> = {
    aks: adminKubeconfig("aks", "https://zta-aks-dns-4f2a.hcp.westeurope.azmk8s.io:443"),
    gke: adminKubeconfig("gke", "https://203.0.113.20"),
};

/** The committed cloud stack's clusters as EXISTING ones: no provision block (GKE's node layout named instead). */
export function existingCloudClusters(): Record<string, unknown>[] {
    return (readStackFile("cloud")[`${configNamespace}:clusters`] as Record<string, unknown>[]).map(({ provision, ...c }) => ({
        ...c,
        ...((provision as { kind?: string } | undefined)?.kind === "gke" ? { istioPlatform: "gke" } : {}),
    }));
}

/** The cloud stack on existing clusters (today's path, kept): their kubeconfigs as secrets. */
export function existingCloudConfig(changes: Record<string, unknown> = {}, secretChanges: Record<string, unknown> = {}): StackConfig {
    return stackConfig(
        "cloud",
        { clusters: existingCloudClusters(), ...changes },
        { kubeconfigs: existingCloudKubeconfigs, ...secretChanges },
    );
}
