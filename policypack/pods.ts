/**
 * zero-trust.md "Pods we deploy ourselves": Pod Security "restricted", hardening (read-only root, requests/limits,
 * probes), pinned images, no secrets in env literals, a service account of its own without a token unless needed.
 */
import { arr, at, describeObject, isKind, json, namespaceOf, Obj, obj, PolicyObject, ResourceRule, str, strings } from "./model";
import { TOKEN_MOUNT_SERVICE_ACCOUNTS } from "./allowLists";

interface PodTemplate {
    /** Props path of the pod spec, for messages. */
    readonly path: string;
    readonly spec: Obj;
    readonly metadata: Obj;
    readonly namespace: string;
    /** Run-to-completion (Job, CronJob, a Pod that does not restart): no probes required. */
    readonly batch: boolean;
}

/** The pod template of a workload object (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, RC). */
export function podTemplate(r: PolicyObject): PodTemplate | undefined {
    const ns = (): string => namespaceOf(r);
    const template = (path: string, batch: boolean, t: unknown): PodTemplate => ({
        path,
        spec: obj(at(t, "spec")) ?? {},
        metadata: obj(at(t, "metadata")) ?? {},
        namespace: ns(),
        batch,
    });
    if (isKind(r, "apps", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet") || isKind(r, "", "ReplicationController")) {
        return template("spec.template", false, at(r.props, "spec", "template"));
    }
    if (isKind(r, "batch", "Job")) {
        return template("spec.template", true, at(r.props, "spec", "template"));
    }
    if (isKind(r, "batch", "CronJob")) {
        return template("spec.jobTemplate.spec.template", true, at(r.props, "spec", "jobTemplate", "spec", "template"));
    }
    if (isKind(r, "", "Pod")) {
        const restart = at(r.props, "spec", "restartPolicy");
        return { ...template("", restart === "Never" || restart === "OnFailure", r.props), path: "" };
    }
    return undefined;
}

interface Container {
    readonly path: string;
    readonly c: Obj;
    readonly init: boolean;
}
function containers(pod: PodTemplate): Container[] {
    const prefix = pod.path ? `${pod.path}.spec` : "spec";
    return (["containers", "initContainers", "ephemeralContainers"] as const).flatMap((list) =>
        arr(pod.spec[list]).map((c, i) => ({ path: `${prefix}.${list}[${i}]`, c: obj(c) ?? {}, init: list !== "containers" })),
    );
}

function podRule(
    info: Omit<ResourceRule, "scope" | "check" | "enforcementLevel">,
    check: (pod: PodTemplate, spec: string) => string[],
): ResourceRule {
    return {
        ...info,
        scope: "resource",
        enforcementLevel: "mandatory",
        check: (r) => {
            const pod = podTemplate(r);
            return pod ? check(pod, pod.path ? `${pod.path}.spec` : "spec").map((m) => `${describeObject(r)}: ${m}`) : [];
        },
    };
}

/** Volume sources Pod Security "restricted" admits. */
const RESTRICTED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

export const podSecurityRestricted = podRule(
    {
        name: "pod-security-restricted",
        description:
            "Pods we deploy meet Pod Security restricted: runAsNonRoot, no root UID, allowPrivilegeEscalation false, capabilities drop ALL, seccomp RuntimeDefault, no privileged, no host namespaces/ports/hostPath.",
        reference: 'PSS "restricted": runAsNonRoot, allowPrivilegeEscalation false, drop ALL, seccomp RuntimeDefault, no hostPath',
    },
    (pod, spec) => {
        const out: string[] = [];
        for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
            if (pod.spec[field] === true) {
                out.push(`${spec}.${field} is true`);
            }
        }
        arr(pod.spec.volumes).forEach((v, i) => {
            const source = Object.keys(obj(v) ?? {}).filter((k) => k !== "name");
            for (const s of source.filter((k) => !RESTRICTED_VOLUMES.includes(k))) {
                out.push(
                    `${spec}.volumes[${i}] (${json(at(v, "name"))}) is a ${s} volume${s === "hostPath" ? "" : ", not allowed by Pod Security restricted"}`,
                );
            }
        });
        const podSc = obj(pod.spec.securityContext) ?? {};
        if (podSc.runAsUser === 0) {
            out.push(`${spec}.securityContext.runAsUser is 0 (root)`);
        }
        for (const { path, c } of containers(pod)) {
            const sc = obj(c.securityContext) ?? {};
            const name = json(c.name);
            if (sc.privileged === true) {
                out.push(`${path} (${name}) securityContext.privileged is true`);
            }
            if (sc.allowPrivilegeEscalation !== false) {
                out.push(
                    `${path} (${name}) securityContext.allowPrivilegeEscalation is ${json(sc.allowPrivilegeEscalation)}; must be false`,
                );
            }
            if (!strings(at(sc, "capabilities", "drop")).includes("ALL")) {
                out.push(`${path} (${name}) securityContext.capabilities.drop does not include "ALL"`);
            }
            for (const cap of strings(at(sc, "capabilities", "add")).filter((x) => x !== "NET_BIND_SERVICE")) {
                out.push(`${path} (${name}) securityContext.capabilities.add has ${json(cap)} (restricted allows only NET_BIND_SERVICE)`);
            }
            const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
            if (nonRoot !== true) {
                out.push(`${path} (${name}) runs without runAsNonRoot: true (container or pod securityContext)`);
            }
            if (sc.runAsUser === 0) {
                out.push(`${path} (${name}) securityContext.runAsUser is 0 (root)`);
            }
            const seccomp = at(sc, "seccompProfile", "type") ?? at(podSc, "seccompProfile", "type");
            if (seccomp !== "RuntimeDefault") {
                out.push(
                    `${path} (${name}) seccompProfile.type is ${json(seccomp)}; must be RuntimeDefault (container or pod securityContext)`,
                );
            }
            arr(c.ports).forEach((p, i) => {
                if (at(p, "hostPort") !== undefined && at(p, "hostPort") !== 0) {
                    out.push(`${path} (${name}) ports[${i}].hostPort is ${json(at(p, "hostPort"))}`);
                }
            });
        }
        return out;
    },
);

export const podHardening = podRule(
    {
        name: "pod-hardening",
        description:
            "Containers we deploy have a read-only root filesystem and cpu/memory requests and limits; long-running containers have liveness and readiness probes.",
        reference: "Plus read-only root FS, requests/limits, probes",
    },
    (pod) => {
        const out: string[] = [];
        for (const { path, c, init } of containers(pod)) {
            const name = json(c.name);
            if (path.includes("ephemeralContainers")) {
                continue; // debug containers take no resources/probes
            }
            if (at(c, "securityContext", "readOnlyRootFilesystem") !== true) {
                out.push(`${path} (${name}) securityContext.readOnlyRootFilesystem is not true`);
            }
            for (const kind of ["requests", "limits"]) {
                for (const resource of ["cpu", "memory"]) {
                    if (at(c, "resources", kind, resource) === undefined) {
                        out.push(`${path} (${name}) resources.${kind}.${resource} is not set`);
                    }
                }
            }
            if (!init && !pod.batch) {
                for (const probe of ["livenessProbe", "readinessProbe"]) {
                    if (c[probe] === undefined) {
                        out.push(`${path} (${name}) has no ${probe}`);
                    }
                }
            }
        }
        return out;
    },
);

/**
 * Pinned: a digest (`repo@sha256:…` or `repo:tag@sha256:…`, where the runtime pulls by digest and ignores the tag),
 * or a tag other than `latest` (the registry host's `:port` is not a tag). Anything after an `@` must be a well-formed
 * sha256 digest: a malformed one is not read as a tag.
 */
export function imagePinned(image: string): boolean {
    if (image.includes("@")) {
        return /^[^@]+@sha256:[0-9a-f]{64}$/.test(image);
    }
    const lastSegment = image.split("/").pop() ?? "";
    const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : "";
    return tag !== "" && tag !== "latest";
}

export const podImagesPinned = podRule(
    {
        name: "pod-image-pinned",
        description: "Every container image we deploy is pinned by digest or by a tag other than latest (never untagged).",
        reference: "pinned image tags (never `latest`)",
    },
    (pod) =>
        containers(pod)
            .filter(({ c }) => typeof c.image !== "string" || !imagePinned(c.image))
            .map(({ path, c }) => `${path} (${json(c.name)}) image is ${json(c.image)}; pin a tag other than latest, or a digest`),
);

/** Env names that carry credentials. */
const secretEnvName = /(PASSWORD|SECRET|TOKEN|KEY)$/i;

export const podNoSecretEnvLiterals = podRule(
    {
        name: "pod-no-secret-env-literals",
        description:
            "No container env var named *PASSWORD/*SECRET/*TOKEN/*KEY has a literal value (use valueFrom.secretKeyRef); the value is never echoed.",
        reference: "no secrets in env literals",
    },
    (pod) =>
        containers(pod).flatMap(({ path, c }) =>
            arr(c.env).flatMap((e, i) => {
                const name = str(at(e, "name")) ?? "";
                const value = at(e, "value");
                return secretEnvName.test(name) && typeof value === "string" && value !== ""
                    ? [`${path} (${json(c.name)}) env[${i}] ${name} has a literal value; take it from a Secret (valueFrom.secretKeyRef)`]
                    : [];
            }),
        ),
);

export const podServiceAccount = podRule(
    {
        name: "pod-service-account",
        description:
            "Pods we deploy run as their own service account (serviceAccountName set, not default) and set automountServiceAccountToken: false unless the account is on TOKEN_MOUNT_SERVICE_ACCOUNTS.",
        reference: "One service account per workload; `default` SA unused. … `automountServiceAccountToken: false` unless needed",
    },
    (pod, spec) => {
        const out: string[] = [];
        const account = str(pod.spec.serviceAccountName) ?? str(pod.spec.serviceAccount);
        if (account === undefined || account === "" || account === "default") {
            out.push(`${spec}.serviceAccountName is ${json(account)}; give the workload its own service account`);
        }
        const key = `${pod.namespace}/${account ?? "default"}`;
        if (pod.spec.automountServiceAccountToken !== false && !Object.prototype.hasOwnProperty.call(TOKEN_MOUNT_SERVICE_ACCOUNTS, key)) {
            out.push(
                `${spec}.automountServiceAccountToken is ${json(pod.spec.automountServiceAccountToken)}; must be false (${key} is not on TOKEN_MOUNT_SERVICE_ACCOUNTS)`,
            );
        }
        return out;
    },
);
