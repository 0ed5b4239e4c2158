// `npm test`: the typecheck and ESLint (scripts/check.mjs, one TypeScript program), Prettier and jest, started at
// once so that the 2 cores of a CI machine are busy from the first to the last second (one after the other they
// took ~150 s, see README "Tests"). jest's output streams as it comes; the others' is printed, whole, when they end.
// Exits non-zero when any of them fails. Extra arguments go to jest (`npm test -- tests/config/config.test.ts`).
import { spawn } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const started = process.hrtime.bigint();
const seconds = () => (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);

/** Runs one phase; `live` streams its output, otherwise it is printed in one piece when the phase ends. */
function phase(name, command, args, live) {
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: root, stdio: live ? ["ignore", "pipe", "inherit"] : ["ignore", "pipe", "pipe"] });
        let output = "";
        let summary = "";
        child.stdout.on("data", (chunk) => {
            if (live) {
                process.stdout.write(chunk);
                // tests/harness/summaryReporter.js's closing line, repeated at the very end.
                summary = /^jest: .*$/m.exec(chunk.toString())?.[0] ?? summary;
            } else {
                output += chunk;
            }
        });
        child.stderr?.on("data", (chunk) => (output += chunk));
        child.on("error", (error) => resolve({ name, status: 1, output: `${output}${String(error)}\n`, summary, time: seconds() }));
        child.on("close", (code, signal) => {
            const status = code ?? 1;
            const result = { name, status, output, summary, time: seconds(), signal };
            if (!live) {
                process.stdout.write(`\n── ${name}: ${status === 0 ? "ok" : "FAILED"} (${result.time} s)\n${output}`);
            }
            resolve(result);
        });
    });
}

const results = await Promise.all([
    phase("typecheck + eslint", process.execPath, [path.join(root, "scripts", "check.mjs")], false),
    phase("prettier", bin("prettier"), ["--check", "."], false),
    phase("jest", bin("jest"), process.argv.slice(2), true),
]);

process.stdout.write("\n");
for (const r of results) {
    process.stdout.write(
        `${r.name}: ${r.status === 0 ? "ok" : `FAILED (exit ${r.status}${r.signal ? `, ${r.signal}` : ""})`}, done after ${r.time} s\n`,
    );
}
const jest = results.find((r) => r.name === "jest");
if (jest?.summary) {
    process.stdout.write(`${jest.summary}\n`);
}
process.exitCode = results.every((r) => r.status === 0) ? 0 : 1;
