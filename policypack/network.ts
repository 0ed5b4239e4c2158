/**
 * zero-trust.md "Network" and namespace labels: a default-deny NetworkPolicy in every namespace the program creates,
 * Pod Security Admission labels on every namespace (privileged only on the commented allow-list).
 */
import {
    arr,
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
    Obj,
    PolicyObject,
    ResourceRule,
    StackRule,
    strings,
} from "./model";
import { PRIVILEGED_NAMESPACES, WHOLE_SPACE_EGRESS } from "./allowLists";

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

interface EgressRuleView {
    readonly index: number;
    readonly to: Obj[];
    readonly ports: unknown[];
}

function egressRules(r: PolicyObject): EgressRuleView[] {
    return arr(at(r.props, "spec", "egress")).map((rule, index) => ({
        index,
        to: arr(obj(rule)?.to).map((t) => obj(t) ?? {}),
        ports: arr(obj(rule)?.ports),
    }));
}

const selectsAll = (selector: unknown): boolean =>
    obj(selector) !== undefined && isEmpty(obj(selector)?.matchLabels) && isEmpty(obj(selector)?.matchExpressions);

/** A peer that is every namespace: a namespaceSelector matching all, without a podSelector narrowing it. */
const everyNamespace = (peer: Obj): boolean =>
    peer.ipBlock === undefined && selectsAll(peer.namespaceSelector) && (peer.podSelector === undefined || selectsAll(peer.podSelector));

export const networkPolicyEgressBounded: ResourceRule = {
    scope: "resource",
    name: "networkpolicy-egress-bounded",
    description:
        "No NetworkPolicy egress rule allows every namespace (an empty namespaceSelector, or no `to`) on every port (no `ports`): a workload's egress names the ports it serves or calls.",
    reference:
        "explicit allows for DNS, istiod 15012/15017, east-west 15443, health 15021, metrics 15020/15090, the API server where needed",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isKind(r, "networking.k8s.io", "NetworkPolicy")) {
            return [];
        }
        return egressRules(r)
            .filter((e) => e.ports.length === 0 && (e.to.length === 0 || e.to.some(everyNamespace)))
            .map(
                (e) =>
                    `${describeObject(r)}: spec.egress[${e.index}] allows ${e.to.length === 0 ? "every destination" : "every namespace"} on every port; name the namespaces/pods and the ports`,
            );
    },
};

const wholeSpace = (cidr: unknown): boolean => typeof cidr === "string" && /\/0$/.test(cidr);

export const networkPolicyEgressWholeSpace: ResourceRule = {
    scope: "resource",
    name: "networkpolicy-egress-whole-space",
    description:
        "No NetworkPolicy egress rule reaches the whole address space (an ipBlock of 0.0.0.0/0 or ::/0, or no `to`) except the policies on WHOLE_SPACE_EGRESS, and those only on their listed ports.",
    reference: "the API server where needed, and Keycloak/registry where needed",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isKind(r, "networking.k8s.io", "NetworkPolicy")) {
            return [];
        }
        const name = metadata(r).name ?? "";
        const allowed = Object.prototype.hasOwnProperty.call(WHOLE_SPACE_EGRESS, name) ? WHOLE_SPACE_EGRESS[name] : undefined;
        const messages: string[] = [];
        for (const e of egressRules(r)) {
            const blocks = e.to.filter((t) => wholeSpace(obj(t.ipBlock)?.cidr)).map((t) => String(obj(t.ipBlock)?.cidr));
            if (e.to.length > 0 && blocks.length === 0) {
                continue;
            }
            const what = e.to.length === 0 ? "every destination (no `to`)" : blocks.join(", ");
            const ports = e.ports.map((p) => at(p, "port"));
            // a port range (endPort) opens more than the listed port
            const ranges = e.ports.filter((p) => at(p, "endPort") !== undefined);
            if (!allowed) {
                messages.push(
                    `${describeObject(r)}: spec.egress[${e.index}] reaches ${what}; name the peers' addresses (${json(name)} is not on WHOLE_SPACE_EGRESS)`,
                );
            } else if (ports.length === 0 || ranges.length > 0 || ports.some((p) => typeof p !== "number" || !allowed.ports.includes(p))) {
                messages.push(
                    `${describeObject(r)}: spec.egress[${e.index}] reaches ${what} on ports ${json(ports)}${ranges.length > 0 ? ` (with endPort ${json(ranges.map((p) => at(p, "endPort")))})` : ""}; WHOLE_SPACE_EGRESS allows ${json(name)} only ${json(allowed.ports)}`,
                );
            }
        }
        return messages;
    },
};
