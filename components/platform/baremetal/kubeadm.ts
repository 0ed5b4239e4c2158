/**
 * kubeadm on the bare-metal servers: the control plane's configuration (kubeadm.k8s.io/v1beta4, GA since Kubernetes
 * 1.31), its init script, the script that hands its admin kubeconfig to Pulumi, the worker join script with what it
 * needs (bootstrap token Secret, CA hash), and the reset (destroy) script of both. Renderers are pure;
 * tests/baremetal runs the scripts against stubs.
 *
 * Decisions:
 * - A cluster is initialized once. When /etc/kubernetes/admin.conf exists, the init script never runs kubeadm again:
 *   if the rendered configuration differs from the one the cluster was built with, it exits 1 with a message
 *   (a changed cluster configuration needs destroy + recreate: kubeadm cannot re-init a running cluster, and
 *   silently keeping the old cluster would let Pulumi state and the machine diverge).
 * - kube-proxy is never installed (Cilium replaces it); a half-finished `kubeadm init` is recorded (pending marker)
 *   so the next run refuses to treat the leftovers as a cluster.
 * - Only the kubeconfig read script prints the admin kubeconfig (its stdout becomes a Pulumi secret); kubeadm's output
 *   goes through a filter that redacts bootstrap tokens and certificate keys.
 * - A worker joins once, with a bootstrap token that reaches the join script on stdin only and lives on disk (0600)
 *   only while kubeadm join runs. Like init, a changed join configuration after the join fails the run.
 */
import { createHash, X509Certificate } from "node:crypto";
import { parse, Scalar, stringify } from "yaml";
import { pendingDir, readBundleStep, renderBundle, renderScript, shellQuote } from "./script";

export interface KubeadmInput {
    /** ClusterConfiguration.clusterName: a DNS label, e.g. "zta". */
    readonly clusterName: string;
    /** Exact Kubernetes version, e.g. "v1.32.3" (>= v1.31: the config is kubeadm.k8s.io/v1beta4). */
    readonly kubernetesVersion: string;
    /** The node name (lowercase RFC 1123 host name); also a certificate SAN. */
    readonly hostname: string;
    /** Management IPv4 address: API server advertise address, kubelet node IP, control-plane endpoint. */
    readonly advertiseAddress: string;
    /** Pod CIDR (IPv4, prefix <= /24: the controller manager carves a /24 per node out of it). */
    readonly podSubnet: string;
    /** Service CIDR (IPv4, prefix /12 to /28: the API server refuses larger ranges); disjoint from podSubnet. */
    readonly serviceSubnet: string;
    /** Further addresses or names peers reach the API server by (added to the advertise address and hostname). */
    readonly certSANs?: readonly string[];
}

export const kubeadmConfigPath = "/etc/zta-testbed/kubeadm.yaml";
export const adminKubeconfig = "/etc/kubernetes/admin.conf";
export const criSocket = "unix:///var/run/containerd/containerd.sock";
export const apiServerPort = 6443;
export const controlPlaneTaint = "node-role.kubernetes.io/control-plane:NoSchedule";
/** Readiness gate: attempts, one second apart. */
export const readinessAttempts = 120;
/** The worker's kubelet kubeconfig: it exists once a node has joined (kubeadm join's TLS bootstrap wrote it). */
export const kubeletKubeconfig = "/etc/kubernetes/kubelet.conf";
/** The JoinConfiguration without its token (no secret): what a joined node was joined with. */
export const kubeadmJoinRecordPath = "/etc/zta-testbed/kubeadm-join.yaml";
/** The JoinConfiguration with the token, mode 600; exists only while kubeadm join runs. */
export const kubeadmJoinConfigPath = "/etc/zta-testbed/kubeadm-join.secret.yaml";
/** First line of the join script's stdin bundle. */
export const joinSecretsHeader = "zta-kubeadm-join-secrets-v1";
/** The group kubeadm init binds the node bootstrap RBAC to (CSR creation and auto-approval, node lookup). */
export const bootstrapTokenGroup = "system:bootstrappers:kubeadm:default-node-token";
const kubeadmApiVersion = "kubeadm.k8s.io/v1beta4";
const initPending = "kubeadm-init";
const joinPending = "kubeadm-join";
/** Stands for the token in the rendered JoinConfiguration; the script puts the token from stdin there. */
const tokenPlaceholder = "ZTA_TOKEN_FROM_STDIN";
const tokenPattern = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

const hostLabel = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const hostnamePattern = new RegExp(`^${hostLabel}(?:\\.${hostLabel})*$`);
const dnsNamePattern = new RegExp(`^${hostLabel.replace(/a-z/g, "A-Za-z")}(?:\\.${hostLabel.replace(/a-z/g, "A-Za-z")})*$`);

/** A lowercase RFC 1123 host name (what the scripts accept as a node name). */
export function isHostname(text: string): boolean {
    return text.length <= 253 && hostnamePattern.test(text);
}

/** A dotted-quad IPv4 address as a 32-bit number; undefined unless exactly four decimal octets without leading zeros. */
export function parseIPv4(text: string): number | undefined {
    const parts = text.split(".");
    if (parts.length !== 4 || !parts.every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) {
        return undefined;
    }
    return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

interface Cidr {
    readonly base: number;
    readonly prefix: number;
}

function maskOf(prefix: number): number {
    return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** An IPv4 CIDR whose host bits are zero; undefined otherwise. */
export function parseCidr(text: string): Cidr | undefined {
    const match = /^([0-9.]+)\/(0|[1-9][0-9]?)$/.exec(text);
    const base = match ? parseIPv4(match[1]) : undefined;
    const prefix = match ? Number(match[2]) : NaN;
    if (base === undefined || !(prefix <= 32) || (base & ~maskOf(prefix)) >>> 0 !== 0) {
        return undefined;
    }
    return { base, prefix };
}

function contains(cidr: Cidr, address: number): boolean {
    return (address & maskOf(cidr.prefix)) >>> 0 === cidr.base;
}

function overlap(a: Cidr, b: Cidr): boolean {
    return contains(a.prefix <= b.prefix ? a : b, a.prefix <= b.prefix ? b.base : a.base);
}

function validate(input: KubeadmInput): void {
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(input.clusterName)) {
        throw new Error(`clusterName: expected a DNS label like "zta", got "${input.clusterName}"`);
    }
    const version = /^v1\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/.exec(input.kubernetesVersion);
    if (!version) {
        throw new Error(`kubernetesVersion: expected an exact version like "v1.32.3", got "${input.kubernetesVersion}"`);
    }
    if (Number(version[1]) < 31) {
        throw new Error(`kubernetesVersion: ${kubeadmApiVersion} needs Kubernetes v1.31 or later, got "${input.kubernetesVersion}"`);
    }
    if (!isHostname(input.hostname)) {
        throw new Error(`hostname: expected a lowercase host name like "server1", got "${input.hostname}"`);
    }
    const address = parseIPv4(input.advertiseAddress);
    if (address === undefined) {
        throw new Error(`advertiseAddress: expected an IPv4 address like "10.0.0.10", got "${input.advertiseAddress}"`);
    }
    const pods = parseCidr(input.podSubnet);
    if (!pods) {
        throw new Error(`podSubnet: expected an IPv4 CIDR with zero host bits like "10.244.0.0/16", got "${input.podSubnet}"`);
    }
    if (pods.prefix > 24) {
        throw new Error(`podSubnet: /${pods.prefix} is smaller than the /24 each node gets; use /24 or larger`);
    }
    const services = parseCidr(input.serviceSubnet);
    if (!services) {
        throw new Error(`serviceSubnet: expected an IPv4 CIDR with zero host bits like "10.96.0.0/12", got "${input.serviceSubnet}"`);
    }
    if (services.prefix < 12 || services.prefix > 28) {
        throw new Error(`serviceSubnet: expected a prefix from /12 to /28, got "${input.serviceSubnet}"`);
    }
    if (overlap(pods, services)) {
        throw new Error(`serviceSubnet: "${input.serviceSubnet}" overlaps podSubnet "${input.podSubnet}"`);
    }
    for (const [field, cidr] of [
        ["podSubnet", pods],
        ["serviceSubnet", services],
    ] as const) {
        if (contains(cidr, address)) {
            throw new Error(
                `advertiseAddress: ${input.advertiseAddress} lies inside ${field} ${field === "podSubnet" ? input.podSubnet : input.serviceSubnet}`,
            );
        }
    }
    (input.certSANs ?? []).forEach((san, i) => {
        if (parseIPv4(san) === undefined && (/^[0-9.]+$/.test(san) || san.length > 253 || !dnsNamePattern.test(san))) {
            throw new Error(`certSANs[${i}]: expected an IPv4 address or a DNS name, got "${san}"`);
        }
    });
}

/** The kubeadm configuration: InitConfiguration and ClusterConfiguration (two YAML documents). */
export function renderKubeadmConfig(input: KubeadmInput): string {
    validate(input);
    const sans = [...new Set([input.advertiseAddress, ...(input.certSANs ?? []), input.hostname])];
    const init = {
        apiVersion: kubeadmApiVersion,
        kind: "InitConfiguration",
        localAPIEndpoint: { advertiseAddress: input.advertiseAddress, bindPort: apiServerPort },
        nodeRegistration: {
            name: input.hostname,
            criSocket,
            // An empty list (not an absent field): the single node also runs workloads, so no control-plane taint.
            taints: [],
            // v1beta4 extra arguments are a list of name/value pairs.
            kubeletExtraArgs: [{ name: "node-ip", value: input.advertiseAddress }],
        },
    };
    const cluster = {
        apiVersion: kubeadmApiVersion,
        kind: "ClusterConfiguration",
        clusterName: input.clusterName,
        kubernetesVersion: input.kubernetesVersion,
        controlPlaneEndpoint: `${input.advertiseAddress}:${apiServerPort}`,
        networking: { podSubnet: input.podSubnet, serviceSubnet: input.serviceSubnet },
        apiServer: { certSANs: sans },
    };
    return `# Managed by zta-testbed; a change needs the cluster destroyed and recreated.\n${stringify(init)}---\n${stringify(cluster)}`;
}

/**
 * Filter for kubeadm's combined output: bootstrap tokens and certificate keys (and CA hashes, same shape) are
 * redacted before they reach logs.
 */
const redactKubeadmOutput = `sed -E 's/[a-z0-9]{6}\\.[a-z0-9]{16}/<redacted-token>/g; s/[0-9a-f]{64}/<redacted>/g'`;

/** Bash: a bounded wait until the API server answers /readyz with "ok" (needs ADMIN_CONF); prints nothing to stdout. */
function apiServerReadyGate(): string {
    return `# Bounded readiness gate: the API server must answer /readyz with "ok".
attempts=${readinessAttempts}
for ((attempt = 1; ; attempt++)); do
    if readyz="$(kubectl --kubeconfig "$ROOT$ADMIN_CONF" get --raw=/readyz 2>/dev/null)"; then
        if [[ "$readyz" == ok ]]; then
            break
        fi
        status="answer $readyz"
    else
        status="kubectl exit status $?"
    fi
    if ((attempt >= attempts)); then
        die "kubeadm: the API server is not ready after $attempts attempts, 1 s apart (last: $status)"
    fi
    sleep 1
done
`;
}

/** The init script: config file, `kubeadm init` once, readiness gate, no control-plane taint. */
export function renderKubeadmInit(input: KubeadmInput): string {
    const config = renderKubeadmConfig(input);
    if (config.split("\n").includes("ZTA_EOF")) {
        throw new Error('kubeadm config must not contain a line "ZTA_EOF"');
    }
    const kubectl = `kubectl --kubeconfig "$ROOT$ADMIN_CONF"`;
    const sections: string[] = [];

    sections.push(`CONFIG=${shellQuote(kubeadmConfigPath)}
ADMIN_CONF=${shellQuote(adminKubeconfig)}
NODE_NAME=${shellQuote(input.hostname)}
config="$(cat <<'ZTA_EOF'
${config}ZTA_EOF
)"
`);

    sections.push(`# One kubeadm init per cluster. Once admin.conf exists the cluster is never re-initialized: a different
# configuration fails the run (destroy and recreate the cluster to change it) instead of silently diverging.
if [[ -e "$ROOT$ADMIN_CONF" ]]; then
    if is_pending ${initPending}; then
        die "kubeadm: a previous kubeadm init did not complete; run the kubeadm reset (destroy) script, then this one again"
    fi
    if ! cmp -s -- "$ROOT$CONFIG" - <<<"$config"; then
        die "kubeadm: the cluster configuration changed (or $CONFIG is missing) after kubeadm init; kubeadm cannot change an initialized cluster: destroy the cluster (kubeadm reset script) and recreate it"
    fi
else
    # Mode 600 like kubeadm's own files (the configuration holds no secret: kubeadm generates the bootstrap token).
    write_file "$CONFIG" 600 <<<"$config" || true
    mark_pending ${initPending}
    # --skip-phases=addon/kube-proxy: Cilium replaces kube-proxy (eBPF service load-balancing); a kube-proxy
    # installed now would program iptables rules that fight Cilium's and survive its installation.
    # kubeadm prints the bootstrap token (join command): redacted, with any certificate key, before it reaches logs.
    kubeadm init --config "$ROOT$CONFIG" --skip-phases=addon/kube-proxy 2>&1 |
        ${redactKubeadmOutput}
    clear_pending ${initPending}
    changed "kubeadm init (${input.kubernetesVersion})"
fi
`);

    sections.push(apiServerReadyGate());

    sections.push(`# The configuration registers the node without taints; remove the control-plane taint should one be there.
taints="$(${kubectl} get node "$NODE_NAME" -o jsonpath='{range .spec.taints[*]}{.key}:{.effect}{"\\n"}{end}')"
if listed ${shellQuote(controlPlaneTaint)} <<<"$taints"; then
    ${kubectl} taint nodes "$NODE_NAME" ${shellQuote(`${controlPlaneTaint}-`)} >/dev/null
    changed "removed the control-plane taint from $NODE_NAME"
fi
`);

    return renderScript("kubeadm control plane", sections);
}

/**
 * The destroy script: `kubeadm reset` when kubeadm left anything (it empties /etc/kubernetes/{manifests,pki}, the
 * kubeconfigs, /var/lib/kubelet and the local etcd data, but keeps the directories, so "/etc/kubernetes exists"
 * would not tell a reset machine from a cluster), then what reset leaves behind and would break the next init:
 * - /etc/cni/net.d: the CNI configuration Cilium installed (kubeadm reset never touches CNI);
 * - /var/lib/etcd: stale etcd data fails the next init's preflight (DirAvailable--var-lib-etcd);
 * - /etc/zta-testbed/kubeadm.yaml, the join record (and a token file a killed join left), the pending init and
 *   join markers: the next init or join starts from scratch.
 * The same script resets a worker: kubeadm join leaves kubelet.conf and pki/ca.crt, which count as leftovers.
 * Not removed: $HOME/.kube (the init script never writes one; it may belong to an operator), iptables/eBPF state of
 * Cilium (uninstall Cilium first, or reboot).
 */
export function renderKubeadmReset(): string {
    const resetRemoves = [
        kubeadmConfigPath,
        kubeadmJoinRecordPath,
        kubeadmJoinConfigPath,
        `${pendingDir}/${initPending}`,
        `${pendingDir}/${joinPending}`,
    ];
    const sections: string[] = [];
    sections.push(`# Anything kubeadm init leaves: kubeconfigs, static pod manifests, certificates, etcd data.
leftovers=0
for path in /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/kubelet.conf /var/lib/etcd/member; do
    if [[ -e "$ROOT$path" ]]; then
        leftovers=1
    fi
done
for dir in /etc/kubernetes/manifests /etc/kubernetes/pki; do
    if [[ -d "$ROOT$dir" ]]; then
        entries="$(ls -A -- "$ROOT$dir")"
        if [[ -n "$entries" ]]; then
            leftovers=1
        fi
    fi
done
if ((leftovers)); then
    kubeadm reset --force --cri-socket ${shellQuote(criSocket)}
    changed "kubeadm reset"
fi
`);
    sections.push(`# What kubeadm reset leaves behind and the next kubeadm init would trip over.
for path in /etc/cni/net.d /var/lib/etcd ${resetRemoves.map(shellQuote).join(" ")}; do
    if [[ -e "$ROOT$path" || -L "$ROOT$path" ]]; then
        rm -rf -- "$ROOT$path"
        changed "removed $path"
    fi
done
`);
    return renderScript("kubeadm reset", sections);
}

/**
 * The script whose stdout is the admin kubeconfig (and nothing else: its logs go to stderr), once the API server is
 * ready. Run it on the control-plane host after the init script; make its stdout a Pulumi secret.
 */
export function renderKubeconfigRead(): string {
    const sections: string[] = [];
    sections.push(`# stdout carries the kubeconfig only (it becomes a secret output): everything else goes to stderr.
exec 3>&1 1>&2
ADMIN_CONF=${shellQuote(adminKubeconfig)}
if [[ ! -f "$ROOT$ADMIN_CONF" ]]; then
    die "kubeconfig: $ADMIN_CONF does not exist; run the kubeadm init script first"
fi
if is_pending ${initPending}; then
    die "kubeconfig: a previous kubeadm init did not complete; run the kubeadm reset (destroy) script, then the init script"
fi
`);
    sections.push(apiServerReadyGate());
    // Framed and base64-encoded: whatever else a login shell's rc files print on stdout cannot corrupt it
    // (kubeconfigFromReadback takes only what is between the frame lines).
    sections.push(`{
    printf '%s\\n' ${shellQuote(readbackBegin)}
    base64 -w 0 -- "$ROOT$ADMIN_CONF"
    printf '\\n%s\\n' ${shellQuote(readbackEnd)}
} >&3
`);
    return renderScript("kubeconfig read", sections);
}

export const readbackBegin = "-----BEGIN ZTA KUBECONFIG-----";
export const readbackEnd = "-----END ZTA KUBECONFIG-----";

/**
 * The kubeconfig from the read-back's stdout: the base64 between the frame lines, decoded. Throws (without
 * echoing stdout, which holds a credential) when the frame is missing or broken.
 */
export function kubeconfigFromReadback(stdout: string): string {
    const lines = stdout.split(/\r?\n/);
    const begin = lines.indexOf(readbackBegin);
    const end = lines.indexOf(readbackEnd, begin + 1);
    if (begin < 0 || end !== begin + 2 || !/^[A-Za-z0-9+/]+=*$/.test(lines[begin + 1])) {
        throw new Error("kubeconfig read-back: stdout does not hold one framed kubeconfig (the script's output was cut or altered)");
    }
    return Buffer.from(lines[begin + 1], "base64").toString("utf8");
}

type YamlMap = Record<string, unknown>;

function isMap(value: unknown): value is YamlMap {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function namedEntries(doc: YamlMap, key: string): YamlMap[] {
    const list = doc[key];
    return Array.isArray(list) ? list.filter(isMap) : [];
}

/**
 * "sha256:<hex>" of the DER SubjectPublicKeyInfo of the cluster CA in a kubeconfig's certificate-authority-data (the
 * cluster of the current context, or the only cluster): what `kubeadm join --discovery-token-ca-cert-hash` and
 * JoinConfiguration caCertHashes expect. Errors never quote the kubeconfig (it holds the admin's private key).
 */
export function discoveryHashFromKubeconfig(kubeconfig: string): string {
    let doc: unknown;
    try {
        doc = parse(kubeconfig);
    } catch {
        // The parser's message quotes the offending line, which may be the private key.
        throw new Error("kubeconfig: not valid YAML");
    }
    if (!isMap(doc)) {
        throw new Error("kubeconfig: expected a YAML mapping (kind: Config)");
    }
    const clusters = namedEntries(doc, "clusters");
    let clusterName: unknown;
    const currentContext = doc["current-context"];
    if (typeof currentContext === "string" && currentContext !== "") {
        const context = namedEntries(doc, "contexts").find((c) => c.name === currentContext)?.context;
        if (!isMap(context) || typeof context.cluster !== "string") {
            throw new Error(`kubeconfig: current-context "${currentContext}" names no context with a cluster`);
        }
        clusterName = context.cluster;
    } else if (clusters.length === 1) {
        clusterName = clusters[0].name;
    } else {
        throw new Error(`kubeconfig: no current-context, and ${clusters.length} clusters instead of one`);
    }
    const cluster = clusters.find((c) => c.name === clusterName)?.cluster;
    const data = isMap(cluster) ? cluster["certificate-authority-data"] : undefined;
    if (typeof data !== "string" || !/^[A-Za-z0-9+/=\s]+$/.test(data)) {
        throw new Error(`kubeconfig: cluster "${String(clusterName)}" has no base64 certificate-authority-data`);
    }
    const pem = Buffer.from(data, "base64").toString("utf8");
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    if (blocks !== 1) {
        throw new Error(`kubeconfig: certificate-authority-data holds ${blocks} PEM certificates; expected the cluster CA alone`);
    }
    let ca: X509Certificate;
    try {
        ca = new X509Certificate(pem);
    } catch {
        throw new Error("kubeconfig: certificate-authority-data is not a valid PEM certificate");
    }
    if (!ca.ca) {
        throw new Error("kubeconfig: certificate-authority-data is not a CA certificate (basicConstraints CA:FALSE or missing)");
    }
    const spki = ca.publicKey.export({ type: "spki", format: "der" });
    return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}

/** A bootstrap token's Secret in kube-system, as `bootstrapTokenSecret` returns it. */
export interface BootstrapTokenSecret {
    readonly name: string;
    /** Always kube-system: the API server's bootstrap token authenticator reads only there. */
    readonly namespace: string;
    readonly type: string;
    readonly stringData: Record<string, string>;
}

/**
 * The kube-system Secret `bootstrap-token-<id>` that lets a worker join (authentication as the kubeadm node group,
 * and signing of the cluster-info ConfigMap that join's discovery verifies). Create it through the Kubernetes
 * provider. It has no expiration: it lives as long as the Pulumi resource (an expired token would be deleted by the
 * token cleaner behind Pulumi's back). Errors never echo either argument: a swapped or joined token would leak.
 */
export function bootstrapTokenSecret(tokenId: string, tokenSecret: string): BootstrapTokenSecret {
    if (!/^[a-z0-9]{6}$/.test(tokenId)) {
        throw new Error("tokenId: expected 6 characters of [a-z0-9]");
    }
    if (!/^[a-z0-9]{16}$/.test(tokenSecret)) {
        throw new Error("tokenSecret: expected 16 characters of [a-z0-9]");
    }
    return {
        name: `bootstrap-token-${tokenId}`,
        namespace: "kube-system",
        type: "bootstrap.kubernetes.io/token",
        stringData: {
            "token-id": tokenId,
            "token-secret": tokenSecret,
            "usage-bootstrap-authentication": "true",
            "usage-bootstrap-signing": "true",
            "auth-extra-groups": bootstrapTokenGroup,
            description: "zta-testbed: lets worker nodes join (kubeadm join)",
        },
    };
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
    if (!isHostname(input.hostname)) {
        throw new Error(`hostname: expected a lowercase host name like "server2", got "${input.hostname}"`);
    }
    if (parseIPv4(input.nodeIp) === undefined) {
        throw new Error(`nodeIp: expected an IPv4 address like "10.0.0.11", got "${input.nodeIp}"`);
    }
    const endpoint = /^([^:]+):([1-9][0-9]{0,4})$/.exec(input.controlPlaneEndpoint);
    const host = endpoint?.[1] ?? "";
    if (!endpoint || Number(endpoint[2]) > 65535 || (parseIPv4(host) === undefined && (/^[0-9.]+$/.test(host) || !isHostname(host)))) {
        throw new Error(`controlPlaneEndpoint: expected host:port like "10.0.0.10:6443", got "${input.controlPlaneEndpoint}"`);
    }
    if (host === input.nodeIp) {
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
