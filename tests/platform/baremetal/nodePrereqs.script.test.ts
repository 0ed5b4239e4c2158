/** The node preparation script, run against stub system commands in a scratch ROOT (tests/platform/baremetal/stubs.ts). */
import { NodePrereqsInput, renderNodePrereqs } from "../../../components/platform/baremetal/nodePrereqs";
import { caPem, changes, cleanupHosts, firstRunCalls, freshHost, input, keyring, lines, script } from "./nodePrereqs.shared";
import { bashSyntax, ScriptRun, shellcheck, StubHost } from "./stubs";

afterAll(cleanupHosts);

describe("rendering", () => {
    test("bash -n and shellcheck are clean, with and without a registry", () => {
        for (const text of [script, renderNodePrereqs({ ...input, registry: undefined })]) {
            expect(bashSyntax(text)).toBe("");
            expect(shellcheck(text)).toBe("");
        }
    });

    test("accepts a registry addressed by IPv4 and port", () => {
        expect(renderNodePrereqs({ ...input, registry: { hostPort: "192.168.31.250:5000", caPem } })).toContain(
            "'/etc/containerd/certs.d/192.168.31.250:5000/hosts.toml'",
        );
    });

    test("is pure: the same input renders the same text", () => {
        expect(renderNodePrereqs({ ...input })).toBe(script);
    });

    test.each<[string, Partial<NodePrereqsInput>, string]>([
        ["a minor with a patch", { kubernetesMinor: "1.32.3" }, "kubernetesMinor:"],
        ["a minor with a v", { kubernetesMinor: "v1.32" }, "kubernetesMinor:"],
        ["a version without a Debian revision", { kubernetesPackageVersion: "1.32.3" }, "kubernetesPackageVersion:"],
        ["a version with shell syntax", { kubernetesPackageVersion: "1.32.3-1.1;reboot" }, "kubernetesPackageVersion:"],
        [
            "a version of another minor",
            { kubernetesPackageVersion: "1.31.7-1.1" },
            'kubernetesPackageVersion: "1.31.7-1.1" is not a release',
        ],
        ["a registry without a port", { registry: { hostPort: "registry.lab", caPem } }, "registry.hostPort:"],
        ["a registry port out of range", { registry: { hostPort: "registry.lab:70000", caPem } }, "registry.hostPort:"],
        ["a registry URL", { registry: { hostPort: "https://registry.lab:5000", caPem } }, "registry.hostPort:"],
        ["a CA that is not PEM", { registry: { hostPort: "registry.lab:5000", caPem: "hello" } }, "registry.caPem:"],
        [
            "a private key as CA",
            { registry: { hostPort: "registry.lab:5000", caPem: "-----BEGIN PRIVATE KEY-----\nMII=\n-----END PRIVATE KEY-----\n" } },
            "registry.caPem:",
        ],
    ])("refuses %s, naming the field", (_what, change, message) => {
        expect(() => renderNodePrereqs({ ...input, ...change })).toThrow(message);
    });
});

describe("a fresh machine, run twice", () => {
    let host: StubHost;
    let first: ScriptRun;
    let second: ScriptRun;
    let filesAfterFirst: ReturnType<StubHost["files"]>;
    let filesAfterSecond: ReturnType<StubHost["files"]>;
    beforeAll(() => {
        host = freshHost();
        first = host.run(script);
        filesAfterFirst = host.files();
        second = host.run(script);
        filesAfterSecond = host.files();
    });

    test("the first run makes exactly the expected calls, in order", () => {
        expect(first.stderr).toBe("");
        expect(first.status).toBe(0);
        expect(lines(host, first.calls)).toEqual(firstRunCalls);
        expect(first.stdout).toMatch(/zta: Kubernetes node prerequisites: \d+ change\(s\)\n$/);
    });

    test("the first run leaves the emulated machine prepared", () => {
        expect(host.readState("dpkg")).toEqual(
            expect.arrayContaining(["containerd stub-1.0", "kubeadm 1.32.3-1.1", "kubelet 1.32.3-1.1", "kubectl 1.32.3-1.1"]),
        );
        expect(host.readState("holds")).toEqual(["kubeadm", "kubelet", "kubectl"]);
        expect(host.readState("modules")).toEqual(["overlay", "br_netfilter"]);
        expect(host.readState("enabled")).toEqual(["containerd", "kubelet"]);
        expect(host.readState("swaps")).toEqual([]);
    });

    test("the first run writes the files, mode 644, and leaves no temporary or pending files", () => {
        const files = filesAfterFirst;
        expect(Object.keys(files).sort()).toEqual(
            [
                "/etc/apt/keyrings/kubernetes-apt-keyring.gpg",
                "/etc/apt/sources.list.d/kubernetes.list",
                "/etc/containerd/certs.d/registry.lab:5000/ca.crt",
                "/etc/containerd/certs.d/registry.lab:5000/hosts.toml",
                "/etc/containerd/config.toml",
                "/etc/fstab",
                "/etc/modules-load.d/zta-kubernetes.conf",
                "/etc/sysctl.d/99-zta-kubernetes.conf",
            ].sort(),
        );
        for (const file of Object.values(files)) {
            expect(file.mode).toBe("644");
        }
        expect(files["/etc/modules-load.d/zta-kubernetes.conf"].content).toBe("overlay\nbr_netfilter\n");
        expect(files["/etc/sysctl.d/99-zta-kubernetes.conf"].content).toBe(
            "net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n",
        );
        expect(files["/etc/fstab"].content).toBe(
            "UUID=1234 / ext4 errors=remount-ro 0 1\n# /swap.img none swap sw 0 0  # swap off for the kubelet (zta-testbed)\n",
        );
        const config = files["/etc/containerd/config.toml"].content;
        expect(config).toContain("\n  SystemdCgroup = true\n");
        expect(config).toContain('\n  config_path = "/etc/containerd/certs.d"\n');
        expect(files["/etc/apt/sources.list.d/kubernetes.list"].content).toBe(
            `deb [signed-by=${keyring}] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /\n`,
        );
        expect(files[keyring].content).toContain("stub key from https://pkgs.k8s.io/core:/stable:/v1.32/deb/Release.key");
        expect(files["/etc/containerd/certs.d/registry.lab:5000/ca.crt"].content).toBe(caPem);
        const hostsToml = files["/etc/containerd/certs.d/registry.lab:5000/hosts.toml"].content;
        expect(hostsToml).toBe(
            [
                "# Managed by zta-testbed.",
                'server = "https://registry.lab:5000"',
                "",
                '[host."https://registry.lab:5000"]',
                '  capabilities = ["pull", "resolve"]',
                '  ca = "/etc/containerd/certs.d/registry.lab:5000/ca.crt"',
                "",
            ].join("\n"),
        );
        expect(script).not.toContain("skip_verify");
    });

    test("the second run calls nothing that changes state and leaves every file untouched", () => {
        expect(second.stderr).toBe("");
        expect(second.status).toBe(0);
        expect(changes(host, second)).toEqual([]);
        expect(second.stdout).toBe("zta: Kubernetes node prerequisites: 0 change(s)\n");
        // Same content, mode, inode and mtime: not even rewritten with identical bytes.
        expect(filesAfterSecond).toEqual(filesAfterFirst);
    });
});

describe("without a registry", () => {
    test("nothing is written under certs.d, containerd still looks there", () => {
        const host = freshHost();
        const run = host.run(renderNodePrereqs({ ...input, registry: undefined }));
        expect(run.status).toBe(0);
        expect(Object.keys(host.files()).filter((f) => f.startsWith("/etc/containerd/certs.d"))).toEqual([]);
        expect(host.file("/etc/containerd/config.toml")).toContain('config_path = "/etc/containerd/certs.d"');
    });
});

test("Docker's containerd.io counts as containerd: Debian's package (which would remove docker-ce) is not installed", () => {
    const host = freshHost();
    host.setState("dpkg", ["containerd.io 1.7.27-1"]);
    const run = host.run(script);
    expect(run.status).toBe(0);
    const installs = run.calls
        .filter((c) => c.name === "apt-get" && c.argv[0] === "install")
        .map((c) => c.argv.filter((a) => !a.startsWith("-")));
    expect(installs[0]).toEqual([
        "install",
        "DPkg::Lock::Timeout=600",
        "Dpkg::Options::=--force-confold",
        "ca-certificates",
        "curl",
        "gpg",
    ]);
});

describe("changes after the first run", () => {
    test("a new patch release updates the index, replaces the held packages and keeps them held", () => {
        const host = freshHost();
        expect(host.run(script).status).toBe(0);
        const run = host.run(renderNodePrereqs({ ...input, kubernetesPackageVersion: "1.32.4-1.1" }));
        expect(run.status).toBe(0);
        expect(changes(host, run)).toEqual([
            "apt-get update -o DPkg::Lock::Timeout=600",
            "apt-get install -y --no-install-recommends --no-remove -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold --allow-change-held-packages --allow-downgrades kubeadm=1.32.4-1.1 kubelet=1.32.4-1.1 kubectl=1.32.4-1.1",
        ]);
    });

    test("a node already in a cluster refuses another Kubernetes version before touching any package", () => {
        const host = freshHost();
        expect(host.run(script).status).toBe(0);
        host.putFile("/etc/kubernetes/kubelet.conf", "kubelet credentials");
        const run = host.run(renderNodePrereqs({ ...input, kubernetesPackageVersion: "1.32.4-1.1" }));
        expect(run.status).not.toBe(0);
        expect(run.stderr).toContain(
            "zta: kubelet 1.32.3-1.1 runs in a cluster on this node; this run wants 1.32.4-1.1: changing the Kubernetes version of a live cluster needs pulumi destroy, then pulumi up",
        );
        expect(run.calls.filter((c) => c.name === "apt-get")).toEqual([]);
        // The same version on a joined node is fine (re-runs).
        expect(host.run(script).status).toBe(0);
    });

    test("a containerd config whose mode drifted is rewritten and containerd restarted", () => {
        const host = freshHost();
        expect(host.run(script).status).toBe(0);
        host.putFile("/etc/containerd/config.toml", host.file("/etc/containerd/config.toml") ?? "", 0o600);
        const run = host.run(script);
        expect(changes(host, run)).toEqual(["systemctl restart containerd"]);
        expect(host.files()["/etc/containerd/config.toml"].mode).toBe("644");
    });
});
