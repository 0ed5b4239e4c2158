/** The host check (first script on each server), run against stub system commands (tests/platform/baremetal/stubs.ts). */
import * as fs from "node:fs";
import * as path from "node:path";
import { HostCheckInput, renderHostCheck } from "../../../components/platform/baremetal/host";
import { bashSyntax, commandLine, hostPool, isStateChanging, ScriptRun, shellcheck, StubHost } from "./stubs";

const input: HostCheckInput = { hostname: "server1", addresses: ["10.0.0.10", "192.168.56.10"] };
const script = renderHostCheck(input);
const ubuntu = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n';

/** A freshly installed Ubuntu server still named "ubuntu", with both configured addresses. */
const pool = hostPool((host) => {
    host.putFile("/etc/os-release", ubuntu);
    host.putFile("/etc/hostname", "ubuntu\n");
    host.setState("kernel", ["hostname ubuntu"]);
    host.setState("addresses", ["lo 127.0.0.1/8", "eth0 10.0.0.10/24", "eth1 192.168.56.10/24"]);
});
afterAll(pool.cleanup);

function lines(r: ScriptRun): string[] {
    return r.calls.map(commandLine);
}

const firstRun = ["id -u", "ip -o -4 addr show", "hostnamectl --static", "hostnamectl --transient", "hostnamectl set-hostname server1"];
const summary = "zta: host server1: Ubuntu 24.04.1 LTS, root, 10.0.0.10 on eth0, 192.168.56.10 on eth1\n";

describe("renderHostCheck", () => {
    test("bash -n and shellcheck are clean", () => {
        expect(bashSyntax(script)).toBe("");
        expect(shellcheck(script)).toBe("");
    });

    test("is pure", () => {
        expect(renderHostCheck({ ...input, addresses: [...input.addresses] })).toBe(script);
    });

    test.each<[string, Partial<HostCheckInput>, string]>([
        ["an uppercase host name", { hostname: "Server1" }, "hostname:"],
        ["a host name longer than the kernel's 64 characters", { hostname: `${"a".repeat(60)}.lab1` }, "hostname:"],
        ["a host name with shell syntax", { hostname: "server1;reboot" }, "hostname:"],
        ["no address", { addresses: [] }, "addresses: expected at least one"],
        ["a CIDR instead of an address", { addresses: ["10.0.0.10/24"] }, "addresses[0]:"],
        ["a loopback address", { addresses: ["10.0.0.10", "127.0.1.1"] }, "addresses[1]: 127.0.1.1 is not an address"],
        ["a duplicate address", { addresses: ["10.0.0.10", "10.0.0.10"] }, "addresses[1]: 10.0.0.10 is listed twice"],
    ])("refuses %s, naming the field", (_what, change, message) => {
        expect(() => renderHostCheck({ ...input, ...change })).toThrow(message);
    });
});

describe("a fresh server, run twice", () => {
    let host: StubHost;
    let first: ScriptRun;
    let second: ScriptRun;
    let before: ReturnType<StubHost["files"]>;
    beforeAll(() => {
        host = pool.fresh();
        first = host.run(script);
        before = host.files();
        second = host.run(script);
    });

    test("first run: checks, then sets the host name, and prints the summary", () => {
        expect([first.status, first.stderr]).toEqual([0, ""]);
        expect(lines(first)).toEqual(firstRun);
        expect(host.file("/etc/hostname")).toBe("server1\n");
        expect(host.readState("kernel")).toEqual(["hostname server1"]);
        expect(first.stdout).toBe(`zta: changed: host name ubuntu -> server1\n${summary}zta: host check: 1 change(s)\n`);
    });

    test("second run: the same checks, no state-changing call, files untouched", () => {
        expect([second.status, second.stderr]).toEqual([0, ""]);
        expect(lines(second)).toEqual(firstRun.slice(0, 4));
        expect(second.calls.filter(isStateChanging)).toEqual([]);
        expect(host.files()).toEqual(before);
        expect(second.stdout).toBe(`${summary}zta: host check: 0 change(s)\n`);
    });
});

describe("the host name", () => {
    test("a right static but wrong transient name (set by DHCP, say) is set again", () => {
        const host = pool.fresh();
        host.putFile("/etc/hostname", "server1\n");
        const r = host.run(script);
        expect(r.status).toBe(0);
        expect(lines(r)).toEqual(firstRun);
        expect(host.readState("kernel")).toEqual(["hostname server1"]);
    });

    test("a server without a static name gets one", () => {
        const host = pool.fresh();
        fs.rmSync(path.join(host.root, "etc/hostname"));
        const r = host.run(script);
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("zta: changed: host name (none) -> server1\n");
        expect(host.file("/etc/hostname")).toBe("server1\n");
    });
});

describe("the operating system", () => {
    test.each<[string, string, string, string]>([
        ["Debian", "/etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n', "Debian GNU/Linux 12 (bookworm)"],
        [
            "a derivative naming Ubuntu in ID_LIKE",
            "/etc/os-release",
            "PRETTY_NAME='Linux Mint 22'\nID=linuxmint\nID_LIKE=\"ubuntu debian\"",
            "Linux Mint 22",
        ],
        ["/usr/lib/os-release when /etc has none", "/usr/lib/os-release", "ID=ubuntu\n", "ubuntu"],
    ])("accepts %s", (_what, file, content, name) => {
        const host = pool.fresh();
        fs.rmSync(path.join(host.root, "etc/os-release"));
        host.putFile(file, content);
        const r = host.run(script);
        expect([r.status, r.stderr]).toEqual([0, ""]);
        expect(r.stdout).toContain(`zta: host server1: ${name}, root, `);
    });

    test.each<[string, string, string]>([
        [
            "Rocky Linux",
            'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n',
            "zta: host: Rocky Linux 9.4 (Blue Onyx) (ID=rocky, ID_LIKE=rhel centos fedora) is neither Debian nor Ubuntu; the node scripts need apt and Debian's packages\n",
        ],
        [
            "a name that merely contains debian",
            "ID=notdebian\nID_LIKE=debianish\n",
            "zta: host: an unnamed system (ID=notdebian, ID_LIKE=debianish) is neither Debian nor Ubuntu; the node scripts need apt and Debian's packages\n",
        ],
    ])("refuses %s before touching anything", (_what, content, message) => {
        const host = pool.fresh();
        host.putFile("/etc/os-release", content);
        const before = host.files();
        const r = host.run(script);
        expect([r.status, r.stderr, r.stdout]).toEqual([1, message, ""]);
        expect(lines(r)).toEqual(["id -u"]);
        expect(host.files()).toEqual(before);
    });

    test("a machine without os-release fails clearly", () => {
        const host = pool.fresh();
        fs.rmSync(path.join(host.root, "etc/os-release"));
        const r = host.run(script);
        expect(r.status).toBe(1);
        expect(r.stderr).toBe(
            "zta: host: neither /etc/os-release nor /usr/lib/os-release exists; cannot tell whether this is Debian or Ubuntu\n",
        );
    });

    test("os-release is read as data, never run", () => {
        const host = pool.fresh();
        host.putFile("/etc/os-release", 'ID="$(touch "$ZTA_ROOT/pwned")"\nID_LIKE=`touch "$ZTA_ROOT/pwned"`\n');
        const r = host.run(script);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("is neither Debian nor Ubuntu");
        expect(host.file("/pwned")).toBeUndefined();
    });
});

describe("root and addresses", () => {
    test("a non-root user fails clearly, before anything else", () => {
        const host = pool.fresh();
        host.setState("user", ["uid 1000"]);
        const r = host.run(script);
        expect([r.status, r.stdout]).toEqual([1, ""]);
        expect(r.stderr).toBe(
            "zta: host: this script must run as root, but runs as uid 1000: connect as root, or as a user with passwordless sudo\n",
        );
        expect(lines(r)).toEqual(["id -u"]);
    });

    test("a missing address fails, listing what the machine has; an address it merely prefixes does not count", () => {
        const host = pool.fresh();
        host.setState("addresses", ["lo 127.0.0.1/8", "eth0 10.0.0.100/24", "eth0 10.0.0.1/24", "eth1 192.168.56.10/24"]);
        const before = host.files();
        const r = host.run(script);
        expect([r.status, r.stdout]).toEqual([1, ""]);
        expect(r.stderr).toBe(
            "zta: host: 10.0.0.10 not assigned to any interface of this machine (it has: 127.0.0.1 on lo, 10.0.0.100 on eth0, 10.0.0.1 on eth0, 192.168.56.10 on eth1); check the host's addresses in the stack configuration\n",
        );
        expect(lines(r)).toEqual(["id -u", "ip -o -4 addr show"]);
        expect(host.files()).toEqual(before);
    });

    test("every missing address is named at once", () => {
        const host = pool.fresh();
        host.setState("addresses", []);
        const r = host.run(script);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(
            "zta: host: 10.0.0.10 192.168.56.10 not assigned to any interface of this machine (it has: no IPv4 address)",
        );
    });
});

describe("a failing command stops the script", () => {
    test.each(firstRun.map((line, i) => [line, i] as const))("%s", (line, i) => {
        const host = pool.fresh();
        host.failOn(line);
        const r = host.run(script);
        expect(r.status).not.toBe(0);
        expect(lines(r)).toEqual(firstRun.slice(0, i + 1));
        expect(r.calls.filter((c) => c.failed)).toHaveLength(1);
        expect(r.stdout).not.toContain("zta: host server1:");
        expect(r.stdout).not.toContain("host check:");
    });
});
