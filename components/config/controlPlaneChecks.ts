/**
 * `zta-testbed:controlPlaneChecks`: run the control-plane checks (components/verification/live) inside `pulumi up`,
 * where the machine running Pulumi reaches istiod's pod IPs (the sim does; so would an admin host on a bare-metal pod
 * network). Optional: without it those checks are `npm run verify -- <stack>`'s alone.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { ControlPlaneChecksConfig } from "./model";
import { Problems, show } from "./problems";
import { parseStructured } from "./structured";

const schema = z.object({ ztaXds: z.string(), istiodAccess: z.literal("pod-ip").optional() }).strict();

export function readControlPlaneChecks(problems: Problems, raw: string | undefined): ControlPlaneChecksConfig | undefined {
    if (raw === undefined) {
        return undefined;
    }
    const entry = parseStructured(problems, "controlPlaneChecks", raw, schema);
    if (!entry) {
        return undefined;
    }
    const bin = entry.ztaXds;
    if (!path.isAbsolute(bin) || bin.split("/").includes("..") || path.basename(bin) !== "zta-xds") {
        problems.add("controlPlaneChecks.ztaXds", `must be the absolute path of the toolchain's zta-xds binary, got ${show(bin)}`);
        return undefined;
    }
    try {
        fs.accessSync(bin, fs.constants.X_OK);
    } catch {
        problems.add("controlPlaneChecks.ztaXds", `is not an executable file: ${show(bin)} (build it: npm run toolchain -- istiod-1.30)`);
        return undefined;
    }
    return { ztaXds: bin, istiodAccess: entry.istiodAccess ?? "pod-ip" };
}
