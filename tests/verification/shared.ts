/**
 * The stub-curl harness of the verification checks: runs a check's script for real (sh, sed, tee...) with a stub
 * `curl` on PATH that answers the way a mesh that keeps or breaks the claim would. Used by
 * verification.checks.test.ts (each script's verdicts) and verification.registry.test.ts (every registered check).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ingressSecretMount } from "../../components/verification/checks";

export interface ScriptRun {
    readonly status: number;
    readonly stdout: string;
    /** The termination message (the verdict). */
    readonly message: string;
    /** Every curl invocation's arguments, one line each. */
    readonly argv: string;
}

/** A scratch directory for the suite's runs: call in the suite's top level (registers beforeAll/afterAll). */
export function stubCurlHarness(): { run: (script: string, curlBody: string, secretDir?: string) => ScriptRun; dir: () => string } {
    let dir = "";
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-checks-"));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    /**
     * Runs `script` with a stub curl whose body is `curlBody` (sh; "$@" are curl's arguments; the stub's directory
     * holds argv.log); `secretDir` stands in for the mounted Secret.
     */
    function run(script: string, curlBody: string, secretDir?: string): ScriptRun {
        const bin = fs.mkdtempSync(path.join(dir, "bin-"));
        const argvLog = path.join(bin, "argv.log");
        fs.writeFileSync(path.join(bin, "curl"), `#!/bin/sh\nprintf '%s\\n' "$*" >>"${argvLog}"\n${curlBody}\n`, { mode: 0o755 });
        const termination = path.join(bin, "termination-log");
        const text = secretDir ? script.split(ingressSecretMount).join(secretDir) : script;
        const r = spawnSync("sh", ["-c", text], {
            env: { PATH: `${bin}:${process.env.PATH ?? ""}`, TERMINATION_LOG: termination },
            encoding: "utf8",
            timeout: 20_000,
        });
        return {
            status: r.status ?? -1,
            stdout: r.stdout,
            message: fs.existsSync(termination) ? fs.readFileSync(termination, "utf8") : "",
            argv: fs.existsSync(argvLog) ? fs.readFileSync(argvLog, "utf8") : "",
        };
    }
    return { run, dir: () => dir };
}
