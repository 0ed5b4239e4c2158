/**
 * The private container registry on server1: Docker Engine (Debian's docker.io, only when no Docker Engine is
 * installed), the CNCF distribution image pinned by tag, TLS >= 1.2 from the lab CA, htpasswd bcrypt auth and a
 * random http.secret. Renderers are pure (the htpasswd line apart: its salt is random); tests/platform/baremetal runs the
 * script against stubs.
 *
 * Secrets never reach the script text: the server key, the htpasswd lines, the http secret and the logins the
 * post-start checks use travel on the script's stdin as the bundle `renderRegistrySecrets` renders, and end up in
 * 0600 files (or, for the logins, only on curl's stdin).
 *
 * Pull and push are separate instances over one storage, because distribution's htpasswd auth grants every user
 * everything: the cluster-facing registry (`zta-registry`, on the management address) is read-only
 * (`storage.maintenance.readonly`), so the credential every node and pull Secret holds cannot push; pushes go to
 * `zta-registry-push`, published on 127.0.0.1 only (reached on server1 or through an SSH tunnel), with its own login
 * that never leaves server1 but as a secret stack output. Both containers run without capabilities, with a read-only
 * root file system and no privilege escalation, published on one address each (Docker's published ports bypass the
 * host firewall).
 */
import bcrypt from "bcryptjs";
import { containerStateStep, ensureServiceStep, readBundleStep, renderBundle, renderScript, shellQuote, writeFileStep } from "./script";
import { isDnsName, parseTaggedImage } from "../../core/net";
import { hostBindAddress, show } from "../../core/validate";

export interface RegistrySetupInput {
    /** Host name or IPv4 address nodes use to reach the registry; the server certificate must be valid for it. */
    readonly advertisedHost: string;
    /**
     * The host address the port is published on: the registry host's management address. Docker-published ports
     * bypass the host firewall, so publishing on every interface would expose the registry on all networks.
     */
    readonly bindAddress: string;
    /** TCP port, published on the host and listened on in the container. Default 5000. */
    readonly port?: number;
    /** Registry image pinned by tag (optionally also by digest), e.g. "registry:2.8.3"; never "latest". */
    readonly image: string;
    /** Server certificate chain (PEM certificates, public). */
    readonly serverCertPem: string;
    /** CA the post-start check verifies the server certificate against (PEM certificates, public). */
    readonly caPem: string;
    /** Persistent storage on the host. Default /var/lib/zta-registry/data. */
    readonly dataDir?: string;
    /** htpasswd realm. Default "zta-registry". */
    readonly realm?: string;
}

/** What the script reads on stdin; pass `renderRegistrySecrets(...)` as the command's stdin, never in its text. */
export interface RegistrySecrets {
    /** The server certificate's private key (PEM). */
    readonly serverKeyPem: string;
    /** One htpasswd line (`renderRegistryHtpasswd`) for `username`; keep it stable: a new line recreates the container. */
    readonly htpasswd: string;
    /** distribution's http.secret (REGISTRY_HTTP_SECRET): 32+ characters of [A-Za-z0-9+/=_-]. */
    readonly httpSecret: string;
    /** The pull login the post-start check uses (must be the htpasswd user) and its password. */
    readonly username: string;
    readonly password: string;
    /** The push instance's htpasswd line (`renderRegistryHtpasswd`), for a user other than `username`. */
    readonly pushHtpasswd: string;
    /** The push login (the push htpasswd user) and its password. */
    readonly pushUsername: string;
    readonly pushPassword: string;
}

/** The cluster-facing, read-only registry. */
export const registryContainer = "zta-registry";
/** The push registry: read-write, published on 127.0.0.1 only. */
export const registryPushContainer = "zta-registry-push";
/** Where the push registry is published (with the registry's port). */
export const registryPushAddress = "127.0.0.1";
export const registryConfigDir = "/etc/zta-registry";
/** Mounted read-only into the pull container as /etc/docker/registry: config.yml, server.crt, server.key, htpasswd. */
export const registryMountedDir = `${registryConfigDir}/config`;
/** The same files for the push container (its own config.yml and htpasswd). */
export const registryPushMountedDir = `${registryConfigDir}/push`;
/** `REGISTRY_HTTP_SECRET=...`, mode 600, given to `docker run --env-file` (not mounted into the container). */
export const registryEnvFile = `${registryConfigDir}/registry.env`;
/** The CA for the post-start check. */
export const registryCaFile = `${registryConfigDir}/ca.crt`;
export const defaultRegistryDataDir = "/var/lib/zta-registry/data";
export const configHashLabel = "zta.config-sha256";
/** First line of the stdin bundle. */
export const secretsHeader = "zta-registry-secrets-v2";

const inContainer = "/etc/docker/registry";
const pemCertificates = /^(?:-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n*)+$/;
const pemPrivateKey = /^-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----\n[A-Za-z0-9+/=\n]+-----END \1-----$/;
const usernamePattern = /^[A-Za-z0-9._-]{1,64}$/;
const htpasswdPattern = /^([A-Za-z0-9._-]{1,64}):\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$/;

function normalizePem(pem: string): string {
    return pem.replace(/\r/g, "").trim() + "\n";
}

function validate(input: RegistrySetupInput): { port: number; dataDir: string; realm: string } {
    if (!isDnsName(input.advertisedHost)) {
        throw new Error(`advertisedHost: expected a host name or IPv4 address like "registry.lab", got ${show(input.advertisedHost)}`);
    }
    hostBindAddress("bindAddress", input.bindAddress);
    const port = input.port ?? 5000;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`port: expected an integer from 1 to 65535, got ${String(input.port)}`);
    }
    const image = parseTaggedImage(input.image);
    if (!image) {
        throw new Error(`image: expected an image pinned by tag like "registry:2.8.3", got "${input.image}"`);
    }
    if (image.tag.toLowerCase() === "latest") {
        throw new Error(`image: "${input.image}" is not pinned; use a version tag like "registry:2.8.3"`);
    }
    if (!pemCertificates.test(normalizePem(input.serverCertPem))) {
        throw new Error("serverCertPem: expected one or more PEM certificates (-----BEGIN CERTIFICATE-----)");
    }
    if (!pemCertificates.test(normalizePem(input.caPem))) {
        throw new Error("caPem: expected one or more PEM certificates (-----BEGIN CERTIFICATE-----)");
    }
    const dataDir = input.dataDir ?? defaultRegistryDataDir;
    if (!/^(?:\/[A-Za-z0-9._-]+)+$/.test(dataDir) || dataDir.split("/").some((part) => part === "." || part === "..")) {
        throw new Error(`dataDir: expected an absolute path without . or .. components, got "${dataDir}"`);
    }
    if (dataDir === registryConfigDir || dataDir.startsWith(`${registryConfigDir}/`)) {
        throw new Error(`dataDir: must not be inside ${registryConfigDir}, got "${dataDir}"`);
    }
    const realm = input.realm ?? "zta-registry";
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(realm)) {
        throw new Error(`realm: expected 1-64 characters of [A-Za-z0-9._-], got "${realm}"`);
    }
    return { port, dataDir, realm };
}

/**
 * One htpasswd line `user:$2b$...` (bcrypt, the only scheme distribution accepts). The salt is random, so each
 * call returns a different line: render it once and keep it (e.g. as a Pulumi secret), or every deployment
 * recreates the registry container.
 */
export function renderRegistryHtpasswd(user: string, password: string, saltRounds = 12): string {
    if (!usernamePattern.test(user)) {
        throw new Error(`user: expected 1-64 characters of [A-Za-z0-9._-], got "${user}"`);
    }
    if (password.length === 0) {
        throw new Error("password: must not be empty");
    }
    if (Buffer.byteLength(password, "utf8") > 72) {
        throw new Error("password: bcrypt uses only the first 72 bytes; use a shorter password");
    }
    if (!Number.isInteger(saltRounds) || saltRounds < 10 || saltRounds > 16) {
        throw new Error(`saltRounds: expected an integer from 10 to 16, got ${String(saltRounds)}`);
    }
    return `${user}:${bcrypt.hashSync(password, bcrypt.genSaltSync(saltRounds))}`;
}

/**
 * The registry script's stdin: the header line, then base64 of the server key, the htpasswd line, the http
 * secret, `username:password`, the push htpasswd line and `pushUsername:pushPassword`, one per line. Errors name
 * the field, never its value.
 */
export function renderRegistrySecrets(secrets: RegistrySecrets): string {
    const key = secrets.serverKeyPem.replace(/\r/g, "").trim();
    if (!pemPrivateKey.test(key)) {
        throw new Error("serverKeyPem: expected one PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
    const htpasswd = htpasswdPattern.exec(secrets.htpasswd.trim());
    if (!htpasswd) {
        throw new Error("htpasswd: expected one line user:$2b$... (renderRegistryHtpasswd)");
    }
    if (!/^[A-Za-z0-9+/=_-]{32,256}$/.test(secrets.httpSecret)) {
        throw new Error("httpSecret: expected 32-256 characters of [A-Za-z0-9+/=_-]");
    }
    if (!usernamePattern.test(secrets.username)) {
        throw new Error(`username: expected 1-64 characters of [A-Za-z0-9._-], got "${secrets.username}"`);
    }
    if (htpasswd[1] !== secrets.username) {
        throw new Error(`username: "${secrets.username}" is not the user of the htpasswd line`);
    }
    // eslint-disable-next-line no-control-regex
    if (secrets.password.length === 0 || /[\u0000-\u001f\u007f]/.test(secrets.password)) {
        throw new Error("password: expected a non-empty password without control characters");
    }
    const pushHtpasswd = htpasswdPattern.exec(secrets.pushHtpasswd.trim());
    if (!pushHtpasswd) {
        throw new Error("pushHtpasswd: expected one line user:$2b$... (renderRegistryHtpasswd)");
    }
    if (!usernamePattern.test(secrets.pushUsername)) {
        throw new Error(`pushUsername: expected 1-64 characters of [A-Za-z0-9._-], got "${secrets.pushUsername}"`);
    }
    if (pushHtpasswd[1] !== secrets.pushUsername) {
        throw new Error(`pushUsername: "${secrets.pushUsername}" is not the user of the push htpasswd line`);
    }
    if (secrets.pushUsername === secrets.username) {
        throw new Error(`pushUsername: must differ from the pull user "${secrets.username}"`);
    }
    // eslint-disable-next-line no-control-regex
    if (secrets.pushPassword.length === 0 || /[\u0000-\u001f\u007f]/.test(secrets.pushPassword)) {
        throw new Error("pushPassword: expected a non-empty password without control characters");
    }
    return renderBundle(secretsHeader, [
        `${key}\n`,
        `${secrets.htpasswd.trim()}\n`,
        secrets.httpSecret,
        `${secrets.username}:${secrets.password}`,
        `${secrets.pushHtpasswd.trim()}\n`,
        `${secrets.pushUsername}:${secrets.pushPassword}`,
    ]);
}

/**
 * distribution's config.yml (the http secret comes from REGISTRY_HTTP_SECRET, not from this file). `readOnly`: the
 * pull instance; every write (blob upload, manifest put, delete) answers 405 whoever asks.
 */
export function registryConfig(port: number, realm: string, readOnly: boolean): string {
    return `# Managed by zta-testbed; local edits are overwritten.
version: 0.1
log:
  fields:
    service: ${readOnly ? "registry" : "registry-push"}
storage:
  filesystem:
    rootdirectory: /var/lib/registry
${
    readOnly
        ? `  # The cluster-facing instance serves pulls only: its login (every node's pull Secret) cannot push.
  maintenance:
    readonly:
      enabled: true
`
        : ""
}http:
  addr: :${port}
  # http.secret: REGISTRY_HTTP_SECRET, from a root-only env file.
  tls:
    certificate: ${inContainer}/server.crt
    key: ${inContainer}/server.key
    minimumtls: tls1.2
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: ${realm}
    path: ${inContainer}/htpasswd
`;
}

/**
 * Bash that (re)creates the container `name` when missing, stopped, or when its image, address, port, storage, run
 * options or any file it reads changed: the label carries a hash of all of them (hashes of the files, not content).
 * `publishAddress` is a bash word (a quoted variable or a literal address).
 */
function containerStep(name: string, mountedDir: string, publishAddress: string, what: string): string {
    const files = ["config.yml", "server.crt", "server.key", "htpasswd"].map((f) => `"$ROOT"${shellQuote(`${mountedDir}/${f}`)}`);
    return `# The ${what} container.
config_hash="$({
    printf '%s\\n' "$IMAGE" ${publishAddress} "$PORT" "$DATA_DIR" "\${RUN_OPTIONS[@]}"
    for file in ${files.join(" ")} "$ROOT"${shellQuote(registryEnvFile)}; do
        sha256sum <"$file"
    done
} | sha256sum)"
config_hash="\${config_hash%% *}"
${containerStateStep(name, configHashLabel)}if [[ "$current" != "true $config_hash" ]]; then
    if [[ -n "$current" ]]; then
        docker rm --force ${name} >/dev/null
        changed "removed the outdated ${what} container"
    fi
    docker run --detach --name ${name} --restart unless-stopped "\${RUN_OPTIONS[@]}" \\
        --publish ${publishAddress}:"$PORT:$PORT" \\
        --volume "$ROOT$DATA_DIR:/var/lib/registry" \\
        --volume "$ROOT"${shellQuote(`${mountedDir}:${inContainer}:ro`)} \\
        --env-file "$ROOT"${shellQuote(registryEnvFile)} \\
        --label "${configHashLabel}=$config_hash" \\
        "$IMAGE" >/dev/null
    changed "started the ${what} container ($IMAGE)"
fi
`;
}

/** The registry container's hardening, in `docker run` order (also hashed into the container's label). */
export const registryRunOptions: readonly string[] = [
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
    "--read-only",
    "--tmpfs=/tmp:rw,noexec,nosuid,nodev,size=64m",
];

/** Renders the registry setup script; throws an Error naming the offending field on invalid input. */
export function renderRegistrySetup(input: RegistrySetupInput): string {
    const { port, dataDir, realm } = validate(input);
    const url = `https://${input.advertisedHost}:${port}/v2/`;
    const sections: string[] = [];

    sections.push(`IMAGE=${shellQuote(input.image)}
BIND_ADDRESS=${shellQuote(input.bindAddress)}
PORT=${port}
DATA_DIR=${shellQuote(dataDir)}
REGISTRY_URL=${shellQuote(url)}
PUSH_URL=${shellQuote(`https://${registryPushAddress}:${port}/v2/`)}
# Where the post-start check tries to push with the pull login (an upload the read-only registry must refuse).
PUSH_PROBE_URL=${shellQuote(`${url}zta-push-probe/blobs/uploads/`)}
export DEBIAN_FRONTEND=noninteractive
`);

    sections.push(`${readBundleStep("registry", secretsHeader, [
        { variable: "server_key", label: "server key" },
        { variable: "htpasswd", label: "htpasswd" },
        { variable: "http_secret", label: "http secret" },
        { variable: "login", label: "login" },
        { variable: "push_htpasswd", label: "push htpasswd" },
        { variable: "push_login", label: "push login" },
    ])}[[ "$server_key" == "-----BEGIN "*"PRIVATE KEY-----"* ]] || bundle_error "server key is not a PEM private key"
[[ "$htpasswd" == *:"\\$2"[aby]"\\$"* && "$htpasswd" != *$'\\n'* ]] || bundle_error "htpasswd is not one bcrypt line"
[[ "$http_secret" =~ ^[A-Za-z0-9+/=_-]{32,}$ ]] || bundle_error "http secret is not 32+ characters of [A-Za-z0-9+/=_-]"
[[ "$login" == ?*:?* && "$login" != *[[:cntrl:]]* ]] || bundle_error "login is not user:password"
[[ "$push_htpasswd" == *:"\\$2"[aby]"\\$"* && "$push_htpasswd" != *$'\\n'* ]] || bundle_error "push htpasswd is not one bcrypt line"
[[ "$push_login" == ?*:?* && "$push_login" != *[[:cntrl:]]* ]] || bundle_error "push login is not user:password"
[[ "\${push_login%%:*}" != "\${login%%:*}" ]] || bundle_error "the push login is the pull login"
`);

    sections.push(`# Docker Engine from the distribution's packages, unless one is installed already (docker-ce would conflict).
packages="$(dpkg-query --show --showformat='\${db:Status-Status} \${Package}\\n')"
installed() {
    awk -v package="$1" '$1 == "installed" && $2 == package { found = 1 } END { exit !found }' <<<"$packages"
}
missing=()
for package in ca-certificates curl; do
    if ! installed "$package"; then
        missing+=("$package")
    fi
done
if ! installed docker.io && ! installed docker-ce; then
    missing+=(docker.io)
fi
if ((\${#missing[@]})); then
    apt-get update -o DPkg::Lock::Timeout=600
    apt-get install -y --no-install-recommends --no-remove -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold "\${missing[@]}"
    changed "installed \${missing[*]}"
fi
${ensureServiceStep("docker")}`);

    sections.push(`# Persistent storage, and the configuration mounted read-only into the container.
if [[ ! -d "$ROOT$DATA_DIR" ]]; then
    mkdir -p -- "$ROOT$DATA_DIR"
    chmod 700 "$ROOT$DATA_DIR"
    changed "created $DATA_DIR"
fi
${writeFileStep(`${registryMountedDir}/config.yml`, "644", registryConfig(port, realm, true))}${writeFileStep(
        `${registryPushMountedDir}/config.yml`,
        "644",
        registryConfig(port, realm, false),
    )}${[registryMountedDir, registryPushMountedDir]
        .map((dir) => writeFileStep(`${dir}/server.crt`, "644", normalizePem(input.serverCertPem)))
        .join(
            "",
        )}${writeFileStep(registryCaFile, "644", normalizePem(input.caPem))}# Secrets: from the bundle, mode 600 from creation on (write_file's temporary file is mktemp's, 0600).
write_file ${shellQuote(`${registryMountedDir}/server.key`)} 600 <<<"$server_key" || true
write_file ${shellQuote(`${registryMountedDir}/htpasswd`)} 600 <<<"$htpasswd" || true
write_file ${shellQuote(`${registryPushMountedDir}/server.key`)} 600 <<<"$server_key" || true
write_file ${shellQuote(`${registryPushMountedDir}/htpasswd`)} 600 <<<"$push_htpasswd" || true
write_file ${shellQuote(registryEnvFile)} 600 <<<"REGISTRY_HTTP_SECRET=$http_secret" || true
`);

    sections.push(`# How the containers run: each published on one address only (Docker's published ports bypass the host
# firewall); no capabilities (port >= 1024 needs none, and root in the container cannot bypass file modes without
# them), no privilege escalation, a read-only root file system (they write only to the storage volume; /tmp a tmpfs).
RUN_OPTIONS=(
${registryRunOptions.map((o) => `    ${shellQuote(o)}`).join("\n")}
)
`);
    sections.push(containerStep(registryContainer, registryMountedDir, '"$BIND_ADDRESS"', "registry"));
    sections.push(containerStep(registryPushContainer, registryPushMountedDir, registryPushAddress, "push registry"));

    sections.push(`# Both registries must answer over verified TLS and refuse anonymous requests (401); the pull registry must
# accept the pull login (200) and refuse it an upload (405: read-only); the push registry must accept the push login
# (200) and refuse the pull login (401). Logins reach curl as a config on its stdin, never on its command line.
registry_status() {
    local url="$1"
    shift
    curl --silent --show-error --output /dev/null --write-out '%{http_code}' --cacert "$ROOT"${shellQuote(registryCaFile)} "$@" "$url"
}
# curl's config syntax: backslashes and double quotes escaped.
curl_login() {
    local user="\${1//\\\\/\\\\\\\\}"
    user="\${user//\\"/\\\\\\"}"
    printf 'user = "%s"' "$user"
}
expect_status() {
    local what="$1" expected="$2" got
    shift 2
    got="$(registry_status "$@")" || die "registry: $what failed"
    if [[ "$got" != "$expected" ]]; then
        die "registry: $what answered $got; expected $expected"
    fi
}
attempts=30
for url in "$REGISTRY_URL" "$PUSH_URL"; do
    for ((attempt = 1; ; attempt++)); do
        if anonymous="$(registry_status "$url" 2>/dev/null)"; then
            break
        else
            status=$?
        fi
        if ((attempt >= attempts)); then
            die "registry: no HTTPS answer from $url after $attempts attempts (last curl exit status $status)"
        fi
        sleep 1
    done
    if [[ "$anonymous" != 401 ]]; then
        die "registry: $url answered $anonymous without credentials; expected 401 (authentication required)"
    fi
done
pull_config="$(curl_login "$login")"
push_config="$(curl_login "$push_login")"
expect_status "$REGISTRY_URL with the pull login" 200 "$REGISTRY_URL" --config - <<<"$pull_config"
expect_status "an upload to $PUSH_PROBE_URL with the pull login (the cluster-facing registry must be read-only)" 405 \\
    "$PUSH_PROBE_URL" --request POST --config - <<<"$pull_config"
expect_status "$PUSH_URL with the push login" 200 "$PUSH_URL" --config - <<<"$push_config"
expect_status "$PUSH_URL with the pull login (the pull login must not be a push login)" 401 "$PUSH_URL" --config - <<<"$pull_config"
`);

    return renderScript("Container registry", sections);
}

/**
 * The destroy script: removes both containers and everything under /etc/zta-registry (server key, htpasswd files,
 * http secret). Keeps the image data in `dataDir` (pushed images are the researchers' work, not secrets) and the Docker
 * Engine package; README says how to remove both for a bare server.
 */
export function renderRegistryRemove(): string {
    return renderScript("Container registry removal", [
        `# docker may already be gone (a half-built host): then there is no container to remove.
if command -v docker >/dev/null; then
    names="$(docker ps --all --format '{{.Names}}')"
    for name in ${registryContainer} ${registryPushContainer}; do
        if listed "$name" <<<"$names"; then
            docker rm --force "$name" >/dev/null
            changed "removed the $name container"
        fi
    done
fi
if [[ -e "$ROOT"${shellQuote(registryConfigDir)} ]]; then
    rm -rf -- "$ROOT"${shellQuote(registryConfigDir)}
    changed "removed ${registryConfigDir}"
fi
`,
    ]);
}
