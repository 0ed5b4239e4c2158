/**
 * The control-plane checks as a report a person reads (istioctl-level: remote clusters and their sync, cross-network
 * endpoints, certificate chains and hours to expiry, policies in force, then every check with its verdict).
 */
import { ControlPlaneReport } from "./controlPlane";

export function formatReport(report: ControlPlaneReport): string {
    const lines: string[] = [];
    for (const f of report.facts) {
        lines.push(`cluster ${f.cluster}  (istiod ${f.istiodPod ?? "NOT READY"})`);
        const sync = Object.entries(f.remoteSync);
        lines.push(`  remote clusters     ${sync.length ? sync.map(([c, s]) => `${c}=${s}`).join(", ") : "none"}`);
        lines.push(`  helloworld local    ${f.localEndpoints.join(", ") || "-"}`);
        lines.push(`  helloworld remote   ${f.crossNetworkEndpoints.join(", ") || "-"}  (east-west gateways)`);
        if (f.workloadCert) {
            lines.push(`  workload cert       ${f.workloadCert.spiffe}`);
            lines.push(`                      ${f.workloadCert.chain.join(" → ")}`);
            lines.push(
                `                      lifetime ${f.workloadCert.lifetimeHours.toFixed(1)} h, ${f.workloadCert.hoursToExpiry.toFixed(1)} h to expiry`,
            );
        }
        if (f.intermediate) {
            lines.push(`  intermediate CA     ${f.intermediate.subject}, ${f.intermediate.hoursToExpiry.toFixed(0)} h to expiry`);
        }
        lines.push(`  policies (helloworld :5000)  ${f.policies.join(", ") || "-"}`);
        lines.push(`  xDS                 ${f.xdsResources} resources, ${f.nacks} invalid`);
    }
    lines.push("");
    const width = Math.max(...report.results.map((r) => r.id.length));
    for (const r of report.results) {
        lines.push(`${r.ok ? "PASS" : "FAIL"}  ${r.id.padEnd(width)}  ${r.cluster.padEnd(10)} ${r.detail}`);
    }
    const failed = report.results.filter((r) => !r.ok).length;
    lines.push("");
    lines.push(`${report.results.length - failed} passed, ${failed} failed`);
    return lines.join("\n");
}
