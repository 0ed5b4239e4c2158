/** The ONE config model: every bad input is rejected at once, each problem naming its key and value. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { plaintextLeavesOf } from "../../components/config/load";
import { problemsOf } from "../harness/problems";
import { configDefaults, parseConfig } from "../../components/config/parse";
import {
    adminKubeconfig,
    committedStacks,
    existingCloudClusters,
    existingCloudConfig,
    existingCloudKubeconfigs,
    rawConfig,
    readStackFile,
    repoRoot,
    stackConfig,
} from "../harness/stacks";

// The cloud stack's kubeconfig path (existing clusters); clusters the program creates: tests/config/cloudClusters.test.ts.
const cloudClusters = existingCloudClusters() as { name: string; network: string }[];
const parseCloud = (changes: Record<string, unknown> = {}, secrets: Record<string, unknown> = {}) =>
    parseConfig(rawConfig(existingCloudConfig(changes, secrets)));

describe("committed stacks parse into the typed model", () => {
    test.each(committedStacks)("%s", (stack) => {
        const model = parseConfig(rawConfig(stackConfig(stack)));
        expect(model.platform).toBe(stack);
        expect(model.clusters.length).toBeGreaterThanOrEqual(2);
        for (const c of model.clusters) {
            // A cluster the program creates has its endpoint once it exists (the platform handle carries it).
            expect(c.apiServer).toMatch(c.access.kind === "aks" || c.access.kind === "gke" ? /^$/ : /^https:\/\//);
            // The kubeconfig never prints; kubeadm clusters have none in config (it is read back from the host).
            expect(c.access.kind === "kubeconfig" ? String(c.access.kubeconfig) : "[secret]").toBe("[secret]");
            expect(JSON.stringify(c)).not.toContain("TEST-ADMIN-TOKEN");
        }
    });

    test("cloud takes API addresses from the kubeconfigs; testbed uses the configured ones", () => {
        const cloud = parseCloud();
        expect(cloud.clusters.map((c) => [c.apiServer, c.apiServerFromKubeconfig, c.loadBalancer])).toEqual([
            ["https://zta-aks-dns-4f2a.hcp.westeurope.azmk8s.io:443", true, "cloud"],
            ["https://203.0.113.20", true, "cloud"],
        ]);
        const testbed = parseConfig(rawConfig(stackConfig("testbed")));
        expect(testbed.clusters.map((c) => [c.apiServer, c.apiServerFromKubeconfig, c.loadBalancer])).toEqual([
            ["https://10.5.0.3:6443", false, "metallb"],
            ["https://10.5.0.4:6443", false, "metallb"],
        ]);
        expect(testbed.versions.istio).toBe("1.24.3");
        expect(cloud.versions.istio).toBe("1.30.3");
    });
});

describe("bad configs are rejected with the key and value named", () => {
    const cases: [string, () => unknown, RegExp][] = [
        [
            "duplicate cluster names",
            () => parseCloud({ clusters: [cloudClusters[0], { ...cloudClusters[1], name: "aks" }] }),
            /zta-testbed:clusters\[1\]\.name: "aks" duplicates clusters\[0\]\.name/,
        ],
        [
            "duplicate networks",
            () => parseCloud({ clusters: [cloudClusters[0], { ...cloudClusters[1], network: "network-aks" }] }),
            /zta-testbed:clusters\[1\]\.network: "network-aks" duplicates clusters\[0\]\.network/,
        ],
        [
            "a single cluster",
            () => parseCloud({ clusters: [cloudClusters[0]] }),
            /zta-testbed:clusters: a multi-cluster mesh needs at least 2 clusters .*got 1/,
        ],
        [
            "a malformed API address",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], apiServer: "https://10.5.0.300:6443" }, cloudClusters[1]] }),
            /zta-testbed:clusters\[0\]\.apiServer: "https:\/\/10\.5\.0\.300:6443" is not a valid URL/,
        ],
        [
            "a loopback API address",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], apiServer: "https://127.0.0.1:6443" }, cloudClusters[1]] }),
            /zta-testbed:clusters\[0\]\.apiServer: "https:\/\/127\.0\.0\.1:6443" is a loopback address; other clusters cannot reach it/,
        ],
        [
            "a kubeconfig whose server is loopback and no apiServer",
            () =>
                parseCloud(
                    {},
                    {
                        kubeconfigs: {
                            ...existingCloudKubeconfigs,
                            gke: adminKubeconfig("gke", "https://localhost:6443"),
                        },
                    },
                ),
            /zta-testbed:clusters\[1\]\.apiServer: is unset and the kubeconfig's server "https:\/\/localhost:6443" is a loopback name/,
        ],
        [
            "a plain-http API address",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], apiServer: "http://203.0.113.9:6443" }, cloudClusters[1]] }),
            /clusters\[0\]\.apiServer: "http:\/\/203\.0\.113\.9:6443" must use https/,
        ],
        [
            "a missing kubeconfig",
            () => parseCloud({}, { kubeconfigs: { aks: existingCloudKubeconfigs.aks } }),
            /zta-testbed:kubeconfigs\.gke: is missing: pulumi config set --secret --path 'kubeconfigs\.gke'/,
        ],
        ["no kubeconfigs at all", () => parseCloud({}, { kubeconfigs: undefined }), /zta-testbed:kubeconfigs: is required/],
        [
            "a kubeconfig that is not one",
            () => parseCloud({}, { kubeconfigs: { ...existingCloudKubeconfigs, gke: "hello: world" } }),
            /zta-testbed:kubeconfigs\.gke: is not a kubeconfig/,
        ],
        [
            "a kubeconfig for an unknown cluster",
            () => parseCloud({}, { kubeconfigs: { ...existingCloudKubeconfigs, gkee: adminKubeconfig("gkee", "https://203.0.113.1") } }),
            /zta-testbed:kubeconfigs\.gkee: names no cluster in clusters/,
        ],
        [
            "an unknown version profile",
            () => parseCloud({ versionProfile: "nist-2024" }),
            /zta-testbed:versionProfile: unknown version profile "nist-2024"; known: "default", "nist-2025"/,
        ],
        [
            "an unknown platform",
            () => parseCloud({ platform: "openstack" }),
            /zta-testbed:platform: must be one of "testbed", "cloud", "sim", got "openstack"/,
        ],
        ["no platform", () => parseCloud({ platform: undefined }), /zta-testbed:platform: is required/],
        [
            "a typo in a cluster entry",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], netwrok: "x" }, cloudClusters[1]] }),
            /zta-testbed:clusters\[0\]: unknown key "netwrok"/,
        ],
        [
            "an unknown load balancer kind",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], loadBalancer: "nodeport" }, cloudClusters[1]] }),
            /zta-testbed:clusters\[0\]\.loadBalancer: must be one of "cloud", "metallb", "sim" \(got "nodeport"\)/,
        ],
        [
            "a non-DNS cluster name",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], name: "AKS_1" }, cloudClusters[1]] }),
            /zta-testbed:clusters\[0\]\.name: must be a DNS label .* got "AKS_1"/,
        ],
        [
            "a spiffe:// trust domain",
            () => parseCloud({ trustDomain: "spiffe://cluster.local" }),
            /zta-testbed:trustDomain: must be a DNS-style trust domain .* got "spiffe:\/\/cluster\.local"/,
        ],
        [
            "intermediates outliving the root",
            () => parseCloud({ caRootValidityDays: "365", caIntermediateValidityDays: "730" }),
            /zta-testbed:caIntermediateValidityDays: must not exceed caRootValidityDays \(365\), got 730/,
        ],
        [
            "a non-integer timeout",
            () => parseCloud({ helmTimeoutSeconds: "10m" }),
            /zta-testbed:helmTimeoutSeconds: must be an integer from 60 to 7200, got "10m"/,
        ],
        [
            "a sample registry with a scheme",
            () => parseCloud({ sampleRegistry: "https://10.5.0.2:5000/samples" }),
            /zta-testbed:sampleRegistry: must be an image repository prefix like 10\.5\.0\.2:5000\/samples, got "https:\/\/10\.5\.0\.2:5000\/samples"/,
        ],
        [
            "an Istio platform the cni chart does not know",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], istioPlatform: "eks" }, cloudClusters[1]] }),
            /zta-testbed:clusters\[0\]\.istioPlatform: must be one of "gke", "k3d", "k3s", "microk8s", "minikube", "openshift" \(got "eks"\)/,
        ],
        ["a relative chartDir", () => parseCloud({ chartDir: "charts" }), /zta-testbed:chartDir: must be an absolute path, got "charts"/],
        [
            "a chartDir without the profile's charts",
            () => parseCloud({ chartDir: repoRoot }),
            /zta-testbed:chartDir: has no istiod chart for 1\.30\.3 \(expected ".*\/istio\/1\.30\.3\/istiod\/Chart\.yaml"\)/,
        ],
        [
            "an OCI registry as chart repository",
            () => parseCloud({ chartRepository: "oci://registry.example/istio" }),
            /zta-testbed:chartRepository: must be an https:\/\/ Helm repository URL, got "oci:\/\/registry\.example\/istio"/,
        ],
        [
            "a bad east-west annotation key",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], eastWestServiceAnnotations: { "bad key!": "x" } }, cloudClusters[1]] }),
            /zta-testbed:clusters\[0\]\.eastWestServiceAnnotations: "bad key!" is not a valid annotation key/,
        ],
        [
            "an east-west source range with host bits",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], eastWestSourceRanges: ["203.0.113.7/24"] }, cloudClusters[1]] }),
            /zta-testbed:clusters\[0\]\.eastWestSourceRanges\[0\]: "203\.0\.113\.7\/24" has host bits set; did you mean "203\.0\.113\.0\/24"\?/,
        ],
        [
            "an east-west source range that is not a CIDR",
            () => parseCloud({ clusters: [cloudClusters[0], { ...cloudClusters[1], eastWestSourceRanges: ["10.0.0.0/8", "office"] }] }),
            /zta-testbed:clusters\[1\]\.eastWestSourceRanges\[1\]: expected an IP address or a CIDR like "203\.0\.113\.0\/24", got "office"/,
        ],
        [
            "an east-west source range of every address",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], eastWestSourceRanges: ["0.0.0.0/0"] }, cloudClusters[1]] }),
            /zta-testbed:clusters\[0\]\.eastWestSourceRanges\[0\]: "0\.0\.0\.0\/0" is every address; leave eastWestSourceRanges unset for no restriction/,
        ],
        [
            "an empty east-west source range list",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], eastWestSourceRanges: [] }, cloudClusters[1]] }),
            /zta-testbed:clusters\[0\]\.eastWestSourceRanges: is an empty list, which restricts nothing/,
        ],
        [
            "a cluster name longer than a DNS label",
            () => parseCloud({ clusters: [{ ...cloudClusters[0], name: "a".repeat(64) }, cloudClusters[1]] }),
            /zta-testbed:clusters\[0\]\.name: must be a DNS label of at most 63 characters/,
        ],
        [
            "a kubeconfig stored in plain text beside secure siblings",
            () => parseConfig({ ...rawConfig(existingCloudConfig()), plaintextLeaves: (key) => (key === "kubeconfigs" ? ["gke"] : []) }),
            /^zta-testbed:kubeconfigs\.gke: holds credentials but is stored in plain text in the stack file/,
        ],
        [
            "an unknown CA source",
            () => parseCloud({ caSource: "vault" }),
            /zta-testbed:caSource: must be one of "generated", "external-root", "external-intermediates", got "vault"/,
        ],
        [
            "peers with a generated root",
            () => parseCloud({ peers: [{ stack: "organization/zta-testbed/testbed" }] }),
            /zta-testbed:caSource: is "generated" but peers are configured/,
        ],
        [
            "a malformed peer stack name",
            () => parseCloud({ peers: [{ stack: "testbed" }], caSource: "external-root" }),
            /zta-testbed:peers\[0\]\.stack: must be a fully qualified stack name <org>\/<project>\/<stack>, got "testbed"/,
        ],
        [
            "the ingress gateway in istio-system",
            () => parseCloud({ ingressNamespace: "istio-system" }),
            /zta-testbed:ingressNamespace: must be a namespace of the ingress gateway's own: "istio-system" is the program's istio namespace/,
        ],
    ];

    test.each(cases)("%s", (_title, fn, expected) => {
        const problems = problemsOf(fn);
        expect(problems.some((p) => expected.test(p))).toBe(true);
    });

    test("a 63-character cluster name is a valid DNS label", () => {
        const long = "c".repeat(63);
        const model = parseCloud(
            { clusters: [{ ...cloudClusters[0], name: long }, cloudClusters[1]] },
            {
                kubeconfigs: {
                    [long]: adminKubeconfig(long, "https://203.0.113.30"),
                    gke: existingCloudKubeconfigs.gke,
                },
            },
        );
        expect(model.clusters[0].name).toBe(long);
    });

    test("plaintext leaves are found in a stack file's structured value", () => {
        expect(plaintextLeavesOf({ aks: { secure: "v1:abc" }, gke: "apiVersion: v1" })).toEqual(["gke"]);
        expect(plaintextLeavesOf({ secure: "v1:abc" })).toEqual([]);
        expect(plaintextLeavesOf({ c1: { cert: "PEM", key: { secure: "v1:x" } } })).toEqual(["c1.cert"]);
    });

    test("at least six distinct kinds of bad config are covered", () => {
        expect(cases.length).toBeGreaterThanOrEqual(6);
    });

    test("every problem is reported at once", () => {
        const problems = problemsOf(() =>
            parseCloud(
                {
                    versionProfile: "latest",
                    meshId: "bad mesh",
                    clusters: [cloudClusters[0], { ...cloudClusters[1], name: "aks", network: "network-aks" }],
                },
                { kubeconfigs: undefined },
            ),
        );
        expect(problems.length).toBeGreaterThanOrEqual(5);
        for (const key of ["versionProfile", "meshId", "clusters[1].name", "clusters[1].network", "kubeconfigs"]) {
            expect(problems.some((p) => p.startsWith(`zta-testbed:${key}:`))).toBe(true);
        }
        // The message lists them all.
        expect(() => parseCloud({ versionProfile: "latest", meshId: "bad mesh" })).toThrow(
            /^Invalid stack configuration \(2 problems\):\n {2}- zta-testbed:versionProfile: .*\n {2}- zta-testbed:meshId: /,
        );
    });

    test("kubeconfigs stored in plain text are refused, and no credential appears in any message", () => {
        const sc = existingCloudConfig();
        sc.secretKeys = sc.secretKeys.filter((k) => k !== "zta-testbed:kubeconfigs");
        const problems = problemsOf(() => parseConfig(rawConfig(sc)));
        expect(problems).toContain(
            "zta-testbed:kubeconfigs: holds credentials and must be set with --secret (it is stored in plain text now)",
        );
        const noisy = problemsOf(() => parseCloud({}, { kubeconfigs: { aks: "token: TEST-ADMIN-TOKEN-aks", gke: "{not yaml" } }));
        expect(noisy.join("\n")).not.toContain("TEST-ADMIN-TOKEN");
    });
});

describe("Pulumi.yaml and the committed stack files", () => {
    const project = parseYaml(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8")) as {
        name: string;
        config: Record<string, { default?: unknown; secret?: boolean }>;
    };

    test("the typed config schema declares the same defaults the model applies", () => {
        expect(project.name).toBe("zta-testbed");
        for (const [key, value] of Object.entries(configDefaults)) {
            expect([key, project.config[key]?.default]).toEqual([key, value]);
        }
        for (const [key, decl] of Object.entries(project.config)) {
            if (decl.default !== undefined) {
                expect([key, (configDefaults as Record<string, unknown>)[key]]).toEqual([key, decl.default]);
            }
        }
    });

    test("only `platform` is required: every other declared key has a default (the engine requires keys without one)", () => {
        const required = Object.entries(project.config)
            .filter(([, decl]) => decl.default === undefined)
            .map(([key]) => key);
        expect(required).toEqual(["platform"]);
    });

    test.each(committedStacks)("Pulumi.%s.yaml disables the default providers it could use and holds no plaintext secret", (stack) => {
        const config = readStackFile(stack);
        // Every provider is explicit: per cluster (kubernetes), per created cloud cluster (azure-native, gcp).
        expect(config["pulumi:disable-default-providers"]).toEqual(
            stack === "cloud" ? ["kubernetes", "azure-native", "gcp"] : ["kubernetes"],
        );
        for (const key of ["kubeconfigs", "caRootKey", "caIntermediates"]) {
            const value = config[`zta-testbed:${key}`];
            if (value !== undefined) {
                expect(JSON.stringify(value)).toMatch(/"secure"/);
            }
        }
        const text = fs.readFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), "utf8");
        expect(text).not.toMatch(/PRIVATE KEY|token:\s*\S/);
    });
});

test("clusters[i].eastWestSourceRanges: canonical CIDRs (an address becomes its /32) in the model; unset is no restriction", () => {
    const model = parseCloud({
        clusters: [{ ...cloudClusters[0], eastWestSourceRanges: ["203.0.113.0/24", "198.51.100.7"] }, cloudClusters[1]],
    });
    expect(model.clusters.map((c) => c.eastWestSourceRanges)).toEqual([["203.0.113.0/24", "198.51.100.7/32"], []]);
});
