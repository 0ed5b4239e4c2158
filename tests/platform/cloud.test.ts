/**
 * The cloud platform creating its clusters (components/platform/cloud), as the engine receives it under recording
 * mocks: the AKS and GKE resources and their NetworkPolicy engines, the order clusters → providers → mesh (and so
 * the reverse on destroy: LoadBalancer Services before their clusters), every credential a secret, the gateways'
 * load-balancer annotations per cloud, the same program twice giving the same inputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { cloudGatewayAnnotations, gatewayTrafficPorts } from "../../components/platform/cloud/loadBalancer";
import { aksKubeconfig, gkeAuthPlugin, gkeKubeconfig } from "../../components/platform/cloud/kubeconfig";
import { gkeRegion } from "../../components/platform/cloud/gke";
import { mockAksFqdn, mockGcpAccessToken, mockGkeEndpoint, mockSubscription, promiseOf, Recording, SECRET } from "../harness/engine";
import { ProgramRun, runProgram } from "../harness/program";
import { StackConfig, createdCloudConfig, stackConfig } from "../harness/stacks";

const AKS = "azure-native:containerservice:ManagedCluster";
const GKE = "gcp:container/cluster:Cluster";
const POOL = "gcp:container/nodePool:NodePool";
const RELEASE = "kubernetes:helm.sh/v3:Release";
type Json = Record<string, unknown>;

const variant = (provision: Record<number, Json>, providers: Json = {}, secretProviders: Json = {}): StackConfig =>
    createdCloudConfig({ provision, providers, secretProviders });

/**
 * The other choices in one run (each program run costs ~0.7 s of `npm test`): AKS with Azure NPM and an internal
 * east-west LB restricted to a range; GKE zonal with private nodes, an access-token kubeconfig and an internal ingress;
 * a service principal and a service-account key given to the providers as secrets.
 */
function alternatives(): StackConfig {
    const sc = variant(
        {
            0: { networkPolicy: "azure", eastWestLoadBalancer: "internal" },
            1: { privateNodes: true, location: "europe-west3-b", kubeconfigAuth: "access-token", ingressLoadBalancer: "internal" },
        },
        { "azure-native:subscriptionId": mockSubscription },
        { "azure-native:clientSecret": "AZ-SP-SECRET-VALUE", "gcp:credentials": "GCP-SA-KEY-VALUE" },
    );
    const clusters = JSON.parse(sc.config["zta-testbed:clusters"]) as Json[];
    clusters[0] = {
        ...clusters[0],
        eastWestSourceRanges: ["198.51.100.0/24"],
        eastWestServiceAnnotations: { "service.beta.kubernetes.io/port_15021_no_lb_rule": "false" },
    };
    sc.config["zta-testbed:clusters"] = JSON.stringify(clusters);
    return sc;
}

let run: ProgramRun;
let rec: Recording;
let alt: Recording;
let altWarnings: string[];
beforeAll(async () => {
    run = await runProgram("cloud", stackConfig("cloud"));
    rec = run.recording;
    const other = await runProgram("cloud", alternatives());
    alt = other.recording;
    altWarnings = other.warnings;
});

describe("what each cloud gets", () => {
    test("AKS: resource group, VNet and node subnet, the cluster, its subnet role, all through the cluster's explicit azure-native provider", () => {
        const azure = rec.resources.filter((r) => r.type.startsWith("azure-native:")).map((r) => `${r.type}::${r.name}`);
        expect(azure.sort()).toEqual(
            [
                "azure-native:authorization:RoleAssignment::aks-subnet-network-contributor",
                "azure-native:containerservice:ManagedCluster::aks-cluster",
                "azure-native:network:Subnet::aks-node-subnet",
                "azure-native:network:VirtualNetwork::aks-vnet",
                "azure-native:resources:ResourceGroup::aks-resource-group",
            ].sort(),
        );
        for (const r of rec.resources.filter((x) => x.type.startsWith("azure-native:"))) {
            expect(r.provider).toMatch(/pulumi:providers:azure-native::aks-azure::/);
            expect(r.parent).toMatch(/zta:platform:AksCluster::aks$/);
        }
        const role = rec.get("aks-subnet-network-contributor");
        expect(role.inputs).toMatchObject({
            principalType: "ServicePrincipal",
            roleDefinitionId: `/subscriptions/${mockSubscription}/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7`,
        });
        expect(role.inputs.scope).toMatch(/\/Subnet\/aks-node-subnet-/);
    });

    test("AKS: a NetworkPolicy engine (Cilium on the Cilium dataplane), overlay pods, RBAC and local accounts on, the profile's Kubernetes", () => {
        const aks = rec.get("aks-cluster", AKS).inputs;
        expect(aks.networkProfile).toEqual({
            networkPlugin: "azure",
            networkPluginMode: "overlay",
            networkPolicy: "cilium",
            networkDataplane: "cilium",
            podCidr: "10.244.0.0/16",
            serviceCidr: "10.0.0.0/16",
            dnsServiceIP: "10.0.0.10",
            loadBalancerSku: "standard",
            outboundType: "loadBalancer",
        });
        expect([aks.enableRBAC, aks.disableLocalAccounts, aks.kubernetesVersion, aks.location, aks.dnsPrefix]).toEqual([
            true,
            false,
            "1.35",
            "westeurope",
            "aks",
        ]);
        expect(aks.agentPoolProfiles).toEqual([
            expect.objectContaining({
                name: "system",
                mode: "System",
                vmSize: "Standard_D4s_v5",
                count: 2,
                osDiskSizeGB: 128,
                osType: "Linux",
            }),
        ]);
        // The node resource group is named, not derived (AKS's MC_<group>_<cluster>_<region> outgrows 80 characters).
        expect(aks.nodeResourceGroup).toMatch(/^aks-resource-group-[a-z0-9]{7}-nodes$/);
    });

    test("AKS with networkPolicy azure: Azure NPM on the Azure dataplane — never none", () => {
        expect(alt.get("aks-cluster", AKS).inputs.networkProfile).toMatchObject({
            networkPolicy: "azure",
            networkDataplane: "azure",
        });
    });

    test("GKE: a Standard cluster with Dataplane V2 (no Calico add-on), destroyable, on its own VPC with pod and service ranges", () => {
        const gke = rec.get("gke-cluster", GKE).inputs;
        expect(gke).toMatchObject({
            location: "europe-west3",
            networkingMode: "VPC_NATIVE",
            datapathProvider: "ADVANCED_DATAPATH",
            enableAutopilot: false,
            deletionProtection: false,
            removeDefaultNodePool: true,
            releaseChannel: { channel: "REGULAR" },
            minMasterVersion: "1.35",
            ipAllocationPolicy: { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" },
            masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
        });
        expect(gke.networkPolicy).toBeUndefined();
        expect(gke.privateClusterConfig).toBeUndefined();
        expect(rec.get("gke-subnet").inputs).toMatchObject({
            region: "europe-west3",
            ipCidrRange: "10.128.0.0/20",
            secondaryIpRanges: [
                { rangeName: "pods", ipCidrRange: "10.32.0.0/14" },
                { rangeName: "services", ipCidrRange: "10.36.0.0/20" },
            ],
        });
        expect(rec.get("gke-network").inputs.autoCreateSubnetworks).toBe(false);
        expect(rec.get("gke-nodes", POOL).inputs).toMatchObject({
            nodeCount: 1,
            location: "europe-west3",
            nodeConfig: { machineType: "e2-standard-4", diskSizeGb: 100, shieldedInstanceConfig: { enableSecureBoot: true } },
            management: { autoRepair: true, autoUpgrade: true },
        });
        for (const r of rec.resources.filter((x) => x.type.startsWith("gcp:"))) {
            expect(r.provider).toMatch(/pulumi:providers:gcp::gke-gcp::/);
        }
        // no firewall or NAT without private nodes: GKE opens what public nodes need, LoadBalancer Services their own
        expect(rec.resources.filter((r) => /^gcp:compute\/(firewall|router|routerNat)/.test(r.type))).toEqual([]);
    });

    test("GKE private nodes: Cloud NAT for image pulls and the control plane → nodes rule with istiod's webhook port 15017", () => {
        const priv = alt;
        expect(priv.get("gke-cluster", GKE).inputs.privateClusterConfig).toEqual({
            enablePrivateNodes: true,
            enablePrivateEndpoint: false,
            masterIpv4CidrBlock: "172.16.0.0/28",
        });
        expect(priv.get("gke-control-plane-webhooks").inputs).toMatchObject({
            direction: "INGRESS",
            sourceRanges: ["172.16.0.0/28"],
            allows: [{ protocol: "tcp", ports: ["443", "10250", "15017"] }],
        });
        expect(priv.get("gke-nat").inputs).toMatchObject({ region: "europe-west3", natIpAllocateOption: "AUTO_ONLY" });
        // a zonal cluster: its subnetwork and NAT in the zone's region; 3 nodes in the one zone
        expect(gkeRegion("europe-west3-b")).toBe("europe-west3");
        expect(priv.get("gke-nodes", POOL).inputs.nodeCount).toBe(3);
        // the cluster's Kubernetes objects wait for NAT and the firewall rule too (image pulls, webhooks)
        const provider = priv.get("gke-provider");
        expect(priv.waitsFor(provider, priv.get("gke-control-plane-webhooks"))).toBe(true);
        expect(priv.waitsFor(provider, priv.get("gke-nat"))).toBe(true);
    });
});

describe("order: clusters → providers → mesh, so destroy removes the Kubernetes objects (and load balancers) first", () => {
    test("a replaced cluster is deleted before its successor is created (a named node resource group; the subnetwork's ranges)", () => {
        expect([rec.get("aks-cluster", AKS).deleteBeforeReplace, rec.get("gke-cluster", GKE).deleteBeforeReplace]).toEqual([true, true]);
        // nothing else of the clouds is: networks and node pools are replaced side by side as usual
        expect(
            rec.resources
                .filter((r) => /^(azure-native|gcp):/.test(r.type) && r.deleteBeforeReplace)
                .map((r) => r.name)
                .sort(),
        ).toEqual(["aks-cluster", "gke-cluster"]);
    });

    test("each cluster's Kubernetes provider depends on the cluster (AKS: and its subnet role; GKE: and its node pool)", () => {
        expect(rec.waitsFor(rec.get("aks-provider"), rec.get("aks-cluster", AKS))).toBe(true);
        expect(rec.waitsFor(rec.get("aks-provider"), rec.get("aks-subnet-network-contributor"))).toBe(true);
        expect(rec.waitsFor(rec.get("gke-provider"), rec.get("gke-cluster", GKE))).toBe(true);
        expect(rec.waitsFor(rec.get("gke-provider"), rec.get("gke-nodes", POOL))).toBe(true);
    });

    test("every Kubernetes resource in a created cluster — the gateways' releases first of all — waits for the cluster", () => {
        for (const [cluster, cloudResource] of [
            ["aks", rec.get("aks-cluster", AKS)],
            ["gke", rec.get("gke-nodes", POOL)],
        ] as const) {
            const inCluster = rec.resources.filter(
                (r) => r.type.startsWith("kubernetes:") && r.provider.includes(`::${cluster}-provider::`),
            );
            expect(inCluster.length).toBeGreaterThan(50);
            for (const r of inCluster) {
                expect([r.name, rec.waitsFor(r, cloudResource)]).toEqual([r.name, true]);
            }
        }
    });

    test("the releases that render LoadBalancer Services wait for their uninstall (skipAwait false), so no cloud load balancer outlives destroy", () => {
        const lbReleases = rec
            .ofType(RELEASE)
            .filter((r) => (r.inputs.values as { service?: { type?: string } } | undefined)?.service?.type === "LoadBalancer");
        expect(lbReleases.map((r) => r.name).sort()).toEqual([
            "mesh-aks-eastwest",
            "mesh-aks-ingress",
            "mesh-gke-eastwest",
            "mesh-gke-ingress",
        ]);
        for (const r of lbReleases) {
            expect([r.name, r.inputs.skipAwait, r.inputs.atomic]).toEqual([r.name, false, true]);
        }
        // Nothing is deleted with the cluster instead of on its own (that would skip the Service and orphan its LB).
        expect(rec.resources.filter((r) => r.deletedWith !== "").map((r) => r.name)).toEqual([]);
    });

    test("remote secrets name each created cluster's endpoint, known only once the cloud returns it", () => {
        const remote = rec.resources.filter((r) => r.inputs.metadata?.labels?.["istio/multiCluster"] === "true");
        expect(remote).toHaveLength(2);
        for (const r of remote) {
            expect(r.redacted.stringData).toBe(SECRET);
            const [name, text] = Object.entries(r.inputs.stringData as Record<string, string>)[0];
            const server = (parseYaml(text) as { clusters: { cluster: { server: string } }[] }).clusters[0].cluster.server;
            expect(server).toBe(name === "aks" ? `https://${mockAksFqdn}:443` : `https://${mockGkeEndpoint}`);
            // The remote secret of a cluster waits for that cluster (its endpoint) as well as its own.
            expect(rec.waitsFor(r, rec.get(name === "aks" ? "aks-cluster" : "gke-cluster", name === "aks" ? AKS : GKE))).toBe(true);
        }
    });
});

describe("every credential is a secret", () => {
    test("the providers' kubeconfigs (AKS admin certificate, GKE exec kubeconfig) are secret inputs, never in plain state", () => {
        for (const name of ["aks-provider", "gke-provider"]) {
            const p = rec.get(name);
            expect(p.secretPaths).toContain("kubeconfig");
            expect(p.redacted.kubeconfig).toBe(SECRET);
        }
        const aks = parseYaml(String(rec.get("aks-provider").inputs.kubeconfig)) as { users: { user: Json }[] };
        expect(Object.keys(aks.users[0].user).sort()).toEqual(["client-certificate-data", "client-key-data"]);
        const gke = parseYaml(String(rec.get("gke-provider").inputs.kubeconfig)) as { users: { user: { exec: Json } }[] };
        expect(gke.users[0].user.exec).toMatchObject({
            command: gkeAuthPlugin,
            args: ["--use_application_default_credentials"],
            provideClusterInfo: true,
            interactiveMode: "Never",
        });
        const plain = JSON.stringify(rec.resources.map((r) => r.redacted));
        const b64 = (t: string) => Buffer.from(t).toString("base64");
        for (const leak of ["MOCK-AKS-ADMIN", b64("MOCK-AKS-ADMIN-CERT"), b64("MOCK-AKS-ADMIN-KEY"), "ya29."]) {
            expect(plain).not.toContain(leak);
        }
    });

    test("the stack's outputs: the created clusters' admin kubeconfigs secret; their names, endpoints and get-credentials commands plain", async () => {
        const o = run.outputs as {
            adminKubeconfigs: pulumi.Output<Record<string, string>>;
            cloudClusters: Record<string, Record<string, pulumi.Input<string>>>;
        };
        expect(await pulumi.isSecret(o.adminKubeconfigs)).toBe(true);
        expect(Object.keys(await promiseOf(o.adminKubeconfigs))).toEqual(["aks", "gke"]);
        const aks = o.cloudClusters.aks;
        expect(await promiseOf(pulumi.output(aks.apiServer))).toBe(`https://${mockAksFqdn}:443`);
        expect(await promiseOf(pulumi.output(aks.credentials))).toMatch(
            /^az aks get-credentials --resource-group aks-resource-group-\S+ --name aks-cluster-\S+ --admin$/,
        );
        expect(await pulumi.isSecret(pulumi.output(aks.credentials))).toBe(false);
        expect(await promiseOf(pulumi.output(o.cloudClusters.gke.credentials))).toMatch(
            /^gcloud container clusters get-credentials gke-cluster-\S+ --location europe-west3$/,
        );
    });

    test("access-token kubeconfigs are warned about: destroy and refresh need --run-program once the token expired", () => {
        expect(altWarnings.filter((w) => w.includes("access-token"))).toEqual([
            "cluster gke: kubeconfigAuth access-token embeds an OAuth token valid for about an hour; after that, `pulumi destroy` and `pulumi refresh` need --run-program (a fresh token) or they fail on every Kubernetes object",
        ]);
        expect(run.warnings.filter((w) => w.includes("access-token"))).toEqual([]);
    });

    test("access-token kubeconfigs: the provider's OAuth token only inside the secret kubeconfig; provider credentials set with --secret stay secret", () => {
        const r = alt;
        const gke = parseYaml(String(r.get("gke-provider").inputs.kubeconfig)) as { users: { user: Json }[] };
        expect(gke.users[0].user).toEqual({ token: mockGcpAccessToken });
        expect(r.get("gke-provider").redacted.kubeconfig).toBe(SECRET);
        const azure = r.get("aks-azure");
        expect(azure.inputs).toMatchObject({ location: "westeurope", subscriptionId: mockSubscription });
        expect(azure.redacted.clientSecret).toBe(SECRET);
        expect(r.get("gke-gcp").redacted.credentials).toBe(SECRET);
        expect(JSON.stringify(r.resources.map((x) => x.redacted))).not.toMatch(/AZ-SP-SECRET-VALUE|GCP-SA-KEY-VALUE|ya29\./);
    });
});

describe("the gateways' load balancers per cloud", () => {
    const eastWest = (r: Recording, cluster: string) =>
        (
            r.get(`mesh-${cluster}-eastwest`, RELEASE).inputs.values as {
                service: { annotations?: Json; loadBalancerSourceRanges?: string[] };
            }
        ).service;
    const ingress = (r: Recording, cluster: string) =>
        (r.get(`mesh-${cluster}-ingress`, RELEASE).inputs.values as { service: { annotations?: Json } }).service;

    test("AKS: each traffic port probed over HTTP at the gateway's readiness endpoint; the status port gets no LB rule", () => {
        const ew = eastWest(rec, "aks").annotations as Record<string, string>;
        for (const port of [15443, 15012, 15017]) {
            expect(ew[`service.beta.kubernetes.io/port_${port}_health-probe_protocol`]).toBe("http");
            expect(ew[`service.beta.kubernetes.io/port_${port}_health-probe_port`]).toBe("15021");
            expect(ew[`service.beta.kubernetes.io/port_${port}_health-probe_request-path`]).toBe("/healthz/ready");
        }
        expect(ew["service.beta.kubernetes.io/port_15021_no_lb_rule"]).toBe("true");
        expect(ew["service.beta.kubernetes.io/azure-load-balancer-internal"]).toBeUndefined();
        const ing = ingress(rec, "aks").annotations as Record<string, string>;
        expect(
            Object.keys(ing)
                .filter((k) => k.includes("health-probe_port"))
                .sort(),
        ).toEqual(["service.beta.kubernetes.io/port_443_health-probe_port", "service.beta.kubernetes.io/port_80_health-probe_port"]);
    });

    test("GKE: public gateways on backend-service-based passthrough load balancers", () => {
        expect(eastWest(rec, "gke").annotations).toEqual({ "cloud.google.com/l4-rbs": "enabled" });
        expect(ingress(rec, "gke").annotations).toEqual({ "cloud.google.com/l4-rbs": "enabled" });
    });

    test("internal load balancers on request, source ranges passed through, the user's own annotations last", () => {
        const r = alt;
        const aks = eastWest(r, "aks");
        expect(aks.annotations).toMatchObject({
            "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
            // only the source ranges: without it the NSG's default rule admits the whole VNet
            "service.beta.kubernetes.io/azure-deny-all-except-load-balancer-source-ranges": "true",
            "service.beta.kubernetes.io/port_15021_no_lb_rule": "false",
        });
        expect(aks.loadBalancerSourceRanges).toEqual(["198.51.100.0/24"]);
        expect(ingress(r, "gke").annotations).toEqual({ "networking.gke.io/load-balancer-type": "Internal" });
        expect(eastWest(r, "gke").annotations).toEqual({ "cloud.google.com/l4-rbs": "enabled" });
    });

    test("the pure annotation sets cover exactly each gateway's traffic ports", () => {
        expect(gatewayTrafficPorts).toEqual({ eastWest: [15443, 15012, 15017], ingress: [80, 443] });
        expect(Object.keys(cloudGatewayAnnotations("aks", "ingress", "public"))).toHaveLength(2 * 3 + 1);
        expect(cloudGatewayAnnotations("aks", "eastWest", "internal")["service.beta.kubernetes.io/azure-load-balancer-internal"]).toBe(
            "true",
        );
        expect(cloudGatewayAnnotations("gke", "eastWest", "internal")).toEqual({ "networking.gke.io/load-balancer-type": "Internal" });
        // Denying the rest of the VNet applies to an internal load balancer with source ranges only.
        const deny = "service.beta.kubernetes.io/azure-deny-all-except-load-balancer-source-ranges";
        expect(cloudGatewayAnnotations("aks", "eastWest", "internal", true)[deny]).toBe("true");
        expect(Object.keys(cloudGatewayAnnotations("aks", "eastWest", "internal"))).not.toContain(deny);
        expect(Object.keys(cloudGatewayAnnotations("aks", "eastWest", "public", true))).not.toContain(deny);
    });
});

describe("kubeconfigs from what the clouds return", () => {
    test("AKS: the base64 admin kubeconfig decoded; none is an error naming the cluster", () => {
        expect(aksKubeconfig("aks", [{ name: "clusterAdmin", value: Buffer.from("apiVersion: v1\n").toString("base64") }])).toBe(
            "apiVersion: v1\n",
        );
        expect(() => aksKubeconfig("aks", [])).toThrow(
            "cluster aks: AKS returned no admin kubeconfig (are local accounts disabled on the cluster?)",
        );
    });

    test("GKE: the same kubeconfig at every run with the auth plugin; the token variant embeds the token", () => {
        const a = gkeKubeconfig("gke_c", "203.0.113.20", "Q0E=", { kind: "gke-gcloud-auth-plugin" });
        expect(gkeKubeconfig("gke_c", "203.0.113.20", "Q0E=", { kind: "gke-gcloud-auth-plugin" })).toBe(a);
        const doc = parseYaml(a) as { clusters: { cluster: Json }[]; users: { user: { exec: Json } }[] };
        expect(doc.clusters[0].cluster).toEqual({ server: "https://203.0.113.20", "certificate-authority-data": "Q0E=" });
        expect(doc.users[0].user.exec.apiVersion).toBe("client.authentication.k8s.io/v1beta1");
        expect(gkeKubeconfig("gke_c", "203.0.113.20", "Q0E=", { kind: "access-token", token: "t1" })).toContain("token: t1");
    });
});

test("the program is deterministic: a re-run gives the same inputs for every resource of the created clusters (no diff of its own making)", async () => {
    const again = (await runProgram("cloud", stackConfig("cloud"))).recording;
    const view = (r: Recording) =>
        r.resources
            .filter((x) => /^(azure-native:|gcp:|pulumi:providers:)/.test(x.type))
            .map((x) => ({ urn: x.urn, inputs: x.inputs, deps: [...x.dependencies].sort() }))
            .sort((a, b) => a.urn.localeCompare(b.urn));
    expect(view(again)).toEqual(view(rec));
});
