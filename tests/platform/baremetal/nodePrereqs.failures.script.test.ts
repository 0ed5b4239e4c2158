/** Proof that any failing command stops the node preparation script, and that owed actions survive a failure. */
import { changes, cleanupHosts, firstRunCalls, freshHost, lines, script } from "./nodePrereqs.shared";

afterAll(cleanupHosts);

describe("a failing command stops the script", () => {
    const unique = [...new Set(firstRunCalls)];
    test.each(unique)("%s", (line) => {
        const host = freshHost();
        host.failOn(line.replace(/ -o <ROOT>.*/, ""));
        const run = host.run(script);
        expect(run.status).not.toBe(0);
        // Everything up to the failing call ran; nothing after it (the curl | gpg pipeline runs as one).
        let upTo = firstRunCalls.indexOf(line) + 1;
        if (line.startsWith("curl ")) {
            upTo += 1;
        }
        expect(lines(host, run.calls)).toEqual(firstRunCalls.slice(0, upTo));
        expect(run.calls.filter((c) => c.failed).map((c) => lines(host, [c])[0])).toEqual([line]);
        expect(run.stdout).not.toContain("node prerequisites:");
    });

    test("inside write_file too, where bash would suspend set -e", () => {
        const host = freshHost();
        host.putFile("/etc/sysctl.d", "a file where a directory belongs");
        const run = host.run(script);
        expect(run.status).not.toBe(0);
        expect(run.stderr).toContain("zta: cannot create the directory of /etc/sysctl.d/99-zta-kubernetes.conf");
        expect(lines(host, run.calls)).toEqual(["lsmod", "modprobe overlay", "modprobe br_netfilter"]);
    });

    test.each(["sysctl --system", "systemctl restart containerd"])("an owed %s is done by the next run", (action) => {
        const host = freshHost();
        host.failOn(action);
        expect(host.run(script).status).not.toBe(0);
        host.failOn();
        const rerun = host.run(script);
        expect(rerun.status).toBe(0);
        expect(changes(host, rerun)).toContain(action);
        expect(changes(host, host.run(script))).toEqual([]);
    });
});
