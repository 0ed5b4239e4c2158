/**
 * Keycloak on the testbed: a Docker container on server1, next to the registry, set up by a bash script run over
 * SSH. Same discipline as the registry script (components/platform/baremetal/registry.ts): the text holds nothing
 * secret, secrets arrive on stdin as one base64 bundle read whole before anything else runs, files go through
 * write_file, and a second run changes nothing.
 *
 * - Docker Engine and curl must be installed already: the registry setup on server1 installs them (the wiring runs
 *   it first). This script checks for them the way the registry script does and only enables/starts Docker.
 * - TLS: the server certificate from the infrastructure CA, valid for `hostname`. The key file is 0640 root:root:
 *   the container's user is uid 1000 with primary group 0, so it reads the key through the group while no other
 *   host user can.
 * - Secrets (the client secret the realm placeholder resolves to, the realm signing key, the test user's password)
 *   go to a 0600 env file given to `docker run --env-file`: never on argv, never in the script text. (`docker
 *   inspect` shows a container's environment, but only to root, who can read the file anyway.)
 * - No administration surface: the realm is code, imported at start, and nothing administers Keycloak afterwards,
 *   so there is no bootstrap admin (no KC_BOOTSTRAP_ADMIN_* at all: the master realm has no user) and the admin
 *   console and admin REST API are disabled (`--features-disabled=admin,admin-api`). A change is a new realm file
 *   and `pulumi up` (a new configuration starts from an empty database, below).
 * - Published on the host's management address only (`bindAddress`): Docker-published ports bypass the host
 *   firewall, so a port published on every interface would serve every network the host is on.
 * - The container is recreated when anything it reads changes (a hash label, as for the registry). A new
 *   configuration also starts from an empty database in `dataDir`: --import-realm skips a realm that already
 *   exists, so an old database would keep the old realm and secret. A container that merely stopped keeps its
 *   database (and with it the realm's signing keys).
 * - Post-start check, bounded: the discovery document answers 200 over TLS verified with the CA, its `issuer` is
 *   exactly the realm's issuer, and the client's secret obtains a token (proving the placeholder was resolved).
 * - Not hardened like the cluster pod: no read-only root file system, since `start` rebuilds the server into the
 *   image's lib/quarkus (keycloak.ts); capabilities are dropped and privilege escalation is off.
 */
import {
    containerStateStep,
    ensureServiceStep,
    readBundleStep,
    renderBundle,
    renderScript,
    shellQuote,
    writeFileStep,
} from "../platform/baremetal/script";
import { hostBindAddress } from "../core/validate";
import { checkHost, checkPemCertificates, checkPinnedImage, checkPort, normalizePem, publicBaseUrl } from "./inputs";
import {
    adminFeatures,
    containerDataDir,
    containerImportDir,
    containerTlsDir,
    keycloakArgs,
    keycloakHttpsPort,
    keycloakImage,
    keycloakManagementPort,
    keycloakUid,
    realmFileName,
} from "./keycloak";
import { clientSecretEnv, issuerUrl, placeholderSafeSecret, RealmImport, realmSigningKeyEnv, testUserPasswordEnv } from "./realm";

export interface KeycloakSetupInput {
    /** Default `keycloakImage`; must be pinned by tag. */
    readonly image?: string;
    /** DNS name (or IPv4 address) clients reach Keycloak at; the server certificate must be valid for it. */
    readonly hostname: string;
    /** The host address the HTTPS port is published on: the Keycloak host's management IPv4 address. */
    readonly bindAddress: string;
    /** HTTPS port published on the host, and the port in the issuer URL. Default 8443. */
    readonly port?: number;
    /** Management (health) port, published on 127.0.0.1 only. Default 9000. */
    readonly mgmtPort?: number;
    /** Server certificate chain (PEM, public). */
    readonly tlsCertPem: string;
    /** CA the post-start check verifies the server certificate against (PEM, public). */
    readonly caPem: string;
    /** The realm file (realm.ts); its issuer must be `https://hostname:port/realms/<realm>`. */
    readonly realm: RealmImport;
    /** Keycloak's database and data on the host. Default /var/lib/zta-keycloak/data. */
    readonly dataDir?: string;
    /** How many times the post-start check asks, 5 s apart, before giving up. Default 60 (5 minutes). */
    readonly startAttempts?: number;
}

/** What the script reads on stdin; pass `renderKeycloakSecrets(...)` as the command's stdin, never in its text. */
export interface KeycloakSecrets {
    /** The server certificate's private key (PEM). */
    readonly serverKeyPem: string;
    /** The client secret: 32-128 characters of [A-Za-z0-9_-] (it is substituted into the realm file). */
    readonly clientSecret: string;
    /** The realm's signing key as Keycloak imports it: base64 of PKCS#8 DER, one line (jwt.ts keycloakPrivateKeyValue). */
    readonly realmSigningKey: string;
    /** Required exactly when the realm has a test user: 12-128 characters of [A-Za-z0-9_-]. */
    readonly testUserPassword?: string;
}

export const keycloakContainer = "zta-keycloak";
export const keycloakConfigDir = "/etc/zta-keycloak";
/** Mounted read-only at /opt/keycloak/conf/tls: tls.crt, tls.key. */
export const keycloakTlsDir = `${keycloakConfigDir}/tls`;
/** Mounted read-only at /opt/keycloak/data/import: realm.json. */
export const keycloakImportDir = `${keycloakConfigDir}/import`;
/** The secrets as VAR=value lines, mode 600, for `docker run --env-file` (read by the Docker daemon, not mounted). */
export const keycloakEnvFile = `${keycloakConfigDir}/keycloak.env`;
/** The CA for the post-start check. */
export const keycloakCaFile = `${keycloakConfigDir}/ca.crt`;
export const defaultKeycloakDataDir = "/var/lib/zta-keycloak/data";
export const configHashLabel = "zta.config-sha256";
/** First line of the stdin bundle. */
export const secretsHeader = "zta-keycloak-secrets-v2";
/** Bounded wait for the first answer: a first start builds the server and imports the realm. */
export const defaultStartAttempts = 60;
export const startPauseSeconds = 5;

const pemPrivateKey = /^-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----\n[A-Za-z0-9+/=\n]+-----END \1-----$/;

function checkDataDir(dataDir: string): void {
    if (!/^(?:\/[A-Za-z0-9._-]+)+$/.test(dataDir) || dataDir.split("/").some((part) => part === "." || part === "..")) {
        throw new Error(`dataDir: expected an absolute path without . or .. components, got "${dataDir}"`);
    }
    // The script empties this directory when the configuration changes: keep it to a dedicated place.
    if (!/^\/(?:var\/lib|srv)\/[^/]+\/./.test(dataDir)) {
        throw new Error(`dataDir: expected a dedicated directory at least two levels below /var/lib or /srv, got "${dataDir}"`);
    }
}

interface Validated {
    readonly image: string;
    readonly port: number;
    readonly mgmtPort: number;
    readonly dataDir: string;
    readonly publicUrl: string;
    readonly attempts: number;
}

function validate(input: KeycloakSetupInput): Validated {
    const image = input.image ?? keycloakImage;
    checkPinnedImage("image", image);
    checkHost("hostname", input.hostname);
    hostBindAddress("bindAddress", input.bindAddress);
    if (input.hostname !== input.hostname.toLowerCase()) {
        throw new Error(`hostname: write it in lower case (the issuer is compared as a string), got "${input.hostname}"`);
    }
    const port = input.port ?? keycloakHttpsPort;
    checkPort("port", port);
    const mgmtPort = input.mgmtPort ?? keycloakManagementPort;
    checkPort("mgmtPort", mgmtPort);
    if (mgmtPort === port) {
        throw new Error(`mgmtPort: must differ from port (${port})`);
    }
    checkPemCertificates("tlsCertPem", input.tlsCertPem);
    checkPemCertificates("caPem", input.caPem);
    const dataDir = input.dataDir ?? defaultKeycloakDataDir;
    checkDataDir(dataDir);
    const attempts = input.startAttempts ?? defaultStartAttempts;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 360) {
        throw new Error(`startAttempts: expected an integer from 1 to 360, got ${String(attempts)}`);
    }
    const publicUrl = publicBaseUrl(input.hostname, port);
    const issuer = issuerUrl(publicUrl, input.realm.realm);
    if (issuer !== input.realm.issuer) {
        throw new Error(`hostname: this Keycloak issues tokens as "${issuer}", but the realm's issuer is "${input.realm.issuer}"`);
    }
    // The script text is logged: refuse a realm file that carries a secret instead of the placeholder.
    if (input.realm.json !== `${JSON.stringify(input.realm.representation, null, 2)}\n`) {
        throw new Error("realm: its json and representation differ (render the realm with realmImport)");
    }
    const client = (input.realm.representation.clients as readonly { readonly secret?: unknown }[] | undefined)?.[0];
    if (client?.secret !== `\${${clientSecretEnv}}`) {
        throw new Error(`realm: the client secret must be the placeholder \${${clientSecretEnv}} (render the realm with realmImport)`);
    }
    return { image, port, mgmtPort, dataDir, publicUrl, attempts };
}

/**
 * The script's stdin: the header line, then base64 of the server key, client secret, realm signing key and test user
 * password (empty without a test user), one per line. Errors name the field, never its value.
 */
export function renderKeycloakSecrets(secrets: KeycloakSecrets): string {
    const key = secrets.serverKeyPem.replace(/\r/g, "").trim();
    if (!pemPrivateKey.test(key)) {
        throw new Error("serverKeyPem: expected one PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
    const secret = secrets.clientSecret;
    if (secret.length < 32 || secret.length > 128 || !placeholderSafeSecret.test(secret)) {
        throw new Error("clientSecret: expected 32-128 characters of [A-Za-z0-9_-]");
    }
    const testPassword = secrets.testUserPassword;
    if (
        testPassword !== undefined &&
        (testPassword.length < 12 || testPassword.length > 128 || !placeholderSafeSecret.test(testPassword))
    ) {
        throw new Error("testUserPassword: expected 12-128 characters of [A-Za-z0-9_-]");
    }
    if (!/^[A-Za-z0-9+/]{1000,}={0,2}$/.test(secrets.realmSigningKey)) {
        throw new Error("realmSigningKey: expected one line of base64 (an RSA key's PKCS#8 DER)");
    }
    return renderBundle(secretsHeader, [`${key}\n`, secret, secrets.realmSigningKey, testPassword ?? ""]);
}

/** Renders the Keycloak setup script; throws an Error naming the offending field on invalid input. */
export function renderKeycloakSetup(input: KeycloakSetupInput): string {
    const { image, port, mgmtPort, dataDir, publicUrl, attempts } = validate(input);
    const realm = input.realm;
    const testUser = realm.secretEnv.includes(testUserPasswordEnv);
    const args = keycloakArgs(publicUrl, { adminSurface: false });
    const sections: string[] = [];

    sections.push(`IMAGE=${shellQuote(image)}
PORT=${port}
MGMT_PORT=${mgmtPort}
DATA_DIR=${shellQuote(dataDir)}
KC_HOST=${shellQuote(input.hostname)}
BIND_ADDRESS=${shellQuote(input.bindAddress)}
CLIENT_ID=${shellQuote(realm.clientId)}
EXPECTED_ISSUER=${shellQuote(realm.issuer)}
DISCOVERY_URL=${shellQuote(`${realm.issuer}/.well-known/openid-configuration`)}
TOKEN_URL=${shellQuote(`${realm.issuer}/protocol/openid-connect/token`)}
ADMIN_CONSOLE_URL=${shellQuote(`${publicUrl}/admin/master/console/`)}
# kc.sh's arguments: nothing secret (argv is visible to every user).
KEYCLOAK_ARGS=(
${args.map((a) => `    ${shellQuote(a)}`).join("\n")}
)
`);

    const testCheck = testUser
        ? `[[ "$test_password" =~ ^[A-Za-z0-9_-]{12,128}$ ]] || bundle_error "the realm has a test user: test user password must be 12-128 characters of [A-Za-z0-9_-]"`
        : `[[ -z "$test_password" ]] || bundle_error "a test user password, but the realm has no test user"`;
    sections.push(`${readBundleStep("Keycloak", secretsHeader, [
        { variable: "server_key", label: "server key" },
        { variable: "client_secret", label: "client secret" },
        { variable: "realm_key", label: "realm signing key" },
        { variable: "test_password", label: "test user password" },
    ])}[[ "$server_key" == "-----BEGIN "*"PRIVATE KEY-----"* ]] || bundle_error "server key is not a PEM private key"
# [A-Za-z0-9_-] only: Keycloak substitutes it into the realm file's JSON text.
[[ "$client_secret" =~ ^[A-Za-z0-9_-]{32,128}$ ]] || bundle_error "client secret is not 32-128 characters of [A-Za-z0-9_-]"
[[ "$realm_key" =~ ^[A-Za-z0-9+/]{1000,}={0,2}$ ]] || bundle_error "realm signing key is not one line of base64"
${testCheck}
`);

    sections.push(`# Docker Engine and curl come from the registry setup on this server (it installs them, and runs first): checked
# the way it checks, and never installed here, so that one script owns the package.
packages="$(dpkg-query --show --showformat='\${db:Status-Status} \${Package}\\n')"
installed() {
    awk -v package="$1" '$1 == "installed" && $2 == package { found = 1 } END { exit !found }' <<<"$packages"
}
if ! installed docker.io && ! installed docker-ce; then
    die "docker: no Docker Engine installed (docker.io or docker-ce); the registry setup installs it on this server: run it first"
fi
if ! installed curl; then
    die "curl: not installed (the post-start check needs it); the registry setup installs it on this server: run it first"
fi
${ensureServiceStep("docker")}`);

    const envLines = [
        `${clientSecretEnv}=$client_secret`,
        `${realmSigningKeyEnv}=$realm_key`,
        ...(testUser ? [`${testUserPasswordEnv}=$test_password`] : []),
    ];
    sections.push(`# What the container reads: certificate and realm file (public), key and env file (secret, from the bundle;
# write_file's temporary file is mktemp's, 0600, so they are never readable by others).
${writeFileStep(`${keycloakTlsDir}/tls.crt`, "644", normalizePem(input.tlsCertPem))}${writeFileStep(
        `${keycloakImportDir}/${realmFileName}`,
        "644",
        realm.json,
    )}${writeFileStep(keycloakCaFile, "644", normalizePem(input.caPem))}# 640 root:root: the container's user (uid ${keycloakUid}, group 0) reads it through the group.
write_file ${shellQuote(`${keycloakTlsDir}/tls.key`)} 640 <<<"$server_key" || true
write_file ${shellQuote(keycloakEnvFile)} 600 <<<"${envLines.join("\n")}" || true
`);

    const hashed = [`${keycloakTlsDir}/tls.crt`, `${keycloakTlsDir}/tls.key`, `${keycloakImportDir}/${realmFileName}`, keycloakEnvFile];
    sections.push(`# The container, (re)created when missing, stopped, or when its image, ports, data directory, arguments or any
# file it reads changed: the label carries a hash of all of them (hashes of the files, not their content).
config_hash="$({
    printf '%s\\n' "$IMAGE" "$BIND_ADDRESS" "$PORT" "$MGMT_PORT" "$DATA_DIR" "\${KEYCLOAK_ARGS[@]}"
    for file in ${hashed.map((f) => `"$ROOT"${shellQuote(f)}`).join(" ")}; do
        sha256sum <"$file"
    done
} | sha256sum)"
config_hash="\${config_hash%% *}"
${containerStateStep(keycloakContainer, configHashLabel)}if [[ "$current" != "true $config_hash" ]]; then
    if [[ -n "$current" ]]; then
        docker rm --force ${keycloakContainer} >/dev/null
        changed "removed the outdated Keycloak container"
    fi
    # A new configuration starts from an empty database, so that --import-realm imports this realm file (it skips
    # a realm that exists). Only a container that stopped with this very configuration keeps its database.
    if [[ "$current" != "false $config_hash" && -e "$ROOT$DATA_DIR" ]]; then
        rm -rf -- "$ROOT$DATA_DIR"
        changed "emptied $DATA_DIR"
    fi
    if [[ ! -d "$ROOT$DATA_DIR" ]]; then
        mkdir -p -- "$ROOT$DATA_DIR"
        chown ${keycloakUid}:0 "$ROOT$DATA_DIR"
        chmod 700 "$ROOT$DATA_DIR"
        changed "created $DATA_DIR"
    fi
    docker run --detach --name ${keycloakContainer} --restart unless-stopped \\
        --publish "$BIND_ADDRESS:$PORT:${keycloakHttpsPort}" \\
        --publish "127.0.0.1:$MGMT_PORT:${keycloakManagementPort}" \\
        --cap-drop ALL --security-opt no-new-privileges \\
        --volume "$ROOT$DATA_DIR:${containerDataDir}" \\
        --volume "$ROOT"${shellQuote(`${keycloakImportDir}:${containerImportDir}:ro`)} \\
        --volume "$ROOT"${shellQuote(`${keycloakTlsDir}:${containerTlsDir}:ro`)} \\
        --env-file "$ROOT"${shellQuote(keycloakEnvFile)} \\
        --label "${configHashLabel}=$config_hash" \\
        "$IMAGE" "\${KEYCLOAK_ARGS[@]}" >/dev/null
    changed "started the Keycloak container ($IMAGE)"
fi
`);

    sections.push(`# Keycloak must answer over TLS verified with the lab CA, as the realm's issuer, and accept the client's secret.
# Requests go to this host's published address (--resolve) under the certificate's name; the secret reaches curl
# only on its stdin.
keycloak_curl() {
    curl --silent --show-error --cacert "$ROOT"${shellQuote(keycloakCaFile)} --resolve "$KC_HOST:$PORT:$BIND_ADDRESS" "$@"
}
attempts=${attempts}
for ((attempt = 1; ; attempt++)); do
    if response="$(keycloak_curl --write-out '\\n%{http_code}' "$DISCOVERY_URL" 2>/dev/null)"; then
        if [[ "\${response##*$'\\n'}" == 200 ]]; then
            break
        fi
        last="HTTP \${response##*$'\\n'}"
    else
        last="curl exit status $?"
    fi
    if ((attempt >= attempts)); then
        die "keycloak: no 200 from $DISCOVERY_URL after $attempts attempts (last: $last)"
    fi
    sleep ${startPauseSeconds}
done
document="\${response%$'\\n'*}"
issuer_pattern='"issuer"[[:space:]]*:[[:space:]]*"([^"]*)"'
if [[ ! "$document" =~ $issuer_pattern ]]; then
    die "keycloak: the discovery document at $DISCOVERY_URL has no issuer"
fi
if [[ "\${BASH_REMATCH[1]}" != "$EXPECTED_ISSUER" ]]; then
    die "keycloak: the issuer is \${BASH_REMATCH[1]}, expected $EXPECTED_ISSUER (tokens would not match the mesh's RequestAuthentication)"
fi
token_status="$(keycloak_curl --output /dev/null --write-out '%{http_code}' --config - "$TOKEN_URL" <<<"user = \\"$CLIENT_ID:$client_secret\\"
data = \\"grant_type=client_credentials\\"")" || die "keycloak: the client-credentials request to $TOKEN_URL failed"
if [[ "$token_status" != 200 ]]; then
    die "keycloak: $TOKEN_URL answered $token_status to the client's credentials; expected 200 (was ${clientSecretEnv} set when the realm was imported?)"
fi
# The admin console must be gone (its feature disabled): any answer but 200 (Keycloak answers 404).
console_status="$(keycloak_curl --output /dev/null --write-out '%{http_code}' "$ADMIN_CONSOLE_URL")" ||
    die "keycloak: the request to $ADMIN_CONSOLE_URL failed"
if [[ "$console_status" == 200 ]]; then
    die "keycloak: $ADMIN_CONSOLE_URL serves the admin console; expected it disabled (--features-disabled=${adminFeatures.join(",")})"
fi
`);

    return renderScript("Keycloak", sections);
}

/**
 * The destroy script: removes the container, /etc/zta-keycloak (server key, env file) and `dataDir`: the database
 * holds the realm's private signing keys and credential hashes. Keeps the Docker Engine (the registry uses it).
 */
export function renderKeycloakRemove(options: { readonly dataDir?: string } = {}): string {
    const dataDir = options.dataDir ?? defaultKeycloakDataDir;
    checkDataDir(dataDir);
    return renderScript("Keycloak removal", [
        `# docker may already be gone (a half-built host): then there is no container to remove.
if command -v docker >/dev/null; then
    names="$(docker ps --all --format '{{.Names}}')"
    if listed ${keycloakContainer} <<<"$names"; then
        docker rm --force ${keycloakContainer} >/dev/null
        changed "removed the Keycloak container"
    fi
fi
for dir in ${shellQuote(keycloakConfigDir)} ${shellQuote(dataDir)}; do
    if [[ -e "$ROOT$dir" ]]; then
        rm -rf -- "$ROOT$dir"
        changed "removed $dir"
    fi
done
`,
    ]);
}
