/**
 * The single-node kubeadm control plane: its configuration (kubeadm.k8s.io/v1beta4, GA since Kubernetes 1.31),
 * the init script and the reset (destroy) script. Renderers are pure; tests/baremetal runs the scripts against stubs.
 *
 * Decisions:
 * - A cluster is initialized once. When /etc/kubernetes/admin.conf exists, the init script never runs kubeadm again:
 *   if the rendered configuration differs from the one the cluster was built with, it exits 1 with a message
 *   (a changed cluster configuration needs destroy + recreate: kubeadm cannot re-init a running cluster, and
 *   silently keeping the old cluster would let Pulumi state and the machine diverge).
 * - kube-proxy is never installed (Cilium replaces it); a half-finished `kubeadm init` is recorded (pending marker)
 *   so the next run refuses to treat the leftovers as a cluster.
 * - Nothing prints the admin kubeconfig; kubeadm's output goes through a filter that redacts bootstrap tokens and
 *   certificate keys.
 */
import { stringify } from "yaml";
import { pendingDir, renderScript, shellQuote } from "./script";

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
const kubeadmApiVersion = "kubeadm.k8s.io/v1beta4";
const initPending = "kubeadm-init";

const hostLabel = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const hostnamePattern = new RegExp(`^${hostLabel}(?:\\.${hostLabel})*$`);
const dnsNamePattern = new RegExp(`^${hostLabel.replace(/a-z/g, "A-Za-z")}(?:\\.${hostLabel.replace(/a-z/g, "A-Za-z")})*$`);

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
    if (input.hostname.length > 253 || !hostnamePattern.test(input.hostname)) {
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
        sed -E 's/[a-z0-9]{6}\\.[a-z0-9]{16}/<redacted-token>/g; s/[0-9a-f]{64}/<redacted>/g'
    clear_pending ${initPending}
    changed "kubeadm init (${input.kubernetesVersion})"
fi
`);

    sections.push(`# Bounded readiness gate: the API server must answer /readyz with "ok".
attempts=${readinessAttempts}
for ((attempt = 1; ; attempt++)); do
    if readyz="$(${kubectl} get --raw=/readyz 2>/dev/null)"; then
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
`);

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
 * - /etc/zta-testbed/kubeadm.yaml and the pending init marker: the next init starts from scratch.
 * Not removed: $HOME/.kube (the init script never writes one; it may belong to an operator), iptables/eBPF state of
 * Cilium (uninstall Cilium first, or reboot).
 */
export function renderKubeadmReset(): string {
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
for path in /etc/cni/net.d /var/lib/etcd ${shellQuote(kubeadmConfigPath)} ${shellQuote(`${pendingDir}/${initPending}`)}; do
    if [[ -e "$ROOT$path" || -L "$ROOT$path" ]]; then
        rm -rf -- "$ROOT$path"
        changed "removed $path"
    fi
done
`);
    return renderScript("kubeadm reset", sections);
}
