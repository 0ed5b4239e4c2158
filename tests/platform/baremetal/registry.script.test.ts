/** The registry setup script, run against stub system commands in a scratch ROOT (tests/platform/baremetal/stubs.ts). */
import bcrypt from "bcryptjs";
import * as fs from "node:fs";
import {
    RegistrySetupInput,
    renderRegistryHtpasswd,
    renderRegistrySecrets,
    renderRegistryRemove,
    renderRegistrySetup,
} from "../../../components/platform/baremetal/registry";
import {
    caPem,
    certPem,
    changes,
    cleanupHosts,
    dockerInspect,
    dockerPs,
    dockerRun,
    expectedHash,
    expectedPushHash,
    dockerInspectPush,
    firstRunCalls,
    freshHost,
    htpasswd,
    httpSecret,
    input,
    keyPem,
    lines,
    password,
    pushHtpasswd,
    pushPassword,
    pushUsername,
    run,
    script,
    secrets,
    secretValues,
    stdin,
    username,
} from "./registry.shared";
import { bashSyntax, leaksOf, ScriptRun, shellcheck, StubHost } from "./stubs";

afterAll(cleanupHosts);

describe("renderRegistryHtpasswd", () => {
    test("renders user:$2b$ bcrypt that verifies the password and does not contain it", () => {
        expect(htpasswd).toMatch(/^zta-admin:\$2b\$10\$[./A-Za-z0-9]{53}$/);
        expect(bcrypt.compareSync(password, htpasswd.slice(username.length + 1))).toBe(true);
        expect(bcrypt.compareSync(`${password}x`, htpasswd.slice(username.length + 1))).toBe(false);
        expect(htpasswd).not.toContain(password);
    });

    test("salts randomly: two lines for the same password differ, both verify", () => {
        const other = renderRegistryHtpasswd(username, password, 10);
        expect(other).not.toBe(htpasswd);
        expect(bcrypt.compareSync(password, other.slice(username.length + 1))).toBe(true);
    });

    test.each<[string, string, string, number, string]>([
        ["a user with a colon", "a:b", "pw", 10, "user:"],
        ["an empty user", "", "pw", 10, "user:"],
        ["an empty password", "u", "", 10, "password:"],
        ["a password bcrypt would truncate", "u", "x".repeat(73), 10, "password:"],
        ["too few rounds", "u", "pw", 4, "saltRounds:"],
    ])("refuses %s, naming the field", (_what, user, pw, rounds, message) => {
        expect(() => renderRegistryHtpasswd(user, pw, rounds)).toThrow(message);
    });
});

describe("renderRegistrySecrets", () => {
    test("frames the secrets as a header and six base64 lines", () => {
        const [header, ...rest] = stdin.split("\n");
        expect(header).toBe("zta-registry-secrets-v2");
        expect(rest).toHaveLength(7);
        expect(rest[6]).toBe("");
        const decoded = rest.slice(0, 6).map((l) => Buffer.from(l, "base64").toString("utf8"));
        expect(decoded).toEqual([
            keyPem,
            `${htpasswd}\n`,
            httpSecret,
            `${username}:${password}`,
            `${pushHtpasswd}\n`,
            `${pushUsername}:${pushPassword}`,
        ]);
    });

    test.each<[string, Partial<typeof secrets>, string]>([
        ["a certificate as key", { serverKeyPem: certPem }, "serverKeyPem:"],
        ["an htpasswd line that is not bcrypt", { htpasswd: "zta-admin:{SHA}abc" }, "htpasswd:"],
        ["a short http secret", { httpSecret: "short" }, "httpSecret:"],
        ["an http secret with a newline", { httpSecret: `${httpSecret}\nX=1` }, "httpSecret:"],
        ["a login that is not the htpasswd user", { username: "other" }, 'username: "other" is not the user'],
        ["a password with a newline", { password: "a\nb" }, "password:"],
        ["no push htpasswd line", { pushHtpasswd: "" }, "pushHtpasswd:"],
        ["a push login that is not the push htpasswd user", { pushUsername: "other" }, 'pushUsername: "other" is not the user'],
        [
            "the pull user as push user (its login is in every pull Secret)",
            { pushUsername: username, pushHtpasswd: renderRegistryHtpasswd(username, pushPassword, 10) },
            "pushUsername: must differ from the pull user",
        ],
        ["a push password with a newline", { pushPassword: "a\nb" }, "pushPassword:"],
    ])("refuses %s, naming the field but not the value", (_what, change, message) => {
        const bad = { ...secrets, ...change };
        expect(() => renderRegistrySecrets(bad)).toThrow(message);
        try {
            renderRegistrySecrets(bad);
        } catch (error) {
            for (const value of [bad.serverKeyPem, bad.httpSecret, bad.password, bad.pushPassword]) {
                expect((error as Error).message).not.toContain(value);
            }
        }
    });
});

describe("rendering", () => {
    test("bash -n and shellcheck are clean", () => {
        expect(bashSyntax(script)).toBe("");
        expect(shellcheck(script)).toBe("");
    });

    test("is pure, and the script text holds no secret", () => {
        expect(renderRegistrySetup({ ...input })).toBe(script);
        for (const value of Object.values(secretValues)) {
            expect(script).not.toContain(value);
        }
    });

    test("config.yml: filesystem storage, TLS >= 1.2, htpasswd auth, no http.secret in the file", () => {
        const host = freshHost();
        expect(run(host).status).toBe(0);
        const config = host.file("/etc/zta-registry/config/config.yml") ?? "";
        for (const line of [
            "version: 0.1",
            "  filesystem:\n    rootdirectory: /var/lib/registry",
            "  addr: :5000",
            "    certificate: /etc/docker/registry/server.crt",
            "    key: /etc/docker/registry/server.key",
            "    minimumtls: tls1.2",
            "  htpasswd:\n    realm: zta-registry\n    path: /etc/docker/registry/htpasswd",
        ]) {
            expect(config).toContain(`\n${line}\n`);
        }
        expect(config).not.toMatch(/^\s*secret:/m);
    });

    test.each<[string, Partial<RegistrySetupInput>, string]>([
        ["a host with a scheme", { advertisedHost: "https://registry.lab" }, "advertisedHost:"],
        ["a host with a port", { advertisedHost: "registry.lab:5000" }, "advertisedHost:"],
        ["port 0", { port: 0 }, "port:"],
        ["port 70000", { port: 70000 }, "port:"],
        ["a fractional port", { port: 50.5 }, "port:"],
        ["an image without a tag", { image: "registry" }, "image:"],
        ["an image pinned by digest only", { image: `registry@sha256:${"a".repeat(64)}` }, "image:"],
        ["the latest tag", { image: "registry:latest" }, 'image: "registry:latest" is not pinned'],
        ["the LATEST tag", { image: "docker.io/library/registry:LATEST" }, "image:"],
        ["an image with shell syntax", { image: "registry:2.8.3;reboot" }, "image:"],
        ["a server certificate that is a key", { serverCertPem: keyPem }, "serverCertPem:"],
        ["a CA that is not PEM", { caPem: "hello" }, "caPem:"],
        ["a relative data dir", { dataDir: "data" }, "dataDir:"],
        ["a data dir with ..", { dataDir: "/var/lib/../etc" }, "dataDir:"],
        ["a data dir inside the config dir", { dataDir: "/etc/zta-registry/data" }, "dataDir:"],
        ["a realm with a quote", { realm: 'a"b' }, "realm:"],
        ["no bind address (every interface)", { bindAddress: "0.0.0.0" }, "bindAddress:"],
        ["a bind address that is a name", { bindAddress: "registry.lab" }, "bindAddress:"],
        // loopback: the clusters could not pull, and the push registry listens there on the same port
        ["a loopback bind address", { bindAddress: "127.0.0.1" }, "bindAddress:"],
    ])("refuses %s, naming the field", (_what, change, message) => {
        expect(() => renderRegistrySetup({ ...input, ...change })).toThrow(message);
    });

    test("accepts an image from a registry with a port, pinned by tag and digest", () => {
        const image = `mirror.lab:5000/library/registry:2.8.3@sha256:${"0".repeat(64)}`;
        expect(renderRegistrySetup({ ...input, image })).toContain(`IMAGE='${image}'`);
    });
});

describe("a fresh machine, run twice", () => {
    let host: StubHost;
    let first: ScriptRun;
    let second: ScriptRun;
    let filesAfterFirst: ReturnType<StubHost["files"]>;
    let filesAfterSecond: ReturnType<StubHost["files"]>;
    let hash: string;
    let pushHash: string;
    beforeAll(() => {
        host = freshHost();
        first = run(host);
        filesAfterFirst = host.files();
        hash = expectedHash(host);
        pushHash = expectedHash(host, undefined, undefined, undefined, undefined, true);
        second = run(host);
        filesAfterSecond = host.files();
    });

    test("the first run makes exactly the expected calls, in order", () => {
        expect(first.stderr).toBe("");
        expect(first.status).toBe(0);
        expect(lines(host, first.calls, hash, pushHash)).toEqual(firstRunCalls);
        expect(first.stdout).toMatch(/zta: Container registry: \d+ change\(s\)\n$/);
    });

    test("both containers run the pinned image, each labelled with the hash of everything it reads", () => {
        expect(host.readState("containers")).toEqual([
            `zta-registry true ${hash} registry:2.8.3`,
            `zta-registry-push true ${pushHash} registry:2.8.3`,
        ]);
        expect(lines(host, first.calls)).toContain(dockerRun(hash));
        expect(lines(host, first.calls)).toContain(dockerRun(pushHash, undefined, undefined, true));
    });

    test("each container is published on one address only (pull: management, push: loopback), without capabilities, read-only, no new privileges", () => {
        const runs = first.calls.filter((c) => c.name === "docker" && c.argv[0] === "run");
        expect(runs).toHaveLength(2);
        const published = runs.map((r) => r.argv.flatMap((a, i) => (r.argv[i - 1] === "--publish" ? [a] : [])));
        expect(published).toEqual([["10.0.0.2:5000:5000"], ["127.0.0.1:5000:5000"]]);
        for (const { argv } of runs) {
            expect(argv).toEqual(
                expect.arrayContaining([
                    "--cap-drop=ALL",
                    "--security-opt=no-new-privileges",
                    "--read-only",
                    "--tmpfs=/tmp:rw,noexec,nosuid,nodev,size=64m",
                ]),
            );
            expect(argv).not.toContain("--privileged");
            expect(argv.filter((a) => a.startsWith("--cap-add"))).toEqual([]);
        }
    });

    test("the cluster-facing registry is read-only and its login cannot push; pushes need the push login on loopback", () => {
        const pull = filesAfterFirst["/etc/zta-registry/config/config.yml"].content;
        const push = filesAfterFirst["/etc/zta-registry/push/config.yml"].content;
        expect(pull).toContain("\n  maintenance:\n    readonly:\n      enabled: true\n");
        expect(push).not.toContain("readonly");
        // Separate htpasswd files: the push registry knows only the push user.
        expect(filesAfterFirst["/etc/zta-registry/push/htpasswd"].content).toBe(`${pushHtpasswd}\n`);
        expect(filesAfterFirst["/etc/zta-registry/config/htpasswd"].content).toBe(`${htpasswd}\n`);
        // The check proved it: an upload with the pull login got 405, the pull login on the push registry 401.
        const curls = lines(host, first.calls).filter((l) => l.startsWith("curl "));
        expect(curls).toEqual(firstRunCalls.filter((l) => l.startsWith("curl ")));
    });

    test("the logins reach curl only on its stdin, escaped for curl's config syntax", () => {
        const withLogin = first.calls.filter((c) => c.name === "curl" && c.argv.includes("--config"));
        const pullConfig = `user = "${username}:Pw-\\"q\\\\uo t$e-7Kx9"\n`;
        expect(withLogin.map((c) => c.stdin)).toEqual([pullConfig, pullConfig, `user = "${pushUsername}:${pushPassword}"\n`, pullConfig]);
        const anonymous = first.calls.filter((c) => c.name === "curl" && !c.argv.includes("--config"));
        expect(anonymous.map((c) => c.stdin)).toEqual(["", ""]);
    });

    test("no secret leaks: not in any argv, command environment, stdout or stderr, in either run", () => {
        for (const r of [first, second]) {
            for (const [name, value] of Object.entries(secretValues)) {
                expect([name, leaksOf(r, value)]).toEqual([name, []]);
            }
        }
    });

    test("files: secrets mode 600, the rest 644, data dir 700; contents as given", () => {
        const files = filesAfterFirst;
        expect(Object.fromEntries(Object.entries(files).map(([f, s]) => [f, s.mode]))).toEqual({
            "/etc/zta-registry/ca.crt": "644",
            "/etc/zta-registry/config/config.yml": "644",
            "/etc/zta-registry/config/htpasswd": "600",
            "/etc/zta-registry/config/server.crt": "644",
            "/etc/zta-registry/config/server.key": "600",
            "/etc/zta-registry/push/config.yml": "644",
            "/etc/zta-registry/push/htpasswd": "600",
            "/etc/zta-registry/push/server.crt": "644",
            "/etc/zta-registry/push/server.key": "600",
            "/etc/zta-registry/registry.env": "600",
        });
        expect(files["/etc/zta-registry/config/server.key"].content).toBe(keyPem);
        expect(files["/etc/zta-registry/config/htpasswd"].content).toBe(`${htpasswd}\n`);
        expect(files["/etc/zta-registry/registry.env"].content).toBe(`REGISTRY_HTTP_SECRET=${httpSecret}\n`);
        expect(files["/etc/zta-registry/config/server.crt"].content).toBe(certPem);
        expect(files["/etc/zta-registry/ca.crt"].content).toBe(caPem);
        expect((fs.statSync(`${host.root}/var/lib/zta-registry/data`).mode & 0o777).toString(8)).toBe("700");
    });

    test("the second run changes nothing: no apt-get, docker run/rm; files byte-identical and not rewritten", () => {
        expect(second.stderr).toBe("");
        expect(second.status).toBe(0);
        expect(changes(host, second)).toEqual([]);
        expect(lines(host, second.calls, hash)).toEqual([
            firstRunCalls[0],
            firstRunCalls[3],
            firstRunCalls[5],
            dockerPs,
            dockerInspect,
            dockerPs,
            dockerInspectPush,
            ...firstRunCalls.filter((l) => l.startsWith("curl ")),
        ]);
        expect(second.stdout).toBe("zta: Container registry: 0 change(s)\n");
        expect(filesAfterSecond).toEqual(filesAfterFirst);
    });
});

describe("an installed Docker Engine", () => {
    test("docker-ce from Docker's repository is kept: docker.io is not installed over it", () => {
        const host = freshHost();
        host.setState("dpkg", ["ca-certificates 1", "curl 1", "docker-ce 5:27.0.0-1"]);
        host.setState("enabled", ["docker"]);
        host.setState("active", ["docker"]);
        const r = run(host);
        expect(r.status).toBe(0);
        expect(changes(host, r, expectedHash(host), expectedPushHash(host))).toEqual([
            dockerRun("<HASH>"),
            dockerRun("<PUSH_HASH>", undefined, undefined, true),
        ]);
    });
});

describe("other containers", () => {
    test("containers whose names merely contain zta-registry are left alone", () => {
        const host = freshHost();
        host.setState("containers", ["zta-registry-old true x registry:2.7.0", "my-zta-registry false y registry:2.7.0"]);
        const r = run(host);
        expect(r.status).toBe(0);
        expect(lines(host, r.calls)).not.toContain(dockerInspect);
        expect(changes(host, r).filter((l) => l.startsWith("docker "))).toEqual([
            dockerRun(expectedHash(host)),
            dockerRun(expectedPushHash(host), undefined, undefined, true),
        ]);
        expect(host.readState("containers")).toHaveLength(4);
    });
});

describe("changes after the first run recreate the containers that read them, once", () => {
    test.each<[string, Partial<RegistrySetupInput>, Partial<typeof secrets>, "both" | "pull" | "push"]>([
        ["a new server certificate", { serverCertPem: certPem.replace("c2VydmVy", "bmV3Y2VydA==") }, {}, "both"],
        ["a new image tag", { image: "registry:2.8.4" }, {}, "both"],
        ["another bind address (the pull registry's)", { bindAddress: "10.0.0.3" }, {}, "pull"],
        ["another realm (config.yml)", { realm: "lab" }, {}, "both"],
        ["a new http secret", {}, { httpSecret: `${httpSecret}-rotated` }, "both"],
        ["a new htpasswd line", {}, { htpasswd: renderRegistryHtpasswd(username, password, 10) }, "pull"],
        ["a new push htpasswd line", {}, { pushHtpasswd: renderRegistryHtpasswd(pushUsername, pushPassword, 10) }, "push"],
    ])("%s", (_what, change, secretChange, which) => {
        const host = freshHost();
        expect(run(host).status).toBe(0);
        const text = renderRegistrySetup({ ...input, ...change });
        const input2 = renderRegistrySecrets({ ...secrets, ...secretChange });
        const r = run(host, text, input2);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const hash = expectedHash(host, change.image, undefined, undefined, change.bindAddress);
        const pushHash = expectedPushHash(host, change.image);
        const expected = [
            ...(which !== "push" ? ["docker rm --force zta-registry", dockerRun("<HASH>", change.image, change.bindAddress)] : []),
            ...(which !== "pull" ? ["docker rm --force zta-registry-push", dockerRun("<PUSH_HASH>", change.image, undefined, true)] : []),
        ];
        expect(changes(host, r, hash, pushHash)).toEqual(expected);
        const image = change.image ?? "registry:2.8.3";
        expect(host.readState("containers").sort()).toEqual(
            [`zta-registry true ${hash} ${image}`, `zta-registry-push true ${pushHash} ${image}`].sort(),
        );
        expect(changes(host, run(host, text, input2))).toEqual([]);
    });

    test("a CA change alone rewrites ca.crt but keeps the container (the registry does not read it)", () => {
        const host = freshHost();
        expect(run(host).status).toBe(0);
        const r = run(host, renderRegistrySetup({ ...input, caPem: certPem }));
        expect(r.status).toBe(0);
        expect(changes(host, r)).toEqual([]);
        expect(r.stdout).toBe("zta: changed: /etc/zta-registry/ca.crt\nzta: Container registry: 1 change(s)\n");
    });

    test("a stopped container is recreated", () => {
        const host = freshHost();
        expect(run(host).status).toBe(0);
        const hash = expectedHash(host);
        host.setState("containers", [
            `zta-registry false ${hash} registry:2.8.3`,
            `zta-registry-push true ${expectedPushHash(host)} registry:2.8.3`,
        ]);
        const r = run(host);
        expect(r.status).toBe(0);
        expect(changes(host, r, hash)).toEqual(["docker rm --force zta-registry", dockerRun("<HASH>")]);
    });

    test("a secret file whose mode drifted is set back to 600 and the container kept", () => {
        const host = freshHost();
        expect(run(host).status).toBe(0);
        host.putFile("/etc/zta-registry/config/server.key", keyPem, 0o644);
        const r = run(host);
        expect(r.status).toBe(0);
        expect(changes(host, r)).toEqual([]);
        expect(host.files()["/etc/zta-registry/config/server.key"].mode).toBe("600");
    });
});

describe("renderRegistryRemove (destroy)", () => {
    const remove = renderRegistryRemove();

    test("is bash -n and shellcheck clean", () => {
        expect(bashSyntax(remove)).toBe("");
        expect(shellcheck(remove)).toBe("");
    });

    test("after a setup: removes both containers and every secret-holding file, keeps the image data; a second run changes nothing", () => {
        const host = freshHost();
        expect(run(host).status).toBe(0);
        host.putFile("/var/lib/zta-registry/data/docker/registry/v2/blob", "image layer");
        const first = run(host, remove, "");
        expect(first.status).toBe(0);
        expect(changes(host, first)).toEqual(["docker rm --force zta-registry", "docker rm --force zta-registry-push"]);
        expect(host.readState("containers")).toEqual([]);
        expect(Object.keys(host.files()).filter((f) => f.startsWith("/etc/zta-registry"))).toEqual([]);
        expect(host.file("/var/lib/zta-registry/data/docker/registry/v2/blob")).toBe("image layer");
        const second = run(host, remove, "");
        expect(second.status).toBe(0);
        expect(changes(host, second)).toEqual([]);
        expect(second.stdout).toContain("0 change(s)");
    });

    test("a failing docker stops the removal with its status, before the configuration is deleted", () => {
        const host = freshHost();
        expect(run(host).status).toBe(0);
        host.failOn("docker rm");
        const r = run(host, remove, "");
        expect(r.status).not.toBe(0);
        expect(host.file("/etc/zta-registry/config/htpasswd")).toBeDefined();
    });
});
