/**
 * zero-trust.md "Mesh", ingress: RequestAuthentication (Keycloak issuer, audiences, never Istio's sample JWKS) paired
 * with an ALLOW that requires the token, HTTPS gateway servers without bare "*" hosts, observability UIs off the
 * public gateway.
 */
import { arr, at, clusterOf, describeObject, json, obj, PolicyObject, ResourceRule, StackRule, str, strings } from "./model";
import { ISTIO_SAMPLE_ISSUER, KEYCLOAK_ISSUER, OBSERVABILITY_UIS, sampleJwksKid, sampleJwksUri } from "./allowLists";
import { actionOf, isIstio, policyRules, workloadKey } from "./meshAuthz";

export const requestAuthenticationJwt: ResourceRule = {
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

/** The one place a token may come from: `Authorization: Bearer …` (never a query parameter or a cookie). */
export const TOKEN_HEADER = { name: "authorization", prefix: "Bearer " } as const;

export const requestAuthenticationHeaderOnly: ResourceRule = {
    scope: "resource",
    name: "request-authentication-header-only",
    description:
        'RequestAuthentication jwtRules read the token only from the Authorization header: fromHeaders set to [{name: Authorization, prefix: "Bearer "}] (unset, Envoy also reads ?access_token=), no fromParams, no fromCookies.',
    reference: "issuer = the Keycloak realm URL, `audiences` set, JWKS over https or inline",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isIstio(r, "RequestAuthentication")) {
            return [];
        }
        const out: string[] = [];
        arr(at(r.props, "spec", "jwtRules")).forEach((rule, i) => {
            const p = `spec.jwtRules[${i}]`;
            const headers = arr(at(rule, "fromHeaders"));
            if (headers.length === 0) {
                out.push(
                    `${describeObject(r)}: ${p}.fromHeaders is not set; Envoy then also takes the token from the access_token query parameter (set [{name: Authorization, prefix: "Bearer "}])`,
                );
            }
            headers.forEach((h, j) => {
                const name = str(at(h, "name"));
                if (name?.toLowerCase() !== TOKEN_HEADER.name || at(h, "prefix") !== TOKEN_HEADER.prefix) {
                    out.push(
                        `${describeObject(r)}: ${p}.fromHeaders[${j}] is ${json(h)}; tokens come only from the Authorization header with prefix "Bearer "`,
                    );
                }
            });
            for (const field of ["fromParams", "fromCookies"]) {
                if (arr(at(rule, field)).length > 0) {
                    out.push(
                        `${describeObject(r)}: ${p}.${field} is ${json(at(rule, field))}; tokens come only from the Authorization header`,
                    );
                }
            }
        });
        return out;
    },
};

const OPERATION_LIMITS = ["hosts", "ports", "methods", "paths"] as const;

export const authorizationRequestPrincipalsOperation: ResourceRule = {
    scope: "resource",
    name: "authorization-request-principals-operation",
    description:
        "An ALLOW rule on requestPrincipals also limits the operation: every to[] entry names hosts, ports, methods or paths (else any subject of the issuer may call anything the workload serves).",
    reference:
        'every RequestAuthentication on the gateway paired with an ALLOW on `requestPrincipals` (or a DENY on `notRequestPrincipals: ["*"]`)',
    enforcementLevel: "mandatory",
    check: (r) => {
        const out: string[] = [];
        policyRules(r, "ALLOW").forEach(({ rule, i }) => {
            const principals = arr(at(rule, "from")).flatMap((f) => strings(at(f, "source", "requestPrincipals")));
            if (principals.length === 0) {
                return;
            }
            const to = arr(at(rule, "to"));
            const unlimited = to.length === 0 || to.some((t) => OPERATION_LIMITS.every((k) => strings(at(t, "operation", k)).length === 0));
            if (unlimited) {
                out.push(
                    `${describeObject(r)}: spec.rules[${i}] admits requestPrincipals ${json(principals)} without a to.operation limit (hosts, ports, methods, paths); any token holder may call anything`,
                );
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

export const requestAuthenticationPaired: StackRule = {
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

export const gatewayServers: ResourceRule = {
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

export const observabilityNotPublic: ResourceRule = {
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
