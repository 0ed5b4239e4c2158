/**
 * The `sim` stack through the Automation API: the SAME program as index.ts (loadConfig → deployTestbed) run
 * inline, on a file backend in the sim dir, with the providers and charts `npm run toolchain` built. Must run
 * inside the sim's network namespace (sim/cluster.sh exec …), where the simulated API servers live.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { parse as parseYaml } from "yaml";
import { versionProfiles } from "../components/core/versions";
import manifest from "../versions.json";
import { identityDefaults, inClusterKeycloakHostname } from "../components/config/identity";
import { ensureIdentityPki, ensureMeshPki } from "./pki";
import { toolchainDir, toolchainPath } from "./toolchain";
import { LiveCluster } from "../components/verification/live/controlPlane";
import { Kube } from "../components/verification/live/kube";

export const repoRoot = path.resolve(__dirname, "..");
export const simDir = process.env.ZTA_SIM_DIR ?? path.join(os.homedir(), ".cache", "zta-testbed", "sim");
export { toolchainDir } from "./toolchain";

/** The toolchain pins of versions.json (the manifest toolchain/build.sh builds from). */
const pins = manifest.toolchain;

/**
 * What the sim runs on, keyed as `npm run toolchain` lays it out. Versions follow package.json's SDKs.
 * Istio: the proxy serves no tag of the default profile's release, only a later commit of its release branch
 * (toolchain/README.md).
 */
export const simToolchain = {
    pulumi: path.join(toolchainDir, "pulumi", pins.pulumi.version, "bin"),
    kubernetesProvider: {
        version: pins.kubernetesProvider.version,
        binary: path.join(toolchainDir, "plugins", "kubernetes", `v${pins.kubernetesProvider.version}`, "pulumi-resource-kubernetes"),
    },
    /** The sim's xDS/CA client (toolchain piece istiod-1.30, beside pilot-discovery). */
    ztaXds: toolchainPath("ztaXds"),
    istioCharts: {
        version: versionProfiles.default.istio,
        dir: path.join(toolchainDir, "charts", "istio", pins.istio130.modver),
    },
    /**
     * Istio's dashboards from the same istio.io/istio module the charts come from (its Go module cache): at this
     * commit they are byte-identical to the release tag's, so they pass that release's pins (GitHub is unreachable here).
     */
    istioDashboards: path.join(toolchainDir, "go", "mod", "istio.io", `istio@${pins.istio130.modver}`, "manifests", "addons", "dashboards"),
};

/**
 * The sim's clusters for the control-plane checks (components/verification/live): admin kubeconfigs from the sim
 * dir, and each istiod on its pod IP (an address on the netns's lo, where the process runtime runs it).
 */
export function simLiveClusters(networks: Record<string, string>): LiveCluster[] {
    return Object.keys(networks).map((name, i) => ({
        name,
        network: networks[name],
        kube: new Kube(fs.readFileSync(path.join(simDir, `kubeconfig-${kwokClusterOf(i)}.yaml`), "utf8")),
        istiod: (pod) => Promise.resolve({ host: pod.ip, xdsPort: 15012, monitoringPort: 15014 }),
    }));
}

/**
 * Istio cluster name → the kwok cluster that plays it: the index-th cluster of Pulumi.sim.yaml's
 * `zta-testbed:clusters` (from 0) is zta-sim-<index+1>, the same rule sim/cluster.sh follows.
 */
export function kwokClusterOf(index: number): string {
    return `zta-sim-${index + 1}`;
}

/** Missing toolchain pieces, as readable lines (empty = ready). */
export function missingToolchain(): string[] {
    const missing: string[] = [];
    const need = (file: string, what: string) => {
        if (!fs.existsSync(file)) {
            missing.push(`${what} (${file})`);
        }
    };
    need(path.join(simToolchain.pulumi, "pulumi"), "pulumi CLI");
    need(simToolchain.ztaXds, "zta-xds (toolchain piece istiod-1.30)");
    need(path.join(path.dirname(simToolchain.ztaXds), "pilot-discovery"), "pilot-discovery (toolchain piece istiod-1.30)");
    need(simToolchain.kubernetesProvider.binary, `kubernetes provider ${simToolchain.kubernetesProvider.version}`);
    need(path.join(simToolchain.istioDashboards, "istio-mesh-dashboard.gen.json"), "Istio dashboards (istio.io/istio module)");
    for (const chart of ["base", "cni", "istiod", "gateway"]) {
        need(path.join(simToolchain.istioCharts.dir, chart, "Chart.yaml"), `Istio ${chart} chart`);
    }
    return missing;
}

function readOrCreateSecretFile(file: string, make: () => string): string {
    if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fs.writeFileSync(file, make(), { mode: 0o600 });
    }
    return fs.readFileSync(file, "utf8").trim();
}

/** Environment for every Pulumi call of the sim: local state, no update checks, no plugin downloads. */
export function simEnv(): Record<string, string> {
    return {
        PULUMI_HOME: path.join(simDir, "pulumi-home"),
        PULUMI_BACKEND_URL: `file://${path.join(simDir, "state")}`,
        // Random per machine, kept beside the state it protects (the sim holds no real credentials).
        PULUMI_CONFIG_PASSPHRASE: readOrCreateSecretFile(path.join(simDir, "passphrase"), () => randomBytes(24).toString("base64url")),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        PULUMI_SUPPRESS_COPILOT_LINK: "true",
    };
}

/** Installs the provider built by the toolchain into the sim's PULUMI_HOME (idempotent, offline). */
function installProvider(env: Record<string, string>): void {
    const { version, binary } = simToolchain.kubernetesProvider;
    const marker = path.join(env.PULUMI_HOME, "plugins", `resource-kubernetes-v${version}`, "pulumi-resource-kubernetes");
    if (fs.existsSync(marker)) {
        return;
    }
    execFileSync(path.join(simToolchain.pulumi, "pulumi"), ["plugin", "install", "resource", "kubernetes", version, "--file", binary], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "ignore", "inherit"],
    });
}

/** `<chartDir>/istio/<version>/<chart>` as the program expects, pointing at the toolchain's charts. */
function prepareChartDir(): string {
    const chartDir = path.join(simDir, "charts");
    const link = path.join(chartDir, "istio", simToolchain.istioCharts.version);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    if (fs.existsSync(link) && fs.realpathSync(link) !== fs.realpathSync(simToolchain.istioCharts.dir)) {
        fs.rmSync(link);
    }
    if (!fs.existsSync(link)) {
        fs.symlinkSync(simToolchain.istioCharts.dir, link);
    }
    return chartDir;
}

/** The sim stack, created or selected, with its config: committed Pulumi.sim.yaml + what only this machine has. */
export async function simStack(): Promise<Stack> {
    const missing = missingToolchain();
    if (missing.length > 0) {
        throw new Error(`the sim needs \`npm run toolchain\` first; missing:\n  - ${missing.join("\n  - ")}`);
    }
    const env = simEnv();
    fs.mkdirSync(path.join(simDir, "state"), { recursive: true, mode: 0o700 });
    installProvider(env);

    // A private work dir, so setting secrets never rewrites the committed stack file.
    const workDir = path.join(simDir, "project");
    fs.mkdirSync(workDir, { recursive: true });
    fs.copyFileSync(path.join(repoRoot, "Pulumi.yaml"), path.join(workDir, "Pulumi.yaml"));

    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(simToolchain.pulumi), skipVersionCheck: true });
    const stack = await LocalWorkspace.createOrSelectStack(
        {
            projectName: "zta-testbed",
            stackName: "sim",
            program: async () => {
                // The same entry as index.ts, imported lazily so config is read inside the engine's run.
                const { loadConfig } = await import("../components/config/load");
                const { deployTestbed } = await import("../components/program");
                return deployTestbed(loadConfig());
            },
        },
        { workDir, envVars: env, pulumiCommand, pulumiHome: env.PULUMI_HOME },
    );

    const committed = (parseYaml(fs.readFileSync(path.join(repoRoot, "Pulumi.sim.yaml"), "utf8")) as { config: Record<string, unknown> })
        .config;
    const clusters = committed["zta-testbed:clusters"] as { name: string }[];
    const pki = ensureMeshPki(
        path.join(simDir, "pki"),
        clusters.map((c) => c.name),
    );
    // The identity layer's TLS and credentials, made here for the same reason (no tls/random provider offline).
    const identityPki = ensureIdentityPki(
        path.join(simDir, "pki"),
        identityDefaults.ingressHost,
        inClusterKeycloakHostname(identityDefaults.namespace),
    );
    const credentials = {
        clientSecret: readOrCreateSecretFile(path.join(simDir, "pki", "client-secret"), () => randomBytes(36).toString("base64url")),
        adminPassword: readOrCreateSecretFile(path.join(simDir, "pki", "admin-password"), () => randomBytes(24).toString("base64url")),
    };
    // Observability credentials, for the same reason.
    const observabilityCredentials = {
        grafanaAdminPassword: readOrCreateSecretFile(path.join(simDir, "pki", "grafana-admin-password"), () =>
            randomBytes(24).toString("base64url"),
        ),
        kialiSigningKey: readOrCreateSecretFile(path.join(simDir, "pki", "kiali-signing-key"), () =>
            randomBytes(48)
                .toString("base64")
                .replace(/[^A-Za-z0-9]/g, "")
                .slice(0, 32),
        ),
        observerPassword: readOrCreateSecretFile(path.join(simDir, "pki", "observer-password"), () =>
            randomBytes(24).toString("base64url"),
        ),
    };
    const kubeconfigs = Object.fromEntries(
        clusters.map((c, i) => [c.name, fs.readFileSync(path.join(simDir, `kubeconfig-${kwokClusterOf(i)}.yaml`), "utf8")]),
    );
    const plain = (v: unknown) => ({ value: typeof v === "string" ? v : JSON.stringify(v) });
    await stack.setAllConfig({
        ...Object.fromEntries(Object.entries(committed).map(([k, v]) => [k, plain(v)])),
        "zta-testbed:chartDir": plain(prepareChartDir()),
        "zta-testbed:caRootCert": plain(pki.rootCertPem),
        "zta-testbed:caIntermediates": { value: JSON.stringify(pki.intermediates), secret: true },
        "zta-testbed:kubeconfigs": { value: JSON.stringify(kubeconfigs), secret: true },
        "zta-testbed:identityTls": { value: JSON.stringify(identityPki), secret: true },
        "zta-testbed:identityCredentials": { value: JSON.stringify(credentials), secret: true },
        "zta-testbed:observabilityCredentials": { value: JSON.stringify(observabilityCredentials), secret: true },
        "zta-testbed:observability": plain({ istioDashboards: simToolchain.istioDashboards }),
        // istiod answers on its pod IP inside the netns, where `pulumi up` runs: the program runs the control-plane
        // checks itself (a failure fails `up`; the verification outputs say what they proved)
        "zta-testbed:controlPlaneChecks": plain({ ztaXds: simToolchain.ztaXds }),
    });
    return stack;
}
