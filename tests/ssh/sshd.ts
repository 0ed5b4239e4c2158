/**
 * A real OpenSSH server for the real-SSH transport tier (tests/ssh/transport.test.ts): sshd in its own network
 * namespace with only `lo` up, listening on 127.0.0.1:2222, with a host key and a client key made for this run.
 *
 * The command provider cannot be built here, so the OpenSSH client drives it instead. On the server side that is
 * the same thing the provider does (pulumi-command remote/commandOutputs.go): one session per command, no pty, the
 * command string as the `exec` request (sshd runs `<login shell> -c <command>`), stdin written whole and closed,
 * stdout/stderr captured separately, the exit status reported.
 *
 * The stub harness's environment (PATH = the stub directory only, ZTA_ROOT = the scratch root) comes from sshd
 * itself (`SetEnv`), so the rendered command runs exactly as rendered: no prefix, no variables sent by the client.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { shellQuote } from "../../components/platform/baremetal/script";
import { ScriptRun, StubHost } from "../platform/baremetal/stubs";

/** Not the sim's `zta-sim`: both tiers may exist on one machine. */
export const netns = "zta-ssh";
export const address = "127.0.0.1";
export const port = 2222;
export const sshUser = "root";
const sshdPath = "/usr/sbin/sshd";
/** sshd's compiled-in privilege separation directory; it refuses to start without it. */
const privsepDir = "/run/sshd";
/** The client's environment: a value the remote side must never see (sshd, not the client, sets ZTA_ROOT). */
export const clientOnlyRoot = "/client-side-value-never-forwarded";

function executable(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

function tool(name: string): string | undefined {
    const dirs = [...(process.env.PATH ?? "").split(":").filter(Boolean), "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
    return dirs.map((d) => path.join(d, name)).find(executable);
}

/** Why this machine cannot run the tier, or undefined when it can. */
export function skipReason(): string | undefined {
    const uid = process.getuid?.();
    if (uid !== 0) {
        return `not root (uid ${String(uid)}); a network namespace and sshd need root`;
    }
    const ip = tool("ip");
    if (!ip || spawnSync(ip, ["netns", "list"], { stdio: "ignore" }).status !== 0) {
        return "no working `ip netns` (iproute2)";
    }
    if (!executable(sshdPath)) {
        return `no ${sshdPath} (apt-get install openssh-server)`;
    }
    for (const name of ["ssh", "ssh-keygen"]) {
        if (!tool(name)) {
            return `no ${name} (apt-get install openssh-client)`;
        }
    }
    return undefined;
}

function must(file: string, args: readonly string[], what: string): string {
    const r = spawnSync(file, args, { encoding: "utf8", timeout: 10000 });
    if (r.error || r.status !== 0) {
        throw new Error(`${what}: ${file} ${args.join(" ")} failed (${r.error?.message ?? `exit ${String(r.status)}`}): ${r.stderr}`);
    }
    return r.stdout;
}

/** sshd_config takes unquoted words here: refuse paths that would need quoting rather than quote them wrongly. */
function plainPath(p: string): string {
    if (!/^[A-Za-z0-9/._-]+$/.test(p)) {
        throw new Error(`path not usable in sshd_config unquoted: ${p}`);
    }
    return p;
}

export interface ExecOptions {
    /** Written to the session's stdin, then closed (the provider's `stdin`). */
    readonly stdin?: string;
    /** known_hosts file the client pins the host key with; default: the server's real key. */
    readonly knownHosts?: string;
}

/** sshd in netns `zta-ssh`, serving the scratch machine of one StubHost. `stop()` removes everything it made. */
export class RealSshServer {
    private constructor(
        private readonly host: StubHost,
        private readonly ip: string,
        private readonly ssh: string,
        /** Keys, sshd_config, known_hosts files, the sshd log, the session's HOME. */
        readonly dir: string,
        private readonly madePrivsepDir: boolean,
        private server: ChildProcess | undefined,
    ) {}

    /** Creates the netns and starts sshd; on any failure removes what it made and throws. */
    static async start(host: StubHost): Promise<RealSshServer> {
        const ip = tool("ip");
        const ssh = tool("ssh");
        const keygen = tool("ssh-keygen");
        if (!ip || !ssh || !keygen) {
            throw new Error(`real-SSH tier: ${skipReason() ?? "ip, ssh or ssh-keygen missing"}`);
        }
        const leftover = fs.existsSync(`/run/netns/${netns}`);
        if (leftover) {
            const pids = must(ip, ["netns", "pids", netns], "netns pids").trim();
            if (pids !== "") {
                throw new Error(`netns ${netns} exists and has processes (${pids.replace(/\n/g, " ")}): another run of this tier?`);
            }
            // An empty netns a killed run left behind: nothing in it to keep.
            must(ip, ["netns", "delete", netns], "remove the leftover netns");
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-ssh-"));
        const madePrivsepDir = !fs.existsSync(privsepDir);
        if (madePrivsepDir) {
            fs.mkdirSync(privsepDir, { mode: 0o755 });
        }
        const server = new RealSshServer(host, ip, ssh, dir, madePrivsepDir, undefined);
        try {
            must(ip, ["netns", "add", netns], "create the netns");
            must(ip, ["-n", netns, "link", "set", "lo", "up"], "bring lo up");
            const links = server.links();
            if (links.join(" ") !== "lo") {
                throw new Error(`netns ${netns} has interfaces besides lo: ${links.join(" ")}`);
            }
            for (const name of ["host_ed25519", "client_ed25519", "other_host_ed25519"]) {
                must(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", `zta-ssh-${name}`, "-f", path.join(dir, name)], "ssh-keygen");
            }
            fs.copyFileSync(path.join(dir, "client_ed25519.pub"), path.join(dir, "authorized_keys"));
            const hostLine = (pub: string) => `[${address}]:${port} ${fs.readFileSync(path.join(dir, pub), "utf8").trim()}\n`;
            fs.writeFileSync(path.join(dir, "known_hosts"), hostLine("host_ed25519.pub"));
            fs.writeFileSync(path.join(dir, "wrong_known_hosts"), hostLine("other_host_ed25519.pub"));
            fs.mkdirSync(path.join(dir, "home"));
            fs.writeFileSync(path.join(dir, "sshd_config"), server.config());
            // -t: a config error is reported as such, not as a server that never starts listening.
            must(sshdPath, ["-t", "-f", path.join(dir, "sshd_config")], "sshd -t");
            await server.listen();
            server.checkSessionEnvironment();
            return server;
        } catch (e) {
            await server.stop();
            throw e;
        }
    }

    private config(): string {
        const d = (name: string) => plainPath(path.join(this.dir, name));
        return `# Throw-away sshd of the real-SSH tier (tests/ssh/sshd.ts); -f: no other file is read.
ListenAddress ${address}:${port}
AddressFamily inet
HostKey ${d("host_ed25519")}
HostKeyAlgorithms ssh-ed25519
PidFile none
AuthenticationMethods publickey
PubkeyAuthentication yes
AuthorizedKeysFile ${d("authorized_keys")}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
# No PAM: pam_env would add /etc/environment to the session; the only environment is sshd's own plus SetEnv.
UsePAM no
# The key files live under /tmp (world-writable), which StrictModes refuses.
StrictModes no
AllowUsers ${sshUser}
# The provider sends no environment; the OpenSSH default (accept none) is what a lab host has.
PermitUserEnvironment no
PermitTTY no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
PermitTunnel no
PrintMotd no
LoginGraceTime 10
# DEBUG3: the log is searched for secrets, so it should say as much as sshd ever says.
LogLevel DEBUG3
# The stub harness's environment. HOME: Debian's bash sources ~/.bashrc when sshd starts it, and this machine's
# root .bashrc would rewrite PATH (and run tools outside the stubs) before the rendered command runs.
SetEnv PATH=${plainPath(this.host.bin)} ZTA_ROOT=${plainPath(this.host.root)} HOME=${d("home")}
`;
    }

    private async listen(): Promise<void> {
        const log = this.logFile();
        const child = spawn(this.ip, ["netns", "exec", netns, sshdPath, "-D", "-f", path.join(this.dir, "sshd_config"), "-E", log], {
            stdio: ["ignore", "ignore", "pipe"],
        });
        this.server = child;
        let stderr = "";
        child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const deadline = Date.now() + 10000;
        const listening = `Server listening on ${address} port ${port}.`;
        while (!(fs.existsSync(log) && fs.readFileSync(log, "utf8").includes(listening))) {
            if (child.exitCode !== null || child.signalCode !== null) {
                throw new Error(`sshd exited before listening: ${stderr}${this.log()}`);
            }
            if (Date.now() > deadline) {
                throw new Error(`sshd is not listening after 10 s: ${stderr}${this.log()}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
    }

    /**
     * Refuses to serve when sshd did not deliver the stub environment: without ZTA_ROOT the scripts' "$ROOT" is empty
     * and their files would land in this machine's /etc and /var/lib.
     */
    private checkSessionEnvironment(): void {
        const probe = this.exec(`printf '%s\\n' "$ZTA_ROOT" "$PATH"`);
        const expected = `${this.host.root}\n${this.host.bin}\n`;
        if (probe.status !== 0 || probe.stdout !== expected) {
            throw new Error(
                `the SSH session does not get ZTA_ROOT and PATH from sshd's SetEnv (status ${probe.status}): ${probe.stdout}${probe.stderr}`,
            );
        }
    }

    private logFile(): string {
        return path.join(this.dir, "sshd.log");
    }

    /** Everything sshd logged so far (LogLevel DEBUG3). */
    log(): string {
        return fs.existsSync(this.logFile()) ? fs.readFileSync(this.logFile(), "utf8") : "";
    }

    /** known_hosts pinning a key that is not the server's. */
    get wrongKnownHosts(): string {
        return path.join(this.dir, "wrong_known_hosts");
    }

    /** The HOME sshd gives the session (SetEnv). */
    get sessionHome(): string {
        return path.join(this.dir, "home");
    }

    /** Interfaces of the netns. */
    links(): string[] {
        return must(this.ip, ["-n", netns, "-o", "link", "show"], "ip link")
            .split("\n")
            .filter(Boolean)
            .map((l) => l.split(": ")[1].split("@")[0]);
    }

    /** `address:port` of every listening TCP/UDP socket in the netns. */
    listeners(): string[] {
        return must(this.ip, ["netns", "exec", netns, "ss", "-H", "-l", "-n", "-t", "-u"], "ss")
            .split("\n")
            .filter(Boolean)
            .map((l) => l.trim().split(/\s+/)[4]);
    }

    /**
     * Runs `command` over SSH as the provider does (see the file comment), with the client pinning the host key
     * (`StrictHostKeyChecking yes`, the key type fixed like the provider's `hostKey`). The client runs from the
     * StubHost's own runner, so `calls` are the stub calls the remote command made; its stdout/stderr/status are
     * the SSH client's, i.e. what the provider would receive.
     */
    exec(command: string, options: ExecOptions = {}): ScriptRun {
        const args = [
            "-T",
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-i",
            path.join(this.dir, "client_ed25519"),
            "-o",
            `UserKnownHostsFile=${options.knownHosts ?? path.join(this.dir, "known_hosts")}`,
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "HostKeyAlgorithms=ssh-ed25519",
            "-o",
            "UpdateHostKeys=no",
            // A new connection per command, like the provider's Dial per run.
            "-o",
            "ControlMaster=no",
            "-o",
            "ControlPath=none",
            "-o",
            "ConnectTimeout=5",
            "-p",
            String(port),
            "-l",
            sshUser,
            address,
            command,
        ];
        const driver = `exec ${[this.ip, "netns", "exec", netns, this.ssh, ...args].map(shellQuote).join(" ")}\n`;
        // The client's own environment is not the stub harness's: whatever the remote side sees came from sshd.
        return this.host.run(driver, { stdin: options.stdin ?? "", env: { PATH: "/nonexistent", ZTA_ROOT: clientOnlyRoot } });
    }

    /** Stops sshd, ends what is left in the netns (this server's sessions), removes the netns and the temp dir. */
    async stop(): Promise<void> {
        const child = this.server;
        this.server = undefined;
        if (child && child.exitCode === null && child.signalCode === null) {
            const exited = once(child, "exit");
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
            await exited;
            clearTimeout(timer);
        }
        if (fs.existsSync(`/run/netns/${netns}`)) {
            const pids = spawnSync(this.ip, ["netns", "pids", netns], { encoding: "utf8" }).stdout ?? "";
            for (const pid of pids.split("\n").filter(Boolean)) {
                try {
                    process.kill(Number(pid), "SIGKILL");
                } catch {
                    // already gone
                }
            }
            spawnSync(this.ip, ["netns", "delete", netns], { stdio: "ignore" });
        }
        if (this.madePrivsepDir) {
            try {
                fs.rmdirSync(privsepDir);
            } catch {
                // not empty or gone: leave it
            }
        }
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
