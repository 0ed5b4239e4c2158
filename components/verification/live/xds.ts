/**
 * Reading the configuration istiod sends a proxy (the JSON zta-xds prints: Envoy's v3 resources in proto-JSON).
 * Pure: the control-plane checks ask these questions of a dump and judge the answers.
 */

/** What `zta-xds xds` prints. */
export interface XdsDump {
    readonly nodeId: string;
    readonly resources: {
        readonly clusters: readonly Json[] | null;
        readonly listeners: readonly Json[] | null;
        readonly endpoints: readonly Json[] | null;
        readonly routes: readonly Json[] | null;
    };
    /** Resources that failed Envoy's own proto validation (what Envoy would NACK). */
    readonly nacks: readonly { typeUrl: string; name: string; error: string }[];
}

// proto-JSON of dozens of Envoy types: read by path, checked by value (eslint.config.mjs allows `any` here)
export type Json = any;

export interface LbEndpoint {
    readonly address: string;
    readonly port: number;
    readonly region?: string;
}

/** The endpoints EDS gives for a cluster name, e.g. `outbound|5000||helloworld.sample.svc.cluster.local`. */
export function endpointsOf(dump: XdsDump, clusterName: string): LbEndpoint[] {
    const cla = (dump.resources.endpoints ?? []).find((e: Json) => e.clusterName === clusterName);
    if (!cla) {
        return [];
    }
    return ((cla.endpoints ?? []) as Json[]).flatMap((locality: Json) =>
        ((locality.lbEndpoints ?? []) as Json[]).map((lb: Json) => ({
            address: String(lb.endpoint?.address?.socketAddress?.address ?? ""),
            port: Number(lb.endpoint?.address?.socketAddress?.portValue ?? 0),
            region: locality.locality?.region as string | undefined,
        })),
    );
}

export interface FilterChainView {
    readonly name: string;
    readonly destinationPort?: number;
    readonly transportProtocol?: string;
    /** TLS with a required, validated client certificate (mTLS). */
    readonly mtls: boolean;
    readonly networkFilters: readonly string[];
    readonly networkFilterConfigs: readonly Json[];
    readonly httpFilters: readonly Json[];
}

function requiresClientCert(ts: Json): boolean {
    const ctx = ts?.typedConfig;
    if (!ts || ts.name !== "envoy.transport_sockets.tls" || !ctx) {
        return false;
    }
    const validation = ctx.commonTlsContext?.combinedValidationContext ?? ctx.commonTlsContext?.validationContextSdsSecretConfig;
    return ctx.requireClientCertificate === true && validation !== undefined;
}

/** Filter chains of a listener (by name), with what they demand of a connection. */
export function filterChains(dump: XdsDump, listenerName: string): FilterChainView[] {
    const listener = (dump.resources.listeners ?? []).find((l: Json) => l.name === listenerName);
    if (!listener) {
        return [];
    }
    return ((listener.filterChains ?? []) as Json[]).map((fc: Json) => {
        const filters = (fc.filters ?? []) as Json[];
        const hcm = filters.find((f) => f.name === "envoy.filters.network.http_connection_manager");
        return {
            name: String(fc.name ?? ""),
            destinationPort: fc.filterChainMatch?.destinationPort as number | undefined,
            transportProtocol: fc.filterChainMatch?.transportProtocol as string | undefined,
            mtls: requiresClientCert(fc.transportSocket),
            networkFilters: filters.map((f) => String(f.name)),
            networkFilterConfigs: filters,
            httpFilters: (hcm?.typedConfig?.httpFilters ?? []) as Json[],
        };
    });
}

export interface RbacPolicy {
    readonly principals: Json[];
    readonly permissions: Json[];
}

function policiesOf(rules: Json): Record<string, RbacPolicy> | undefined {
    if (rules?.action && rules.action !== "ALLOW") {
        return undefined;
    }
    const policies = (rules?.policies ?? {}) as Record<string, Json>;
    return Object.fromEntries(
        Object.entries(policies).map(([name, p]) => [
            name,
            { principals: (p.principals ?? []) as Json[], permissions: (p.permissions ?? []) as Json[] },
        ]),
    );
}

/** The HTTP RBAC filter's ALLOW policies. */
export function rbacPolicies(chain: FilterChainView): Record<string, RbacPolicy> | undefined {
    const rbac = chain.httpFilters.find((h) => h.name === "envoy.filters.http.rbac");
    return rbac ? policiesOf(rbac.typedConfig?.rules) : undefined;
}

/** The network (TCP) RBAC filter's ALLOW policies of a chain. */
export function networkRbacPolicies(chain: FilterChainView): Record<string, RbacPolicy> | undefined {
    const rbac = chain.networkFilterConfigs.find((f) => f.name === "envoy.filters.network.rbac");
    return rbac ? policiesOf(rbac.typedConfig?.rules) : undefined;
}

/** Destination ports a permission tree is confined to (undefined: not confined to ports). */
export function confinedPorts(permission: Json): number[] | undefined {
    if (typeof permission?.destinationPort === "number") {
        return [permission.destinationPort as number];
    }
    if (permission?.orRules) {
        const parts = ((permission.orRules.rules ?? []) as Json[]).map(confinedPorts);
        return parts.every((p) => p !== undefined) ? parts.flat() : undefined;
    }
    if (permission?.andRules) {
        const parts = ((permission.andRules.rules ?? []) as Json[]).map(confinedPorts).filter((p) => p !== undefined);
        return parts.length > 0 ? parts.reduce((a, b) => a.filter((x) => b.includes(x))) : undefined;
    }
    return undefined;
}

/**
 * Policies that can match something on a listener port: Istio renders its allow-nothing as `notId: any`, and a
 * policy whose every permission is confined to other ports can never match here.
 */
export function effectivePolicies(policies: Record<string, RbacPolicy>, listenerPort?: number): Record<string, RbacPolicy> {
    return Object.fromEntries(
        Object.entries(policies).filter(([, p]) => {
            if (p.principals.every((x: Json) => x?.notId?.any === true)) {
                return false;
            }
            if (listenerPort !== undefined) {
                const ports = p.permissions.map(confinedPorts);
                if (ports.length > 0 && ports.every((q) => q !== undefined && !q.includes(listenerPort))) {
                    return false;
                }
            }
            return true;
        }),
    );
}

/** Every exact mTLS principal name an RBAC principal tree admits (`authenticated.principalName.exact`). */
export function principalNames(principal: Json): string[] {
    if (!principal || typeof principal !== "object") {
        return [];
    }
    if (principal.authenticated?.principalName?.exact) {
        return [String(principal.authenticated.principalName.exact)];
    }
    const nested = [...((principal.andIds?.ids ?? []) as Json[]), ...((principal.orIds?.ids ?? []) as Json[])];
    return nested.flatMap(principalNames);
}

/** Does the principal tree admit identities it does not name (`any: true`, or a `notId` negation)? */
export function admitsAnyone(principal: Json): boolean {
    if (!principal || typeof principal !== "object") {
        return false;
    }
    // `any`, or a negation of anything but `any` (everyone but someone): both admit identities no one named
    if (principal.any === true || (principal.notId !== undefined && principal.notId?.any !== true)) {
        return true;
    }
    if (principal.orIds) {
        return ((principal.orIds.ids ?? []) as Json[]).some(admitsAnyone);
    }
    if (principal.andIds) {
        return ((principal.andIds.ids ?? []) as Json[]).every(admitsAnyone);
    }
    return false;
}

/** JWT claims a principal tree requires from the jwt_authn payload (claim → matcher). */
export function requiredJwtClaims(principal: Json): Record<string, Json> {
    if (!principal || typeof principal !== "object") {
        return {};
    }
    const md = principal.metadata;
    if (md?.filter === "envoy.filters.http.jwt_authn" && Array.isArray(md.path) && md.path[0]?.key === "payload") {
        return { [String(md.path[1]?.key)]: md.value?.stringMatch };
    }
    const nested = [...((principal.andIds?.ids ?? []) as Json[])];
    return Object.assign({}, ...nested.map(requiredJwtClaims)) as Record<string, Json>;
}

export interface JwtProviderView {
    readonly issuer: string;
    readonly audiences: readonly string[];
    readonly inlineJwks?: string;
    readonly remoteJwksUri?: string;
    /** Where Envoy reads the token; all empty means its defaults (Authorization: Bearer and ?access_token=). */
    readonly fromHeaders: readonly { readonly name: string; readonly prefix?: string }[];
    readonly fromParams: readonly string[];
    readonly fromCookies: readonly string[];
}

/** The jwt_authn providers of a filter chain. */
export function jwtProviders(chain: FilterChainView): JwtProviderView[] {
    const f = chain.httpFilters.find((h) => h.name === "envoy.filters.http.jwt_authn");
    const providers = (f?.typedConfig?.providers ?? {}) as Record<string, Json>;
    return Object.values(providers).map((p: Json) => ({
        issuer: String(p.issuer ?? ""),
        audiences: (p.audiences ?? []) as string[],
        inlineJwks: p.localJwks?.inlineString as string | undefined,
        remoteJwksUri: p.remoteJwks?.httpUri?.uri as string | undefined,
        fromHeaders: ((p.fromHeaders ?? []) as Json[]).map((h) => ({
            name: String(h.name),
            ...(h.valuePrefix !== undefined ? { prefix: String(h.valuePrefix) } : {}),
        })),
        fromParams: (p.fromParams ?? []) as string[],
        fromCookies: (p.fromCookies ?? []) as string[],
    }));
}

/** Virtual hosts of a route configuration, with whether they only redirect to TLS. */
export function virtualHosts(dump: XdsDump, routeName: string): { name: string; domains: string[]; requireTlsAll: boolean }[] {
    const rc = (dump.resources.routes ?? []).find((r: Json) => r.name === routeName);
    return ((rc?.virtualHosts ?? []) as Json[]).map((vh: Json) => ({
        name: String(vh.name),
        domains: (vh.domains ?? []) as string[],
        requireTlsAll: vh.requireTls === "ALL",
    }));
}
