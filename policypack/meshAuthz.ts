/**
 * zero-trust.md "Mesh": mTLS and authorization — PeerAuthentication STRICT mesh-wide with no weakening overrides,
 * the root allow-nothing, and ALLOW/DENY AuthorizationPolicies naming identities with positive/negative matches.
 */
import {
    arr,
    at,
    clusterOf,
    describeObject,
    isEmpty,
    isIstiodRelease,
    isKind,
    json,
    metadata,
    namespaceOf,
    Obj,
    obj,
    PolicyObject,
    ResourceRule,
    StackRule,
    str,
    strings,
} from "./model";
import { MESH_ROOT_NAMESPACE, principalForm } from "./allowLists";

export const isIstio = (r: PolicyObject, kind: string): boolean =>
    isKind(r, kind === "Gateway" || kind === "VirtualService" ? "networking.istio.io" : "security.istio.io", kind);

/** The workload an Istio security policy applies to: namespace plus selector/targetRef(s); "" = the whole namespace. */
export function workloadKey(r: PolicyObject): string {
    const spec = obj(r.props.spec) ?? {};
    const labels = obj(at(spec, "selector", "matchLabels")) ?? {};
    const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    const targets = [...(spec.targetRef === undefined ? [] : [spec.targetRef]), ...arr(spec.targetRefs)];
    return `${namespaceOf(r)} ${Object.keys(sorted).length ? json(sorted) : ""} ${targets.length ? json(targets) : ""}`.trim();
}
const selectsWorkloads = (spec: Obj): boolean =>
    !isEmpty(at(spec, "selector")) || spec.targetRef !== undefined || !isEmpty(spec.targetRefs);

const SOURCE_POSITIVE = ["principals", "requestPrincipals", "namespaces", "ipBlocks", "remoteIpBlocks"] as const;
const OPERATION_POSITIVE = ["hosts", "ports", "methods", "paths"] as const;
const negative = (field: string): string => `not${field[0].toUpperCase()}${field.slice(1)}`;

/** Every match field of one AuthorizationPolicy rule: path in the spec, field name, values, positive or negated. */
function matchFields(rule: unknown, path: string): { path: string; field: string; values: string[]; positive: boolean }[] {
    const out: { path: string; field: string; values: string[]; positive: boolean }[] = [];
    arr(at(rule, "from")).forEach((f, j) => {
        const source = obj(at(f, "source")) ?? {};
        for (const field of SOURCE_POSITIVE) {
            for (const [name, positive] of [
                [field, true],
                [negative(field), false],
            ] as const) {
                if (source[name] !== undefined) {
                    out.push({ path: `${path}.from[${j}].source.${name}`, field: name, values: strings(source[name]), positive });
                }
            }
        }
    });
    arr(at(rule, "to")).forEach((t, j) => {
        const operation = obj(at(t, "operation")) ?? {};
        for (const field of OPERATION_POSITIVE) {
            for (const [name, positive] of [
                [field, true],
                [negative(field), false],
            ] as const) {
                if (operation[name] !== undefined) {
                    out.push({ path: `${path}.to[${j}].operation.${name}`, field: name, values: strings(operation[name]), positive });
                }
            }
        }
    });
    arr(at(rule, "when")).forEach((w, j) => {
        const key = str(at(w, "key")) ?? "?";
        if (at(w, "values") !== undefined) {
            out.push({ path: `${path}.when[${j}](${key}).values`, field: "values", values: strings(at(w, "values")), positive: true });
        }
        if (at(w, "notValues") !== undefined) {
            out.push({
                path: `${path}.when[${j}](${key}).notValues`,
                field: "notValues",
                values: strings(at(w, "notValues")),
                positive: false,
            });
        }
    });
    return out;
}

export const actionOf = (spec: Obj): string => str(spec.action) ?? "ALLOW";

/** The rules of an AuthorizationPolicy whose action is `action` (none for any other object), each with its index. */
export function policyRules(r: PolicyObject, action: "ALLOW" | "DENY"): { rule: unknown; i: number }[] {
    if (!isIstio(r, "AuthorizationPolicy")) {
        return [];
    }
    const spec = obj(r.props.spec) ?? {};
    return actionOf(spec) === action ? arr(spec.rules).map((rule, i) => ({ rule, i })) : [];
}

export const peerAuthenticationModes: ResourceRule = {
    scope: "resource",
    name: "peer-authentication-strict-only",
    description: "PeerAuthentication mtls.mode and every portLevelMtls mode is STRICT or UNSET (inherits the mesh-wide STRICT).",
    reference: "PeerAuthentication STRICT mesh-wide (root namespace); no PERMISSIVE/DISABLE overrides",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isIstio(r, "PeerAuthentication")) {
            return [];
        }
        const ok = (mode: unknown): boolean => mode === undefined || mode === "STRICT" || mode === "UNSET";
        const out: string[] = [];
        const mode = at(r.props, "spec", "mtls", "mode");
        if (!ok(mode)) {
            out.push(`${describeObject(r)}: spec.mtls.mode is ${json(mode)}; only STRICT (or UNSET) is allowed`);
        }
        for (const [port, setting] of Object.entries(obj(at(r.props, "spec", "portLevelMtls")) ?? {})) {
            if (!ok(at(setting, "mode"))) {
                out.push(
                    `${describeObject(r)}: spec.portLevelMtls["${port}"].mode is ${json(at(setting, "mode"))}; only STRICT (or UNSET) is allowed`,
                );
            }
        }
        return out;
    },
};

/** One entry per cluster running istiod, with a name to report against. */
function meshClusters(resources: readonly PolicyObject[]): Map<string, PolicyObject> {
    const clusters = new Map<string, PolicyObject>();
    for (const r of resources.filter(isIstiodRelease)) {
        if (!clusters.has(clusterOf(r))) {
            clusters.set(clusterOf(r), r);
        }
    }
    return clusters;
}

export const meshWideStrict: StackRule = {
    scope: "stack",
    name: "mesh-wide-strict-mtls",
    description: `Every cluster running istiod has a PeerAuthentication in ${MESH_ROOT_NAMESPACE} without selector, mtls.mode STRICT.`,
    reference: "PeerAuthentication STRICT mesh-wide (root namespace)",
    enforcementLevel: "mandatory",
    check: (resources) => {
        const out: string[] = [];
        for (const [cluster, istiod] of meshClusters(resources)) {
            const found = resources.some(
                (r) =>
                    clusterOf(r) === cluster &&
                    isIstio(r, "PeerAuthentication") &&
                    metadata(r).namespace === MESH_ROOT_NAMESPACE &&
                    !selectsWorkloads(obj(r.props.spec) ?? {}) &&
                    at(r.props, "spec", "mtls", "mode") === "STRICT",
            );
            if (!found) {
                out.push(
                    `${describeObject(istiod)}: its cluster has no mesh-wide PeerAuthentication (namespace ${MESH_ROOT_NAMESPACE}, no selector, spec.mtls.mode STRICT)`,
                );
            }
        }
        return out;
    },
};

export const authorizationPrincipals: ResourceRule = {
    scope: "resource",
    name: "authorization-policy-principals",
    description:
        'AuthorizationPolicy principals/notPrincipals are <trust-domain>/ns/<ns>/sa/<sa> (never spiffe://); an ALLOW never names the wildcard-only principal "*".',
    reference: "per-namespace ALLOW policies naming identities (`<trust-domain>/ns/<ns>/sa/<sa>`, never with `spiffe://`)",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isIstio(r, "AuthorizationPolicy")) {
            return [];
        }
        const spec = obj(r.props.spec) ?? {};
        const allow = actionOf(spec) === "ALLOW";
        const out: string[] = [];
        arr(spec.rules).forEach((rule, i) => {
            for (const m of matchFields(rule, `spec.rules[${i}]`).filter((f) => f.field === "principals" || f.field === "notPrincipals")) {
                for (const p of m.values) {
                    if (p.startsWith("spiffe://")) {
                        out.push(
                            `${describeObject(r)}: ${m.path} has ${json(p)}; write principals without spiffe:// (that form never matches)`,
                        );
                    } else if (p === "*") {
                        if (allow && m.positive) {
                            out.push(`${describeObject(r)}: ${m.path} is the wildcard-only principal "*"; an ALLOW must name identities`);
                        }
                    } else if (!principalForm.test(p)) {
                        out.push(
                            `${describeObject(r)}: ${m.path} has ${json(p)}; expected <trust-domain>/ns/<namespace>/sa/<service-account>`,
                        );
                    }
                }
            }
        });
        return out;
    },
};

export const authorizationAllowPositive: ResourceRule = {
    scope: "resource",
    name: "authorization-allow-positive",
    description: "An ALLOW AuthorizationPolicy rule constrains the request (from/to/when) and uses positive matches only (no not* fields).",
    reference: "ALLOW rules use positive matches, DENY rules negative ones",
    enforcementLevel: "mandatory",
    check: (r) => {
        const out: string[] = [];
        policyRules(r, "ALLOW").forEach(({ rule, i }) => {
            const fields = matchFields(rule, `spec.rules[${i}]`);
            // A rule whose from/to/when are absent or empty matches every request.
            if (fields.every((f) => f.values.length === 0)) {
                out.push(`${describeObject(r)}: spec.rules[${i}] has no from/to/when match; this ALLOW lets every request through`);
            }
            for (const f of fields.filter((x) => !x.positive)) {
                out.push(`${describeObject(r)}: ${f.path} is a negative match in an ALLOW; use the positive field instead`);
            }
        });
        return out;
    },
};

export const authorizationDenyNegative: ResourceRule = {
    scope: "resource",
    name: "authorization-deny-negative",
    description:
        "A DENY AuthorizationPolicy rule matches with not* fields or with explicit values: no wildcard in a positive DENY match (a near-miss request escapes it).",
    reference: "ALLOW rules use positive matches, DENY rules negative ones",
    enforcementLevel: "mandatory",
    check: (r) => {
        const out: string[] = [];
        policyRules(r, "DENY").forEach(({ rule, i }) => {
            for (const f of matchFields(rule, `spec.rules[${i}]`).filter((x) => x.positive)) {
                for (const v of f.values.filter((x) => x.includes("*"))) {
                    out.push(
                        `${describeObject(r)}: ${f.path} has the wildcard ${json(v)} in a DENY; use ${negative(f.field)} or exact values`,
                    );
                }
            }
        });
        return out;
    },
};

export const rootAllowNothing: StackRule = {
    scope: "stack",
    name: "mesh-allow-nothing",
    description: `Every cluster running istiod has an allow-nothing AuthorizationPolicy (empty spec) in ${MESH_ROOT_NAMESPACE}: default deny mesh-wide.`,
    reference: 'Default deny: an empty-spec ("allow-nothing") AuthorizationPolicy',
    enforcementLevel: "mandatory",
    check: (resources) => {
        const out: string[] = [];
        for (const [cluster, istiod] of meshClusters(resources)) {
            const found = resources.some((r) => {
                if (clusterOf(r) !== cluster || !isIstio(r, "AuthorizationPolicy") || metadata(r).namespace !== MESH_ROOT_NAMESPACE) {
                    return false;
                }
                const spec = obj(r.props.spec) ?? {};
                return !selectsWorkloads(spec) && isEmpty(spec.rules) && actionOf(spec) === "ALLOW" && spec.provider === undefined;
            });
            if (!found) {
                out.push(
                    `${describeObject(istiod)}: its cluster has no allow-nothing AuthorizationPolicy (spec: {}) in ${MESH_ROOT_NAMESPACE}`,
                );
            }
        }
        return out;
    },
};
