/**
 * Zero-trust policy renderers (components/policy): exact objects, input validation, and every Istio object checked
 * against the openAPIV3Schema of its CRD (version v1) at each pinned Istio release (tests/fixtures/schemas, provenance
 * in its README). The CRD schemas forbid no unknown field (the API server prunes them silently), so every field we
 * set must also be declared. CEL rules (x-kubernetes-validations) are not evaluated here; the renderers enforce the
 * ones that concern them (tested below with the renderers' own errors).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { istiodValues } from "../../components/mesh/values";
import {
    allowFrom,
    AllowFromArgs,
    allowNothing,
    peerAuthenticationStrict,
    principal,
    serviceEntry,
    ServiceEntryArgs,
} from "../../components/policy/mesh";
import {
    allowCrossNetworkEgress,
    allowEastWestGatewayIngress,
    allowFromGateway,
    allowGatewayEgress,
    allowIngressGatewayIngress,
    allowIstiodEgress,
    allowIstiodIngress,
    allowMetricsScrape,
} from "../../components/policy/network";
import { maxWorkloadCertTtlHours, meshConfigValues, MeshConfigInput } from "../../components/mesh/values";
import {
    allowApiServerEgress,
    allowAppTraffic,
    allowDnsEgress,
    allowKeycloakEgress,
    allowRegistryEgress,
    defaultDeny,
    NetworkPolicy,
} from "../../components/core/networkPolicy";
import { istiodPodLabels } from "../../components/core/istio";
import { privilegedNamespaces, PsaLevel, psaLabels } from "../../components/core/podSecurity";
import { versionProfiles } from "../../components/core/versions";
import { announceNoSharedSchemas, describeProvenance, sharedPresent, sharedSchemas } from "../harness/fixtures";
import { check, crdDoc, crdFile, isObject, undeclaredPaths, v1Of, validator } from "../harness/crdSchemas";

const shared = sharedSchemas;
const istioVersions = [...new Set(Object.values(versionProfiles).map((p) => p.istio))];
const policyCrds = [
    "peerauthentications.security.istio.io",
    "authorizationpolicies.security.istio.io",
    "requestauthentications.security.istio.io",
    "serviceentries.networking.istio.io",
    "virtualservices.networking.istio.io",
] as const;

// CRD schema helpers: tests/harness/crdSchemas.ts.

const specPaths = (version: string, crd: string, object: { spec: unknown }): string[] =>
    undeclaredPaths(v1Of(version, crd).schema.openAPIV3Schema.properties.spec, object.spec);

/** Every key anywhere in a value. */
function keysOf(value: unknown): string[] {
    if (Array.isArray(value)) {
        return value.flatMap(keysOf);
    }
    return isObject(value) ? Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]) : [];
}

// --- fixtures ---

const td = "zta.example";
const helloArgs: AllowFromArgs = {
    name: "helloworld",
    namespace: "sample",
    selector: { app: "helloworld" },
    principals: [principal(td, "sample", "curl")],
    ports: ["5000"],
    methods: ["GET"],
    paths: ["/hello"],
};
const keycloakArgs: ServiceEntryArgs = {
    name: "keycloak",
    namespace: "istio-system",
    hosts: ["keycloak.zta.lab"],
    addresses: ["10.5.0.4"],
    ports: [{ number: 8443, name: "https", protocol: "TLS" }],
    resolution: "STATIC",
    endpoints: ["10.5.0.4"],
    exportTo: ["."],
};
const dnsArgs: ServiceEntryArgs = {
    name: "keycloak-dns",
    namespace: "sample",
    hosts: ["sso.example.org"],
    ports: [{ number: 443, name: "https", protocol: "TLS" }],
    resolution: "DNS",
};

describe("principal", () => {
    test("is <trust-domain>/ns/<ns>/sa/<sa>, never with spiffe://", () => {
        expect(principal("cluster.local", "sample", "curl")).toBe("cluster.local/ns/sample/sa/curl");
        expect(principal(td, "istio-system", "istio-ingressgateway")).toBe("zta.example/ns/istio-system/sa/istio-ingressgateway");
        expect(principal(td, "a", "b")).not.toContain("spiffe://");
    });

    test.each([
        ["a spiffe:// trust domain", ["spiffe://cluster.local", "sample", "curl"], /^trustDomain: must not start with "spiffe:\/\/"/],
        ["an upper-case trust domain", ["Cluster.local", "sample", "curl"], /^trustDomain: /],
        ["a trust domain with a slash", ["cluster.local/ns", "sample", "curl"], /^trustDomain: /],
        ["an empty trust domain", ["", "sample", "curl"], /^trustDomain: /],
        ["a namespace with a slash", ["cluster.local", "sample/x", "curl"], /^namespace: /],
        ["a wildcard namespace", ["cluster.local", "*", "curl"], /^namespace: /],
        ["a wildcard service account", ["cluster.local", "sample", "*"], /^serviceAccount: /],
        ["an empty service account", ["cluster.local", "sample", ""], /^serviceAccount: /],
    ] as [string, [string, string, string], RegExp][])("rejects %s, naming the field", (_, args, message) => {
        expect(() => principal(...args)).toThrow(message);
    });
});

describe("mesh policy objects (exact)", () => {
    test("PeerAuthentication default in the root namespace: STRICT", () => {
        expect(peerAuthenticationStrict()).toEqual({
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "default", namespace: "istio-system" },
            spec: { mtls: { mode: "STRICT" } },
        });
    });

    test("allow-nothing: empty spec, mesh-wide in istio-system by default", () => {
        const expected = {
            apiVersion: "security.istio.io/v1",
            kind: "AuthorizationPolicy",
            metadata: { name: "allow-nothing", namespace: "istio-system" },
            spec: {},
        };
        expect(allowNothing()).toEqual(expected);
        expect(allowNothing("istio-system")).toEqual(expected);
        expect(allowNothing("sample").metadata.namespace).toBe("sample");
        expect(() => allowNothing("Sample")).toThrow(/^namespace: /);
    });

    test("allowFrom: ALLOW with the principals and the operation", () => {
        expect(allowFrom(helloArgs)).toEqual({
            apiVersion: "security.istio.io/v1",
            kind: "AuthorizationPolicy",
            metadata: { name: "helloworld", namespace: "sample" },
            spec: {
                selector: { matchLabels: { app: "helloworld" } },
                action: "ALLOW",
                rules: [
                    {
                        from: [{ source: { principals: ["zta.example/ns/sample/sa/curl"] } }],
                        to: [{ operation: { ports: ["5000"], methods: ["GET"], paths: ["/hello"] } }],
                    },
                ],
            },
        });
        const sourceOnly: AllowFromArgs = {
            name: "helloworld",
            namespace: "sample",
            selector: { app: "helloworld" },
            principals: helloArgs.principals,
        };
        expect(allowFrom(sourceOnly).spec.rules).toEqual([{ from: [{ source: { principals: ["zta.example/ns/sample/sa/curl"] } }] }]);
    });

    test("allowFrom renders positive matches only (no not* field can appear)", () => {
        expect(keysOf(allowFrom(helloArgs)).filter((k) => /^not/.test(k))).toEqual([]);
    });

    test.each([
        ["an empty selector", { selector: {} }, /^selector: expected at least one label/],
        ["no principals", { principals: [] }, /^principals: /],
        ["a spiffe:// principal", { principals: ["spiffe://zta.example/ns/sample/sa/curl"] }, /^principals\[0\]: must not carry a scheme/],
        ["a wildcard principal", { principals: ["zta.example/ns/sample/sa/*"] }, /^principals\[0\]: /],
        ["a principal without /sa/", { principals: ["zta.example/ns/sample"] }, /^principals\[0\]: /],
        ["a duplicate principal", { principals: ["a.b/ns/x/sa/y", "a.b/ns/x/sa/y"] }, /^principals\[1\]: duplicate/],
        ["a numeric port", { ports: [5000 as unknown as string] }, /^ports\[0\]: /],
        ["port 0", { ports: ["0"] }, /^ports\[0\]: /],
        ["port 70000", { ports: ["70000"] }, /^ports\[0\]: /],
        ["a lower-case method", { methods: ["get"] }, /^methods\[0\]: /],
        ["a relative path", { paths: ["hello"] }, /^paths\[0\]: /],
        ["a bare wildcard path", { paths: ["*"] }, /^paths\[0\]: /],
        ["an upper-case name", { name: "Hello" }, /^name: /],
    ] as [string, Partial<AllowFromArgs>, RegExp][])("allowFrom rejects %s, naming the field", (_, change, message) => {
        expect(() => allowFrom({ ...helloArgs, ...change })).toThrow(message);
    });
});

describe("istiod values fragment", () => {
    const input: MeshConfigInput = { outboundTrafficPolicy: "REGISTRY_ONLY", workloadCertTtlHours: 12 };

    test("REGISTRY_ONLY and the TTL on all three knobs", () => {
        expect(meshConfigValues(input)).toEqual({
            meshConfig: { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" }, defaultConfig: { proxyMetadata: { SECRET_TTL: "12h" } } },
            pilot: { env: { DEFAULT_WORKLOAD_CERT_TTL: "12h", MAX_WORKLOAD_CERT_TTL: "12h" } },
        });
        expect(meshConfigValues({ ...input, workloadCertTtlHours: 24 }).pilot.env.MAX_WORKLOAD_CERT_TTL).toBe("24h");
        expect(maxWorkloadCertTtlHours).toBe(24);
    });

    test("merged into istiodValues, it keeps the trust domain and the restart annotation (top-level keys only)", () => {
        const merged = istiodValues({
            meshId: "m",
            cluster: "c",
            network: "n",
            trustDomain: td,
            meshPolicy: meshConfigValues(input),
        }) as Record<string, any>;
        expect(Object.keys(merged).sort()).toEqual(["global", "meshConfig", "pilot"]);
        expect(merged.meshConfig.trustDomain).toBe(td);
        expect(merged.meshConfig.outboundTrafficPolicy).toEqual({ mode: "REGISTRY_ONLY" });
        // no restart-on-rotation annotation: istiod reloads a new cacerts itself
        expect(Object.keys(merged.pilot).sort()).toEqual(["cni", "env"]);
        expect(merged.meshConfig.defaultConfig.proxyMetadata.SECRET_TTL).toBe(`${input.workloadCertTtlHours}h`);
    });

    test.each([
        ["a TTL over 24 h", { workloadCertTtlHours: 25 }, /^workloadCertTtlHours: expected whole hours from 1 to 24, got 25/],
        ["90 days", { workloadCertTtlHours: 2160 }, /^workloadCertTtlHours: /],
        ["zero", { workloadCertTtlHours: 0 }, /^workloadCertTtlHours: /],
        ["fractional hours", { workloadCertTtlHours: 1.5 }, /^workloadCertTtlHours: /],
        ["a string", { workloadCertTtlHours: "12" as unknown as number }, /^workloadCertTtlHours: /],
        ["ALLOW_ANY", { outboundTrafficPolicy: "ALLOW_ANY" as "REGISTRY_ONLY" }, /^outboundTrafficPolicy: /],
    ] as [string, Partial<MeshConfigInput>, RegExp][])("rejects %s", (_, change, message) => {
        expect(() => meshConfigValues({ ...input, ...change })).toThrow(message);
    });
});

describe("ServiceEntry", () => {
    test("Keycloak outside the mesh: STATIC, exact", () => {
        expect(serviceEntry(keycloakArgs)).toEqual({
            apiVersion: "networking.istio.io/v1",
            kind: "ServiceEntry",
            metadata: { name: "keycloak", namespace: "istio-system" },
            spec: {
                hosts: ["keycloak.zta.lab"],
                addresses: ["10.5.0.4"],
                ports: [{ number: 8443, name: "https", protocol: "TLS" }],
                location: "MESH_EXTERNAL",
                resolution: "STATIC",
                endpoints: [{ address: "10.5.0.4" }],
                exportTo: ["."],
            },
        });
        expect(serviceEntry(dnsArgs).spec).toEqual({
            hosts: ["sso.example.org"],
            ports: [{ number: 443, name: "https", protocol: "TLS" }],
            location: "MESH_EXTERNAL",
            resolution: "DNS",
        });
    });

    test.each([
        ["a bare wildcard host", { hosts: ["*"] }, /^hosts\[0\]: /],
        ["a wildcard host", { hosts: ["*.zta.lab"] }, /^hosts\[0\]: /],
        ["no hosts", { hosts: [] }, /^hosts: /],
        [
            "a CIDR with DNS resolution",
            { resolution: "DNS", addresses: ["10.5.0.0/24"], endpoints: undefined },
            /^addresses: CIDRs are allowed only/,
        ],
        ["a CIDR with host bits", { addresses: ["10.5.0.4/24"] }, /^addresses\[0\]: .*host bits/],
        ["STATIC without endpoints", { endpoints: undefined }, /^endpoints: resolution STATIC needs/],
        ["NONE with endpoints", { resolution: "NONE" }, /^endpoints: resolution NONE cannot/],
        ["a host name as endpoint", { endpoints: ["keycloak.zta.lab"] }, /^endpoints\[0\]: /],
        [
            "a duplicate port",
            { ports: [keycloakArgs.ports[0], { number: 8443, name: "https2", protocol: "TLS" }] },
            /^ports\[1\]: duplicate/,
        ],
        ["an unknown protocol", { ports: [{ number: 8443, name: "https", protocol: "QUIC" as "TLS" }] }, /^ports\[0\]\.protocol: /],
        ["port 0", { ports: [{ number: 0, name: "https", protocol: "TLS" }] }, /^ports\[0\]\.number: /],
        ["an unknown resolution", { resolution: "DNS_ROUND_ROBIN" as "DNS" }, /^resolution: /],
    ] as [string, Partial<ServiceEntryArgs>, RegExp][])("rejects %s, naming the field", (_, change, message) => {
        expect(() => serviceEntry({ ...keycloakArgs, ...change })).toThrow(message);
    });
});

describe.each(istioVersions)("Istio %s CRD schemas (v1)", (version) => {
    test.each(policyCrds)("%s serves v1 with a schema", (crd) => {
        expect(v1Of(version, crd)).toMatchObject({ name: "v1", served: true });
        expect(v1Of(version, crd).schema.openAPIV3Schema.properties.spec).toBeDefined();
    });

    const objects: [string, string, { spec: unknown }][] = [
        ["PeerAuthentication STRICT", "peerauthentications.security.istio.io", peerAuthenticationStrict()],
        ["allow-nothing", "authorizationpolicies.security.istio.io", allowNothing()],
        ["allowFrom with operation", "authorizationpolicies.security.istio.io", allowFrom(helloArgs)],
        ["ServiceEntry STATIC", "serviceentries.networking.istio.io", serviceEntry(keycloakArgs)],
        ["ServiceEntry DNS", "serviceentries.networking.istio.io", serviceEntry(dnsArgs)],
    ];
    test.each(objects)("%s satisfies the schema and sets no undeclared field", (_, crd, object) => {
        expect(check(validator(version, crd), object)).toEqual([true, null]);
        expect(specPaths(version, crd, object)).toEqual([]);
    });

    test("seeded invalid objects are rejected (the check can fail)", () => {
        const pa = validator(version, "peerauthentications.security.istio.io");
        expect(check(pa, { ...peerAuthenticationStrict(), spec: { mtls: { mode: "STRICTER" } } })[0]).toBe(false);
        expect(pa.errors).toContainEqual(expect.objectContaining({ instancePath: "/spec/mtls/mode", keyword: "enum" }));

        const ap = validator(version, "authorizationpolicies.security.istio.io");
        const good = allowFrom(helloArgs);
        expect(check(ap, { ...good, spec: { ...good.spec, action: "PERMIT" } })[0]).toBe(false);
        expect(ap.errors).toContainEqual(expect.objectContaining({ instancePath: "/spec/action", keyword: "enum" }));
        expect(check(ap, { ...good, spec: { ...good.spec, rules: { from: [] } } })[0]).toBe(false);
        expect(ap.errors).toContainEqual(expect.objectContaining({ instancePath: "/spec/rules", keyword: "type" }));
        expect(check(ap, { ...good, spec: { ...good.spec, rules: [{ to: [{ operation: { ports: [5000] } }] }] } })[0]).toBe(false);

        const se = validator(version, "serviceentries.networking.istio.io");
        const entry = serviceEntry(keycloakArgs);
        expect(check(se, { ...entry, spec: { ...entry.spec, ports: [{ number: "8443", name: "https", protocol: "TLS" }] } })[0]).toBe(
            false,
        );
        expect(se.errors).toContainEqual(expect.objectContaining({ instancePath: "/spec/ports/0/number", keyword: "type" }));
        expect(check(se, { ...entry, spec: { ...entry.spec, resolution: "MAGIC" } })[0]).toBe(false);
        expect(check(se, { ...entry, spec: { ...entry.spec, hosts: undefined } })[0]).toBe(false);
        expect(se.errors).toContainEqual(expect.objectContaining({ keyword: "required", params: { missingProperty: "hosts" } }));
    });

    test("a misspelt field passes the schema (it would be pruned) but not the undeclared-field check", () => {
        const typo = { ...peerAuthenticationStrict(), spec: { mtls: { mod: "STRICT" } } };
        expect(check(validator(version, "peerauthentications.security.istio.io"), typo)[0]).toBe(true);
        expect(specPaths(version, "peerauthentications.security.istio.io", typo)).toEqual(["mtls.mod"]);
        const ruleTypo = { spec: { rules: [{ from: [{ source: { principal: ["x"] } }] }] } };
        expect(specPaths(version, "authorizationpolicies.security.istio.io", ruleTypo)).toEqual(["rules.0.from.0.source.principal"]);
    });
});

// --- network tier ---

const ports = (...p: number[]) => p.map((port) => ({ protocol: "TCP", port }));
const ns = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });

describe("NetworkPolicies (exact)", () => {
    test("default deny: every pod, ingress and egress, no rules", () => {
        expect(defaultDeny("sample")).toEqual({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "default-deny", namespace: "sample" },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] },
        });
    });

    test("DNS egress to kube-dns in kube-system, UDP and TCP 53", () => {
        expect(allowDnsEgress("sample").spec).toEqual({
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [{ ...ns("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ],
                },
            ],
        });
    });

    test("sidecars to istiod 15012; istiod takes 15012 from all pods and 15017 from the API server's addresses only", () => {
        expect(allowIstiodEgress("sample").spec.egress).toEqual([
            { to: [{ ...ns("istio-system"), podSelector: { matchLabels: { app: "istiod" } } }], ports: ports(15012) },
        ]);
        expect(allowIstiodIngress({ apiServerSources: ["10.5.0.10", "10.5.0.0/24"] })).toEqual({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "allow-istiod-ingress", namespace: "istio-system" },
            spec: {
                podSelector: { matchLabels: { app: "istiod" } },
                policyTypes: ["Ingress"],
                ingress: [
                    { from: [{ namespaceSelector: {} }], ports: ports(15012) },
                    { from: [{ ipBlock: { cidr: "10.5.0.10/32" } }, { ipBlock: { cidr: "10.5.0.0/24" } }], ports: ports(15017) },
                ],
            },
        });
    });

    test("gateways: east-west 15443+15021 and ingress 443/80/15021 from anywhere; their egress to the app pods", () => {
        expect(allowEastWestGatewayIngress().spec).toEqual({
            podSelector: { matchLabels: { istio: "eastwestgateway", app: "istio-eastwestgateway" } },
            policyTypes: ["Ingress"],
            ingress: [{ ports: ports(15443, 15021) }],
        });
        expect(allowIngressGatewayIngress("istio-ingress").metadata.namespace).toBe("istio-ingress");
        expect(allowIngressGatewayIngress("istio-ingress").spec).toEqual({
            podSelector: { matchLabels: { istio: "ingressgateway", app: "istio-ingressgateway" } },
            policyTypes: ["Ingress"],
            ingress: [{ ports: ports(443, 80, 15021) }],
        });
        expect(
            allowGatewayEgress("ingress", [{ namespace: "sample", ports: [8080], podLabels: { app: "httpbin" } }], "istio-ingress"),
        ).toEqual({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            // The ingress gateway runs in its own namespace, not istio-system.
            metadata: { name: "allow-ingress-gateway-egress", namespace: "istio-ingress" },
            spec: {
                podSelector: { matchLabels: { istio: "ingressgateway", app: "istio-ingressgateway" } },
                policyTypes: ["Egress"],
                egress: [{ to: [{ ...ns("sample"), podSelector: { matchLabels: { app: "httpbin" } } }], ports: ports(8080) }],
            },
        });
        expect(
            allowFromGateway({ namespace: "sample", gateway: "ingress", gatewayNamespace: "istio-ingress", ports: [8080] }).spec.ingress,
        ).toEqual([
            {
                from: [{ ...ns("istio-ingress"), podSelector: { matchLabels: { istio: "ingressgateway", app: "istio-ingressgateway" } } }],
                ports: ports(8080),
            },
        ]);
        expect(
            allowFromGateway({ namespace: "sample", gateway: "eastWest", gatewayNamespace: "istio-system", ports: [5000] }).spec,
        ).toEqual({
            podSelector: {},
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        { ...ns("istio-system"), podSelector: { matchLabels: { istio: "eastwestgateway", app: "istio-eastwestgateway" } } },
                    ],
                    ports: ports(5000),
                },
            ],
        });
    });

    test("app traffic within the namespace, cross-network egress, metrics from the monitoring namespace", () => {
        expect(allowAppTraffic("sample", [5000, 8080]).spec).toEqual({
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [{ podSelector: {} }], ports: ports(5000, 8080) }],
            egress: [{ to: [{ podSelector: {} }], ports: ports(5000, 8080) }],
        });
        expect(allowCrossNetworkEgress("sample", ["192.0.2.10", "198.51.100.7"]).spec.egress).toEqual([
            { to: [{ ipBlock: { cidr: "192.0.2.10/32" } }, { ipBlock: { cidr: "198.51.100.7/32" } }], ports: ports(15443) },
        ]);
        expect(allowMetricsScrape("sample", "monitoring").spec.ingress).toEqual([{ from: [ns("monitoring")], ports: ports(15020) }]);
        expect(allowMetricsScrape("istio-system", "monitoring").spec.ingress).toEqual([
            { from: [ns("monitoring")], ports: ports(15020, 15014) },
        ]);
    });

    test("egress to API servers, Keycloak and the registry: ipBlock + port, per workload", () => {
        expect(
            allowApiServerEgress({
                namespace: "istio-system",
                podLabels: istiodPodLabels,
                apiServers: [
                    { address: "10.5.0.10", port: 6443 },
                    { address: "203.0.113.5", port: 443 },
                ],
            }),
        ).toEqual({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "allow-apiserver-egress", namespace: "istio-system" },
            spec: {
                podSelector: { matchLabels: { app: "istiod" } },
                policyTypes: ["Egress"],
                egress: [
                    { to: [{ ipBlock: { cidr: "10.5.0.10/32" } }], ports: ports(6443) },
                    { to: [{ ipBlock: { cidr: "203.0.113.5/32" } }], ports: ports(443) },
                ],
            },
        });
        expect(
            allowKeycloakEgress({ namespace: "istio-system", podLabels: istiodPodLabels, keycloak: { address: "10.5.0.4", port: 8443 } })
                .spec.egress,
        ).toEqual([{ to: [{ ipBlock: { cidr: "10.5.0.4/32" } }], ports: ports(8443) }]);
        expect(
            allowRegistryEgress({ namespace: "zta-verify", podLabels: { app: "verify" }, registry: { address: "10.5.0.2", port: 5000 } })
                .metadata,
        ).toEqual({
            name: "allow-registry-egress",
            namespace: "zta-verify",
        });
    });

    test.each([
        [
            "a CIDR with host bits",
            () => allowIstiodIngress({ apiServerSources: ["10.5.0.10/24"] }),
            /^apiServerSources\[0\]: .*host bits.*"10\.5\.0\.0\/24"/,
        ],
        ["a host name", () => allowIstiodIngress({ apiServerSources: ["api.zta.lab"] }), /^apiServerSources\[0\]: /],
        ["a short IPv4", () => allowCrossNetworkEgress("sample", ["10.5"]), /^remoteGatewayAddresses\[0\]: /],
        ["no remote gateways", () => allowCrossNetworkEgress("sample", []), /^remoteGatewayAddresses: /],
        ["no app ports", () => allowAppTraffic("sample", []), /^ports: /],
        ["app port 0", () => allowAppTraffic("sample", [0]), /^ports\[0\]: /],
        ["a bad namespace", () => defaultDeny("Sample"), /^namespace: /],
        [
            "egress without pod labels",
            () => allowKeycloakEgress({ namespace: "x", podLabels: {}, keycloak: { address: "10.5.0.4", port: 8443 } }),
            /^podLabels: /,
        ],
        [
            "an API server port 0",
            () => allowApiServerEgress({ namespace: "x", podLabels: { a: "b" }, apiServers: [{ address: "10.5.0.10", port: 0 }] }),
            /^apiServers\[0\]\.port: /,
        ],
        ["a bad monitoring namespace", () => allowMetricsScrape("sample", "Mon"), /^monitoringNamespace: /],
        [
            "a gateway destination without ports",
            () => allowGatewayEgress("eastWest", [{ namespace: "sample", ports: [] }], "istio-system"),
            /^destinations\[0\]\.ports: /,
        ],
    ] as [string, () => NetworkPolicy, RegExp][])("rejects %s, naming the field", (_, render, message) => {
        expect(render).toThrow(message);
    });

    test("without known API server sources the webhook port is open to any source (the caller differs per platform)", () => {
        expect(allowIstiodIngress().spec.ingress).toEqual([
            { from: [{ namespaceSelector: {} }], ports: ports(15012) },
            { ports: ports(15017) },
        ]);
        expect(allowIstiodIngress({ apiServerSources: [] }).spec.ingress?.[1]).toEqual({ ports: ports(15017) });
    });

    test("IPv6 sources become /128; policyTypes always match the rules present", () => {
        expect(allowIstiodIngress({ apiServerSources: ["fd00::10"] }).spec.ingress?.[1].from).toEqual([
            { ipBlock: { cidr: "fd00::10/128" } },
        ]);
        const all = [
            defaultDeny("a"),
            allowDnsEgress("a"),
            allowIstiodEgress("a"),
            allowIstiodIngress({ apiServerSources: ["10.0.0.1"] }),
            allowEastWestGatewayIngress(),
            allowIngressGatewayIngress("a"),
            allowAppTraffic("a", [1]),
            allowMetricsScrape("a", "m"),
        ];
        for (const p of all) {
            expect(p.spec.policyTypes).toEqual([...(p.spec.ingress ? ["Ingress"] : []), ...(p.spec.egress ? ["Egress"] : [])]);
        }
    });
});

describe("Pod Security Admission labels", () => {
    test.each(["restricted", "baseline", "privileged"] as PsaLevel[])("%s: enforce, audit and warn, version latest", (level) => {
        expect(psaLabels(level)).toEqual({
            "pod-security.kubernetes.io/enforce": level,
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/audit": level,
            "pod-security.kubernetes.io/audit-version": "latest",
            "pod-security.kubernetes.io/warn": level,
            "pod-security.kubernetes.io/warn-version": "latest",
        });
    });

    test("rejects an unknown level; the privileged allow-list is short and says why", () => {
        expect(() => psaLabels("open" as PsaLevel)).toThrow(/^level: /);
        expect(privilegedNamespaces.map((n) => n.namespace)).toEqual(["kube-system", "metallb-system"]);
        for (const n of privilegedNamespaces) {
            expect(n.why.length).toBeGreaterThan(20);
        }
    });
});

describeProvenance(istioVersions.flatMap((v) => policyCrds.map((crd) => path.basename(crdFile(v, crd)))));

(sharedPresent ? describe : describe.skip)("CRD fixtures are verbatim documents of ../shared/schemas", () => {
    test.each(istioVersions)("Istio %s", (version) => {
        // Whole documents: each fixture starts at a "---" separator and ends at the next one (or the end of the file).
        const text = fs.readFileSync(path.join(shared, `istio-${version}-crd-all.gen.yaml`), "utf8");
        for (const crd of policyCrds) {
            const file = fs.readFileSync(crdFile(version, crd), "utf8").trimEnd();
            expect(file.startsWith("---\n")).toBe(true);
            expect(text.includes(`${file}\n---\n`) || text.trimEnd().endsWith(file)).toBe(true);
            expect(crdDoc(version, crd).metadata.name).toBe(crd);
        }
    });
});
announceNoSharedSchemas();
