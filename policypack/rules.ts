/**
 * The zero-trust reference (/work/shared/reference/zero-trust.md) as pure rules over the objects the program hands
 * the engine. A resource rule sees one resource, a stack rule the whole stack; both return violation messages that
 * name the object (Kubernetes kind, namespace/name, [Pulumi name @ provider]) and the offending field and value.
 * index.ts adapts them to @pulumi/policy; tests/policy*.test.ts run them on fixtures and on every committed stack.
 *
 * Values unknown during a preview: the policy SDK hands rules a proxy that throws when such a value is read, and
 * reports "can't run during preview" (advisory) for that rule; it runs with known values at `pulumi up`. Rules
 * therefore read only the fields they judge (kind and type first), so one unknown field silences as little as possible.
 */
import { parse as parseYaml } from "yaml";

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
// Allow-lists and constants. Each entry says why it is there; keep them short.

/** Istio's root namespace (istiod's default `meshConfig.rootNamespace`; rule mesh-root-namespace keeps it so). */
export const MESH_ROOT_NAMESPACE = "istio-system";

/**
 * The only namespaces whose Pod Security Admission `enforce` level may be `privileged` (zero-trust.md: "only a short,
 * commented allow-list is `privileged` (Cilium, MetalLB speaker, istio-cni, SPIRE agent, node-exporter)").
 */
export const PRIVILEGED_NAMESPACES: Readonly<Record<string, string>> = {
    "kube-system": "Cilium agent (bare metal installs it here): host network, BPF and cgroup hostPath mounts, NET_ADMIN/SYS_ADMIN",
    "metallb-system": "MetalLB speaker: host network and NET_RAW to answer ARP for LoadBalancer addresses",
    "istio-cni": "Istio CNI node agent, in its own namespace: writes the node's CNI config (hostPath) so pods need no NET_ADMIN",
    "spire-system": "SPIRE agent: hostPID and the node's workload-API socket directory (hostPath)",
    "node-exporter": "Prometheus node-exporter, alone in its namespace: host network/PID and the node's /proc and /sys",
};

/**
 * Service accounts (`<namespace>/<name>`) whose pods may mount an API token (zero-trust.md: "`automountServiceAccountToken:
 * false` unless needed"). Only the observability layer's Prometheus and Kiali call it. Add an entry with the reason.
 */
export const TOKEN_MOUNT_SERVICE_ACCOUNTS: Readonly<Record<string, string>> = {
    "observability/prometheus": "Kubernetes service discovery of its scrape targets (read-only ClusterRole: pods, endpoints, services)",
    "observability/prometheus-federator": "the mesh cluster's Prometheus: the same discovery",
    "observability/kiali": "reads the mesh through the API server (read-only kiali-viewer ClusterRole, view_only_mode)",
};

/** Host names and services of the observability UIs (Istio's samples/addons) that must stay off the public gateway. */
export const OBSERVABILITY_UIS = ["grafana", "kiali", "prometheus", "tracing", "jaeger", "zipkin", "alertmanager"] as const;

/** Istio's sample JWT issuer and JWKS: their private key is published with Istio (istio-multicluster.md). */
export const ISTIO_SAMPLE_ISSUER = "testing@secure.istio.io";
const sampleJwksUri = /^https?:\/\/raw\.githubusercontent\.com\/istio\/istio\/.*\/jwks\.json$/;
/** `kid` of the key in Istio's security/tools/jwt/samples/jwks.json: an inline copy of the sample is just as bad. */
const sampleJwksKid = "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ";
/** A Keycloak realm URL (`…/realms/<realm>`, or `…/auth/realms/<realm>` before Keycloak 17): the issuer the reference asks for. */
export const KEYCLOAK_ISSUER = /^https?:\/\/[^/\s]+(\/auth)?\/realms\/[^/\s]+$/;

/** `<trust-domain>/ns/<ns>/sa/<sa>`; Istio's prefix/suffix `*` is tolerated in the namespace and account parts. */
const principalForm = /^[^/*\s]+\/ns\/[^/\s]+\/sa\/[^/\s]+$/;

/** Workload cert TTL ceiling (zero-trust.md: "Workload cert TTL ≤ 24 h"). */
export const MAX_WORKLOAD_CERT_TTL_SECONDS = 24 * 3600;

// ---------------------------------------------------------------------------------------------------------------
// Reading props: type guards (props come from the engine untyped) and object naming for messages.

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined;
}
function arr(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}
function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}
function strings(v: unknown): string[] {
    return arr(v).filter((x): x is string => typeof x === "string");
}
function at(v: unknown, ...path: string[]): unknown {
    let cur = v;
    for (const key of path) {
        cur = obj(cur)?.[key];
    }
    return cur;
}
function isEmpty(v: unknown): boolean {
    return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (obj(v) !== undefined && Object.keys(v).length === 0);
}
const json = (v: unknown): string => JSON.stringify(v) ?? "undefined";
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

function isKind(r: PolicyObject, group: string, ...kinds: string[]): boolean {
    const k = k8sKind(r);
    return k !== undefined && k.group === group && kinds.includes(k.kind);
}

const RELEASE_TYPES = ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"];
const isRelease = (r: PolicyObject): boolean => RELEASE_TYPES.includes(r.type);
/** The chart's last path segment, so local chart directories (`<chartDir>/istio/<version>/istiod`) count too. */
const chartName = (r: PolicyObject): string => (str(r.props.chart) ?? "").split("/").pop() ?? "";
const isIstiodRelease = (r: PolicyObject): boolean => isRelease(r) && ["istiod", "istio-discovery"].includes(chartName(r));

function metadata(r: PolicyObject): { name?: string; namespace?: string } {
    return { name: str(at(r.props, "metadata", "name")), namespace: str(at(r.props, "metadata", "namespace")) };
}
function namespaceOf(r: PolicyObject): string {
    return metadata(r).namespace ?? "default";
}
const clusterOf = (r: PolicyObject): string => r.provider ?? "(default provider)";

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

// ---------------------------------------------------------------------------------------------------------------
// Istio objects.

const isIstio = (r: PolicyObject, kind: string): boolean =>
    isKind(r, kind === "Gateway" || kind === "VirtualService" ? "networking.istio.io" : "security.istio.io", kind);

/** The workload an Istio security policy applies to: namespace plus selector/targetRef(s); "" = the whole namespace. */
function workloadKey(r: PolicyObject): string {
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

const actionOf = (spec: Obj): string => str(spec.action) ?? "ALLOW";

const peerAuthenticationModes: ResourceRule = {
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

const meshWideStrict: StackRule = {
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

const authorizationPrincipals: ResourceRule = {
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

const authorizationAllowPositive: ResourceRule = {
    scope: "resource",
    name: "authorization-allow-positive",
    description: "An ALLOW AuthorizationPolicy rule constrains the request (from/to/when) and uses positive matches only (no not* fields).",
    reference: "ALLOW rules use positive matches, DENY rules negative ones",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isIstio(r, "AuthorizationPolicy")) {
            return [];
        }
        const spec = obj(r.props.spec) ?? {};
        if (actionOf(spec) !== "ALLOW") {
            return [];
        }
        const out: string[] = [];
        arr(spec.rules).forEach((rule, i) => {
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

const authorizationDenyNegative: ResourceRule = {
    scope: "resource",
    name: "authorization-deny-negative",
    description:
        "A DENY AuthorizationPolicy rule matches with not* fields or with explicit values: no wildcard in a positive DENY match (a near-miss request escapes it).",
    reference: "ALLOW rules use positive matches, DENY rules negative ones",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isIstio(r, "AuthorizationPolicy")) {
            return [];
        }
        const spec = obj(r.props.spec) ?? {};
        if (actionOf(spec) !== "DENY") {
            return [];
        }
        const out: string[] = [];
        arr(spec.rules).forEach((rule, i) => {
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

const rootAllowNothing: StackRule = {
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

const requestAuthenticationJwt: ResourceRule = {
    scope: "resource",
    name: "request-authentication-jwt",
    description:
        "RequestAuthentication jwtRules: issuer is a Keycloak realm URL (never Istio's sample), audiences set, JWKS from an https jwksUri (never Istio's sample) or inline jwks.",
    reference: "issuer = the Keycloak realm URL, `audiences` set, JWKS over https or inline; never Istio's sample issuer or JWKS",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isIstio(r, "RequestAuthentication")) {
            return [];
        }
        const rules = arr(at(r.props, "spec", "jwtRules"));
        if (rules.length === 0) {
            return [`${describeObject(r)}: spec.jwtRules is empty; a RequestAuthentication without rules authenticates nothing`];
        }
        const out: string[] = [];
        rules.forEach((rule, i) => {
            const p = `spec.jwtRules[${i}]`;
            const issuer = at(rule, "issuer");
            if (issuer === ISTIO_SAMPLE_ISSUER) {
                out.push(`${describeObject(r)}: ${p}.issuer is Istio's sample issuer ${json(issuer)}, whose signing key is public`);
            } else if (typeof issuer !== "string" || !KEYCLOAK_ISSUER.test(issuer)) {
                out.push(
                    `${describeObject(r)}: ${p}.issuer is ${json(issuer)}; expected the Keycloak realm URL (https://<host>/realms/<realm>)`,
                );
            }
            if (strings(at(rule, "audiences")).length === 0) {
                out.push(`${describeObject(r)}: ${p}.audiences is empty; any token of the issuer would be accepted`);
            }
            const jwksUri = at(rule, "jwksUri");
            const jwks = at(rule, "jwks");
            if (typeof jwksUri === "string") {
                if (sampleJwksUri.test(jwksUri)) {
                    out.push(`${describeObject(r)}: ${p}.jwksUri is Istio's sample JWKS ${json(jwksUri)}, whose private key is public`);
                } else if (!jwksUri.startsWith("https://")) {
                    out.push(`${describeObject(r)}: ${p}.jwksUri is ${json(jwksUri)}; keys must come over https (or inline jwks)`);
                }
            } else if (typeof jwks !== "string" || jwks.trim() === "") {
                out.push(`${describeObject(r)}: ${p} has neither jwksUri (https) nor inline jwks`);
            }
            if (typeof jwks === "string" && jwks.includes(sampleJwksKid)) {
                out.push(`${describeObject(r)}: ${p}.jwks holds Istio's sample key (kid ${sampleJwksKid}), whose private key is public`);
            }
        });
        return out;
    },
};

/** An AuthorizationPolicy that makes a token mandatory: ALLOW on requestPrincipals, or DENY on notRequestPrincipals ["*"]. */
function requiresToken(r: PolicyObject): boolean {
    const spec = obj(r.props.spec) ?? {};
    const action = actionOf(spec);
    return arr(spec.rules).some((rule) =>
        arr(at(rule, "from")).some((f) =>
            action === "ALLOW"
                ? strings(at(f, "source", "requestPrincipals")).length > 0
                : action === "DENY" && strings(at(f, "source", "notRequestPrincipals")).includes("*"),
        ),
    );
}

const requestAuthenticationPaired: StackRule = {
    scope: "stack",
    name: "request-authentication-paired",
    description:
        'Every RequestAuthentication has, in its cluster and namespace with the same selector/targetRef, an ALLOW on requestPrincipals or a DENY on notRequestPrincipals ["*"] (else a request without token passes).',
    reference:
        'every RequestAuthentication on the gateway paired with an ALLOW on `requestPrincipals` (or a DENY on `notRequestPrincipals: ["*"]`)',
    enforcementLevel: "mandatory",
    check: (resources) =>
        resources
            .filter((r) => isIstio(r, "RequestAuthentication"))
            .filter(
                (ra) =>
                    !resources.some(
                        (ap) =>
                            clusterOf(ap) === clusterOf(ra) &&
                            isIstio(ap, "AuthorizationPolicy") &&
                            workloadKey(ap) === workloadKey(ra) &&
                            requiresToken(ap),
                    ),
            )
            .map(
                (ra) =>
                    `${describeObject(ra)}: no AuthorizationPolicy for the same workload (${workloadKey(ra)}) with an ALLOW on requestPrincipals or a DENY on notRequestPrincipals ["*"]; requests without a token are let through`,
            ),
};

function gatewayServerViolations(r: PolicyObject): string[] {
    const out: string[] = [];
    arr(at(r.props, "spec", "servers")).forEach((server, i) => {
        const p = `spec.servers[${i}]`;
        const port = at(server, "port", "number");
        const protocol = (str(at(server, "port", "protocol")) ?? "").toUpperCase();
        const tlsMode = at(server, "tls", "mode");
        const crossNetwork = port === 15443 && tlsMode === "AUTO_PASSTHROUGH";
        for (const host of strings(at(server, "hosts"))) {
            // Hosts may be `namespace/host`: the wildcard lives in the host part.
            const h = host.includes("/") ? host.slice(host.indexOf("/") + 1) : host;
            if (h === "*") {
                out.push(`${describeObject(r)}: ${p}.hosts has the bare wildcard ${json(host)}; name the hosts`);
            } else if (h === "*.local" && !crossNetwork) {
                out.push(
                    `${describeObject(r)}: ${p}.hosts has ${json(host)}, allowed only on the cross-network server (port 15443, tls.mode AUTO_PASSTHROUGH)`,
                );
            }
        }
        const credential = Boolean(str(at(server, "tls", "credentialName"))) || strings(at(server, "tls", "credentialNames")).length > 0;
        // An unset tls.mode is PASSTHROUGH (enum value 0): a TLS server then terminates nothing; HTTPS always terminates.
        const terminates = ["SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL"].includes(String(tlsMode));
        if ((protocol === "HTTPS" || (protocol === "TLS" && terminates)) && !credential) {
            out.push(`${describeObject(r)}: ${p} (${protocol} port ${json(port)}) has no tls.credentialName`);
        }
        if (["HTTP", "HTTP2", "GRPC", "GRPC-WEB"].includes(protocol) && at(server, "tls", "httpsRedirect") !== true) {
            out.push(
                `${describeObject(r)}: ${p} serves plaintext ${protocol} on port ${json(port)}; only an HTTPS redirect (tls.httpsRedirect: true) may`,
            );
        }
    });
    return out;
}

const gatewayServers: ResourceRule = {
    scope: "resource",
    name: "gateway-tls-and-hosts",
    description:
        'Istio Gateway servers: no bare "*" host (the cross-network *.local on 15443 AUTO_PASSTHROUGH excepted), HTTPS with tls.credentialName, plaintext HTTP only as an HTTPS redirect.',
    reference:
        'HTTPS on the ingress (credentialName), no bare `"*"` hosts (the cross-network gateway\'s `*.local` is the documented exception)',
    enforcementLevel: "mandatory",
    check: (r) => (isIstio(r, "Gateway") ? gatewayServerViolations(r) : []),
};

/** First DNS label of a host (after an optional `namespace/`), e.g. `grafana` for `istio-system/grafana.example.org`. */
function firstLabel(host: string): string {
    const h = host.includes("/") ? host.slice(host.indexOf("/") + 1) : host;
    return h.split(".")[0].toLowerCase();
}
const isObservabilityHost = (host: string): boolean =>
    OBSERVABILITY_UIS.some((ui) => firstLabel(host) === ui || firstLabel(host).startsWith(`${ui}-`));

const observabilityNotPublic: ResourceRule = {
    scope: "resource",
    name: "observability-not-public",
    description:
        "No Gateway (other than the east-west one) or gateway-bound VirtualService exposes Grafana, Kiali, Prometheus or tracing hosts or routes to them.",
    reference: "Observability UIs not exposed on the public gateway",
    enforcementLevel: "mandatory",
    check: (r) => {
        const out: string[] = [];
        if (isIstio(r, "Gateway") && at(r.props, "spec", "selector", "istio") !== "eastwestgateway") {
            arr(at(r.props, "spec", "servers")).forEach((server, i) => {
                for (const host of strings(at(server, "hosts")).filter(isObservabilityHost)) {
                    out.push(
                        `${describeObject(r)}: spec.servers[${i}].hosts exposes the observability UI host ${json(host)} on a public gateway`,
                    );
                }
            });
        }
        if (isIstio(r, "VirtualService") && strings(at(r.props, "spec", "gateways")).some((g) => g !== "mesh")) {
            for (const host of strings(at(r.props, "spec", "hosts")).filter(isObservabilityHost)) {
                out.push(`${describeObject(r)}: spec.hosts exposes the observability UI host ${json(host)} through a gateway`);
            }
            for (const kind of ["http", "tls", "tcp"]) {
                arr(at(r.props, "spec", kind)).forEach((route, i) => {
                    arr(at(route, "route")).forEach((dest, j) => {
                        const host = str(at(dest, "destination", "host"));
                        if (host !== undefined && isObservabilityHost(host)) {
                            out.push(
                                `${describeObject(r)}: spec.${kind}[${i}].route[${j}].destination.host routes a gateway to the observability UI ${json(host)}`,
                            );
                        }
                    });
                });
            }
        }
        return out;
    },
};

// ---------------------------------------------------------------------------------------------------------------
// Mesh configuration (istiod Helm values).

const outboundRegistryOnly: StackRule = {
    scope: "stack",
    name: "mesh-outbound-registry-only",
    description:
        "Every istiod release sets meshConfig.outboundTrafficPolicy.mode REGISTRY_ONLY (egress only to ServiceEntries), on every cluster.",
    reference: "Egress: `outboundTrafficPolicy: REGISTRY_ONLY` plus explicit ServiceEntries",
    enforcementLevel: "mandatory",
    check: (resources) =>
        resources.filter(isIstiodRelease).flatMap((r) => {
            const mode = at(r.props.values, "meshConfig", "outboundTrafficPolicy", "mode");
            return mode === "REGISTRY_ONLY"
                ? []
                : [
                      `${describeObject(r)}: values.meshConfig.outboundTrafficPolicy.mode is ${json(mode)}; must be REGISTRY_ONLY (the default ALLOW_ANY lets workloads reach any host)`,
                  ];
        }),
};

const meshRootNamespace: ResourceRule = {
    scope: "resource",
    name: "mesh-root-namespace",
    description: `istiod keeps meshConfig.rootNamespace at ${MESH_ROOT_NAMESPACE}, where the mesh-wide PeerAuthentication and allow-nothing policy live.`,
    reference: "PeerAuthentication STRICT mesh-wide (root namespace)",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isIstiodRelease(r)) {
            return [];
        }
        const root = at(r.props.values, "meshConfig", "rootNamespace");
        return root === undefined || root === MESH_ROOT_NAMESPACE
            ? []
            : [
                  `${describeObject(r)}: values.meshConfig.rootNamespace is ${json(root)}; the mesh-wide policies are written for ${MESH_ROOT_NAMESPACE}`,
              ];
    },
};

/** Seconds of a Go duration ("24h", "1h30m", "86400s"); undefined when it does not parse (istio then ignores it). */
export function goDurationSeconds(value: string): number | undefined {
    const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };
    const parts = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$/.test(value) ? value.match(/\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns)/g) : null;
    if (!parts) {
        return value === "0" ? 0 : undefined;
    }
    return parts.reduce((sum, part) => {
        const [, n, unit] = /^(\d+(?:\.\d+)?)(.+)$/.exec(part) ?? [];
        return sum + Number(n) * units[unit];
    }, 0);
}

function ttlViolation(r: PolicyObject, field: string, value: unknown): string[] {
    if (value === undefined) {
        return [];
    }
    const seconds = typeof value === "string" ? goDurationSeconds(value) : undefined;
    if (seconds === undefined) {
        return [`${describeObject(r)}: ${field} is ${json(value)}, not a Go duration (istio falls back silently); write e.g. "24h"`];
    }
    return seconds > MAX_WORKLOAD_CERT_TTL_SECONDS
        ? [`${describeObject(r)}: ${field} is ${json(value)}; workload certificates must live ≤ 24h`]
        : [];
}

/** SECRET_TTL in a `proxy.istio.io/config` annotation (YAML ProxyConfig) on a pod template or in Helm podAnnotations. */
function proxyConfigTtl(r: PolicyObject, field: string, annotations: unknown): string[] {
    const config = str(obj(annotations)?.["proxy.istio.io/config"]);
    if (config === undefined) {
        return [];
    }
    let parsed: unknown;
    try {
        parsed = parseYaml(config);
    } catch {
        return [`${describeObject(r)}: ${field}["proxy.istio.io/config"] is not valid YAML`];
    }
    return ttlViolation(r, `${field}["proxy.istio.io/config"].proxyMetadata.SECRET_TTL`, at(parsed, "proxyMetadata", "SECRET_TTL"));
}

const workloadCertTtl: ResourceRule = {
    scope: "resource",
    name: "workload-cert-ttl",
    description:
        "Workload certificate TTL ≤ 24h where set: the TTL proxies request (SECRET_TTL in meshConfig.defaultConfig.proxyMetadata or a pod's proxy.istio.io/config) and istiod's DEFAULT_WORKLOAD_CERT_TTL.",
    reference: "Workload cert TTL ≤ 24 h",
    enforcementLevel: "mandatory",
    check: (r) => {
        // istio-agent asks for SECRET_TTL (default 24h) in each CSR; istiod applies DEFAULT_WORKLOAD_CERT_TTL only to CSRs
        // without a TTL and rejects requests above MAX_WORKLOAD_CERT_TTL (a cap, so not judged here).
        if (isIstiodRelease(r)) {
            const values = r.props.values;
            return [
                ...ttlViolation(r, "values.pilot.env.DEFAULT_WORKLOAD_CERT_TTL", at(values, "pilot", "env", "DEFAULT_WORKLOAD_CERT_TTL")),
                ...ttlViolation(
                    r,
                    "values.meshConfig.defaultConfig.proxyMetadata.SECRET_TTL",
                    at(values, "meshConfig", "defaultConfig", "proxyMetadata", "SECRET_TTL"),
                ),
            ];
        }
        if (isRelease(r) && chartName(r) === "gateway") {
            return proxyConfigTtl(r, "values.podAnnotations", at(r.props.values, "podAnnotations"));
        }
        const pod = podTemplate(r);
        return pod ? proxyConfigTtl(r, `${pod.path ? `${pod.path}.` : ""}metadata.annotations`, at(pod.metadata, "annotations")) : [];
    },
};

// ---------------------------------------------------------------------------------------------------------------
// Namespaces and network policy.

const PSA_ENFORCE = "pod-security.kubernetes.io/enforce";

const namespacePodSecurity: ResourceRule = {
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

const namespaceDefaultDeny: StackRule = {
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

// ---------------------------------------------------------------------------------------------------------------
// Pods we deploy ourselves.

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

const podSecurityRestricted = podRule(
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

const podHardening = podRule(
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

/** Pinned: a digest, or a tag other than `latest` (the registry host's `:port` is not a tag). */
export function imagePinned(image: string): boolean {
    if (/@sha256:[0-9a-f]{64}$/.test(image)) {
        return true;
    }
    const lastSegment = image.split("/").pop() ?? "";
    const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : "";
    return tag !== "" && tag !== "latest";
}

const podImagesPinned = podRule(
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

const podNoSecretEnvLiterals = podRule(
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

const podServiceAccount = podRule(
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

// ---------------------------------------------------------------------------------------------------------------
// Secrets and pulling images.

const DOCKER_KEYS: Record<string, string> = {
    ".dockerconfigjson": "kubernetes.io/dockerconfigjson",
    ".dockercfg": "kubernetes.io/dockercfg",
};

const secretDockerConfigType: ResourceRule = {
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

const imagePullSecretsResolve: StackRule = {
    scope: "stack",
    name: "image-pull-secrets-dockerconfigjson",
    description:
        "Every imagePullSecrets entry (pod templates; Helm values imagePullSecrets and global.imagePullSecrets) names a kubernetes.io/dockerconfigjson Secret the program creates in that namespace and cluster.",
    reference:
        'pods pull with `kubernetes.io/dockerconfigjson` secrets … (The seed used an Opaque Secret holding a certificate as an "imagePullSecret")',
    enforcementLevel: "mandatory",
    check: (resources) => {
        const uses: { user: PolicyObject; field: string; namespace: string; name: string }[] = [];
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

// ---------------------------------------------------------------------------------------------------------------

/** Every rule of the pack, in the order of zero-trust.md. index.ts registers exactly these. */
export const rules: readonly Rule[] = [
    peerAuthenticationModes,
    meshWideStrict,
    meshRootNamespace,
    rootAllowNothing,
    authorizationPrincipals,
    authorizationAllowPositive,
    authorizationDenyNegative,
    requestAuthenticationJwt,
    requestAuthenticationPaired,
    gatewayServers,
    observabilityNotPublic,
    outboundRegistryOnly,
    workloadCertTtl,
    namespaceDefaultDeny,
    podSecurityRestricted,
    podHardening,
    podImagesPinned,
    podNoSecretEnvLiterals,
    podServiceAccount,
    namespacePodSecurity,
    secretDockerConfigType,
    imagePullSecretsResolve,
];

/** All violations of a stack: every resource rule on every resource, then every stack rule. */
export function evaluate(resources: readonly PolicyObject[]): { rule: string; message: string }[] {
    return rules.flatMap((rule) =>
        rule.scope === "resource"
            ? resources.flatMap((r) => rule.check(r).map((message) => ({ rule: rule.name, message })))
            : rule.check(resources).map((message) => ({ rule: rule.name, message })),
    );
}
