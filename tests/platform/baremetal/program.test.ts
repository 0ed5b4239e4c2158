/**
 * The testbed platform as the engine would receive it (recording mocks): what runs on which host over which
 * connection, in which order, and that every credential stays a secret end to end.
 */
import { createHash, X509Certificate } from "node:crypto";
import { parseAllDocuments } from "yaml";
import { kubernetesPackageVersion, versionProfiles } from "../../../components/core/versions";
import { kubeadmClusterCa, mockJoinToken, mockMarker, Recording, RecordedResource, SECRET } from "../../harness/engine";
import { runProgram } from "../../harness/program";
import { readStackFile, stackConfig, testHostKey, testSshKey } from "../../harness/stacks";

const COMMAND = "command:remote:Command";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const nist = versionProfiles["nist-2025"];
const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Qtb25seS1ob3N0LWtleS1ub3QtcmVhbA";

// The NIST topology plus one worker for cluster2 and a pinned host key on server2.
const hosts: Record<string, unknown>[] = [
    ...(readStackFile("testbed")["zta-testbed:hosts"] as Record<string, unknown>[]).map((h) => ({
        ...h,
        hostKey: h.name === "server2" ? hostKey : testHostKey(String(h.name)),
    })),
    { name: "server4", management: "10.5.0.5/24", roles: ["worker"], hostKey: testHostKey("server4") },
];
// cluster1's peers dial it by a DNS name (an extra API server certificate SAN); cluster2 has a worker.
const clusters = (readStackFile("testbed")["zta-testbed:clusters"] as Record<string, unknown>[]).map((c) =>
    c.name === "cluster2" ? { ...c, workers: ["server4"] } : { ...c, apiServer: "https://cluster1.zta.lab:6443" },
);

let rec: Recording;
let outputs: Record<string, unknown>;
beforeAll(async () => {
    const run = await runProgram("testbed", stackConfig("testbed", { hosts, clusters }));
    rec = run.recording;
    outputs = run.outputs;
});

const command = (name: string): RecordedResource => rec.get(name, COMMAND);
/** The rendered script inside `bash -c '<script>' zta-testbed` (ssh.ts remoteInvocation). */
function unwrap(create: unknown): string {
    const m = /^(?:sudo -n )?bash -c '([\s\S]*)' zta-testbed$/.exec(String(create));
    if (!m) {
        throw new Error(`not a remote script invocation: ${String(create).slice(0, 60)}`);
    }
    return m[1].replace(/'\\''/g, "'");
}
const script = (name: string): string => unwrap(command(name).inputs.create);
const k8sOf = (cluster: string): RecordedResource[] =>
    rec.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom && r.provider.includes(`::${cluster}-provider::`));

describe("hosts and SSH", () => {
    test("every host gets one wait-for-SSH check over its management address; everything on a host waits for it", () => {
        const checks = rec
            .ofType(COMMAND)
            .filter((c) => c.name.endsWith("-ready"))
            .sort((a, b) => a.name.localeCompare(b.name));
        expect(checks.map((c) => [c.name, c.inputs.connection.host])).toEqual([
            ["server1-ready", "10.5.0.2"],
            ["server2-ready", "10.5.0.3"],
            ["server3-ready", "10.5.0.4"],
            ["server4-ready", "10.5.0.5"],
        ]);
        for (const c of rec.ofType(COMMAND).filter((x) => !x.name.endsWith("-ready"))) {
            const check = checks.find((x) => x.inputs.connection.host === c.inputs.connection.host);
            expect(check).toBeDefined();
            expect(rec.waitsFor(c, check as RecordedResource)).toBe(true);
        }
    });

    test("one typed connection: user, port, secret key, bounded dialing, each host's pinned host key", () => {
        for (const c of rec.ofType(COMMAND)) {
            const conn = c.inputs.connection;
            expect(conn).toMatchObject({ user: "root", port: 22, privateKey: testSshKey, dialErrorLimit: 30, perDialTimeout: 10 });
            expect(c.secretPaths.filter((p) => p === "connection" || p === "connection.privateKey")).not.toEqual([]);
            expect(JSON.stringify(c.redacted)).not.toContain("OPENSSH PRIVATE KEY");
            const host = hosts.find((h) => String(h.management).startsWith(`${String(conn.host)}/`));
            expect(conn.hostKey).toBe(host?.hostKey);
        }
    });

    test("scripts run under bash as an argument (stdin stays for secrets), never with the previous output in env", () => {
        for (const c of rec.ofType(COMMAND)) {
            expect(c.inputs.create).toMatch(/^bash -c '#!\/usr\/bin\/env bash\n/);
            expect(unwrap(c.inputs.create)).toMatch(/^#!\/usr\/bin\/env bash\n/);
            expect(c.inputs.addPreviousOutputInEnv).toBe(false);
        }
    });
});

describe("private registry", () => {
    test("server certificate from the infrastructure CA (not the mesh root) with IP and DNS SANs", () => {
        const csr = rec.get("registry-tls-csr", "tls:index/certRequest:CertRequest");
        // 127.0.0.1: the push registry, published on loopback only.
        expect(csr.inputs.ipAddresses).toEqual(["10.5.0.2", "10.5.1.2", "127.0.0.1"]);
        expect(csr.inputs.dnsNames).toEqual(["server1"]);
        const cert = rec.get("registry-tls-cert", "tls:index/locallySignedCert:LocallySignedCert");
        expect(cert.inputs.allowedUses).toEqual(["digital_signature", "key_encipherment", "server_auth"]);
        expect(cert.inputs.caCertPem).toContain(mockMarker("CERT", "infra-ca-cert"));
        expect(cert.redacted.caPrivateKeyPem).toBe(SECRET);
        const root = rec.get("infra-ca-cert", "tls:index/selfSignedCert:SelfSignedCert");
        expect(root.inputs).toMatchObject({ isCaCertificate: true, subject: { commonName: "zta-testbed infrastructure CA" } });
        expect(rec.find((r) => r.name.startsWith("mesh-ca") && r.name !== "mesh-ca").every((r) => !rec.waitsFor(r, root))).toBe(true);
    });

    test("setup runs the pinned image; key, bcrypt htpasswd, http secret and login only on a secret stdin", () => {
        const setup = command("registry-server1-setup");
        expect(setup.inputs.connection.host).toBe("10.5.0.2");
        expect(script("registry-server1-setup")).toContain(`IMAGE='${nist.registryImage}'`);
        expect(setup.redacted.stdin).toBe(SECRET);
        const bundle = String(setup.inputs.stdin).split("\n");
        expect(bundle[0]).toBe("zta-registry-secrets-v2");
        const [key, htpasswd, httpSecret, login, pushHtpasswd, pushLogin] = bundle
            .slice(1, 7)
            .map((l) => Buffer.from(l, "base64").toString("utf8"));
        // A separate push user and password: the pull login (in every pull Secret) is not in the push htpasswd.
        expect(pushHtpasswd).toMatch(/^zta-push:\$2a\$10\$/);
        expect(pushLogin).toMatch(/^zta-push:.{32}$/);
        expect(pushLogin.slice(9)).not.toBe(login.slice(4));
        expect(key).toContain(mockMarker("KEY", "registry-tls-key"));
        expect(htpasswd).toMatch(/^zta:\$2a\$10\$/);
        expect(httpSecret).toHaveLength(48);
        expect(login).toMatch(/^zta:.{32}$/);
        const password = login.slice(4);
        for (const c of rec.ofType(COMMAND)) {
            expect(String(c.inputs.create)).not.toContain(password);
            expect(String(c.inputs.create)).not.toContain(htpasswd.slice(4));
            expect(String(c.inputs.create)).not.toContain("MOCK+KEY");
        }
        expect(setup.inputs.delete).toContain("zta-registry-push");
    });

    test("the random login and http secret are generated once and kept in state as secrets", () => {
        const password = rec.get("registry-password", "random:index/randomPassword:RandomPassword");
        expect(password.inputs).toMatchObject({ length: 32, special: false });
        expect(rec.get("registry-http-secret", "random:index/randomPassword:RandomPassword").inputs.length).toBe(48);
    });
});

describe.each(["cluster1", "cluster2"])("%s", (cluster) => {
    const cpAddress = cluster === "cluster1" ? "10.5.0.3" : "10.5.0.4";
    const cp = cluster === "cluster1" ? "server2" : "server3";

    test("node prerequisites pin the profile's packages and trust the registry CA, after the registry answers", () => {
        const prereqs = command(`${cluster}-${cp}-prereqs`);
        expect(prereqs.inputs.connection.host).toBe(cpAddress);
        expect(script(`${cluster}-${cp}-prereqs`)).toContain(`K8S_PACKAGE_VERSION='${kubernetesPackageVersion(nist)}'`);
        expect(script(`${cluster}-${cp}-prereqs`)).toContain("/etc/containerd/certs.d/10.5.0.2:5000/hosts.toml");
        expect(rec.waitsFor(prereqs, command("registry-server1-setup"))).toBe(true);
    });

    test("kubeadm init after the prerequisites, with the configured CIDRs and the peer-facing SAN; reset on destroy", () => {
        const init = command(`${cluster}-${cp}-init`);
        expect(rec.waitsFor(init, command(`${cluster}-${cp}-prereqs`))).toBe(true);
        const text = script(`${cluster}-${cp}-init`);
        const config = /config="\$\(cat <<'ZTA_EOF'\n([\s\S]*?)ZTA_EOF/.exec(text.replace(/'\\''/g, "'"))?.[1] ?? "";
        const docs = parseAllDocuments(config) as unknown as { toJS(): Record<string, any> }[];
        const clusterConfig = docs.map((d) => d.toJS()).find((d) => d.kind === "ClusterConfiguration");
        expect(clusterConfig).toMatchObject({
            clusterName: cluster,
            kubernetesVersion: `v${nist.kubernetesPatch}`,
            controlPlaneEndpoint: `${cpAddress}:6443`,
            networking: { podSubnet: "10.244.0.0/16", serviceSubnet: "10.96.0.0/16" },
        });
        expect(clusterConfig?.apiServer.certSANs).toEqual(
            cluster === "cluster1" ? [cpAddress, "cluster1.zta.lab", "10.5.1.3", "server2"] : [cpAddress, "10.5.1.4", "server3"],
        );
        expect(init.inputs.delete).toContain("kubeadm reset --force");
    });

    test("the admin kubeconfig is read back behind the gate as a secret, never logged, and feeds the provider", () => {
        const read = command(`${cluster}-${cp}-kubeconfig`);
        expect(rec.waitsFor(read, command(`${cluster}-${cp}-init`))).toBe(true);
        expect(read.additionalSecretOutputs).toContain("stdout");
        expect(read.inputs.logging).toBe("stderr");
        const provider = rec.get(`${cluster}-provider`, "pulumi:providers:kubernetes");
        expect(provider.redacted.kubeconfig).toBe(SECRET);
        expect(String(provider.inputs.kubeconfig)).toContain("MOCK-ADMIN-CREDENTIAL");
        expect(rec.dependsOn(provider, read)).toBe(true);
    });

    test("Cilium first: everything that runs pods (or holds them) waits for the Cilium release; only RBAC and identity objects may not", () => {
        const cilium = rec.get(`${cluster}-cilium`, RELEASE);
        expect(cilium.inputs).toMatchObject({
            chart: "cilium",
            version: nist.cilium,
            namespace: "kube-system",
            skipAwait: false,
            atomic: true,
        });
        expect(cilium.inputs.repositoryOpts.repo).toBe("https://helm.cilium.io/");
        expect(cilium.inputs.values.cluster).toEqual({ name: cluster, id: cluster === "cluster1" ? 1 : 2 });
        const others = k8sOf(cluster).filter((r) => r.urn !== cilium.urn);
        expect(others.length).toBeGreaterThan(10);
        const early = others.filter((r) => !rec.waitsFor(r, cilium));
        const podless = /^kubernetes:(rbac\.authorization\.k8s\.io\/v1:(ClusterRole|ClusterRoleBinding)|core\/v1:(ServiceAccount|Secret))$/;
        expect(early.filter((r) => !podless.test(r.type)).map((r) => r.name)).toEqual([]);
        for (const r of others.filter((x) => x.type === RELEASE || x.type === "kubernetes:core/v1:Namespace")) {
            expect([r.name, rec.waitsFor(r, cilium)]).toEqual([r.name, true]);
        }
    });

    test("MetalLB CRs only after the webhook gate, which runs after the MetalLB release", () => {
        const metallb = rec.get(`${cluster}-metallb`, RELEASE);
        expect(metallb.inputs).toMatchObject({ chart: "metallb", version: nist.metallb, namespace: "metallb-system" });
        const gate = command(`${cluster}-${cp}-metallb-webhook`);
        expect(gate.inputs.connection.host).toBe(cpAddress);
        expect(script(`${cluster}-${cp}-metallb-webhook`)).toContain("--dry-run=server");
        expect(rec.waitsFor(gate, metallb)).toBe(true);
        const pool = rec.get(`${cluster}-address-pool`);
        const l2 = rec.get(`${cluster}-l2-advertisement`);
        expect(pool.inputs).toMatchObject({
            apiVersion: "metallb.io/v1beta1",
            kind: "IPAddressPool",
            metadata: { name: "zta-pool", namespace: "metallb-system" },
            spec: { addresses: [cluster === "cluster1" ? "10.5.0.100-10.5.0.120" : "10.5.0.121-10.5.0.139"] },
        });
        expect(l2.inputs.spec.ipAddressPools).toEqual(["zta-pool"]);
        expect(rec.dependsOn(pool, gate)).toBe(true);
        expect(rec.dependsOn(l2, gate)).toBe(true);
        expect(String(script(`${cluster}-${cp}-metallb-webhook`))).not.toMatch(/\bsleep [0-9]{2,}/);
    });

    test("the mesh starts only after CNI and load balancer: istio-system waits for Cilium, the pool and the L2 advertisement", () => {
        const ns = rec.get(`mesh-${cluster}-istio-system`);
        for (const dep of [
            rec.get(`${cluster}-cilium`, RELEASE),
            rec.get(`${cluster}-address-pool`),
            rec.get(`${cluster}-l2-advertisement`),
        ]) {
            expect(rec.waitsFor(ns, dep)).toBe(true);
        }
        expect(rec.get(`mesh-${cluster}-eastwest`, RELEASE).inputs.values).toBeDefined();
    });
});

describe("workers", () => {
    test("a worker joins cluster2 with a token made for it on the control plane, expiring within the hour; reset on destroy", () => {
        const join = command("cluster2-server4-join");
        expect(join.inputs.connection.host).toBe("10.5.0.5");
        expect(join.redacted.stdin).toBe(SECRET);
        // The token is made on cluster2's control plane (server3) once the worker is ready, by kubeadm with a TTL.
        const tokenRun = command("cluster2-server3-join-token-server4");
        expect(tokenRun.inputs.connection.host).toBe("10.5.0.4");
        expect(script("cluster2-server3-join-token-server4")).toContain("kubeadm token create");
        expect(script("cluster2-server3-join-token-server4")).toContain("--ttl 1h0m0s");
        expect(tokenRun.inputs.logging).toBe("stderr");
        expect(tokenRun.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout"]));
        expect(rec.waitsFor(tokenRun, command("cluster2-server4-prereqs"))).toBe(true);
        expect(rec.waitsFor(tokenRun, command("cluster2-server3-kubeconfig"))).toBe(true);
        expect(rec.waitsFor(join, tokenRun)).toBe(true);
        // No long-lived token: no bootstrap-token Secret or token made by Pulumi.
        expect(rec.find((r) => /bootstrap-token|token-secret|token-id/.test(r.name))).toEqual([]);
        expect(rec.waitsFor(join, command("cluster2-server4-prereqs"))).toBe(true);
        expect(join.inputs.delete).toContain("kubeadm reset --force");
        // Cilium's rollout (Helm --wait) covers the worker's agent too.
        expect(rec.waitsFor(rec.get("cluster2-cilium", RELEASE), join)).toBe(true);
        expect(rec.find((r) => r.name.startsWith("cluster1-") && r.name.endsWith("-join"))).toEqual([]);
    });

    test("the join pins the cluster CA by the SHA-256 of its public key, taken from the read-back kubeconfig", () => {
        const spki = new X509Certificate(kubeadmClusterCa).publicKey.export({ type: "spki", format: "der" });
        const expected = `sha256:${createHash("sha256").update(spki).digest("hex")}`;
        expect(script("cluster2-server4-join")).toContain(expected);
    });
});

test("outputs name the hosts, the registry and the infrastructure CA; the registry login is a secret output", async () => {
    const { promiseOf } = await import("../../harness/engine");
    const resolved = await promiseOf(
        (await import("@pulumi/pulumi")).output({ hosts: outputs.hosts, registry: outputs.registry, infraCaCert: outputs.infraCaCert }),
    );
    expect(resolved.registry).toEqual({ hostPort: "10.5.0.2:5000" });
    expect(Object.keys(resolved.hosts as object)).toEqual(["server1", "server2", "server3", "server4"]);
    expect(JSON.stringify(resolved)).not.toMatch(/PRIVATE KEY|MOCK\+KEY|MOCK-ADMIN/);
    const pulumi = await import("@pulumi/pulumi");
    const login = outputs.registryLogin as import("@pulumi/pulumi").Output<{ username: string; password: string }>;
    expect(await pulumi.isSecret(login)).toBe(true);
    // The push login (the pull login lives only in the clusters' pull Secrets, and cannot push).
    expect((await promiseOf(login)).username).toBe("zta-push");
});

describe("registry pull secrets: only where pods pull from the private registry", () => {
    const SECRET_TYPE = "kubernetes:core/v1:Secret";
    const pullSecretsOf = (r: Recording): string[] =>
        r
            .ofType(SECRET_TYPE)
            .filter((x) => x.inputs.type === "kubernetes.io/dockerconfigjson")
            .map((x) => `${String(x.provider.split("::")[3]).replace("-provider", "")}/${String(x.inputs.metadata.namespace)}`)
            .sort();

    test("images from the public registries (the committed stack): no pull secret anywhere, no pod names one", () => {
        expect(pullSecretsOf(rec)).toEqual([]);
        for (const cluster of ["cluster1", "cluster2"]) {
            expect(rec.get(`mesh-${cluster}-istiod`, RELEASE).inputs.values.global?.imagePullSecrets).toBeUndefined();
            for (const gw of ["eastwest", "ingress"]) {
                expect(rec.get(`mesh-${cluster}-${gw}`, RELEASE).inputs.values.imagePullSecrets).toBeUndefined();
            }
        }
        expect(JSON.stringify(rec.resources.map((r) => r.inputs))).not.toContain('"imagePullSecrets"');
    });

    test("istioHub in the registry: the namespaces that run Istio images (sidecars included) get one, zta-verify (curl from docker.io) not", async () => {
        const run = await runProgram("testbed", stackConfig("testbed", { hosts, clusters, istioHub: "10.5.0.2:5000/istio" }));
        const namespaces = ["istio-ingress", "istio-system", "kube-system", "observability", "sample"];
        expect(pullSecretsOf(run.recording)).toEqual(["cluster1", "cluster2"].flatMap((c) => namespaces.map((n) => `${c}/${n}`)));
        for (const secret of run.recording.ofType(SECRET_TYPE).filter((x) => x.inputs.type === "kubernetes.io/dockerconfigjson")) {
            expect(secret.inputs.metadata.name).toBe("zta-registry");
            expect(secret.redacted.stringData).toBe(SECRET);
            const config = JSON.parse(String(secret.inputs.stringData[".dockerconfigjson"])) as {
                auths: Record<string, { username: string; password: string; auth: string }>;
            };
            // The pull login: the registry it reaches is read-only.
            const login = config.auths["10.5.0.2:5000"];
            expect(login.username).toBe("zta");
            expect(Buffer.from(login.auth, "base64").toString()).toBe(`zta:${login.password}`);
        }
        for (const cluster of ["cluster1", "cluster2"]) {
            expect(run.recording.get(`mesh-${cluster}-istiod`, RELEASE).inputs.values.global.imagePullSecrets).toEqual(["zta-registry"]);
            for (const gw of ["eastwest", "ingress"]) {
                expect(run.recording.get(`mesh-${cluster}-${gw}`, RELEASE).inputs.values.imagePullSecrets).toEqual([
                    { name: "zta-registry" },
                ]);
            }
        }
    });

    test("sampleRegistry in the registry alone: the sample and verification namespaces, nothing of Istio's", async () => {
        const run = await runProgram("testbed", stackConfig("testbed", { hosts, clusters, sampleRegistry: "10.5.0.2:5000/samples" }));
        expect(pullSecretsOf(run.recording)).toEqual(["cluster1/sample", "cluster1/zta-verify", "cluster2/sample", "cluster2/zta-verify"]);
    });
});

describe("lifecycle: replacing or moving a host-bound command never undoes work it should keep", () => {
    test("every command with a destroy script is replaced delete-first and has no triggers", () => {
        const withDelete = rec.ofType(COMMAND).filter((c) => c.inputs.delete !== undefined);
        expect(withDelete.map((c) => c.name).sort()).toEqual([
            "cluster1-server2-init",
            "cluster2-server3-init",
            "cluster2-server4-join",
            "identity-server1-setup",
            "registry-server1-setup",
        ]);
        for (const c of withDelete) {
            expect([c.name, c.deleteBeforeReplace, c.inputs.triggers]).toEqual([c.name, true, undefined]);
        }
    });

    test("host-bound commands are named by their host, so moving a role to another host is a new resource", () => {
        for (const c of rec.ofType(COMMAND)) {
            const host = hosts.find((h) => String(h.management).startsWith(`${String(c.inputs.connection.host)}/`));
            expect([c.name, c.name.includes(`${String(host?.name)}-`)]).toEqual([c.name, true]);
        }
    });

    test("the kubeconfig is re-read only for a re-created cluster; the provider is replaced only then, and tolerates a vanished node", async () => {
        const { promiseOf } = await import("../../harness/engine");
        for (const [cluster, cp] of [
            ["cluster1", "server2"],
            ["cluster2", "server3"],
        ]) {
            const init = command(`${cluster}-${cp}-init`);
            const read = command(`${cluster}-${cp}-kubeconfig`);
            expect(read.inputs.triggers).toEqual([`${init.name}-id`]);
            const provider = rec.get(`${cluster}-provider`, "pulumi:providers:kubernetes");
            expect(provider.inputs.clusterIdentifier).toBe(`${init.name}-id`);
            // The SDK sends provider booleans as JSON text.
            expect(provider.inputs.deleteUnreachable).toBe("true");
        }
        await promiseOf(outputs.clusters);
    });

    test("the join's stdin carries exactly the token its control plane printed", () => {
        const bundle = String(command("cluster2-server4-join").inputs.stdin).split("\n");
        const printed = mockJoinToken("cluster2-server3-join-token-server4");
        expect(printed).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
        expect(Buffer.from(bundle[1], "base64").toString("utf8")).toBe(printed);
    });
});
