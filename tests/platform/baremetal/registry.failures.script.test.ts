/** Proof that the registry script stops at any failure, and refuses a registry that does not enforce its login. */
import { renderRegistrySecrets } from "../../../components/platform/baremetal/registry";
import {
    changes,
    cleanupHosts,
    curlAnonymous,
    curlAuthenticated,
    expectedHash,
    expectedPushHash,
    firstRunCalls,
    freshHost,
    lines,
    run,
    script,
    secrets,
    secretValues,
    stdin,
} from "./registry.shared";
import { leaksOf, ScriptRun, StubHost } from "./stubs";

afterAll(cleanupHosts);

function expectNoLeaks(r: ScriptRun): void {
    for (const [name, value] of Object.entries(secretValues)) {
        expect([name, leaksOf(r, value)]).toEqual([name, []]);
    }
}

/** The command line failOn matches for a call line (the scratch root put back). */
function failLine(host: StubHost, line: string): string {
    return line
        .split("<ROOT>")
        .join(host.root)
        .replace(/ --label zta\.config-sha256=.*/, "");
}

describe("a failing command stops the script", () => {
    // The curl checks are retried (below); every other call fails the run at once.
    const unique = [...new Set(firstRunCalls)].filter((l) => !l.startsWith("curl "));
    test.each(unique)("%s", (line) => {
        const host = freshHost();
        host.failOn(failLine(host, line));
        const r = run(host);
        expect(r.status).not.toBe(0);
        const seen = lines(host, r.calls, expectedHash(host), expectedPushHash(host));
        expect(seen).toEqual(firstRunCalls.slice(0, firstRunCalls.indexOf(line) + 1));
        expect(r.calls.filter((c) => c.failed)).toHaveLength(1);
        expect(r.stdout).not.toContain("Container registry:");
        expectNoLeaks(r);
    });

    test("inside write_file too, where bash would suspend set -e", () => {
        const host = freshHost();
        host.putFile("/etc/zta-registry/config", "a file where a directory belongs");
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("zta: cannot create the directory of /etc/zta-registry/config/config.yml");
        expect(changes(host, r).some((l) => l.startsWith("docker "))).toBe(false);
    });

    test("a run that died before docker run still starts the container next time", () => {
        const host = freshHost();
        host.failOn("docker run");
        expect(run(host).status).not.toBe(0);
        host.failOn();
        const r = run(host);
        expect(r.status).toBe(0);
        expect(changes(host, r, expectedHash(host), expectedPushHash(host))).toEqual([firstRunCalls[8], firstRunCalls[10]]);
    });
});

describe("the post-start check", () => {
    test("waits for a registry that starts slowly: 3 refused connections, 3 pauses, then success", () => {
        const host = freshHost();
        host.setState("registry", [...host.readState("registry"), "down 3"]);
        const r = run(host);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const postStart = firstRunCalls.slice(firstRunCalls.indexOf(curlAnonymous));
        const tail = lines(host, r.calls).slice(firstRunCalls.indexOf(curlAnonymous));
        // three refusals, each followed by a pause, then the first run's own post-start calls
        expect(tail).toEqual([...[1, 2, 3].flatMap(() => [curlAnonymous, "sleep 1"]), ...postStart]);
    });

    test("gives up after 30 attempts with a clear message", () => {
        const host = freshHost();
        host.setState("registry", [...host.readState("registry"), "down 1000"]);
        const r = run(host);
        expect(r.status).not.toBe(0);
        const calls = lines(host, r.calls);
        expect(calls.filter((l) => l === curlAnonymous)).toHaveLength(30);
        expect(calls.filter((l) => l === "sleep 1")).toHaveLength(29);
        expect(calls).not.toContain(curlAuthenticated);
        expect(r.stderr).toBe(
            "zta: registry: no HTTPS answer from https://registry.lab:5000/v2/ after 30 attempts (last curl exit status 7)\n",
        );
    });

    test("a failing curl is retried like a refused connection", () => {
        const host = freshHost();
        host.failOn(failLine(host, curlAnonymous));
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("after 30 attempts (last curl exit status 1)");
    });

    test("a registry that answers 200 without credentials FAILS the run", () => {
        const host = freshHost();
        host.setState("registry", [...host.readState("registry"), "anonymous 200"]);
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(
            "zta: registry: https://registry.lab:5000/v2/ answered 200 without credentials; expected 401 (authentication required)\n",
        );
        expect(lines(host, r.calls)).not.toContain(curlAuthenticated);
        expect(r.stdout).not.toContain("Container registry:");
    });

    test("a registry that refuses the login FAILS the run", () => {
        const host = freshHost();
        host.setState("registry", [
            "login zta-admin:another-password",
            ...host.readState("registry").filter((l) => l.startsWith("push-login ")),
        ]);
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe("zta: registry: https://registry.lab:5000/v2/ with the pull login answered 401; expected 200\n");
        expectNoLeaks(r);
    });

    test("a failing authenticated request FAILS the run", () => {
        const host = freshHost();
        host.failOn(failLine(host, curlAuthenticated));
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("zta: registry: https://registry.lab:5000/v2/ with the pull login failed\n");
        expectNoLeaks(r);
    });

    test("a cluster-facing registry that is not read-only (an upload with the pull login is accepted) FAILS the run", () => {
        const host = freshHost();
        const writable = script.replace("  maintenance:\n    readonly:\n      enabled: true\n", "");
        expect(writable).not.toBe(script);
        const r = run(host, writable);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(
            "zta: registry: an upload to https://registry.lab:5000/v2/zta-push-probe/blobs/uploads/ with the pull login (the cluster-facing registry must be read-only) answered 202; expected 405\n",
        );
        expectNoLeaks(r);
    });

    test("a push registry that refuses the push login FAILS the run", () => {
        const host = freshHost();
        host.setState("registry", [...host.readState("registry").filter((l) => l.startsWith("login ")), "push-login zta-push:other"]);
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe("zta: registry: https://127.0.0.1:5000/v2/ with the push login answered 401; expected 200\n");
        expectNoLeaks(r);
    });
});

describe("a bad secret bundle stops the script before any command runs", () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const bundle = stdin.split("\n");
    test.each<[string, string, string]>([
        ["no stdin", "", "no header line"],
        ["another header", stdin.replace("zta-registry-secrets-v2", "v0"), "wrong header line"],
        ["the previous bundle (one login)", stdin.replace("zta-registry-secrets-v2", "zta-registry-secrets-v1"), "wrong header line"],
        ["a missing login line", `${bundle.slice(0, 4).join("\n")}\n`, "no login line"],
        ["a missing push login line", `${bundle.slice(0, 6).join("\n")}\n`, "no push login line"],
        ["extra data", `${stdin}more\n`, "data after the push login line"],
        ["extra data without a newline", `${stdin}more`, "data after the push login line"],
        ["a key that is not base64", [bundle[0], "%%%", ...bundle.slice(2)].join("\n"), "server key is not base64"],
        ["a key that is not PEM", [bundle[0], b64("hello"), ...bundle.slice(2)].join("\n"), "server key is not a PEM private key"],
        [
            "a short http secret",
            [...bundle.slice(0, 3), b64("short"), ...bundle.slice(4)].join("\n"),
            "http secret is not 32+ characters of [A-Za-z0-9+/=_-]",
        ],
        ["a login without a colon", [...bundle.slice(0, 4), b64("nocolon"), ...bundle.slice(5)].join("\n"), "login is not user:password"],
        ["the push login being the pull login", [...bundle.slice(0, 6), bundle[4], ""].join("\n"), "the push login is the pull login"],
    ])("%s", (_what, input, message) => {
        const host = freshHost();
        const r = run(host, undefined, input);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(`zta: stdin: expected the registry secret bundle (${message})\n`);
        expect(r.calls).toEqual([]);
        expect(host.files()).toEqual({});
    });

    test("the bundle renderer's output is accepted as is (sanity)", () => {
        expect(run(freshHost(), undefined, renderRegistrySecrets(secrets)).status).toBe(0);
    });
});
