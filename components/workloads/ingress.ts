/**
 * The JWT-protected HTTPS ingress in front of httpbin, as pure renderers: Gateway (HTTPS + redirect), the route,
 * RequestAuthentication with the realm's inline JWKS (checked to hold public keys only) and the ALLOW on
 * requestPrincipals. tests/workloads/render.test.ts validates the objects against the Istio CRD schemas.
 */
import { AuthorizationPolicy, IstioObject, WorkloadSelector } from "../policy/mesh";
import { gatewayPodLabels, networkingApiVersion, securityApiVersion } from "../core/istio";
import { dnsLabel, dnsSubdomain, hostName, httpsUrl, nonEmpty, show } from "../core/validate";
import { clusterDomain, sampleNamespace, samplePorts } from "./samples";

/**
 * What the verification layer must observe at the ingress (istio.io tasks authz-jwt): the ALLOW on requestPrincipals
 * refuses a request without a token (403, RBAC), while RequestAuthentication rejects any token it cannot validate —
 * forged signature, expired, wrong issuer or audience — before authorization (401). Plain HTTP only gets a redirect.
 */
export const ingressExpectations = {
    validToken: 200,
    missingToken: 403,
    invalidToken: 401,
    plainHttpRedirect: 301,
} as const;

export interface IngressInput {
    /** Public host name of the ingress (the certificate's SAN). No wildcards. */
    readonly host: string;
    /** TLS Secret (kubernetes.io/tls) in the ingress namespace. */
    readonly credentialName: string;
    /** Namespace of the ingress gateway; the Gateway, VirtualService and JWT policies go there. */
    readonly namespace: string;
    /** The Keycloak realm URL, exactly as the tokens' `iss` claim. */
    readonly issuer: string;
    /** Accepted `aud` values. */
    readonly audiences: readonly string[];
    /** https URL of the realm's JWKS (istiod fetches it); or */
    readonly jwksUri?: string;
    /** the JWKS inline (JSON), when istiod cannot reach Keycloak (otherwise every token gets 401, istio#53260). */
    readonly jwks?: string;
}

export interface GatewayServer {
    readonly port: { readonly number: number; readonly name: string; readonly protocol: "HTTPS" | "HTTP" };
    readonly hosts: readonly string[];
    readonly tls: {
        readonly mode?: "SIMPLE";
        readonly credentialName?: string;
        readonly minProtocolVersion?: "TLSV1_2";
        readonly httpsRedirect?: boolean;
    };
}

export type Gateway = IstioObject<
    "Gateway",
    { readonly selector: Readonly<Record<string, string>>; readonly servers: readonly GatewayServer[] }
>;

export type VirtualService = IstioObject<
    "VirtualService",
    {
        readonly hosts: readonly string[];
        readonly gateways: readonly string[];
        readonly exportTo: readonly string[];
        readonly http: readonly {
            readonly match: readonly { readonly uri: { readonly exact: string } | { readonly prefix: string } }[];
            readonly route: readonly { readonly destination: { readonly host: string; readonly port: { readonly number: number } } }[];
        }[];
    }
>;

export interface JwtRule {
    readonly issuer: string;
    readonly audiences: readonly string[];
    /** Where the token is read from; set, it replaces Envoy's defaults (Authorization: Bearer AND ?access_token=). */
    readonly fromHeaders: readonly { readonly name: string; readonly prefix: string }[];
    readonly jwksUri?: string;
    readonly jwks?: string;
}

export type RequestAuthentication = IstioObject<
    "RequestAuthentication",
    { readonly selector: WorkloadSelector; readonly jwtRules: readonly JwtRule[] }
>;

export interface IngressObjects {
    readonly gateway: Gateway;
    readonly virtualService: VirtualService;
    readonly requestAuthentication: RequestAuthentication;
    readonly authorizationPolicy: AuthorizationPolicy;
}

export const ingressGatewayObjectName = "sample-ingress";

/**
 * What the ingress serves, and all that its ALLOW admits: httpbin read-only — its request echo (/headers, which the
 * verification calls, and /get) and /status/<code>. Paths in AuthorizationPolicy form (exact, or a prefix ending in
 * `*`); the route matches the same paths, so nothing is routed that the ALLOW would refuse, nor the reverse.
 */
export const ingressApi = { methods: ["GET", "HEAD"], paths: ["/headers", "/get", "/status/*"] } as const;
/** The request the ingress check (verification layer) makes: GET of one of those paths. */
export const ingressCheckPath = ingressApi.paths[0];

/** Tokens only from `Authorization: Bearer …`: never from the URL, where they end up in logs and browser history. */
export const ingressTokenHeader = { name: "Authorization", prefix: "Bearer " } as const;

/** A VirtualService match for a path in AuthorizationPolicy form. */
function uriMatch(path: string): { uri: { exact: string } | { prefix: string } } {
    return path.endsWith("*") ? { uri: { prefix: path.slice(0, -1) } } : { uri: { exact: path } };
}

/** The Host header values a request for `host` on `port` carries (with or without the port; matched case-insensitively). */
const hostValues = (host: string, port: number): string[] => [host, `${host}:${port}`];

/** Istio's sample JWT material: its private key is published, so anything it signs proves nothing. */
const istioSampleIssuer = "testing@secure.istio.io";
const istioSampleKid = "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ";
/** JWK members that only private (or symmetric) keys have. */
const privateJwkMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

function validateJwks(jwks: string): void {
    let parsed: unknown;
    try {
        parsed = JSON.parse(jwks);
    } catch {
        throw new Error("jwks: expected a JSON Web Key Set (JSON text)");
    }
    const keys = (parsed as { keys?: unknown })?.keys;
    if (!Array.isArray(keys) || keys.length === 0) {
        throw new Error('jwks: expected {"keys": [...]} with at least one key');
    }
    keys.forEach((key: unknown, i) => {
        if (typeof key !== "object" || key === null || typeof (key as { kty?: unknown }).kty !== "string") {
            throw new Error(`jwks.keys[${i}]: expected a JWK with "kty"`);
        }
        const secret = privateJwkMembers.filter((m) => m in key);
        if (secret.length > 0) {
            throw new Error(`jwks.keys[${i}]: holds private or symmetric key material (${secret.join(", ")}); publish only public keys`);
        }
        if ((key as { kid?: unknown }).kid === istioSampleKid) {
            throw new Error(`jwks.keys[${i}]: is Istio's sample key, whose private key is public`);
        }
    });
}

/**
 * The JWT-protected ingress to httpbin: HTTPS Gateway (plus an HTTP server that only redirects), the route, the
 * RequestAuthentication on the ingress gateway, and the ALLOW that makes a valid token mandatory.
 */
export function ingressObjects(input: IngressInput): IngressObjects {
    const host = hostName("host", input.host);
    const credentialName = dnsSubdomain("credentialName", input.credentialName);
    const namespace = dnsLabel("namespace", input.namespace);
    if (input.issuer === istioSampleIssuer) {
        throw new Error(`issuer: ${show(input.issuer)} is Istio's sample issuer (its signing key is public); use the Keycloak realm URL`);
    }
    const issuer = httpsUrl("issuer", input.issuer);
    nonEmpty("audiences", input.audiences).forEach((a, i) => {
        if (typeof a !== "string" || !/^\S+$/.test(a)) {
            throw new Error(`audiences[${i}]: expected a non-empty audience without spaces, got ${show(a)}`);
        }
    });
    if ((input.jwksUri === undefined) === (input.jwks === undefined)) {
        throw new Error("jwksUri: set exactly one of jwksUri (https) and jwks (inline)");
    }
    if (input.jwksUri !== undefined) {
        httpsUrl("jwksUri", input.jwksUri);
        if (/\/istio\/istio\/.*\/security\/tools\/jwt\/samples\//.test(input.jwksUri)) {
            throw new Error(`jwksUri: ${show(input.jwksUri)} is Istio's sample JWKS (its private key is public)`);
        }
    } else {
        validateJwks(input.jwks as string);
    }

    const selector = { ...gatewayPodLabels.ingress };
    const workloadSelector = { matchLabels: { istio: selector.istio } };
    return {
        gateway: {
            apiVersion: networkingApiVersion,
            kind: "Gateway",
            metadata: { name: ingressGatewayObjectName, namespace },
            spec: {
                selector: { istio: selector.istio },
                servers: [
                    {
                        port: { number: 443, name: "https", protocol: "HTTPS" },
                        hosts: [host],
                        tls: { mode: "SIMPLE", credentialName, minProtocolVersion: "TLSV1_2" },
                    },
                    { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: [host], tls: { httpsRedirect: true } },
                ],
            },
        },
        virtualService: {
            apiVersion: networkingApiVersion,
            kind: "VirtualService",
            metadata: { name: "httpbin", namespace },
            spec: {
                hosts: [host],
                gateways: [`${namespace}/${ingressGatewayObjectName}`],
                // Only the gateway (same namespace) needs the route; sidecars elsewhere never see it.
                exportTo: ["."],
                http: [
                    {
                        match: ingressApi.paths.map(uriMatch),
                        route: [
                            {
                                destination: {
                                    // FQDN: a dotted short name like "httpbin.sample" is taken literally by Istio, not expanded.
                                    host: `httpbin.${sampleNamespace}.svc.${clusterDomain}`,
                                    port: { number: samplePorts.httpbinService },
                                },
                            },
                        ],
                    },
                ],
            },
        },
        requestAuthentication: {
            apiVersion: securityApiVersion,
            kind: "RequestAuthentication",
            metadata: { name: "ingress-jwt", namespace },
            spec: {
                selector: workloadSelector,
                jwtRules: [
                    {
                        issuer,
                        audiences: [...input.audiences],
                        fromHeaders: [{ ...ingressTokenHeader }],
                        ...(input.jwksUri !== undefined ? { jwksUri: input.jwksUri } : { jwks: input.jwks }),
                    },
                ],
            },
        },
        authorizationPolicy: {
            apiVersion: securityApiVersion,
            kind: "AuthorizationPolicy",
            metadata: { name: "ingress-require-jwt", namespace },
            spec: {
                selector: workloadSelector,
                action: "ALLOW",
                rules: [
                    // Any subject of this issuer (RequestAuthentication already checked signature, expiry, audience),
                    // for the ingress's own host and API on HTTPS only.
                    {
                        from: [{ source: { requestPrincipals: [`${issuer}/*`] } }],
                        to: [
                            {
                                operation: {
                                    hosts: hostValues(host, 443),
                                    ports: ["443"],
                                    methods: [...ingressApi.methods],
                                    paths: [...ingressApi.paths],
                                },
                            },
                        ],
                    },
                    // Port 80 serves only the HTTPS redirect, but the gateway's RBAC filter runs before the router that
                    // answers it: without this rule a browser's plain request would get 403, not the 301. Confined to
                    // the host and GET/HEAD; no route behind port 80 leads anywhere but the redirect.
                    { to: [{ operation: { hosts: hostValues(host, 80), ports: ["80"], methods: [...ingressApi.methods] } }] },
                ],
            },
        },
    };
}
