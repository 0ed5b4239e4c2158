/**
 * Keycloak on a host (components/identity/keycloakHost.ts): the testbed script run against stub system commands
 * (tests/platform/baremetal/stubs.ts) — the script tier (`npm run test:scripts`, jest.scripts.config.js). The Keycloak
 * container's docker run takes kc.sh's arguments after the image and the post-start check reads the discovery document,
 * which the shared docker and curl stubs do not emulate: this file installs its own docker, curl and chown stubs into
 * each scratch host's bin. The realm file and the cluster manifests are unit-tested in keycloak.test.ts.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { keycloakArgs, keycloakImage } from "../../components/identity/keycloak";
import {
    KeycloakSecrets,
    KeycloakSetupInput,
    renderKeycloakRemove,
    renderKeycloakSecrets,
    renderKeycloakSetup,
} from "../../components/identity/keycloakHost";
import { realmImport } from "../../components/identity/realm";
import { realm, realmInput, realmWithUser } from "./realmFixture";
import {
    bashSyntax,
    commandLine,
    hostPool,
    isStateChanging,
    leaksOf,
    ScriptRun,
    shellcheck,
    StubCall,
    StubHost,
} from "../platform/baremetal/stubs";

const certPem = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUa2V5Y2xvYWs=\n-----END CERTIFICATE-----\n";
const caPem = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUY2EtY2E=\n-----END CERTIFICATE-----\n";
const keyPem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKcKeyMaterialSecretW9x\n-----END PRIVATE KEY-----\n";
const secrets: KeycloakSecrets = {
    serverKeyPem: keyPem,
    clientSecret: "ClientSecret_0123456789abcdefABCDEF-xyz",
    realmSigningKey: "MIIE" + "RealmKeyMaterial0123456789+/".repeat(50),
};
const stdin = renderKeycloakSecrets(secrets);
const secretValues: Record<string, string> = {
    key: "KcKeyMaterialSecretW9x",
    clientSecret: secrets.clientSecret,
    realmSigningKey: secrets.realmSigningKey,
    testUserPassword: "TestUserPassword_42",
};
const hostInput: KeycloakSetupInput = { hostname: "keycloak.lab", bindAddress: "10.0.0.2", tlsCertPem: certPem, caPem, realm };
const script = renderKeycloakSetup(hostInput);
const issuer = "https://keycloak.lab:8443/realms/zta";
const discoveryCall = `curl --silent --show-error --cacert <ROOT>/etc/zta-keycloak/ca.crt --resolve keycloak.lab:8443:10.0.0.2 --write-out \\n%{http_code} ${issuer}/.well-known/openid-configuration`;
const tokenCall = `curl --silent --show-error --cacert <ROOT>/etc/zta-keycloak/ca.crt --resolve keycloak.lab:8443:10.0.0.2 --output /dev/null --write-out %{http_code} --config - ${issuer}/protocol/openid-connect/token`;
const adminConsoleCall =
    "curl --silent --show-error --cacert <ROOT>/etc/zta-keycloak/ca.crt --resolve keycloak.lab:8443:10.0.0.2 --output /dev/null --write-out %{http_code} https://keycloak.lab:8443/admin/master/console/";
const dockerPs = "docker ps --all --format {{.Names}}";
const dockerInspect = 'docker inspect --format {{.State.Running}} {{index .Config.Labels "zta.config-sha256"}} zta-keycloak';
const chownData = "chown 1000:0 <ROOT>/var/lib/zta-keycloak/data";

function dockerRun(image = keycloakImage): string {
    return [
        "docker run --detach --name zta-keycloak --restart unless-stopped --publish 10.0.0.2:8443:8443 --publish 127.0.0.1:9000:9000",
        "--cap-drop ALL --security-opt no-new-privileges",
        "--volume <ROOT>/var/lib/zta-keycloak/data:/opt/keycloak/data",
        "--volume <ROOT>/etc/zta-keycloak/import:/opt/keycloak/data/import:ro",
        "--volume <ROOT>/etc/zta-keycloak/tls:/opt/keycloak/conf/tls:ro",
        "--env-file <ROOT>/etc/zta-keycloak/keycloak.env",
        `--label zta.config-sha256=<HASH> ${image}`,
        ...keycloakArgs("https://keycloak.lab:8443", { adminSurface: false }),
    ].join(" ");
}

const dpkgQuery = "dpkg-query --show --showformat=${db:Status-Status} ${Package}\\n";
/** A first run on a server whose Docker is installed but disabled and stopped (e.g. after a failed boot). */
const firstRunCalls = [
    dpkgQuery,
    "systemctl show --property=UnitFileState --value docker",
    "systemctl enable docker",
    "systemctl show --property=ActiveState --value docker",
    "systemctl start docker",
    dockerPs,
    chownData,
    dockerRun(),
    discoveryCall,
    tokenCall,
    adminConsoleCall,
];

/**
 * Stubs for this file (tests/fixtures/identity/*.sh), run like the shared ones: shared stub library, call
 * recording and failure injection, then the body (docker is the shared stub, which keeps kc.sh's arguments after
 * the image in state "container-command"). curl: the discovery document and token endpoint of a running Keycloak (state
 * "keycloak"). chown: records only.
 */
const fixtures = path.join(__dirname, "..", "fixtures", "identity");
const localStubs: Record<string, boolean> = { curl: true, chown: false };

function installLocalStubs(host: StubHost): void {
    const shebang = fs.readFileSync(path.join(host.bin, "docker"), "utf8").split("\n")[0];
    const lib = path.join(host.dir, "stub-lib.sh");
    for (const [name, readsStdin] of Object.entries(localStubs)) {
        const text = [
            shebang,
            `STUB_READS_STDIN=${readsStdin ? 1 : 0}`,
            `source '${lib}'`,
            'stub_record "$@"',
            'stub_fail_if_told "$@"',
            fs.readFileSync(path.join(fixtures, `${name}.sh`), "utf8"),
        ].join("\n");
        const file = path.join(host.bin, name);
        fs.rmSync(file, { force: true });
        fs.writeFileSync(file, text, { mode: 0o755 });
    }
    host.setState("keycloak", [`login zta-client:${secrets.clientSecret}`]);
}

const pool = hostPool(installLocalStubs);
afterAll(pool.cleanup);

/** A server after the registry setup: Docker Engine and curl installed, Docker enabled and running. */
function readyHost(): StubHost {
    const host = pool.fresh();
    host.setState("dpkg", ["ca-certificates 1", "curl 1", "docker.io 26.1.5"]);
    host.setState("enabled", ["docker"]);
    host.setState("active", ["docker"]);
    return host;
}

function run(host: StubHost, text = script, input = stdin): ScriptRun {
    return host.run(text, { stdin: input });
}

function lines(host: StubHost, calls: readonly StubCall[], hash?: string): string[] {
    return calls.map((c) => {
        const line = commandLine(c).split(host.root).join("<ROOT>");
        return hash ? line.split(hash).join("<HASH>") : line;
    });
}

function changes(host: StubHost, r: ScriptRun, hash?: string): string[] {
    return lines(host, r.calls.filter(isStateChanging), hash);
}

/** The label the script must compute: image, ports, data dir, arguments, then the sha256 of each file it reads. */
function expectedHash(host: StubHost, image = keycloakImage): string {
    const sha = (text: string) => createHash("sha256").update(text).digest("hex");
    const files = ["tls/tls.crt", "tls/tls.key", "import/realm.json", "keycloak.env"];
    const head = [
        image,
        "10.0.0.2",
        "8443",
        "9000",
        "/var/lib/zta-keycloak/data",
        ...keycloakArgs("https://keycloak.lab:8443", { adminSurface: false }),
    ];
    return sha(head.map((l) => `${l}\n`).join("") + files.map((f) => `${sha(host.file(`/etc/zta-keycloak/${f}`) ?? "")}  -\n`).join(""));
}

function expectNoLeaks(r: ScriptRun): void {
    for (const [name, value] of Object.entries(secretValues)) {
        expect([name, leaksOf(r, value)]).toEqual([name, []]);
    }
}

/** A realm whose client holds the secret itself: what the host renderer must refuse to embed in its script. */
function literalSecretRealm(): typeof realm {
    const representation = JSON.parse(realm.json.replace("${ZTA_CLIENT_SECRET}", secrets.clientSecret));
    return { ...realm, representation, json: `${JSON.stringify(representation, null, 2)}\n` };
}

describe("renderKeycloakSetup: rendering", () => {
    test("bash -n and shellcheck are clean, with and without a test user, and for the removal", () => {
        for (const text of [script, renderKeycloakSetup({ ...hostInput, realm: realmWithUser }), renderKeycloakRemove()]) {
            expect(bashSyntax(text)).toBe("");
            expect(shellcheck(text)).toBe("");
        }
    });

    test("is pure, and neither the script nor the secret bundle's framing holds a secret in clear", () => {
        expect(renderKeycloakSetup({ ...hostInput })).toBe(script);
        for (const value of Object.values(secretValues)) {
            expect(script).not.toContain(value);
            expect(stdin).not.toContain(value);
        }
        const [header, ...rest] = stdin.split("\n");
        expect(header).toBe("zta-keycloak-secrets-v2");
        expect(rest.map((l) => Buffer.from(l, "base64").toString("utf8"))).toEqual([
            keyPem,
            secrets.clientSecret,
            secrets.realmSigningKey,
            "",
            "",
        ]);
    });

    test.each<[string, Partial<KeycloakSetupInput>, string]>([
        ["a host with a scheme", { hostname: "https://keycloak.lab" }, "hostname:"],
        ["a host in upper case", { hostname: "Keycloak.lab" }, "hostname:"],
        ["a host the realm's issuer does not use", { hostname: "id.lab" }, "hostname: this Keycloak issues tokens as"],
        ["port 0", { port: 0 }, "port:"],
        ["every interface as bind address", { bindAddress: "0.0.0.0" }, "bindAddress:"],
        ["loopback as bind address (clusters could not reach it)", { bindAddress: "127.0.0.1" }, "bindAddress:"],
        ["a name as bind address", { bindAddress: "keycloak.lab" }, "bindAddress:"],
        ["the management port equal to the HTTPS port", { mgmtPort: 8443 }, "mgmtPort:"],
        ["no start attempts", { startAttempts: 0 }, "startAttempts:"],
        ["the latest tag", { image: "quay.io/keycloak/keycloak:latest" }, "image:"],
        ["an image with shell syntax", { image: "keycloak:26;reboot" }, "image:"],
        ["a certificate that is a key", { tlsCertPem: keyPem }, "tlsCertPem:"],
        ["a CA that is not PEM", { caPem: "hello" }, "caPem:"],
        ["the root directory as data dir", { dataDir: "/" }, "dataDir:"],
        ["/var/lib itself as data dir", { dataDir: "/var/lib/keycloak" }, "dataDir:"],
        ["a data dir with ..", { dataDir: "/var/lib/zta/../../etc" }, "dataDir:"],
        [
            "a realm file edited after rendering",
            { realm: { ...realm, json: realm.json.replace("${ZTA_CLIENT_SECRET}", secrets.clientSecret) } },
            "realm: its json and representation differ",
        ],
        [
            "a realm that carries a literal client secret",
            { realm: literalSecretRealm() },
            "realm: the client secret must be the placeholder ${ZTA_CLIENT_SECRET}",
        ],
    ])("refuses %s, naming the field", (_what, change, message) => {
        expect(() => renderKeycloakSetup({ ...hostInput, ...change })).toThrow(message);
    });

    test.each<[string, Partial<KeycloakSecrets>, string]>([
        ["a certificate as key", { serverKeyPem: certPem }, "serverKeyPem:"],
        ["a short client secret", { clientSecret: "short" }, "clientSecret:"],
        ["a client secret with a quote", { clientSecret: `${"x".repeat(32)}"` }, "clientSecret:"],
        ["a test user password with a dollar", { testUserPassword: "Password$12345" }, "testUserPassword:"],
    ])("renderKeycloakSecrets refuses %s, naming the field but not the value", (_what, change, message) => {
        const bad = { ...secrets, ...change };
        expect(() => renderKeycloakSecrets(bad)).toThrow(message);
        try {
            renderKeycloakSecrets(bad);
        } catch (error) {
            for (const value of [bad.serverKeyPem, bad.clientSecret]) {
                expect((error as Error).message).not.toContain(value);
            }
        }
    });
});

describe("renderKeycloakSetup: a new Keycloak on the registry's server, run twice", () => {
    let host: StubHost;
    let first: ScriptRun;
    let second: ScriptRun;
    let filesAfterFirst: ReturnType<StubHost["files"]>;
    let hash: string;
    beforeAll(() => {
        host = readyHost();
        host.setState("enabled", []);
        host.setState("active", []);
        first = run(host);
        filesAfterFirst = host.files();
        hash = expectedHash(host);
        second = run(host);
    });

    test("the first run makes exactly the expected calls, in order", () => {
        expect(first.stderr).toBe("");
        expect(first.status).toBe(0);
        expect(lines(host, first.calls, hash)).toEqual(firstRunCalls);
        expect(first.stdout).toMatch(/zta: Keycloak: \d+ change\(s\)\n$/);
    });

    test("the container runs the pinned image with kc.sh start --import-realm, secrets only via --env-file", () => {
        expect(host.readState("containers")).toEqual([`zta-keycloak true ${hash} ${keycloakImage}`]);
        expect(host.readState("container-command")).toEqual(keycloakArgs("https://keycloak.lab:8443", { adminSurface: false }));
        expect(host.readState("container-command")).not.toContain("start-dev");
        const docker = first.calls.find((c) => c.name === "docker" && c.argv[0] === "run");
        expect(docker?.argv).toContain("--env-file");
        expect(docker?.argv.filter((a) => a === "-e" || a === "--env" || /KC_BOOTSTRAP|ZTA_/.test(a))).toEqual([]);
    });

    test("no admin surface: no bootstrap admin in the environment, the admin console and admin API disabled", () => {
        expect(filesAfterFirst["/etc/zta-keycloak/keycloak.env"].content).not.toContain("KC_BOOTSTRAP_ADMIN");
        expect(host.readState("container-command")).toContain("--features-disabled=admin,admin-api");
        expect(lines(host, first.calls)).toContain(adminConsoleCall);
    });

    test("published on the management address only (the management port on loopback only)", () => {
        const docker = first.calls.find((c) => c.name === "docker" && c.argv[0] === "run");
        const argv = docker?.argv ?? [];
        expect(argv.flatMap((a, i) => (argv[i - 1] === "--publish" ? [a] : []))).toEqual(["10.0.0.2:8443:8443", "127.0.0.1:9000:9000"]);
    });

    test("no secret leaks: not in any argv, command environment, stdout or stderr, in either run", () => {
        expectNoLeaks(first);
        expectNoLeaks(second);
    });

    test("the client secret reaches curl only on its stdin, as a curl config", () => {
        const token = first.calls.find((c) => lines(host, [c])[0] === tokenCall);
        expect(token?.stdin).toBe(`user = "zta-client:${secrets.clientSecret}"\ndata = "grant_type=client_credentials"\n`);
        const discovery = first.calls.find((c) => lines(host, [c])[0] === discoveryCall);
        expect(discovery?.stdin).toBe("");
    });

    test("files: key 640, env file 600, the rest 644, data dir 700; contents as given", () => {
        expect(Object.fromEntries(Object.entries(filesAfterFirst).map(([f, s]) => [f, s.mode]))).toEqual({
            "/etc/zta-keycloak/ca.crt": "644",
            "/etc/zta-keycloak/import/realm.json": "644",
            "/etc/zta-keycloak/keycloak.env": "600",
            "/etc/zta-keycloak/tls/tls.crt": "644",
            "/etc/zta-keycloak/tls/tls.key": "640",
        });
        expect(filesAfterFirst["/etc/zta-keycloak/keycloak.env"].content).toBe(
            `ZTA_CLIENT_SECRET=${secrets.clientSecret}\nZTA_REALM_SIGNING_KEY=${secrets.realmSigningKey}\n`,
        );
        expect(filesAfterFirst["/etc/zta-keycloak/tls/tls.key"].content).toBe(keyPem);
        expect(filesAfterFirst["/etc/zta-keycloak/import/realm.json"].content).toBe(realm.json);
        expect(filesAfterFirst["/etc/zta-keycloak/tls/tls.crt"].content).toBe(certPem);
        expect((fs.statSync(`${host.root}/var/lib/zta-keycloak/data`).mode & 0o777).toString(8)).toBe("700");
    });

    test("the second run changes nothing: no docker run/rm or chown; files not rewritten", () => {
        expect(second.stderr).toBe("");
        expect(second.status).toBe(0);
        expect(changes(host, second)).toEqual([]);
        expect(lines(host, second.calls, hash)).toEqual([
            dpkgQuery,
            "systemctl show --property=UnitFileState --value docker",
            "systemctl show --property=ActiveState --value docker",
            dockerPs,
            dockerInspect,
            discoveryCall,
            tokenCall,
            adminConsoleCall,
        ]);
        expect(second.stdout).toBe("zta: Keycloak: 0 change(s)\n");
        expect(host.files()).toEqual(filesAfterFirst);
    });
});

describe("renderKeycloakSetup: Docker Engine", () => {
    test.each<[string, string[], string]>([
        [
            "no Docker Engine",
            ["curl 1"],
            "zta: docker: no Docker Engine installed (docker.io or docker-ce); the registry setup installs it",
        ],
        ["no curl", ["docker-ce 5:27.0.0-1"], "zta: curl: not installed (the post-start check needs it)"],
    ])("%s: stops with a clear message and installs nothing", (_what, packages, message) => {
        const host = pool.fresh();
        host.setState("dpkg", packages);
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(message);
        expect(lines(host, r.calls)).toEqual([dpkgQuery]);
        expect(host.files()).toEqual({});
    });
});

describe("renderKeycloakSetup: failures stop the script", () => {
    function expectStoppedAt(host: StubHost, r: ScriptRun, command: string): void {
        expect(r.status).not.toBe(0);
        expect(r.calls.filter((c) => c.failed)).toHaveLength(1);
        expect(lines(host, r.calls).at(-1)?.startsWith(command)).toBe(true);
        expect(r.calls.some((c) => c.name === "curl")).toBe(false);
        expect(r.stdout).not.toContain("Keycloak:");
        expectNoLeaks(r);
    }

    test("a failing systemctl stops it at once", () => {
        const host = readyHost();
        host.setState("enabled", []);
        host.failOn("systemctl enable docker");
        expectStoppedAt(host, run(host), "systemctl enable docker");
    });

    test("a failing docker run stops it at once; the next run starts the container from an emptied data directory", () => {
        const host = readyHost();
        host.failOn("docker run");
        expectStoppedAt(host, run(host), "docker run");
        host.failOn();
        const r = run(host);
        expect(r.status).toBe(0);
        // Without a container nothing vouches for the data directory: it is emptied like any other.
        expect(changes(host, r, expectedHash(host))).toEqual([chownData, dockerRun()]);
    });
});

describe("renderKeycloakSetup: the post-start check, against a running Keycloak", () => {
    let host: StubHost;
    beforeAll(() => {
        host = readyHost();
        expect(run(host).status).toBe(0);
    });
    const login = `login zta-client:${secrets.clientSecret}`;

    test("an issuer other than the realm's FAILS the run, naming both", () => {
        host.setState("keycloak", [login, "issuer https://localhost:8443/realms/zta"]);
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(
            `zta: keycloak: the issuer is https://localhost:8443/realms/zta, expected ${issuer} (tokens would not match the mesh's RequestAuthentication)\n`,
        );
        expect(lines(host, r.calls)).not.toContain(tokenCall);
    });

    test("a Keycloak that refuses the client secret (placeholder not resolved) FAILS the run without leaking it", () => {
        host.setState("keycloak", ["login zta-client:${ZTA_CLIENT_SECRET}"]);
        const r = run(host);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(
            `zta: keycloak: ${issuer}/protocol/openid-connect/token answered 401 to the client's credentials; expected 200 (was ZTA_CLIENT_SECRET set when the realm was imported?)\n`,
        );
        expectNoLeaks(r);
    });

    test("waits for a slow start: 2 refused connections and a 503, with pauses, then success", () => {
        host.setState("keycloak", [login, "down 2", "starting 1"]);
        const r = run(host);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(lines(host, r.calls).slice(-9)).toEqual([
            discoveryCall,
            "sleep 5",
            discoveryCall,
            "sleep 5",
            discoveryCall,
            "sleep 5",
            discoveryCall,
            tokenCall,
            adminConsoleCall,
        ]);
    });

    test("an admin console that answers FAILS the run: the admin features must be disabled", () => {
        host.setState("keycloak", [login]);
        const withConsole = renderKeycloakSetup(hostInput).replace("    '--features-disabled=admin,admin-api'\n", "");
        const r = run(host, withConsole);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(
            "zta: keycloak: https://keycloak.lab:8443/admin/master/console/ serves the admin console; expected it disabled (--features-disabled=admin,admin-api)\n",
        );
    });

    test("gives up after startAttempts attempts (default 60, 5 s apart) with a clear message", () => {
        expect(script).toContain("\nattempts=60\n");
        host.setState("keycloak", [login, "down 1000"]);
        const r = run(host, renderKeycloakSetup({ ...hostInput, startAttempts: 3 }));
        expect(r.status).not.toBe(0);
        expect(lines(host, r.calls).slice(-5)).toEqual([discoveryCall, "sleep 5", discoveryCall, "sleep 5", discoveryCall]);
        expect(r.stderr).toBe(
            `zta: keycloak: no 200 from ${issuer}/.well-known/openid-configuration after 3 attempts (last: curl exit status 7)\n`,
        );
    });
});

describe("renderKeycloakSetup: one server through a sequence of changes", () => {
    let host: StubHost;
    const database = "/var/lib/zta-keycloak/data/h2/keycloakdb.mv.db";
    beforeAll(() => {
        host = readyHost();
        expect(run(host).status).toBe(0);
    });

    test("a stopped container with the same configuration is recreated and keeps its database", () => {
        const hash = expectedHash(host);
        host.putFile(database, "realm and signing keys");
        host.setState("containers", [`zta-keycloak false ${hash} ${keycloakImage}`]);
        const r = run(host);
        expect(r.status).toBe(0);
        expect(changes(host, r, hash)).toEqual(["docker rm --force zta-keycloak", dockerRun()]);
        expect(host.file(database)).toBe("realm and signing keys");
    });

    test("a realm change recreates the container once, from an emptied database", () => {
        const changedRealm = realmImport({ ...realmInput, accessTokenLifespanSeconds: 120 });
        const r = run(host, renderKeycloakSetup({ ...hostInput, realm: changedRealm }));
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(changes(host, r, expectedHash(host))).toEqual(["docker rm --force zta-keycloak", chownData, dockerRun()]);
        expect(r.stdout).toContain("zta: changed: emptied /var/lib/zta-keycloak/data\n");
        expect(host.file(database)).toBeUndefined();
    });

    test("a rotated client secret recreates the container (the env file is hashed) without leaking", () => {
        const rotated = `${secrets.clientSecret}-rotated`;
        host.setState("keycloak", [`login zta-client:${rotated}`]);
        const r = run(host, script, renderKeycloakSecrets({ ...secrets, clientSecret: rotated }));
        expect(r.status).toBe(0);
        expect(changes(host, r, expectedHash(host))).toEqual(["docker rm --force zta-keycloak", chownData, dockerRun()]);
        expect(leaksOf(r, rotated)).toEqual([]);
    });
});

describe("renderKeycloakSetup: the secret bundle", () => {
    const bundle = stdin.split("\n");
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    test.each<[string, string, string]>([
        ["no stdin", "", "no header line"],
        ["another header", stdin.replace("zta-keycloak-secrets-v2", "v0"), "wrong header line"],
        [
            "the previous bundle (with a bootstrap admin)",
            stdin.replace("zta-keycloak-secrets-v2", "zta-keycloak-secrets-v1"),
            "wrong header line",
        ],
        ["a missing test user password line", `${bundle.slice(0, 4).join("\n")}\n`, "no test user password line"],
        ["extra data", `${stdin}more\n`, "data after the test user password line"],
        ["a key that is not PEM", [bundle[0], b64("hello"), ...bundle.slice(2)].join("\n"), "server key is not a PEM private key"],
        [
            "a short client secret",
            [...bundle.slice(0, 2), b64("short"), ...bundle.slice(3)].join("\n"),
            "client secret is not 32-128 characters of [A-Za-z0-9_-]",
        ],
        [
            "a test user password for a realm without test user",
            renderKeycloakSecrets({ ...secrets, testUserPassword: secretValues.testUserPassword }),
            "a test user password, but the realm has no test user",
        ],
    ])("%s: refused before any command runs", (_what, input, message) => {
        const host = pool.fresh();
        const r = run(host, script, input);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toBe(`zta: stdin: expected the Keycloak secret bundle (${message})\n`);
        expect(r.calls).toEqual([]);
        expect(host.files()).toEqual({});
    });

    test("a realm with a test user requires its password, and passes it to Keycloak in the env file only", () => {
        const text = renderKeycloakSetup({ ...hostInput, realm: realmWithUser });
        const missing = run(pool.fresh(), text);
        expect(missing.stderr).toContain("the realm has a test user: test user password must be 12-128 characters");
        const host = readyHost();
        const r = run(host, text, renderKeycloakSecrets({ ...secrets, testUserPassword: secretValues.testUserPassword }));
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(host.file("/etc/zta-keycloak/keycloak.env")).toContain(`\nZTA_TEST_USER_PASSWORD=${secretValues.testUserPassword}\n`);
        expectNoLeaks(r);
    });
});

describe("renderKeycloakRemove (destroy)", () => {
    const remove = renderKeycloakRemove();

    /** What a setup leaves behind (the removal does not depend on how it got there). */
    function setUpHost(): StubHost {
        const host = readyHost();
        host.setState("containers", [`zta-keycloak true ${"0".repeat(64)} ${keycloakImage}`]);
        host.putFile("/etc/zta-keycloak/keycloak.env", `ZTA_CLIENT_SECRET=${secrets.clientSecret}\n`, 0o600);
        host.putFile("/etc/zta-keycloak/tls/tls.key", keyPem, 0o640);
        host.putFile("/var/lib/zta-keycloak/data/h2/keycloakdb.mv.db", "realm and signing keys", 0o600);
        return host;
    }

    test("removes the container, the configuration (key, env file) and the database; a second run changes nothing", () => {
        const host = setUpHost();
        const first = run(host, remove, "");
        expect(first.stderr).toBe("");
        expect(first.status).toBe(0);
        expect(changes(host, first)).toEqual(["docker rm --force zta-keycloak"]);
        expect(first.stdout).toContain("zta: changed: removed /var/lib/zta-keycloak/data\n");
        expect(host.readState("containers")).toEqual([]);
        expect(host.files()).toEqual({});
        expect(fs.existsSync(`${host.root}/var/lib/zta-keycloak/data`)).toBe(false);
        const second = run(host, remove, "");
        expect(second.status).toBe(0);
        expect(second.stdout).toBe("zta: Keycloak removal: 0 change(s)\n");
    });

    test("a failing docker stops the removal before the secrets are deleted", () => {
        const host = setUpHost();
        host.failOn("docker rm");
        expect(run(host, remove, "").status).not.toBe(0);
        expect(host.file("/etc/zta-keycloak/keycloak.env")).toBeDefined();
    });

    test("refuses a data dir it must not delete", () => {
        expect(() => renderKeycloakRemove({ dataDir: "/var/lib" })).toThrow("dataDir:");
    });
});
