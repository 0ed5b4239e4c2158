/** ingressVerdict passes an ingress gateway's xDS only when JWT, RBAC and the :80 redirect match the RequestAuthentication. */
import { ingressVerdict } from "../../../components/verification/live/controlPlane";
import { Json, XdsDump } from "../../../components/verification/live/xds";

// controlPlane reaches @pulumi/* only through the samples' pull-secret module, which ingressVerdict never uses:
// a stand-in spares each run the Pulumi SDK's ~1 s import.
jest.mock("../../../components/platform/pullSecret", () => ({ pullSecretName: "zta-registry" }));

const issuer = "https://keycloak.zta.example/realms/zta";
const jwks = '{"keys":[{"kty":"RSA","kid":"k1","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4","e":"AQAB"}]}';
const rule = { issuer, audiences: ["zta-ingress", "account"], jwks };

const claim = (key: string, stringMatch: Json): Json => ({
    metadata: { filter: "envoy.filters.http.jwt_authn", path: [{ key: "payload" }, { key }], value: { stringMatch } },
});
const requestPrincipal = (iss = issuer): Json => ({
    andIds: { ids: [{ andIds: { ids: [claim("iss", { exact: iss }), claim("sub", { safeRegex: { regex: ".+" } })] } }] },
});
const onPort = (port: number): Json => ({ andRules: { rules: [{ orRules: { rules: [{ destinationPort: port }] } }] } });

function listener(port: number): Json {
    const hcm: Json = {
        statPrefix: "outbound_0.0.0.0_" + String(port),
        httpFilters: [
            {
                name: "envoy.filters.http.jwt_authn",
                typedConfig: {
                    providers: {
                        "origins-0": {
                            issuer,
                            audiences: ["account", "zta-ingress"],
                            localJwks: { inlineString: jwks },
                            // What istiod renders for fromHeaders [{name: Authorization, prefix: "Bearer "}].
                            fromHeaders: [{ name: "Authorization", valuePrefix: "Bearer " }],
                        },
                    },
                },
            },
            {
                name: "envoy.filters.http.rbac",
                typedConfig: {
                    rules: {
                        policies: {
                            "ns[istio-ingress]-policy[ingress-jwt]-rule[0]": {
                                permissions: [{ andRules: { rules: [{ any: true }] } }],
                                principals: [requestPrincipal()],
                            },
                            "ns[istio-ingress]-policy[ingress-http-redirect]-rule[0]": {
                                permissions: [onPort(80)],
                                principals: [{ andIds: { ids: [{ any: true }] } }],
                            },
                        },
                    },
                },
            },
            { name: "envoy.filters.http.router" },
        ],
    };
    if (port === 80) {
        hcm.rds = { routeConfigName: "http.80" };
    }
    return {
        name: `0.0.0.0_${port}`,
        filterChains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", typedConfig: hcm }] }],
    };
}

/** A dump as zta-xds prints it, mutable so that a test can break one thing in its copy. */
interface Dump extends XdsDump {
    resources: { clusters: Json[]; listeners: Json[]; endpoints: Json[]; routes: Json[] };
}

function gateway(): Dump {
    return {
        nodeId: "router~10.10.0.9~istio-ingressgateway-abc.istio-ingress~istio-ingress.svc.cluster.local",
        resources: {
            clusters: [],
            listeners: [listener(443), listener(80)],
            endpoints: [],
            routes: [{ name: "http.80", virtualHosts: [{ name: "*:80", domains: ["*"], requireTls: "ALL" }] }],
        },
        nacks: [],
    };
}

/** The gateway's listener by name, to break one thing in a copy. */
const listenerOf = (d: Dump, name: string): Json => d.resources.listeners.find((l: Json) => l.name === name);
const httpFilters = (d: Dump, name: string): Json[] => listenerOf(d, name).filterChains[0].filters[0].typedConfig.httpFilters;
const policiesOf = (d: Dump, name: string): Record<string, Json> =>
    httpFilters(d, name).find((f: Json) => f.name === "envoy.filters.http.rbac").typedConfig.rules.policies;
const providersOf = (d: Dump, name: string): Record<string, Json> =>
    httpFilters(d, name).find((f: Json) => f.name === "envoy.filters.http.jwt_authn").typedConfig.providers;

function broken(change: (d: Dump) => void): [boolean, string] {
    const d = gateway();
    change(d);
    return ingressVerdict(d, rule);
}

describe("ingressVerdict: a gateway that keeps the RequestAuthentication", () => {
    test("both listeners as istiod renders them: ok, naming the listeners and the issuer", () => {
        const [ok, detail] = ingressVerdict(gateway(), rule);
        expect(detail).toContain("0.0.0.0_443, 0.0.0.0_80");
        expect(detail).toContain(`JWT from ${issuer}`);
        expect(ok).toBe(true);
    });
    test("audiences in another order are the same audiences", () => {
        expect(ingressVerdict(gateway(), { ...rule, audiences: ["account", "zta-ingress"] })[0]).toBe(true);
    });
});

describe("ingressVerdict: JWT authentication that differs from the RequestAuthentication", () => {
    test("a JWKS differing by one byte: fails, naming each listener", () => {
        const [ok, detail] = ingressVerdict(gateway(), { ...rule, jwks: jwks.replace('"e":"AQAB"', '"e":"AQAC"') });
        expect(ok).toBe(false);
        expect(detail).toContain("0.0.0.0_443: inline JWKS differs from the RequestAuthentication's");
        expect(detail).toContain("0.0.0.0_80: inline JWKS differs from the RequestAuthentication's");
    });
    test("another issuer: fails, naming both", () => {
        const [ok, detail] = ingressVerdict(gateway(), { ...rule, issuer: "https://evil.example" });
        expect(ok).toBe(false);
        expect(detail).toContain(`0.0.0.0_443: issuer ${issuer} ≠ https://evil.example`);
    });
    test("an audience more, or one less: fails", () => {
        const [more, detailMore] = ingressVerdict(gateway(), { ...rule, audiences: [...rule.audiences, "admin"] });
        expect(more).toBe(false);
        expect(detailMore).toContain("0.0.0.0_443: audiences account,zta-ingress ≠ zta-ingress,account,admin");
        expect(ingressVerdict(gateway(), { ...rule, audiences: ["zta-ingress"] })[0]).toBe(false);
    });
    test("no jwt_authn on the HTTPS listener: fails with 0 providers", () => {
        const [ok, detail] = broken((d) => httpFilters(d, "0.0.0.0_443").shift());
        expect(ok).toBe(false);
        expect(detail).toContain("0.0.0.0_443: 0 JWT providers (expected 1)");
    });
    test("a second provider: fails with 2 providers", () => {
        const [ok, detail] = broken((d) => (providersOf(d, "0.0.0.0_443")["origins-1"] = { issuer: "https://other", audiences: [] }));
        expect(ok).toBe(false);
        expect(detail).toContain("0.0.0.0_443: 2 JWT providers (expected 1)");
    });
    test("Envoy's default token locations (no fromHeaders: ?access_token= too), a query parameter or another header: fails", () => {
        const [defaults, detail] = broken((d) => delete providersOf(d, "0.0.0.0_443")["origins-0"].fromHeaders);
        expect(defaults).toBe(false);
        expect(detail).toContain("0.0.0.0_443: the token is not read from Authorization: Bearer only (headers [], params [], cookies [])");
        expect(broken((d) => (providersOf(d, "0.0.0.0_443")["origins-0"].fromParams = ["access_token"]))[0]).toBe(false);
        expect(broken((d) => (providersOf(d, "0.0.0.0_80")["origins-0"].fromHeaders = [{ name: "x-jwt" }]))[1]).toContain(
            '0.0.0.0_80: the token is not read from Authorization: Bearer only (headers [{"name":"x-jwt"}]',
        );
    });
    test("no RequestAuthentication rule at all: fails", () => {
        expect(ingressVerdict(gateway(), undefined)[0]).toBe(false);
    });
});

describe("ingressVerdict: RBAC that admits requests without the request principal", () => {
    test("the anyone-rule confined to :443 instead of :80: fails, naming the policy", () => {
        const [ok, detail] = broken((d) => {
            policiesOf(d, "0.0.0.0_443")["ns[istio-ingress]-policy[ingress-http-redirect]-rule[0]"].permissions = [onPort(443)];
        });
        expect(ok).toBe(false);
        expect(detail).toContain(
            `0.0.0.0_443: policy ns[istio-ingress]-policy[ingress-http-redirect]-rule[0] admits requests without a request principal from ${issuer}`,
        );
    });
    test("an extra principal beside the request principal (any authenticated peer): fails", () => {
        const [ok, detail] = broken((d) =>
            policiesOf(d, "0.0.0.0_443")["ns[istio-ingress]-policy[ingress-jwt]-rule[0]"].principals.push({ authenticated: {} }),
        );
        expect(ok).toBe(false);
        expect(detail).toContain("policy ns[istio-ingress]-policy[ingress-jwt]-rule[0] admits requests without a request principal");
    });
    test("a request principal from another issuer: fails", () => {
        const [ok] = broken(
            (d) =>
                (policiesOf(d, "0.0.0.0_443")["ns[istio-ingress]-policy[ingress-jwt]-rule[0]"].principals = [
                    requestPrincipal("https://evil"),
                ]),
        );
        expect(ok).toBe(false);
    });
    test("iss required but no sub: fails", () => {
        const [ok] = broken(
            (d) =>
                (policiesOf(d, "0.0.0.0_443")["ns[istio-ingress]-policy[ingress-jwt]-rule[0]"].principals = [
                    { andIds: { ids: [claim("iss", { exact: issuer })] } },
                ]),
        );
        expect(ok).toBe(false);
    });
    test("only Istio's allow-nothing left on :443: fails, everything denied", () => {
        const [ok, detail] = broken((d) => {
            const policies = policiesOf(d, "0.0.0.0_443");
            for (const k of Object.keys(policies)) {
                delete policies[k];
            }
            policies["ns[istio-system]-policy[allow-nothing]-rule[0]"] = {
                permissions: [{ notRule: { any: true } }],
                principals: [{ notId: { any: true } }],
            };
        });
        expect(ok).toBe(false);
        expect(detail).toContain("0.0.0.0_443: no ALLOW policy (everything denied, or no RBAC)");
    });
    test("no RBAC filter on :443: fails", () => {
        const [ok, detail] = broken((d) => httpFilters(d, "0.0.0.0_443").splice(1, 1));
        expect(ok).toBe(false);
        expect(detail).toContain("0.0.0.0_443: no ALLOW policy");
    });
});

describe("ingressVerdict: plain HTTP must only redirect", () => {
    test("a :80 virtual host without requireTls: fails, naming the listener and the host", () => {
        const [ok, detail] = broken((d) => {
            d.resources.routes[0].virtualHosts.push({ name: "app.example:80", domains: ["app.example"] });
        });
        expect(ok).toBe(false);
        expect(detail).toContain("0.0.0.0_80: plain HTTP is not redirect-only (app.example:80)");
    });
    test("requireTls EXTERNAL_ONLY is not redirect-only: fails", () => {
        const [ok] = broken((d) => (d.resources.routes[0].virtualHosts[0].requireTls = "EXTERNAL_ONLY"));
        expect(ok).toBe(false);
    });
    test("a :80 listener whose route configuration is missing: fails", () => {
        const [ok, detail] = broken((d) => (d.resources.routes = []));
        expect(ok).toBe(false);
        expect(detail).toContain("0.0.0.0_80: plain HTTP is not redirect-only");
    });
    test("no HTTPS listener at all: fails", () => {
        const [ok, detail] = broken((d) => (d.resources.listeners = [listenerOf(d, "0.0.0.0_80")]));
        expect(ok).toBe(false);
        expect(detail).toBe("no HTTPS listener with JWT authentication");
    });
});
