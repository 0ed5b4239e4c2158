/**
 * The sample workloads that prove the zero-trust mesh, as pure renderers: helloworld v1/v2 behind one Service
 * (cross-network load balancing), a curl client in every cluster, and httpbin behind the JWT-protected ingress.
 * tests/workloads.render.test.ts checks the exact objects, the Pod Security "restricted" fields of every pod
 * template, and the Istio objects against the Istio CRD schemas.
 *
 * Images and tags are those of Istio's samples (samples/helloworld/helloworld.yaml: examples-helloworld-v1/v2:1.0;
 * samples/httpbin/httpbin.yaml: mccutchen/go-httpbin:v2.15.0; samples/curl/curl.yaml at 1.30.3: curlimages/curl:8.16.0).
 */
import type * as k8s from "@pulumi/kubernetes";

import { pullSecretName } from "../platform/pullSecret";
import { allowFrom, AuthorizationPolicy, IstioObject, principal, WorkloadSelector } from "../policy/mesh";
import { allowCrossNetworkEgress, allowFromGateway, allowIstiodEgress } from "../policy/network";

import { ingressGatewayName, istioNamespace, networkingApiVersion, securityApiVersion, gatewayPodLabels } from "../core/istio";
import { allowAppTraffic, allowDnsEgress, defaultDeny, NetworkPolicy } from "../core/networkPolicy";
import { PsaLevel, psaLabels } from "../core/podSecurity";
import { dnsLabel, dnsSubdomain, hostName, httpsUrl, isImageRegistryPrefix, nonEmpty, show } from "../core/validate";

export const sampleNamespace = "sample";
/** The clusters' DNS domain (kubeadm and the managed clouds' default); unrelated to the mesh trust domain. */
export const clusterDomain = "cluster.local";

/**
 * How sidecars get their traffic redirect. `istio-init` is an init container that runs iptables as root with
 * NET_ADMIN and NET_RAW; `istio-cni` does the same from the istio-cni node agent, and the pod only gets the
 * unprivileged `istio-validation` container (uid 1337, no capabilities).
 */
export type SidecarInit = "istio-init" | "istio-cni";

/**
 * The namespace's Pod Security level, from the injected containers (ours satisfy `restricted` either way):
 * - istio-init → `privileged`: Pod Security `baseline` does not allow adding NET_ADMIN or NET_RAW, so `baseline` is
 *   not enough (Istio docs "Install Istio with Pod Security Admission"; istio#35894 shows the exact rejection).
 * - istio-cni → `restricted`: istio-validation and istio-proxy run as uid 1337 with no capabilities, no privilege
 *   escalation and a read-only root; the one field they lack, the seccomp profile, comes from our pod-level
 *   `seccompProfile: RuntimeDefault`, which the pod's containers inherit.
 */
export function samplePsaLevel(sidecarInit: SidecarInit): PsaLevel {
    switch (sidecarInit) {
        case "istio-init":
            return "privileged";
        case "istio-cni":
            return "restricted";
        default:
            throw new Error(`sidecarInit: expected "istio-init" or "istio-cni", got ${show(sidecarInit)}`);
    }
}

export const sampleImageTags = { helloworld: "1.0", httpbin: "v2.15.0", curl: "8.16.0" } as const;
/** Registry (and path) of helloworld when none is given; httpbin and curl then come from their own Docker Hub repos. */
export const defaultSampleRegistry = "docker.io/istio";

export interface SampleImages {
    readonly helloworldV1: string;
    readonly helloworldV2: string;
    readonly httpbin: string;
    readonly curl: string;
}

/**
 * Image references. With `registry` (a private mirror, e.g. "10.5.0.2:5000/istio", like the `istioHub` override), every
 * image is `<registry>/<last path element of the upstream repo>:<tag>`: examples-helloworld-v1, examples-helloworld-v2,
 * go-httpbin, curl.
 */
export function sampleImages(registry?: string): SampleImages {
    if (registry !== undefined && !isImageRegistryPrefix(registry)) {
        throw new Error(
            `registry: expected a registry host[:port] with an optional path like "10.5.0.2:5000/istio" (no scheme, tag or trailing slash), got ${show(registry)}`,
        );
    }
    const t = sampleImageTags;
    const helloworld = registry ?? defaultSampleRegistry;
    return {
        helloworldV1: `${helloworld}/examples-helloworld-v1:${t.helloworld}`,
        helloworldV2: `${helloworld}/examples-helloworld-v2:${t.helloworld}`,
        httpbin: registry ? `${registry}/go-httpbin:${t.httpbin}` : `docker.io/mccutchen/go-httpbin:${t.httpbin}`,
        curl: registry ? `${registry}/curl:${t.curl}` : `docker.io/curlimages/curl:${t.curl}`,
    };
}

export type HelloworldVersion = "v1" | "v2";

export interface SampleInput {
    readonly sidecarInit: SidecarInit;
    /** Private mirror holding the sample images; default the upstream repositories. */
    readonly registry?: string;
    /** True when the namespace holds the registry pull secret (`pullSecretName`). */
    readonly pullSecret: boolean;
    /** helloworld versions this cluster runs (e.g. v1 on one cluster, v2 on the other); default both. */
    readonly helloworldVersions?: readonly HelloworldVersion[];
    /** Whether this cluster runs httpbin (the ingress backend); default true. */
    readonly httpbin?: boolean;
}

interface Meta {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Record<string, string>;
}

export interface Namespace {
    readonly apiVersion: "v1";
    readonly kind: "Namespace";
    readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
}

export interface ServiceAccount {
    readonly apiVersion: "v1";
    readonly kind: "ServiceAccount";
    readonly metadata: Meta;
    readonly automountServiceAccountToken: false;
}

export interface Service {
    readonly apiVersion: "v1";
    readonly kind: "Service";
    readonly metadata: Meta;
    readonly spec: {
        readonly selector: Record<string, string>;
        readonly ports: { readonly name: string; readonly port: number; readonly targetPort: number; readonly protocol: "TCP" }[];
    };
}

export interface Deployment {
    readonly apiVersion: "apps/v1";
    readonly kind: "Deployment";
    readonly metadata: Meta;
    readonly spec: {
        readonly replicas: number;
        readonly selector: { readonly matchLabels: Record<string, string> };
        readonly template: {
            readonly metadata: { readonly labels: Record<string, string> };
            readonly spec: k8s.types.input.core.v1.PodSpec;
        };
    };
}

export interface SampleObjects {
    readonly namespace: Namespace;
    readonly serviceAccounts: ServiceAccount[];
    readonly services: Service[];
    readonly deployments: Deployment[];
}

/** Ports of the sample containers (httpbin's Service maps 8000 → 8080, as upstream). */
export const samplePorts = { helloworld: 5000, httpbin: 8080, httpbinService: 8000 } as const;

interface Workload {
    readonly name: string;
    readonly serviceAccount: string;
    readonly labels: Record<string, string>;
    readonly image: string;
    /** Explicit uid/gid: runAsNonRoot alone fails for images whose USER is root or a name the kubelet cannot check. */
    readonly uid: number;
    readonly gid: number;
    readonly command?: string[];
    readonly port?: number;
    readonly probe: k8s.types.input.core.v1.Probe;
    readonly resources: { readonly requests: Record<string, string>; readonly limits: Record<string, string> };
    /** emptyDir at /tmp for images that write there under a read-only root. */
    readonly tmp: boolean;
}

/** The container security context of every pod we deploy (PSS restricted and more): explicit non-root ids. */
export function hardenedContainer(uid: number, gid: number) {
    return {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
    } satisfies k8s.types.input.core.v1.SecurityContext;
}

function serviceAccount(name: string): ServiceAccount {
    // No token in the pods: the sidecar authenticates to istiod with its own projected `istio-token` volume
    // (audience istio-ca, 12 h), which the injection template adds regardless of this setting; the apps never call
    // the API server.
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name, namespace: sampleNamespace },
        automountServiceAccountToken: false,
    };
}

function deployment(w: Workload, pullSecret: boolean): Deployment {
    const container = {
        name: w.name.replace(/-v[0-9]+$/, ""),
        image: w.image,
        imagePullPolicy: "IfNotPresent",
        ...(w.command ? { command: w.command } : {}),
        ...(w.port ? { ports: [{ name: "http", containerPort: w.port, protocol: "TCP" }] } : {}),
        resources: { requests: { ...w.resources.requests }, limits: { ...w.resources.limits } },
        readinessProbe: w.probe,
        livenessProbe: { ...w.probe, periodSeconds: 20, failureThreshold: 3 },
        securityContext: hardenedContainer(w.uid, w.gid),
        ...(w.tmp ? { volumeMounts: [{ name: "tmp", mountPath: "/tmp" }] } : {}),
    } satisfies k8s.types.input.core.v1.Container;
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: w.name, namespace: sampleNamespace, labels: { ...w.labels } },
        spec: {
            replicas: 1,
            selector: { matchLabels: { ...w.labels } },
            template: {
                metadata: { labels: { ...w.labels } },
                spec: {
                    serviceAccountName: w.serviceAccount,
                    automountServiceAccountToken: false,
                    // No Service env vars: nothing reads them, and they leak the namespace's service layout.
                    enableServiceLinks: false,
                    // Pod level, so that the injected istio-proxy/istio-validation inherit the seccomp profile.
                    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                    ...(pullSecret ? { imagePullSecrets: [{ name: pullSecretName }] } : {}),
                    containers: [container],
                    ...(w.tmp ? { volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }] } : {}),
                },
            },
        } satisfies k8s.types.input.apps.v1.DeploymentSpec,
    };
}

function service(name: string, selector: Record<string, string>, port: number, targetPort: number): Service {
    // Port name "http" tells Istio the protocol, so HTTP-level AuthorizationPolicy rules (methods, paths) apply.
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: sampleNamespace, labels: { app: name, service: name } },
        spec: { selector: { ...selector }, ports: [{ name: "http", port, targetPort, protocol: "TCP" as const }] },
    } satisfies k8s.types.input.core.v1.Service;
}

const httpProbe = (path: string, port: number): k8s.types.input.core.v1.Probe => ({
    httpGet: { path, port },
    periodSeconds: 10,
    timeoutSeconds: 3,
    failureThreshold: 3,
});

/**
 * Namespace `sample` (sidecar injection on, Pod Security level from `sidecarInit`), one ServiceAccount per workload
 * (helloworld v1 and v2 are one service, so one identity), the Services and the Deployments.
 */
export function sampleObjects(input: SampleInput): SampleObjects {
    const level = samplePsaLevel(input.sidecarInit);
    if (typeof input.pullSecret !== "boolean") {
        throw new Error(`pullSecret: expected true or false, got ${show(input.pullSecret)}`);
    }
    const images = sampleImages(input.registry);
    const versions = input.helloworldVersions ?? ["v1", "v2"];
    versions.forEach((v, i) => {
        if (v !== "v1" && v !== "v2") {
            throw new Error(`helloworldVersions[${i}]: expected "v1" or "v2", got ${show(v)}`);
        }
        if (versions.indexOf(v) !== i) {
            throw new Error(`helloworldVersions[${i}]: duplicate ${show(v)}`);
        }
    });
    const withHttpbin = input.httpbin ?? true;

    const workloads: Workload[] = [
        ...versions.map((v): Workload => ({
            name: `helloworld-${v}`,
            serviceAccount: "helloworld",
            labels: { app: "helloworld", version: v },
            image: v === "v1" ? images.helloworldV1 : images.helloworldV2,
            // python:3.12-slim runs as root by default; gunicorn needs no privileges for port 5000.
            uid: 65534,
            gid: 65534,
            port: samplePorts.helloworld,
            // /health, not /hello: /hello burns CPU on purpose (a million square roots) and would make probes flaky.
            probe: httpProbe("/health", samplePorts.helloworld),
            resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
            // gunicorn keeps its worker heartbeat files in a temp dir.
            tmp: true,
        })),
        {
            name: "curl",
            serviceAccount: "curl",
            labels: { app: "curl" },
            image: images.curl,
            // The image's curl_user (BusyBox adduser -S: uid 100, group curl_group 101); USER by name only.
            uid: 100,
            gid: 101,
            command: ["/bin/sleep", "infinity"],
            probe: { exec: { command: ["curl", "--version"] }, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
            resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
            // Verification commands may write responses to /tmp.
            tmp: true,
        },
        ...(withHttpbin
            ? [
                  {
                      name: "httpbin",
                      serviceAccount: "httpbin",
                      labels: { app: "httpbin", version: "v1" },
                      image: images.httpbin,
                      // Static Go binary on distroless/base (root by default); 65532 is distroless' nonroot user.
                      uid: 65532,
                      gid: 65532,
                      port: samplePorts.httpbin,
                      probe: httpProbe("/status/200", samplePorts.httpbin),
                      resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                      tmp: false,
                  },
              ]
            : []),
    ];

    const accounts = [...new Set(workloads.map((w) => w.serviceAccount))];
    return {
        namespace: {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: sampleNamespace, labels: { "istio-injection": "enabled", ...psaLabels(level) } },
        },
        serviceAccounts: accounts.map(serviceAccount),
        services: [
            // One Service over both versions, in every cluster (even one running neither): clients resolve the name
            // locally and Istio balances across the endpoints of all clusters.
            service("helloworld", { app: "helloworld" }, samplePorts.helloworld, samplePorts.helloworld),
            ...(withHttpbin ? [service("httpbin", { app: "httpbin" }, samplePorts.httpbinService, samplePorts.httpbin)] : []),
        ],
        deployments: workloads.map((w) => deployment(w, input.pullSecret)),
    };
}

export interface SampleNetworkInput {
    /** Namespace of the ingress gateway (its pods call httpbin). */
    readonly ingressNamespace: string;
    /** East-west gateway addresses of the OTHER networks (cross-network calls go there on 15443). */
    readonly remoteGatewayAddresses: readonly string[];
}

/**
 * NetworkPolicies of `sample`, mirroring the AuthorizationPolicies below one layer down: curl → helloworld on 5000
 * (locally, or from the other networks through the east-west gateway), the ingress gateway → httpbin on 8080.
 */
export function sampleNetworkPolicies(input: SampleNetworkInput): NetworkPolicy[] {
    return [
        defaultDeny(sampleNamespace),
        allowDnsEgress(sampleNamespace),
        allowIstiodEgress(sampleNamespace),
        allowAppTraffic(sampleNamespace, [samplePorts.helloworld]),
        // Other networks reach helloworld, and httpbin (every cluster runs one behind the same name, so an ingress
        // gateway balances across networks), through this cluster's east-west gateway.
        allowFromGateway({
            namespace: sampleNamespace,
            gateway: "eastWest",
            gatewayNamespace: istioNamespace,
            ports: [samplePorts.helloworld, samplePorts.httpbin],
        }),
        allowFromGateway({
            namespace: sampleNamespace,
            gateway: "ingress",
            gatewayNamespace: input.ingressNamespace,
            ports: [samplePorts.httpbin],
            podLabels: { app: "httpbin" },
        }),
        ...(input.remoteGatewayAddresses.length > 0 ? [allowCrossNetworkEgress(sampleNamespace, input.remoteGatewayAddresses)] : []),
    ];
}

/**
 * The only calls allowed into `sample` (on top of the mesh-wide allow-nothing): the curl client's identity may GET
 * /hello from helloworld on 5000, and the ingress gateway's identity may call httpbin (container port 8080). The same
 * trust domain spans all clusters, so curl in any cluster is covered, and nothing else is.
 */
export function sampleAuthorizationPolicies(trustDomain: string, ingressNamespace: string): AuthorizationPolicy[] {
    return [
        allowFrom({
            name: "helloworld",
            namespace: sampleNamespace,
            selector: { app: "helloworld" },
            principals: [principal(trustDomain, sampleNamespace, "curl")],
            ports: [String(samplePorts.helloworld)],
            methods: ["GET"],
            paths: ["/hello"],
        }),
        allowFrom({
            name: "httpbin",
            namespace: sampleNamespace,
            selector: { app: "httpbin" },
            // The gateway chart names the service account after the release (components/mesh/values.ts).
            principals: [principal(trustDomain, ingressNamespace, ingressGatewayName)],
            ports: [String(samplePorts.httpbin)],
        }),
    ];
}

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
            readonly route: readonly { readonly destination: { readonly host: string; readonly port: { readonly number: number } } }[];
        }[];
    }
>;

export interface JwtRule {
    readonly issuer: string;
    readonly audiences: readonly string[];
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
                    // Any subject of this issuer (RequestAuthentication already checked signature, expiry, audience).
                    { from: [{ source: { requestPrincipals: [`${issuer}/*`] } }] },
                    // Port 80 serves nothing but the HTTPS redirect; without this rule the redirect would be a 403.
                    { to: [{ operation: { ports: ["80"] } }] },
                ],
            },
        },
    };
}
