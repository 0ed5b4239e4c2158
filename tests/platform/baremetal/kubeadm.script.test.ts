/** The kubeadm config, init and reset scripts, run against stub system commands (tests/platform/baremetal/stubs.ts). */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import {
    KubeadmInput,
    renderAuditPolicy,
    renderKubeadmConfig,
    renderKubeadmInit,
    renderKubeadmReset,
} from "../../../components/platform/baremetal/kubeadm";
import { bashSyntax, commandLine, isStateChanging, leaksOf, ScriptRun, shellcheck, StubHost } from "./stubs";

const input: KubeadmInput = {
    clusterName: "zta",
    kubernetesVersion: "v1.32.3",
    hostname: "server1",
    advertiseAddress: "10.0.0.10",
    podSubnet: "10.244.0.0/16",
    serviceSubnet: "10.96.0.0/12",
    certSANs: ["192.168.56.10", "api.zta.lab", "10.0.0.10"],
};
const init = renderKubeadmInit(input);
const reset = renderKubeadmReset();
const token = "abcdef.0123456789abcdef";
const adminKey = "STUBADMINKEYc2VjcmV0";

const hosts: StubHost[] = [];
afterAll(() => hosts.splice(0).forEach((h) => h.cleanup()));
function freshHost(): StubHost {
    const host = new StubHost();
    hosts.push(host);
    return host;
}

function lines(host: StubHost, r: ScriptRun, onlyChanging = false): string[] {
    return r.calls.filter((c) => !onlyChanging || isStateChanging(c)).map((c) => commandLine(c).split(host.root).join("<ROOT>"));
}

/** What a completed init left besides admin.conf: the kubeadm config, the audit policy, the encryption key. */
function putInitializedFiles(host: StubHost): void {
    host.putFile("/etc/zta-testbed/kubeadm.yaml", renderKubeadmConfig(input), 0o600);
    host.putFile("/etc/kubernetes/zta/audit-policy.yaml", renderAuditPolicy(), 0o600);
    host.putFile("/etc/kubernetes/zta/encryption-config.yaml", "kind: EncryptionConfiguration\n", 0o600);
}

const kubectl = "kubectl --kubeconfig <ROOT>/etc/kubernetes/admin.conf";
const readyz = `${kubectl} get --raw=/readyz`;
const taintQuery = `${kubectl} get node server1 -o jsonpath={range .spec.taints[*]}{.key}:{.effect}{"\\n"}{end}`;
const kubeadmInit = "kubeadm init --config <ROOT>/etc/zta-testbed/kubeadm.yaml --skip-phases=addon/kube-proxy";
const kubeadmReset = "kubeadm reset --force --cri-socket unix:///var/run/containerd/containerd.sock";

describe("renderKubeadmConfig", () => {
    test("renders exactly the expected InitConfiguration and ClusterConfiguration", () => {
        const docs = parseAllDocuments(renderKubeadmConfig(input));
        expect(Array.isArray(docs)).toBe(true);
        expect((docs as { errors: unknown[] }[]).flatMap((d) => d.errors)).toEqual([]);
        expect((docs as { toJS(): unknown }[]).map((d) => d.toJS())).toEqual([
            {
                apiVersion: "kubeadm.k8s.io/v1beta4",
                kind: "InitConfiguration",
                localAPIEndpoint: { advertiseAddress: "10.0.0.10", bindPort: 6443 },
                nodeRegistration: {
                    name: "server1",
                    criSocket: "unix:///var/run/containerd/containerd.sock",
                    taints: [],
                    kubeletExtraArgs: [{ name: "node-ip", value: "10.0.0.10" }],
                },
            },
            {
                apiVersion: "kubeadm.k8s.io/v1beta4",
                kind: "ClusterConfiguration",
                clusterName: "zta",
                kubernetesVersion: "v1.32.3",
                controlPlaneEndpoint: "10.0.0.10:6443",
                networking: { podSubnet: "10.244.0.0/16", serviceSubnet: "10.96.0.0/12" },
                apiServer: {
                    certSANs: ["10.0.0.10", "192.168.56.10", "api.zta.lab", "server1"],
                    extraArgs: [
                        { name: "encryption-provider-config", value: "/etc/kubernetes/zta/encryption-config.yaml" },
                        { name: "audit-policy-file", value: "/etc/kubernetes/zta/audit-policy.yaml" },
                        { name: "audit-log-path", value: "/var/log/kubernetes/audit/audit.log" },
                        { name: "audit-log-maxsize", value: "100" },
                        { name: "audit-log-maxage", value: "30" },
                        { name: "audit-log-maxbackup", value: "10" },
                    ],
                    extraVolumes: [
                        {
                            name: "zta-config",
                            hostPath: "/etc/kubernetes/zta",
                            mountPath: "/etc/kubernetes/zta",
                            readOnly: true,
                            pathType: "Directory",
                        },
                        {
                            name: "zta-audit-log",
                            hostPath: "/var/log/kubernetes/audit",
                            mountPath: "/var/log/kubernetes/audit",
                            readOnly: false,
                            pathType: "Directory",
                        },
                    ],
                },
            },
        ]);
    });

    test("is pure: the same input renders the same text", () => {
        expect(renderKubeadmConfig({ ...input })).toBe(renderKubeadmConfig(input));
    });

    test.each<[string, Partial<KubeadmInput>, string]>([
        ["an address with a fifth octet", { advertiseAddress: "10.0.0.10.1" }, "advertiseAddress:"],
        ["an octet above 255", { advertiseAddress: "10.0.0.256" }, "advertiseAddress:"],
        ["an octet with a leading zero", { advertiseAddress: "10.0.0.010" }, "advertiseAddress:"],
        ["an address inside the pod CIDR", { advertiseAddress: "10.244.1.1" }, "advertiseAddress: 10.244.1.1 lies inside podSubnet"],
        ["a pod CIDR without prefix", { podSubnet: "10.244.0.0" }, "podSubnet:"],
        ["a pod CIDR with host bits", { podSubnet: "10.244.0.1/16" }, "podSubnet:"],
        ["a pod CIDR prefix above 32", { podSubnet: "10.244.0.0/33" }, "podSubnet:"],
        ["a pod CIDR smaller than a node's /24", { podSubnet: "10.244.0.0/25" }, "podSubnet:"],
        ["a malformed service CIDR", { serviceSubnet: "10.96.0.0/1x" }, "serviceSubnet:"],
        ["a service CIDR the API server refuses", { serviceSubnet: "10.0.0.0/8" }, "serviceSubnet:"],
        ["a service CIDR inside the pod CIDR", { serviceSubnet: "10.244.16.0/20" }, 'serviceSubnet: "10.244.16.0/20" overlaps podSubnet'],
        ["a pod CIDR inside the service CIDR", { podSubnet: "10.96.0.0/16" }, 'overlaps podSubnet "10.96.0.0/16"'],
        ["a version without v", { kubernetesVersion: "1.32.3" }, "kubernetesVersion:"],
        ["a minor version only", { kubernetesVersion: "v1.32" }, "kubernetesVersion:"],
        ["a pre-release version", { kubernetesVersion: "v1.32.3-rc.0" }, "kubernetesVersion:"],
        ["a version before v1beta4", { kubernetesVersion: "v1.30.5" }, "kubernetesVersion: kubeadm.k8s.io/v1beta4 needs"],
        ["an uppercase hostname", { hostname: "Server1" }, "hostname:"],
        ["a cluster name with a dot", { clusterName: "zta.lab" }, "clusterName:"],
        ["a SAN that is neither address nor name", { certSANs: ["ok.lab", "bad name"] }, "certSANs[1]:"],
        ["a SAN that is a broken address", { certSANs: ["10.0.0.300"] }, "certSANs[0]:"],
    ])("refuses %s, naming the field", (_what, change, message) => {
        const bad = { ...input, ...change };
        expect(() => renderKubeadmConfig(bad)).toThrow(message);
        expect(() => renderKubeadmInit(bad)).toThrow(message);
    });
});

describe("the scripts", () => {
    test.each([
        ["init", init],
        ["reset", reset],
    ])("%s passes bash -n and shellcheck", (_name, text) => {
        expect(bashSyntax(text)).toBe("");
        expect(shellcheck(text)).toBe("");
    });
});

describe("renderKubeadmInit", () => {
    test("first run: config written, kubeadm init once, readiness probe, taint query; second run changes nothing", () => {
        const host = freshHost();
        const first = host.run(init);
        expect([first.status, first.stderr]).toEqual([0, ""]);
        expect(lines(host, first)).toEqual([kubeadmInit, readyz, taintQuery]);
        expect(host.file("/etc/zta-testbed/kubeadm.yaml")).toBe(renderKubeadmConfig(input));
        expect(host.files()["/etc/zta-testbed/kubeadm.yaml"].mode).toBe("600");
        // kubeadm honoured taints: [] (the stub taints otherwise): nothing to remove.
        expect(host.readState("taints")).toEqual([]);
        expect(first.stdout).toContain("<redacted-token>");
        expect(first.stdout).toContain("kubeadm control plane: 6 change(s)");
        for (const secret of [token, adminKey]) {
            expect(leaksOf(first, secret)).toEqual([]);
        }

        const before = host.files();
        const second = host.run(init);
        expect([second.status, second.stderr]).toEqual([0, ""]);
        expect(lines(host, second)).toEqual([readyz, taintQuery]);
        expect(lines(host, second, true)).toEqual([]);
        expect(second.stdout).toContain("kubeadm control plane: 0 change(s)");
        expect(host.files()).toEqual(before);
    });

    test("encryption at rest and audit: the key made on the host (0600 in a 0700 directory), the policy, both in the kubeadm config; a re-run keeps the key", () => {
        const host = freshHost();
        const first = host.run(init);
        expect([first.status, first.stderr]).toEqual([0, ""]);
        const files = host.files();
        const key = /^ {14}secret: ([A-Za-z0-9+/]{43}=)$/m.exec(files["/etc/kubernetes/zta/encryption-config.yaml"]?.content ?? "")?.[1];
        expect(key).toBeDefined();
        expect(Buffer.from(key ?? "", "base64")).toHaveLength(32);
        const encryption = parseAllDocuments(files["/etc/kubernetes/zta/encryption-config.yaml"].content) as { toJS(): unknown }[];
        expect(encryption.map((d) => d.toJS())).toEqual([
            {
                apiVersion: "apiserver.config.k8s.io/v1",
                kind: "EncryptionConfiguration",
                resources: [
                    {
                        resources: ["secrets"],
                        providers: [{ secretbox: { keys: [{ name: "zta-key-1", secret: key }] } }, { identity: {} }],
                    },
                ],
            },
        ]);
        expect(files["/etc/kubernetes/zta/encryption-config.yaml"].mode).toBe("600");
        expect(files["/etc/kubernetes/zta/audit-policy.yaml"]).toMatchObject({ mode: "600", content: `${renderAuditPolicy()}` });
        for (const dir of ["etc/kubernetes/zta", "var/log/kubernetes/audit"]) {
            expect((fs.statSync(path.join(host.root, dir)).mode & 0o777).toString(8)).toBe("700");
        }
        // The kubeadm config kubeadm init read points the API server at both, mounted into its pod.
        const kubeadmConfig = host.readState("kubeadm-config").join("\n");
        expect(kubeadmConfig).toContain("name: encryption-provider-config\n      value: /etc/kubernetes/zta/encryption-config.yaml");
        expect(kubeadmConfig).toContain("name: audit-policy-file\n      value: /etc/kubernetes/zta/audit-policy.yaml");
        // The key is never an argument, never printed, never in the script.
        expect(leaksOf(first, key ?? "")).toEqual([]);
        expect(init).not.toContain(key);

        const second = host.run(init);
        expect([second.status, second.stderr]).toEqual([0, ""]);
        expect(host.files()["/etc/kubernetes/zta/encryption-config.yaml"]).toEqual(files["/etc/kubernetes/zta/encryption-config.yaml"]);
        expect(leaksOf(second, key ?? "")).toEqual([]);
    });

    test("a key left by a run that died before kubeadm init is kept; each new host gets its own key", () => {
        const a = freshHost();
        a.putFile("/etc/kubernetes/zta/encryption-config.yaml", "kept\n", 0o600);
        expect(a.run(init).status).toBe(0);
        expect(a.file("/etc/kubernetes/zta/encryption-config.yaml")).toBe("kept\n");
        const b = freshHost();
        const c = freshHost();
        expect([b.run(init).status, c.run(init).status]).toEqual([0, 0]);
        expect(b.file("/etc/kubernetes/zta/encryption-config.yaml")).not.toBe(c.file("/etc/kubernetes/zta/encryption-config.yaml"));
    });

    test("an initialized cluster whose key is gone fails loudly (a new key would make every Secret unreadable); a drifted mode is reset", () => {
        const host = freshHost();
        expect(host.run(init).status).toBe(0);
        const key = host.file("/etc/kubernetes/zta/encryption-config.yaml");
        fs.chmodSync(path.join(host.root, "etc/kubernetes/zta/encryption-config.yaml"), 0o644);
        const drifted = host.run(init);
        expect(drifted.status).toBe(0);
        expect(drifted.stdout).toContain("zta: changed: set /etc/kubernetes/zta/encryption-config.yaml back to mode 600");
        expect(host.files()["/etc/kubernetes/zta/encryption-config.yaml"]).toMatchObject({ mode: "600", content: key });

        fs.rmSync(path.join(host.root, "etc/kubernetes/zta/encryption-config.yaml"));
        const r = host.run(init);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("/etc/kubernetes/zta/encryption-config.yaml (the key Secrets are encrypted with) is missing");
        expect(host.file("/etc/kubernetes/zta/encryption-config.yaml")).toBeUndefined();
        expect(r.calls).toEqual([]);
    });

    test("the audit policy logs no bodies of Secrets, ConfigMaps or token reviews (Metadata, before any body-logging rule)", () => {
        const policy = parseAllDocuments(renderAuditPolicy())[0] as unknown as { toJS(): { rules: Record<string, unknown>[] } };
        const rules = policy.toJS().rules;
        const levelFor = (group: string, resource: string) =>
            rules.find((r) => {
                const resources = r.resources as { group: string; resources?: string[] }[] | undefined;
                return resources === undefined
                    ? r.nonResourceURLs === undefined
                    : resources.some((g) => g.group === group && (g.resources === undefined || g.resources.includes(resource)));
            })?.level;
        expect(levelFor("", "secrets")).toBe("Metadata");
        expect(levelFor("", "configmaps")).toBe("Metadata");
        expect(levelFor("", "serviceaccounts/token")).toBe("Metadata");
        expect(levelFor("authentication.k8s.io", "tokenreviews")).toBe("Metadata");
        expect(levelFor("rbac.authorization.k8s.io", "clusterroles")).toBe("RequestResponse");
        expect(levelFor("", "pods")).toBe("Metadata");
    });

    test("removes the control-plane taint only when the node has it", () => {
        const host = freshHost();
        expect(host.run(init).status).toBe(0);
        host.setState("taints", ["node-role.kubernetes.io/control-plane:NoSchedule", "other:NoExecute"]);
        const r = host.run(init);
        expect(r.status).toBe(0);
        expect(lines(host, r)).toEqual([
            readyz,
            taintQuery,
            `${kubectl} taint nodes server1 node-role.kubernetes.io/control-plane:NoSchedule-`,
        ]);
        expect(host.readState("taints")).toEqual(["other:NoExecute"]);
        expect(lines(host, host.run(init), true)).toEqual([]);
    });

    test("a changed configuration after init fails loudly, without calling kubeadm or touching the config", () => {
        const host = freshHost();
        expect(host.run(init).status).toBe(0);
        const before = host.files();
        const r = host.run(renderKubeadmInit({ ...input, podSubnet: "10.245.0.0/16" }));
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("the cluster configuration changed");
        expect(r.stderr).toContain("destroy the cluster (kubeadm reset script) and recreate it");
        expect(r.calls).toEqual([]);
        expect(host.files()).toEqual(before);
    });

    test("a cluster whose config file is missing is not re-initialized either", () => {
        const host = freshHost();
        host.putFile("/etc/kubernetes/admin.conf", "apiVersion: v1\n");
        const r = host.run(init);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(
            "the cluster configuration changed (or /etc/zta-testbed/kubeadm.yaml or /etc/kubernetes/zta/audit-policy.yaml is missing)",
        );
        expect(r.calls).toEqual([]);
    });

    test("a cluster built before the audit policy existed (or whose policy changed) is refused like any changed configuration", () => {
        const host = freshHost();
        expect(host.run(init).status).toBe(0);
        host.putFile("/etc/kubernetes/zta/audit-policy.yaml", "an older policy\n", 0o600);
        const r = host.run(init);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("destroy the cluster (kubeadm reset script) and recreate it");
        expect(r.calls).toEqual([]);
    });

    test("waits for the API server, one second apart", () => {
        const host = freshHost();
        host.setState("apiserver", ["unready 2"]);
        const r = host.run(init);
        expect(r.status).toBe(0);
        expect(lines(host, r)).toEqual([kubeadmInit, readyz, "sleep 1", readyz, "sleep 1", readyz, taintQuery]);
    });

    test("an API server that never gets ready fails after 120 attempts with a clear message", () => {
        const host = freshHost();
        host.setState("apiserver", ["unready never"]);
        const r = host.run(init);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("zta: kubeadm: the API server is not ready after 120 attempts, 1 s apart (last: kubectl exit status 1)");
        const seen = lines(host, r);
        expect(seen.filter((l) => l === readyz)).toHaveLength(120);
        expect(seen.filter((l) => l === "sleep 1")).toHaveLength(119);
        expect(seen).not.toContain(taintQuery);
    });

    test.each([
        ["kubeadm init", [kubeadmInit]],
        ["the taint query", [kubeadmInit, readyz, taintQuery]],
    ])("a failing command stops the script: %s", (_what, expected) => {
        const host = freshHost();
        host.failOn(expected[expected.length - 1].split("<ROOT>").join(host.root));
        const r = host.run(init);
        expect(r.status).not.toBe(0);
        expect(lines(host, r)).toEqual(expected);
        expect(r.stdout).not.toContain("kubeadm control plane:");
    });

    test("a failing untaint stops the script", () => {
        const host = freshHost();
        host.setState("taints", ["node-role.kubernetes.io/control-plane:NoSchedule"]);
        host.putFile("/etc/kubernetes/admin.conf", "x");
        putInitializedFiles(host);
        host.failOn(`kubectl --kubeconfig ${host.root}/etc/kubernetes/admin.conf taint`);
        const r = host.run(init);
        expect(r.status).not.toBe(0);
        expect(lines(host, r)).toEqual([
            readyz,
            taintQuery,
            `${kubectl} taint nodes server1 node-role.kubernetes.io/control-plane:NoSchedule-`,
        ]);
        expect(r.stdout).not.toContain("kubeadm control plane:");
    });

    test("a kubeadm init that died after writing admin.conf is not mistaken for a cluster", () => {
        const host = freshHost();
        host.setState("apiserver", ["unready never"]);
        host.putFile("/var/lib/zta-testbed/pending/kubeadm-init", "");
        host.putFile("/etc/kubernetes/admin.conf", "x");
        host.putFile("/etc/zta-testbed/kubeadm.yaml", renderKubeadmConfig(input), 0o600);
        const r = host.run(init);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("a previous kubeadm init did not complete; run the kubeadm reset");
        expect(r.calls).toEqual([]);
    });
});

describe("renderKubeadmReset", () => {
    test("resets an initialized node and removes the leftovers; a second run changes nothing", () => {
        const host = freshHost();
        expect(host.run(init).status).toBe(0);
        host.putFile("/etc/cni/net.d/05-cilium.conflist", "{}");
        const first = host.run(reset);
        expect([first.status, first.stderr]).toEqual([0, ""]);
        expect(lines(host, first)).toEqual([kubeadmReset]);
        const left = Object.keys(host.files());
        expect(left.filter((f) => /^\/(etc\/kubernetes|etc\/cni|var\/lib\/etcd|etc\/zta-testbed)\//.test(f))).toEqual([]);
        expect(first.stdout).toContain("kubeadm reset: 5 change(s)");

        const second = host.run(reset);
        expect([second.status, second.calls, second.stderr]).toEqual([0, [], ""]);
        expect(second.stdout).toContain("kubeadm reset: 0 change(s)");

        // After a reset, init starts a new cluster.
        const again = host.run(init);
        expect(again.status).toBe(0);
        expect(lines(host, again)[0]).toBe(kubeadmInit);
    });

    test("a machine kubeadm never touched (empty /etc/kubernetes/manifests from the kubelet package) is left alone", () => {
        const host = freshHost();
        fs.mkdirSync(path.join(host.root, "etc/kubernetes/manifests"), { recursive: true });
        const r = host.run(reset);
        expect([r.status, r.calls]).toEqual([0, []]);
        expect(r.stdout).toContain("kubeadm reset: 0 change(s)");
    });

    test("a failing kubeadm reset stops the script before anything is removed", () => {
        const host = freshHost();
        expect(host.run(init).status).toBe(0);
        host.failOn("kubeadm reset");
        const r = host.run(reset);
        expect(r.status).not.toBe(0);
        expect(lines(host, r)).toEqual([kubeadmReset]);
        expect(host.file("/etc/zta-testbed/kubeadm.yaml")).toBeDefined();
    });
});
