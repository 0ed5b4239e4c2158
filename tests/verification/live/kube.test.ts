/**
 * Kube's exec credential plugins (components/verification/live/kube.ts): a fake plugin (a Node script written to a tmp
 * dir) run as client-go runs gke-gcloud-auth-plugin, and an HTTPS server on 127.0.0.1 that records what it was sent.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import type { IncomingMessage } from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { TLSSocket } from "node:tls";
import { stringify } from "yaml";
import {
    execClusterOf,
    execCredentialFresh,
    execCredentialRequest,
    Kube,
    parseExecConfig,
    readExecCredential,
    redactTokens,
    runExecPlugin,
    type ExecConfig,
} from "../../../components/verification/live/kube";

const v1beta1 = "client.authentication.k8s.io/v1beta1";
const v1 = "client.authentication.k8s.io/v1";
const secret = "ya29.FAKE-SECRET-TOKEN-0123456789";

/**
 * The fake plugin: FAKE_MODE picks its answer; every run appends a line to FAKE_COUNT. Its token is `secret` followed by
 * base64url of what it saw (argv, FAKE_GREETING, KUBERNETES_EXEC_INFO), so a test can read the request back.
 */
const pluginSource = `#!/usr/bin/env node
const fs = require("fs");
const env = process.env;
if (env.FAKE_COUNT) fs.appendFileSync(env.FAKE_COUNT, "run\\n");
const seen = { args: process.argv.slice(2), greeting: env.FAKE_GREETING, info: JSON.parse(env.KUBERNETES_EXEC_INFO) };
const token = ${JSON.stringify(secret)} + "." + Buffer.from(JSON.stringify(seen)).toString("base64url");
const apiVersion = env.FAKE_API_VERSION || seen.info.apiVersion;
const out = (status) => process.stdout.write(JSON.stringify({ apiVersion, kind: "ExecCredential", status }));
switch (env.FAKE_MODE) {
    case "cert":
        out({ clientCertificateData: fs.readFileSync(env.FAKE_CERT, "utf8"), clientKeyData: fs.readFileSync(env.FAKE_KEY, "utf8") });
        break;
    case "expired":
        out({ token: token + ".run" + (fs.readFileSync(env.FAKE_COUNT, "utf8").split("\\n").length - 1), expirationTimestamp: new Date(Date.now() - 1000).toISOString() });
        break;
    case "fail":
        process.stdout.write(JSON.stringify({ apiVersion, kind: "ExecCredential", status: { token } }));
        process.stderr.write("  ERROR: gcloud auth failed for " + ${JSON.stringify(secret)} + "; run gcloud auth login\\n" + "x".repeat(5000) + "\\n");
        process.exit(3);
    case "garbage":
        process.stdout.write("token=" + token);
        break;
    default:
        out({ token, expirationTimestamp: new Date(Date.now() + 3600_000).toISOString() });
}
`;

let dir = "";
let plugin = "";
let serverPem = { cert: "", key: "" };
let clientPem = { cert: "", key: "" };
const file = (name: string) => path.join(dir, name);

/** A self-signed P-256 certificate from openssl (CN, and an IP SAN for the server). */
function selfSigned(name: string, cn: string, san?: string): { cert: string; key: string } {
    execFileSync(
        "openssl",
        [
            ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"],
            ...["-keyout", `${name}.key`, "-out", `${name}.crt`, "-subj", `/CN=${cn}`],
            ...(san ? ["-addext", `subjectAltName=${san}`] : []),
        ],
        { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
    );
    return { cert: fs.readFileSync(file(`${name}.crt`), "utf8"), key: fs.readFileSync(file(`${name}.key`), "utf8") };
}

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-kube-exec-"));
    plugin = file("fake-auth-plugin");
    fs.writeFileSync(plugin, pluginSource, { mode: 0o755 });
    serverPem = selfSigned("server", "kube-apiserver", "IP:127.0.0.1");
    clientPem = selfSigned("client", "exec-client");
    fs.writeFileSync(file("exec-client.crt"), clientPem.cert);
    fs.writeFileSync(file("exec-client.key"), clientPem.key);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString("base64");

function execStanza(env: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        apiVersion: v1beta1,
        command: plugin,
        args: ["--cluster", "gke one"],
        env: Object.entries(env).map(([name, value]) => ({ name, value })),
        installHint: "Install the fake plugin",
        provideClusterInfo: true,
        ...extra,
    };
}

function kubeconfig(server: string, user: Record<string, unknown>): string {
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "gke",
        contexts: [{ name: "gke", context: { cluster: "gke", user: "gke-admin" } }],
        clusters: [{ name: "gke", cluster: { server, "certificate-authority-data": b64(serverPem.cert) } }],
        users: [{ name: "gke-admin", user }],
    });
}

/** What the fake plugin saw, decoded from its token. */
function seenBy(token: string): { args: string[]; greeting?: string; info: Record<string, unknown> } {
    const encoded = token.slice(secret.length + 1).split(".")[0];
    return JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as ReturnType<typeof seenBy>;
}

const runs = (name: string) => (fs.existsSync(file(name)) ? fs.readFileSync(file(name), "utf8").split("\n").length - 1 : 0);

function errorOf(f: () => unknown): Error {
    try {
        f();
    } catch (e) {
        return e as Error;
    }
    throw new Error("expected an error");
}

describe("the ExecCredential request and response (pure)", () => {
    const exec = parseExecConfig(execStanza({}, { command: "gke-gcloud-auth-plugin" }));
    const cluster = execClusterOf({
        server: "https://203.0.113.20",
        "certificate-authority-data": b64("CA PEM"),
        extensions: [{ name: "client.authentication.k8s.io/exec", extension: { audience: "gke" } }],
    });

    test("spec.cluster carries server, CA data and the exec extension only with provideClusterInfo", () => {
        expect(execCredentialRequest(exec, cluster)).toEqual({
            apiVersion: v1beta1,
            kind: "ExecCredential",
            spec: {
                interactive: false,
                cluster: { server: "https://203.0.113.20", "certificate-authority-data": b64("CA PEM"), config: { audience: "gke" } },
            },
        });
        expect(execCredentialRequest({ ...exec, provideClusterInfo: false }, cluster)).toEqual({
            apiVersion: v1beta1,
            kind: "ExecCredential",
            spec: { interactive: false },
        });
    });

    test("the CA from a certificate-authority file travels as data too", () => {
        fs.writeFileSync(file("ca-file.pem"), "CA FROM FILE");
        expect(execClusterOf({ server: "https://x", "certificate-authority": file("ca-file.pem") })).toEqual({
            server: "https://x",
            "certificate-authority-data": b64("CA FROM FILE"),
        });
    });

    test("a token, a certificate, an expiry", () => {
        const at = "2030-01-02T03:04:05Z";
        expect(
            readExecCredential(
                JSON.stringify({ apiVersion: v1, kind: "ExecCredential", status: { token: "t0k3n", expirationTimestamp: at } }),
                v1,
            ),
        ).toEqual({ token: "t0k3n", expiresAt: new Date(at) });
        expect(
            readExecCredential(
                JSON.stringify({ apiVersion: v1, kind: "ExecCredential", status: { clientCertificateData: "C", clientKeyData: "K" } }),
                v1,
            ),
        ).toEqual({ clientCertificateData: "C", clientKeyData: "K" });
        expect(execCredentialFresh({ token: "t", expiresAt: new Date(Date.now() + 3600_000) })).toBe(true);
        expect(execCredentialFresh({ token: "t", expiresAt: new Date(Date.now() + 1000) })).toBe(false);
        expect(execCredentialFresh({ token: "t" })).toBe(true);
    });

    test.each<[string, string, string]>([
        ["not JSON: the output is never echoed", `token=${secret}`, "not JSON"],
        ["another kind", JSON.stringify({ apiVersion: v1, kind: "Secret", status: { token: secret } }), "not an ExecCredential"],
        ["another apiVersion", JSON.stringify({ apiVersion: v1beta1, kind: "ExecCredential", status: { token: secret } }), "v1beta1"],
        ["no status", JSON.stringify({ apiVersion: v1, kind: "ExecCredential" }), "without status"],
        [
            "a key without its certificate",
            JSON.stringify({ apiVersion: v1, kind: "ExecCredential", status: { clientKeyData: secret } }),
            "only one of",
        ],
        [
            "a bad expiry",
            JSON.stringify({ apiVersion: v1, kind: "ExecCredential", status: { token: secret, expirationTimestamp: "soon" } }),
            "expirationTimestamp",
        ],
    ])("refused: %s", (_what, stdout, message) => {
        const e = errorOf(() => readExecCredential(stdout, v1));
        expect(e.message).toContain(message);
        expect(e.message).not.toContain(secret);
    });

    test("unsupported apiVersions and interactive modes are refused by name", () => {
        expect(() => parseExecConfig({ apiVersion: "client.authentication.k8s.io/v1alpha1", command: "x" }, "user gke")).toThrow(
            'user gke: exec apiVersion "client.authentication.k8s.io/v1alpha1" is not supported',
        );
        expect(() => parseExecConfig({ apiVersion: v1, command: "x", interactiveMode: "Sometimes" })).toThrow("interactiveMode");
        expect(() => runExecPlugin(parseExecConfig({ apiVersion: v1, command: plugin, interactiveMode: "Always" }))).toThrow(
            "without a terminal",
        );
        expect(() => new Kube(kubeconfig("https://127.0.0.1:1", { exec: { apiVersion: "example.com/v9", command: plugin } }))).toThrow(
            'kubeconfig user "gke-admin": exec apiVersion "example.com/v9" is not supported',
        );
    });

    test("stderr is stripped of tokens", () => {
        expect(redactTokens(`bad ${secret} and eyJhbGciOi.eyJzdWIiOi.c2ln and abcdefghij`, ["abcdefghij"])).toBe(
            "bad [REDACTED] and [REDACTED] and [REDACTED]",
        );
    });
});

describe("running the plugin", () => {
    const config = (env: Record<string, string>, extra: Record<string, unknown> = {}): ExecConfig =>
        parseExecConfig(execStanza(env, extra));
    const cluster = execClusterOf({ server: "https://203.0.113.20", "certificate-authority-data": b64("CA PEM") });

    test("a token; args, env and KUBERNETES_EXEC_INFO passed", () => {
        const cred = runExecPlugin(config({ FAKE_GREETING: "hello plugin" }), cluster);
        expect(cred.token?.startsWith(secret)).toBe(true);
        expect(cred.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3000_000);
        expect(seenBy(cred.token!)).toEqual({
            args: ["--cluster", "gke one"],
            greeting: "hello plugin",
            info: {
                apiVersion: v1beta1,
                kind: "ExecCredential",
                spec: { interactive: false, cluster: { server: "https://203.0.113.20", "certificate-authority-data": b64("CA PEM") } },
            },
        });
    });

    test("a v1 plugin without provideClusterInfo sees no cluster", () => {
        const cred = runExecPlugin(config({}, { apiVersion: v1, provideClusterInfo: false }), cluster);
        expect(seenBy(cred.token!).info).toEqual({ apiVersion: v1, kind: "ExecCredential", spec: { interactive: false } });
    });

    test("a client certificate", () => {
        const cred = runExecPlugin(
            config({ FAKE_MODE: "cert", FAKE_CERT: file("exec-client.crt"), FAKE_KEY: file("exec-client.key") }),
            cluster,
        );
        expect(cred).toEqual({ clientCertificateData: clientPem.cert, clientKeyData: clientPem.key });
    });

    test("a missing command names itself and its installHint", () => {
        const e = errorOf(() => runExecPlugin(config({}, { command: "zta-no-such-auth-plugin" }), cluster));
        expect(e.message).toBe('exec credential plugin "zta-no-such-auth-plugin" not found: Install the fake plugin');
        expect(() => runExecPlugin(config({}, { command: "zta-no-such-auth-plugin", installHint: undefined }))).toThrow(
            '"zta-no-such-auth-plugin" not found (install it or put it on PATH)',
        );
    });

    test("a failing plugin: its stderr (trimmed, at most 2 kB), never the token", () => {
        const e = errorOf(() => runExecPlugin(config({ FAKE_MODE: "fail" }), cluster));
        expect(e.message).toMatch(
            /^exec credential plugin \S+fake-auth-plugin exited with status 3: ERROR: gcloud auth failed for \[REDACTED\]; run gcloud auth login\nxxx/,
        );
        expect(e.message.length).toBeLessThan(2600);
        expect(e.message).not.toContain("ya29");
        expect(e.message).not.toContain(secret);
    });

    test("output that is no ExecCredential: refused without echoing it", () => {
        const e = errorOf(() => runExecPlugin(config({ FAKE_MODE: "garbage" }), cluster));
        expect(e.message).toContain("is not JSON");
        expect(e.message).not.toContain(secret);
        expect(() => runExecPlugin(config({ FAKE_API_VERSION: v1 }), cluster)).toThrow(
            `returned apiVersion "${v1}", but was asked for ${v1beta1}`,
        );
    });

    test("a hanging plugin is killed at the timeout", () => {
        fs.writeFileSync(file("hang"), "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
        const started = Date.now();
        expect(() => runExecPlugin(config({}, { command: file("hang") }), cluster, { timeoutMs: 300 })).toThrow("timed out after 0.3 s");
        expect(Date.now() - started).toBeLessThan(5000);
    });
});

describe("Kube with an exec plugin, against an HTTPS server on 127.0.0.1", () => {
    let server: https.Server;
    let url = "";
    const seen: { authorization?: string; clientCn?: string | string[] }[] = [];

    beforeAll(async () => {
        server = https.createServer({ ...serverPem, requestCert: true, rejectUnauthorized: false }, (req: IncomingMessage, res) => {
            const peer = (req.socket as TLSSocket).getPeerCertificate();
            seen.push({ authorization: req.headers.authorization, clientCn: peer?.subject?.CN });
            const status = req.url === "/unauthorized" ? 401 : 200;
            res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify({ kind: "Status", url: req.url }));
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => (seen.length = 0));

    test("the plugin's token is sent as the bearer token; run once while it is fresh", async () => {
        const kube = new Kube(kubeconfig(url, { exec: execStanza({ FAKE_COUNT: file("count-fresh") }) }));
        expect(kube.execRuns).toBe(0);
        expect((await kube.get("/api")).status).toBe(200);
        expect(await kube.getOk("/version")).toEqual({ kind: "Status", url: "/version" });
        expect(runs("count-fresh")).toBe(1);
        expect(kube.execRuns).toBe(1);
        expect(seen).toHaveLength(2);
        const token = seen[0].authorization!.replace(/^Bearer /, "");
        expect(seen[0].authorization).toBe(`Bearer ${token}`);
        expect(seen[1].authorization).toBe(seen[0].authorization);
        expect(seenBy(token).info).toEqual({
            apiVersion: v1beta1,
            kind: "ExecCredential",
            spec: { interactive: false, cluster: { server: url, "certificate-authority-data": b64(serverPem.cert) } },
        });
    });

    test("an expired credential runs the plugin again, each request", async () => {
        const kube = new Kube(kubeconfig(url, { exec: execStanza({ FAKE_COUNT: file("count-expired"), FAKE_MODE: "expired" }) }));
        await kube.get("/a");
        await kube.get("/b");
        await kube.get("/c");
        expect(runs("count-expired")).toBe(3);
        expect(seen.map((s) => s.authorization!.split(".").pop())).toEqual(["run1", "run2", "run3"]);
    });

    test("a 401 drops the cached credential", async () => {
        const kube = new Kube(kubeconfig(url, { exec: execStanza({ FAKE_COUNT: file("count-401") }) }));
        expect((await kube.get("/unauthorized")).status).toBe(401);
        await kube.get("/after");
        expect(runs("count-401")).toBe(2);
    });

    test("the plugin's client certificate is presented, no Authorization header", async () => {
        const kube = new Kube(
            kubeconfig(url, {
                exec: execStanza({ FAKE_MODE: "cert", FAKE_CERT: file("exec-client.crt"), FAKE_KEY: file("exec-client.key") }),
            }),
        );
        await kube.get("/api");
        expect(seen).toEqual([{ authorization: undefined, clientCn: "exec-client" }]);
    });

    test("a failing plugin rejects the request, the token nowhere in the error", async () => {
        const kube = new Kube(kubeconfig(url, { exec: execStanza({ FAKE_MODE: "fail" }) }));
        await expect(kube.get("/api")).rejects.toThrow("exited with status 3");
        const e = await kube.get("/api").catch((err: Error) => err);
        expect(String((e as Error).message)).not.toContain(secret);
        expect(seen).toHaveLength(0);
    });

    test("static tokens and client certificates work as before", async () => {
        await new Kube(kubeconfig(url, { token: "static-token" })).get("/api");
        await new Kube(kubeconfig(url, { "client-certificate-data": b64(clientPem.cert), "client-key-data": b64(clientPem.key) })).get(
            "/api",
        );
        expect(seen).toEqual([
            { authorization: "Bearer static-token", clientCn: undefined },
            { authorization: undefined, clientCn: "exec-client" },
        ]);
        expect(() => new Kube(kubeconfig(url, { token: "t", exec: execStanza({}) }))).toThrow("ambiguous");
    });
});
