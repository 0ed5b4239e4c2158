/**
 * Worker joins: the control-plane script that makes a short-lived bootstrap token for one join, the
 * JoinConfiguration, the join script's stdin and the join script. A worker joins once, with a bootstrap token that
 * expires an hour after it was made, reaches the join script on stdin only and lives on disk (0600) only while
 * kubeadm join runs. Like init, a changed join configuration after the join fails the run. Destroy:
 * kubeadm.ts's reset script.
 */
import { Scalar, stringify } from "yaml";
import { isDnsSubdomain, isIPv4, parseHostPort } from "../../core/net";
import {
    adminKubeconfig,
    bootstrapTokenGroup,
    criSocket,
    initPending,
    joinPending,
    joinSecretsHeader,
    kubeadmApiVersion,
    kubeadmJoinConfigPath,
    kubeadmJoinRecordPath,
    kubeletKubeconfig,
    redactKubeadmOutput,
} from "./kubeadm";
import { readBundleStep, renderBundle, renderScript, shellQuote } from "./script";

/** Stands for the token in the rendered JoinConfiguration; the script puts the token from stdin there. */
const tokenPlaceholder = "ZTA_TOKEN_FROM_STDIN";
const tokenPattern = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/** How long a join token lives: it is made on the control plane right before the join that uses it. */
export const joinTokenTtl = "1h0m0s";
export const joinTokenBegin = "-----BEGIN ZTA JOIN TOKEN-----";
export const joinTokenEnd = "-----END ZTA JOIN TOKEN-----";

/**
 * The control-plane script that makes ONE bootstrap token for the join of `worker` and prints it, framed, as its only
 * stdout (make that stdout a Pulumi secret): `kubeadm token create` with a TTL (`joinTokenTtl`), so a token outlives
 * its join by at most that long and the token cleaner then deletes it. The token is made on the host (never in argv,
 * never printed to logs); a re-run (a changed script) makes a new one, and the old one expires on its own.
 */
export function renderJoinTokenCreate(worker: string): string {
    if (!isDnsSubdomain(worker)) {
        throw new Error(`worker: expected a lowercase host name like "server4", got ${JSON.stringify(worker)}`);
    }
    const sections: string[] = [];
    sections.push(`# stdout carries the framed token only (it becomes a secret output): everything else goes to stderr.
exec 3>&1 1>&2
ADMIN_CONF=${shellQuote(adminKubeconfig)}
if [[ ! -f "$ROOT$ADMIN_CONF" ]]; then
    die "kubeadm: $ADMIN_CONF does not exist; run the kubeadm init script first"
fi
if is_pending ${initPending}; then
    die "kubeadm: a previous kubeadm init did not complete; run the kubeadm reset (destroy) script, then the init script"
fi
`);
    sections.push(`# A token for this join only, expiring after ${joinTokenTtl}; kubeadm prints nothing but the token on stdout.
token="$(kubeadm token create --kubeconfig "$ROOT$ADMIN_CONF" --ttl ${joinTokenTtl} --usages signing,authentication --groups ${bootstrapTokenGroup} --description ${shellQuote(`zta-testbed: join of ${worker}`)})"
[[ "$token" =~ ^[a-z0-9]{6}\\.[a-z0-9]{16}$ ]] || die "kubeadm: kubeadm token create did not print one bootstrap token"
changed "created a join token for ${worker} (expires after ${joinTokenTtl})"
printf '%s\n' ${shellQuote(joinTokenBegin)} "$token" ${shellQuote(joinTokenEnd)} >&3
`);
    return renderScript("kubeadm join token", sections);
}

/** The token from the token script's stdout (framed). Throws without echoing stdout (it holds the token). */
export function joinTokenFromOutput(stdout: string): string {
    const lines = stdout.split(/\r?\n/);
    const begin = lines.indexOf(joinTokenBegin);
    if (begin < 0 || lines[begin + 2] !== joinTokenEnd || !tokenPattern.test(lines[begin + 1] ?? "")) {
        throw new Error("join token: stdout does not hold one framed bootstrap token (the script's output was cut or altered)");
    }
    return lines[begin + 1];
}

export interface KubeadmJoinInput {
    /** The node name (lowercase RFC 1123 host name). */
    readonly hostname: string;
    /** The worker's IPv4 address: the kubelet's node IP. */
    readonly nodeIp: string;
    /** The control plane's API server as host:port, e.g. "10.0.0.10:6443" (an IPv4 address or a DNS name). */
    readonly controlPlaneEndpoint: string;
    /** "sha256:<64 hex>" of the cluster CA's public key (`discoveryHashFromKubeconfig`). */
    readonly caCertHash: string;
}

function validateJoin(input: KubeadmJoinInput): void {
    if (!isDnsSubdomain(input.hostname)) {
        throw new Error(`hostname: expected a lowercase host name like "server2", got ${JSON.stringify(input.hostname)}`);
    }
    if (!isIPv4(input.nodeIp)) {
        throw new Error(`nodeIp: expected an IPv4 address like "10.0.0.11", got ${JSON.stringify(input.nodeIp)}`);
    }
    const endpoint = parseHostPort(input.controlPlaneEndpoint);
    if (!endpoint) {
        throw new Error(`controlPlaneEndpoint: expected host:port like "10.0.0.10:6443", got "${input.controlPlaneEndpoint}"`);
    }
    if (endpoint.host === input.nodeIp) {
        throw new Error(`nodeIp: ${input.nodeIp} is the control plane's address; a worker joins from another machine`);
    }
    if (!/^sha256:[0-9a-f]{64}$/.test(input.caCertHash)) {
        throw new Error(`caCertHash: expected "sha256:" and 64 lowercase hex digits, got "${input.caCertHash}"`);
    }
}

/** The JoinConfiguration with the token placeholder (the script substitutes the token it reads on stdin). */
function joinConfiguration(input: KubeadmJoinInput): string {
    // Quoted: an all-digit token would otherwise read as a YAML number.
    const token = new Scalar(tokenPlaceholder);
    token.type = Scalar.QUOTE_DOUBLE;
    const join = {
        apiVersion: kubeadmApiVersion,
        kind: "JoinConfiguration",
        discovery: {
            bootstrapToken: {
                apiServerEndpoint: input.controlPlaneEndpoint,
                token,
                caCertHashes: [input.caCertHash],
            },
        },
        nodeRegistration: {
            name: input.hostname,
            criSocket,
            kubeletExtraArgs: [{ name: "node-ip", value: input.nodeIp }],
        },
    };
    return `# Managed by zta-testbed; the token comes from the join script's stdin and is never stored.\n${stringify(join)}`;
}

/** The join script's stdin: the header line, then the bootstrap token "<id>.<secret>" in base64. */
export function renderJoinSecrets(token: string): string {
    if (!tokenPattern.test(token)) {
        throw new Error("token: expected a bootstrap token: 6 characters of [a-z0-9], a dot, 16 characters of [a-z0-9]");
    }
    return renderBundle(joinSecretsHeader, [token]);
}

/**
 * The worker join script: reads the token from stdin (`renderJoinSecrets`), runs `kubeadm join` once (when
 * kubelet.conf does not exist), with the JoinConfiguration in a 0600 file removed as soon as join returns.
 * Destroy: `renderKubeadmReset`.
 */
export function renderKubeadmJoin(input: KubeadmJoinInput): string {
    validateJoin(input);
    const config = joinConfiguration(input);
    if (config.split("\n").includes("ZTA_EOF") || config.split(tokenPlaceholder).length !== 2) {
        throw new Error("join configuration: unexpected content");
    }
    const sections: string[] = [];

    sections.push(`RECORD=${shellQuote(kubeadmJoinRecordPath)}
JOIN_CONFIG=${shellQuote(kubeadmJoinConfigPath)}
KUBELET_CONF=${shellQuote(kubeletKubeconfig)}
config="$(cat <<'ZTA_EOF'
${config}ZTA_EOF
)"
`);

    sections.push(`${readBundleStep("kubeadm join", joinSecretsHeader, [{ variable: "token", label: "token" }])}[[ "$token" =~ ^[a-z0-9]{6}\\.[a-z0-9]{16}$ ]] || bundle_error "token is not a bootstrap token"
`);

    sections.push(`# One kubeadm join per node. Once kubelet.conf exists the node is never joined again: a different join
# configuration fails the run (reset the node and join it again) instead of silently diverging. The record holds
# no token, so a new token alone changes nothing on a joined node.
if [[ -e "$ROOT$KUBELET_CONF" ]]; then
    if is_pending ${joinPending}; then
        die "kubeadm: a previous kubeadm join did not complete; run the kubeadm reset (destroy) script, then this one again"
    fi
    if ! cmp -s -- "$ROOT$RECORD" - <<<"$config"; then
        die "kubeadm: the join configuration changed (or $RECORD is missing: this script did not join the node) after kubeadm join; a node cannot re-join in place: run the kubeadm reset (destroy) script, then this one again"
    fi
    # A run killed while kubeadm join ran left the token file behind.
    if [[ -e "$ROOT$JOIN_CONFIG" || -L "$ROOT$JOIN_CONFIG" ]]; then
        rm -f -- "$ROOT$JOIN_CONFIG"
        changed "removed the leftover $JOIN_CONFIG"
    fi
else
    write_file "$RECORD" 600 <<<"$config" || true
    mark_pending ${joinPending}
    # The token is needed once: its file goes as soon as kubeadm join returns, also when it fails.
    trap 'rm -f -- "$ROOT$JOIN_CONFIG"' EXIT
    write_file "$JOIN_CONFIG" 600 <<<"\${config/${tokenPlaceholder}/$token}" || true
    kubeadm join --config "$ROOT$JOIN_CONFIG" 2>&1 |
        ${redactKubeadmOutput}
    rm -f -- "$ROOT$JOIN_CONFIG"
    trap - EXIT
    if [[ ! -e "$ROOT$KUBELET_CONF" ]]; then
        die "kubeadm: kubeadm join succeeded but left no $KUBELET_CONF"
    fi
    clear_pending ${joinPending}
    changed "kubeadm join (node ${input.hostname} via ${input.controlPlaneEndpoint})"
fi
`);

    return renderScript("kubeadm join", sections);
}
