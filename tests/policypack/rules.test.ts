/**
 * The zero-trust policy pack (policypack/): every rule caught on a minimal violation (the message names the object and
 * the field) and silent on a compliant stack; policypack/index.ts registers every rule once, mandatory.
 * The committed stacks themselves: tests/policypack/<stack>.test.ts.
 */
import {
    PolicyObject,
    PRIVILEGED_NAMESPACES,
    Rule,
    evaluate,
    goDurationSeconds,
    imagePinned,
    k8sKind,
    rules,
} from "../../policypack/rules";
import { cniNamespace } from "../../components/core/istio";
import { privilegedNamespaces } from "../../components/core/podSecurity";

// index.ts constructs the PolicyPack at load time, which would start the analyzer's gRPC server: capture it instead.
jest.mock("@pulumi/policy", () => ({ PolicyPack: jest.fn() }));

const P = "c1-provider";

function k8s(apiVersion: string, kind: string, namespace: string | undefined, name: string, rest: Record<string, unknown>): PolicyObject {
    const groupVersion = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
    return {
        type: `kubernetes:${groupVersion}:${kind}`,
        name: `${kind.toLowerCase()}-${namespace ? `${namespace}-` : ""}${name}`,
        provider: P,
        props: { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...rest },
    };
}
const release = (
    name: string,
    chart: string,
    namespace: string,
    values: Record<string, unknown>,
    options: Record<string, unknown> = {},
): PolicyObject => ({
    type: "kubernetes:helm.sh/v3:Release",
    name,
    provider: P,
    props: { chart, name: chart, namespace, version: "1.26.4", values, ...options },
});
const namespace = (name: string, level = "restricted") =>
    k8s("v1", "Namespace", undefined, name, { metadata: { name, labels: { "pod-security.kubernetes.io/enforce": level } } });
const defaultDeny = (ns: string) =>
    k8s("networking.k8s.io/v1", "NetworkPolicy", ns, "default-deny", { spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } });
const istio = (group: "security" | "networking", kind: string, ns: string, name: string, spec: Record<string, unknown>) =>
    k8s(`${group}.istio.io/v1`, kind, ns, name, { spec });
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
const egressPolicy = (ns: string, name: string, egress: Record<string, unknown>[]) =>
    k8s("networking.k8s.io/v1", "NetworkPolicy", ns, name, {
        spec: { podSelector: { matchLabels: { app: "x" } }, policyTypes: ["Egress"], egress },
    });
const pullSecret = (ns: string) =>
    k8s("v1", "Secret", ns, "zta-registry", {
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": '{"auths":{}}' },
    });

const ISSUER = "https://keycloak.zta.example/realms/zta";
const tlsCert = (kind: "SelfSignedCert" | "LocallySignedCert", name: string, props: Record<string, unknown>): PolicyObject => ({
    type: `tls:index/${kind[0].toLowerCase()}${kind.slice(1)}:${kind}`,
    name,
    props: { validityPeriodHours: 8760, ...props },
});

// The cloud stack's managed clusters (issue 16), as the azure-native and gcp providers' inputs.
const aksCluster = (): PolicyObject => ({
    type: "azure-native:containerservice:ManagedCluster",
    name: "cloud-aks",
    provider: "azure-provider",
    props: {
        resourceName: "zta-aks",
        resourceGroupName: "zta",
        enableRBAC: true,
        networkProfile: { networkPlugin: "azure", networkPluginMode: "overlay", networkDataplane: "cilium", networkPolicy: "cilium" },
    },
});
const gkeCluster = (): PolicyObject => ({
    type: "gcp:container/cluster:Cluster",
    name: "cloud-gke",
    provider: "gcp-provider",
    props: {
        name: "zta-gke",
        location: "europe-west1",
        datapathProvider: "ADVANCED_DATAPATH",
        deletionProtection: false,
        removeDefaultNodePool: true,
        initialNodeCount: 1,
    },
});

function container(name: string, batch = false): Record<string, unknown> {
    return {
        name,
        image: `registry.zta.example:5000/zta/${name}:1.4.2`,
        securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        },
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
        env: [
            { name: "LOG_LEVEL", value: "info" },
            { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "web-db", key: "password" } } },
        ],
        ...(batch
            ? {}
            : {
                  livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
                  readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
              }),
    };
}
function podSpec(name: string, batch = false): Record<string, unknown> {
    return {
        serviceAccountName: name,
        automountServiceAccountToken: false,
        securityContext: { seccompProfile: { type: "RuntimeDefault" } },
        imagePullSecrets: [{ name: "zta-registry" }],
        containers: [container(name, batch)],
        volumes: [{ name: "tmp", emptyDir: {} }],
        ...(batch ? { restartPolicy: "Never" } : {}),
    };
}

/** One cluster wired as zero-trust.md asks: every rule of the pack passes on it. */
function compliantStack(): PolicyObject[] {
    return [
        release("mesh-c1-istiod", "istiod", "istio-system", {
            global: { imagePullSecrets: ["zta-registry"] },
            meshConfig: {
                trustDomain: "cluster.local",
                outboundTrafficPolicy: { mode: "REGISTRY_ONLY" },
                defaultConfig: { proxyMetadata: { SECRET_TTL: "12h" } },
            },
            pilot: { env: { DEFAULT_WORKLOAD_CERT_TTL: "24h" } },
        }),
        release(
            "mesh-c1-ingress",
            "gateway",
            "istio-ingress",
            {
                imagePullSecrets: [{ name: "zta-registry" }],
                podAnnotations: { "proxy.istio.io/config": "proxyMetadata:\n  SECRET_TTL: 6h\n" },
                service: { type: "LoadBalancer" },
            },
            { skipAwait: false, atomic: true },
        ),
        namespace("istio-system"),
        namespace("istio-ingress"),
        namespace("apps"),
        namespace("metallb-system", "privileged"),
        defaultDeny("istio-system"),
        defaultDeny("istio-ingress"),
        defaultDeny("apps"),
        defaultDeny("metallb-system"),
        pullSecret("istio-system"),
        pullSecret("istio-ingress"),
        pullSecret("apps"),
        k8s("v1", "Secret", "istio-system", "cacerts", { type: "Opaque", stringData: { "ca-cert.pem": "-----BEGIN CERTIFICATE-----" } }),
        istio("security", "PeerAuthentication", "istio-system", "default", { mtls: { mode: "STRICT" } }),
        istio("security", "PeerAuthentication", "apps", "web", {
            selector: { matchLabels: { app: "web" } },
            mtls: { mode: "UNSET" },
            portLevelMtls: { "8080": { mode: "STRICT" } },
        }),
        istio("security", "AuthorizationPolicy", "istio-system", "allow-nothing", {}),
        istio("security", "AuthorizationPolicy", "apps", "web", {
            selector: { matchLabels: { app: "web" } },
            action: "ALLOW",
            rules: [
                {
                    from: [{ source: { principals: ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"] } }],
                    to: [{ operation: { methods: ["GET"], paths: ["/api/*"] } }],
                },
            ],
        }),
        istio("security", "AuthorizationPolicy", "apps", "deny-admin", {
            action: "DENY",
            rules: [
                { from: [{ source: { notPrincipals: ["cluster.local/ns/apps/sa/admin"] } }], to: [{ operation: { paths: ["/admin"] } }] },
            ],
        }),
        istio("security", "RequestAuthentication", "istio-ingress", "keycloak", {
            selector: { matchLabels: { istio: "ingressgateway" } },
            jwtRules: [
                {
                    issuer: ISSUER,
                    audiences: ["zta-web"],
                    fromHeaders: [{ name: "Authorization", prefix: "Bearer " }],
                    jwksUri: `${ISSUER}/protocol/openid-connect/certs`,
                },
            ],
        }),
        istio("security", "AuthorizationPolicy", "istio-ingress", "require-jwt", {
            selector: { matchLabels: { istio: "ingressgateway" } },
            action: "ALLOW",
            rules: [
                {
                    from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }],
                    to: [{ operation: { hosts: ["web.zta.example"], methods: ["GET"], paths: ["/api/*"] } }],
                },
            ],
        }),
        istio("networking", "Gateway", "istio-ingress", "public", {
            selector: { istio: "ingressgateway" },
            servers: [
                {
                    port: { number: 443, name: "https", protocol: "HTTPS" },
                    hosts: ["web.zta.example"],
                    tls: { mode: "SIMPLE", credentialName: "web-cert" },
                },
                { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["web.zta.example"], tls: { httpsRedirect: true } },
            ],
        }),
        istio("networking", "Gateway", "istio-system", "cross-network-gateway", {
            selector: { istio: "eastwestgateway" },
            servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }],
        }),
        istio("networking", "VirtualService", "apps", "web", {
            hosts: ["web.zta.example"],
            gateways: ["istio-ingress/public"],
            http: [{ route: [{ destination: { host: "web.apps.svc.cluster.local", port: { number: 8080 } } }] }],
        }),
        // Kiali inside the mesh only (no gateway): allowed.
        istio("networking", "VirtualService", "istio-system", "kiali", {
            hosts: ["kiali.istio-system.svc.cluster.local"],
            http: [{ route: [{ destination: { host: "kiali.istio-system.svc.cluster.local" } }] }],
        }),
        k8s("apps/v1", "Deployment", "apps", "web", {
            spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: podSpec("web") } },
        }),
        k8s("batch/v1", "Job", "apps", "verify", { spec: { template: { spec: podSpec("verify", true) } } }),
        // Read-only roles: the core group only for named resources; every resource of an Istio group.
        k8s("rbac.authorization.k8s.io/v1", "ClusterRole", undefined, "viewer", {
            rules: [
                { apiGroups: [""], resources: ["pods", "pods/log", "services"], verbs: ["get", "list", "watch"] },
                { apiGroups: ["networking.istio.io"], resources: ["*"], verbs: ["get", "list", "watch"] },
                { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
            ],
        }),
        k8s("rbac.authorization.k8s.io/v1", "Role", "istio-system", "config-reader", {
            rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: ["istio"], verbs: ["get", "list", "watch"] }],
        }),
        tlsCert("SelfSignedCert", "mesh-ca-root", { isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing"] }),
        tlsCert("LocallySignedCert", "infra-ca-leaf", {
            isCaCertificate: false,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        }),
        aksCluster(),
        gkeCluster(),
    ];
}

type Fixture = PolicyObject[];
/** A copy of the compliant stack with one object (by Pulumi name) changed, removed (change returns undefined) or added. */
function changed(pulumiName: string, change: (o: PolicyObject) => PolicyObject | undefined): Fixture {
    const stack = compliantStack();
    if (!stack.some((o) => o.name === pulumiName)) {
        throw new Error(`no fixture object ${pulumiName}`);
    }
    return stack.flatMap((o) =>
        o.name === pulumiName ? [change(structuredClone(o))].filter((x): x is PolicyObject => x !== undefined) : [o],
    );
}
const withProps = (pulumiName: string, edit: (props: any) => void): Fixture =>
    changed(pulumiName, (o) => {
        edit(o.props);
        return o;
    });
const without = (pulumiName: string): Fixture => changed(pulumiName, () => undefined);
const plus = (...objects: PolicyObject[]): Fixture => [...compliantStack(), ...objects];
const pod = (props: any): any => props.spec.template.spec;

function run(rule: Rule, objects: Fixture): string[] {
    return rule.scope === "resource" ? objects.flatMap((o) => rule.check(o)) : rule.check(objects);
}

interface Violation {
    title: string;
    objects: Fixture;
    /** One pattern per expected message, in order: each names the object and the field. */
    expect: RegExp[];
}

/** For every rule: minimal violations (each caught, exactly) and extra compliant variants (besides compliantStack). */
const cases: Record<string, { violations: Violation[]; compliant?: { title: string; objects: Fixture }[] }> = {
    "peer-authentication-strict-only": {
        violations: [
            {
                title: "mesh-wide PERMISSIVE",
                objects: withProps("peerauthentication-istio-system-default", (p) => (p.spec.mtls.mode = "PERMISSIVE")),
                expect: [
                    /^PeerAuthentication istio-system\/default \[peerauthentication-istio-system-default @ c1-provider\]: spec\.mtls\.mode is "PERMISSIVE"/,
                ],
            },
            {
                title: "DISABLE on one port",
                objects: withProps("peerauthentication-apps-web", (p) => (p.spec.portLevelMtls["8080"].mode = "DISABLE")),
                expect: [/^PeerAuthentication apps\/web .*: spec\.portLevelMtls\["8080"\]\.mode is "DISABLE"/],
            },
        ],
    },
    "mesh-wide-strict-mtls": {
        violations: [
            {
                title: "no mesh-wide PeerAuthentication",
                objects: without("peerauthentication-istio-system-default"),
                expect: [
                    /^Helm release istiod \(chart istiod\) in istio-system \[mesh-c1-istiod @ c1-provider\]: its cluster has no mesh-wide PeerAuthentication/,
                ],
            },
            {
                title: "the root-namespace one selects workloads",
                objects: withProps("peerauthentication-istio-system-default", (p) => (p.spec.selector = { matchLabels: { app: "x" } })),
                expect: [/\[mesh-c1-istiod @ c1-provider\]: its cluster has no mesh-wide PeerAuthentication/],
            },
            {
                title: "STRICT only in another cluster",
                objects: changed("peerauthentication-istio-system-default", (o) => ({ ...o, provider: "c2-provider" })),
                expect: [/\[mesh-c1-istiod @ c1-provider\]: its cluster has no mesh-wide PeerAuthentication/],
            },
        ],
    },
    "mesh-root-namespace": {
        violations: [
            {
                title: "rootNamespace moved",
                objects: withProps("mesh-c1-istiod", (p) => (p.values.meshConfig.rootNamespace = "zta-root")),
                expect: [/\[mesh-c1-istiod @ c1-provider\]: values\.meshConfig\.rootNamespace is "zta-root"/],
            },
        ],
    },
    "mesh-allow-nothing": {
        violations: [
            {
                title: "no allow-nothing policy",
                objects: without("authorizationpolicy-istio-system-allow-nothing"),
                expect: [/\[mesh-c1-istiod @ c1-provider\]: its cluster has no allow-nothing AuthorizationPolicy/],
            },
            {
                title: "the root policy allows something",
                objects: withProps("authorizationpolicy-istio-system-allow-nothing", (p) => (p.spec = { rules: [{}] })),
                expect: [/\[mesh-c1-istiod @ c1-provider\]: its cluster has no allow-nothing AuthorizationPolicy/],
            },
        ],
        compliant: [
            {
                title: "spec absent altogether",
                objects: withProps("authorizationpolicy-istio-system-allow-nothing", (p) => delete p.spec),
            },
        ],
    },
    "authorization-policy-principals": {
        violations: [
            {
                title: "spiffe:// prefix",
                objects: withProps(
                    "authorizationpolicy-apps-web",
                    (p) => (p.spec.rules[0].from[0].source.principals = ["spiffe://cluster.local/ns/a/sa/b"]),
                ),
                expect: [
                    /^AuthorizationPolicy apps\/web .*: spec\.rules\[0\]\.from\[0\]\.source\.principals has "spiffe:\/\/cluster\.local\/ns\/a\/sa\/b"/,
                ],
            },
            {
                title: "not an identity",
                objects: withProps(
                    "authorizationpolicy-apps-web",
                    (p) => (p.spec.rules[0].from[0].source.principals = ["istio-ingressgateway"]),
                ),
                expect: [/spec\.rules\[0\]\.from\[0\]\.source\.principals has "istio-ingressgateway"; expected <trust-domain>/],
            },
            {
                title: "wildcard-only principal in an ALLOW",
                objects: withProps("authorizationpolicy-apps-web", (p) => (p.spec.rules[0].from[0].source.principals = ["*"])),
                expect: [
                    /^AuthorizationPolicy apps\/web .*: spec\.rules\[0\]\.from\[0\]\.source\.principals is the wildcard-only principal "\*"/,
                ],
            },
            {
                title: "spiffe:// in a DENY's notPrincipals",
                objects: withProps(
                    "authorizationpolicy-apps-deny-admin",
                    (p) => (p.spec.rules[0].from[0].source.notPrincipals = ["spiffe://cluster.local/ns/apps/sa/admin"]),
                ),
                expect: [/^AuthorizationPolicy apps\/deny-admin .*notPrincipals has "spiffe:/],
            },
        ],
        compliant: [
            {
                title: 'a DENY on notPrincipals ["*"] (no mTLS identity)',
                objects: withProps("authorizationpolicy-apps-deny-admin", (p) => (p.spec.rules[0].from[0].source.notPrincipals = ["*"])),
            },
        ],
    },
    "authorization-allow-positive": {
        violations: [
            {
                title: "a rule without from/to/when",
                objects: withProps("authorizationpolicy-apps-web", (p) => (p.spec.rules = [{}])),
                expect: [
                    /^AuthorizationPolicy apps\/web .*: spec\.rules\[0\] has no from\/to\/when match; this ALLOW lets every request through/,
                ],
            },
            {
                title: "only empty source/operation",
                objects: withProps(
                    "authorizationpolicy-apps-web",
                    (p) => (p.spec.rules = [{ from: [{ source: {} }], to: [{ operation: { paths: [] } }] }]),
                ),
                expect: [/spec\.rules\[0\] has no from\/to\/when match/],
            },
            {
                title: "a negative match in an ALLOW",
                objects: withProps("authorizationpolicy-apps-web", (p) => (p.spec.rules[0].to[0].operation = { notPaths: ["/admin"] })),
                expect: [
                    /^AuthorizationPolicy apps\/web .*: spec\.rules\[0\]\.to\[0\]\.operation\.notPaths is a negative match in an ALLOW/,
                ],
            },
            {
                title: "notValues in an ALLOW condition",
                objects: withProps(
                    "authorizationpolicy-apps-web",
                    (p) => (p.spec.rules[0].when = [{ key: "request.headers[x-env]", notValues: ["prod"] }]),
                ),
                expect: [/spec\.rules\[0\]\.when\[0\]\(request\.headers\[x-env\]\)\.notValues is a negative match/],
            },
        ],
        compliant: [
            {
                title: "an ALLOW without rules (matches nothing)",
                objects: withProps("authorizationpolicy-apps-web", (p) => delete p.spec.rules),
            },
        ],
    },
    "authorization-deny-negative": {
        violations: [
            {
                title: "a wildcard in a positive DENY match",
                objects: withProps("authorizationpolicy-apps-deny-admin", (p) => (p.spec.rules[0].to[0].operation.paths = ["/admin*"])),
                expect: [
                    /^AuthorizationPolicy apps\/deny-admin .*: spec\.rules\[0\]\.to\[0\]\.operation\.paths has the wildcard "\/admin\*" in a DENY; use notPaths or exact values/,
                ],
            },
            {
                title: "DENY principals [*]",
                objects: withProps("authorizationpolicy-apps-deny-admin", (p) => (p.spec.rules[0].from[0].source = { principals: ["*"] })),
                expect: [/source\.principals has the wildcard "\*" in a DENY; use notPrincipals/],
            },
        ],
        compliant: [
            {
                title: 'DENY notRequestPrincipals ["*"]',
                objects: withProps(
                    "authorizationpolicy-apps-deny-admin",
                    (p) => (p.spec.rules[0].from[0].source = { notRequestPrincipals: ["*"] }),
                ),
            },
        ],
    },
    "request-authentication-jwt": {
        violations: [
            {
                title: "Istio's sample issuer and JWKS",
                objects: withProps("requestauthentication-istio-ingress-keycloak", (p) => {
                    p.spec.jwtRules[0].issuer = "testing@secure.istio.io";
                    p.spec.jwtRules[0].jwksUri =
                        "https://raw.githubusercontent.com/istio/istio/release-1.26/security/tools/jwt/samples/jwks.json";
                }),
                expect: [
                    /^RequestAuthentication istio-ingress\/keycloak .*: spec\.jwtRules\[0\]\.issuer is Istio's sample issuer "testing@secure\.istio\.io"/,
                    /spec\.jwtRules\[0\]\.jwksUri is Istio's sample JWKS/,
                ],
            },
            {
                title: "issuer not a Keycloak realm, no audiences, plain-http JWKS",
                objects: withProps("requestauthentication-istio-ingress-keycloak", (p) => {
                    p.spec.jwtRules[0] = { issuer: "https://accounts.example.com", jwksUri: "http://keycloak.zta.example/certs" };
                }),
                expect: [
                    /spec\.jwtRules\[0\]\.issuer is "https:\/\/accounts\.example\.com"; expected the Keycloak realm URL/,
                    /spec\.jwtRules\[0\]\.audiences is empty/,
                    /spec\.jwtRules\[0\]\.jwksUri is "http:\/\/keycloak\.zta\.example\/certs"; keys must come over https/,
                ],
            },
            {
                title: "no JWKS at all",
                objects: withProps("requestauthentication-istio-ingress-keycloak", (p) => delete p.spec.jwtRules[0].jwksUri),
                expect: [/spec\.jwtRules\[0\] has neither jwksUri \(https\) nor inline jwks/],
            },
            {
                title: "an inline copy of the sample key",
                objects: withProps("requestauthentication-istio-ingress-keycloak", (p) => {
                    delete p.spec.jwtRules[0].jwksUri;
                    p.spec.jwtRules[0].jwks = '{"keys":[{"kid":"DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ","kty":"RSA"}]}';
                }),
                expect: [/spec\.jwtRules\[0\]\.jwks holds Istio's sample key/],
            },
            {
                title: "no rules",
                objects: withProps("requestauthentication-istio-ingress-keycloak", (p) => (p.spec.jwtRules = [])),
                expect: [/^RequestAuthentication istio-ingress\/keycloak .*: spec\.jwtRules is empty/],
            },
        ],
        compliant: [
            {
                title: "inline JWKS (air-gapped istiod)",
                objects: withProps("requestauthentication-istio-ingress-keycloak", (p) => {
                    delete p.spec.jwtRules[0].jwksUri;
                    p.spec.jwtRules[0].jwks = '{"keys":[{"kid":"zta-1","kty":"RSA"}]}';
                }),
            },
        ],
    },
    "request-authentication-paired": {
        violations: [
            {
                title: "RequestAuthentication alone",
                objects: without("authorizationpolicy-istio-ingress-require-jwt"),
                expect: [
                    /^RequestAuthentication istio-ingress\/keycloak \[requestauthentication-istio-ingress-keycloak @ c1-provider\]: no AuthorizationPolicy for the same workload/,
                ],
            },
            {
                title: "the ALLOW selects another workload",
                objects: withProps(
                    "authorizationpolicy-istio-ingress-require-jwt",
                    (p) => (p.spec.selector.matchLabels = { istio: "eastwestgateway" }),
                ),
                expect: [/RequestAuthentication istio-ingress\/keycloak .*no AuthorizationPolicy for the same workload/],
            },
            {
                title: "the ALLOW does not look at requestPrincipals",
                objects: withProps(
                    "authorizationpolicy-istio-ingress-require-jwt",
                    (p) => (p.spec.rules = [{ to: [{ operation: { methods: ["GET"] } }] }]),
                ),
                expect: [/RequestAuthentication istio-ingress\/keycloak .*no AuthorizationPolicy for the same workload/],
            },
        ],
        compliant: [
            {
                title: 'DENY notRequestPrincipals ["*"] instead',
                objects: withProps("authorizationpolicy-istio-ingress-require-jwt", (p) => {
                    p.spec.action = "DENY";
                    p.spec.rules = [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }];
                }),
            },
        ],
    },
    "gateway-tls-and-hosts": {
        violations: [
            {
                title: 'a bare "*" host',
                objects: withProps("gateway-istio-ingress-public", (p) => (p.spec.servers[0].hosts = ["*"])),
                expect: [/^Gateway istio-ingress\/public .*: spec\.servers\[0\]\.hosts has the bare wildcard "\*"/],
            },
            {
                title: 'a namespaced "*" host',
                objects: withProps("gateway-istio-ingress-public", (p) => (p.spec.servers[0].hosts = ["apps/*"])),
                expect: [/spec\.servers\[0\]\.hosts has the bare wildcard "apps\/\*"/],
            },
            {
                title: "*.local outside the cross-network server",
                objects: withProps("gateway-istio-ingress-public", (p) => (p.spec.servers[0].hosts = ["*.local"])),
                expect: [/spec\.servers\[0\]\.hosts has "\*\.local", allowed only on the cross-network server/],
            },
            {
                title: "cross-network server not AUTO_PASSTHROUGH",
                objects: withProps("gateway-istio-system-cross-network-gateway", (p) => (p.spec.servers[0].tls.mode = "PASSTHROUGH")),
                expect: [/^Gateway istio-system\/cross-network-gateway .*hosts has "\*\.local", allowed only on the cross-network server/],
            },
            {
                title: "HTTPS without credentialName",
                objects: withProps("gateway-istio-ingress-public", (p) => delete p.spec.servers[0].tls.credentialName),
                expect: [/spec\.servers\[0\] \(HTTPS port 443\) has no tls\.credentialName/],
            },
            {
                title: "plaintext HTTP serving content",
                objects: withProps("gateway-istio-ingress-public", (p) => delete p.spec.servers[1].tls),
                expect: [/spec\.servers\[1\] serves plaintext HTTP on port 80; only an HTTPS redirect/],
            },
        ],
    },
    "observability-not-public": {
        violations: [
            {
                title: "Grafana host on the public gateway",
                objects: withProps("gateway-istio-ingress-public", (p) => p.spec.servers[0].hosts.push("grafana.zta.example")),
                expect: [
                    /^Gateway istio-ingress\/public .*: spec\.servers\[0\]\.hosts exposes the observability UI host "grafana\.zta\.example"/,
                ],
            },
            {
                title: "a gateway-bound VirtualService routing to Kiali",
                objects: withProps(
                    "virtualservice-apps-web",
                    (p) => (p.spec.http[0].route[0].destination.host = "kiali.istio-system.svc.cluster.local"),
                ),
                expect: [
                    /^VirtualService apps\/web .*: spec\.http\[0\]\.route\[0\]\.destination\.host routes a gateway to the observability UI "kiali\./,
                ],
            },
            {
                title: "a gateway-bound VirtualService for the Prometheus host",
                objects: withProps("virtualservice-istio-system-kiali", (p) => {
                    p.spec.gateways = ["istio-ingress/public"];
                    p.spec.hosts = ["prometheus.zta.example"];
                }),
                expect: [
                    /^VirtualService istio-system\/kiali .*: spec\.hosts exposes the observability UI host "prometheus\.zta\.example"/,
                    /routes a gateway to the observability UI "kiali/,
                ],
            },
        ],
    },
    "mesh-outbound-registry-only": {
        violations: [
            {
                title: "ALLOW_ANY",
                objects: withProps("mesh-c1-istiod", (p) => (p.values.meshConfig.outboundTrafficPolicy.mode = "ALLOW_ANY")),
                expect: [
                    /^Helm release istiod \(chart istiod\) in istio-system \[mesh-c1-istiod @ c1-provider\]: values\.meshConfig\.outboundTrafficPolicy\.mode is "ALLOW_ANY"; must be REGISTRY_ONLY/,
                ],
            },
            {
                title: "unset (Istio's default ALLOW_ANY), istiod from a local chart directory",
                objects: withProps("mesh-c1-istiod", (p) => {
                    delete p.values.meshConfig.outboundTrafficPolicy;
                    p.chart = "/charts/istio/1.26.4/istiod";
                }),
                expect: [/values\.meshConfig\.outboundTrafficPolicy\.mode is undefined/],
            },
        ],
    },
    "workload-cert-ttl": {
        violations: [
            {
                title: "proxies ask for 48h",
                objects: withProps("mesh-c1-istiod", (p) => (p.values.meshConfig.defaultConfig.proxyMetadata.SECRET_TTL = "48h")),
                expect: [
                    /\[mesh-c1-istiod @ c1-provider\]: values\.meshConfig\.defaultConfig\.proxyMetadata\.SECRET_TTL is "48h"; workload certificates must live ≤ 24h/,
                ],
            },
            {
                title: "istiod default of 90 days",
                objects: withProps("mesh-c1-istiod", (p) => (p.values.pilot.env.DEFAULT_WORKLOAD_CERT_TTL = "2160h")),
                expect: [/values\.pilot\.env\.DEFAULT_WORKLOAD_CERT_TTL is "2160h"/],
            },
            {
                title: "not a Go duration",
                objects: withProps("mesh-c1-istiod", (p) => (p.values.pilot.env.DEFAULT_WORKLOAD_CERT_TTL = "1d")),
                expect: [/values\.pilot\.env\.DEFAULT_WORKLOAD_CERT_TTL is "1d", not a Go duration/],
            },
            {
                title: "a pod asking for 30 days",
                objects: withProps(
                    "deployment-apps-web",
                    (p) => (p.spec.template.metadata.annotations = { "proxy.istio.io/config": "proxyMetadata:\n  SECRET_TTL: 720h\n" }),
                ),
                expect: [
                    /^Deployment apps\/web .*: spec\.template\.metadata\.annotations\["proxy\.istio\.io\/config"\]\.proxyMetadata\.SECRET_TTL is "720h"/,
                ],
            },
            {
                title: "a gateway's podAnnotations",
                objects: withProps(
                    "mesh-c1-ingress",
                    (p) => (p.values.podAnnotations["proxy.istio.io/config"] = "proxyMetadata: {SECRET_TTL: 25h}"),
                ),
                expect: [
                    /\[mesh-c1-ingress @ c1-provider\]: values\.podAnnotations\["proxy\.istio\.io\/config"\]\.proxyMetadata\.SECRET_TTL is "25h"/,
                ],
            },
        ],
        compliant: [
            {
                title: "nothing set (Istio's 24h default)",
                objects: withProps("mesh-c1-istiod", (p) => {
                    delete p.values.pilot;
                    delete p.values.meshConfig.defaultConfig;
                }),
            },
        ],
    },
    "namespace-default-deny": {
        violations: [
            {
                title: "no NetworkPolicy",
                objects: without("networkpolicy-apps-default-deny"),
                expect: [/^Namespace apps \[namespace-apps @ c1-provider\]: namespace "apps" has no default-deny NetworkPolicy/],
            },
            {
                title: "the policy lets ingress in",
                objects: withProps("networkpolicy-apps-default-deny", (p) => (p.spec.ingress = [{}])),
                expect: [/namespace "apps" has no default-deny NetworkPolicy/],
            },
            {
                title: "the policy forgets Egress",
                objects: withProps("networkpolicy-apps-default-deny", (p) => (p.spec.policyTypes = ["Ingress"])),
                expect: [/namespace "apps" has no default-deny NetworkPolicy/],
            },
            {
                title: "the policy selects some pods only",
                objects: withProps("networkpolicy-apps-default-deny", (p) => (p.spec.podSelector = { matchLabels: { app: "web" } })),
                expect: [/namespace "apps" has no default-deny NetworkPolicy/],
            },
            {
                title: "the policy is in another cluster",
                objects: changed("networkpolicy-apps-default-deny", (o) => ({ ...o, provider: "c2-provider" })),
                expect: [/namespace "apps" has no default-deny NetworkPolicy/],
            },
            {
                title: "a namespace made by a Helm release",
                objects: plus({
                    ...release("keycloak", "keycloak", "keycloak", {}),
                    props: { chart: "keycloak", namespace: "keycloak", createNamespace: true, values: {} },
                }),
                expect: [
                    /^Helm release keycloak \(chart keycloak\) in keycloak \[keycloak @ c1-provider\]: namespace "keycloak" has no default-deny NetworkPolicy/,
                ],
            },
        ],
    },
    "networkpolicy-egress-bounded": {
        violations: [
            {
                title: "every namespace on every port (the old east-west/ingress gateway egress)",
                objects: plus(
                    egressPolicy("istio-system", "allow-eastwest-gateway-egress", [{ to: [{ namespaceSelector: {} }], ports: [] }]),
                ),
                expect: [
                    /^NetworkPolicy istio-system\/allow-eastwest-gateway-egress \[networkpolicy-istio-system-allow-eastwest-gateway-egress @ c1-provider\]: spec\.egress\[0\] allows every namespace on every port/,
                ],
            },
            {
                title: "no `to` and no `ports`",
                objects: plus(egressPolicy("apps", "allow-all", [{}])),
                expect: [/NetworkPolicy apps\/allow-all .*: spec\.egress\[0\] allows every destination on every port/],
            },
            {
                title: "an empty namespaceSelector beside a named peer, ports omitted",
                objects: plus(
                    egressPolicy("apps", "allow-web", [
                        { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "sample" } } }], ports: tcp(8080) },
                        { to: [{ podSelector: {} }, { namespaceSelector: {}, podSelector: {} }] },
                    ]),
                ),
                expect: [/spec\.egress\[1\] allows every namespace on every port/],
            },
        ],
        compliant: [
            {
                title: "every namespace on named ports (the scrape), named pods on every port",
                objects: plus(
                    egressPolicy("observability", "allow-prometheus-egress", [
                        { to: [{ namespaceSelector: {} }], ports: tcp(15014, 15020) },
                        { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: "web" } } }] },
                    ]),
                ),
            },
        ],
    },
    "networkpolicy-egress-whole-space": {
        violations: [
            {
                title: "0.0.0.0/0 from a policy not on the allow-list",
                objects: plus(egressPolicy("apps", "allow-internet", [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp(443) }])),
                expect: [
                    /^NetworkPolicy apps\/allow-internet .*: spec\.egress\[0\] reaches 0\.0\.0\.0\/0; name the peers' addresses \("allow-internet" is not on WHOLE_SPACE_EGRESS\)/,
                ],
            },
            {
                title: "::/0, and no `to` at all",
                objects: plus(
                    egressPolicy("apps", "allow-v6", [{ to: [{ ipBlock: { cidr: "::/0" } }], ports: tcp(443) }, { ports: tcp(53) }]),
                ),
                expect: [/spec\.egress\[0\] reaches ::\/0/, /spec\.egress\[1\] reaches every destination \(no `to`\)/],
            },
            {
                title: "an allow-listed policy on a port its entry does not list (the old gateway's 0.0.0.0/0 beyond 15443)",
                objects: plus(
                    egressPolicy("istio-ingress", "allow-ingress-gateway-egress", [
                        { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp(15443, 443) },
                    ]),
                ),
                expect: [
                    /spec\.egress\[0\] reaches 0\.0\.0\.0\/0 on ports \[15443,443\]; WHOLE_SPACE_EGRESS allows "allow-ingress-gateway-egress" only \[15443\]/,
                ],
            },
            {
                title: "an allow-listed policy on every port",
                objects: plus(egressPolicy("istio-system", "allow-apiserver-egress", [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }])),
                expect: [/reaches 0\.0\.0\.0\/0 on ports \[\]/],
            },
            {
                title: "an allow-listed policy whose listed port opens a range (endPort)",
                objects: plus(
                    egressPolicy("istio-system", "allow-apiserver-egress", [
                        { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443, endPort: 65535 }] },
                    ]),
                ),
                expect: [/reaches 0\.0\.0\.0\/0 on ports \[443\] \(with endPort \[65535\]\); WHOLE_SPACE_EGRESS allows/],
            },
        ],
        compliant: [
            {
                title: "single addresses, and the allow-listed policy on its port",
                objects: plus(
                    egressPolicy("istio-system", "allow-apiserver-egress", [
                        { to: [{ ipBlock: { cidr: "203.0.113.100/32" } }], ports: tcp(443) },
                        { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp(443) },
                    ]),
                ),
            },
        ],
    },
    "pod-security-restricted": {
        violations: [
            {
                title: "root-capable container",
                objects: withProps("deployment-apps-web", (p) => {
                    const c = pod(p).containers[0];
                    delete c.securityContext.runAsNonRoot;
                    c.securityContext.allowPrivilegeEscalation = true;
                    c.securityContext.capabilities = { drop: ["NET_RAW"], add: ["NET_ADMIN"] };
                }),
                expect: [
                    /^Deployment apps\/web .*: spec\.template\.spec\.containers\[0\] \("web"\) securityContext\.allowPrivilegeEscalation is true/,
                    /containers\[0\] \("web"\) securityContext\.capabilities\.drop does not include "ALL"/,
                    /containers\[0\] \("web"\) securityContext\.capabilities\.add has "NET_ADMIN"/,
                    /containers\[0\] \("web"\) runs without runAsNonRoot: true/,
                ],
            },
            {
                title: "host namespaces, hostPath, privileged, no seccomp, root UID, hostPort",
                objects: withProps("deployment-apps-web", (p) => {
                    const s = pod(p);
                    s.hostNetwork = true;
                    s.hostPID = true;
                    s.volumes.push({ name: "host", hostPath: { path: "/" } });
                    s.securityContext = { runAsUser: 0 };
                    s.containers[0].securityContext.privileged = true;
                    s.containers[0].ports = [{ containerPort: 8080, hostPort: 8080 }];
                }),
                expect: [
                    /spec\.template\.spec\.hostNetwork is true/,
                    /spec\.template\.spec\.hostPID is true/,
                    /spec\.template\.spec\.volumes\[1\] \("host"\) is a hostPath volume/,
                    /spec\.template\.spec\.securityContext\.runAsUser is 0/,
                    /containers\[0\] \("web"\) securityContext\.privileged is true/,
                    /containers\[0\] \("web"\) seccompProfile\.type is undefined; must be RuntimeDefault/,
                    /containers\[0\] \("web"\) ports\[0\]\.hostPort is 8080/,
                ],
            },
            {
                title: "an init container in a Job",
                objects: withProps(
                    "job-apps-verify",
                    (p) => (pod(p).initContainers = [{ ...container("init", true), securityContext: { capabilities: { drop: ["ALL"] } } }]),
                ),
                expect: [
                    /^Job apps\/verify .*initContainers\[0\] \("init"\) securityContext\.allowPrivilegeEscalation is undefined/,
                    /initContainers\[0\] \("init"\) runs without runAsNonRoot/,
                ],
            },
        ],
    },
    "pod-hardening": {
        violations: [
            {
                title: "writable root, no limits, no probes",
                objects: withProps("deployment-apps-web", (p) => {
                    const c = pod(p).containers[0];
                    c.securityContext.readOnlyRootFilesystem = false;
                    delete c.resources.limits;
                    delete c.livenessProbe;
                    delete c.readinessProbe;
                }),
                expect: [
                    /^Deployment apps\/web .*: spec\.template\.spec\.containers\[0\] \("web"\) securityContext\.readOnlyRootFilesystem is not true/,
                    /containers\[0\] \("web"\) resources\.limits\.cpu is not set/,
                    /containers\[0\] \("web"\) resources\.limits\.memory is not set/,
                    /containers\[0\] \("web"\) has no livenessProbe/,
                    /containers\[0\] \("web"\) has no readinessProbe/,
                ],
            },
            {
                title: "a CronJob container without requests",
                objects: plus(
                    k8s("batch/v1", "CronJob", "apps", "rotate", {
                        spec: {
                            schedule: "@daily",
                            jobTemplate: {
                                spec: {
                                    template: {
                                        spec: { ...podSpec("rotate", true), containers: [{ ...container("rotate", true), resources: {} }] },
                                    },
                                },
                            },
                        },
                    }),
                ),
                expect: [
                    /^CronJob apps\/rotate .*: spec\.jobTemplate\.spec\.template\.spec\.containers\[0\] \("rotate"\) resources\.requests\.cpu is not set/,
                    /resources\.requests\.memory is not set/,
                    /resources\.limits\.cpu is not set/,
                    /resources\.limits\.memory is not set/,
                ],
            },
        ],
    },
    "pod-image-pinned": {
        violations: [
            {
                title: "latest, untagged, a registry port mistaken for a tag",
                objects: withProps("deployment-apps-web", (p) => {
                    pod(p).containers = ["nginx:latest", "nginx", "registry.zta.example:5000/web"].map((image, i) => ({
                        ...container(`c${i}`),
                        image,
                    }));
                }),
                expect: [
                    /^Deployment apps\/web .*: spec\.template\.spec\.containers\[0\] \("c0"\) image is "nginx:latest"; pin a tag/,
                    /containers\[1\] \("c1"\) image is "nginx"/,
                    /containers\[2\] \("c2"\) image is "registry\.zta\.example:5000\/web"/,
                ],
            },
        ],
        compliant: [
            {
                title: "a digest",
                objects: withProps("deployment-apps-web", (p) => (pod(p).containers[0].image = `nginx@sha256:${"a".repeat(64)}`)),
            },
        ],
    },
    "pod-no-secret-env-literals": {
        violations: [
            {
                title: "a password literal (never echoed)",
                objects: withProps("deployment-apps-web", (p) =>
                    pod(p).containers[0].env.push({ name: "ADMIN_PASSWORD", value: "hunter2" }, { name: "api_key", value: "k-123" }),
                ),
                expect: [
                    /^Deployment apps\/web .*: spec\.template\.spec\.containers\[0\] \("web"\) env\[2\] ADMIN_PASSWORD has a literal value; take it from a Secret/,
                    /env\[3\] api_key has a literal value/,
                ],
            },
        ],
    },
    "pod-service-account": {
        violations: [
            {
                title: "the default account with its token",
                objects: withProps("deployment-apps-web", (p) => {
                    pod(p).serviceAccountName = "default";
                    delete pod(p).automountServiceAccountToken;
                }),
                expect: [
                    /^Deployment apps\/web .*: spec\.template\.spec\.serviceAccountName is "default"; give the workload its own service account/,
                    /spec\.template\.spec\.automountServiceAccountToken is undefined; must be false \(apps\/default is not on TOKEN_MOUNT_SERVICE_ACCOUNTS\)/,
                ],
            },
            {
                title: "no account, token mounted explicitly",
                objects: withProps("job-apps-verify", (p) => {
                    delete pod(p).serviceAccountName;
                    pod(p).automountServiceAccountToken = true;
                }),
                expect: [/^Job apps\/verify .*serviceAccountName is undefined/, /automountServiceAccountToken is true; must be false/],
            },
        ],
    },
    "namespace-pod-security": {
        violations: [
            {
                title: "no PSA label",
                objects: withProps("namespace-apps", (p) => delete p.metadata.labels),
                expect: [
                    /^Namespace apps \[namespace-apps @ c1-provider\]: metadata\.labels\["pod-security\.kubernetes\.io\/enforce"\] is missing/,
                ],
            },
            {
                title: "privileged off the allow-list",
                objects: withProps("namespace-apps", (p) => (p.metadata.labels["pod-security.kubernetes.io/enforce"] = "privileged")),
                expect: [
                    /^Namespace apps .*: metadata\.labels\["pod-security\.kubernetes\.io\/enforce"\] is "privileged" but "apps" is not on PRIVILEGED_NAMESPACES/,
                ],
            },
            {
                title: "not a level",
                objects: withProps("namespace-apps", (p) => (p.metadata.labels["pod-security.kubernetes.io/enforce"] = "strict")),
                expect: [/is "strict", not a Pod Security level/],
            },
        ],
    },
    "secret-registry-credentials-type": {
        violations: [
            {
                title: "Opaque registry credentials (stringData)",
                objects: withProps("secret-apps-zta-registry", (p) => (p.type = "Opaque")),
                expect: [
                    /^Secret apps\/zta-registry .*: holds \.dockerconfigjson but type is "Opaque"; must be kubernetes\.io\/dockerconfigjson/,
                ],
            },
            {
                title: "untyped legacy .dockercfg (data)",
                objects: plus(k8s("v1", "Secret", "apps", "legacy", { data: { ".dockercfg": "e30=" } })),
                expect: [/^Secret apps\/legacy .*: holds \.dockercfg but type is "Opaque"; must be kubernetes\.io\/dockercfg/],
            },
        ],
    },
    "image-pull-secrets-dockerconfigjson": {
        violations: [
            {
                title: "a pod pulling with an Opaque secret (the seed's mistake)",
                objects: withProps("deployment-apps-web", (p) => pod(p).imagePullSecrets.push({ name: "cacerts" })),
                expect: [
                    /^Deployment apps\/web .*: spec\.template\.spec\.imagePullSecrets names "cacerts", but the program creates no such Secret in apps/,
                ],
            },
            {
                title: "istiod's global pull secret is Opaque",
                objects: withProps("secret-istio-system-zta-registry", (p) => {
                    p.type = "Opaque";
                    p.stringData = { "ca.crt": "-----BEGIN CERTIFICATE-----" };
                }),
                expect: [
                    /^Helm release istiod \(chart istiod\) in istio-system \[mesh-c1-istiod @ c1-provider\]: values\.global\.imagePullSecrets names "zta-registry", which is Secret istio-system\/zta-registry .* of type "Opaque"; must be kubernetes\.io\/dockerconfigjson/,
                ],
            },
            {
                title: "the gateway's pull secret exists only in another cluster",
                objects: changed("secret-istio-ingress-zta-registry", (o) => ({ ...o, provider: "c2-provider" })),
                expect: [
                    /^Helm release gateway \(chart gateway\) in istio-ingress \[mesh-c1-ingress @ c1-provider\]: values\.imagePullSecrets names "zta-registry", but the program creates no such Secret in istio-ingress/,
                ],
            },
        ],
    },
    "request-authentication-header-only": {
        violations: [
            {
                title: "fromHeaders not set (Envoy's defaults include ?access_token=)",
                objects: withProps("requestauthentication-istio-ingress-keycloak", (p) => delete p.spec.jwtRules[0].fromHeaders),
                expect: [
                    /^RequestAuthentication istio-ingress\/keycloak .*: spec\.jwtRules\[0\]\.fromHeaders is not set; Envoy then also takes the token from the access_token query parameter/,
                ],
            },
            {
                title: "a query parameter, a cookie and another header",
                objects: withProps("requestauthentication-istio-ingress-keycloak", (p) => {
                    p.spec.jwtRules[0].fromParams = ["access_token"];
                    p.spec.jwtRules[0].fromCookies = ["session"];
                    p.spec.jwtRules[0].fromHeaders.push({ name: "x-jwt-assertion" });
                }),
                expect: [
                    /spec\.jwtRules\[0\]\.fromHeaders\[1\] is \{"name":"x-jwt-assertion"\}; tokens come only from the Authorization header/,
                    /spec\.jwtRules\[0\]\.fromParams is \["access_token"\]; tokens come only from the Authorization header/,
                    /spec\.jwtRules\[0\]\.fromCookies is \["session"\]/,
                ],
            },
            {
                title: "the Authorization header without the Bearer prefix",
                objects: withProps("requestauthentication-istio-ingress-keycloak", (p) => delete p.spec.jwtRules[0].fromHeaders[0].prefix),
                expect: [/spec\.jwtRules\[0\]\.fromHeaders\[0\] is \{"name":"Authorization"\}/],
            },
        ],
        compliant: [
            {
                title: "the header name in lower case",
                objects: withProps(
                    "requestauthentication-istio-ingress-keycloak",
                    (p) => (p.spec.jwtRules[0].fromHeaders[0].name = "authorization"),
                ),
            },
        ],
    },
    "authorization-request-principals-operation": {
        violations: [
            {
                title: "any subject of the issuer, any operation (no to)",
                objects: withProps("authorizationpolicy-istio-ingress-require-jwt", (p) => delete p.spec.rules[0].to),
                expect: [
                    /^AuthorizationPolicy istio-ingress\/require-jwt .*: spec\.rules\[0\] admits requestPrincipals \["https:\/\/keycloak\.zta\.example\/realms\/zta\/\*"\] without a to\.operation limit/,
                ],
            },
            {
                title: "one to[] entry without a limit (entries are ORed)",
                objects: withProps("authorizationpolicy-istio-ingress-require-jwt", (p) => p.spec.rules[0].to.push({ operation: {} })),
                expect: [/spec\.rules\[0\] admits requestPrincipals .* without a to\.operation limit/],
            },
        ],
        compliant: [
            {
                title: "a DENY on notRequestPrincipals needs no operation",
                objects: withProps("authorizationpolicy-istio-ingress-require-jwt", (p) => {
                    p.spec.action = "DENY";
                    p.spec.rules = [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }];
                }),
            },
            {
                title: "a port alone limits the operation",
                objects: withProps(
                    "authorizationpolicy-istio-ingress-require-jwt",
                    (p) => (p.spec.rules[0].to = [{ operation: { ports: ["443"] } }]),
                ),
            },
        ],
    },
    "ca-certificate-key-usage": {
        violations: [
            {
                title: "Istio's Makefile profile: nonRepudiation and keyEncipherment on the root",
                objects: withProps("mesh-ca-root", (p) =>
                    p.allowedUses.push("digital_signature", "content_commitment", "key_encipherment"),
                ),
                expect: [
                    /^tls:index\/selfSignedCert:SelfSignedCert \(auto-named\) \[mesh-ca-root\]: allowedUses has \["content_commitment","key_encipherment"\]; a CA certificate only signs certificates and CRLs/,
                ],
            },
            {
                title: "a server usage on an intermediate",
                objects: plus(
                    tlsCert("LocallySignedCert", "mesh-ca-c1-cert", {
                        isCaCertificate: true,
                        allowedUses: ["cert_signing", "server_auth"],
                    }),
                ),
                expect: [/^tls:index\/locallySignedCert:LocallySignedCert .*\[mesh-ca-c1-cert\]: allowedUses has \["server_auth"\]/],
            },
        ],
    },
    "rbac-no-pod-exec-attach-portforward": {
        violations: [
            {
                title: "pods/portforward in a viewer ClusterRole (Kiali's old rule)",
                objects: withProps("clusterrole-viewer", (p) =>
                    p.rules.push({ apiGroups: [""], resources: ["pods/portforward"], verbs: ["create", "post"] }),
                ),
                expect: [
                    /^ClusterRole viewer \[clusterrole-viewer @ c1-provider\]: rules\[3\]\.resources has \["pods\/portforward"\] \(apiGroups \[""\]\); a role must not reach into pods/,
                ],
            },
            {
                title: "pods/exec and pods/attach in a namespaced Role, even read-only (WebSocket exec is a GET)",
                objects: withProps("role-istio-system-config-reader", (p) =>
                    p.rules.push({ apiGroups: [""], resources: ["pods/exec", "pods/attach"], verbs: ["get"] }),
                ),
                expect: [/^Role istio-system\/config-reader .*: rules\[1\]\.resources has \["pods\/exec","pods\/attach"\]/],
            },
            {
                title: "every core resource, or every resource's exec, or any group",
                objects: withProps("clusterrole-viewer", (p) =>
                    p.rules.push(
                        { apiGroups: [""], resources: ["*"], verbs: ["get", "list"] },
                        { apiGroups: ["*"], resources: ["*/exec"], verbs: ["create"] },
                    ),
                ),
                expect: [
                    /rules\[3\]\.resources has \["\*"\] \(apiGroups \[""\]\)/,
                    /rules\[4\]\.resources has \["\*\/exec"\] \(apiGroups \["\*"\]\)/,
                ],
            },
            {
                title: "a binding that hands out the built-in edit role, and an aggregated ClusterRole",
                objects: plus(
                    k8s("rbac.authorization.k8s.io/v1", "RoleBinding", "apps", "helpers", {
                        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
                        subjects: [{ kind: "ServiceAccount", name: "web", namespace: "apps" }],
                    }),
                    k8s("rbac.authorization.k8s.io/v1", "ClusterRole", undefined, "aggregated", {
                        aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "rbac.zta/aggregate": "true" } }] },
                        rules: [],
                    }),
                ),
                expect: [
                    /^RoleBinding apps\/helpers .*: roleRef is the built-in ClusterRole "edit", which reaches into pods/,
                    /^ClusterRole aggregated .*: aggregationRule takes its rules from other ClusterRoles' labels/,
                ],
            },
        ],
        compliant: [
            {
                title: "a binding to a role of our own, and to the built-in view role",
                objects: plus(
                    k8s("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", undefined, "viewers", {
                        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
                        subjects: [{ kind: "ServiceAccount", name: "web", namespace: "apps" }],
                    }),
                ),
            },
            {
                title: '"*" in a group other than the core one',
                objects: withProps("clusterrole-viewer", (p) =>
                    p.rules.push({ apiGroups: ["security.istio.io"], resources: ["*"], verbs: ["get", "list", "watch"] }),
                ),
            },
        ],
    },
    "pull-secrets-used": {
        violations: [
            {
                title: "a pull secret copied into a namespace where nothing pulls (the old every-namespace copy)",
                objects: plus(pullSecret("observability")),
                expect: [
                    /^Secret observability\/zta-registry .*: a registry credential no pod or release in observability of its cluster names in imagePullSecrets/,
                ],
            },
            {
                title: "a pull secret whose only user is in another cluster",
                objects: plus({ ...pullSecret("observability"), name: "secret-c2-observability-zta-registry", provider: "c2-provider" }),
                expect: [/^Secret observability\/zta-registry .*c2-provider.*: a registry credential no pod or release/],
            },
            {
                title: "the pods stopped naming it",
                objects: withProps("deployment-apps-web", (p) => {
                    pod(p).imagePullSecrets = [];
                }).map((o) => {
                    if (o.name !== "job-apps-verify") {
                        return o;
                    }
                    const job = structuredClone(o);
                    pod(job.props).imagePullSecrets = [];
                    return job;
                }),
                expect: [
                    /^Secret apps\/zta-registry .*: a registry credential no pod or release in apps of its cluster names in imagePullSecrets/,
                ],
            },
        ],
    },
    "aks-network-policy-engine": {
        violations: [
            {
                title: "no networkPolicy (AKS then enforces none)",
                objects: withProps("cloud-aks", (p) => delete p.networkProfile.networkPolicy),
                expect: [
                    /^AKS ManagedCluster zta-aks \[cloud-aks @ azure-provider\]: networkProfile\.networkPolicy is unset; must be "cilium" or "azure": without a policy engine/,
                ],
            },
            {
                title: 'networkPolicy "none"',
                objects: withProps("cloud-aks", (p) => (p.networkProfile.networkPolicy = "none")),
                expect: [/^AKS ManagedCluster zta-aks .*: networkProfile\.networkPolicy is "none"; must be "cilium" or "azure"/],
            },
            {
                title: "Calico (being retired on AKS)",
                objects: withProps("cloud-aks", (p) => (p.networkProfile.networkPolicy = "calico")),
                expect: [
                    /^AKS ManagedCluster zta-aks .*: networkProfile\.networkPolicy is "calico"; must be "cilium" or "azure": .*being retired/,
                ],
            },
            {
                title: "Cilium policy on the Azure dataplane, and on an unset one",
                objects: [
                    ...withProps("cloud-aks", (p) => (p.networkProfile.networkDataplane = "azure")),
                    {
                        ...aksCluster(),
                        name: "cloud-aks-2",
                        props: { ...aksCluster().props, resourceName: "zta-aks-2", networkProfile: { networkPolicy: "cilium" } },
                    },
                ],
                expect: [
                    /^AKS ManagedCluster zta-aks \[cloud-aks @ azure-provider\]: networkProfile\.networkDataplane is "azure"; networkPolicy "cilium" requires networkDataplane "cilium"/,
                    /^AKS ManagedCluster zta-aks-2 \[cloud-aks-2 @ azure-provider\]: networkProfile\.networkDataplane is unset; networkPolicy "cilium" requires networkDataplane "cilium"/,
                ],
            },
            {
                title: "no network profile and RBAC off, auto-named",
                objects: withProps("cloud-aks", (p) => {
                    delete p.networkProfile;
                    delete p.resourceName;
                    p.enableRBAC = false;
                }),
                expect: [
                    /^AKS ManagedCluster \(auto-named\) \[cloud-aks @ azure-provider\]: networkProfile\.networkPolicy is unset/,
                    /^AKS ManagedCluster \(auto-named\) \[cloud-aks @ azure-provider\]: enableRBAC is false; must be true/,
                ],
            },
            {
                title: "enableRBAC left to the API's default",
                objects: withProps("cloud-aks", (p) => delete p.enableRBAC),
                expect: [/^AKS ManagedCluster zta-aks .*: enableRBAC is unset; must be true/],
            },
        ],
        compliant: [
            {
                title: "Azure network policy on the Azure dataplane",
                objects: withProps("cloud-aks", (p) => (p.networkProfile = { networkPlugin: "azure", networkPolicy: "azure" })),
            },
        ],
    },
    "gke-dataplane-v2": {
        violations: [
            {
                title: "datapathProvider unset (the legacy datapath)",
                objects: withProps("cloud-gke", (p) => delete p.datapathProvider),
                expect: [
                    /^GKE Cluster zta-gke \[cloud-gke @ gcp-provider\]: datapathProvider is unset \(LEGACY_DATAPATH\); must be "ADVANCED_DATAPATH"/,
                ],
            },
            {
                title: "LEGACY_DATAPATH with the Calico add-on",
                objects: withProps("cloud-gke", (p) => {
                    p.datapathProvider = "LEGACY_DATAPATH";
                    p.networkPolicy = { enabled: true, provider: "CALICO" };
                }),
                expect: [
                    /^GKE Cluster zta-gke .*: datapathProvider is "LEGACY_DATAPATH"; must be "ADVANCED_DATAPATH"/,
                    /^GKE Cluster zta-gke .*: networkPolicy\.enabled is true; the Calico network policy add-on conflicts with Dataplane V2/,
                ],
            },
            {
                title: "Dataplane V2 with the Calico add-on enabled",
                objects: withProps("cloud-gke", (p) => (p.networkPolicy = { enabled: true })),
                expect: [/^GKE Cluster zta-gke .*: networkPolicy\.enabled is true/],
            },
        ],
        compliant: [
            {
                title: "the add-on explicitly off",
                objects: withProps("cloud-gke", (p) => (p.networkPolicy = { enabled: false, provider: "PROVIDER_UNSPECIFIED" })),
            },
        ],
    },
    "gke-standard-not-autopilot": {
        violations: [
            {
                title: "Autopilot",
                objects: withProps("cloud-gke", (p) => (p.enableAutopilot = true)),
                expect: [
                    /^GKE Cluster zta-gke \[cloud-gke @ gcp-provider\]: enableAutopilot is true; must be unset or false: istio-cni's node agent needs privileged pods/,
                ],
            },
        ],
        compliant: [{ title: "enableAutopilot false", objects: withProps("cloud-gke", (p) => (p.enableAutopilot = false)) }],
    },
    "cloud-cluster-destroyable": {
        violations: [
            {
                title: "deletionProtection unset (the provider defaults it to true)",
                objects: withProps("cloud-gke", (p) => delete p.deletionProtection),
                expect: [
                    /^GKE Cluster zta-gke \[cloud-gke @ gcp-provider\]: deletionProtection is unset \(the provider defaults it to true\); must be false: `pulumi destroy` would fail/,
                ],
            },
            {
                title: "deletionProtection true",
                objects: withProps("cloud-gke", (p) => (p.deletionProtection = true)),
                expect: [/^GKE Cluster zta-gke .*: deletionProtection is true; must be false/],
            },
            {
                title: "deletionPolicy ABANDON (destroy would leave the cluster running)",
                objects: withProps("cloud-gke", (p) => (p.deletionPolicy = "ABANDON")),
                expect: [/^GKE Cluster zta-gke .*: deletionPolicy is "ABANDON"; must be unset or "DELETE"/],
            },
        ],
        compliant: [{ title: 'deletionPolicy "DELETE"', objects: withProps("cloud-gke", (p) => (p.deletionPolicy = "DELETE")) }],
    },
    "loadbalancer-release-awaits-uninstall": {
        violations: [
            {
                title: "skipAwait on the release that renders the LoadBalancer (atomic does not excuse it)",
                objects: withProps("mesh-c1-ingress", (p) => (p.skipAwait = true)),
                expect: [
                    /^Helm release gateway \(chart gateway\) in istio-ingress \[mesh-c1-ingress @ c1-provider\]: skipAwait is true with values\.service\.type "LoadBalancer"; must be false or unset: .*service\.kubernetes\.io\/load-balancer-cleanup/,
                ],
            },
        ],
        compliant: [
            {
                title: "skipAwait unset",
                objects: withProps("mesh-c1-ingress", (p) => delete p.skipAwait),
            },
            {
                title: "skipAwait on a release without a LoadBalancer Service",
                objects: withProps("mesh-c1-istiod", (p) => (p.skipAwait = true)),
            },
            {
                title: "skipAwait on a ClusterIP gateway",
                objects: withProps("mesh-c1-ingress", (p) => {
                    p.skipAwait = true;
                    p.values.service.type = "ClusterIP";
                }),
            },
        ],
    },
};

describe("zero-trust policy rules", () => {
    test("rules: unique kebab-case names, every one mandatory with a description and its zero-trust.md line", () => {
        const names = rules.map((r) => r.name);
        expect(new Set(names).size).toBe(names.length);
        for (const r of rules) {
            expect(r.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
            expect(r.enforcementLevel).toBe("mandatory");
            expect(r.description.length).toBeGreaterThan(20);
            expect(r.reference.length).toBeGreaterThan(10);
        }
    });

    test("every rule has violation cases here (so every rule can fail)", () => {
        expect(Object.keys(cases).sort()).toEqual(rules.map((r) => r.name).sort());
        for (const c of Object.values(cases)) {
            expect(c.violations.length).toBeGreaterThan(0);
        }
    });

    test("the compliant cluster passes every rule", () => {
        expect(evaluate(compliantStack())).toEqual([]);
    });

    for (const rule of rules) {
        describe(rule.name, () => {
            for (const v of cases[rule.name]?.violations ?? []) {
                test(`caught: ${v.title}`, () => {
                    const messages = run(rule, v.objects);
                    expect(messages).toHaveLength(v.expect.length);
                    messages.forEach((m, i) => expect(m).toMatch(v.expect[i]));
                });
            }
            for (const c of cases[rule.name]?.compliant ?? []) {
                test(`passes: ${c.title}`, () => {
                    expect(run(rule, c.objects)).toEqual([]);
                });
            }
        });
    }

    test("PRIVILEGED_NAMESPACES is exactly the program's privileged namespaces, the istio-cni agent's among them", () => {
        expect(Object.keys(PRIVILEGED_NAMESPACES).sort()).toEqual(privilegedNamespaces.map((n) => n.namespace).sort());
        expect(Object.keys(PRIVILEGED_NAMESPACES)).toContain(cniNamespace);
        expect(PRIVILEGED_NAMESPACES[cniNamespace]).toMatch(/istio-cni/);
    });

    test("secret env values never appear in a message", () => {
        const objects = withProps("deployment-apps-web", (p) => pod(p).containers[0].env.push({ name: "DB_TOKEN", value: "s3cr3t-value" }));
        expect(JSON.stringify(evaluate(objects))).not.toContain("s3cr3t-value");
    });

    test("cloud rules read only the fields they judge: other values unknown in a preview do not stop them", () => {
        /** Props as the policy SDK hands them in a preview: reading an unknown value throws. */
        const unknownExcept = (known: Record<string, unknown>): Record<string, unknown> =>
            new Proxy(known, {
                get: (target, key) => {
                    if (typeof key === "string" && !(key in target)) {
                        throw new Error(`unknown during preview: ${key}`);
                    }
                    return Reflect.get(target, key);
                },
            });
        const cloudRules = rules.filter((r) =>
            [
                "aks-network-policy-engine",
                "gke-dataplane-v2",
                "gke-standard-not-autopilot",
                "cloud-cluster-destroyable",
                "loadbalancer-release-awaits-uninstall",
            ].includes(r.name),
        );
        expect(cloudRules).toHaveLength(5);
        const check = (o: PolicyObject): string[] => cloudRules.flatMap((r) => run(r, [o]));
        // Another provider's resource, nothing known: not read beyond its type.
        expect(check({ type: "gcp:compute/network:Network", name: "vpc", props: unknownExcept({}) })).toEqual([]);
        // The clusters with only the judged fields known (network, location, kubeconfig inputs unknown).
        expect(
            check({
                ...aksCluster(),
                props: unknownExcept({
                    resourceName: "zta-aks",
                    enableRBAC: true,
                    networkProfile: unknownExcept({ networkPolicy: "azure" }),
                }),
            }),
        ).toEqual([]);
        expect(
            check({
                ...gkeCluster(),
                props: unknownExcept({
                    name: "zta-gke",
                    datapathProvider: "ADVANCED_DATAPATH",
                    networkPolicy: undefined,
                    enableAutopilot: undefined,
                    deletionProtection: false,
                    deletionPolicy: undefined,
                }),
            }),
        ).toEqual([]);
        // A release whose other values are unknown; skipAwait is not read without a LoadBalancer.
        const releaseProps = (values: Record<string, unknown>) =>
            unknownExcept({ name: "gateway", namespace: "istio-ingress", chart: "gateway", values: unknownExcept(values) });
        expect(
            check({ type: "kubernetes:helm.sh/v3:Release", name: "r", props: releaseProps({ service: { type: "ClusterIP" } }) }),
        ).toEqual([]);
        // An unknown name does not hide a violation: the message says auto-named.
        const judged = {
            datapathProvider: "ADVANCED_DATAPATH",
            networkPolicy: undefined,
            enableAutopilot: undefined,
            deletionPolicy: undefined,
        };
        expect(check({ ...gkeCluster(), props: unknownExcept({ ...judged, deletionProtection: true }) })).toEqual([
            expect.stringMatching(/^GKE Cluster \(auto-named\) \[cloud-gke @ gcp-provider\]: deletionProtection is true; must be false/),
        ]);
    });

    test("objects are recognised by kind, also as a CustomResource typed only by its props", () => {
        const pa = {
            type: "kubernetes:apiextensions.k8s.io:CustomResource",
            name: "pa",
            props: {
                apiVersion: "security.istio.io/v1beta1",
                kind: "PeerAuthentication",
                metadata: { name: "x", namespace: "apps" },
                spec: { mtls: { mode: "DISABLE" } },
            },
        };
        expect(k8sKind(pa)).toEqual({ group: "security.istio.io", kind: "PeerAuthentication" });
        expect(k8sKind({ type: "kubernetes:core/v1:Namespace", name: "n", props: {} })).toEqual({ group: "", kind: "Namespace" });
        expect(k8sKind({ type: "pulumi:providers:kubernetes", name: "p", props: {} })).toBeUndefined();
        expect(evaluate([pa]).map((v) => v.message)).toEqual([
            expect.stringMatching(/^PeerAuthentication apps\/x \[pa\]: spec\.mtls\.mode is "DISABLE"/),
        ]);
    });

    test("Go durations and image references", () => {
        expect(goDurationSeconds("24h")).toBe(86400);
        expect(goDurationSeconds("1h30m")).toBe(5400);
        expect(goDurationSeconds("86400s")).toBe(86400);
        expect(goDurationSeconds("23h59m59.5s")).toBeCloseTo(86399.5);
        expect(goDurationSeconds("1500ms")).toBe(1.5);
        expect(goDurationSeconds("1d")).toBeUndefined();
        expect(goDurationSeconds("24")).toBeUndefined();
        expect(imagePinned("docker.io/istio/proxyv2:1.26.4")).toBe(true);
        expect(imagePinned("localhost:5000/web:1.0")).toBe(true);
        expect(imagePinned("localhost:5000/web")).toBe(false);
        expect(imagePinned("web:latest")).toBe(false);
        expect(imagePinned(`web@sha256:${"0".repeat(64)}`)).toBe(true);
        // tag and digest (what versions.json imageDigests renders): pulled by digest
        expect(imagePinned(`docker.io/istio/proxyv2:1.30.3@sha256:${"a".repeat(64)}`)).toBe(true);
        expect(imagePinned(`10.5.0.2:5000/istio/curl:8.16.0@sha256:${"a".repeat(64)}`)).toBe(true);
        // a malformed digest is not a pin, even behind a tag
        expect(imagePinned("web:1.0@sha256:abc")).toBe(false);
        expect(imagePinned(`web:1.0@sha256:${"A".repeat(64)}`)).toBe(false);
        expect(imagePinned(`web:latest@sha512:${"0".repeat(128)}`)).toBe(false);
    });
});

describe("policypack/index.ts", () => {
    test("registers every rule of rules.ts exactly once, mandatory, in a mandatory pack named zta-zero-trust", async () => {
        const { PolicyPack } = jest.requireMock("@pulumi/policy");
        const pack = await import("../../policypack");
        expect(PolicyPack).toHaveBeenCalledTimes(1);
        const [name, args] = PolicyPack.mock.calls[0];
        expect(name).toBe("zta-zero-trust");
        expect(args.enforcementLevel).toBe("mandatory");
        const registered: string[] = args.policies.map((p: { name: string }) => p.name);
        expect([...registered].sort()).toEqual(rules.map((r) => r.name).sort());
        expect(new Set(registered).size).toBe(registered.length);
        for (const p of args.policies) {
            expect(p.enforcementLevel).toBe("mandatory");
            const rule = rules.find((r) => r.name === p.name) as Rule;
            expect(p.description).toContain(rule.reference);
            expect(typeof (rule.scope === "resource" ? p.validateResource : p.validateStack)).toBe("function");
        }
        expect(pack.policies).toBe(args.policies);
    });

    test("the adapters hand the SDK's resources to the rules and report every message", async () => {
        const { policies } = await import("../../policypack");
        const reported: string[] = [];
        const report = (m: string) => reported.push(m);
        const ns = {
            type: "kubernetes:core/v1:Namespace",
            name: "namespace-apps",
            props: { metadata: { name: "apps" } },
            provider: { name: "c1-provider" },
        };
        const psa = policies.find((p) => p.name === "namespace-pod-security") as any;
        await psa.validateResource({ ...ns, urn: "urn:x" }, report);
        expect(reported).toEqual([expect.stringMatching(/^Namespace apps \[namespace-apps @ c1-provider\]: metadata\.labels/)]);
        reported.length = 0;
        const deny = policies.find((p) => p.name === "namespace-default-deny") as any;
        await deny.validateStack({ resources: [ns] }, report);
        expect(reported).toEqual([
            expect.stringMatching(/^Namespace apps \[namespace-apps @ c1-provider\]: namespace "apps" has no default-deny/),
        ]);
    });
});
