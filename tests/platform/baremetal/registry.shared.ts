/** What the registry test files share: input, secrets, the rendered script, its expected first run, fresh machines. */
import { createHash } from "node:crypto";
import {
    RegistrySecrets,
    RegistrySetupInput,
    registryRunOptions,
    renderRegistryHtpasswd,
    renderRegistrySecrets,
    renderRegistrySetup,
} from "../../../components/platform/baremetal/registry";
import { commandLine, hostPool, isStateChanging, ScriptRun, StubCall, StubHost } from "./stubs";

export const certPem = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUc2VydmVy\n-----END CERTIFICATE-----\n";
export const caPem = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUY2EtY2E=\n-----END CERTIFICATE-----\n";
export const keyPem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKeyMaterialSecretZq8x\n-----END PRIVATE KEY-----\n";
/** Quotes, a backslash, a space and a dollar: the curl config must escape them. */
export const password = 'Pw-"q\\uo t$e-7Kx9';
export const httpSecret = "HttpSecret0123456789abcdefABCDEF_xyz";
export const username = "zta-admin";
/** Minimum rounds the renderer accepts: the stub registry does not check it, and tests stay fast. */
export const htpasswd = renderRegistryHtpasswd(username, password, 10);
export const pushUsername = "zta-push";
export const pushPassword = "PushPw-9Qm2vX7kLr4T";
export const pushHtpasswd = renderRegistryHtpasswd(pushUsername, pushPassword, 10);
export const secrets: RegistrySecrets = {
    serverKeyPem: keyPem,
    htpasswd,
    httpSecret,
    username,
    password,
    pushHtpasswd,
    pushUsername,
    pushPassword,
};
export const stdin = renderRegistrySecrets(secrets);
/** Every secret, and the text that would give one away. */
export const secretValues: Record<string, string> = {
    key: "KeyMaterialSecretZq8x",
    password,
    httpSecret,
    bcryptHash: htpasswd.slice(username.length + 1),
    pushPassword,
    pushBcryptHash: pushHtpasswd.slice(pushUsername.length + 1),
};

export const input: RegistrySetupInput = {
    advertisedHost: "registry.lab",
    bindAddress: "10.0.0.2",
    port: 5000,
    image: "registry:2.8.3",
    serverCertPem: certPem,
    caPem,
};
export const script = renderRegistrySetup(input);

const curlStatus = "curl --silent --show-error --output /dev/null --write-out %{http_code} --cacert <ROOT>/etc/zta-registry/ca.crt";
export const curlAnonymous = `${curlStatus} https://registry.lab:5000/v2/`;
export const curlPushAnonymous = `${curlStatus} https://127.0.0.1:5000/v2/`;
/** The pull login on the pull registry. */
export const curlAuthenticated = `${curlStatus} --config - https://registry.lab:5000/v2/`;
/** An upload with the pull login: the read-only registry answers 405. */
export const curlPushProbe = `${curlStatus} --request POST --config - https://registry.lab:5000/v2/zta-push-probe/blobs/uploads/`;
/** The push registry with a login (the push login, then the pull login that must be refused). */
export const curlPushAuthenticated = `${curlStatus} --config - https://127.0.0.1:5000/v2/`;

export function dockerRun(hash: string, image = "registry:2.8.3", bindAddress = "10.0.0.2", push = false): string {
    return [
        `docker run --detach --name ${push ? "zta-registry-push" : "zta-registry"} --restart unless-stopped`,
        "--cap-drop=ALL --security-opt=no-new-privileges --read-only --tmpfs=/tmp:rw,noexec,nosuid,nodev,size=64m",
        `--publish ${push ? "127.0.0.1" : bindAddress}:5000:5000`,
        "--volume <ROOT>/var/lib/zta-registry/data:/var/lib/registry",
        `--volume <ROOT>/etc/zta-registry/${push ? "push" : "config"}:/etc/docker/registry:ro`,
        "--env-file <ROOT>/etc/zta-registry/registry.env",
        `--label zta.config-sha256=${hash} ${image}`,
    ].join(" ");
}

export const dockerPs = "docker ps --all --format {{.Names}}";
export const dockerInspect = 'docker inspect --format {{.State.Running}} {{index .Config.Labels "zta.config-sha256"}} zta-registry';
export const dockerInspectPush =
    'docker inspect --format {{.State.Running}} {{index .Config.Labels "zta.config-sha256"}} zta-registry-push';

/** Every call of a first run on a fresh machine, in order; <HASH> / <PUSH_HASH> are the containers' labels. */
export const firstRunCalls = [
    "dpkg-query --show --showformat=${db:Status-Status} ${Package}\\n",
    "apt-get update -o DPkg::Lock::Timeout=600",
    "apt-get install -y --no-install-recommends --no-remove -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold ca-certificates curl docker.io",
    "systemctl show --property=UnitFileState --value docker",
    "systemctl enable docker",
    "systemctl show --property=ActiveState --value docker",
    "systemctl start docker",
    dockerPs,
    dockerRun("<HASH>"),
    dockerPs,
    dockerRun("<PUSH_HASH>", undefined, undefined, true),
    curlAnonymous,
    curlPushAnonymous,
    curlAuthenticated,
    curlPushProbe,
    curlPushAuthenticated,
    curlPushAuthenticated,
];

/** The label the script must compute: sha256 over image, port, data dir and the sha256 of each file it mounts. */
export function expectedHash(
    host: StubHost,
    image = "registry:2.8.3",
    port = 5000,
    dataDir = "/var/lib/zta-registry/data",
    bindAddress = "10.0.0.2",
    push = false,
): string {
    const sha = (text: string) => createHash("sha256").update(text).digest("hex");
    const dir = push ? "push" : "config";
    const files = [`${dir}/config.yml`, `${dir}/server.crt`, `${dir}/server.key`, `${dir}/htpasswd`, "registry.env"];
    if (push) {
        bindAddress = "127.0.0.1";
    }
    const text =
        `${image}\n${bindAddress}\n${port}\n${dataDir}\n${registryRunOptions.join("\n")}\n` +
        files.map((f) => `${sha(host.file(`/etc/zta-registry/${f}`) ?? "")}  -\n`).join("");
    return sha(text);
}

/** The push container's label (its own files, published on 127.0.0.1). */
export function expectedPushHash(host: StubHost, image = "registry:2.8.3"): string {
    return expectedHash(host, image, undefined, undefined, undefined, true);
}

/** Fresh Debian-like machines: nothing installed; the stub registry accepts `username:password`. */
/** What the stub registries accept: the pull login on the pull registry, the push login on the push registry. */
export const registryLogins = [`login ${username}:${password}`, `push-login ${pushUsername}:${pushPassword}`];
const pool = hostPool((host) => host.setState("registry", registryLogins));
export const freshHost = pool.fresh;
export const cleanupHosts = pool.cleanup;

export function run(host: StubHost, text = script, input = stdin): ScriptRun {
    return host.run(text, { stdin: input });
}

/** Call lines with the scratch root shown as <ROOT> and the current labels as <HASH> and <PUSH_HASH>. */
export function lines(host: StubHost, calls: readonly StubCall[], hash?: string, pushHash?: string): string[] {
    return calls.map((c) => {
        let line = commandLine(c).split(host.root).join("<ROOT>");
        line = hash ? line.split(hash).join("<HASH>") : line;
        return pushHash ? line.split(pushHash).join("<PUSH_HASH>") : line;
    });
}

export function changes(host: StubHost, r: ScriptRun, hash?: string, pushHash?: string): string[] {
    return lines(host, r.calls.filter(isStateChanging), hash, pushHash);
}
