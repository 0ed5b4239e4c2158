/** The xDS readers (components/verification/live/xds.ts) answer each question of a dump right, and differently when the dump differs. */
import {
    Json,
    XdsDump,
    admitsAnyone,
    confinedPorts,
    effectivePolicies,
    endpointsOf,
    filterChains,
    jwtProviders,
    networkRbacPolicies,
    principalNames,
    rbacPolicies,
    requiredJwtClaims,
    virtualHosts,
} from "../../../components/verification/live/xds";

const helloworldCluster = "outbound|5000||helloworld.sample.svc.cluster.local";
const curl = "spiffe://cluster.local/ns/sample/sa/curl";
const issuer = "https://keycloak.example/realms/zta";

function dumpOf(resources: Partial<XdsDump["resources"]>): XdsDump {
    return {
        nodeId: "sidecar~10.10.0.6~helloworld-v1-abc.sample~sample.svc.cluster.local",
        resources: { clusters: null, listeners: null, endpoints: null, routes: null, ...resources },
        nacks: [],
    };
}

const eds: Json = {
    clusterName: helloworldCluster,
    endpoints: [
        {
            locality: { region: "zta-sim-1" },
            lbEndpoints: [{ endpoint: { address: { socketAddress: { address: "10.10.0.6", portValue: 5000 } } } }],
        },
        {
            locality: { region: "zta-sim-2" },
            lbEndpoints: [{ endpoint: { address: { socketAddress: { address: "127.0.20.242", portValue: 15443 } } } }],
        },
    ],
};

const allowNothing: Json = { permissions: [{ notRule: { any: true } }], principals: [{ notId: { any: true } }] };
const onPort = (port: number): Json => ({ andRules: { rules: [{ orRules: { rules: [{ destinationPort: port }] } }] } });
const exactly = (name: string): Json => ({ authenticated: { principalName: { exact: name } } });
const helloworldPolicy: Json = {
    permissions: [onPort(5000)],
    principals: [{ andIds: { ids: [{ orIds: { ids: [exactly(curl)] } }] } }],
};

const mtlsSocket: Json = {
    name: "envoy.transport_sockets.tls",
    typedConfig: { requireClientCertificate: true, commonTlsContext: { combinedValidationContext: {} } },
};

function httpChain(port: number, policies: Record<string, Json>, transportSocket: Json = mtlsSocket): Json {
    return {
        name: `0.0.0.0_${port}`,
        filterChainMatch: { destinationPort: port, transportProtocol: "tls" },
        transportSocket,
        filters: [
            { name: "istio.metadata_exchange" },
            {
                name: "envoy.filters.network.http_connection_manager",
                typedConfig: {
                    httpFilters: [
                        { name: "istio.stats" },
                        { name: "envoy.filters.http.rbac", typedConfig: { rules: { policies } } },
                        { name: "envoy.filters.http.router" },
                    ],
                },
            },
        ],
    };
}

function tcpChain(port: number, policies: Record<string, Json>): Json {
    return {
        name: `0.0.0.0_${port}`,
        filterChainMatch: { destinationPort: port, transportProtocol: "tls" },
        transportSocket: mtlsSocket,
        filters: [
            { name: "istio.metadata_exchange" },
            { name: "envoy.filters.network.rbac", typedConfig: { rules: { policies } } },
            { name: "envoy.filters.network.tcp_proxy", typedConfig: { cluster: "inbound|6000||" } },
        ],
    };
}

const inbound = (...chains: Json[]): XdsDump => dumpOf({ listeners: [{ name: "virtualInbound", filterChains: chains }] });
const onlyChain = (chain: Json) => filterChains(inbound(chain), "virtualInbound")[0];

describe("endpointsOf: the endpoints EDS gives for a cluster", () => {
    test("every locality's endpoints, with address, port and region", () => {
        expect(endpointsOf(dumpOf({ endpoints: [eds] }), helloworldCluster)).toEqual([
            { address: "10.10.0.6", port: 5000, region: "zta-sim-1" },
            { address: "127.0.20.242", port: 15443, region: "zta-sim-2" },
        ]);
    });
    test("another cluster's name, or no endpoints at all: none", () => {
        expect(endpointsOf(dumpOf({ endpoints: [eds] }), "outbound|5000||other.sample.svc.cluster.local")).toEqual([]);
        expect(endpointsOf(dumpOf({ endpoints: null }), helloworldCluster)).toEqual([]);
    });
    test("a locality without a region: the endpoint without one", () => {
        const noRegion = { ...eds, endpoints: [{ ...eds.endpoints[0], locality: {} }] };
        expect(endpointsOf(dumpOf({ endpoints: [noRegion] }), helloworldCluster)).toEqual([
            { address: "10.10.0.6", port: 5000, region: undefined },
        ]);
    });
});

describe("filterChains: what each chain demands of a connection", () => {
    test("an Istio inbound chain: port, protocol, mTLS, its network and HTTP filters", () => {
        const chains = filterChains(inbound(httpChain(5000, {})), "virtualInbound");
        expect(chains).toHaveLength(1);
        expect(chains[0]).toMatchObject({ name: "0.0.0.0_5000", destinationPort: 5000, transportProtocol: "tls", mtls: true });
        expect(chains[0].networkFilters).toEqual(["istio.metadata_exchange", "envoy.filters.network.http_connection_manager"]);
        expect(chains[0].httpFilters.map((h: Json) => h.name)).toEqual([
            "istio.stats",
            "envoy.filters.http.rbac",
            "envoy.filters.http.router",
        ]);
    });
    test("a plaintext chain (no transport socket): not mTLS", () => {
        const plain = { ...httpChain(5000, {}), transportSocket: undefined, filterChainMatch: { destinationPort: 5000 } };
        expect(onlyChain(plain)).toMatchObject({ mtls: false, transportProtocol: undefined });
    });
    test("TLS without a required client certificate: not mTLS", () => {
        const optional = { ...mtlsSocket, typedConfig: { ...mtlsSocket.typedConfig, requireClientCertificate: false } };
        const unset = { ...mtlsSocket, typedConfig: { commonTlsContext: { combinedValidationContext: {} } } };
        expect(onlyChain(httpChain(5000, {}, optional)).mtls).toBe(false);
        expect(onlyChain(httpChain(5000, {}, unset)).mtls).toBe(false);
    });
    test("a required client certificate that nothing validates: not mTLS", () => {
        const unvalidated = { ...mtlsSocket, typedConfig: { requireClientCertificate: true, commonTlsContext: {} } };
        expect(onlyChain(httpChain(5000, {}, unvalidated)).mtls).toBe(false);
    });
    test("validation by an SDS validation context counts as validated", () => {
        const sds = {
            ...mtlsSocket,
            typedConfig: { requireClientCertificate: true, commonTlsContext: { validationContextSdsSecretConfig: { name: "ROOTCA" } } },
        };
        expect(onlyChain(httpChain(5000, {}, sds)).mtls).toBe(true);
    });
    test("the same TLS context under another transport socket is not TLS", () => {
        expect(onlyChain(httpChain(5000, {}, { ...mtlsSocket, name: "envoy.transport_sockets.raw_buffer" })).mtls).toBe(false);
    });
    test("a TCP chain has no HTTP filters; an unknown listener has no chains", () => {
        expect(onlyChain(tcpChain(6000, {})).httpFilters).toEqual([]);
        expect(onlyChain(tcpChain(6000, {})).networkFilters).toContain("envoy.filters.network.rbac");
        expect(filterChains(inbound(httpChain(5000, {})), "virtualOutbound")).toEqual([]);
        expect(filterChains(dumpOf({}), "virtualInbound")).toEqual([]);
    });
});

describe("rbacPolicies / networkRbacPolicies: the ALLOW policies of a chain", () => {
    const policies = {
        "ns[istio-system]-policy[allow-nothing]-rule[0]": allowNothing,
        "ns[sample]-policy[helloworld]-rule[0]": helloworldPolicy,
    };
    test("the HTTP RBAC filter's policies, by name", () => {
        expect(rbacPolicies(onlyChain(httpChain(5000, policies)))).toEqual(policies);
    });
    test("the network RBAC filter's policies of a TCP chain", () => {
        expect(networkRbacPolicies(onlyChain(tcpChain(6000, policies)))).toEqual(policies);
    });
    test("each reader sees only its own filter", () => {
        expect(networkRbacPolicies(onlyChain(httpChain(5000, policies)))).toBeUndefined();
        expect(rbacPolicies(onlyChain(tcpChain(6000, policies)))).toBeUndefined();
    });
    test("no RBAC filter: undefined, not an empty policy set", () => {
        const chain = httpChain(5000, {});
        chain.filters[1].typedConfig.httpFilters = [{ name: "envoy.filters.http.router" }];
        expect(rbacPolicies(onlyChain(chain))).toBeUndefined();
    });
    test("explicit ALLOW is read; DENY rules are not ALLOW policies", () => {
        const chain = (action: string) => {
            const c = httpChain(5000, policies);
            c.filters[1].typedConfig.httpFilters[1].typedConfig.rules.action = action;
            return onlyChain(c);
        };
        expect(rbacPolicies(chain("ALLOW"))).toEqual(policies);
        expect(rbacPolicies(chain("DENY"))).toBeUndefined();
    });
    test("a policy without principals or permissions reads as empty lists", () => {
        expect(rbacPolicies(onlyChain(httpChain(5000, { p: {} })))).toEqual({ p: { principals: [], permissions: [] } });
    });
});

describe("confinedPorts: the destination ports a permission is confined to", () => {
    test("a port, and Istio's and/or nesting of it", () => {
        expect(confinedPorts({ destinationPort: 5000 })).toEqual([5000]);
        expect(confinedPorts(onPort(5000))).toEqual([5000]);
    });
    test("or: the union, but only when every branch is confined", () => {
        expect(confinedPorts({ orRules: { rules: [{ destinationPort: 80 }, { destinationPort: 443 }] } })).toEqual([80, 443]);
        expect(confinedPorts({ orRules: { rules: [{ destinationPort: 80 }, { urlPath: { path: { exact: "/" } } }] } })).toBeUndefined();
    });
    test("and: the intersection of the confined parts (other conditions only narrow it)", () => {
        expect(confinedPorts({ andRules: { rules: [{ destinationPort: 80 }, { header: { name: ":method" } }] } })).toEqual([80]);
        expect(
            confinedPorts({
                andRules: { rules: [onPort(80), { orRules: { rules: [{ destinationPort: 80 }, { destinationPort: 443 }] } }] },
            }),
        ).toEqual([80]);
        expect(confinedPorts({ andRules: { rules: [{ destinationPort: 80 }, { destinationPort: 443 }] } })).toEqual([]);
        expect(confinedPorts({ andRules: { rules: [{ header: { name: ":method" } }] } })).toBeUndefined();
    });
    test("any, notRule, nothing: not confined", () => {
        expect(confinedPorts({ any: true })).toBeUndefined();
        expect(confinedPorts({ notRule: { destinationPort: 5000 } })).toBeUndefined();
        expect(confinedPorts(undefined)).toBeUndefined();
    });
});

describe("effectivePolicies: the policies that can match on a listener", () => {
    const policies = { "allow-nothing": allowNothing, helloworld: helloworldPolicy };
    test("Istio's allow-nothing is dropped, a real ALLOW kept", () => {
        expect(Object.keys(effectivePolicies(policies))).toEqual(["helloworld"]);
        expect(Object.keys(effectivePolicies(policies, 5000))).toEqual(["helloworld"]);
    });
    test("a notId: any beside another principal still admits that one: kept", () => {
        const p = { mixed: { ...allowNothing, principals: [{ notId: { any: true } }, exactly(curl)] } };
        expect(Object.keys(effectivePolicies(p))).toEqual(["mixed"]);
    });
    test("a policy confined to other ports is dropped on this listener only", () => {
        expect(Object.keys(effectivePolicies(policies, 5001))).toEqual([]);
        expect(Object.keys(effectivePolicies({ helloworld: helloworldPolicy }))).toEqual(["helloworld"]);
    });
    test("one unconfined permission keeps a policy on any port", () => {
        const p = { wide: { ...helloworldPolicy, permissions: [onPort(5000), { any: true }] } };
        expect(Object.keys(effectivePolicies(p, 5001))).toEqual(["wide"]);
    });
    test("a policy without permissions is not confined: kept", () => {
        expect(Object.keys(effectivePolicies({ bare: { principals: [exactly(curl)], permissions: [] } }, 5001))).toEqual(["bare"]);
    });
});

describe("principalNames: the exact mTLS identities a principal admits", () => {
    test("Istio's andIds/orIds nesting of one identity", () => {
        expect(principalNames(helloworldPolicy.principals[0])).toEqual([curl]);
    });
    test("an extra identity in the or: both", () => {
        const two = { andIds: { ids: [{ orIds: { ids: [exactly(curl), exactly("spiffe://cluster.local/ns/sample/sa/sleep")] } }] } };
        expect(principalNames(two)).toEqual([curl, "spiffe://cluster.local/ns/sample/sa/sleep"]);
    });
    test("names under notId, non-exact matchers and non-objects admit no named identity", () => {
        expect(principalNames({ notId: exactly(curl) })).toEqual([]);
        expect(principalNames({ authenticated: { principalName: { prefix: "spiffe://cluster.local/" } } })).toEqual([]);
        expect(principalNames(null)).toEqual([]);
        expect(principalNames("spiffe://x")).toEqual([]);
    });
});

describe("admitsAnyone: any: true outside a notId", () => {
    test("any, and-of-any, or-with-any: anyone", () => {
        expect(admitsAnyone({ any: true })).toBe(true);
        expect(admitsAnyone({ andIds: { ids: [{ any: true }] } })).toBe(true);
        expect(admitsAnyone({ orIds: { ids: [exactly(curl), { any: true }] } })).toBe(true);
    });
    test("any and-ed with an identity, notId any, an identity: not anyone", () => {
        expect(admitsAnyone({ andIds: { ids: [{ any: true }, exactly(curl)] } })).toBe(false);
        expect(admitsAnyone({ notId: { any: true } })).toBe(false);
        expect(admitsAnyone(helloworldPolicy.principals[0])).toBe(false);
        expect(admitsAnyone(undefined)).toBe(false);
    });

    test("a negation admits everyone but the one it names", () => {
        expect(admitsAnyone({ notId: exactly(curl) })).toBe(true);
        expect(admitsAnyone({ orIds: { ids: [exactly(curl), { notId: exactly(curl) }] } })).toBe(true);
    });
});

const jwtClaim = (claim: string, stringMatch: Json, filter = "envoy.filters.http.jwt_authn"): Json => ({
    metadata: { filter, path: [{ key: "payload" }, { key: claim }], value: { stringMatch } },
});
const requestPrincipal: Json = {
    andIds: { ids: [{ andIds: { ids: [jwtClaim("iss", { exact: issuer }), jwtClaim("sub", { safeRegex: { regex: ".+" } })] } }] },
};

describe("requiredJwtClaims: claims a principal demands of the JWT payload", () => {
    test("Istio's request principal: iss exact and sub non-empty", () => {
        expect(requiredJwtClaims(requestPrincipal)).toEqual({ iss: { exact: issuer }, sub: { safeRegex: { regex: ".+" } } });
    });
    test("claims that are only alternatives (or) are not required", () => {
        expect(requiredJwtClaims({ orIds: { ids: [jwtClaim("iss", { exact: issuer }), { any: true }] } })).toEqual({});
    });
    test("another filter's metadata, or a path outside the payload, is no JWT claim", () => {
        expect(requiredJwtClaims(jwtClaim("iss", { exact: issuer }, "istio_authn"))).toEqual({});
        const header = { metadata: { filter: "envoy.filters.http.jwt_authn", path: [{ key: "header" }, { key: "kid" }], value: {} } };
        expect(requiredJwtClaims(header)).toEqual({});
        expect(requiredJwtClaims({ any: true })).toEqual({});
    });
});

describe("jwtProviders: the jwt_authn providers of a chain", () => {
    const withJwt = (providers: Record<string, Json>) => {
        const c = httpChain(443, {});
        c.filters[1].typedConfig.httpFilters.unshift({ name: "envoy.filters.http.jwt_authn", typedConfig: { providers } });
        return onlyChain(c);
    };
    test("issuer, audiences, inline or remote JWKS, and where the token is read", () => {
        const providers = jwtProviders(
            withJwt({
                "origins-0": {
                    issuer,
                    audiences: ["zta-ingress"],
                    localJwks: { inlineString: '{"keys":[]}' },
                    fromHeaders: [{ name: "Authorization", valuePrefix: "Bearer " }],
                },
                "origins-1": {
                    issuer: "https://other",
                    remoteJwks: { httpUri: { uri: "https://other/jwks" } },
                    fromParams: ["access_token"],
                    fromCookies: ["session"],
                },
            }),
        );
        expect(providers).toEqual([
            {
                issuer,
                audiences: ["zta-ingress"],
                inlineJwks: '{"keys":[]}',
                remoteJwksUri: undefined,
                fromHeaders: [{ name: "Authorization", prefix: "Bearer " }],
                fromParams: [],
                fromCookies: [],
            },
            {
                issuer: "https://other",
                audiences: [],
                inlineJwks: undefined,
                remoteJwksUri: "https://other/jwks",
                fromHeaders: [],
                fromParams: ["access_token"],
                fromCookies: ["session"],
            },
        ]);
    });
    test("no jwt_authn filter: no providers", () => {
        expect(jwtProviders(onlyChain(httpChain(443, {})))).toEqual([]);
        expect(jwtProviders(withJwt({}))).toEqual([]);
    });
});

describe("virtualHosts: a route configuration's hosts and whether they only redirect to TLS", () => {
    const routes = [
        {
            name: "http.80",
            virtualHosts: [
                { name: "redirect:80", domains: ["*"], requireTls: "ALL" },
                { name: "external:80", domains: ["a.example"], requireTls: "EXTERNAL_ONLY" },
                { name: "plain:80", domains: ["b.example"] },
            ],
        },
    ];
    test("requireTls ALL only counts as redirect-only", () => {
        expect(virtualHosts(dumpOf({ routes }), "http.80")).toEqual([
            { name: "redirect:80", domains: ["*"], requireTlsAll: true },
            { name: "external:80", domains: ["a.example"], requireTlsAll: false },
            { name: "plain:80", domains: ["b.example"], requireTlsAll: false },
        ]);
    });
    test("an unknown route configuration has no hosts", () => {
        expect(virtualHosts(dumpOf({ routes }), "http.8080")).toEqual([]);
        expect(virtualHosts(dumpOf({}), "http.80")).toEqual([]);
    });
});
