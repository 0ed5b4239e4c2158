/**
 * `clusters[i].provision` (components/config/cloudClusters.ts): the AKS and GKE clusters the cloud stack creates, read
 * into the typed model with their defaults, every mistake refused at once naming its key, the providers' own config
 * (`azure-native:*`, `gcp:*`) passed on with its secrets kept secret.
 */
import { parseConfig } from "../../components/config/parse";
import { azureVcpus, gceVcpus } from "../../components/config/cloudClusters";
import { AksClusterConfig, GkeClusterConfig, TestbedConfig } from "../../components/config/model";
import { problemsOf } from "../harness/problems";
import { StackConfig, adminKubeconfig, createdCloudConfig, rawConfig, readStackFile, stackConfig } from "../harness/stacks";

type Json = Record<string, unknown>;
const created = readStackFile("cloud")["zta-testbed:clusters"] as Json[];

const cloudWith = createdCloudConfig;
const parse = (sc: StackConfig): TestbedConfig => parseConfig(rawConfig(sc));
const problems = (sc: StackConfig): string[] => problemsOf(() => parse(sc));
const aksOf = (m: TestbedConfig, i = 0) => m.clusters[i].access as { kind: "aks" } & AksClusterConfig;
const gkeOf = (m: TestbedConfig, i = 1) => m.clusters[i].access as { kind: "gke" } & GkeClusterConfig;

describe("the committed cloud stack creates one AKS and one GKE cluster", () => {
    test("with the documented defaults, the profile's Kubernetes minor, and the regions set the usual way", () => {
        const model = parse(cloudWith());
        expect(aksOf(model)).toEqual({
            kind: "aks",
            location: "westeurope",
            kubernetesVersion: "1.35",
            nodeCount: 2,
            diskSizeGb: 128,
            nodeCidr: "10.224.0.0/16",
            podCidr: "10.244.0.0/16",
            serviceCidr: "10.0.0.0/16",
            eastWestLoadBalancer: "public",
            ingressLoadBalancer: "public",
            vmSize: "Standard_D4s_v5",
            networkPolicy: "cilium",
            tier: "Free",
            dnsServiceIp: "10.0.0.10",
        });
        expect(gkeOf(model)).toEqual({
            kind: "gke",
            location: "europe-west3",
            kubernetesVersion: "1.35",
            nodeCount: 1,
            diskSizeGb: 100,
            nodeCidr: "10.128.0.0/20",
            podCidr: "10.32.0.0/14",
            serviceCidr: "10.36.0.0/20",
            eastWestLoadBalancer: "public",
            ingressLoadBalancer: "public",
            machineType: "e2-standard-4",
            releaseChannel: "REGULAR",
            kubeconfigAuth: "gke-gcloud-auth-plugin",
        });
        // The endpoints exist once the clusters do; GKE's node layout is named for the istio-cni agent.
        expect(model.clusters.map((c) => [c.apiServer, c.loadBalancer, c.istioPlatform])).toEqual([
            ["", "cloud", undefined],
            ["", "cloud", "gke"],
        ]);
        expect(model.cloudProviders?.azure.plain).toEqual({ location: "westeurope" });
        expect(model.cloudProviders?.gcp.plain).toEqual({ region: "europe-west3" });
    });

    test("no secret is needed: a kubeconfig for a created cluster is refused, naming it", () => {
        expect(problems(stackConfig("cloud", {}, { kubeconfigs: { aks: adminKubeconfig("aks", "https://203.0.113.10") } }))).toEqual([
            'zta-testbed:kubeconfigs.aks: cluster "aks" is created by the program (its provision block): Pulumi reads its credentials from the cloud; remove this kubeconfig',
        ]);
    });

    test("a zonal GKE cluster gets 3 nodes in its zone; a region 1 per zone; gcp:zone serves when gcp:region is unset", () => {
        expect(gkeOf(parse(cloudWith({ provision: { 1: { location: "europe-west3-a" } } }))).nodeCount).toBe(3);
        const zoned = parse(cloudWith({ providers: { "gcp:region": undefined, "gcp:zone": "us-central1-b" } }));
        expect([gkeOf(zoned).location, gkeOf(zoned).nodeCount]).toEqual(["us-central1-b", 3]);
    });

    test("an existing cluster (kubeconfig) and a created one in one stack: only the existing one needs a kubeconfig", () => {
        const clusters = [created[0], { name: "gke", network: "network-gke", istioPlatform: "gke" }];
        expect(problems(cloudWith({ clusters }))).toEqual([
            "zta-testbed:kubeconfigs: is required (one admin kubeconfig per cluster, as secrets): pulumi config set --secret --path 'kubeconfigs.gke' \"$(cat <kubeconfig>)\"",
        ]);
        const sc = cloudWith({ clusters });
        sc.config["zta-testbed:kubeconfigs"] = JSON.stringify({ gke: adminKubeconfig("gke", "https://203.0.113.20") });
        sc.secretKeys.push("zta-testbed:kubeconfigs");
        const model = parse(sc);
        expect(model.clusters.map((c) => [c.access.kind, c.apiServer])).toEqual([
            ["aks", ""],
            ["kubeconfig", "https://203.0.113.20"],
        ]);
    });
});

describe("mistakes in a provision block are refused before any resource, naming the key", () => {
    const cases: [string, StackConfig, string[]][] = [
        [
            "GKE Autopilot",
            cloudWith({ provision: { 1: { autopilot: true } } }),
            [
                "zta-testbed:clusters[1].provision.autopilot: GKE Autopilot is refused: istio-cni's node agent needs privileged pods (SYS_ADMIN, the host's CNI directory), which Autopilot does not admit; the program creates a Standard cluster (remove autopilot)",
            ],
        ],
        [
            "an unknown kind",
            cloudWith({ provision: { 0: { kind: "ask" } } }),
            ['zta-testbed:clusters[0].provision.kind: must be "aks" (Azure) or "gke" (Google Cloud), got "ask" (did you mean "aks"?)'],
        ],
        [
            "no kind",
            cloudWith({ clusters: [{ ...created[0], provision: {} }, created[1]] }),
            ['zta-testbed:clusters[0].provision.kind: is required: "aks" (Azure) or "gke" (Google Cloud)'],
        ],
        [
            "no Azure region anywhere",
            cloudWith({ providers: { "azure-native:location": undefined } }),
            [
                "zta-testbed:clusters[0].provision.location: is unset and so is azure-native:location: set the Azure region the usual way (pulumi config set azure-native:location westeurope) or here",
            ],
        ],
        [
            "malformed regions",
            cloudWith({ provision: { 0: { location: "West Europe" }, 1: { location: "europe" } } }),
            [
                'zta-testbed:clusters[0].provision.location: must be an Azure region name like "westeurope" or "eastus2", got "West Europe"',
                'zta-testbed:clusters[1].provision.location: must be a Google Cloud region like "europe-west3" or a zone like "europe-west3-a", got "europe"',
            ],
        ],
        [
            "a Kubernetes version outside Istio's support matrix, and one that is not a minor",
            cloudWith({ provision: { 0: { kubernetesVersion: "1.29" }, 1: { kubernetesVersion: "1.35.2" } } }),
            [
                expect.stringMatching(
                    /^zta-testbed:clusters\[0\]\.provision\.kubernetesVersion: cluster "aks" runs Kubernetes 1\.29, outside Istio's support matrix for Istio 1\.30\.3: Istio 1\.30 supports Kubernetes 1\.32, 1\.33, 1\.34, 1\.35, 1\.36/,
                ),
                'zta-testbed:clusters[1].provision.kubernetesVersion: must be a Kubernetes minor like "1.35" (the cloud picks its newest patch), got "1.35.2"',
            ],
        ],
        [
            "nodes too small for istiod, the gateways and observability",
            cloudWith({ provision: { 0: { vmSize: "Standard_B1ms" }, 1: { machineType: "e2-medium" } } }),
            [
                'zta-testbed:clusters[0].provision.vmSize: "Standard_B1ms" has 1 vCPU; AKS system node pools need at least 2 vCPUs and 4 GiB',
                'zta-testbed:clusters[1].provision.machineType: "e2-medium" has a shared core; istiod, the gateways and the observability stack need nodes of at least 2 vCPUs',
            ],
        ],
        [
            "node counts and disks out of range",
            cloudWith({ provision: { 0: { nodeCount: 0, diskSizeGb: 10 }, 1: { nodeCount: 51 } } }),
            [
                "zta-testbed:clusters[0].provision.nodeCount: must be from 1 to 100, got 0",
                "zta-testbed:clusters[0].provision.diskSizeGb: must be from 30 to 2048 (GB per node; images of Istio and the samples need room), got 10",
                "zta-testbed:clusters[1].provision.nodeCount: must be from 1 to 50 (nodes per zone), got 51",
            ],
        ],
        [
            "ranges that overlap in one cluster, or that Azure reserves",
            cloudWith({ provision: { 0: { podCidr: "10.224.0.0/16", serviceCidr: "172.31.0.0/16" }, 1: { nodeCidr: "10.128.0.1/20" } } }),
            [
                'zta-testbed:clusters[0].provision.podCidr: "10.224.0.0/16" overlaps nodeCidr "10.224.0.0/16": each range must be its own',
                'zta-testbed:clusters[0].provision.serviceCidr: "172.31.0.0/16" overlaps 172.31.0.0/16, which Azure reserves (AKS refuses it)',
                'zta-testbed:clusters[1].provision.nodeCidr: must be an IPv4 CIDR with zero host bits like "10.128.0.0/20", got "10.128.0.1/20"',
            ],
        ],
        [
            "private GKE nodes: the control plane's /28 overlapping the nodes",
            cloudWith({ provision: { 1: { privateNodes: true, masterCidr: "10.128.0.0/28" } } }),
            ['zta-testbed:clusters[1].provision.masterCidr: "10.128.0.0/28" overlaps nodeCidr "10.128.0.0/20": each range must be its own'],
        ],
        [
            "a masterCidr without private nodes",
            cloudWith({ provision: { 1: { masterCidr: "172.16.0.0/28" } } }),
            ["zta-testbed:clusters[1].provision.masterCidr: is only used with privateNodes: true (the control plane's peered /28)"],
        ],
        [
            "two internal east-west load balancers (joined networks) with overlapping pod ranges",
            cloudWith({
                provision: { 0: { eastWestLoadBalancer: "internal", podCidr: "10.32.0.0/16" }, 1: { eastWestLoadBalancer: "internal" } },
            }),
            [
                'zta-testbed:clusters[1].provision.podCidr: "10.32.0.0/14" overlaps clusters[0].provision.podCidr "10.32.0.0/16": both east-west load balancers are internal, so the two networks are joined and must not share addresses',
            ],
        ],
        [
            "fields a created cluster does not take",
            cloudWith({
                clusters: [
                    { ...created[0], apiServer: "https://203.0.113.9", loadBalancer: "metallb", istioPlatform: "gke" },
                    { ...created[1], istioPlatform: "k3s" },
                ],
            }),
            [
                "zta-testbed:clusters[0].apiServer: is the endpoint of the cluster the program creates (clusters[i].provision), known once it exists: remove it",
                'zta-testbed:clusters[0].loadBalancer: must be "cloud" for a cluster the program creates on AKS or GKE, got "metallb"',
                'zta-testbed:clusters[0].istioPlatform: is not used on AKS (its node layout is Istio\'s default), got "gke"',
                'zta-testbed:clusters[1].istioPlatform: is "gke" for a GKE cluster (set by the program), got "k3s"',
            ],
        ],
        [
            "names too long for the clouds' resource names",
            cloudWith({
                clusters: [
                    { ...created[0], name: "a".repeat(48) },
                    { ...created[1], name: "g".repeat(25) },
                ],
            }),
            [
                `zta-testbed:clusters[0].name: "${"a".repeat(48)}" is 48 characters long; a cluster the program creates on AKS has a name of at most 47 (its cloud resources are named after it)`,
                `zta-testbed:clusters[1].name: "${"g".repeat(25)}" is 25 characters long; a cluster the program creates on GKE has a name of at most 24 (its cloud resources are named after it)`,
            ],
        ],
        [
            "a GKE cluster named with a leading digit (Compute Engine names start with a letter)",
            cloudWith({ clusters: [created[0], { ...created[1], name: "1gke" }] }),
            [
                'zta-testbed:clusters[1].name: "1gke" must start with a letter on GKE (Compute Engine names its network and cluster after it)',
            ],
        ],
        [
            "an unknown field and a NetworkPolicy engine that is not offered",
            cloudWith({ provision: { 0: { networkPolicy: "none" }, 1: { enableAutopilot: true } } }),
            [
                'zta-testbed:clusters[0].provision.networkPolicy: must be one of "cilium", "azure" (got "none")',
                expect.stringMatching(/^zta-testbed:clusters\[1\]\.provision(\.enableAutopilot)?: .*enableAutopilot/),
            ],
        ],
    ];
    test.each(cases)("%s", (_name, sc, expected) => {
        expect(problems(sc)).toEqual(expected);
    });

    test("provision belongs to the cloud platform; elsewhere the rest of the entry is read as that platform's cluster", () => {
        const sim = readStackFile("sim")["zta-testbed:clusters"] as Json[];
        const sc = stackConfig("sim", { clusters: [{ ...sim[0], provision: { kind: "aks" } }, sim[1]] });
        expect(problems(sc)).toEqual([
            'zta-testbed:clusters[0].provision: is only used on platform cloud (AKS or GKE clusters the program creates), not "sim"',
        ]);
    });

    test("a provision block that is not an object is one problem: no kubeconfig is asked for that cluster", () => {
        expect(problems(cloudWith({ clusters: [{ ...created[0], provision: "aks" }, created[1]] }))).toEqual([
            'zta-testbed:clusters[0].provision: expected record (got "aks")',
        ]);
    });

    test("every problem at once: mistakes in both clusters and elsewhere, in one message", () => {
        const found = problems(
            cloudWith(
                { provision: { 0: { vmSize: "Standard_A1", nodeCount: 500 }, 1: { autopilot: true, location: "moon" } } },
                { meshId: "bad mesh" },
            ),
        );
        expect(found.map((p) => p.split(":")[1])).toEqual(
            expect.arrayContaining([
                "clusters[0].provision.vmSize",
                "clusters[0].provision.nodeCount",
                "clusters[1].provision.autopilot",
                "meshId",
            ]),
        );
    });
});

describe("the providers' config (set the usual way) reaches the explicit providers, secrets kept secret", () => {
    test("a service principal's secret set with --secret stays Sensitive; plain settings pass as typed values", () => {
        const model = parse(
            cloudWith({
                providers: {
                    "azure-native:subscriptionId": "11111111-2222-3333-4444-555555555555",
                    // a numeric project ID stays the string it is
                    "gcp:project": "123456789012",
                    "gcp:batching": { enableBatching: false },
                    "azure-native:auxiliaryTenantIds": ["22222222-0000-0000-0000-000000000000"],
                },
                secretProviders: { "azure-native:clientSecret": "AZ-SECRET-VALUE", "gcp:credentials": '{"type":"service_account"}' },
            }),
        );
        expect(model.cloudProviders?.azure.plain).toEqual({
            location: "westeurope",
            subscriptionId: "11111111-2222-3333-4444-555555555555",
            auxiliaryTenantIds: ["22222222-0000-0000-0000-000000000000"],
        });
        expect(model.cloudProviders?.gcp.plain).toEqual({
            region: "europe-west3",
            project: "123456789012",
            batching: { enableBatching: false },
        });
        expect(Object.keys(model.cloudProviders?.azure.secret ?? {})).toEqual(["clientSecret"]);
        expect(String(model.cloudProviders?.azure.secret.clientSecret)).toBe("[secret]");
        expect(JSON.stringify(model)).not.toContain("AZ-SECRET-VALUE");
    });

    test("a credential stored in plain text is refused under its own namespace, never echoed", () => {
        const found = problems(
            cloudWith({
                providers: {
                    "azure-native:clientSecret": "AZ-SECRET-VALUE",
                    "azure-native:oidcRequestToken": "OIDC-REQUEST-TOKEN",
                    "gcp:accessToken": "ya29.TOKEN",
                },
            }),
        );
        expect(found).toEqual([
            "azure-native:clientSecret: holds credentials and must be set with --secret (it is stored in plain text now)",
            "azure-native:oidcRequestToken: holds credentials and must be set with --secret (it is stored in plain text now)",
            "gcp:accessToken: holds credentials and must be set with --secret (it is stored in plain text now)",
        ]);
        expect(found.join("\n")).not.toMatch(/AZ-SECRET-VALUE|OIDC-REQUEST-TOKEN|ya29\.TOKEN/);
    });
});

test("vCPUs from the clouds' naming conventions", () => {
    expect(["Standard_D4s_v5", "Standard_B2s", "Standard_DS2_v2", "Standard_A1_v2", "Standard_E16ads_v5"].map(azureVcpus)).toEqual([
        4, 2, 2, 1, 16,
    ]);
    expect(["e2-standard-4", "n2-highmem-8", "n2-custom-6-16384", "e2-micro", "c3-standard-22", "a3-megagpu-8g"].map(gceVcpus)).toEqual([
        4,
        8,
        6,
        0,
        22,
        undefined,
    ]);
});
