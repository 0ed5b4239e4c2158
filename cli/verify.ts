/**
 * `npm run verify -- <stack> [--kubeconfig CLUSTER=FILE]... [--json]`: the control-plane checks
 * (components/verification/live) against a deployed stack's running clusters, with its admin kubeconfigs, printed
 * as a report. Exit 0 only when every check passes.
 *
 *   sim        the local sim (re-runs itself inside the sim's network namespace; istiod answers on its pod IP)
 *   any other  the stack of this project (its Pulumi backend, as `pulumi stack select` sees it): expectations from
 *              its outputs, kubeconfigs from its `zta-testbed:kubeconfigs` config or --kubeconfig; each istiod is
 *              reached with `kubectl port-forward` (kubectl on PATH).
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, OutputMap } from "@pulumi/pulumi/automation";
import { controlPlaneChecks, expectationsFrom, LiveCluster, networksFrom } from "../components/verification/live/controlPlane";
import { IstiodEndpoint, PodRef } from "../components/verification/live/istiodClient";
import { Kube } from "../components/verification/live/kube";
import { formatReport } from "../components/verification/live/report";

const repoRoot = path.resolve(__dirname, "..");
const usage = "usage: npm run verify -- <stack> [--kubeconfig CLUSTER=FILE]... [--json]";

interface StackView {
    readonly outputs: OutputMap;
    readonly kubeconfigs: Record<string, string>;
}

/** istiod through `kubectl port-forward` (a live cluster's pod IPs are not reachable from here). */
function portForward(kubeconfigFile: string): (pod: PodRef) => Promise<IstiodEndpoint & { close: () => void }> {
    return (pod) =>
        new Promise((resolve, reject) => {
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
                    ":15012",
                    ":15014",
                ],
                { stdio: ["ignore", "pipe", "pipe"] },
            );
            const ports: number[] = [];
            const timer = setTimeout(() => {
                child.kill();
                reject(new Error(`kubectl port-forward to ${pod.name}: no ports after 20 s`));
            }, 20_000);
            child.on("error", (e) => reject(new Error(`kubectl port-forward: ${e.message} (is kubectl on PATH?)`)));
            child.stdout?.on("data", (d: Buffer) => {
                for (const m of d.toString().matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)) {
                    ports[m[2] === "15012" ? 0 : 1] = Number(m[1]);
                }
                if (ports[0] && ports[1]) {
                    clearTimeout(timer);
                    resolve({ host: "127.0.0.1", xdsPort: ports[0], monitoringPort: ports[1], close: () => child.kill() });
                }
            });
        });
}

async function otherStack(name: string): Promise<StackView> {
    const stack = await LocalWorkspace.selectStack({ stackName: name, workDir: repoRoot });
    const outputs = await stack.outputs();
    const config = await stack.getAllConfig();
    const raw = config["zta-testbed:kubeconfigs"]?.value;
    return { outputs, kubeconfigs: raw ? (JSON.parse(raw) as Record<string, string>) : {} };
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
    const toolchain = process.env.ZTA_TOOLCHAIN_DIR ?? path.join(process.env.HOME ?? "/root", ".cache", "zta-testbed", "toolchain");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const modver = (require("../versions.json") as { toolchain: { istio130: { modver: string } } }).toolchain.istio130.modver;
    const ztaXds = path.join(toolchain, "istiod", modver, "bin", "zta-xds");
    if (!fs.existsSync(ztaXds)) {
        console.error(`verify needs the toolchain's zta-xds (${ztaXds}): npm run toolchain -- istiod-1.30`);
        return 2;
    }

    let view: StackView;
    let clusters: LiveCluster[];
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
        };
        const networks = networksFrom(view.outputs);
        clusters = Object.entries(view.kubeconfigs).map(([name, kc]) => ({
            name,
            network: networks[name] ?? "",
            kube: new Kube(kc),
            istiod: (pod) => Promise.resolve({ host: pod.ip, xdsPort: 15012, monitoringPort: 15014 }),
        }));
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
    }
    const started = Date.now();
    const report = await controlPlaneChecks(clusters, expectationsFrom(view.outputs), ztaXds);
    if (json) {
        console.log(JSON.stringify(report, null, 1));
    } else {
        console.log(formatReport(report));
        console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
    return report.results.every((r) => r.ok) ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(`verify: ${e instanceof Error ? (process.env.ZTA_DEBUG ? e.stack : e.message) : String(e)}`);
        process.exit(1);
    },
);
