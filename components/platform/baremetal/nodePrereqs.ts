/**
 * The script that prepares a Debian/Ubuntu server to become a kubeadm Kubernetes node: kernel modules, sysctls,
 * swap off, containerd (systemd cgroups, per-registry hosts in certs.d), the pkgs.k8s.io repository and pinned
 * kubeadm/kubelet/kubectl. Pure: the same input renders the same text; tests/platform/baremetal runs it against stubs.
 */
import { isDnsLabel, parseHostPort } from "../../core/net";
import { renderScript, shellQuote, writeFileStep } from "./script";

export interface NodePrereqsInput {
    /** Kubernetes minor release whose pkgs.k8s.io repository is used, e.g. "1.32". */
    readonly kubernetesMinor: string;
    /** Exact Debian version of kubeadm, kubelet and kubectl, e.g. "1.32.3-1.1"; its minor must be kubernetesMinor. */
    readonly kubernetesPackageVersion: string;
    /** A private registry containerd pulls from over TLS, verified against caPem (public certificates only). */
    readonly registry?: { readonly hostPort: string; readonly caPem: string };
    /** Kernel modules the CNI needs on every node besides the container runtime's (`CniPlugin.nodeKernelModules`). */
    readonly kernelModules?: readonly string[];
}

const keyring = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg";
/** Present once the node joined a cluster (kubeadm init or join). */
const kubeletKubeconfig = "/etc/kubernetes/kubelet.conf";
const certsDir = "/etc/containerd/certs.d";
const kubernetesPackages = ["kubeadm", "kubelet", "kubectl"] as const;
/** Installed when missing; curl and gpg fetch the repository key. */
const basePackages = ["ca-certificates", "curl", "gpg", "containerd"] as const;

const pemCertificates = /^(?:-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n*)+$/;

function validate(input: NodePrereqsInput): void {
    if (!/^1\.[0-9]{1,3}$/.test(input.kubernetesMinor)) {
        throw new Error(`kubernetesMinor: expected a Kubernetes minor release like "1.32", got "${input.kubernetesMinor}"`);
    }
    const version = /^(1\.[0-9]{1,3})\.[0-9]{1,3}-[0-9]+\.[0-9]+$/.exec(input.kubernetesPackageVersion);
    if (!version) {
        throw new Error(`kubernetesPackageVersion: expected a package version like "1.32.3-1.1", got "${input.kubernetesPackageVersion}"`);
    }
    if (version[1] !== input.kubernetesMinor) {
        throw new Error(
            `kubernetesPackageVersion: "${input.kubernetesPackageVersion}" is not a release of kubernetesMinor "${input.kubernetesMinor}"`,
        );
    }
    (input.kernelModules ?? []).forEach((module, i) => {
        // Module names go into a shell word list and a modules-load.d file.
        if (!isDnsLabel(module.replace(/_/g, "-"))) {
            throw new Error(`kernelModules[${i}]: expected a kernel module name like "br_netfilter", got ${JSON.stringify(module)}`);
        }
    });
    if (input.registry) {
        if (!parseHostPort(input.registry.hostPort)) {
            throw new Error(`registry.hostPort: expected host:port like "registry.lab:5000", got "${input.registry.hostPort}"`);
        }
        if (!pemCertificates.test(input.registry.caPem.replace(/\r/g, "").trim() + "\n")) {
            throw new Error("registry.caPem: expected one or more PEM certificates (-----BEGIN CERTIFICATE-----)");
        }
    }
}

/** containerd 1.6+ (config version 2, which containerd 2.x still reads): systemd cgroups, hosts from certs.d. */
export function containerdConfig(): string {
    return `# Managed by zta-testbed; local edits are overwritten.
version = 2

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  # The kubelet's cgroup driver on kubeadm clusters is systemd; both must agree.
  SystemdCgroup = true

[plugins."io.containerd.grpc.v1.cri".registry]
  # Per-registry hosts.toml files, read at each pull (no restart needed when they change).
  config_path = "${certsDir}"
`;
}

/** containerd's hosts.toml for a TLS registry verified against its own CA (never skip_verify). */
export function registryHostsToml(hostPort: string): string {
    return `# Managed by zta-testbed.
server = "https://${hostPort}"

[host."https://${hostPort}"]
  capabilities = ["pull", "resolve"]
  ca = "${certsDir}/${hostPort}/ca.crt"
`;
}

/** The apt source of the pkgs.k8s.io repository of one minor release. */
export function kubernetesAptSource(minor: string): string {
    return `deb [signed-by=${keyring}] https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ /\n`;
}

/** Renders the node preparation script; throws an Error naming the offending field on invalid input. */
export function renderNodePrereqs(input: NodePrereqsInput): string {
    validate(input);
    const words = (list: readonly string[]) => list.map(shellQuote).join(" ");
    const sections: string[] = [];

    sections.push(`K8S_PACKAGE_VERSION=${shellQuote(input.kubernetesPackageVersion)}
export DEBIAN_FRONTEND=noninteractive
`);

    const modules = [...new Set(["overlay", "br_netfilter", ...(input.kernelModules ?? [])])];
    sections.push(`# Kernel modules for the container runtime and bridged pod traffic: loaded at boot and now.
${writeFileStep("/etc/modules-load.d/zta-kubernetes.conf", "644", modules.map((m) => `${m}\n`).join(""))}modules="$(lsmod)"
for module in ${modules.join(" ")}; do
    if ! listed "$module" <<<"$modules"; then
        modprobe "$module"
        changed "loaded module $module"
    fi
done
`);

    sections.push(`# Bridged traffic through iptables, and IP forwarding (kubeadm preflight checks both).
${writeFileStep(
    "/etc/sysctl.d/99-zta-kubernetes.conf",
    "644",
    "net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n",
    "mark_pending sysctl-system",
)}if is_pending sysctl-system; then
    sysctl --system >/dev/null
    clear_pending sysctl-system
    changed "applied sysctls"
fi
`);

    sections.push(`# The kubelet refuses to run with swap on: off now, and at boot (fstab entries commented out).
swaps="$(swapon --show --noheadings)"
if [[ -n "$swaps" ]]; then
    swapoff -a
    changed "swap off"
fi
if [[ -f "$ROOT/etc/fstab" ]]; then
    fstab_mode="$(stat -c %a -- "$ROOT/etc/fstab")"
    fstab="$(awk '!/^[[:space:]]*#/ && $3 == "swap" { print "# " $0 "  # swap off for the kubelet (zta-testbed)"; next } { print }' "$ROOT/etc/fstab")"
    write_file /etc/fstab "$fstab_mode" <<<"$fstab" || true
fi
`);

    sections.push(`# Installed packages, listed once: querying all exits 0, querying one unknown package would exit 1 and be
# indistinguishable from a dpkg failure.
packages="$(dpkg-query --show --showformat='\${db:Status-Status} \${Package} \${Version}\\n')"
installed_version() {
    awk -v package="$1" '$1 == "installed" && $2 == package { print $3 }' <<<"$packages"
}
missing=()
for package in ${words(basePackages)}; do
    version="$(installed_version "$package")"
    # Docker's containerd.io provides containerd too: installing Debian's would remove it (and docker-ce).
    if [[ "$package" == containerd && -z "$version" ]]; then
        version="$(installed_version containerd.io)"
    fi
    if [[ -z "$version" ]]; then
        missing+=("$package")
    fi
done
if ((\${#missing[@]})); then
    apt-get update -o DPkg::Lock::Timeout=600
    apt-get install -y --no-install-recommends --no-remove -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold "\${missing[@]}"
    changed "installed \${missing[*]}"
fi
`);

    const registry = input.registry;
    const registrySteps = registry
        ? `# Pulls from ${registry.hostPort} verify its certificate against its CA.
${writeFileStep(`${certsDir}/${registry.hostPort}/ca.crt`, "644", registry.caPem.replace(/\r/g, "").trim() + "\n")}${writeFileStep(
              `${certsDir}/${registry.hostPort}/hosts.toml`,
              "644",
              registryHostsToml(registry.hostPort),
          )}`
        : "";
    sections.push(`# containerd with systemd cgroups, restarted only when its configuration changed.
${writeFileStep("/etc/containerd/config.toml", "644", containerdConfig(), "mark_pending containerd-restart")}${registrySteps}if is_pending containerd-restart; then
    systemctl restart containerd
    clear_pending containerd-restart
    changed "restarted containerd"
fi
# \`systemctl show\` exits 0 for enabled and disabled units alike (unlike is-enabled), so a failing systemctl
# stops the script instead of reading as "disabled".
enable_unit() {
    local state
    state="$(systemctl show --property=UnitFileState --value "$1")"
    if [[ "$state" != enabled ]]; then
        systemctl enable "$1"
        changed "enabled $1"
    fi
}
enable_unit containerd
`);

    sections.push(`# The pkgs.k8s.io repository of Kubernetes ${input.kubernetesMinor} (one signing key for all minors: fetched once).
mkdir -p -- "$ROOT/etc/apt/keyrings"
if [[ ! -s "$ROOT${keyring}" ]]; then
    # Into a temporary file first: an interrupted download must not leave a keyring that looks present.
    curl -fsSL ${shellQuote(`https://pkgs.k8s.io/core:/stable:/v${input.kubernetesMinor}/deb/Release.key`)} |
        gpg --batch --yes --dearmor -o "$ROOT${keyring}.zta-tmp"
    chmod 644 "$ROOT${keyring}.zta-tmp"
    mv -f -- "$ROOT${keyring}.zta-tmp" "$ROOT${keyring}"
    changed "fetched the Kubernetes apt key"
fi
${writeFileStep("/etc/apt/sources.list.d/kubernetes.list", "644", kubernetesAptSource(input.kubernetesMinor), "mark_pending apt-update")}`);

    sections.push(`# A node already in a cluster keeps its Kubernetes version: moving kubelet under a running control plane is
# an unsupported skew, and kubeadm upgrades are not automated here. Changing versions = destroy, then up.
kubelet_version="$(installed_version kubelet)"
if [[ -e "$ROOT${kubeletKubeconfig}" && -n "$kubelet_version" && "$kubelet_version" != "$K8S_PACKAGE_VERSION" ]]; then
    die "kubelet $kubelet_version runs in a cluster on this node; this run wants $K8S_PACKAGE_VERSION: changing the Kubernetes version of a live cluster needs pulumi destroy, then pulumi up"
fi
`);

    sections.push(`# kubeadm, kubelet and kubectl at exactly $K8S_PACKAGE_VERSION, held against unattended upgrades.
pins=()
for package in ${words(kubernetesPackages)}; do
    version="$(installed_version "$package")"
    if [[ "$version" != "$K8S_PACKAGE_VERSION" ]]; then
        pins+=("$package=$K8S_PACKAGE_VERSION")
    fi
done
if ((\${#pins[@]})); then
    # A new patch release may be missing from an older package index, even with an unchanged source list.
    mark_pending apt-update
fi
if is_pending apt-update; then
    apt-get update -o DPkg::Lock::Timeout=600
    clear_pending apt-update
fi
if ((\${#pins[@]})); then
    # --force-confold: keep local configuration files on upgrades instead of waiting for an answer.
    apt-get install -y --no-install-recommends --no-remove -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold --allow-change-held-packages --allow-downgrades "\${pins[@]}"
    changed "installed \${pins[*]}"
fi
holds="$(apt-mark showhold)"
unheld=()
for package in ${words(kubernetesPackages)}; do
    if ! listed "$package" <<<"$holds"; then
        unheld+=("$package")
    fi
done
if ((\${#unheld[@]})); then
    apt-mark hold "\${unheld[@]}"
    changed "held \${unheld[*]}"
fi
# kubeadm starts the kubelet; until then it would only crash-loop.
enable_unit kubelet
`);

    return renderScript("Kubernetes node prerequisites", sections);
}
