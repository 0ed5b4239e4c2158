/**
 * The project's own table of bad configurations, one row per case, grouped by the classes of the red-team review
 * (issue 15). Every row must be refused by parseConfig — before any resource exists — with at least one problem
 * naming the expected key, every problem in the `zta-testbed:<key>: <message>` form, and no problem repeating a
 * credential the row carries. The detailed messages are asserted in the class's own test file; this table keeps the
 * breadth, and its size is the figure README reports.
 */
import { parseConfig } from "../../components/config/parse";
import { problemsOf } from "../harness/problems";
import {
    adminKubeconfig,
    existingCloudClusters,
    createdCloudClusters,
    existingCloudConfig,
    rawConfig,
    readStackFile,
    stackConfig,
    testHostKey,
} from "../harness/stacks";

type Json = Record<string, unknown>;
/** `cloud`: the cloud stack on existing clusters (kubeconfigs); `cloud-created`: as committed, AKS and GKE created. */
type Stack = "testbed" | "cloud" | "cloud-created";
interface Row {
    readonly stack: Stack;
    readonly changes?: Json;
    readonly secrets?: Json;
    /** The key (without namespace) at least one problem must name; a prefix match on the key path. */
    readonly key: string;
}

const hosts = JSON.parse(stackConfig("testbed").config["zta-testbed:hosts"]) as Json[];
const tbClusters = readStackFile("testbed")["zta-testbed:clusters"] as Json[];
const cloudClusters = existingCloudClusters();
const createdClusters = readStackFile("cloud")["zta-testbed:clusters"] as Json[];
const provision = (i: number, change: Json) => createdCloudClusters({ [i]: change });
const host = (i: number, change: Json) => hosts.map((h, j) => (j === i ? { ...h, ...change } : h));
const tb = (i: number, change: Json) => tbClusters.map((c, j) => (j === i ? { ...c, ...change } : c));
const cloud = (i: number, change: Json) => cloudClusters.map((c, j) => (j === i ? { ...c, ...change } : c));
const CRED = "s3cretPassw0rdXYZ";
const kubeconfigsWith = (aksServer: string) => ({
    aks: adminKubeconfig("aks", aksServer),
    gke: adminKubeconfig("gke", "https://203.0.113.20"),
});
const kubeconfigWithout = (drop: string) => {
    const text = adminKubeconfig("aks", "https://203.0.113.10");
    return { aks: text.replace(new RegExp(`^${drop}.*$`, "m"), ""), gke: adminKubeconfig("gke", "https://203.0.113.20") };
};
const ew = (annotations: Record<string, string>) => tb(0, { eastWestServiceAnnotations: annotations });

const table: Record<string, readonly Row[]> = {
    "keys nobody reads": [
        { stack: "testbed", changes: { trustDomian: "lab.example" }, key: "trustDomian" },
        { stack: "testbed", changes: { clsuters: [] }, key: "clsuters" },
        { stack: "cloud", changes: { ingressnamespace: "x" }, key: "ingressnamespace" },
        { stack: "cloud", changes: JSON.parse('{"__proto__": "x"}') as Json, key: "__proto__" },
        { stack: "cloud", changes: { identity: { realm: "zta", issuerUrl: "https://x" } }, key: "identity" },
        { stack: "cloud", changes: { clusters: cloud(0, { netwrok: "n" }) }, key: "clusters[0]" },
        { stack: "testbed", changes: { hosts: host(0, { rolse: ["registry"] }) }, key: "hosts[0]" },
        { stack: "cloud", changes: { observability: { retension: "7d" } }, key: "observability" },
    ],
    "collisions on one host": [
        { stack: "testbed", changes: { registry: { port: 22 } }, key: "registry.port" },
        { stack: "testbed", changes: { identity: { port: 5000 } }, key: "identity.port" },
        { stack: "testbed", changes: { ssh: { user: "root", port: 5000 } }, key: "registry.port" },
        { stack: "testbed", changes: { registry: { port: 9000 } }, key: "registry.port" },
        { stack: "testbed", changes: { identity: { port: 9000 } }, key: "identity.port" },
    ],
    "addresses that cannot serve": [
        ...["0.0.0.0", "169.254.1.1", "224.0.0.1", "255.255.255.255", "127.0.0.1", "10.5.0.3", "10.5.1.2", "192.0.2.7"].map(
            (hostname): Row => ({ stack: "testbed", changes: { identity: { hostname } }, key: "identity.hostname" }),
        ),
        { stack: "testbed", changes: { identity: { hostname: "keycloak.localhost" } }, key: "identity.hostname" },
        { stack: "cloud", changes: { identity: { hostname: "0.0.0.0" } }, key: "identity.hostname" },
        { stack: "cloud", changes: { ingressHost: "httpbin.localhost" }, key: "ingressHost" },
        ...[
            "https://127.0.0.1:6443",
            "https://0.0.0.0:6443",
            "https://169.254.0.5:6443",
            "https://api.localhost:6443",
            "https://10.0.0.300",
        ].map((apiServer): Row => ({ stack: "cloud", changes: { clusters: cloud(0, { apiServer }) }, key: "clusters[0].apiServer" })),
        { stack: "testbed", changes: { hosts: host(1, { management: "127.0.0.2/8" }) }, key: "hosts[1].management" },
    ],
    "fixed LoadBalancer addresses": [
        {
            stack: "testbed",
            changes: { clusters: ew({ "metallb.io/loadBalancerIPs": "10.5.0.3" }) },
            key: "clusters[0].eastWestServiceAnnotations",
        },
        {
            stack: "testbed",
            changes: { clusters: ew({ "metallb.io/loadBalancerIPs": "10.5.0.125" }) },
            key: "clusters[0].eastWestServiceAnnotations",
        },
        {
            stack: "testbed",
            changes: { clusters: ew({ "metallb.universe.tf/loadBalancerIPs": "10.5.0.200" }) },
            key: "clusters[0].eastWestServiceAnnotations",
        },
        {
            stack: "testbed",
            changes: { clusters: ew({ "metallb.io/loadBalancerIPs": "127.0.0.1" }) },
            key: "clusters[0].eastWestServiceAnnotations",
        },
        {
            stack: "testbed",
            changes: { clusters: ew({ "metallb.io/loadBalancerIPs": "nope" }) },
            key: "clusters[0].eastWestServiceAnnotations",
        },
        {
            stack: "testbed",
            changes: { clusters: ew({ "metallb.io/address-pool": "default" }) },
            key: "clusters[0].eastWestServiceAnnotations",
        },
        {
            stack: "cloud",
            changes: { clusters: cloud(0, { eastWestServiceAnnotations: { "metallb.io/loadBalancerIPs": "203.0.113.9" } }) },
            key: "clusters[0].eastWestServiceAnnotations",
        },
        {
            stack: "cloud",
            changes: {
                clusters: cloudClusters.map((c) => ({
                    ...c,
                    eastWestServiceAnnotations: { "service.beta.kubernetes.io/azure-load-balancer-ipv4": "203.0.113.9" },
                })),
            },
            key: "clusters[1].eastWestServiceAnnotations",
        },
    ],
    "credentials in URLs": [
        {
            stack: "cloud",
            changes: { clusters: cloud(0, { apiServer: `https://admin:${CRED}@203.0.113.10` }) },
            key: "clusters[0].apiServer",
        },
        {
            stack: "cloud",
            changes: { clusters: cloud(0, { apiServer: `https://203.0.113.10?token=${CRED}` }) },
            key: "clusters[0].apiServer",
        },
        { stack: "cloud", changes: { clusters: cloud(0, { apiServer: `https://203.0.113.10#${CRED}` }) }, key: "clusters[0].apiServer" },
        { stack: "cloud", changes: { chartRepository: `https://u:${CRED}@charts.example` }, key: "chartRepository" },
        { stack: "cloud", changes: { chartRepository: `https://charts.example/?sig=${CRED}` }, key: "chartRepository" },
        { stack: "cloud", secrets: { kubeconfigs: kubeconfigsWith(`https://u:${CRED}@203.0.113.10`) }, key: "clusters[0].apiServer" },
        {
            stack: "cloud",
            changes: { observability: { istioDashboards: `https://u:${CRED}@mirror.example/d` } },
            key: "observability.istioDashboards",
        },
    ],
    "namespaces the program does not own": [
        ...["kube-system", "default", "kube-public", "kube-node-lease", "istio-system", "observability", "keycloak"].map(
            (ingressNamespace): Row => ({ stack: "cloud", changes: { ingressNamespace }, key: "ingressNamespace" }),
        ),
    ],
    kubeconfigs: [
        { stack: "cloud", secrets: { kubeconfigs: kubeconfigWithout("current-context") }, key: "kubeconfigs.aks" },
        { stack: "cloud", secrets: { kubeconfigs: kubeconfigWithout("users") }, key: "kubeconfigs.aks" },
        {
            stack: "cloud",
            secrets: { kubeconfigs: { aks: "not: [a kubeconfig", gke: adminKubeconfig("gke", "https://203.0.113.20") } },
            key: "kubeconfigs.aks",
        },
        { stack: "cloud", secrets: { kubeconfigs: { gke: adminKubeconfig("gke", "https://203.0.113.20") } }, key: "kubeconfigs.aks" },
        {
            stack: "cloud",
            secrets: { kubeconfigs: { ...kubeconfigsWith("https://203.0.113.10"), eks: adminKubeconfig("eks", "https://203.0.113.30") } },
            key: "kubeconfigs.eks",
        },
    ],
    "length and shape limits": [
        { stack: "testbed", changes: { trustDomain: "a".repeat(10_000) }, key: "trustDomain" },
        { stack: "testbed", changes: { trustDomain: "a".repeat(254) }, key: "trustDomain" },
        { stack: "testbed", changes: { meshId: "m".repeat(64) }, key: "meshId" },
        { stack: "cloud", changes: { identity: { realm: "r".repeat(5000) } }, key: "identity.realm" },
        {
            stack: "cloud",
            changes: { clusters: cloud(0, { eastWestServiceAnnotations: { "example.com/a": "x".repeat(3000) } }) },
            key: "clusters[0].eastWestServiceAnnotations",
        },
        {
            stack: "cloud",
            changes: { clusters: cloud(0, { eastWestServiceAnnotations: { ["k".repeat(300)]: "v" } }) },
            key: "clusters[0].eastWestServiceAnnotations",
        },
        { stack: "cloud", secrets: { kubeconfigs: JSON.parse('{"__proto__": "x"}') as Json }, key: "kubeconfigs" },
        { stack: "cloud", changes: { identity: JSON.parse('{"constructor": {}}') as Json }, key: "identity" },
        {
            stack: "cloud",
            changes: { clusters: cloud(0, { eastWestServiceAnnotations: JSON.parse('{"toString": "x"}') as Json }) },
            key: "clusters[0].eastWestServiceAnnotations",
        },
        { stack: "cloud", changes: { clusters: cloud(0, { name: "constructor" }) }, key: "clusters[0].name" },
        { stack: "testbed", changes: { hosts: host(0, { name: "__proto__" }) }, key: "hosts[0].name" },
        { stack: "testbed", changes: { hosts: host(0, { hostKey: `ssh-ed25519 ${"A".repeat(3000)}` }) }, key: "hosts[0].hostKey" },
    ],
    "all problems at once": [
        {
            stack: "testbed",
            changes: { clusters: tb(0, { podSubnet: 5, loadBalancerPool: ["10.5.0.121-10.5.0.125"] }) },
            key: "clusters[1].loadBalancerPool[0]",
        },
        {
            stack: "cloud",
            changes: {
                clusters: [
                    { name: 5, network: "n0" },
                    { name: "aks", network: "network-x" },
                    { name: "gke", network: "network-x" },
                ],
            },
            key: "clusters[2].network",
        },
        { stack: "testbed", changes: { platform: "vsphere" }, key: "platform" },
        { stack: "testbed", changes: { platform: "testbd" }, key: "platform" },
        { stack: "cloud", changes: { identity: { realm: "master", issuerUrl: "x" } }, key: "identity.realm" },
        { stack: "testbed", changes: { clusters: tb(1, { ciliumClusterId: "2" }), trustDomain: "Bad Domain" }, key: "trustDomain" },
    ],
    "other values": [
        { stack: "testbed", changes: { versionProfile: "nist-2024" }, key: "versionProfile" },
        { stack: "testbed", changes: { workloadCertTtlHours: 48 }, key: "workloadCertTtlHours" },
        { stack: "testbed", changes: { caSource: "vault" }, key: "caSource" },
        { stack: "cloud", changes: { clusters: [cloudClusters[0]] }, key: "clusters" },
        { stack: "cloud", changes: { clusters: cloud(1, { network: "network-aks" }) }, key: "clusters[1].network" },
        { stack: "cloud", changes: { clusters: cloud(1, { name: "aks" }) }, key: "clusters[1].name" },
        {
            stack: "testbed",
            changes: { hosts: host(1, { hostKey: testHostKey("server1").replace("ssh-ed25519", "ssh-rsa") }) },
            key: "hosts[1].hostKey",
        },
        { stack: "cloud", changes: { identity: { accessTokenLifespanSeconds: 3600 } }, key: "identity.accessTokenLifespanSeconds" },
        { stack: "cloud", changes: { identityCredentials: { clientSecret: CRED, adminPassword: CRED } }, key: "identityCredentials" },
        { stack: "cloud", changes: { sampleRegistry: "http://registry/samples" }, key: "sampleRegistry" },
    ],
    "clusters the cloud stack creates (issue 16)": [
        { stack: "cloud-created", changes: { clusters: provision(1, { autopilot: true }) }, key: "clusters[1].provision.autopilot" },
        { stack: "cloud-created", changes: { clusters: provision(0, { kind: "eks" }) }, key: "clusters[0].provision.kind" },
        { stack: "cloud-created", changes: { clusters: provision(0, { location: "West Europe" }) }, key: "clusters[0].provision.location" },
        { stack: "cloud-created", changes: { clusters: provision(1, { location: "europe" }) }, key: "clusters[1].provision.location" },
        {
            stack: "cloud-created",
            changes: { clusters: provision(0, { kubernetesVersion: "1.29" }) },
            key: "clusters[0].provision.kubernetesVersion",
        },
        {
            stack: "cloud-created",
            changes: { clusters: provision(0, { kubernetesVersion: "latest" }) },
            key: "clusters[0].provision.kubernetesVersion",
        },
        { stack: "cloud-created", changes: { clusters: provision(0, { vmSize: "Standard_B1s" }) }, key: "clusters[0].provision.vmSize" },
        {
            stack: "cloud-created",
            changes: { clusters: provision(1, { machineType: "e2-small" }) },
            key: "clusters[1].provision.machineType",
        },
        { stack: "cloud-created", changes: { clusters: provision(0, { nodeCount: 0 }) }, key: "clusters[0].provision.nodeCount" },
        { stack: "cloud-created", changes: { clusters: provision(0, { podCidr: "10.224.0.0/16" }) }, key: "clusters[0].provision.podCidr" },
        {
            stack: "cloud-created",
            changes: { clusters: provision(0, { serviceCidr: "172.31.0.0/16" }) },
            key: "clusters[0].provision.serviceCidr",
        },
        {
            stack: "cloud-created",
            changes: { clusters: provision(1, { nodeCidr: "10.128.0.1/20" }) },
            key: "clusters[1].provision.nodeCidr",
        },
        {
            stack: "cloud-created",
            changes: {
                clusters: [
                    { ...createdClusters[0], provision: { kind: "aks", eastWestLoadBalancer: "internal", podCidr: "10.32.0.0/16" } },
                    { ...createdClusters[1], provision: { kind: "gke", eastWestLoadBalancer: "internal" } },
                ],
            },
            key: "clusters[1].provision.podCidr",
        },
        { stack: "cloud-created", changes: { clusters: provision(1, { networkPolicy: "calico" }) }, key: "clusters[1].provision" },
        {
            stack: "cloud-created",
            changes: { clusters: provision(0, { networkPolicy: "none" }) },
            key: "clusters[0].provision.networkPolicy",
        },
        {
            stack: "cloud-created",
            changes: { clusters: [{ ...createdClusters[0], apiServer: "https://203.0.113.9" }, createdClusters[1]] },
            key: "clusters[0].apiServer",
        },
        {
            stack: "cloud-created",
            changes: {
                clusters: [
                    { ...createdClusters[0], name: "a".repeat(25) },
                    { ...createdClusters[1], name: "b".repeat(25) },
                ],
            },
            key: "clusters[1].name",
        },
        {
            stack: "cloud-created",
            secrets: { kubeconfigs: { aks: adminKubeconfig("aks", "https://203.0.113.10") } },
            key: "kubeconfigs.aks",
        },
        { stack: "cloud-created", changes: { platform: "sim" }, key: "clusters[0].provision" },
    ],
};

const rows = Object.entries(table).flatMap(([klass, list]) => list.map((row, i) => [`${klass} #${i + 1}: ${row.key}`, row] as const));

test("the table covers every class of the review, and the clusters the cloud stack creates", () => {
    expect(Object.keys(table)).toHaveLength(11);
    expect(rows.length).toBeGreaterThanOrEqual(85);
});

test.each(rows)("%s is refused, naming the key, echoing no credential", (_name, row) => {
    const config =
        row.stack === "cloud"
            ? existingCloudConfig(row.changes ?? {}, row.secrets ?? {})
            : stackConfig(row.stack === "cloud-created" ? "cloud" : row.stack, row.changes ?? {}, row.secrets ?? {});
    const problems = problemsOf(() => parseConfig(rawConfig(config)));
    for (const p of problems) {
        expect(p).toMatch(/^zta-testbed:[^:\s]+: \S/);
        expect(p).not.toContain(CRED);
        expect(p).not.toContain("TEST-ADMIN-TOKEN");
    }
    const named = problems.some((p) => p.startsWith(`zta-testbed:${row.key}`));
    if (!named) {
        throw new Error(`no problem names ${row.key}:\n${problems.join("\n")}`);
    }
});
