/** What the node-prerequisites test files share: the rendered script, its expected first run, a fresh machine. */
import { NodePrereqsInput, renderNodePrereqs } from "../../../components/platform/baremetal/nodePrereqs";
import { commandLine, hostPool, isStateChanging, ScriptRun, StubCall, StubHost } from "./stubs";
export const caPem = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUZnRlc3Q=\n-----END CERTIFICATE-----\n";
export const input: NodePrereqsInput = {
    kubernetesMinor: "1.32",
    kubernetesPackageVersion: "1.32.3-1.1",
    registry: { hostPort: "registry.lab:5000", caPem },
};
export const script = renderNodePrereqs(input);
export const pinned = "kubeadm=1.32.3-1.1 kubelet=1.32.3-1.1 kubectl=1.32.3-1.1";
export const keyring = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg";

/** Every call of a first run on a fresh machine with swap on, in order; <ROOT> is the scratch root. */
export const firstRunCalls = [
    "lsmod",
    "modprobe overlay",
    "modprobe br_netfilter",
    "sysctl --system",
    "swapon --show --noheadings",
    "swapoff -a",
    "dpkg-query --show --showformat=${db:Status-Status} ${Package} ${Version}\\n",
    "apt-get update -o DPkg::Lock::Timeout=600",
    "apt-get install -y --no-install-recommends --no-remove -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold ca-certificates curl gpg containerd",
    "systemctl restart containerd",
    "systemctl show --property=UnitFileState --value containerd",
    "systemctl enable containerd",
    "curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.32/deb/Release.key",
    `gpg --batch --yes --dearmor -o <ROOT>${keyring}.zta-tmp`,
    "apt-get update -o DPkg::Lock::Timeout=600",
    `apt-get install -y --no-install-recommends --no-remove -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold --allow-change-held-packages --allow-downgrades ${pinned}`,
    "apt-mark showhold",
    "apt-mark hold kubeadm kubelet kubectl",
    "systemctl show --property=UnitFileState --value kubelet",
    "systemctl enable kubelet",
];

/** Fresh Debian-like machines: nothing installed, swap on (active and in fstab); cleanupHosts from afterAll. */
const pool = hostPool((host) => {
    host.setState("swaps", ["/swap.img file 2G 0B -2"]);
    host.putFile("/etc/fstab", "UUID=1234 / ext4 errors=remount-ro 0 1\n/swap.img none swap sw 0 0\n");
});
export const freshHost = pool.fresh;
export const cleanupHosts = pool.cleanup;

/** Call lines with the scratch root shown as <ROOT>; the curl | gpg pipeline in a fixed order (its stubs race). */
export function lines(host: StubHost, calls: readonly StubCall[]): string[] {
    const result = calls.map((c) => commandLine(c).split(host.root).join("<ROOT>"));
    const gpg = result.findIndex((l) => l.startsWith("gpg "));
    if (gpg >= 0 && result[gpg + 1]?.startsWith("curl ")) {
        [result[gpg], result[gpg + 1]] = [result[gpg + 1], result[gpg]];
    }
    return result;
}

export function changes(host: StubHost, run: ScriptRun): string[] {
    return lines(host, run.calls.filter(isStateChanging));
}
