/** The bare-metal keys (platform testbed): hosts, SSH, registry and each cluster's kubeadm fields. */
import { parseConfig } from "../../components/config/parse";
import { problemsOf } from "../harness/problems";
import { rawConfig, readStackFile, stackConfig, testHostKey, testSshKey } from "../harness/stacks";

type Json = Record<string, unknown>;
const committed = readStackFile("testbed");
// The committed hosts plus the host keys a lab admin pins before the first run (tests/harness/stacks.ts).
const hosts = JSON.parse(stackConfig("testbed").config["zta-testbed:hosts"]) as Json[];
const clusters = committed["zta-testbed:clusters"] as Json[];

const parseTestbed = (changes: Record<string, unknown> = {}, secrets: Record<string, unknown> = {}) =>
    parseConfig(rawConfig(stackConfig("testbed", changes, secrets)));
const withHost = (i: number, change: Json) => hosts.map((h, j) => (j === i ? { ...h, ...change } : h));
const withCluster = (i: number, change: Json) => clusters.map((c, j) => (j === i ? { ...c, ...change } : c));

describe("the committed testbed stack", () => {
    const model = parseTestbed();

    test("carries the NIST topology into the typed model", () => {
        const bm = model.baremetal;
        expect(bm?.hosts.map((h) => [h.name, h.hostname, h.management.address, h.management.subnet, h.service?.address, h.roles])).toEqual([
            ["server1", "server1", "10.5.0.2", "10.5.0.0/24", "10.5.1.2", ["registry", "keycloak"]],
            ["server2", "server2", "10.5.0.3", "10.5.0.0/24", "10.5.1.3", ["control-plane"]],
            ["server3", "server3", "10.5.0.4", "10.5.0.0/24", "10.5.1.4", ["control-plane"]],
        ]);
        expect(bm?.registry).toMatchObject({ host: "server1", port: 5000, user: "zta" });
        expect(bm?.ssh.user).toBe("root");
        expect(String(bm?.ssh.privateKey)).toBe("[secret]");
        expect(JSON.stringify(model)).not.toContain("VEVTVC1PTkxZ");
        expect(model.clusters.map((c) => [c.name, c.apiServer, c.loadBalancer, c.access])).toEqual([
            [
                "cluster1",
                "https://10.5.0.3:6443",
                "metallb",
                {
                    kind: "kubeadm",
                    controlPlane: "server2",
                    workers: [],
                    podSubnet: "10.244.0.0/16",
                    serviceSubnet: "10.96.0.0/16",
                    loadBalancerPool: ["10.5.0.100-10.5.0.120"],
                    ciliumClusterId: 1,
                    cni: "cilium",
                },
            ],
            [
                "cluster2",
                "https://10.5.0.4:6443",
                "metallb",
                {
                    kind: "kubeadm",
                    controlPlane: "server3",
                    workers: [],
                    podSubnet: "10.244.0.0/16",
                    serviceSubnet: "10.96.0.0/16",
                    loadBalancerPool: ["10.5.0.121-10.5.0.139"],
                    ciliumClusterId: 2,
                    cni: "cilium",
                },
            ],
        ]);
    });

    test("holds no kubeconfig and no plaintext secret", () => {
        expect(committed["zta-testbed:kubeconfigs"]).toBeUndefined();
        expect(committed["zta-testbed:sshPrivateKey"]).toBeUndefined();
        expect(JSON.stringify(committed)).not.toMatch(/PRIVATE KEY|password|token/i);
    });
});

describe("bad bare-metal configs are rejected with the key and value named", () => {
    // Each case lists EVERY problem it must produce (no more): a validator that reports noise is a defect too.
    const cases: [string, () => unknown, RegExp | RegExp[]][] = [
        [
            "a pool outside the management subnet",
            () => parseTestbed({ clusters: withCluster(0, { loadBalancerPool: ["10.5.1.100-10.5.1.120"] }) }),
            /^zta-testbed:clusters\[0\]\.loadBalancerPool\[0\]: "10\.5\.1\.100-10\.5\.1\.120" is not inside the management subnet 10\.5\.0\.0\/24 of "server2"$/,
        ],
        [
            "pools overlapping across clusters",
            () => parseTestbed({ clusters: withCluster(1, { loadBalancerPool: ["10.5.0.120-10.5.0.139"] }) }),
            /^zta-testbed:clusters\[1\]\.loadBalancerPool\[0\]: "10\.5\.0\.120-10\.5\.0\.139" overlaps clusters\[0\]\.loadBalancerPool\[0\] "10\.5\.0\.100-10\.5\.0\.120"$/,
        ],
        [
            "a pool including a host address",
            () => parseTestbed({ clusters: withCluster(0, { loadBalancerPool: ["10.5.0.0/28"] }) }),
            [
                /^zta-testbed:clusters\[0\]\.loadBalancerPool\[0\]: "10\.5\.0\.0\/28" includes the network or broadcast address of 10\.5\.0\.0\/24$/,
                /^zta-testbed:clusters\[0\]\.loadBalancerPool\[0\]: "10\.5\.0\.0\/28" includes 10\.5\.0\.2, an address of host "server1"$/,
                /includes 10\.5\.0\.3, an address of host "server2"$/,
                /includes 10\.5\.0\.4, an address of host "server3"$/,
            ],
        ],
        [
            "a pool including the broadcast address",
            () => parseTestbed({ clusters: withCluster(0, { loadBalancerPool: ["10.5.0.250-10.5.0.255"] }) }),
            /^zta-testbed:clusters\[0\]\.loadBalancerPool\[0\]: "10\.5\.0\.250-10\.5\.0\.255" includes the network or broadcast address of 10\.5\.0\.0\/24$/,
        ],
        [
            "a reversed range",
            () => parseTestbed({ clusters: withCluster(0, { loadBalancerPool: ["10.5.0.120-10.5.0.100"] }) }),
            /^zta-testbed:clusters\[0\]\.loadBalancerPool\[0\]: must be an IPv4 range "a\.b\.c\.d-e\.f\.g\.h" or a CIDR, got "10\.5\.0\.120-10\.5\.0\.100"$/,
        ],
        [
            "no pool",
            () => parseTestbed({ clusters: withCluster(0, { loadBalancerPool: undefined }) }),
            /^zta-testbed:clusters\[0\]\.loadBalancerPool: is required on platform testbed/,
        ],
        [
            "pod and service CIDRs overlapping",
            () => parseTestbed({ clusters: withCluster(0, { serviceSubnet: "10.244.128.0/20" }) }),
            /^zta-testbed:clusters\[0\]\.serviceSubnet: "10\.244\.128\.0\/20" overlaps podSubnet "10\.244\.0\.0\/16"$/,
        ],
        [
            "a pod CIDR over the host network",
            () => parseTestbed({ clusters: withCluster(0, { podSubnet: "10.0.0.0/8" }) }),
            [
                /^zta-testbed:clusters\[0\]\.podSubnet: "10\.0\.0\.0\/8" overlaps the host subnet 10\.5\.0\.0\/24$/,
                /^zta-testbed:clusters\[0\]\.podSubnet: "10\.0\.0\.0\/8" overlaps the host subnet 10\.5\.1\.0\/24$/,
                /^zta-testbed:clusters\[0\]\.serviceSubnet: "10\.96\.0\.0\/16" overlaps podSubnet "10\.0\.0\.0\/8"$/,
            ],
        ],
        [
            "a CIDR with host bits",
            () => parseTestbed({ clusters: withCluster(0, { podSubnet: "10.244.0.1/16" }) }),
            /^zta-testbed:clusters\[0\]\.podSubnet: must be an IPv4 CIDR with zero host bits like "10\.244\.0\.0\/16", got "10\.244\.0\.1\/16"$/,
        ],
        [
            "a pod CIDR too small for a node",
            () => parseTestbed({ clusters: withCluster(0, { podSubnet: "10.244.0.0/26" }) }),
            /^zta-testbed:clusters\[0\]\.podSubnet: must have a prefix from \/8 to \/24, got "10\.244\.0\.0\/26"$/,
        ],
        [
            "an unknown control-plane host",
            () => parseTestbed({ clusters: withCluster(0, { controlPlane: "server9" }) }),
            /^zta-testbed:clusters\[0\]\.controlPlane: names no host in hosts \(known: "server1", "server2", "server3"\), got "server9"$/,
        ],
        [
            "a host used by two clusters",
            () => parseTestbed({ clusters: withCluster(1, { controlPlane: "server2" }) }),
            [
                /^zta-testbed:clusters\[1\]\.controlPlane: host "server2" is already used by clusters\[0\]\.controlPlane/,
                /^zta-testbed:hosts\[2\]\.roles: host "server3" has a cluster role but no cluster in clusters uses it$/,
            ],
        ],
        [
            "a control plane without the role",
            () => parseTestbed({ clusters: withCluster(0, { controlPlane: "server1" }) }),
            /^zta-testbed:clusters\[0\]\.controlPlane: host "server1" lacks the role "control-plane" \(its roles: registry, keycloak\)$/,
        ],
        [
            "an unknown worker",
            () => parseTestbed({ clusters: withCluster(0, { workers: ["server7"] }) }),
            /^zta-testbed:clusters\[0\]\.workers\[0\]: names no host in hosts/,
        ],
        [
            "a malformed management address",
            () => parseTestbed({ hosts: withHost(1, { management: "10.5.0.3" }) }),
            /^zta-testbed:hosts\[1\]\.management: must be an IPv4 interface address with its prefix \(\/8 to \/30\) like "10\.5\.0\.3\/24", got "10\.5\.0\.3"$/,
        ],
        [
            "a network address as a host address",
            () => parseTestbed({ hosts: withHost(1, { management: "10.5.0.0/24" }) }),
            /^zta-testbed:hosts\[1\]\.management: "10\.5\.0\.0\/24" is the network or broadcast address of its subnet/,
        ],
        [
            "two hosts with one address",
            () => parseTestbed({ hosts: withHost(2, { management: "10.5.0.3/24" }) }),
            /^zta-testbed:hosts\[2\]\.management: "10\.5\.0\.3" is already used by hosts\[1\]\.management$/,
        ],
        [
            "duplicate host names",
            () => parseTestbed({ hosts: withHost(2, { name: "server2" }) }),
            [
                /^zta-testbed:hosts\[2\]\.name: "server2" is already used by hosts\[1\]\.name$/,
                /^zta-testbed:hosts\[2\]\.hostname: "server2" is already used by hosts\[1\]\.hostname$/,
                /^zta-testbed:clusters\[1\]\.controlPlane: names no host in hosts \(known: "server1", "server2"\), got "server3"$/,
            ],
        ],
        [
            "an unknown role",
            () => parseTestbed({ hosts: withHost(0, { roles: ["registry", "keycloak", "dns"] }) }),
            /^zta-testbed:hosts\[0\]\.roles\[2\]: must be one of "control-plane", "worker", "registry", "keycloak", got "dns"$/,
        ],
        [
            "no registry host",
            () => parseTestbed({ hosts: withHost(0, { roles: ["keycloak"] }) }),
            /^zta-testbed:hosts: exactly one host needs the role "registry" .*got none$/,
        ],
        [
            "a malformed host key",
            () => parseTestbed({ hosts: withHost(1, { hostKey: "AAAAC3NzaC1lZDI1NTE5" }) }),
            /^zta-testbed:hosts\[1\]\.hostKey: must be an ed25519 or ECDSA SSH host key like "ssh-ed25519 AAAA\.\.\." \(ssh-keyscan -t ed25519 <address>\), got "AAAAC3NzaC1lZDI1NTE5"$/,
        ],
        [
            "a service address in the management subnet",
            () => parseTestbed({ hosts: withHost(1, { service: "10.5.0.13/24" }) }),
            /^zta-testbed:hosts\[1\]\.service: is in the management subnet 10\.5\.0\.0\/24; the service plane is a separate network$/,
        ],
        [
            "a control-plane host no cluster uses",
            () =>
                parseTestbed({
                    hosts: [
                        ...hosts,
                        { name: "server4", management: "10.5.0.5/24", roles: ["control-plane"], hostKey: testHostKey("server4") },
                    ],
                }),
            /^zta-testbed:hosts\[3\]\.roles: host "server4" has a cluster role but no cluster in clusters uses it$/,
        ],
        [
            "a host without a pinned host key",
            () => parseTestbed({ hosts: withHost(2, { hostKey: undefined }) }),
            /^zta-testbed:hosts\[2\]\.hostKey: is required on platform testbed: an ed25519 or ECDSA SSH host key/,
        ],
        [
            "an ssh-rsa host key (the provider would offer only SHA-1 ssh-rsa, refused by OpenSSH >= 8.8)",
            () => parseTestbed({ hosts: withHost(0, { hostKey: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" }) }),
            /^zta-testbed:hosts\[0\]\.hostKey: must be an ed25519 or ECDSA SSH host key/,
        ],
        [
            "a bastion without a pinned host key",
            () => parseTestbed({ ssh: { bastion: { host: "jump.lab.example" } } }),
            /^zta-testbed:ssh\.bastion\.hostKey: is required with a bastion/,
        ],
        [
            "a loopback management address",
            () => parseTestbed({ hosts: withHost(1, { management: "127.0.0.2/8" }) }),
            /^zta-testbed:hosts\[1\]\.management: "127\.0\.0\.2\/8" is a loopback address; a server needs a unicast address its peers reach$/,
        ],
        [
            "a pool range written with spaces (MetalLB refuses them)",
            () => parseTestbed({ clusters: withCluster(0, { loadBalancerPool: ["10.5.0.100 - 10.5.0.120"] }) }),
            /^zta-testbed:clusters\[0\]\.loadBalancerPool\[0\]: must be an IPv4 range/,
        ],
        [
            "a cluster name Cilium refuses",
            () => parseTestbed({ clusters: withCluster(0, { name: "default" }) }),
            /^zta-testbed:clusters\[0\]\.name: "default" is reserved by Cilium for clusters without a cluster ID; choose a unique name \(CNI "cilium" on platform testbed\)/,
        ],
        [
            "an API server override on another port",
            () => parseTestbed({ clusters: withCluster(0, { apiServer: "https://cluster1.zta.lab:443" }) }),
            /^zta-testbed:clusters\[0\]\.apiServer: "https:\/\/cluster1\.zta\.lab:443" must use port 6443/,
        ],
        [
            "an API server override pointing at another host",
            () => parseTestbed({ clusters: withCluster(0, { apiServer: "https://10.5.0.4:6443" }) }),
            /^zta-testbed:clusters\[0\]\.apiServer: "https:\/\/10\.5\.0\.4:6443" is not an address of the control plane "server2" \(10\.5\.0\.3, 10\.5\.1\.3\)$/,
        ],
        [
            "a passphrase-protected OpenSSH key",
            () => {
                const blob = Buffer.concat([
                    Buffer.from("openssh-key-v1\0", "latin1"),
                    Buffer.from([0, 0, 0, 10]),
                    Buffer.from("aes256-ctr"),
                ]);
                const key = `-----BEGIN OPENSSH PRIVATE KEY-----\n${blob.toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`;
                return parseTestbed({}, { sshPrivateKey: key });
            },
            /^zta-testbed:sshPrivateKey: is passphrase-protected/,
        ],
        ["no SSH key", () => parseTestbed({}, { sshPrivateKey: undefined }), /^zta-testbed:sshPrivateKey: is required on platform testbed/],
        [
            "an SSH key that is not a key",
            () => parseTestbed({}, { sshPrivateKey: "hunter2" }),
            /^zta-testbed:sshPrivateKey: is not a PEM or OpenSSH private key/,
        ],
        [
            "an SSH port out of range",
            () => parseTestbed({ ssh: { port: 70000 } }),
            /^zta-testbed:ssh\.port: must be a TCP port from 1 to 65535, got 70000$/,
        ],
        [
            "kubeconfigs on testbed",
            () => parseTestbed({ kubeconfigs: { cluster1: "x" } }),
            /^zta-testbed:kubeconfigs: is not used on platform testbed/,
        ],
        [
            "a cloud load balancer on testbed",
            () => parseTestbed({ clusters: withCluster(0, { loadBalancer: "cloud" }) }),
            /^zta-testbed:clusters\[0\]\.loadBalancer: must be "metallb" on platform testbed/,
        ],
        [
            "a Cilium cluster ID clash",
            () => parseTestbed({ clusters: withCluster(1, { ciliumClusterId: 1 }) }),
            /^zta-testbed:clusters\[1\]\.ciliumClusterId: 1 is already the Cilium cluster ID of clusters\[0\]$/,
        ],
        [
            "registry certificate outliving its CA",
            () => parseTestbed({ registry: { caValidityDays: 100, certValidityDays: 200 } }),
            /^zta-testbed:registry\.certValidityDays: must not exceed registry\.caValidityDays \(100\), got 200$/,
        ],
        [
            "bare-metal keys on another platform",
            () => parseConfig(rawConfig(stackConfig("cloud", { hosts }))),
            /^zta-testbed:hosts: is only used on platform testbed \(bare metal\), not "cloud"$/,
        ],
        [
            "kubeadm fields on another platform",
            () => {
                const cloud = readStackFile("cloud")["zta-testbed:clusters"] as Json[];
                return parseConfig(rawConfig(stackConfig("cloud", { clusters: [{ ...cloud[0], podSubnet: "10.244.0.0/16" }, cloud[1]] })));
            },
            /^zta-testbed:clusters\[0\]\.podSubnet: is only used on platform testbed/,
        ],
    ];
    test.each(cases)("%s", (_what, run, expected) => {
        const problems = problemsOf(run);
        expect(problems).toEqual((Array.isArray(expected) ? expected : [expected]).map((e) => expect.stringMatching(e)));
    });

    test("every problem at once, the secret key never echoed", () => {
        const problems = problemsOf(() =>
            parseTestbed(
                {
                    hosts: withHost(1, { management: "10.5.0.3" }),
                    clusters: withCluster(1, { loadBalancerPool: ["10.5.9.1-10.5.9.9"], serviceSubnet: "10.96.0.0/8" }),
                },
                { sshPrivateKey: "not-a-key-SECRETVALUE" },
            ),
        );
        expect(problems.length).toBeGreaterThanOrEqual(4);
        expect(problems.join("\n")).not.toContain("SECRETVALUE");
        for (const key of ["hosts[1].management", "clusters[1].loadBalancerPool[0]", "clusters[1].serviceSubnet", "sshPrivateKey"]) {
            expect(problems.some((p) => p.startsWith(`zta-testbed:${key}:`))).toBe(true);
        }
    });

    test("host keys may carry a comment (ssh-keyscan / known_hosts style)", () => {
        expect(() => parseTestbed({ hosts: withHost(0, { hostKey: `${testHostKey("server1")} root@server1` }) })).not.toThrow();
    });

    test("a plaintext SSH key is refused", () => {
        const sc = stackConfig("testbed");
        sc.secretKeys = sc.secretKeys.filter((k) => k !== "zta-testbed:sshPrivateKey");
        expect(problemsOf(() => parseConfig(rawConfig(sc)))).toEqual([
            "zta-testbed:sshPrivateKey: holds credentials and must be set with --secret (it is stored in plain text now)",
        ]);
        expect(testSshKey).toContain("OPENSSH PRIVATE KEY");
    });
});

test("an air-gapped chartDir must hold the Cilium and MetalLB charts of the profile too", () => {
    const fs = jest.requireActual<typeof import("node:fs")>("node:fs");
    const os = jest.requireActual<typeof import("node:os")>("node:os");
    const path = jest.requireActual<typeof import("node:path")>("node:path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-charts-"));
    try {
        for (const [product, version, chart] of [
            ["istio", "1.24.3", "base"],
            ["istio", "1.24.3", "cni"],
            ["istio", "1.24.3", "istiod"],
            ["istio", "1.26.4", "gateway"],
            ["cilium", "1.17.18", "cilium"],
        ]) {
            fs.mkdirSync(path.join(dir, product, version, chart), { recursive: true });
            fs.writeFileSync(path.join(dir, product, version, chart, "Chart.yaml"), `name: ${chart}\n`);
        }
        expect(problemsOf(() => parseTestbed({ chartDir: dir }))).toEqual([
            `zta-testbed:chartDir: has no metallb chart for 0.13.10 (expected "${dir}/metallb/0.13.10/metallb/Chart.yaml")`,
        ]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

describe("ports on one host", () => {
    const ssh = readStackFile("testbed")["zta-testbed:ssh"] as Record<string, unknown>;
    test("SSH on the registry's port, Keycloak on the registry's or on its own management port: each refused, naming the host", () => {
        expect(problemsOf(() => parseTestbed({ ssh: { ...ssh, port: 5000 } }))).toContainEqual(
            'zta-testbed:registry.port: 5000 is also ssh.port on host "server1": each service there needs a port of its own',
        );
        expect(problemsOf(() => parseTestbed({ identity: { port: 5000 } }))).toContainEqual(
            'zta-testbed:identity.port: 5000 is also registry.port on host "server1": each service there needs a port of its own',
        );
        expect(problemsOf(() => parseTestbed({ registry: { port: 9000 } }))).toContainEqual(
            `zta-testbed:registry.port: 9000 is also Keycloak's management port on host "server1": each service there needs a port of its own`,
        );
    });

    test("distinct ports on every host pass", () => {
        expect(() => parseTestbed({ ssh: { ...ssh, port: 2222 }, registry: { port: 5443 }, identity: { port: 8443 } })).not.toThrow();
    });
});
