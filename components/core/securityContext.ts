/** Security contexts of every pod the program renders: Pod Security `restricted` and more. */
import type * as k8s from "@pulumi/kubernetes";

/** The container security context of every pod we deploy (PSS restricted and more): explicit non-root ids. */
export function hardenedContainer(uid: number, gid: number) {
    return {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
    } satisfies k8s.types.input.core.v1.SecurityContext;
}

/**
 * Pod-level security: non-root, the RuntimeDefault seccomp profile (which injected containers inherit), and explicit
 * ids where given (fsGroup makes mounted Secret files readable by that group).
 */
export function restrictedPod(ids: { readonly uid?: number; readonly gid?: number; readonly fsGroup?: number } = {}) {
    return {
        runAsNonRoot: true,
        ...(ids.uid !== undefined ? { runAsUser: ids.uid } : {}),
        ...(ids.gid !== undefined ? { runAsGroup: ids.gid } : {}),
        ...(ids.fsGroup !== undefined ? { fsGroup: ids.fsGroup } : {}),
        seccompProfile: { type: "RuntimeDefault" },
    } satisfies k8s.types.input.core.v1.PodSecurityContext;
}
