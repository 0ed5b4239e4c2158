/**
 * zero-trust.md "Registry": pulls use kubernetes.io/dockerconfigjson Secrets, every imagePullSecret named resolves
 * to one in the same namespace and cluster, and no registry credential sits in a namespace where nothing pulls with it.
 */
import {
    arr,
    at,
    clusterOf,
    describeObject,
    isKind,
    isRelease,
    json,
    metadata,
    namespaceOf,
    obj,
    PolicyObject,
    ResourceRule,
    StackRule,
    str,
} from "./model";
import { podTemplate } from "./pods";

const DOCKER_KEYS: Record<string, string> = {
    ".dockerconfigjson": "kubernetes.io/dockerconfigjson",
    ".dockercfg": "kubernetes.io/dockercfg",
};

export const secretDockerConfigType: ResourceRule = {
    scope: "resource",
    name: "secret-registry-credentials-type",
    description: "A Secret holding .dockerconfigjson (or .dockercfg) has the matching type kubernetes.io/dockerconfigjson (dockercfg).",
    reference: "pods pull with `kubernetes.io/dockerconfigjson` secrets",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isKind(r, "", "Secret")) {
            return [];
        }
        const type = r.props.type;
        if (type === DOCKER_KEYS[".dockerconfigjson"] || type === DOCKER_KEYS[".dockercfg"]) {
            return []; // the API server checks the key of these types; their data stays unread (unknown in a first preview)
        }
        const keys = [...Object.keys(obj(r.props.data) ?? {}), ...Object.keys(obj(r.props.stringData) ?? {})];
        return Object.entries(DOCKER_KEYS)
            .filter(([key, wanted]) => keys.includes(key) && type !== wanted)
            .map(([key, wanted]) => `${describeObject(r)}: holds ${key} but type is ${json(type ?? "Opaque")}; must be ${wanted}`);
    },
};

/** Names in an imagePullSecrets list: `[{name}]` (Kubernetes, gateway chart) or `["name"]` (istiod's global values). */
function pullSecretNames(v: unknown): string[] {
    return arr(v)
        .map((x) => (typeof x === "string" ? x : str(at(x, "name"))))
        .filter((x): x is string => x !== undefined);
}

interface PullSecretUse {
    readonly user: PolicyObject;
    readonly field: string;
    readonly namespace: string;
    readonly name: string;
}

/** Every imagePullSecrets entry of the stack: pod templates, and Helm values imagePullSecrets / global.imagePullSecrets. */
function pullSecretUses(resources: readonly PolicyObject[]): PullSecretUse[] {
    const uses: PullSecretUse[] = [];
    for (const r of resources) {
        const pod = podTemplate(r);
        if (pod) {
            const spec = pod.path ? `${pod.path}.spec` : "spec";
            pullSecretNames(pod.spec.imagePullSecrets).forEach((name) =>
                uses.push({ user: r, field: `${spec}.imagePullSecrets`, namespace: pod.namespace, name }),
            );
        } else if (isRelease(r)) {
            const namespace = str(r.props.namespace) ?? "default";
            for (const [field, v] of [
                ["values.imagePullSecrets", at(r.props.values, "imagePullSecrets")],
                ["values.global.imagePullSecrets", at(r.props.values, "global", "imagePullSecrets")],
            ] as const) {
                pullSecretNames(v).forEach((name) => uses.push({ user: r, field, namespace, name }));
            }
        }
    }
    return uses;
}

export const imagePullSecretsResolve: StackRule = {
    scope: "stack",
    name: "image-pull-secrets-dockerconfigjson",
    description:
        "Every imagePullSecrets entry (pod templates; Helm values imagePullSecrets and global.imagePullSecrets) names a kubernetes.io/dockerconfigjson Secret the program creates in that namespace and cluster.",
    reference:
        'pods pull with `kubernetes.io/dockerconfigjson` secrets … (The seed used an Opaque Secret holding a certificate as an "imagePullSecret")',
    enforcementLevel: "mandatory",
    check: (resources) => {
        const uses = pullSecretUses(resources);
        const secrets = resources.filter((r) => isKind(r, "", "Secret"));
        return uses.flatMap(({ user, field, namespace, name }) => {
            const found = secrets.filter(
                (s) => clusterOf(s) === clusterOf(user) && namespaceOf(s) === namespace && metadata(s).name === name,
            );
            if (found.length === 0) {
                return [
                    `${describeObject(user)}: ${field} names ${json(name)}, but the program creates no such Secret in ${namespace} of its cluster`,
                ];
            }
            return found
                .filter((s) => s.props.type !== "kubernetes.io/dockerconfigjson")
                .map(
                    (s) =>
                        `${describeObject(user)}: ${field} names ${json(name)}, which is ${describeObject(s)} of type ${json(s.props.type ?? "Opaque")}; must be kubernetes.io/dockerconfigjson`,
                );
        });
    },
};

export const pullSecretsUsed: StackRule = {
    scope: "stack",
    name: "pull-secrets-used",
    description:
        "Every registry credential Secret (kubernetes.io/dockerconfigjson or dockercfg) is named by an imagePullSecrets entry (pod template or Helm values) in its namespace and cluster: no credential where nothing pulls with it.",
    reference: "pods pull with `kubernetes.io/dockerconfigjson` secrets (least privilege: a credential only where it is used)",
    enforcementLevel: "mandatory",
    check: (resources) => {
        const uses = pullSecretUses(resources);
        return resources
            .filter((r) => isKind(r, "", "Secret") && Object.values(DOCKER_KEYS).includes(String(r.props.type)))
            .filter(
                (s) =>
                    !uses.some((u) => clusterOf(u.user) === clusterOf(s) && u.namespace === namespaceOf(s) && u.name === metadata(s).name),
            )
            .map(
                (s) =>
                    `${describeObject(s)}: a registry credential no pod or release in ${namespaceOf(s) ?? "default"} of its cluster names in imagePullSecrets; create it only where something pulls with it`,
            );
    },
};
