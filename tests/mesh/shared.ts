/**
 * The mesh contract, asserted for one scenario (a committed stack or the 3-cluster config) on what the
 * engine would receive. Each scenario runs in its own test file (own Pulumi runtime).
 */
import { parse as parseYaml } from "yaml";
import { istioChartRepo, versionProfiles } from "../../components/core/versions";
import { mockMarker, Recording, RecordedResource, promiseOf, SECRET } from "../harness/engine";
import { runProgram, ProgramRun } from "../harness/program";
import { StackConfig } from "../harness/stacks";
import * as pulumi from "@pulumi/pulumi";

export interface Scenario {
    stack: string;
    config: StackConfig;
    clusters: { name: string; network: string; apiServer: string }[];
    profile: keyof typeof versionProfiles;
}

const SECRET_T = "kubernetes:core/v1:Secret";
const RELEASE_T = "kubernetes:helm.sh/v3:Release";

/** True when `path` lies inside one of the secret paths. */
function covered(path: string, secretPaths: string[]): boolean {
    return secretPaths.some((s) => s === "" || path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`));
}

/** Every input string that looks like key material or a credential, with its path. */
function sensitiveStrings(value: unknown, path = ""): string[] {
    if (typeof value === "string") {
        // Key material (a PEM block with a body; scripts that merely check for the armor do not count) or credentials.
        return /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*\n[A-Za-z0-9+/=]|TEST-ADMIN-TOKEN|token-of-|MOCK\+KEY|MOCK-ADMIN-CREDENTIAL/.test(
            value,
        )
            ? [path]
            : [];
    }
    if (Array.isArray(value)) {
        return value.flatMap((v, i) => sensitiveStrings(v, `${path}[${i}]`));
    }
    if (value && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => sensitiveStrings(v, path ? `${path}.${k}` : k));
    }
    return [];
}

export function describeMesh(title: string, scenario: () => Scenario): void {
    describe(title, () => {
        let s: Scenario;
        let run: ProgramRun;
        let rec: Recording;
        const cp = (cluster: string, role: string): RecordedResource => rec.get(`mesh-${cluster}-${role}`);
        const providerOf = (cluster: string): RecordedResource => rec.get(`${cluster}-provider`, "pulumi:providers:kubernetes");

        beforeAll(async () => {
            s = scenario();
            run = await runProgram(s.stack, s.config);
            rec = run.recording;
        });

        test("every Kubernetes object goes through its cluster's explicit provider", () => {
            const k8s = rec.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
            expect(k8s.length).toBeGreaterThan(0);
            for (const r of k8s) {
                expect(r.provider).not.toBe("");
                expect(Recording.providerUrn(r.provider)).toMatch(/pulumi:providers:kubernetes::/);
            }
            for (const c of s.clusters) {
                const p = providerOf(c.name);
                expect(p.secretPaths).toContain("kubeconfig");
                const inCluster = k8s.filter(
                    (r) =>
                        r.name.startsWith(`mesh-${c.name}-`) ||
                        r.name.startsWith(`mesh-discovery-${c.name}-reader`) ||
                        r.name.endsWith(`-in-${c.name}`),
                );
                expect(inCluster.length).toBeGreaterThan(0);
                for (const r of inCluster) {
                    expect(Recording.providerUrn(r.provider)).toBe(p.urn);
                }
            }
        });

        test("istio-system is labelled with each cluster's network", () => {
            for (const c of s.clusters) {
                const ns = cp(c.name, "istio-system");
                expect(ns.inputs.metadata).toEqual({
                    name: "istio-system",
                    labels: {
                        "topology.istio.io/network": c.network,
                        // Pod Security: baseline enforced, restricted audited and warned (components/mesh/values.ts).
                        "pod-security.kubernetes.io/enforce": "baseline",
                        "pod-security.kubernetes.io/enforce-version": "latest",
                        "pod-security.kubernetes.io/audit": "restricted",
                        "pod-security.kubernetes.io/audit-version": "latest",
                        "pod-security.kubernetes.io/warn": "restricted",
                        "pod-security.kubernetes.io/warn-version": "latest",
                    },
                });
            }
        });

        test("cacerts holds exactly the four plug-in CA keys, secret, with a shared root and distinct intermediates", () => {
            const roots = new Set<string>();
            const intermediates = new Set<string>();
            for (const c of s.clusters) {
                const secret = cp(c.name, "cacerts");
                expect(secret.type).toBe(SECRET_T);
                expect(secret.inputs.metadata).toEqual({ name: "cacerts", namespace: "istio-system" });
                expect(Object.keys(secret.inputs.stringData).sort()).toEqual([
                    "ca-cert.pem",
                    "ca-key.pem",
                    "cert-chain.pem",
                    "root-cert.pem",
                ]);
                expect(secret.redacted.stringData).toBe(SECRET);
                const d = secret.inputs.stringData;
                expect(d["ca-key.pem"]).toContain(mockMarker("KEY", `mesh-ca-${c.name}-key`));
                expect(d["ca-cert.pem"]).toContain(mockMarker("CERT", `mesh-ca-${c.name}-cert`));
                // cert-chain.pem = intermediate, then root.
                expect(d["cert-chain.pem"]).toBe(`${d["ca-cert.pem"].trim()}\n${d["root-cert.pem"].trim()}\n`);
                roots.add(d["root-cert.pem"]);
                intermediates.add(d["ca-cert.pem"]);
            }
            expect(roots.size).toBe(1);
            expect(intermediates.size).toBe(s.clusters.length);
        });

        test("base, istiod and both gateways are released from the pinned charts with the mesh values", () => {
            const { istio, gatewayChart } = versionProfiles[s.profile];
            for (const c of s.clusters) {
                const expectChart = (r: RecordedResource, chart: string, name: string, namespace: string) => {
                    const version = chart === "gateway" ? gatewayChart : istio;
                    expect(r.type).toBe(RELEASE_T);
                    expect(r.inputs).toMatchObject({
                        chart,
                        version,
                        name,
                        namespace,
                        repositoryOpts: { repo: istioChartRepo },
                        atomic: true,
                        skipAwait: false,
                    });
                };
                expectChart(cp(c.name, "base"), "base", "istio-base", "istio-system");
                // The istio-cni node agent in kube-system (privileged allow-list), so injected pods need no istio-init.
                const cni = cp(c.name, "cni");
                expectChart(cni, "cni", "istio-cni", "kube-system");
                // gke's node paths from 1.25 on (1.24 detects GKE itself and has no gke profile); bare metal's registry.
                const gkeProfile = c.name === "gke" && s.profile !== "nist-2025";
                const cniGlobal = {
                    ...(gkeProfile ? { platform: "gke" } : {}),
                };
                expect(cni.inputs.values).toEqual(Object.keys(cniGlobal).length > 0 ? { global: cniGlobal } : {});
                const istiod = cp(c.name, "istiod");
                expectChart(istiod, "istiod", "istiod", "istio-system");
                expect(istiod.inputs.values.global).toEqual({
                    meshID: expect.any(String),
                    multiCluster: { clusterName: c.name },
                    network: c.network,
                    // No pull secret: the committed stacks pull Istio from the public hub; with istioHub in the
                    // private registry there is one (tests/platform/baremetal/program.test.ts "registry pull secrets").
                });
                expect(istiod.inputs.values.meshConfig).toEqual({
                    trustDomain: expect.any(String),
                    // Zero trust: no egress to unregistered hosts; workload certificates live at most 24 h.
                    outboundTrafficPolicy: { mode: "REGISTRY_ONLY" },
                    defaultConfig: { proxyMetadata: { SECRET_TTL: "24h" } },
                });
                expect(istiod.inputs.values.pilot.env).toEqual({ DEFAULT_WORKLOAD_CERT_TTL: "24h", MAX_WORKLOAD_CERT_TTL: "24h" });
                expect(istiod.inputs.values.pilot.cni).toEqual({ enabled: true });
                // a CA rotation must not restart istiod (it watches cacerts): nothing in its pod template hashes the CA
                expect(istiod.inputs.values.pilot.podAnnotations).toBeUndefined();
                const ew = cp(c.name, "eastwest");
                expectChart(ew, "gateway", "istio-eastwestgateway", "istio-system");
                expect(ew.inputs.values).toMatchObject({
                    name: "istio-eastwestgateway",
                    networkGateway: c.network,
                    labels: { istio: "eastwestgateway", app: "istio-eastwestgateway" },
                    service: { type: "LoadBalancer" },
                });
                expectChart(cp(c.name, "ingress"), "gateway", "istio-ingressgateway", "istio-ingress");
                expect(cp(c.name, "ingress-namespace").inputs.metadata.name).toBe("istio-ingress");
            }
            const meshIds = new Set(s.clusters.map((c) => cp(c.name, "istiod").inputs.values.global.meshID));
            const domains = new Set(s.clusters.map((c) => cp(c.name, "istiod").inputs.values.meshConfig.trustDomain));
            expect(meshIds.size).toBe(1);
            expect(domains.size).toBe(1);
        });

        test("zero-trust baseline per cluster: STRICT mTLS and allow-nothing in istio-system, after istiod, via the cluster's provider", () => {
            for (const c of s.clusters) {
                const strict = rec.get(`mesh-${c.name}-policy-strict-mtls`);
                const deny = rec.get(`mesh-${c.name}-policy-allow-nothing`);
                expect(strict.inputs).toEqual({
                    apiVersion: "security.istio.io/v1",
                    kind: "PeerAuthentication",
                    metadata: { name: "default", namespace: "istio-system" },
                    spec: { mtls: { mode: "STRICT" } },
                });
                // An empty spec: an ALLOW policy that matches nothing, mesh-wide from the root namespace.
                expect(deny.inputs).toEqual({
                    apiVersion: "security.istio.io/v1",
                    kind: "AuthorizationPolicy",
                    metadata: { name: "allow-nothing", namespace: "istio-system" },
                    spec: {},
                });
                for (const r of [strict, deny]) {
                    // Validated by istiod's webhook: istiod first.
                    expect(rec.dependsOn(r, cp(c.name, "istiod"))).toBe(true);
                    expect(Recording.providerUrn(r.provider)).toBe(providerOf(c.name).urn);
                }
            }
        });

        test("NetworkPolicies: each namespace's default deny is created after all its allows, in the namespace, via the cluster's provider", () => {
            for (const c of s.clusters) {
                for (const [prefix, ns] of [
                    ["system", "istio-system"],
                    ["ingress", "istio-ingress"],
                ]) {
                    const all = rec.find(
                        (r) =>
                            r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" &&
                            r.name.startsWith(`mesh-${c.name}-policy-${prefix}-`),
                    );
                    const deny = all.filter((r) => r.name.endsWith("-default-deny"));
                    expect(deny).toHaveLength(1);
                    const allows = all.filter((r) => r !== deny[0]);
                    expect(allows.length).toBeGreaterThanOrEqual(4);
                    for (const r of all) {
                        expect(r.inputs.metadata.namespace).toBe(ns);
                        expect(Recording.providerUrn(r.provider)).toBe(providerOf(c.name).urn);
                    }
                    for (const a of allows) {
                        expect(rec.dependsOn(deny[0], a)).toBe(true);
                    }
                    const namespace = cp(c.name, ns === "istio-system" ? "istio-system" : "ingress-namespace");
                    for (const r of all) {
                        expect(rec.dependsOn(r, namespace)).toBe(true);
                    }
                }
                // istiod reaches its own API server (kubeadm: the advertise address; managed: the addresses its
                // `default/kubernetes` EndpointSlice lists, read through the cluster's provider — the mock lists one
                // TEST-NET-3 address per cluster), and every other cluster of the stack by its URL.
                const egress = rec.get(`mesh-${c.name}-policy-system-allow-apiserver-egress`).inputs.spec.egress as {
                    to: { ipBlock: { cidr: string } }[];
                    ports: { port: number }[];
                }[];
                const targets = egress.map((e) => `${e.to[0].ipBlock.cidr}:${e.ports[0].port}`);
                const reads = rec.find(
                    (r) =>
                        r.read && r.type === "kubernetes:discovery.k8s.io/v1:EndpointSlice" && r.name === `${c.name}-apiserver-endpoints`,
                );
                if (s.stack === "testbed") {
                    expect(targets).toContain(`${new URL(c.apiServer).hostname}/32:6443`);
                    expect(reads).toEqual([]);
                } else {
                    expect(reads).toHaveLength(1);
                    expect(Recording.providerUrn(reads[0].provider)).toBe(providerOf(c.name).urn);
                    expect(targets.filter((t) => /^203\.0\.113\.1\d\d\/32:443$/.test(t))).toHaveLength(1);
                }
                // The whole space only for another cluster named by a DNS name (its address is resolved in the pod).
                const named = s.clusters.filter((o) => o.name !== c.name && !/^\d+(\.\d+){3}$/.test(new URL(o.apiServer).hostname));
                expect(targets.filter((t) => t.startsWith("0.0.0.0/0:")).length).toBe(named.length > 0 ? 1 : 0);
                for (const other of s.clusters.filter((o) => o.name !== c.name)) {
                    const u = new URL(other.apiServer);
                    const host = /^\d+(\.\d+){3}$/.test(u.hostname) ? `${u.hostname}/32` : "0.0.0.0/0";
                    expect(targets).toContain(`${host}:${u.port || "443"}`);
                }
            }
        });

        test("15443 leaves only towards the other networks' east-west gateways (their addresses, read back once assigned): from the samples, the ingress gateway and the federator", () => {
            const blocksOf = (name: string): string[] =>
                ((rec.get(name).inputs.spec.egress as { to: { ipBlock: { cidr: string } }[]; ports: { port: number }[] }[]) ?? [])
                    .filter((r) => r.ports.some((p) => p.port === 15443))
                    .flatMap((r) => r.to.map((t) => t.ipBlock.cidr));
            const all = new Set<string>();
            for (const c of s.clusters) {
                const sample = blocksOf(`mesh-${c.name}-samples-allow-cross-network-egress`);
                expect(sample).toHaveLength(s.clusters.length - 1);
                expect(sample.every((b) => /^\d+(\.\d+){3}\/32$/.test(b))).toBe(true);
                expect(blocksOf(`mesh-${c.name}-policy-ingress-allow-ingress-gateway-egress`)).toEqual(sample);
                sample.forEach((b) => all.add(b));
            }
            // Each cluster's east-west address is in every other cluster's list, never in its own.
            expect(all.size).toBe(s.clusters.length);
            const mesh = s.clusters[0].name;
            expect(blocksOf(`observability-${mesh}-np-allow-federation-egress`)).toEqual(
                blocksOf(`mesh-${mesh}-samples-allow-cross-network-egress`),
            );
        });

        test("sample workloads per cluster: injected, Pod Security restricted, helloworld v1/v2 alternating, after the mesh and their policies", () => {
            s.clusters.forEach((c, i) => {
                const prefix = `mesh-${c.name}-samples`;
                const ns = rec.get(`${prefix}-namespace`);
                expect(ns.inputs.metadata.name).toBe("sample");
                expect(ns.inputs.metadata.labels).toMatchObject({
                    "istio-injection": "enabled",
                    "pod-security.kubernetes.io/enforce": "restricted",
                });
                // Injection needs istiod's webhook and the CNI agent.
                expect(rec.dependsOn(ns, cp(c.name, "istiod"))).toBe(true);
                expect(rec.dependsOn(ns, cp(c.name, "cni"))).toBe(true);
                const deployments = rec.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name.startsWith(`${prefix}-`));
                const version = i % 2 === 0 ? "v1" : "v2";
                expect(deployments.map((d) => d.inputs.metadata.name).sort()).toEqual(["curl", `helloworld-${version}`, "httpbin"]);
                const policies = rec.find(
                    (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.name.startsWith(`${prefix}-`),
                );
                const authz = rec.find((r) => r.name.startsWith(`${prefix}-authz-`));
                expect(authz.map((a) => a.inputs.metadata.name).sort()).toEqual(["helloworld", "httpbin"]);
                const deny = policies.filter((p) => p.inputs.metadata.name === "default-deny");
                expect(deny).toHaveLength(1);
                for (const d of deployments) {
                    for (const dep of [...policies, ...authz]) {
                        expect(rec.dependsOn(d, dep)).toBe(true);
                    }
                    expect(Recording.providerUrn(d.provider)).toBe(providerOf(c.name).urn);
                    // No pull secret: the committed stacks pull the samples (and sidecars) from public registries.
                    expect(d.inputs.spec.template.spec.imagePullSecrets).toBeUndefined();
                }
                // The zero-trust baseline is in place before any sample workload exists.
                expect(rec.dependsOn(ns, rec.get(`mesh-${c.name}-policy-strict-mtls`))).toBe(true);
                expect(rec.dependsOn(ns, rec.get(`mesh-${c.name}-policy-allow-nothing`))).toBe(true);
                for (const allow of policies.filter((p) => p !== deny[0])) {
                    expect(rec.dependsOn(deny[0], allow)).toBe(true);
                }
                const helloworldAllow = authz.find((a) => a.inputs.metadata.name === "helloworld");
                expect(helloworldAllow?.inputs.spec.rules).toEqual([
                    {
                        from: [{ source: { principals: ["cluster.local/ns/sample/sa/curl"] } }],
                        to: [{ operation: { ports: ["5000"], methods: ["GET"], paths: ["/hello"] } }],
                    },
                ]);
                // East-west gateway → helloworld and httpbin (both run behind one name in every network).
                const fromEastWest = policies.find((p) => p.inputs.metadata.name === "allow-from-eastwest-gateway");
                expect(fromEastWest?.inputs.spec.ingress[0].ports).toEqual([
                    { protocol: "TCP", port: 5000 },
                    { protocol: "TCP", port: 8080 },
                ]);
                const httpbinAllow = authz.find((a) => a.inputs.metadata.name === "httpbin");
                expect(httpbinAllow?.inputs.spec.rules[0].from[0].source.principals).toEqual([
                    "cluster.local/ns/istio-ingress/sa/istio-ingressgateway",
                ]);
                // No registry credential where nothing pulls from the registry (the samples come from public ones).
                expect(rec.find((r) => r.name === `${prefix}-pull-secret`)).toEqual([]);
            });
        });

        test("cross-network-gateway passes *.local mTLS through on 15443", () => {
            for (const c of s.clusters) {
                const gw = cp(c.name, "cross-network-gateway");
                expect(gw.inputs).toMatchObject({
                    apiVersion: "networking.istio.io/v1",
                    kind: "Gateway",
                    metadata: { name: "cross-network-gateway", namespace: "istio-system" },
                    spec: {
                        selector: { istio: "eastwestgateway" },
                        servers: [
                            {
                                port: { number: 15443, name: "tls", protocol: "TLS" },
                                tls: { mode: "AUTO_PASSTHROUGH" },
                                hosts: ["*.local"],
                            },
                        ],
                    },
                });
            }
        });

        test("ordering: base after namespace, CNI after base, istiod after cacerts, base and CNI, gateways after istiod, token after base", () => {
            for (const c of s.clusters) {
                const [ns, cacerts, base, istiod, ew, ingress, gw] = [
                    "istio-system",
                    "cacerts",
                    "base",
                    "istiod",
                    "eastwest",
                    "ingress",
                    "cross-network-gateway",
                ].map((r) => cp(c.name, r));
                expect(rec.dependsOn(cacerts, ns)).toBe(true);
                expect(rec.dependsOn(base, ns)).toBe(true);
                expect(rec.dependsOn(istiod, cacerts)).toBe(true);
                expect(rec.dependsOn(istiod, base)).toBe(true);
                // The CNI agent (after base) before istiod, which injects pods that rely on it.
                const cni = cp(c.name, "cni");
                expect(rec.dependsOn(cni, base)).toBe(true);
                expect(rec.dependsOn(istiod, cni)).toBe(true);
                expect(rec.dependsOn(ew, istiod)).toBe(true);
                expect(rec.dependsOn(ingress, istiod)).toBe(true);
                expect(rec.dependsOn(gw, ew)).toBe(true);
                expect(rec.dependsOn(gw, base)).toBe(true);
                const token = rec.get(`mesh-discovery-${c.name}-reader-token`);
                expect(rec.dependsOn(token, base)).toBe(true);
                // Nothing that needs istiod may race it: no gateway release lacks the dependency.
                const gatewayReleases = rec
                    .ofType(RELEASE_T)
                    .filter((r) => r.inputs.chart === "gateway" && r.name.startsWith(`mesh-${c.name}-`));
                expect(gatewayReleases).toHaveLength(2);
                gatewayReleases.forEach((r) => expect(rec.dependsOn(r, istiod)).toBe(true));
            }
        });

        test("reader identity: a least-privilege service account (read-only, no Secrets) and its token Secret", () => {
            for (const c of s.clusters) {
                const token = rec.get(`mesh-discovery-${c.name}-reader-token`);
                expect(token.inputs).toEqual({
                    apiVersion: "v1",
                    kind: "Secret",
                    metadata: {
                        name: "zta-remote-reader-token",
                        namespace: "istio-system",
                        annotations: { "kubernetes.io/service-account.name": "zta-remote-reader" },
                    },
                    type: "kubernetes.io/service-account-token",
                });
                expect(Recording.providerUrn(token.provider)).toBe(providerOf(c.name).urn);
                // rotation (README) replaces it: with a fixed name only delete-first leaves the new token in place
                expect(token.deleteBeforeReplace).toBe(true);
                const account = rec.get(`mesh-discovery-${c.name}-reader`);
                expect(account.inputs.metadata).toEqual({ name: "zta-remote-reader", namespace: "istio-system" });
                const role = rec.get(`mesh-discovery-${c.name}-reader-role`);
                const rules = role.inputs.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
                expect(rules.flatMap((r) => r.verbs).every((v) => ["get", "list", "watch"].includes(v))).toBe(true);
                expect(rules.filter((r) => r.apiGroups.includes("")).flatMap((r) => r.resources)).toEqual(
                    expect.arrayContaining(["services", "endpoints", "pods", "namespaces", "nodes"]),
                );
                // Secrets: list/watch only (the remote credentials informer; README security model), never get;
                // ConfigMaps: only `istio` in istio-system, through a namespaced Role.
                expect(rules.filter((r) => r.resources.includes("secrets"))).toEqual([
                    { apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"] },
                ]);
                expect(rules.flatMap((r) => r.resources)).not.toContain("configmaps");
                expect(rules.filter((r) => r.apiGroups.includes("")).flatMap((r) => r.resources)).not.toContain("*");
                const meshConfigRole = rec.get(`mesh-discovery-${c.name}-reader-mesh-config-role`);
                expect(meshConfigRole.inputs.metadata).toEqual({ name: "zta-remote-reader", namespace: "istio-system" });
                expect(meshConfigRole.inputs.rules).toEqual([
                    { apiGroups: [""], resources: ["configmaps"], resourceNames: ["istio"], verbs: ["get", "list", "watch"] },
                ]);
                const meshConfigBinding = rec.get(`mesh-discovery-${c.name}-reader-mesh-config-binding`);
                expect(meshConfigBinding.inputs.roleRef).toEqual({
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "Role",
                    name: "zta-remote-reader",
                });
                expect(rec.dependsOn(token, meshConfigBinding)).toBe(true);
                const binding = rec.get(`mesh-discovery-${c.name}-reader-binding`);
                expect(binding.inputs.roleRef).toEqual({
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "ClusterRole",
                    name: "zta-remote-reader",
                });
                expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "zta-remote-reader", namespace: "istio-system" }]);
                // The token is requested only once its account and permissions exist.
                expect(rec.dependsOn(token, account)).toBe(true);
                expect(rec.dependsOn(token, binding)).toBe(true);
            }
        });

        test("remote secrets in every direction, exact istioctl shape, peer-reachable server", () => {
            const remote = rec.ofType(SECRET_T).filter((r) => r.inputs.metadata?.labels?.["istio/multiCluster"] === "true");
            expect(remote).toHaveLength(s.clusters.length * (s.clusters.length - 1));
            for (const a of s.clusters) {
                for (const b of s.clusters) {
                    if (a.name === b.name) {
                        continue;
                    }
                    const r = rec.get(`mesh-discovery-${a.name}-in-${b.name}`);
                    expect(Recording.providerUrn(r.provider)).toBe(providerOf(b.name).urn);
                    expect(r.inputs.metadata).toEqual({
                        name: `istio-remote-secret-${a.name}`,
                        namespace: "istio-system",
                        labels: { "istio/multiCluster": "true" },
                        annotations: { "networking.istio.io/cluster": a.name },
                    });
                    expect(r.redacted.stringData).toBe(SECRET);
                    expect(Object.keys(r.inputs.stringData)).toEqual([a.name]);
                    const kc = parseYaml(r.inputs.stringData[a.name]);
                    expect(kc["current-context"]).toBe(a.name);
                    expect(kc.clusters).toEqual([
                        { name: a.name, cluster: { server: a.apiServer, "certificate-authority-data": expect.any(String) } },
                    ]);
                    expect(kc.contexts).toEqual([{ name: a.name, context: { cluster: a.name, user: a.name } }]);
                    expect(kc.users).toEqual([{ name: a.name, user: { token: `token-of-mesh-discovery-${a.name}-reader-token` } }]);
                    const ca = Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64").toString();
                    expect(ca).toContain("MOCK-CLUSTER-CA");
                    expect(a.apiServer).not.toMatch(/127\.0\.0\.1|localhost/);
                    // The remote secret lands after istio-system exists in the target cluster.
                    expect(rec.dependsOn(r, cp(b.name, "istio-system"))).toBe(true);
                }
            }
        });

        test("the mesh CA inputs follow the profile: RSA 4096, CA root, intermediates with L=<cluster> asking for pathlen 0, CA key usage only (cert and CRL signing)", () => {
            // The mesh CA's keys only (bare metal also has an infrastructure CA for the registry).
            const keys = rec.ofType("tls:index/privateKey:PrivateKey").filter((k) => k.name.startsWith("mesh-ca-"));
            expect(keys).toHaveLength(s.clusters.length + 1);
            keys.forEach((k) => expect(k.inputs).toEqual({ algorithm: "RSA", rsaBits: 4096 }));
            const root = rec.get("mesh-ca-root");
            expect(root.inputs).toMatchObject({
                subject: { organization: "Istio", commonName: "Root CA" },
                isCaCertificate: true,
                validityPeriodHours: 3650 * 24,
                setSubjectKeyId: true,
            });
            expect([...root.inputs.allowedUses].sort()).toEqual(["cert_signing", "crl_signing"]);
            expect(root.secretPaths).toContain("privateKeyPem");
            for (const c of s.clusters) {
                const csr = rec.get(`mesh-ca-${c.name}-csr`);
                expect(csr.inputs).toMatchObject({
                    subject: { organization: "Istio", commonName: "Intermediate CA", locality: c.name },
                    dnsNames: ["istiod.istio-system.svc"],
                });
                expect(csr.secretPaths).toContain("privateKeyPem");
                const cert = rec.get(`mesh-ca-${c.name}-cert`);
                expect(cert.inputs).toMatchObject({
                    isCaCertificate: true,
                    maxPathLength: 0,
                    validityPeriodHours: 730 * 24,
                    earlyRenewalHours: 30 * 24,
                    setSubjectKeyId: true,
                });
                expect([...cert.inputs.allowedUses].sort()).toEqual(["cert_signing", "crl_signing"]);
                expect(cert.secretPaths).toContain("caPrivateKeyPem");
                expect(cert.inputs.caCertPem).toContain(mockMarker("CERT", "mesh-ca-root"));
                expect(rec.dependsOn(cert, root)).toBe(true);
            }
        });

        test("every private key, token and kubeconfig input is a secret", () => {
            let checked = 0;
            for (const r of rec.resources) {
                for (const path of sensitiveStrings(r.inputs)) {
                    checked++;
                    if (!covered(path, r.secretPaths)) {
                        throw new Error(`${r.type} ${r.name}: ${path} carries credentials but is not secret`);
                    }
                }
            }
            // Root key + per cluster: CSR key, signer key, cacerts, provider, remote secrets.
            expect(checked).toBeGreaterThanOrEqual(1 + s.clusters.length * 4);
        });

        test("outputs: network, control-plane status, east-west address and root are public; kubeconfigs are secret", async () => {
            const o = run.outputs as Record<string, pulumi.Output<unknown>>;
            expect(await pulumi.isSecret(o.readerKubeconfigs)).toBe(true);
            const kcs = (await promiseOf(o.readerKubeconfigs)) as Record<string, string>;
            expect(Object.keys(kcs).sort()).toEqual(s.clusters.map((c) => c.name).sort());
            expect(await pulumi.isSecret(o.rootCert)).toBe(false);
            expect(await promiseOf(o.rootCert)).toContain(mockMarker("CERT", "mesh-ca-root"));
            expect(await pulumi.isSecret(o.clusters)).toBe(false);
            const clusters = (await promiseOf(o.clusters)) as Record<string, any>;
            for (const c of s.clusters) {
                expect(clusters[c.name]).toEqual({
                    network: c.network,
                    apiServer: c.apiServer,
                    controlPlane: { base: "deployed", istiod: "deployed", eastWestGateway: "deployed", ingressGateway: "deployed" },
                    eastWestAddress: expect.stringMatching(/^198\.51\.100\.\d+$/),
                });
            }
            const peering = (await promiseOf(o.meshPeering)) as any;
            expect(peering.clusters).toEqual(s.clusters.map((c) => ({ name: c.name, network: c.network })));
            for (const [key, value] of Object.entries(o)) {
                if (key === "readerKubeconfigs") {
                    continue;
                }
                const plain = JSON.stringify(await promiseOf(value));
                expect(plain).not.toMatch(/PRIVATE KEY|token-of-|TEST-ADMIN-TOKEN/);
            }
        });
    });
}
