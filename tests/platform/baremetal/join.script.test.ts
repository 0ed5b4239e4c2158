/**
 * Worker joins and what they need: the kubeconfig read-back, the CA hash, the short-lived join token, the join
 * script (run against stub system commands, tests/platform/baremetal/stubs.ts) and the reset of a worker.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { KubeadmInput, renderKubeadmInit, renderKubeadmReset } from "../../../components/platform/baremetal/kubeadm";
import {
    joinTokenFromOutput,
    KubeadmJoinInput,
    renderJoinSecrets,
    renderJoinTokenCreate,
    renderKubeadmJoin,
} from "../../../components/platform/baremetal/kubeadmJoin";
import {
    discoveryHashFromKubeconfig,
    kubeconfigFromReadback,
    readbackBegin,
    readbackEnd,
    renderKubeconfigRead,
} from "../../../components/platform/baremetal/kubeconfigReadback";
import { bashSyntax, commandLine, hostPool, isStateChanging, leaksOf, ScriptRun, shellcheck, StubHost } from "./stubs";

const tokenId = "k7x2qa";
const tokenSecret = "9f3mz0c8wq1vb5rt";
const token = `${tokenId}.${tokenSecret}`;
const adminKey = "ADMINKEYc2VjcmV0LWtleQ";

const joinInput: KubeadmJoinInput = {
    hostname: "server2",
    nodeIp: "10.0.0.11",
    controlPlaneEndpoint: "10.0.0.10:6443",
    caCertHash: `sha256:${"0123456789abcdef".repeat(4)}`,
};
const initInput: KubeadmInput = {
    clusterName: "zta",
    kubernetesVersion: "v1.32.3",
    hostname: "server1",
    advertiseAddress: "10.0.0.10",
    podSubnet: "10.244.0.0/16",
    serviceSubnet: "10.96.0.0/12",
};
const join = renderKubeadmJoin(joinInput);
const stdin = renderJoinSecrets(token);
const reset = renderKubeadmReset();
const read = renderKubeconfigRead();

/** A worker with the node prerequisites done; the cluster accepts only `token`. */
const pool = hostPool((host) => host.setState("cluster", [`token ${token}`]));
afterAll(pool.cleanup);

function lines(host: StubHost, r: ScriptRun): string[] {
    return r.calls.map((c) => commandLine(c).split(host.root).join("<ROOT>"));
}

/** Where the token (or its secret half) shows up: argv, environment, stdout, stderr, any file on the machine. */
function tokenLeaks(host: StubHost, r: ScriptRun): string[] {
    const inFiles = Object.entries(host.files())
        .filter(([, f]) => f.content.includes(tokenSecret))
        .map(([name]) => `file ${name}`);
    return [...leaksOf(r, tokenSecret), ...inFiles];
}

const kubeadmJoin = "kubeadm join --config <ROOT>/etc/zta-testbed/kubeadm-join.secret.yaml";
const kubeadmReset = "kubeadm reset --force --cri-socket unix:///var/run/containerd/containerd.sock";
const readyz = "kubectl --kubeconfig <ROOT>/etc/kubernetes/admin.conf get --raw=/readyz";

function joinConfiguration(tokenValue: string, input = joinInput): unknown {
    return {
        apiVersion: "kubeadm.k8s.io/v1beta4",
        kind: "JoinConfiguration",
        discovery: {
            bootstrapToken: {
                apiServerEndpoint: input.controlPlaneEndpoint,
                token: tokenValue,
                caCertHashes: [input.caCertHash],
            },
        },
        nodeRegistration: {
            name: input.hostname,
            criSocket: "unix:///var/run/containerd/containerd.sock",
            kubeletExtraArgs: [{ name: "node-ip", value: input.nodeIp }],
        },
    };
}

describe("kubeconfigFromReadback", () => {
    const conf = "apiVersion: v1\nkind: Config\n";
    const framed = `${readbackBegin}\n${Buffer.from(conf).toString("base64")}\n${readbackEnd}`;

    test("takes only the framed kubeconfig: rc-file noise before or after does not reach it", () => {
        expect(kubeconfigFromReadback(framed)).toBe(conf);
        expect(kubeconfigFromReadback(`Welcome to server2!\n${framed}\nbye\n`)).toBe(conf);
    });

    test("a missing or broken frame is an error that does not echo stdout", () => {
        for (const bad of [
            conf,
            `${readbackBegin}\n${conf}${readbackEnd}`,
            framed.replace(readbackEnd, ""),
            `${readbackBegin}\nnot base64!\n${readbackEnd}`,
        ]) {
            expect(() => kubeconfigFromReadback(bad)).toThrow(/^kubeconfig read-back: stdout does not hold one framed kubeconfig/);
            try {
                kubeconfigFromReadback(bad);
            } catch (e) {
                expect((e as Error).message).not.toContain("apiVersion");
            }
        }
    });
});

describe("discoveryHashFromKubeconfig", () => {
    let dir: string;
    /** PEM and the hash kubeadm's documentation computes with openssl, per certificate. */
    const certs: Record<string, { pem: string; hash: string }> = {};
    const sh = (command: string) => {
        const r = spawnSync("bash", ["-c", `set -euo pipefail\n${command}`], { cwd: dir, encoding: "utf8" });
        if (r.status !== 0) {
            throw new Error(`${command}: ${r.stderr}`);
        }
        return r.stdout;
    };
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-ca-"));
        const make = (name: string, key: string, constraints: string) => {
            sh(
                `openssl req -x509 -newkey ${key} -nodes -keyout ${name}.key -out ${name}.crt -subj /CN=${name} -days 1 -addext basicConstraints=${constraints} 2>/dev/null`,
            );
            const hash = sh(`openssl x509 -pubkey -noout -in ${name}.crt | openssl pkey -pubin -outform der | sha256sum`).split(" ")[0];
            certs[name] = { pem: fs.readFileSync(path.join(dir, `${name}.crt`), "utf8"), hash: `sha256:${hash}` };
        };
        make("rsa-ca", "rsa:2048", "critical,CA:TRUE");
        make("ec-ca", "ec -pkeyopt ec_paramgen_curve:P-256", "critical,CA:TRUE");
        make("leaf", "ec -pkeyopt ec_paramgen_curve:P-256", "critical,CA:FALSE");
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    const b64 = (text: string) => Buffer.from(text).toString("base64");
    /** A kubeconfig like kubeadm's admin.conf, with the admin's private key in it. */
    function kubeconfig(clusters: Record<string, string>, current?: string): string {
        return stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: Object.entries(clusters).map(([name, pem]) => ({
                name,
                cluster: { "certificate-authority-data": b64(pem), server: "https://10.0.0.10:6443" },
            })),
            contexts: Object.keys(clusters).map((name) => ({ name: `admin@${name}`, context: { cluster: name, user: "admin" } })),
            ...(current ? { "current-context": `admin@${current}` } : {}),
            users: [{ name: "admin", user: { "client-certificate-data": "Q0VSVA==", "client-key-data": adminKey } }],
        });
    }

    test("equals openssl's hash of the DER public key, for an RSA and an ECDSA CA", () => {
        for (const name of ["rsa-ca", "ec-ca"]) {
            expect(certs[name].hash).toMatch(/^sha256:[0-9a-f]{64}$/);
            expect(discoveryHashFromKubeconfig(kubeconfig({ zta: certs[name].pem }, "zta"))).toBe(certs[name].hash);
        }
        expect(certs["rsa-ca"].hash).not.toBe(certs["ec-ca"].hash);
    });

    test("takes the current context's cluster; a single cluster without current-context is taken as is", () => {
        const two = { a: certs["rsa-ca"].pem, b: certs["ec-ca"].pem };
        expect(discoveryHashFromKubeconfig(kubeconfig(two, "b"))).toBe(certs["ec-ca"].hash);
        expect(discoveryHashFromKubeconfig(kubeconfig(two, "a"))).toBe(certs["rsa-ca"].hash);
        expect(discoveryHashFromKubeconfig(kubeconfig({ zta: certs["rsa-ca"].pem }))).toBe(certs["rsa-ca"].hash);
    });

    test.each<[string, () => string, string]>([
        ["broken YAML", () => `users:\n- user:\n    client-key-data: ${adminKey}\n  : [\n`, "kubeconfig: not valid YAML"],
        [
            "two clusters and no current-context",
            () => kubeconfig({ a: certs["rsa-ca"].pem, b: certs["ec-ca"].pem }),
            "no current-context, and 2",
        ],
        [
            "a current-context that does not exist",
            () => kubeconfig({ a: certs["rsa-ca"].pem }).replace("current-context", "x") + "current-context: nope\n",
            'current-context "nope"',
        ],
        [
            "a CA file path instead of data",
            () => kubeconfig({ zta: certs["rsa-ca"].pem }, "zta").replace("certificate-authority-data", "certificate-authority"),
            "no base64 certificate-authority-data",
        ],
        [
            "a CA bundle of two certificates",
            () => kubeconfig({ zta: certs["rsa-ca"].pem + certs["ec-ca"].pem }, "zta"),
            "holds 2 PEM certificates",
        ],
        [
            "data that is no certificate",
            () => kubeconfig({ zta: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }, "zta"),
            "not a valid PEM certificate",
        ],
        ["a certificate that is not a CA", () => kubeconfig({ zta: certs.leaf.pem }, "zta"), "not a CA certificate"],
    ])("refuses %s, without quoting the kubeconfig", (_what, text, message) => {
        expect(() => discoveryHashFromKubeconfig(text())).toThrow(message);
        try {
            discoveryHashFromKubeconfig(text());
        } catch (error) {
            expect((error as Error).message).not.toContain(adminKey);
        }
    });
});

describe("renderJoinTokenCreate (on the control plane)", () => {
    const tokenScript = renderJoinTokenCreate("server2");
    const tokenCreate =
        "kubeadm token create --kubeconfig <ROOT>/etc/kubernetes/admin.conf --ttl 1h0m0s --usages signing,authentication --groups system:bootstrappers:kubeadm:default-node-token --description zta-testbed: join of server2";

    test("bash -n and shellcheck are clean; pure; no token in the text", () => {
        expect(bashSyntax(tokenScript)).toBe("");
        expect(shellcheck(tokenScript)).toBe("");
        expect(renderJoinTokenCreate("server2")).toBe(tokenScript);
        expect(tokenScript).not.toMatch(/[a-z0-9]{6}\.[a-z0-9]{16}/);
    });

    test("makes one token that expires after an hour; stdout is the framed token alone, the token in no log or argv", () => {
        const host = pool.fresh();
        expect(host.run(renderKubeadmInit(initInput)).status).toBe(0);
        for (const attempt of [1, 2]) {
            const r = host.run(tokenScript);
            expect([attempt, r.status, r.stderr]).toEqual([
                attempt,
                0,
                expect.stringContaining("zta: changed: created a join token for server2 (expires after 1h0m0s)"),
            ]);
            expect(lines(host, r)).toEqual([tokenCreate]);
            expect(r.stdout).toBe(`-----BEGIN ZTA JOIN TOKEN-----\n${token}\n-----END ZTA JOIN TOKEN-----\n`);
            expect(joinTokenFromOutput(r.stdout)).toBe(token);
            expect(leaksOf({ ...r, stdout: "" }, tokenSecret)).toEqual([]);
        }
        // What the API server keeps: the token with its TTL, never one without.
        expect(host.readState("tokens")).toEqual([`${token} 1h0m0s`]);
    });

    test("without a cluster (no admin.conf), or after a half-done init: fails before any command, empty stdout", () => {
        const none = pool.fresh();
        const r = none.run(tokenScript);
        expect([r.status, r.calls, r.stdout]).toEqual([1, [], ""]);
        expect(r.stderr).toContain("kubeadm: /etc/kubernetes/admin.conf does not exist; run the kubeadm init script first");
        const half = pool.fresh();
        half.putFile("/etc/kubernetes/admin.conf", "x");
        half.putFile("/var/lib/zta-testbed/pending/kubeadm-init", "");
        const h = half.run(tokenScript);
        expect([h.status, h.calls, h.stdout]).toEqual([1, [], ""]);
    });

    test("a failing kubeadm token create prints no token and fails", () => {
        const host = pool.fresh();
        expect(host.run(renderKubeadmInit(initInput)).status).toBe(0);
        host.failOn("kubeadm token create");
        const r = host.run(tokenScript);
        expect([r.status, r.stdout]).toEqual([1, ""]);
    });

    test("anything but one bootstrap token from kubeadm (here: no dot) fails the run and prints nothing", () => {
        const host = pool.fresh();
        expect(host.run(renderKubeadmInit(initInput)).status).toBe(0);
        host.setState("cluster", ["token k7x2qax9f3mz0c8wq1vb5rt"]);
        const r = host.run(tokenScript);
        expect([r.status, r.stdout]).toEqual([1, ""]);
        expect(r.stderr).toContain("zta: kubeadm: kubeadm token create did not print one bootstrap token");
    });

    test("refuses a worker name that is not a host name", () => {
        expect(() => renderJoinTokenCreate("Server 2")).toThrow("worker:");
    });
});

describe("joinTokenFromOutput", () => {
    test("takes the framed token; rc-file noise around it does not matter", () => {
        expect(joinTokenFromOutput(`motd\n-----BEGIN ZTA JOIN TOKEN-----\n${token}\n-----END ZTA JOIN TOKEN-----\nbye\n`)).toBe(token);
    });

    test.each([
        ["nothing", ""],
        ["no end line", `-----BEGIN ZTA JOIN TOKEN-----\n${token}\n`],
        ["a malformed token", `-----BEGIN ZTA JOIN TOKEN-----\n${token}x\n-----END ZTA JOIN TOKEN-----\n`],
    ])("%s: an error that does not echo stdout", (_what, stdout) => {
        expect(() => joinTokenFromOutput(stdout)).toThrow("join token: stdout does not hold one framed bootstrap token");
        try {
            joinTokenFromOutput(stdout);
        } catch (error) {
            expect((error as Error).message).not.toContain(tokenSecret);
        }
    });
});

describe("renderJoinSecrets", () => {
    test("is the header line and the token in base64", () => {
        expect(stdin).toBe(`zta-kubeadm-join-secrets-v1\n${Buffer.from(token).toString("base64")}\n`);
    });

    test.each([["k7x2qa9f3mz0c8wq1vb5rt"], ["K7X2QA.9f3mz0c8wq1vb5rt"], [`${token}\n`], [`${tokenId}.${tokenSecret}x`]])(
        "refuses %j without echoing it",
        (bad) => {
            expect(() => renderJoinSecrets(bad)).toThrow("token: expected a bootstrap token");
            try {
                renderJoinSecrets(bad);
            } catch (error) {
                expect((error as Error).message).not.toContain(tokenSecret.slice(0, 12));
            }
        },
    );
});

describe("renderKubeadmJoin", () => {
    test("bash -n and shellcheck are clean (join and kubeconfig read)", () => {
        for (const text of [join, read]) {
            expect(bashSyntax(text)).toBe("");
            expect(shellcheck(text)).toBe("");
        }
    });

    test("is pure and holds no token (it comes from stdin)", () => {
        expect(renderKubeadmJoin({ ...joinInput })).toBe(join);
        expect(join).not.toContain(tokenSecret);
        expect(join).toContain('token: "ZTA_TOKEN_FROM_STDIN"');
    });

    test.each<[string, Partial<KubeadmJoinInput>, string]>([
        ["an uppercase host name", { hostname: "Server2" }, "hostname:"],
        ["a node IP with a prefix", { nodeIp: "10.0.0.11/24" }, "nodeIp:"],
        ["the control plane's own address", { nodeIp: "10.0.0.10" }, "nodeIp: 10.0.0.10 is the control plane's address"],
        ["an endpoint without port", { controlPlaneEndpoint: "10.0.0.10" }, "controlPlaneEndpoint:"],
        ["an endpoint with a URL scheme", { controlPlaneEndpoint: "https://10.0.0.10:6443" }, "controlPlaneEndpoint:"],
        ["an endpoint port above 65535", { controlPlaneEndpoint: "10.0.0.10:70000" }, "controlPlaneEndpoint:"],
        ["an endpoint with a broken address", { controlPlaneEndpoint: "10.0.0.300:6443" }, "controlPlaneEndpoint:"],
        ["a hash without sha256:", { caCertHash: "0123456789abcdef".repeat(4) }, "caCertHash:"],
        ["a short hash", { caCertHash: "sha256:0123" }, "caCertHash:"],
    ])("refuses %s, naming the field", (_what, change, message) => {
        expect(() => renderKubeadmJoin({ ...joinInput, ...change })).toThrow(message);
    });

    test("accepts a DNS name as the endpoint host", () => {
        expect(renderKubeadmJoin({ ...joinInput, controlPlaneEndpoint: "api.zta.lab:6443" })).toContain(
            "apiServerEndpoint: api.zta.lab:6443",
        );
    });
});

describe("a fresh worker, joined twice", () => {
    let host: StubHost;
    let first: ScriptRun;
    let second: ScriptRun;
    let afterFirst: ReturnType<StubHost["files"]>;
    beforeAll(() => {
        host = pool.fresh();
        first = host.run(join, { stdin });
        afterFirst = host.files();
        second = host.run(join, { stdin });
    });

    test("first run: exactly one kubeadm join, given a 0600 JoinConfiguration with the token from stdin", () => {
        expect([first.status, first.stderr]).toEqual([0, ""]);
        expect(lines(host, first)).toEqual([kubeadmJoin]);
        // The stub refuses a config that is not mode 600, and keeps a copy of what it was given.
        expect(parse(host.readState("kubeadm-join-config").join("\n"))).toEqual(joinConfiguration(token));
        expect(first.stdout).toBe(
            [
                "zta: changed: /etc/zta-testbed/kubeadm-join.yaml",
                "zta: changed: /etc/zta-testbed/kubeadm-join.secret.yaml",
                "[preflight] Running pre-flight checks",
                "I0101 00:00:00.000000 join.go:0] [discovery] Using token: <redacted-token>",
                "This node has joined the cluster",
                "zta: changed: kubeadm join (node server2 via 10.0.0.10:6443)",
                "zta: kubeadm join: 3 change(s)",
                "",
            ].join("\n"),
        );
    });

    test("the token file is gone; the record (no token) stays; no marker is left", () => {
        expect(Object.keys(afterFirst)).toEqual([
            "/etc/kubernetes/kubelet.conf",
            "/etc/kubernetes/pki/ca.crt",
            "/etc/zta-testbed/kubeadm-join.yaml",
        ]);
        expect(afterFirst["/etc/zta-testbed/kubeadm-join.yaml"].mode).toBe("600");
        expect(parse(afterFirst["/etc/zta-testbed/kubeadm-join.yaml"].content)).toEqual(joinConfiguration("ZTA_TOKEN_FROM_STDIN"));
    });

    test("the token is nowhere: not in argv, environment, stdout, stderr or any file, in either run", () => {
        expect(tokenLeaks(host, first)).toEqual([]);
        expect(tokenLeaks(host, second)).toEqual([]);
    });

    test("second run: no command, files untouched", () => {
        expect([second.status, second.stderr, second.calls]).toEqual([0, "", []]);
        expect(second.stdout).toBe("zta: kubeadm join: 0 change(s)\n");
        expect(host.files()).toEqual(afterFirst);
    });
});

describe("the token reaches the script on stdin only", () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    test.each<[string, string, string]>([
        ["no stdin", "", "no header line"],
        ["another header", stdin.replace("zta-kubeadm-join-secrets-v1", "zta-registry-secrets-v1"), "wrong header line"],
        ["a header only", "zta-kubeadm-join-secrets-v1\n", "no token line"],
        ["extra data", `${stdin}more\n`, "data after the token line"],
        ["a token that is not base64", "zta-kubeadm-join-secrets-v1\n%%%\n", "token is not base64"],
        ["a token of the wrong shape", `zta-kubeadm-join-secrets-v1\n${b64(tokenSecret)}\n`, "token is not a bootstrap token"],
    ])("%s stops the script before anything runs", (_what, input, message) => {
        const host = pool.fresh();
        const r = host.run(join, { stdin: input });
        expect([r.status, r.stdout, r.calls]).toEqual([1, "", []]);
        expect(r.stderr).toBe(`zta: stdin: expected the kubeadm join secret bundle (${message})\n`);
        expect(host.files()).toEqual({});
    });
});

describe("failures", () => {
    test("a failing kubeadm join stops the script, removes the token file, and the next run joins", () => {
        const host = pool.fresh();
        host.failOn("kubeadm join");
        const r = host.run(join, { stdin });
        expect(r.status).not.toBe(0);
        expect(lines(host, r)).toEqual([kubeadmJoin]);
        expect(r.stdout).not.toContain("kubeadm join:");
        expect(Object.keys(host.files())).toEqual(["/etc/zta-testbed/kubeadm-join.yaml", "/var/lib/zta-testbed/pending/kubeadm-join"]);
        expect(tokenLeaks(host, r)).toEqual([]);

        host.failOn();
        const again = host.run(join, { stdin });
        expect([again.status, again.stderr]).toEqual([0, ""]);
        expect(lines(host, again)).toEqual([kubeadmJoin]);
        expect(host.file("/var/lib/zta-testbed/pending/kubeadm-join")).toBeUndefined();
    });

    test("a token the cluster does not know: kubeadm's message (token ID only), no token left anywhere", () => {
        const host = pool.fresh();
        host.setState("cluster", ["token aaaaaa.bbbbbbbbbbbbbbbb"]);
        const r = host.run(join, { stdin });
        expect(r.status).toBe(1);
        expect(r.stdout).toContain(`could not find a JWS signature in the cluster-info ConfigMap for token ID "${tokenId}"`);
        expect(host.file("/etc/zta-testbed/kubeadm-join.secret.yaml")).toBeUndefined();
        expect(tokenLeaks(host, r)).toEqual([]);
    });

    test("a kubeadm join that died after writing kubelet.conf is not mistaken for a joined node", () => {
        const host = pool.fresh();
        host.putFile("/etc/kubernetes/kubelet.conf", "x");
        host.putFile("/var/lib/zta-testbed/pending/kubeadm-join", "");
        const r = host.run(join, { stdin });
        expect([r.status, r.calls]).toEqual([1, []]);
        expect(r.stderr).toBe(
            "zta: kubeadm: a previous kubeadm join did not complete; run the kubeadm reset (destroy) script, then this one again\n",
        );
    });

    test("a changed join configuration after the join fails loudly, without calling kubeadm or touching files", () => {
        const host = pool.fresh();
        expect(host.run(join, { stdin }).status).toBe(0);
        const before = host.files();
        const r = host.run(renderKubeadmJoin({ ...joinInput, caCertHash: `sha256:${"f".repeat(64)}` }), { stdin });
        expect([r.status, r.calls]).toEqual([1, []]);
        expect(r.stderr).toContain("zta: kubeadm: the join configuration changed (or /etc/zta-testbed/kubeadm-join.yaml is missing");
        expect(r.stderr).toContain("run the kubeadm reset (destroy) script, then this one again");
        expect(host.files()).toEqual(before);
    });

    test("a node this script did not join (a control plane, a hand-joined node) is refused", () => {
        const host = pool.fresh();
        host.putFile("/etc/kubernetes/kubelet.conf", "x");
        const r = host.run(join, { stdin });
        expect([r.status, r.calls]).toEqual([1, []]);
        expect(r.stderr).toContain("this script did not join the node");
    });
});

describe("a joined worker", () => {
    test("a new token alone changes nothing (the record holds none)", () => {
        const host = pool.fresh();
        expect(host.run(join, { stdin }).status).toBe(0);
        const before = host.files();
        const r = host.run(join, { stdin: renderJoinSecrets("zzzzzz.yyyyyyyyyyyyyyyy") });
        expect([r.status, r.calls, r.stdout]).toEqual([0, [], "zta: kubeadm join: 0 change(s)\n"]);
        expect(host.files()).toEqual(before);
    });

    test("a token file a killed run left behind is removed", () => {
        const host = pool.fresh();
        expect(host.run(join, { stdin }).status).toBe(0);
        host.putFile("/etc/zta-testbed/kubeadm-join.secret.yaml", `token: "${token}"\n`, 0o600);
        const r = host.run(join, { stdin });
        expect([r.status, r.calls]).toEqual([0, []]);
        expect(r.stdout).toBe(
            "zta: changed: removed the leftover /etc/zta-testbed/kubeadm-join.secret.yaml\nzta: kubeadm join: 1 change(s)\n",
        );
        expect(tokenLeaks(host, r)).toEqual([]);
    });

    test("reset (destroy) cleans the worker; a second reset does nothing; the worker can join again", () => {
        const host = pool.fresh();
        expect(host.run(join, { stdin }).status).toBe(0);
        const r = host.run(reset);
        expect([r.status, r.stderr]).toEqual([0, ""]);
        expect(lines(host, r)).toEqual([kubeadmReset]);
        expect(Object.keys(host.files())).toEqual([]);
        expect(r.stdout).toBe(
            "zta: changed: kubeadm reset\nzta: changed: removed /etc/zta-testbed/kubeadm-join.yaml\nzta: kubeadm reset: 2 change(s)\n",
        );

        const second = host.run(reset);
        expect([second.status, second.calls, second.stdout]).toEqual([0, [], "zta: kubeadm reset: 0 change(s)\n"]);

        const again = host.run(join, { stdin });
        expect([again.status, lines(host, again)]).toEqual([0, [kubeadmJoin]]);
    });

    test("reset also clears a half-done join (marker and token file)", () => {
        const host = pool.fresh();
        host.failOn("kubeadm join");
        expect(host.run(join, { stdin }).status).not.toBe(0);
        host.putFile("/etc/zta-testbed/kubeadm-join.secret.yaml", "leftover", 0o600);
        const r = host.run(reset);
        expect([r.status, r.calls]).toEqual([0, []]);
        expect(Object.keys(host.files())).toEqual([]);
    });
});

describe("renderKubeconfigRead", () => {
    const admin = stringify({ apiVersion: "v1", kind: "Config", users: [{ name: "admin", user: { "client-key-data": adminKey } }] });
    const controlPlane = () => {
        const host = pool.fresh();
        host.putFile("/etc/kubernetes/admin.conf", admin, 0o600);
        return host;
    };

    test("stdout is admin.conf, framed and base64-encoded, and nothing else; logs go to stderr; nothing changes", () => {
        const host = controlPlane();
        const before = host.files();
        const r = host.run(read);
        expect(r.status).toBe(0);
        expect(r.stdout).toBe(`${readbackBegin}\n${Buffer.from(admin).toString("base64")}\n${readbackEnd}\n`);
        expect(kubeconfigFromReadback(r.stdout)).toBe(admin);
        expect(r.stderr).toBe("zta: kubeconfig read: 0 change(s)\n");
        expect(lines(host, r)).toEqual([readyz]);
        expect(r.calls.filter(isStateChanging)).toEqual([]);
        expect(host.files()).toEqual(before);
    });

    test("waits for the API server first, one second apart; stdout stays the kubeconfig alone", () => {
        const host = controlPlane();
        host.setState("apiserver", ["unready 2"]);
        const r = host.run(read);
        expect([r.status, kubeconfigFromReadback(r.stdout)]).toEqual([0, admin]);
        expect(lines(host, r)).toEqual([readyz, "sleep 1", readyz, "sleep 1", readyz]);
    });

    // The bound itself (120 attempts, then a message) is kubeadm.script.test.ts's: both scripts use the same gate.
    test("the readiness gate is the init script's, word for word", () => {
        const gate = (text: string) => /# Bounded readiness gate[^]*?\ndone\n/.exec(text)?.[0];
        expect(gate(read)).toContain("attempts=120\n");
        expect(gate(read)).toBe(gate(renderKubeadmInit(initInput)));
    });

    test("a gate that fails prints no kubeconfig", () => {
        const host = controlPlane();
        host.setState("apiserver", ["unready never"]);
        host.failOn("sleep");
        const r = host.run(read);
        expect([r.status, r.stdout]).toEqual([1, ""]);
        expect(lines(host, r)).toEqual([readyz, "sleep 1"]);
    });

    test("without admin.conf, or after a half-done init: fails before any command, empty stdout", () => {
        const none = pool.fresh();
        const r1 = none.run(read);
        expect([r1.status, r1.stdout, r1.calls]).toEqual([1, "", []]);
        expect(r1.stderr).toBe("zta: kubeconfig: /etc/kubernetes/admin.conf does not exist; run the kubeadm init script first\n");

        const half = controlPlane();
        half.putFile("/var/lib/zta-testbed/pending/kubeadm-init", "");
        const r2 = half.run(read);
        expect([r2.status, r2.stdout, r2.calls]).toEqual([1, "", []]);
        expect(r2.stderr).toContain("a previous kubeadm init did not complete");
    });

    test("after the init script: the kubeconfig kubeadm wrote", () => {
        const host = pool.fresh();
        expect(host.run(renderKubeadmInit(initInput)).status).toBe(0);
        const r = host.run(read);
        expect([r.status, kubeconfigFromReadback(r.stdout)]).toEqual([0, host.file("/etc/kubernetes/admin.conf")]);
        expect(kubeconfigFromReadback(r.stdout)).toContain("client-key-data: STUBADMINKEY");
    });
});
