/**
 * Control-plane checks against running clusters: what each istiod actually serves, asked the way its proxies and
 * workloads ask (xDS and CSR over its TLS port, with real pods' tokens), plus its own readiness and remote-cluster
 * sync. Run by the sim tier (tests/sim) and by `npm run verify -- <stack>` against any stack's clusters.
 * No data plane is involved: what Envoy would DO with this configuration stays unproven without one.
 */
import { X509Certificate } from "node:crypto";
import { crossNetworkPort, eastWestGatewayName, istioNamespace, istiodPodLabels } from "../../core/istio";
import { principal } from "../../policy/mesh";
import { sampleNamespace, samplePorts } from "../../workloads/samples";
import { certName, hoursLeft, lifetimeHours, pemCertificates, uriSans, verifyChain } from "./certs";
import { IstiodClient, IstiodEndpoint, PodRef, metricSamples, podToken, proxyNode, readyPods } from "./istiodClient";
import { Kube } from "./kube";
import { remoteSecretClusters, remoteSyncVerdict } from "./remoteSync";
import {
    Json,
    XdsDump,
    admitsAnyone,
    effectivePolicies,
    endpointsOf,
    filterChains,
    jwtProviders,
    networkRbacPolicies,
    principalNames,
    rbacPolicies,
    requiredJwtClaims,
    virtualHosts,
} from "./xds";

/** The checks run per cluster, in order. */
export const controlPlaneCheckIds = [
    "istiod-ready",
    "remote-clusters-synced",
    "xds-cross-network-endpoints",
    "xds-deny-by-default",
    "xds-inbound-mtls-rbac",
    "xds-ingress-jwt",
    "xds-no-rejects",
    "ca-workload-certificate",
    "ca-cross-cluster-trust",
] as const;
export type ControlPlaneCheckId = (typeof controlPlaneCheckIds)[number];

export interface LiveCluster {
    /** Istio cluster ID. */
    readonly name: string;
    readonly network: string;
    /** Admin access to its API server. */
    readonly kube: Kube;
    /** Where its istiod answers (pod IP in the sim, a port-forward for live clusters). */
    readonly istiod: (pod: PodRef) => Promise<IstiodEndpoint & { close?: () => void }>;
}

export interface MeshExpectations {
    readonly trustDomain: string;
    /** The shared root the program deployed (PEM). */
    readonly rootCertPem: string;
    readonly workloadCertTtlHours: number;
    readonly ingressNamespace: string;
    /** Istio version proxies announce (node metadata). */
    readonly istioVersion: string;
}

export interface CheckResult {
    readonly id: ControlPlaneCheckId;
    readonly cluster: string;
    readonly ok: boolean;
    readonly detail: string;
}

export interface ClusterFacts {
    readonly cluster: string;
    istiodPod?: string;
    remoteSync: Record<string, string>;
    crossNetworkEndpoints: string[];
    localEndpoints: string[];
    workloadCert?: { spiffe: string; chain: string[]; hoursToExpiry: number; lifetimeHours: number };
    intermediate?: { subject: string; hoursToExpiry: number };
    policies: string[];
    xdsResources: number;
    nacks: number;
}

export interface ControlPlaneReport {
    readonly results: CheckResult[];
    readonly facts: ClusterFacts[];
}

/** The expectations a deployed stack's outputs carry (rootCert, controlPlaneExpectations). */
export function expectationsFrom(outputs: Record<string, { value: unknown }>): MeshExpectations {
    const e = outputs.controlPlaneExpectations?.value as
        { trustDomain: string; workloadCertTtlHours: number; ingressNamespace: string; istio: string } | undefined;
    const rootCertPem = outputs.rootCert?.value as string | undefined;
    if (!e || !rootCertPem) {
        throw new Error(
            "the stack has no controlPlaneExpectations/rootCert outputs: run `pulumi up` with this version of the program first",
        );
    }
    return {
        trustDomain: e.trustDomain,
        workloadCertTtlHours: e.workloadCertTtlHours,
        ingressNamespace: e.ingressNamespace,
        rootCertPem,
        istioVersion: e.istio,
    };
}

/** Cluster name → network, from the stack's `clusters` output. */
export function networksFrom(outputs: Record<string, { value: unknown }>): Record<string, string> {
    const clusters = (outputs.clusters?.value ?? {}) as Record<string, { network?: string }>;
    return Object.fromEntries(Object.entries(clusters).map(([n, c]) => [n, c.network ?? ""]));
}

const helloworldCluster = `outbound|${samplePorts.helloworld}||helloworld.${sampleNamespace}.svc.cluster.local`;

const sameCert = (a: X509Certificate, b: X509Certificate) => a.fingerprint256 === b.fingerprint256;

/** The checks a stack's clusters must pass; each failure names the cluster and what was seen instead. */
export async function controlPlaneChecks(
    clusters: readonly LiveCluster[],
    expect: MeshExpectations,
    ztaXds: string,
): Promise<ControlPlaneReport> {
    const results: CheckResult[] = [];
    const facts: ClusterFacts[] = [];
    const record = (id: ControlPlaneCheckId, cluster: string, ok: boolean, detail: string) => results.push({ id, cluster, ok, detail });
    const roots = pemCertificates(expect.rootCertPem);
    if (roots.length === 0) {
        throw new Error("the expected root certificate is not PEM");
    }

    // what every cluster's checks need of the others: pod IPs, east-west gateway addresses, workload certificates
    const podIPs = new Map<string, Set<string>>();
    const eastWest = new Map<string, string[]>();
    for (const c of clusters) {
        const pods = await c.kube.getOk<{ items: { status?: { podIP?: string } }[] }>("/api/v1/pods");
        podIPs.set(c.name, new Set(pods.items.map((p) => p.status?.podIP ?? "").filter(Boolean)));
        const svc = await c.kube.getOk<{ status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } }>(
            `/api/v1/namespaces/${istioNamespace}/services/${eastWestGatewayName}`,
        );
        eastWest.set(c.name, (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? "").filter(Boolean));
    }
    const certs = new Map<string, X509Certificate[]>();
    const bundles = new Map<string, X509Certificate[]>();

    for (const c of clusters) {
        const f: ClusterFacts = {
            cluster: c.name,
            remoteSync: {},
            crossNetworkEndpoints: [],
            localEndpoints: [],
            policies: [],
            xdsResources: 0,
            nacks: 0,
        };
        facts.push(f);
        // a. istiod Ready, publishing our root
        const istiods = await readyPods(c.kube, istioNamespace, `app=${istiodPodLabels.app}`);
        if (istiods.length === 0) {
            record("istiod-ready", c.name, false, "no Ready istiod pod in istio-system");
            continue;
        }
        f.istiodPod = istiods[0].name;
        const cm = await c.kube.getOk<{ data?: Record<string, string> }>(
            `/api/v1/namespaces/${istioNamespace}/configmaps/istio-ca-root-cert`,
        );
        const published = pemCertificates(cm.data?.["root-cert.pem"] ?? "");
        bundles.set(c.name, published);
        const hasRoot = roots.every((r) => published.some((p) => sameCert(p, r)));
        record(
            "istiod-ready",
            c.name,
            hasRoot,
            hasRoot
                ? `istiod ${istiods[0].name} Ready; istio-ca-root-cert = the mesh root (${roots[0].fingerprint256.slice(0, 23)}…)`
                : `istio-ca-root-cert holds ${published.map((p) => certName(p)).join("; ") || "nothing"}, not the mesh root`,
        );

        const endpoint = await c.istiod(istiods[0]);
        try {
            const client = new IstiodClient(ztaXds, endpoint, cm.data?.["root-cert.pem"] ?? "");
            // b. remote clusters synced (istiod's own gauge)
            const metrics = await client.metrics();
            const others = clusters.filter((o) => o.name !== c.name).map((o) => o.name);
            const sync = remoteSyncVerdict(metrics, [...others, ...(await remoteSecretClusters(c.kube))]);
            Object.assign(f.remoteSync, sync.statuses);
            record("remote-clusters-synced", c.name, sync.unsynced.length === 0, sync.detail);

            const dumps: XdsDump[] = [];
            const asProxy = async (pod: PodRef) => {
                const dump = await client.xds(await podToken(c.kube, pod), proxyNode(pod, c.name, expect.istioVersion));
                dumps.push(dump);
                return dump;
            };
            const sample = async (app: string) => (await readyPods(c.kube, sampleNamespace, `app=${app}`))[0];

            // c1. cross-network endpoints, as the curl sidecar sees them
            const curl = await sample("curl");
            const hello = await readyPods(c.kube, sampleNamespace, "app=helloworld");
            if (!curl || hello.length === 0) {
                record(
                    "xds-cross-network-endpoints",
                    c.name,
                    false,
                    `sample pods missing (curl: ${curl ? "yes" : "no"}, helloworld: ${hello.length})`,
                );
            } else {
                const eps = endpointsOf(await asProxy(curl), helloworldCluster);
                const addr = (e: { address: string; port: number }) => `${e.address}:${e.port}`;
                f.localEndpoints = eps.filter((e) => podIPs.get(c.name)?.has(e.address)).map(addr);
                f.crossNetworkEndpoints = eps.filter((e) => !podIPs.get(c.name)?.has(e.address)).map(addr);
                const problems: string[] = [];
                for (const h of hello) {
                    if (!eps.some((e) => e.address === h.ip && e.port === samplePorts.helloworld)) {
                        problems.push(`local pod ${h.name} (${h.ip}:${samplePorts.helloworld}) missing`);
                    }
                }
                for (const o of others) {
                    const gw = eastWest.get(o) ?? [];
                    if (!eps.some((e) => gw.includes(e.address) && e.port === crossNetworkPort)) {
                        problems.push(`${o}'s east-west gateway (${gw.join(",") || "no address"}:${crossNetworkPort}) missing`);
                    }
                    const leaked = eps.filter((e) => podIPs.get(o)?.has(e.address) && !podIPs.get(c.name)?.has(e.address));
                    if (leaked.length > 0) {
                        problems.push(`${o}'s pod IPs served directly: ${leaked.map(addr).join(", ")}`);
                    }
                }
                const strangers = eps.filter(
                    (e) => !podIPs.get(c.name)?.has(e.address) && !others.some((o) => (eastWest.get(o) ?? []).includes(e.address)),
                );
                if (strangers.length > 0) {
                    problems.push(
                        `endpoints that are neither local pods nor a peer's east-west gateway: ${strangers.map(addr).join(", ")}`,
                    );
                }
                record(
                    "xds-cross-network-endpoints",
                    c.name,
                    problems.length === 0,
                    problems.length === 0
                        ? `helloworld from ${c.name}: local ${f.localEndpoints.join(", ")}; remote via east-west ${f.crossNetworkEndpoints.join(", ")}`
                        : problems.join("; "),
                );

                // c3. a workload no ALLOW selects (curl) is denied everything inbound
                const curlDump = dumps[dumps.length - 1];
                const open = filterChains(curlDump, "virtualInbound").flatMap((ch) =>
                    Object.keys(effectivePolicies({ ...(rbacPolicies(ch) ?? {}), ...(networkRbacPolicies(ch) ?? {}) })).map(
                        (p) => `${ch.name}: ${p}`,
                    ),
                );
                record(
                    "xds-deny-by-default",
                    c.name,
                    open.length === 0,
                    open.length === 0
                        ? "curl (no ALLOW selects it): every inbound chain's RBAC admits nothing"
                        : `curl's inbound admits: ${open.join("; ")}`,
                );
            }

            // c2. helloworld inbound: mTLS only, RBAC = exactly the curl identity
            if (hello.length > 0) {
                const dump = await asProxy(hello[0]);
                const chains = filterChains(dump, "virtualInbound");
                const forPort = chains.filter((ch) => ch.destinationPort === samplePorts.helloworld);
                const catchAll = chains.filter((ch) => ch.destinationPort === undefined);
                const plain = [...forPort, ...catchAll].filter((ch) => !ch.mtls);
                const expected = `spiffe://${principal(expect.trustDomain, sampleNamespace, "curl")}`;
                const admitted = forPort.flatMap((ch) =>
                    Object.values(effectivePolicies(rbacPolicies(ch) ?? {}, samplePorts.helloworld)).flatMap((p) => p.principals),
                );
                const names = [...new Set(admitted.flatMap(principalNames))];
                const anyone = admitted.some(admitsAnyone);
                f.policies.push(...forPort.flatMap((ch) => Object.keys(effectivePolicies(rbacPolicies(ch) ?? {}, samplePorts.helloworld))));
                const ok = forPort.length > 0 && plain.length === 0 && !anyone && names.length === 1 && names[0] === expected;
                record(
                    "xds-inbound-mtls-rbac",
                    c.name,
                    ok,
                    ok
                        ? `helloworld :${samplePorts.helloworld} accepts mTLS only; RBAC admits exactly ${expected}`
                        : [
                              forPort.length === 0 ? `no inbound chain for :${samplePorts.helloworld}` : "",
                              plain.length > 0
                                  ? `chains without required client certificates: ${plain.map((ch) => ch.name).join(", ")}`
                                  : "",
                              anyone ? "a policy admits anyone" : "",
                              names.length !== 1 || names[0] !== expected
                                  ? `RBAC admits ${names.join(", ") || "nobody"}, expected ${expected}`
                                  : "",
                          ]
                              .filter(Boolean)
                              .join("; "),
                );
            }

            // c4. the ingress gateway: JWT with the deployed issuer/audience/JWKS, RBAC requiring a request principal
            const gateways = await readyPods(c.kube, expect.ingressNamespace, "istio=ingressgateway");
            const ra = await c.kube.get(
                `/apis/security.istio.io/v1/namespaces/${expect.ingressNamespace}/requestauthentications/ingress-jwt`,
            );
            if (gateways.length === 0 || ra.status !== 200) {
                record(
                    "xds-ingress-jwt",
                    c.name,
                    false,
                    `ingress gateway pods: ${gateways.length}; RequestAuthentication ingress-jwt: HTTP ${ra.status}`,
                );
            } else {
                const rule = (ra.body.spec?.jwtRules ?? [])[0];
                const dump = await asProxy(gateways[0]);
                record("xds-ingress-jwt", c.name, ...ingressVerdict(dump, rule));
            }

            // c5. nothing a proxy would reject, and istiod counted no rejection
            const nacks = dumps.flatMap((d) => d.nacks);
            const rejects = metricSamples(await client.metrics(), "pilot_total_xds_rejects").reduce((a, s) => a + s.value, 0);
            f.nacks = nacks.length;
            f.xdsResources = dumps.reduce(
                (a, d) => a + Object.values(d.resources).reduce((b, r: readonly Json[] | null) => b + (r?.length ?? 0), 0),
                0,
            );
            record(
                "xds-no-rejects",
                c.name,
                nacks.length === 0 && rejects === 0,
                nacks.length === 0 && rejects === 0
                    ? `${f.xdsResources} resources for ${dumps.length} proxies pass Envoy's proto validation; pilot_total_xds_rejects 0`
                    : `${nacks.length} invalid: ${nacks
                          .map((n) => `${n.typeUrl.split(".").pop()} ${n.name}: ${n.error}`)
                          .join("; ")
                          .slice(0, 500)}; istiod rejects ${rejects}`,
            );

            // d. a workload certificate from this istiod's CA
            if (curl) {
                const spiffe = `spiffe://${principal(expect.trustDomain, sampleNamespace, curl.serviceAccount)}`;
                const answer = await client.csr(await podToken(c.kube, curl), spiffe, c.name, expect.workloadCertTtlHours);
                const chain = pemCertificates((answer.chain ?? []).join("\n"));
                const cacerts = await c.kube.getOk<{ data?: Record<string, string> }>(
                    `/api/v1/namespaces/${istioNamespace}/secrets/cacerts`,
                );
                // only the certificate of cacerts is read (never its key)
                const intermediate = pemCertificates(Buffer.from(cacerts.data?.["ca-cert.pem"] ?? "", "base64").toString("utf8"))[0];
                const problems: string[] = [];
                if (chain.length === 0) {
                    problems.push(`no certificate: ${answer.error ?? "empty answer"}`);
                } else {
                    const leaf = chain[0];
                    certs.set(c.name, chain);
                    if (!uriSans(leaf).includes(spiffe) || uriSans(leaf).length !== 1) {
                        problems.push(`leaf SANs ${uriSans(leaf).join(", ")} ≠ ${spiffe}`);
                    }
                    const verdict = verifyChain(chain, roots);
                    problems.push(...verdict.problems);
                    if (!intermediate || !leaf.checkIssued(intermediate) || !leaf.verify(intermediate.publicKey)) {
                        problems.push(`leaf not signed by ${c.name}'s intermediate (cacerts ca-cert.pem)`);
                    }
                    // istiod backdates notBefore (clock skew); what it grants from now is the TTL
                    if (hoursLeft(leaf) > expect.workloadCertTtlHours + 0.01) {
                        problems.push(`expires in ${hoursLeft(leaf).toFixed(2)} h > workloadCertTtlHours ${expect.workloadCertTtlHours}`);
                    }
                    f.workloadCert = {
                        spiffe,
                        chain: verdict.path.slice(),
                        hoursToExpiry: hoursLeft(leaf),
                        lifetimeHours: lifetimeHours(leaf),
                    };
                    if (intermediate) {
                        f.intermediate = { subject: certName(intermediate), hoursToExpiry: hoursLeft(intermediate) };
                    }
                }
                record(
                    "ca-workload-certificate",
                    c.name,
                    problems.length === 0,
                    problems.length === 0
                        ? `${spiffe}: ${f.workloadCert?.chain.join(" → ")}; ${f.workloadCert?.lifetimeHours.toFixed(1)} h lifetime`
                        : problems.join("; "),
                );
            }
        } finally {
            endpoint.close?.();
        }
    }

    // d'. every cluster's workload certificate verifies against every other cluster's published root bundle
    for (const c of clusters) {
        const others = clusters.filter((o) => o.name !== c.name && certs.has(o.name));
        const bundle = bundles.get(c.name) ?? [];
        if (!certs.has(c.name) && others.length === 0) {
            continue;
        }
        const failures = others.filter((o) => !verifyChain(certs.get(o.name) ?? [], bundle).ok).map((o) => o.name);
        record(
            "ca-cross-cluster-trust",
            c.name,
            others.length > 0 && failures.length === 0,
            failures.length === 0
                ? `${c.name}'s istio-ca-root-cert verifies workload certificates of ${others.map((o) => o.name).join(", ") || "(none issued elsewhere)"}`
                : `${c.name}'s root bundle does not verify certificates of ${failures.join(", ")}`,
        );
    }
    return { results, facts };
}

/** The ingress gateway's listeners against the RequestAuthentication rule the cluster holds. */
export function ingressVerdict(dump: XdsDump, rule: Json): [boolean, string] {
    const problems: string[] = [];
    const listeners = ((dump.resources.listeners ?? []) as Json[]).map((l: Json) => String(l.name));
    let https = 0;
    for (const name of listeners) {
        for (const ch of filterChains(dump, name)) {
            const providers = jwtProviders(ch);
            if (providers.length !== 1) {
                problems.push(`${name}: ${providers.length} JWT providers (expected 1)`);
                continue;
            }
            const p = providers[0];
            if (p.issuer !== rule?.issuer) {
                problems.push(`${name}: issuer ${p.issuer} ≠ ${rule?.issuer}`);
            }
            if (JSON.stringify([...p.audiences].sort()) !== JSON.stringify([...((rule?.audiences ?? []) as string[])].sort())) {
                problems.push(`${name}: audiences ${p.audiences.join(",")} ≠ ${((rule?.audiences ?? []) as string[]).join(",")}`);
            }
            if (p.inlineJwks !== rule?.jwks) {
                problems.push(`${name}: inline JWKS differs from the RequestAuthentication's`);
            }
            // The token only from `Authorization: Bearer`: explicit headers, no query parameter or cookie (Envoy's
            // defaults, used when all three are empty, include ?access_token=).
            const headerOnly =
                p.fromHeaders.length > 0 &&
                p.fromHeaders.every((h) => h.name.toLowerCase() === "authorization" && h.prefix === "Bearer ") &&
                p.fromParams.length === 0 &&
                p.fromCookies.length === 0;
            if (!headerOnly) {
                problems.push(
                    `${name}: the token is not read from Authorization: Bearer only (headers ${JSON.stringify(p.fromHeaders)}, params ${JSON.stringify(p.fromParams)}, cookies ${JSON.stringify(p.fromCookies)})`,
                );
            }
            const isPlainHttp = name.endsWith("_80");
            if (isPlainHttp) {
                const hcm = (((dump.resources.listeners ?? []) as Json[]).find((l: Json) => l.name === name)?.filterChains ?? []) as Json[];
                const routeNames = hcm.flatMap((fc: Json) =>
                    ((fc.filters ?? []) as Json[])
                        .map((f: Json) => f.typedConfig?.rds?.routeConfigName as string | undefined)
                        .filter(Boolean),
                ) as string[];
                const vhs = routeNames.flatMap((r) => virtualHosts(dump, r));
                if (vhs.length === 0 || vhs.some((v) => !v.requireTlsAll)) {
                    problems.push(
                        `${name}: plain HTTP is not redirect-only (${vhs
                            .filter((v) => !v.requireTlsAll)
                            .map((v) => v.name)
                            .join(", ")})`,
                    );
                }
                continue;
            }
            https += 1;
            const port = Number(/_(\d+)$/.exec(name)?.[1]);
            const policies = effectivePolicies(rbacPolicies(ch) ?? {}, Number.isFinite(port) ? port : undefined);
            if (Object.keys(policies).length === 0) {
                problems.push(`${name}: no ALLOW policy (everything denied, or no RBAC)`);
            }
            for (const [policy, { principals }] of Object.entries(policies)) {
                const claims = principals.map(requiredJwtClaims);
                const demanding = claims.length > 0 && claims.every((cl) => cl.iss?.exact === rule?.issuer && cl.sub !== undefined);
                if (!demanding) {
                    problems.push(`${name}: policy ${policy} admits requests without a request principal from ${rule?.issuer}`);
                }
            }
        }
    }
    if (https === 0) {
        problems.push("no HTTPS listener with JWT authentication");
    }
    return problems.length === 0
        ? [
              true,
              `${listeners.join(", ")}: JWT from ${rule?.issuer} (aud ${((rule?.audiences ?? []) as string[]).join(",")}, inline JWKS = the cluster's RequestAuthentication), token from Authorization: Bearer only, RBAC requires iss+sub; :80 redirect-only`,
          ]
        : [false, problems.join("; ")];
}
