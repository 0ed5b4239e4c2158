/**
 * `npm run verify -- <stack> [--kubeconfig CLUSTER=FILE]... [--json]`: the control-plane checks and the identity
 * checks (components/verification/live) against a deployed stack's running clusters and Keycloak, with its admin
 * kubeconfigs, printed as a report. Exit 0 only when every check passes.
 *
 *   sim        the local sim (re-runs itself inside the sim's network namespace; istiod answers on its pod IP)
 *   any other  the stack of this project (its Pulumi backend, as `pulumi stack select` sees it): expectations from
 *              its outputs, kubeconfigs from its `zta-testbed:kubeconfigs` config, its `adminKubeconfigs` output (clusters
 *              it created) or --kubeconfig; each istiod is
 *              reached with `kubectl port-forward` (kubectl on PATH).
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigMap, LocalWorkspace, OutputMap } from "@pulumi/pulumi/automation";
import { controlPlaneChecks, expectationsFrom, LiveCluster, networksFrom } from "../components/verification/live/controlPlane";
import { IstiodEndpoint, PodRef } from "../components/verification/live/istiodClient";
import { Kube } from "../components/verification/live/kube";
import { formatReport } from "../components/verification/live/report";
import { KeycloakEndpoint, identityChecks, identityFacts } from "../components/verification/live/identity";
import { readyPods } from "../components/verification/live/istiodClient";
import { keycloakName } from "../components/identity/keycloakKube";
import { keycloakHttpsPort } from "../components/identity/keycloak";
import { identityDefaults } from "../components/config/identity";
import { configDefaults } from "../components/config/defaults";
import { toolchainPath } from "../sim/toolchain";

const keycloakNamespace = identityDefaults.namespace;

const repoRoot = path.resolve(__dirname, "..");
const usage = "usage: npm run verify -- <stack> [--kubeconfig CLUSTER=FILE]... [--json]";

interface StackView {
    readonly outputs: OutputMap;
    readonly kubeconfigs: Record<string, string>;
    /** Where the ingress gateway and its RequestAuthentication live (config ingressNamespace). */
    readonly ingressNamespace: string;
}

const ingressNamespaceOf = (config: ConfigMap): string => config["zta-testbed:ingressNamespace"]?.value ?? configDefaults.ingressNamespace;

/** Local ports forwarded to a pod's `remotePorts` with `kubectl port-forward` (a live cluster's pod IPs are not reachable from here). */
function forward(
    kubeconfigFile: string,
    pod: { namespace: string; name: string },
    remotePorts: readonly number[],
): Promise<{ ports: Record<number, number>; close: () => void }> {
    return new Promise((resolve, reject) => {
        const child: ChildProcess = spawn(
            "kubectl",
            [
                "--kubeconfig",
                kubeconfigFile,
                "-n",
                pod.namespace,
                "port-forward",
                "--address",
                "127.0.0.1",
                `pod/${pod.name}`,
                ...remotePorts.map((p) => `:${p}`),
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
        );
        const ports: Record<number, number> = {};
        const timer = setTimeout(() => {
            child.kill();
            reject(new Error(`kubectl port-forward to ${pod.name}: no ports after 20 s`));
        }, 20_000);
        child.on("error", (e) => reject(new Error(`kubectl port-forward: ${e.message} (is kubectl on PATH?)`)));
        child.stdout?.on("data", (d: Buffer) => {
            for (const m of d.toString().matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)) {
                ports[Number(m[2])] = Number(m[1]);
            }
            if (remotePorts.every((p) => ports[p])) {
                clearTimeout(timer);
                process.on("exit", () => child.kill());
                resolve({ ports, close: () => child.kill() });
            }
        });
    });
}

/** istiod through a port-forward. */
function portForward(kubeconfigFile: string): (pod: PodRef) => Promise<IstiodEndpoint & { close: () => void }> {
    return async (pod) => {
        const f = await forward(kubeconfigFile, pod, [15012, 15014]);
        return { host: "127.0.0.1", xdsPort: f.ports[15012], monitoringPort: f.ports[15014], close: f.close };
    };
}

async function otherStack(name: string): Promise<StackView> {
    const stack = await LocalWorkspace.selectStack({ stackName: name, workDir: repoRoot });
    const outputs = await stack.outputs();
    const config = await stack.getAllConfig();
    const raw = config["zta-testbed:kubeconfigs"]?.value;
    // Clusters the stack created (cloud `provision`) have no kubeconfig in config: the stack exports theirs (secret).
    const created = (outputs.adminKubeconfigs?.value ?? {}) as Record<string, string>;
    return {
        outputs,
        kubeconfigs: { ...created, ...(raw ? (JSON.parse(raw) as Record<string, string>) : {}) },
        ingressNamespace: ingressNamespaceOf(config),
    };
}

async function main(): Promise<number> {
    const args = process.argv.slice(2);
    const stackName = args.find((a) => !a.startsWith("--") && !args[args.indexOf(a) - 1]?.startsWith("--kubeconfig"));
    if (!stackName) {
        console.error(usage);
        return 2;
    }
    const json = args.includes("--json");
    const given = Object.fromEntries(
        args
            .map((a, i) => (args[i - 1] === "--kubeconfig" ? a : undefined))
            .filter((a): a is string => !!a)
            .map((a) => {
                const [cluster, file] = a.split("=", 2);
                return [cluster, fs.readFileSync(file, "utf8")];
            }),
    );
    const ztaXds = toolchainPath("ztaXds");
    if (!fs.existsSync(ztaXds)) {
        console.error(`verify needs the toolchain's zta-xds (${ztaXds}): npm run toolchain -- istiod-1.30`);
        return 2;
    }

    let view: StackView;
    let clusters: LiveCluster[];
    /** Where the identity checks reach Keycloak: its pod (sim: the pod IP; else a port-forward), or the issuer's host. */
    let keycloak: (c: LiveCluster) => Promise<KeycloakEndpoint | undefined>;
    if (stackName === "sim") {
        if (!process.env.ZTA_SIM_IN_NETNS) {
            // the sim's API servers and istiods live inside its network namespace
            const inner = spawnSync(
                "bash",
                [
                    path.join(repoRoot, "sim", "cluster.sh"),
                    "exec",
                    process.execPath,
                    "-r",
                    "ts-node/register/transpile-only",
                    __filename,
                    ...args,
                ],
                { stdio: "inherit", cwd: repoRoot },
            );
            return inner.status ?? 1;
        }
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { simStack } = require("../sim/stack") as typeof import("../sim/stack");
        const stack = await simStack();
        const config = await stack.getAllConfig();
        view = {
            outputs: await stack.outputs(),
            kubeconfigs: JSON.parse(config["zta-testbed:kubeconfigs"].value) as Record<string, string>,
            ingressNamespace: ingressNamespaceOf(config),
        };
        const networks = networksFrom(view.outputs);
        clusters = Object.entries(view.kubeconfigs).map(([name, kc]) => ({
            name,
            network: networks[name] ?? "",
            kube: new Kube(kc),
            istiod: (pod) => Promise.resolve({ host: pod.ip, xdsPort: 15012, monitoringPort: 15014 }),
        }));
        keycloak = async (c) => {
            const [pod] = await readyPods(c.kube, keycloakNamespace, `app=${keycloakName}`);
            return pod && { host: pod.ip, port: keycloakHttpsPort };
        };
    } else {
        view = await otherStack(stackName);
        const kubeconfigs = { ...view.kubeconfigs, ...given };
        const networks = networksFrom(view.outputs);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-verify-"));
        process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
        clusters = Object.keys(networks).map((name) => {
            const kc = kubeconfigs[name];
            if (!kc) {
                throw new Error(`no kubeconfig for cluster ${name}: pass --kubeconfig ${name}=FILE`);
            }
            const file = path.join(dir, `${name}.yaml`);
            fs.writeFileSync(file, kc, { mode: 0o600 });
            return { name, network: networks[name], kube: new Kube(kc), istiod: portForward(file) };
        });
        keycloak = async (c) => {
            const [pod] = await readyPods(c.kube, keycloakNamespace, `app=${keycloakName}`);
            if (pod) {
                const f = await forward(path.join(dir, `${c.name}.yaml`), pod, [keycloakHttpsPort]);
                return { host: "127.0.0.1", port: f.ports[keycloakHttpsPort] };
            }
            return undefined; // not in a cluster (testbed: on server1): the issuer's own host, below
        };
    }
    const started = Date.now();
    const report = await controlPlaneChecks(clusters, expectationsFrom(view.outputs), ztaXds);
    // identity: against the Keycloak of the first cluster (cloud, sim) or the issuer's host (testbed)
    const first = clusters[0];
    const facts = await identityFacts(first.kube, { keycloakNamespace, ingressNamespace: view.ingressNamespace });
    const endpoint = (await keycloak(first)) ?? { host: facts.publicHost, port: facts.publicPort };
    const identity = await identityChecks(endpoint, facts);
    if (json) {
        console.log(JSON.stringify({ ...report, identity }, null, 1));
    } else {
        console.log(formatReport(report));
        console.log(`\nidentity (Keycloak at ${endpoint.host}:${endpoint.port} as ${facts.publicHost})`);
        for (const r of identity) {
            console.log(`${r.ok ? "PASS" : "FAIL"}  ${r.id.padEnd(28)} ${r.detail}`);
        }
        console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
    return report.results.every((r) => r.ok) && identity.every((r) => r.ok) ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(`verify: ${e instanceof Error ? (process.env.ZTA_DEBUG ? e.stack : e.message) : String(e)}`);
        process.exit(1);
    },
);
