/**
 * One loud line per reason and run: `SKIPPED: <reason>`. Test files (in any jest worker) call `announceSkipped`;
 * tests/harness/summaryReporter.js made the run's directory for these notes before the workers started and prints
 * each reason once, above its closing summary. Without that reporter (a config that does not list it) the note is
 * printed at once, once per test file.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** Environment variable naming the run's directory of skip notes (set by summaryReporter.js). */
export const skippedDirVariable = "ZTA_SKIPPED_DIR";

const announced = new Set<string>();

export function announceSkipped(reason: string): void {
    if (announced.has(reason)) {
        return;
    }
    announced.add(reason);
    const dir = process.env[skippedDirVariable];
    if (dir && fs.existsSync(dir)) {
        const name = createHash("sha256").update(reason).digest("hex").slice(0, 16);
        fs.writeFileSync(path.join(dir, name), reason);
        return;
    }
    process.stdout.write(`SKIPPED: ${reason}\n`);
}
