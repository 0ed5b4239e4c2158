/**
 * Optional external tools of the unit tier. `npm ci && npm test` needs only Node and openssl; ShellCheck lints the
 * rendered shell scripts where it is installed (CI installs it in .ci/run) and is announced as SKIPPED, once per run,
 * where it is not: the lint assertions pass vacuously, every other assertion of those tests still runs. With
 * ZTA_REQUIRE_SHELLCHECK=1 (set by .ci/run) a missing ShellCheck fails those tests instead.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { announceSkipped } from "./skipped";

/** The executable `tool` on PATH, or undefined. */
export function onPath(tool: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(":").filter(Boolean)) {
        const candidate = path.join(dir, tool);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // next directory
        }
    }
    return undefined;
}

const shellcheckPath = onPath("shellcheck");

/** Is ShellCheck installed? (Tests that assert on findings of a deliberately bad script ask this first.) */
export function shellcheckInstalled(): boolean {
    if (!shellcheckPath && process.env.ZTA_REQUIRE_SHELLCHECK === "1") {
        // CI (.ci/run) installs it: there a missing ShellCheck is a broken set-up, not a skip.
        throw new Error("shellcheck is not on the PATH, and ZTA_REQUIRE_SHELLCHECK=1 says it must be");
    }
    if (!shellcheckPath) {
        announceSkipped(
            "shellcheck not installed (the shell-lint assertions on rendered scripts did not run; the rest of those tests did. `apt-get install shellcheck`; CI installs it)",
        );
    }
    return shellcheckPath !== undefined;
}

/**
 * ShellCheck's verdict on `text` (read from stdin) with `args`: its exit status and findings, or a clean verdict when
 * ShellCheck is not installed (announced once per run).
 */
export function runShellcheck(args: readonly string[], text: string): { status: number; stdout: string; stderr: string } {
    if (!shellcheckInstalled() || !shellcheckPath) {
        return { status: 0, stdout: "", stderr: "" };
    }
    const result = spawnSync(shellcheckPath, [...args, "-"], { input: text, encoding: "utf8" });
    if (result.error) {
        throw result.error;
    }
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
