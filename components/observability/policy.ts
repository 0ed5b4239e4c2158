/**
 * The observability layer's zero-trust policy, pure: NetworkPolicies allowing exactly the scrape, federation and
 * query paths (and the egress Kiali needs), and the ALLOW AuthorizationPolicies naming who may query or federate a
 * Prometheus. UIs get no allow at all: they are reached by port-forward (loopback in the pod, no policy applies).
 */

import { allowFrom, AuthorizationPolicy, principal } from "../policy/mesh";
import { Destination, allowIstiodEgress, allowMetricsScrape, gatewayDestinations } from "../policy/network";
import { istioNamespace, gatewayPodLabels, istiodPodLabels, istioPorts } from "../core/istio";
import {
    Endpoint,
    NetworkPolicy,
    allowDnsEgress,
    apiServerEndpoint,
    defaultDeny,
    inNamespace,
    ipBlock,
    podPolicy,
    tcp,
    uniqueEndpoints,
} from "../core/networkPolicy";
import { grafanaLabels, kialiLabels, observabilityNamespace, ports, prometheusLabels, serviceAccounts } from "./objects";

/** Istio's metrics ports a Prometheus scrapes (plaintext by design; outside the sidecar's capture). */
export const scrapePorts = [istioPorts.mergedMetrics, istioPorts.istiodMetrics] as const;

export interface ScrapeTargetInput {
    /** Meshed namespaces whose proxies Prometheus scrapes. */
    readonly namespaces: readonly string[];
}

/**
 * In each scraped namespace: the local Prometheus (only) may connect to the proxies' metrics ports; in istio-system
 * also istiod's 15014, from Prometheus and from Kiali (istiod /version).
 */
export function scrapeTargetPolicies(input: ScrapeTargetInput): NetworkPolicy[] {
    return input.namespaces.map((ns) => {
        const p = allowMetricsScrape(ns, observabilityNamespace, prometheusLabels);
        if (ns !== istioNamespace) {
            return p;
        }
        // Kiali asks istiod for its version on the monitoring port.
        const kiali = { from: [inNamespace(observabilityNamespace, kialiLabels)], ports: tcp(istioPorts.istiodMetrics) };
        return { ...p, spec: { ...p.spec, ingress: [...(p.spec.ingress ?? []), kiali] } };
    });
}

export interface ObservabilityNetworkInput {
    /** The mesh cluster runs the federator, Grafana and Kiali. */
    readonly mesh: boolean;
    /** This cluster's API server as pods reach it (after Service translation). */
    readonly localApiServers: readonly Endpoint[];
    /** Kiali: the other clusters' API server URLs (its remote kubeconfigs). */
    readonly remoteApiServers: readonly string[];
    /**
     * The federator: the federated clusters' east-west gateways as blocks (core/networkPolicy.ts crossNetworkBlocks);
     * empty: nothing to federate, no federation egress.
     */
    readonly federationBlocks: readonly string[];
    /** Kiali: where the OpenID issuer is reached (Keycloak), as an address or as pods. */
    readonly keycloak?:
        | { readonly kind: "address"; readonly endpoint: Endpoint }
        | { readonly kind: "pods"; readonly namespace: string; readonly podLabels: Record<string, string>; readonly port: number };
}

const apiEgress = (endpoints: readonly Endpoint[]) =>
    endpoints.map((e) => ({ to: [ipBlock("apiServers", e.address)], ports: tcp(e.port) }));

/** Namespace `observability`: default deny, then exactly the paths below. */
export function observabilityNetworkPolicies(input: ObservabilityNetworkInput): NetworkPolicy[] {
    const ns = observabilityNamespace;
    const prometheus = { ...prometheusLabels };
    const list: NetworkPolicy[] = [
        allowDnsEgress(ns),
        allowIstiodEgress(ns),
        // The scrape: every pod of the cluster on Istio's metrics ports, and the API server for discovery.
        podPolicy("allow-prometheus-egress", ns, prometheus, {
            egress: [{ to: [{ namespaceSelector: {} }], ports: tcp(...scrapePorts) }, ...apiEgress(input.localApiServers)],
        }),
        // Its own namespace's sidecars are scraped too.
        allowMetricsScrape(ns, ns, prometheus),
    ];
    if (input.mesh) {
        const keycloak = input.keycloak;
        if (input.federationBlocks.length > 0) {
            // Federation leaves through the sidecar as mTLS to the federated clusters' east-west gateways (15443 only).
            list.push(
                podPolicy("allow-federation-egress", ns, prometheus, {
                    egress: [
                        {
                            to: input.federationBlocks.map((b, i) => ipBlock(`federationBlocks[${i}]`, b)),
                            ports: tcp(istioPorts.crossNetwork),
                        },
                    ],
                }),
            );
        }
        list.push(
            podPolicy("allow-prometheus-queries", ns, prometheus, {
                ingress: [{ from: [inNamespace(ns, grafanaLabels), inNamespace(ns, kialiLabels)], ports: tcp(ports.prometheus) }],
            }),
            podPolicy("allow-grafana-egress", ns, grafanaLabels, {
                egress: [{ to: [inNamespace(ns, prometheus)], ports: tcp(ports.prometheus) }],
            }),
            podPolicy("allow-kiali-egress", ns, kialiLabels, {
                egress: [
                    { to: [inNamespace(ns, prometheus)], ports: tcp(ports.prometheus) },
                    { to: [inNamespace(istioNamespace, istiodPodLabels)], ports: tcp(istioPorts.istiodMetrics) },
                    ...apiEgress(uniqueEndpoints([...input.localApiServers, ...input.remoteApiServers.map(apiServerEndpoint)])),
                    ...(keycloak === undefined
                        ? []
                        : keycloak.kind === "address"
                          ? apiEgress([keycloak.endpoint])
                          : [{ to: [inNamespace(keycloak.namespace, keycloak.podLabels)], ports: tcp(keycloak.port) }]),
                ],
            }),
        );
    } else {
        // The federator's requests arrive through this cluster's east-west gateway.
        list.push(
            podPolicy("allow-federation-ingress", ns, prometheus, {
                ingress: [{ from: [inNamespace(istioNamespace, gatewayPodLabels.eastWest)], ports: tcp(ports.prometheus) }],
            }),
        );
    }
    list.push(defaultDeny(ns));
    return list;
}

/**
 * Where this cluster's east-west gateway forwards into `observability`: the federator's requests to the local
 * Prometheus (clusters other than the mesh cluster), read from the policies above that admit the gateway.
 */
export function observabilityGatewayDestinations(mesh: boolean): Destination[] {
    const policies = observabilityNetworkPolicies({ mesh, localApiServers: [], remoteApiServers: [], federationBlocks: [] });
    return gatewayDestinations(policies, "eastWest", istioNamespace);
}

/**
 * Who may call a Prometheus (on top of the mesh-wide allow-nothing): in the mesh cluster Grafana and Kiali query
 * the API; elsewhere only the federator may GET /federate. Identities are exact; the trust domain spans all clusters.
 */
export function observabilityAuthorizationPolicies(trustDomain: string, mesh: boolean): AuthorizationPolicy[] {
    const id = (sa: string) => principal(trustDomain, observabilityNamespace, sa);
    return [
        mesh
            ? allowFrom({
                  name: "prometheus-queries",
                  namespace: observabilityNamespace,
                  selector: { ...prometheusLabels },
                  principals: [id(serviceAccounts.grafana), id(serviceAccounts.kiali)],
                  ports: [String(ports.prometheus)],
                  // Grafana queries with POST; Kiali's client tries POST then GET; Kiali checks /-/healthy.
                  methods: ["GET", "POST"],
                  paths: ["/api/v1/*", "/-/healthy"],
              })
            : allowFrom({
                  name: "prometheus-federate",
                  namespace: observabilityNamespace,
                  selector: { ...prometheusLabels },
                  principals: [id(serviceAccounts.federator)],
                  ports: [String(ports.prometheus)],
                  methods: ["GET"],
                  paths: ["/federate"],
              }),
    ];
}
