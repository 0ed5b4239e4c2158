/**
 * Roots for images that are more than one static binary (Keycloak: a shell script, a JVM, a directory tree). Each
 * container gets its own root and its own mount namespace (unshare), in which the image's pieces and the pod's
 * volumes are bind-mounted where the image and the pod spec put them, as a container runtime would:
 *   - the host's /usr, read-only: the userland the image brings (bash, coreutils, libc), with the usual
 *     bin/lib/sbin links;
 *   - the toolchain's trees (a hard-linked copy per container, so mount points can be made in it) and directories
 *     (the JDK), read-only: the image's files, and a read-only root file system as the pod asks;
 *   - /proc and the four character devices a JVM reads;
 *   - every volume from its storage directory (one per pod, shared by its containers: an emptyDir an init
 *     container fills is the same directory the main container sees), parents before children, read-only where the
 *     mount says so.
 * The mounts live only in the container's namespace: they go when its process goes, and the runtime (which writes
 * the volumes' files into their storage) never sees them. Pure: the runtime runs the script this renders.
 */
import * as path from "node:path";
import type { VolumePlan } from "./plan";

export interface RootfsSpec {
    /** Host directories the image's userland comes from, bound read-only at the same path. */
    readonly host: readonly string[];
    /** Links in the root (merged-/usr layout): name → target. */
    readonly links: Readonly<Record<string, string>>;
    /** Trees copied (hard links) into the root at `path`, then made read-only. */
    readonly trees: readonly { readonly path: string; readonly source: string }[];
    /** Directories bound read-only at `path`. */
    readonly binds: readonly { readonly path: string; readonly source: string }[];
    /** The image's /etc/passwd and /etc/group lines. */
    readonly passwd: readonly string[];
    readonly group: readonly string[];
}

export interface MountStep {
    readonly kind: "bind" | "proc";
    readonly source: string;
    /** Path in the container (absolute). */
    readonly target: string;
    readonly readOnly: boolean;
    /** A single file (a device, a subPath): the target is a file, not a directory. */
    readonly file?: boolean;
}

export const devices = ["null", "zero", "random", "urandom"] as const;

/** Storage directory of each volume, by name (the runtime's layout). */
export type VolumeStorage = (volume: string) => string;

/**
 * Every mount of one container whose root is `root`, in the order they must be made. Sources are host paths; targets
 * are paths in the container.
 */
export function mountSteps(root: string, spec: RootfsSpec, volumes: readonly VolumePlan[], storage: VolumeStorage): MountStep[] {
    const steps: MountStep[] = [
        ...spec.host.map((h): MountStep => ({ kind: "bind", source: h, target: h, readOnly: true })),
        // a tree is its own copy in the root: bound onto itself to make it read-only
        ...spec.trees.map((t): MountStep => ({ kind: "bind", source: path.join(root, t.path), target: t.path, readOnly: true })),
        ...spec.binds.map((b): MountStep => ({ kind: "bind", source: b.source, target: b.path, readOnly: true })),
        { kind: "proc", source: "proc", target: "/proc", readOnly: false },
        ...devices.map((d): MountStep => ({ kind: "bind", source: `/dev/${d}`, target: `/dev/${d}`, readOnly: false, file: true })),
    ];
    const ordered = [...volumes].sort((a, b) => a.mountPath.split("/").length - b.mountPath.split("/").length);
    for (const v of ordered) {
        const source = v.subPath ? path.join(storage(v.name), v.subPath) : storage(v.name);
        steps.push({ kind: "bind", source, target: v.mountPath, readOnly: v.readOnly === true, file: v.subPath !== undefined });
    }
    return steps;
}

/** Single-quoted for sh (paths only: nothing secret is ever in a mount script). */
export const shq = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * The script `unshare --mount --propagation private sh -c SCRIPT sh ARGV...` runs: the mounts under `root`, then
 * `exec chroot` into it as the pod's user with the container's argv ("$@").
 */
export function mountScript(root: string, steps: readonly MountStep[], chroot: string, userspec: readonly string[]): string {
    const lines = ["set -eu"];
    for (const s of steps) {
        const target = path.join(root, s.target);
        lines.push(
            s.file ? `mkdir -p ${shq(path.dirname(target))}; [ -e ${shq(target)} ] || : > ${shq(target)}` : `mkdir -p ${shq(target)}`,
        );
        if (s.kind === "proc") {
            lines.push(`mount -t proc proc ${shq(target)}`);
            continue;
        }
        lines.push(`mount --bind ${shq(s.source)} ${shq(target)}`);
        if (s.readOnly) {
            lines.push(`mount -o remount,bind,ro ${shq(target)}`);
        }
    }
    lines.push(`exec ${shq(chroot)} ${userspec.map(shq).join(" ")} ${shq(root)} "$@"`);
    return lines.join("\n");
}
