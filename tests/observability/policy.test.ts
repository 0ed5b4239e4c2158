/**
 * The observability layer's zero-trust policy (components/observability/policy.ts), judged by what each pod group
 * ends up allowed: the union of every NetworkPolicy that selects it, in each direction, must be exactly the scrape,
 * federation, query and login paths; the AuthorizationPolicies name exact identities.
 */

import { istioNamespace, gatewayPodLabels } from "../../components/core/istio";
import { NetworkPolicy, NetworkPolicyPeer } from "../../components/core/networkPolicy";
import {
    observabilityAuthorizationPolicies,
    observabilityNetworkPolicies,
    scrapeTargetPolicies,
} from "../../components/observability/policy";

type Labels = Record<string, string>;
const ns = "observability";
const groups: Record<string, Labels> = {
    prometheus: { app: "prometheus", "zta.observability/cluster": "cluster1" },
    grafana: { app: "grafana" },
    kiali: { app: "kiali" },
};

/** A peer as one short string: `ip:<cidr>`, `any-pod`, `<namespace>/<k=v,...>` or `<namespace>/*`. */
function peer(p: NetworkPolicyPeer): string {
    if (p.ipBlock) {
        return `ip:${p.ipBlock.cidr}`;
    }
    // No namespaceSelector: the policy's own namespace; an empty one: every namespace.
    const nsLabels = p.namespaceSelector && (p.namespaceSelector.matchLabels ?? {});
    const space = nsLabels === undefined ? ns : Object.keys(nsLabels).length === 0 ? "*" : nsLabels["kubernetes.io/metadata.name"];
    const pods = p.podSelector?.matchLabels;
    if (space === "*" && !pods) {
        return "any-pod";
    }
    return `${space}/${
        pods
            ? Object.entries(pods)
                  .map(([k, v]) => `${k}=${v}`)
                  .sort()
                  .join(",")
            : "*"
    }`;
}

const selects = (policy: NetworkPolicy, labels: Labels) =>
    Object.entries(policy.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

/** What the policies let a pod with `labels` in `namespace` do: `peer port/proto` lines, sorted, without repeats. */
function allowed(list: NetworkPolicy[], namespace: string, labels: Labels, direction: "Ingress" | "Egress"): string[] {
    const lines = new Set<string>();
    for (const policy of list.filter(
        (p) => p.metadata.namespace === namespace && selects(p, labels) && p.spec.policyTypes.includes(direction),
    )) {
        const rules = direction === "Ingress" ? (policy.spec.ingress ?? []) : (policy.spec.egress ?? []);
        for (const rule of rules) {
            const peers = direction === "Ingress" ? ("from" in rule ? rule.from : undefined) : "to" in rule ? rule.to : undefined;
            for (const p of peers ?? [{ ipBlock: { cidr: "anywhere" } }]) {
                for (const port of rule.ports) {
                    lines.add(`${peer(p)} ${port.port}/${port.protocol}`);
                }
            }
        }
    }
    return [...lines].sort();
}

const dns = ["kube-system/k8s-app=kube-dns 53/TCP", "kube-system/k8s-app=kube-dns 53/UDP"];
const xds = "istio-system/app=istiod 15012/TCP";
const scrapedBy = [`${ns}/app=prometheus 15020/TCP`];
const eastWest = `istio-system/${Object.entries(gatewayPodLabels.eastWest)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(",")}`;

describe("observabilityNetworkPolicies", () => {
    // The mesh cluster of the testbed: its API server by address, one remote by IP and one by DNS name, Keycloak on a host.
    const mesh = observabilityNetworkPolicies({
        mesh: true,
        localApiServers: [{ address: "10.5.0.3", port: 6443 }],
        remoteApiServers: ["https://10.5.0.4:6443", "https://zta-aks-dns-4f2a.hcp.westeurope.azmk8s.io:443"],
        federationBlocks: ["10.5.0.241/32"],
        keycloak: { kind: "address", endpoint: { address: "10.5.0.2/32", port: 8443 } },
    });
    const meshKeycloakPods = observabilityNetworkPolicies({
        mesh: true,
        localApiServers: [{ address: "10.0.0.1/32", port: 443 }],
        remoteApiServers: ["https://203.0.113.20"],
        federationBlocks: ["0.0.0.0/0"],
        keycloak: { kind: "pods", namespace: "keycloak", podLabels: { "app.kubernetes.io/name": "keycloak" }, port: 8443 },
    });
    const other = observabilityNetworkPolicies({
        mesh: false,
        localApiServers: [{ address: "10.5.0.4/32", port: 6443 }],
        remoteApiServers: [],
        federationBlocks: [],
    });

    test.each([
        ["mesh", mesh],
        ["other", other],
    ])("%s: one default deny of both directions, after every allow, all in namespace observability", (_name, list) => {
        expect(list.every((p) => p.metadata.namespace === ns)).toBe(true);
        expect(list.filter((p) => p.metadata.name === "default-deny")).toHaveLength(1);
        expect(list.at(-1)!.metadata.name).toBe("default-deny");
        expect(list.at(-1)!.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] });
        expect(new Set(list.map((p) => p.metadata.name)).size).toBe(list.length);
    });

    test("mesh Prometheus: scrapes every pod on 15014/15020 only, its API server, federates only via 15443 to the federated clusters' east-west gateways; queried only by Grafana and Kiali", () => {
        expect(allowed(mesh, ns, groups.prometheus, "Egress")).toEqual(
            [...dns, xds, "any-pod 15014/TCP", "any-pod 15020/TCP", "ip:10.5.0.3/32 6443/TCP", "ip:10.5.0.241/32 15443/TCP"].sort(),
        );
        // Nothing federated (one cluster in this stack): no federation egress at all (an empty `to` would be everywhere).
        const alone = observabilityNetworkPolicies({ mesh: true, localApiServers: [], remoteApiServers: [], federationBlocks: [] });
        expect(alone.map((p) => p.metadata.name)).not.toContain("allow-federation-egress");
        expect(allowed(mesh, ns, groups.prometheus, "Ingress")).toEqual(
            [...scrapedBy, `${ns}/app=grafana 9090/TCP`, `${ns}/app=kiali 9090/TCP`].sort(),
        );
    });

    test("Grafana: only the mesh Prometheus on 9090 (and DNS, xDS); nothing reaches it but the scrape of its sidecar", () => {
        expect(allowed(mesh, ns, groups.grafana, "Egress")).toEqual([...dns, xds, `${ns}/app=prometheus 9090/TCP`].sort());
        expect(allowed(mesh, ns, groups.grafana, "Ingress")).toEqual(scrapedBy);
    });

    test("Kiali: Prometheus 9090, istiod 15014, each API server (IP as /32, a DNS-named one as 0.0.0.0/0), Keycloak", () => {
        expect(allowed(mesh, ns, groups.kiali, "Egress")).toEqual(
            [
                ...dns,
                xds,
                `${ns}/app=prometheus 9090/TCP`,
                "istio-system/app=istiod 15014/TCP",
                "ip:10.5.0.3/32 6443/TCP",
                "ip:10.5.0.4/32 6443/TCP",
                "ip:0.0.0.0/0 443/TCP",
                "ip:10.5.0.2/32 8443/TCP",
            ].sort(),
        );
        expect(allowed(mesh, ns, groups.kiali, "Ingress")).toEqual(scrapedBy);
        // Keycloak in a cluster: its pods, not an address.
        expect(allowed(meshKeycloakPods, ns, groups.kiali, "Egress")).toEqual(
            [
                ...dns,
                xds,
                `${ns}/app=prometheus 9090/TCP`,
                "istio-system/app=istiod 15014/TCP",
                "ip:10.0.0.1/32 443/TCP",
                "ip:203.0.113.20/32 443/TCP",
                "keycloak/app.kubernetes.io/name=keycloak 8443/TCP",
            ].sort(),
        );
    });

    test("an API server shared by local and remote lists is allowed once", () => {
        const list = observabilityNetworkPolicies({
            mesh: true,
            localApiServers: [{ address: "0.0.0.0/0", port: 443 }],
            remoteApiServers: ["https://a.example", "https://b.example:443"],
            federationBlocks: [],
        });
        const kiali = list.find((p) => p.metadata.name === "allow-kiali-egress")!;
        expect(kiali.spec.egress!.filter((r) => r.to.some((t) => t.ipBlock?.cidr === "0.0.0.0/0"))).toHaveLength(1);
    });

    test("other clusters: Prometheus reachable on 9090 only from this cluster's east-west gateway; no federation egress, no UI", () => {
        expect(allowed(other, ns, groups.prometheus, "Ingress")).toEqual([...scrapedBy, `${eastWest} 9090/TCP`].sort());
        expect(allowed(other, ns, groups.prometheus, "Egress")).toEqual(
            [...dns, xds, "any-pod 15014/TCP", "any-pod 15020/TCP", "ip:10.5.0.4/32 6443/TCP"].sort(),
        );
        // Nothing for Grafana or Kiali there beyond the namespace-wide DNS/xDS and the scrape of sidecars.
        for (const g of ["grafana", "kiali"]) {
            expect([g, allowed(other, ns, groups[g], "Egress")]).toEqual([g, [...dns, xds].sort()]);
            expect([g, allowed(other, ns, groups[g], "Ingress")]).toEqual([g, scrapedBy]);
        }
    });

    test("a pod of the namespace that is none of the three gets only DNS, xDS and the scrape of its sidecar", () => {
        for (const list of [mesh, other]) {
            expect(allowed(list, ns, { app: "debug" }, "Egress")).toEqual([...dns, xds].sort());
            expect(allowed(list, ns, { app: "debug" }, "Ingress")).toEqual(scrapedBy);
        }
    });
});

describe("scrapeTargetPolicies", () => {
    const list = scrapeTargetPolicies({ namespaces: [istioNamespace, "istio-ingress", "sample"] });

    test("one per scraped namespace; only Prometheus pods of namespace observability, on the proxies' metrics ports", () => {
        expect(list.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
            "istio-system/allow-metrics-scrape",
            "istio-ingress/allow-metrics-scrape",
            "sample/allow-metrics-scrape",
        ]);
        for (const namespace of ["istio-ingress", "sample"]) {
            expect([namespace, allowed(list, namespace, { app: "anything" }, "Ingress")]).toEqual([namespace, scrapedBy]);
            expect(list.find((p) => p.metadata.namespace === namespace)!.spec.policyTypes).toEqual(["Ingress"]);
        }
    });

    test("istio-system: also istiod's 15014, from Prometheus and from Kiali (and Kiali nothing else)", () => {
        expect(allowed(list, istioNamespace, { app: "istiod" }, "Ingress")).toEqual(
            [...scrapedBy, `${ns}/app=prometheus 15014/TCP`, `${ns}/app=kiali 15014/TCP`].sort(),
        );
    });
});

describe("observabilityAuthorizationPolicies", () => {
    test("mesh cluster: exactly Grafana's and Kiali's identities may query Prometheus's API and health on 9090", () => {
        const [policy, ...rest] = observabilityAuthorizationPolicies("cluster.local", true);
        expect(rest).toEqual([]);
        expect(policy.metadata.namespace).toBe(ns);
        expect(policy.spec.selector).toEqual({ matchLabels: { app: "prometheus" } });
        expect(policy.spec.action).toBe("ALLOW");
        expect(policy.spec.rules).toHaveLength(1);
        const [rule] = policy.spec.rules!;
        expect(rule.from).toEqual([
            { source: { principals: ["cluster.local/ns/observability/sa/grafana", "cluster.local/ns/observability/sa/kiali"] } },
        ]);
        expect(rule.to).toHaveLength(1);
        expect(rule.to![0].operation).toMatchObject({ ports: ["9090"], paths: ["/api/v1/*", "/-/healthy"] });
        // Neither federation nor any admin or write path.
        expect(JSON.stringify(rule.to)).not.toMatch(/federate|admin|lifecycle|quit|reload/);
    });

    test("other clusters: only the federator, GET /federate on 9090", () => {
        const [policy, ...rest] = observabilityAuthorizationPolicies("zta.example", false);
        expect(rest).toEqual([]);
        expect(policy.spec.selector).toEqual({ matchLabels: { app: "prometheus" } });
        expect(policy.spec.action).toBe("ALLOW");
        expect(policy.spec.rules).toEqual([
            {
                from: [{ source: { principals: ["zta.example/ns/observability/sa/prometheus-federator"] } }],
                to: [{ operation: { ports: ["9090"], methods: ["GET"], paths: ["/federate"] } }],
            },
        ]);
    });

    test("principals never carry spiffe:// (Istio adds it; written out it would match nothing)", () => {
        for (const m of [true, false]) {
            for (const p of observabilityAuthorizationPolicies("cluster.local", m)) {
                for (const principal of p.spec.rules!.flatMap((r) => r.from!.flatMap((f) => f.source.principals ?? []))) {
                    expect(principal).not.toContain("spiffe://");
                    expect(principal).toMatch(/^cluster\.local\/ns\/observability\/sa\/[a-z-]+$/);
                }
            }
        }
        expect(() => observabilityAuthorizationPolicies("spiffe://cluster.local", true)).toThrow(/spiffe/);
    });
});
