/**
 * zero-trust.md "Network" and namespace labels: a default-deny NetworkPolicy in every namespace the program creates,
 * Pod Security Admission labels on every namespace (privileged only on the commented allow-list).
 */
import {
    at,
    clusterOf,
    describeObject,
    isEmpty,
    isKind,
    isRelease,
    json,
    metadata,
    namespaceOf,
    obj,
    PolicyObject,
    ResourceRule,
    StackRule,
    strings,
} from "./model";
import { PRIVILEGED_NAMESPACES } from "./allowLists";

const PSA_ENFORCE = "pod-security.kubernetes.io/enforce";

export const namespacePodSecurity: ResourceRule = {
    scope: "resource",
    name: "namespace-pod-security",
    description: `Every Namespace carries ${PSA_ENFORCE} (restricted or baseline); privileged only for the allow-listed namespaces.`,
    reference: "Namespaces carry PSA labels; only a short, commented allow-list is `privileged`",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isKind(r, "", "Namespace")) {
            return [];
        }
        const level = at(r.props, "metadata", "labels", PSA_ENFORCE);
        const name = metadata(r).name ?? "";
        if (level === undefined) {
            return [
                `${describeObject(r)}: metadata.labels["${PSA_ENFORCE}"] is missing; set restricted (or privileged for the allow-list)`,
            ];
        }
        if (typeof level !== "string" || !["restricted", "baseline", "privileged"].includes(level)) {
            return [`${describeObject(r)}: metadata.labels["${PSA_ENFORCE}"] is ${json(level)}, not a Pod Security level`];
        }
        if (level === "privileged" && !Object.prototype.hasOwnProperty.call(PRIVILEGED_NAMESPACES, name)) {
            return [
                `${describeObject(r)}: metadata.labels["${PSA_ENFORCE}"] is "privileged" but ${json(name)} is not on PRIVILEGED_NAMESPACES`,
            ];
        }
        return [];
    },
};

function isDefaultDeny(np: PolicyObject): boolean {
    const spec = obj(np.props.spec) ?? {};
    const selector = obj(spec.podSelector);
    const types = strings(spec.policyTypes);
    return (
        selector !== undefined &&
        isEmpty(selector.matchLabels) &&
        isEmpty(selector.matchExpressions) &&
        types.includes("Ingress") &&
        types.includes("Egress") &&
        isEmpty(spec.ingress) &&
        isEmpty(spec.egress)
    );
}

export const namespaceDefaultDeny: StackRule = {
    scope: "stack",
    name: "namespace-default-deny",
    description:
        "Every namespace the program creates (Namespace objects, Helm createNamespace) has a default-deny NetworkPolicy: podSelector {}, policyTypes [Ingress, Egress], no rules.",
    reference: "Default-deny NetworkPolicy (ingress + egress) in every namespace the program creates",
    enforcementLevel: "mandatory",
    check: (resources) => {
        const created: { owner: PolicyObject; namespace: string }[] = [
            ...resources.filter((r) => isKind(r, "", "Namespace")).map((r) => ({ owner: r, namespace: metadata(r).name ?? r.name })),
            ...resources
                .filter((r) => isRelease(r) && r.props.createNamespace === true && typeof r.props.namespace === "string")
                .map((r) => ({ owner: r, namespace: r.props.namespace as string })),
        ];
        const policies = resources.filter((r) => isKind(r, "networking.k8s.io", "NetworkPolicy") && isDefaultDeny(r));
        return created
            .filter(({ owner, namespace }) => !policies.some((np) => clusterOf(np) === clusterOf(owner) && namespaceOf(np) === namespace))
            .map(
                ({ owner, namespace }) =>
                    `${describeObject(owner)}: namespace ${json(namespace)} has no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress, Egress], no ingress/egress rules)`,
            );
    },
};
