/**
 * The control-plane checks inside `pulumi up`, for stacks that ask for them (`zta-testbed:controlPlaneChecks`: the
 * machine running Pulumi reaches istiod's pod IPs, as in the sim), and what their verdicts make of the verification
 * outputs where the Jobs cannot run for real: "verified (control plane)" for the claims whose configuration they prove.
 */
import * as pulumi from "@pulumi/pulumi";
import { ControlPlaneChecksConfig } from "../config/model";
import { ClusterHandle } from "../platform/handle";
import { ControlPlaneReport, MeshExpectations, controlPlaneChecks } from "./live/controlPlane";
import { Kube } from "./live/kube";
import { verificationChecks } from "./registry";
import { settled } from "./remoteSyncGate";
import type { CheckResult } from "./verification";

export interface ControlPlaneRunArgs {
    readonly settings?: ControlPlaneChecksConfig;
    readonly clusters: readonly ClusterHandle[];
    readonly expect: Omit<MeshExpectations, "rootCertPem">;
    readonly rootCertPem: pulumi.Output<string>;
    /** Everything the checks look at must exist first (samples, ingress, policies, remote secrets). */
    readonly after: readonly pulumi.Resource[];
    /** Bounded retries while istiod catches up with what was just applied. */
    readonly timeoutSeconds: number;
}

/** The report, or undefined when not asked for or in a preview. Retries failing checks until the deadline. */
export async function controlPlaneChecksDuringUp(a: ControlPlaneRunArgs): Promise<ControlPlaneReport | undefined> {
    if (!a.settings || pulumi.runtime.isDryRun()) {
        return undefined;
    }
    const ids = a.after.map((r) => (r instanceof pulumi.CustomResource ? r.id : r.urn));
    const [root, ...kubeconfigs] = await settled(pulumi.all([a.rootCertPem, ...a.clusters.map((c) => c.adminKubeconfig), ...ids]));
    const live = a.clusters.map((c, i) => ({
        name: c.name,
        network: c.network,
        kube: new Kube(kubeconfigs[i]),
        istiod: (pod: { ip: string }) => Promise.resolve({ host: pod.ip, xdsPort: 15012, monitoringPort: 15014 }),
    }));
    const deadline = Date.now() + a.timeoutSeconds * 1000;
    for (;;) {
        const report = await controlPlaneChecks(live, { ...a.expect, rootCertPem: root }, a.settings.ztaXds);
        if (report.results.every((r) => r.ok) || Date.now() >= deadline) {
            return report;
        }
        await new Promise((r) => setTimeout(r, 2000));
    }
}

/**
 * A cluster's verification results with the control-plane verdicts: a check that only ran "simulated" becomes
 * "verified (control plane)" when every control-plane check behind its claim passed there (the traffic itself stays
 * unproven without a data plane), or "FAILED (control plane)" naming the one that did not.
 */
export function withControlPlaneVerdicts(
    cluster: string,
    results: Readonly<Record<string, CheckResult>>,
    report: ControlPlaneReport | undefined,
): Record<string, CheckResult> {
    if (!report) {
        return { ...results };
    }
    const out: Record<string, CheckResult> = { ...results };
    for (const check of verificationChecks) {
        if (!out[check.name]?.startsWith("simulated")) {
            continue;
        }
        const verdicts = check.controlPlane.map((id) => report.results.find((r) => r.id === id && r.cluster === cluster));
        const failed = verdicts.find((v) => !v?.ok);
        out[check.name] = failed
            ? `FAILED (control plane): ${failed?.id ?? "not run"}: ${failed?.detail ?? "no verdict"}`
            : `verified (control plane: ${check.controlPlane.join(", ")}); the traffic itself is simulated (no Envoy)`;
    }
    return out;
}
