/** The stub harness itself: it must record what secrecy proofs rely on, and never reach real system commands. */
import { shellQuote } from "../../../components/platform/baremetal/script";
import { shellcheckInstalled } from "../../harness/tools";
import { bashSyntax, leaksOf, shellcheck, StubHost } from "./stubs";

const secret = "s3cr3t-token-Zq8";
const host = new StubHost();
afterAll(() => host.cleanup());

describe("secrecy checks", () => {
    test("a secret passed on stdin to a command is recorded there and found nowhere else", () => {
        const run = host.run('gpg --batch --yes --dearmor -o "$ZTA_ROOT/out"\necho done\n', { stdin: secret });
        expect(run.status).toBe(0);
        expect(run.calls.map((c) => c.stdin)).toEqual([secret]);
        expect(leaksOf(run, secret)).toEqual([]);
    });

    test("a secret in argv, in a command's environment or in the output is reported", () => {
        const leaky = 'token="$(cat)"\ncurl -fsSL "https://x/$token"\nTOKEN="$token" swapoff -a\necho "$token" >&2\n';
        expect(leaksOf(host.run(leaky, { stdin: secret }), secret)).toEqual([
            "argv of curl",
            "environment of swapoff (TOKEN)",
            "stdout",
            "stderr",
        ]);
    });
});

describe("safety", () => {
    test("commands without a stub are not found, instead of running for real", () => {
        const run = host.run("reboot --force\n");
        expect(run.status).toBe(127);
        expect(run.stderr).toContain("reboot: command not found");
    });

    test("stubs refuse invocations they do not emulate", () => {
        const run = host.run("systemctl stop kubelet\n");
        expect(run.status).toBe(64);
        expect(run.stderr).toContain("stub: unsupported invocation: systemctl stop kubelet");
    });
});

describe("helpers", () => {
    test("shellQuote round-trips through bash", () => {
        const values = ["plain", "it's", '$(reboot) `id` $HOME \\ " ;|&', "new\nline", ""];
        const run = host.run(values.map((v) => `printf '%s\\0' ${shellQuote(v)}\n`).join(""));
        expect(run.stdout.split("\0").slice(0, -1)).toEqual(values);
    });

    test("bashSyntax and shellcheck report problems", () => {
        expect(bashSyntax("if true; then\n")).not.toBe("");
        if (shellcheckInstalled()) {
            expect(shellcheck("#!/usr/bin/env bash\necho $1\n")).toContain("SC2086");
        }
    });
});
