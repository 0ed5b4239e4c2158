/**
 * kubeadm on the bare-metal servers: the control plane's configuration (kubeadm.k8s.io/v1beta4, GA since Kubernetes
 * 1.31), its init script and the reset (destroy) script of every node. The script that hands the admin kubeconfig
 * to Pulumi is in kubeconfigReadback.ts, the worker join in kubeadmJoin.ts. Renderers are pure; tests/platform/baremetal runs
 * the scripts against stubs.
 *
 * Decisions:
 * - A cluster is initialized once. When /etc/kubernetes/admin.conf exists, the init script never runs kubeadm again:
 *   if the rendered configuration differs from the one the cluster was built with, it exits 1 with a message
 *   (a changed cluster configuration needs destroy + recreate: kubeadm cannot re-init a running cluster, and
 *   silently keeping the old cluster would let Pulumi state and the machine diverge).
 * - kube-proxy is not installed when the CNI replaces it (Cilium does); a half-finished `kubeadm init` is recorded (pending marker)
 *   so the next run refuses to treat the leftovers as a cluster.
 * - Only the kubeconfig read script prints the admin kubeconfig (its stdout becomes a Pulumi secret); kubeadm's output
 *   goes through a filter that redacts bootstrap tokens and certificate keys.
 * - Secrets are encrypted at rest in etcd (the mesh's `cacerts` intermediate keys live in Secrets): an
 *   EncryptionConfiguration with a secretbox key (XSalsa20-Poly1305; aescbc is no longer recommended upstream)
 *   generated ON the control plane before kubeadm init, only when absent (a re-run never changes it), 0600 root in a
 *   0700 directory, never in argv, logs or Pulumi state. Destroy (kubeadm reset) removes it with the cluster.
 * - An API audit policy (`renderAuditPolicy`): Secrets, ConfigMaps, token reviews and token requests at Metadata (no
 *   bodies: they would log the very secrets), writes to RBAC and to the mesh's security policy at RequestResponse,
 *   everything else at Metadata; the log rotates (size, age, backups).
 * - A worker joins once, with a bootstrap token that reaches the join script on stdin only and lives on disk (0600)
 *   only while kubeadm join runs. Like init, a changed join configuration after the join fails the run.
 */
import { stringify } from "yaml";
import {
    isDnsLabel,
    isDnsName,
    isDnsSubdomain,
    isIPv4,
    looksNumeric,
    parseIPv4,
    parseIPv4Cidr,
    rangeContains,
    rangesOverlap,
} from "../../core/net";
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
    /** Install kubeadm's kube-proxy addon; default false: the CNI replaces it (`CniPlugin.replacesKubeProxy`). */
    readonly kubeProxy?: boolean;
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
export const kubeadmApiVersion = "kubeadm.k8s.io/v1beta4";
/** The API server's own configuration files (mounted read-only into its static pod); mode 700. */
export const apiServerConfigDir = "/etc/kubernetes/zta";
/** EncryptionConfiguration for Secrets, with the key; mode 600; made on the control plane, never rendered here. */
export const encryptionConfigPath = `${apiServerConfigDir}/encryption-config.yaml`;
export const auditPolicyPath = `${apiServerConfigDir}/audit-policy.yaml`;
export const auditLogDir = "/var/log/kubernetes/audit";
export const auditLogPath = `${auditLogDir}/audit.log`;
/** Audit log rotation: MB per file, days kept, files kept. */
export const auditLogRotation = { maxSizeMb: 100, maxAgeDays: 30, maxBackups: 10 } as const;
export const initPending = "kubeadm-init";
export const joinPending = "kubeadm-join";

function validate(input: KubeadmInput): void {
    if (!isDnsLabel(input.clusterName)) {
        throw new Error(`clusterName: expected a DNS label like "zta", got ${JSON.stringify(input.clusterName)}`);
    }
    const version = /^v1\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/.exec(input.kubernetesVersion);
    if (!version) {
        throw new Error(`kubernetesVersion: expected an exact version like "v1.32.3", got "${input.kubernetesVersion}"`);
    }
    if (Number(version[1]) < 31) {
        throw new Error(`kubernetesVersion: ${kubeadmApiVersion} needs Kubernetes v1.31 or later, got "${input.kubernetesVersion}"`);
    }
    if (!isDnsSubdomain(input.hostname)) {
        throw new Error(`hostname: expected a lowercase host name like "server1", got ${JSON.stringify(input.hostname)}`);
    }
    const address = parseIPv4(input.advertiseAddress);
    if (address === undefined) {
        throw new Error(`advertiseAddress: expected an IPv4 address like "10.0.0.10", got "${input.advertiseAddress}"`);
    }
    const pods = parseIPv4Cidr(input.podSubnet);
    if (!pods) {
        throw new Error(`podSubnet: expected an IPv4 CIDR with zero host bits like "10.244.0.0/16", got "${input.podSubnet}"`);
    }
    if (pods.prefix > 24) {
        throw new Error(`podSubnet: /${pods.prefix} is smaller than the /24 each node gets; use /24 or larger`);
    }
    const services = parseIPv4Cidr(input.serviceSubnet);
    if (!services) {
        throw new Error(`serviceSubnet: expected an IPv4 CIDR with zero host bits like "10.96.0.0/12", got "${input.serviceSubnet}"`);
    }
    if (services.prefix < 12 || services.prefix > 28) {
        throw new Error(`serviceSubnet: expected a prefix from /12 to /28, got "${input.serviceSubnet}"`);
    }
    if (rangesOverlap(pods, services)) {
        throw new Error(`serviceSubnet: "${input.serviceSubnet}" overlaps podSubnet "${input.podSubnet}"`);
    }
    for (const [field, cidr] of [
        ["podSubnet", pods],
        ["serviceSubnet", services],
    ] as const) {
        if (rangeContains(cidr, address)) {
            throw new Error(
                `advertiseAddress: ${input.advertiseAddress} lies inside ${field} ${field === "podSubnet" ? input.podSubnet : input.serviceSubnet}`,
            );
        }
    }
    (input.certSANs ?? []).forEach((san, i) => {
        if (!isIPv4(san) && (looksNumeric(san) || !isDnsName(san))) {
            throw new Error(`certSANs[${i}]: expected an IPv4 address or a DNS name, got ${JSON.stringify(san)}`);
        }
    });
}

/**
 * The API audit policy. Rules match in order: nothing for health probes; Metadata (who, what, when — never a body)
 * for Secrets, ConfigMaps, token reviews/requests and bootstrap/certificate traffic, whose bodies carry credentials;
 * RequestResponse for changes to RBAC and to the mesh's and the network's security policy; Metadata for the rest.
 */
export function renderAuditPolicy(): string {
    const policy = {
        apiVersion: "audit.k8s.io/v1",
        kind: "Policy",
        omitStages: ["RequestReceived"],
        rules: [
            { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"] },
            {
                level: "Metadata",
                resources: [
                    { group: "", resources: ["secrets", "configmaps", "serviceaccounts/token"] },
                    { group: "authentication.k8s.io", resources: ["tokenreviews"] },
                    { group: "certificates.k8s.io", resources: ["certificatesigningrequests"] },
                ],
            },
            {
                level: "RequestResponse",
                verbs: ["create", "update", "patch", "delete", "deletecollection"],
                resources: [
                    { group: "rbac.authorization.k8s.io" },
                    { group: "networking.k8s.io", resources: ["networkpolicies"] },
                    { group: "security.istio.io" },
                    { group: "admissionregistration.k8s.io" },
                ],
            },
            { level: "Metadata" },
        ],
    };
    return `# Managed by zta-testbed.\n${stringify(policy)}`;
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
        apiServer: {
            certSANs: sans,
            // v1beta4 extra arguments are a list of name/value pairs.
            extraArgs: [
                { name: "encryption-provider-config", value: encryptionConfigPath },
                { name: "audit-policy-file", value: auditPolicyPath },
                { name: "audit-log-path", value: auditLogPath },
                { name: "audit-log-maxsize", value: String(auditLogRotation.maxSizeMb) },
                { name: "audit-log-maxage", value: String(auditLogRotation.maxAgeDays) },
                { name: "audit-log-maxbackup", value: String(auditLogRotation.maxBackups) },
            ],
            extraVolumes: [
                { name: "zta-config", hostPath: apiServerConfigDir, mountPath: apiServerConfigDir, readOnly: true, pathType: "Directory" },
                { name: "zta-audit-log", hostPath: auditLogDir, mountPath: auditLogDir, readOnly: false, pathType: "Directory" },
            ],
        },
    };
    return `# Managed by zta-testbed; a change needs the cluster destroyed and recreated.\n${stringify(init)}---\n${stringify(cluster)}`;
}

/**
 * The EncryptionConfiguration as the init script writes it, `$encryption_key` expanded by bash (double-quoted text;
 * nothing else in it expands). Secrets are written with secretbox; `identity` last reads what was stored before.
 */
const encryptionConfigTemplate = `# Managed by zta-testbed: the key Secrets are encrypted with in etcd. Losing it loses every Secret.
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - secretbox:
          keys:
            - name: zta-key-1
              secret: $encryption_key
      - identity: {}`;

/**
 * Filter for kubeadm's combined output: bootstrap tokens and certificate keys (and CA hashes, same shape) are
 * redacted before they reach logs.
 */
export const redactKubeadmOutput = `sed -E 's/[a-z0-9]{6}\\.[a-z0-9]{16}/<redacted-token>/g; s/[0-9a-f]{64}/<redacted>/g'`;

/** Bash: a bounded wait until the API server answers /readyz with "ok" (needs ADMIN_CONF); prints nothing to stdout. */
export function apiServerReadyGate(): string {
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
    const auditPolicy = renderAuditPolicy();
    if (config.split("\n").includes("ZTA_EOF") || auditPolicy.split("\n").includes("ZTA_EOF")) {
        throw new Error('kubeadm config must not contain a line "ZTA_EOF"');
    }
    const kubectl = `kubectl --kubeconfig "$ROOT$ADMIN_CONF"`;
    const sections: string[] = [];

    sections.push(`CONFIG=${shellQuote(kubeadmConfigPath)}
ADMIN_CONF=${shellQuote(adminKubeconfig)}
NODE_NAME=${shellQuote(input.hostname)}
CONFIG_DIR=${shellQuote(apiServerConfigDir)}
ENCRYPTION_CONFIG=${shellQuote(encryptionConfigPath)}
AUDIT_POLICY=${shellQuote(auditPolicyPath)}
AUDIT_LOG_DIR=${shellQuote(auditLogDir)}
config="$(cat <<'ZTA_EOF'
${config}ZTA_EOF
)"
audit_policy="$(cat <<'ZTA_EOF'
${auditPolicy}ZTA_EOF
)"
`);

    sections.push(`# One kubeadm init per cluster. Once admin.conf exists the cluster is never re-initialized: a different
# configuration fails the run (destroy and recreate the cluster to change it) instead of silently diverging.
if [[ -e "$ROOT$ADMIN_CONF" ]]; then
    if is_pending ${initPending}; then
        die "kubeadm: a previous kubeadm init did not complete; run the kubeadm reset (destroy) script, then this one again"
    fi
    if ! cmp -s -- "$ROOT$CONFIG" - <<<"$config" || ! cmp -s -- "$ROOT$AUDIT_POLICY" - <<<"$audit_policy"; then
        die "kubeadm: the cluster configuration changed (or $CONFIG or $AUDIT_POLICY is missing) after kubeadm init; kubeadm cannot change an initialized cluster: destroy the cluster (kubeadm reset script) and recreate it"
    fi
    # Without its key the API server cannot read a single Secret: never make a new one for an existing cluster.
    if [[ ! -f "$ROOT$ENCRYPTION_CONFIG" ]]; then
        die "kubeadm: $ENCRYPTION_CONFIG (the key Secrets are encrypted with) is missing from an initialized cluster; restore it from a backup, or destroy the cluster (kubeadm reset script) and recreate it"
    fi
    encryption_mode="$(stat -c %a -- "$ROOT$ENCRYPTION_CONFIG")"
    if [[ "$encryption_mode" != 600 ]]; then
        chmod 600 "$ROOT$ENCRYPTION_CONFIG"
        changed "set $ENCRYPTION_CONFIG back to mode 600"
    fi
else
    # The API server's configuration: a directory only root can enter, the audit policy, and the encryption key.
    for dir in "$CONFIG_DIR" "$AUDIT_LOG_DIR"; do
        if [[ ! -d "$ROOT$dir" ]]; then
            mkdir -p -- "$ROOT$dir"
            chmod 700 "$ROOT$dir"
            changed "created $dir (mode 700)"
        else
            dir_mode="$(stat -c %a -- "$ROOT$dir")"
            if [[ "$dir_mode" != 700 ]]; then
                chmod 700 "$ROOT$dir"
                changed "set $dir to mode 700"
            fi
        fi
    done
    write_file "$AUDIT_POLICY" 600 <<<"$audit_policy" || true
    # The key: 32 random bytes made here, only when there is none (a run that died before kubeadm init left one:
    # kept). It goes from /dev/urandom through a shell variable into a 0600 file: never an argument, never printed.
    if [[ ! -f "$ROOT$ENCRYPTION_CONFIG" ]]; then
        encryption_key="$(head -c 32 /dev/urandom | base64 -w 0)"
        [[ \${#encryption_key} == 44 ]] || die "kubeadm: could not read 32 random bytes for the encryption key"
        write_file "$ENCRYPTION_CONFIG" 600 <<<"${encryptionConfigTemplate}" || true
        unset encryption_key
    fi
    # Mode 600 like kubeadm's own files (the configuration holds no secret: kubeadm generates the bootstrap token).
    write_file "$CONFIG" 600 <<<"$config" || true
    mark_pending ${initPending}
${
    input.kubeProxy
        ? ""
        : `    # --skip-phases=addon/kube-proxy: Cilium replaces kube-proxy (eBPF service load-balancing); a kube-proxy
    # installed now would program iptables rules that fight Cilium's and survive its installation.
`
}    # kubeadm prints the bootstrap token (join command): redacted, with any certificate key, before it reaches logs.
    kubeadm init --config "$ROOT$CONFIG"${input.kubeProxy ? "" : " --skip-phases=addon/kube-proxy"} 2>&1 |
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
        // The encryption key of the cluster's Secrets: worthless once etcd is gone, and a secret.
        apiServerConfigDir,
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
