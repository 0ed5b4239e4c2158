/**
 * Zero-trust mesh policy as pure renderers: plain data in, Istio objects (and an istiod values fragment) out.
 * tests/policy/render.test.ts checks the exact objects and validates each against the Istio CRD schemas of every
 * pinned Istio release. security.istio.io/v1 and networking.istio.io/v1 are served by every CRD used here from
 * Istio 1.22 on (1.24.3 stores v1beta1 but serves v1; 1.30.3 stores v1).
 */
import { networkingApiVersion, rootNamespace, securityApiVersion } from "../core/istio";
import { cidr, dnsLabel, dnsSubdomain, hostName, ipAddress, nonEmpty, port, show, unique } from "../core/validate";

export interface ObjectMeta {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Readonly<Record<string, string>>;
}

export interface IstioObject<Kind extends string, Spec> {
    readonly apiVersion: string;
    readonly kind: Kind;
    readonly metadata: ObjectMeta;
    readonly spec: Spec;
}

export interface WorkloadSelector {
    readonly matchLabels: Readonly<Record<string, string>>;
}

export type PeerAuthentication = IstioObject<"PeerAuthentication", { readonly mtls: { readonly mode: "STRICT" } }>;

/** Only positive matches: ALLOW rules name who may do what; nothing here can express "everyone except". */
export interface AuthorizationRule {
    readonly from?: readonly {
        readonly source: { readonly principals?: readonly string[]; readonly requestPrincipals?: readonly string[] };
    }[];
    readonly to?: readonly {
        readonly operation: {
            readonly ports?: readonly string[];
            readonly methods?: readonly string[];
            readonly paths?: readonly string[];
            readonly hosts?: readonly string[];
        };
    }[];
}

export interface AuthorizationPolicySpec {
    readonly selector?: WorkloadSelector;
    readonly action?: "ALLOW";
    readonly rules?: readonly AuthorizationRule[];
}

export type AuthorizationPolicy = IstioObject<"AuthorizationPolicy", AuthorizationPolicySpec>;

/** Mesh-wide mutual TLS, no plaintext: `default` in the root namespace is the mesh-wide PeerAuthentication. */
export function peerAuthenticationStrict(): PeerAuthentication {
    return {
        apiVersion: securityApiVersion,
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: rootNamespace },
        spec: { mtls: { mode: "STRICT" } },
    };
}

/**
 * The allow-nothing default deny: an ALLOW policy (the default action) with no rules matches no request, and once any
 * ALLOW policy applies to a workload, requests no ALLOW policy matches are denied. In the root namespace with no
 * selector it applies to every workload of the mesh, so only the explicit ALLOW policies below let anything through.
 * Cross-network traffic is unaffected: the east-west gateway's AUTO_PASSTHROUGH listener carries no authorization
 * filters (pilot/pkg/networking/core/gateway.go, builtAutoPassthroughFilterChains, 1.24-1.30); the target's sidecar
 * enforces the policies instead.
 */
export function allowNothing(namespace: string = rootNamespace): AuthorizationPolicy {
    return {
        apiVersion: securityApiVersion,
        kind: "AuthorizationPolicy",
        metadata: { name: "allow-nothing", namespace: dnsLabel("namespace", namespace) },
        spec: {},
    };
}

const trustDomainPattern = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

/**
 * An Istio principal `<trust-domain>/ns/<namespace>/sa/<service-account>`. Never with `spiffe://`: Istio prefixes the
 * scheme itself when it builds the matcher (pilot/pkg/security/authz/model/generator.go), so a principal written with
 * it becomes `spiffe://spiffe://…` and matches nothing (a silent deny).
 */
export function principal(trustDomain: string, namespace: string, serviceAccount: string): string {
    if (typeof trustDomain === "string" && trustDomain.startsWith("spiffe://")) {
        throw new Error(`trustDomain: must not start with "spiffe://" (Istio principals omit the scheme), got ${show(trustDomain)}`);
    }
    if (typeof trustDomain !== "string" || trustDomain.length > 255 || !trustDomainPattern.test(trustDomain)) {
        throw new Error(
            `trustDomain: expected a SPIFFE trust domain like "cluster.local" (a-z, 0-9, '.', '-', '_'), got ${show(trustDomain)}`,
        );
    }
    dnsLabel("namespace", namespace);
    dnsSubdomain("serviceAccount", serviceAccount);
    return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

const principalPattern = /^([a-z0-9_-]+(?:\.[a-z0-9_-]+)*)\/ns\/([^/]+)\/sa\/([^/]+)$/;
const httpMethods = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]);

export interface AllowFromArgs {
    readonly name: string;
    readonly namespace: string;
    /** Workloads the policy protects; required, so one policy never silently covers a whole namespace. */
    readonly selector: Readonly<Record<string, string>>;
    /** Exact identities from `principal()`; no wildcards. */
    readonly principals: readonly string[];
    /** Server-side (container) ports, as Istio writes them: strings. */
    readonly ports?: readonly string[];
    readonly methods?: readonly string[];
    /** Exact paths, or prefixes ending in `*`. */
    readonly paths?: readonly string[];
}

function validateSelector(field: string, selector: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
    const entries = selector && typeof selector === "object" ? Object.entries(selector) : [];
    if (entries.length === 0) {
        throw new Error(`${field}: expected at least one label (an empty selector would cover every workload in the namespace)`);
    }
    for (const [key, value] of entries) {
        if (!/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(key) || key.length > 316) {
            throw new Error(`${field}: invalid label key ${show(key)}`);
        }
        if (typeof value !== "string" || !/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(value)) {
            throw new Error(`${field}.${key}: invalid label value ${show(value)}`);
        }
    }
    return { ...selector };
}

/** An ALLOW AuthorizationPolicy: the named principals may reach the selected workloads (on these ports/methods/paths). */
export function allowFrom(args: AllowFromArgs): AuthorizationPolicy {
    dnsLabel("name", args.name);
    dnsLabel("namespace", args.namespace);
    const selector = validateSelector("selector", args.selector);
    nonEmpty("principals", args.principals).forEach((p, i) => {
        if (typeof p === "string" && p.includes("://")) {
            throw new Error(`principals[${i}]: must not carry a scheme such as "spiffe://" (it would never match), got ${show(p)}`);
        }
        const m = typeof p === "string" ? principalPattern.exec(p) : null;
        if (!m) {
            throw new Error(
                `principals[${i}]: expected "<trust-domain>/ns/<namespace>/sa/<service-account>" without wildcards, got ${show(p)}`,
            );
        }
        try {
            principal(m[1], m[2], m[3]);
        } catch (e) {
            throw new Error(`principals[${i}]: ${(e as Error).message}`);
        }
    });
    unique("principals", args.principals);
    args.ports?.forEach((p, i) => {
        if (typeof p !== "string" || !/^[1-9][0-9]{0,4}$/.test(p)) {
            throw new Error(`ports[${i}]: expected a port number as a string like "5000", got ${show(p)}`);
        }
        port(`ports[${i}]`, Number(p));
    });
    args.methods?.forEach((m, i) => {
        if (!httpMethods.has(m)) {
            throw new Error(`methods[${i}]: expected an upper-case HTTP method (${[...httpMethods].join(", ")}), got ${show(m)}`);
        }
    });
    args.paths?.forEach((p, i) => {
        if (typeof p !== "string" || !/^\/[^*\s]*\*?$/.test(p)) {
            throw new Error(`paths[${i}]: expected an exact path like "/hello" or a prefix like "/api/*", got ${show(p)}`);
        }
    });
    const operation = {
        ...(args.ports?.length ? { ports: [...args.ports] } : {}),
        ...(args.methods?.length ? { methods: [...args.methods] } : {}),
        ...(args.paths?.length ? { paths: [...args.paths] } : {}),
    };
    return {
        apiVersion: securityApiVersion,
        kind: "AuthorizationPolicy",
        metadata: { name: args.name, namespace: args.namespace },
        spec: {
            selector: { matchLabels: selector },
            action: "ALLOW",
            rules: [
                {
                    from: [{ source: { principals: [...args.principals] } }],
                    ...(Object.keys(operation).length > 0 ? { to: [{ operation }] } : {}),
                },
            ],
        },
    };
}

export type ServiceEntryProtocol = "HTTP" | "HTTPS" | "HTTP2" | "GRPC" | "TLS" | "TCP";
const serviceEntryProtocols: readonly ServiceEntryProtocol[] = ["HTTP", "HTTPS", "HTTP2", "GRPC", "TLS", "TCP"];

export interface ServiceEntryPort {
    readonly number: number;
    /** Port name, a DNS label (e.g. "https"). */
    readonly name: string;
    /** TLS for HTTPS the client originates itself (the proxy routes by SNI, it cannot read the request). */
    readonly protocol: ServiceEntryProtocol;
}

export interface ServiceEntryArgs {
    readonly name: string;
    readonly namespace: string;
    /** Names the clients use (and, for TLS ports, the SNI). No wildcards: each external destination is named. */
    readonly hosts: readonly string[];
    /** Virtual IPs/CIDRs of the destination, when clients dial addresses rather than names. */
    readonly addresses?: readonly string[];
    readonly ports: readonly ServiceEntryPort[];
    /** DNS: resolve the host; STATIC: connect to `endpoints`; NONE: to the address the client dialled. */
    readonly resolution: "DNS" | "STATIC" | "NONE";
    /** Endpoint IPs; required for STATIC, forbidden for NONE. */
    readonly endpoints?: readonly string[];
    /** Namespaces that see the entry ("." = its own); default: the whole mesh. */
    readonly exportTo?: readonly string[];
}

export interface ServiceEntrySpec {
    readonly hosts: readonly string[];
    readonly addresses?: readonly string[];
    readonly ports: readonly { readonly number: number; readonly name: string; readonly protocol: ServiceEntryProtocol }[];
    readonly location: "MESH_EXTERNAL";
    readonly resolution: "DNS" | "STATIC" | "NONE";
    readonly endpoints?: readonly { readonly address: string }[];
    readonly exportTo?: readonly string[];
}

export type ServiceEntry = IstioObject<"ServiceEntry", ServiceEntrySpec>;

/**
 * An explicit egress destination under REGISTRY_ONLY (e.g. Keycloak outside the mesh on the testbed). The checks
 * mirror the CRD's CEL rules and istiod's validation, which the API server would otherwise report at apply time.
 */
export function serviceEntry(args: ServiceEntryArgs): ServiceEntry {
    dnsLabel("name", args.name);
    dnsLabel("namespace", args.namespace);
    nonEmpty("hosts", args.hosts).forEach((h, i) => hostName(`hosts[${i}]`, h));
    unique("hosts", args.hosts);
    if (!["DNS", "STATIC", "NONE"].includes(args.resolution)) {
        throw new Error(`resolution: expected "DNS", "STATIC" or "NONE", got ${show(args.resolution)}`);
    }
    const addresses = args.addresses?.map((a, i) => (a.includes("/") ? cidr(`addresses[${i}]`, a) : ipAddress(`addresses[${i}]`, a)));
    if (addresses?.some((a) => a.includes("/")) && args.resolution === "DNS") {
        throw new Error("addresses: CIDRs are allowed only with resolution STATIC or NONE");
    }
    nonEmpty("ports", args.ports).forEach((p, i) => {
        port(`ports[${i}].number`, p.number);
        dnsLabel(`ports[${i}].name`, p.name);
        if (!serviceEntryProtocols.includes(p.protocol)) {
            throw new Error(`ports[${i}].protocol: expected one of ${serviceEntryProtocols.join(", ")}, got ${show(p.protocol)}`);
        }
    });
    unique(
        "ports",
        args.ports.map((p) => p.number),
    );
    unique(
        "ports (names)",
        args.ports.map((p) => p.name),
    );
    const endpoints = args.endpoints?.map((e, i) => ipAddress(`endpoints[${i}]`, e));
    if (args.resolution === "STATIC" && !endpoints?.length) {
        throw new Error("endpoints: resolution STATIC needs at least one endpoint address");
    }
    if (args.resolution === "NONE" && endpoints?.length) {
        throw new Error("endpoints: resolution NONE cannot have endpoints");
    }
    args.exportTo?.forEach((ns, i) => (ns === "." ? ns : dnsLabel(`exportTo[${i}]`, ns)));
    return {
        apiVersion: networkingApiVersion,
        kind: "ServiceEntry",
        metadata: { name: args.name, namespace: args.namespace },
        spec: {
            hosts: [...args.hosts],
            ...(addresses?.length ? { addresses } : {}),
            ports: args.ports.map((p) => ({ number: p.number, name: p.name, protocol: p.protocol })),
            location: "MESH_EXTERNAL",
            resolution: args.resolution,
            ...(endpoints?.length ? { endpoints: endpoints.map((address) => ({ address })) } : {}),
            ...(args.exportTo?.length ? { exportTo: [...args.exportTo] } : {}),
        },
    };
}
