/**
 * What a rule sees and how it reads it: the rule types, type guards over untyped props (they come from the engine),
 * Kubernetes kinds from Pulumi types, and object naming for messages.
 */

/** What a rule sees of a resource: Pulumi type and name, inputs (secrets unwrapped), the provider's name (= cluster). */
export interface PolicyObject {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, unknown>;
    /** Name of the explicit provider resource (one per cluster here); undefined for default providers. */
    readonly provider?: string;
}

interface RuleInfo {
    /** kebab-case, unique in the pack. */
    readonly name: string;
    readonly description: string;
    /** The zero-trust.md line the rule encodes (quoted, shortened with "…" where needed). */
    readonly reference: string;
    readonly enforcementLevel: "mandatory";
}
export interface ResourceRule extends RuleInfo {
    readonly scope: "resource";
    readonly check: (resource: PolicyObject) => string[];
}
export interface StackRule extends RuleInfo {
    readonly scope: "stack";
    readonly check: (resources: readonly PolicyObject[]) => string[];
}
export type Rule = ResourceRule | StackRule;

// ---------------------------------------------------------------------------------------------------------------
// Reading props: type guards (props come from the engine untyped) and object naming for messages.

export type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj | undefined {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined;
}
export function arr(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}
export function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}
export function strings(v: unknown): string[] {
    return arr(v).filter((x): x is string => typeof x === "string");
}
export function at(v: unknown, ...path: string[]): unknown {
    let cur = v;
    for (const key of path) {
        cur = obj(cur)?.[key];
    }
    return cur;
}
export function isEmpty(v: unknown): boolean {
    return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (obj(v) !== undefined && Object.keys(v).length === 0);
}
export const json = (v: unknown): string => JSON.stringify(v) ?? "undefined";
/** For messages only: a field that cannot be read (unknown during preview) must not hide the violation being reported. */
function quietly<T>(f: () => T): T | undefined {
    try {
        return f();
    } catch {
        return undefined;
    }
}

export interface K8sKind {
    /** API group, "" for core. */
    readonly group: string;
    readonly kind: string;
}

/**
 * Kubernetes kind from the Pulumi type: `kubernetes:core/v1:Namespace`, `kubernetes:security.istio.io/v1:PeerAuthentication`
 * (apiextensions.CustomResource registers as `kubernetes:<apiVersion>:<kind>`). A type without a version falls back to
 * the props' apiVersion/kind.
 */
export function k8sKind(r: PolicyObject): K8sKind | undefined {
    const parts = r.type.split(":");
    if (parts[0] !== "kubernetes" || parts.length !== 3) {
        return undefined;
    }
    const [groupVersion, kind] = [parts[1], parts[2]];
    if (groupVersion.includes("/")) {
        const group = groupVersion.split("/")[0];
        return { group: group === "core" ? "" : group, kind };
    }
    const apiVersion = str(r.props.apiVersion);
    const propsKind = str(r.props.kind);
    if (apiVersion === undefined || propsKind === undefined) {
        return undefined;
    }
    return { group: apiVersion.includes("/") ? apiVersion.split("/")[0] : "", kind: propsKind };
}

export function isKind(r: PolicyObject, group: string, ...kinds: string[]): boolean {
    const k = k8sKind(r);
    return k !== undefined && k.group === group && kinds.includes(k.kind);
}

const RELEASE_TYPES = ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"];
export const isRelease = (r: PolicyObject): boolean => RELEASE_TYPES.includes(r.type);
/** The chart's last path segment, so local chart directories (`<chartDir>/istio/<version>/istiod`) count too. */
export const chartName = (r: PolicyObject): string => (str(r.props.chart) ?? "").split("/").pop() ?? "";
export const isIstiodRelease = (r: PolicyObject): boolean => isRelease(r) && ["istiod", "istio-discovery"].includes(chartName(r));

export function metadata(r: PolicyObject): { name?: string; namespace?: string } {
    return { name: str(at(r.props, "metadata", "name")), namespace: str(at(r.props, "metadata", "namespace")) };
}
export function namespaceOf(r: PolicyObject): string {
    return metadata(r).namespace ?? "default";
}
export const clusterOf = (r: PolicyObject): string => r.provider ?? "(default provider)";

/** `Kind namespace/name [pulumi-name @ provider]`. */
export function describeObject(r: PolicyObject): string {
    const where = `[${r.name}${r.provider ? ` @ ${r.provider}` : ""}]`;
    if (isRelease(r)) {
        const release = quietly(() => str(r.props.name)) ?? r.name;
        const ns = quietly(() => str(r.props.namespace)) ?? "default";
        return `Helm release ${release} (chart ${quietly(() => chartName(r)) || "?"}) in ${ns} ${where}`;
    }
    const kind = k8sKind(r)?.kind ?? r.type;
    const md = quietly(() => metadata(r)) ?? {};
    const name = md.name ?? "(auto-named)";
    return `${kind} ${md.namespace ? `${md.namespace}/${name}` : name} ${where}`;
}
