// Prints one plain closing line ("jest: N passed, N failed, N skipped") that any CI log reader understands, and above
// it each `SKIPPED: <reason>` that tests announced (tests/harness/skipped.ts), once per run however many test files
// and workers announced it. The notes' directory is made here, before jest starts its workers, which inherit the
// environment variable naming it.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const skippedDirVariable = "ZTA_SKIPPED_DIR";

class SummaryReporter {
    constructor() {
        this.skippedDir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-skipped-"));
        process.env[skippedDirVariable] = this.skippedDir;
    }

    onRunComplete(_contexts, results) {
        const reasons = fs
            .readdirSync(this.skippedDir)
            .map((name) => fs.readFileSync(path.join(this.skippedDir, name), "utf8"))
            .sort();
        fs.rmSync(this.skippedDir, { recursive: true, force: true });
        for (const reason of reasons) {
            process.stdout.write(`SKIPPED: ${reason}\n`);
        }
        const skipped = results.numPendingTests + results.numTodoTests;
        process.stdout.write(`jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
    }
}
module.exports = SummaryReporter;
