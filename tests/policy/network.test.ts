/** The NetworkPolicies of the namespaces the program creates (components/policy/meshNetwork.ts). */
import { meshNetworkPolicies } from "../../components/policy/meshNetwork";
import { anyAddress, apiServerEndpoint, crossNetworkBlocks } from "../../components/core/networkPolicy";
import { gatewayDestinations } from "../../components/policy/network";
import { sampleGatewayDestinations, sampleNetworkPolicies } from "../../components/workloads/samplePolicy";
import { observabilityGatewayDestinations } from "../../components/observability/policy";
import { apiServerEndpointsOf } from "../../components/platform/kubeconfigCluster";
import { metallbNetworkPolicies } from "../../components/platform/baremetal/metallb";

import { NetworkPolicy } from "../../components/core/networkPolicy";

const byName = (list: NetworkPolicy[], namespace: string, name: string): NetworkPolicy => {
    const found = list.filter((p) => p.metadata.namespace === namespace && p.metadata.name === name);
    expect(found).toHaveLength(1);
    return found[0];
};
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));

/** What the program passes (components/program.ts): each gateway's destinations derived from the workloads' policies. */
const destinations = (ingressNamespace: string, meshCluster: boolean) => {
    const sample = sampleGatewayDestinations(ingressNamespace);
    return { ingress: sample.ingress, eastWest: [...sample.eastWest, ...observabilityGatewayDestinations(meshCluster)] };
};

describe("meshNetworkPolicies", () => {
    // cluster2 of the testbed: its own API server at the advertise address, cluster1's by its URL; cluster1's
    // east-west gateway at a known address.
    const testbed = meshNetworkPolicies({
        ingressNamespace: "istio-ingress",
        localApiServers: [{ address: "10.5.0.3/32", port: 6443 }],
        remoteApiServers: ["https://10.5.0.4:6443"],
        hasExternalPeers: false,
        gatewayDestinations: destinations("istio-ingress", false),
        remoteGatewayBlocks: ["10.5.0.240/32"],
    });

    test("every namespace has a default deny of both directions, listed after all its allows", () => {
        for (const ns of ["istio-system", "istio-ingress"]) {
            const inNs = testbed.filter((p) => p.metadata.namespace === ns);
            const deny = inNs[inNs.length - 1];
            expect(deny.metadata.name).toBe("default-deny");
            expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] });
            expect(inNs.filter((p) => p.metadata.name === "default-deny")).toHaveLength(1);
        }
        expect(testbed.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
            "istio-system/allow-dns-egress",
            "istio-system/allow-istiod-egress",
            "istio-system/allow-istiod-ingress",
            "istio-system/allow-apiserver-egress",
            "istio-system/allow-eastwest-gateway-ingress",
            "istio-system/allow-eastwest-gateway-egress",
            "istio-system/default-deny",
            "istio-ingress/allow-dns-egress",
            "istio-ingress/allow-istiod-egress",
            "istio-ingress/allow-ingress-gateway-ingress",
            "istio-ingress/allow-ingress-gateway-egress",
            "istio-ingress/default-deny",
        ]);
    });

    test("istiod: xDS from every pod, webhooks from any source (the API server's source cannot be pinned), egress only to the API servers", () => {
        expect(byName(testbed, "istio-system", "allow-istiod-ingress").spec).toEqual({
            podSelector: { matchLabels: { app: "istiod" } },
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ namespaceSelector: {} }], ports: tcp(15012) }, { ports: tcp(15017) }],
        });
        expect(byName(testbed, "istio-system", "allow-apiserver-egress").spec).toEqual({
            podSelector: { matchLabels: { app: "istiod" } },
            policyTypes: ["Egress"],
            egress: [
                { to: [{ ipBlock: { cidr: "10.5.0.3/32" } }], ports: tcp(6443) },
                { to: [{ ipBlock: { cidr: "10.5.0.4/32" } }], ports: tcp(6443) },
            ],
        });
    });

    test("gateways: east-west 15443/15021 in, out only to the mesh services' pods on their ports; ingress 443/80/15021 in, out only to its backends and the other networks' east-west gateways on 15443", () => {
        expect(byName(testbed, "istio-system", "allow-eastwest-gateway-ingress").spec.ingress).toEqual([{ ports: tcp(15443, 15021) }]);
        expect(byName(testbed, "istio-system", "allow-eastwest-gateway-egress").spec).toEqual({
            podSelector: { matchLabels: { istio: "eastwestgateway", app: "istio-eastwestgateway" } },
            policyTypes: ["Egress"],
            egress: [
                // helloworld and httpbin (every pod of `sample` that admits the east-west gateway)...
                { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "sample" } } }], ports: tcp(5000, 8080) },
                // ...and, outside the mesh cluster, the federator's requests to the local Prometheus.
                {
                    to: [
                        {
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } },
                            podSelector: { matchLabels: { app: "prometheus" } },
                        },
                    ],
                    ports: tcp(9090),
                },
            ],
        });
        expect(byName(testbed, "istio-ingress", "allow-ingress-gateway-ingress").spec).toEqual({
            podSelector: { matchLabels: { istio: "ingressgateway", app: "istio-ingressgateway" } },
            policyTypes: ["Ingress"],
            ingress: [{ ports: tcp(443, 80, 15021) }],
        });
        expect(byName(testbed, "istio-ingress", "allow-ingress-gateway-egress").spec.egress).toEqual([
            // httpbin's pods on their container port (the route's only backend)...
            {
                to: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "sample" } },
                        podSelector: { matchLabels: { app: "httpbin" } },
                    },
                ],
                ports: tcp(8080),
            },
            // ...and endpoints in other networks: their east-west gateways' addresses, 15443 only.
            { to: [{ ipBlock: { cidr: "10.5.0.240/32" } }], ports: tcp(15443) },
        ]);
    });

    test("no gateway egress rule reaches every namespace, or any port of its peers", () => {
        const gateways = testbed.filter((x) => /gateway-egress$/.test(x.metadata.name));
        // both gateways' policies (ingress, east-west): a rename must not leave this loop empty
        expect(gateways.length).toBeGreaterThanOrEqual(2);
        for (const p of gateways) {
            for (const rule of p.spec.egress ?? []) {
                expect(rule.ports.length).toBeGreaterThan(0);
                for (const peer of rule.to) {
                    expect(peer.ipBlock?.cidr ?? "").not.toBe("0.0.0.0/0");
                    if (peer.namespaceSelector) {
                        expect(Object.keys(peer.namespaceSelector.matchLabels ?? {})).toEqual(["kubernetes.io/metadata.name"]);
                    }
                }
            }
        }
        // The mesh cluster's east-west gateway serves no federation (its Prometheus federates, it is not federated).
        const mesh = meshNetworkPolicies({
            ingressNamespace: "istio-ingress",
            localApiServers: [{ address: "10.5.0.3/32", port: 6443 }],
            remoteApiServers: [],
            hasExternalPeers: false,
            gatewayDestinations: destinations("istio-ingress", true),
            remoteGatewayBlocks: [],
        });
        expect(byName(mesh, "istio-system", "allow-eastwest-gateway-egress").spec.egress?.map((r) => r.to[0].namespaceSelector)).toEqual([
            { matchLabels: { "kubernetes.io/metadata.name": "sample" } },
        ]);
        // Without other networks the ingress gateway has no 15443 rule at all.
        expect(byName(mesh, "istio-ingress", "allow-ingress-gateway-egress").spec.egress).toHaveLength(1);
    });

    test("a gateway's destinations are exactly the holes the workloads' policies make for it (derived, not listed)", () => {
        const sample = sampleNetworkPolicies({ ingressNamespace: "edge", remoteGatewayAddresses: [] });
        expect(gatewayDestinations(sample, "ingress", "edge")).toEqual([
            { namespace: "sample", podLabels: { app: "httpbin" }, ports: [8080] },
        ]);
        expect(gatewayDestinations(sample, "eastWest", "istio-system")).toEqual([{ namespace: "sample", ports: [5000, 8080] }]);
        // The ingress gateway of another namespace is not this one.
        expect(gatewayDestinations(sample, "ingress", "istio-ingress")).toEqual([]);
        expect(() =>
            meshNetworkPolicies({
                ingressNamespace: "edge",
                localApiServers: [{ address: "10.5.0.3/32", port: 6443 }],
                remoteApiServers: [],
                hasExternalPeers: false,
                gatewayDestinations: { ingress: [], eastWest: destinations("edge", true).eastWest },
                remoteGatewayBlocks: [],
            }),
        ).toThrow(/destinations/);
    });

    test("cross-network blocks: each known east-west address as a /32; any unknown (unassigned, a name, another stack's) keeps the whole space", () => {
        expect(crossNetworkBlocks(["198.51.100.11", "198.51.100.12", "198.51.100.11"], false)).toEqual([
            "198.51.100.11/32",
            "198.51.100.12/32",
        ]);
        expect(crossNetworkBlocks(["2001:db8::1"], false)).toEqual(["2001:db8::1/128"]);
        expect(crossNetworkBlocks(["198.51.100.11", undefined], false)).toEqual(["0.0.0.0/0"]);
        expect(crossNetworkBlocks(["a1b2.elb.amazonaws.com"], false)).toEqual(["0.0.0.0/0"]);
        expect(crossNetworkBlocks(["198.51.100.11"], true)).toEqual(["0.0.0.0/0"]);
        expect(crossNetworkBlocks([], false)).toEqual([]);
    });

    test("the API server's real addresses from its EndpointSlice: every address on every TCP port, as /32; none is an error naming the cluster", () => {
        expect(
            apiServerEndpointsOf("aks", {
                addressType: "IPv4",
                endpoints: [{ addresses: ["20.31.7.9"] }, { addresses: ["20.31.7.8"] }],
                ports: [{ port: 443, protocol: "TCP" }],
            }),
        ).toEqual([
            { address: "20.31.7.8/32", port: 443 },
            { address: "20.31.7.9/32", port: 443 },
        ]);
        expect(() => apiServerEndpointsOf("gke", { endpoints: [], ports: [{ port: 443 }] })).toThrow(
            /^cluster gke: the EndpointSlice default\/kubernetes lists no API server address and port/,
        );
        expect(() => apiServerEndpointsOf("gke", undefined)).toThrow(/cluster gke/);
    });

    test("remote API servers behind names and other stacks' peers: the whole address space for that one port, istiod only", () => {
        const cloud = meshNetworkPolicies({
            ingressNamespace: "istio-ingress",
            localApiServers: [{ address: "172.16.0.2/32", port: 443 }],
            remoteApiServers: ["https://zta-aks.hcp.westeurope.azmk8s.io:443", "https://203.0.113.20"],
            hasExternalPeers: true,
            gatewayDestinations: destinations("istio-ingress", true),
            remoteGatewayBlocks: ["0.0.0.0/0"],
        });
        expect(byName(cloud, "istio-system", "allow-apiserver-egress").spec.egress).toEqual([
            { to: [{ ipBlock: { cidr: "172.16.0.2/32" } }], ports: tcp(443) },
            { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp(443) },
            { to: [{ ipBlock: { cidr: "203.0.113.20/32" } }], ports: tcp(443) },
            { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp(6443) },
        ]);
        expect(anyAddress).toBe("0.0.0.0/0");
        expect(apiServerEndpoint("https://api.lab.example:6443")).toEqual({ address: "0.0.0.0/0", port: 6443 });
        expect(apiServerEndpoint("https://10.5.0.3:6443")).toEqual({ address: "10.5.0.3/32", port: 6443 });
    });

    test("a custom ingress namespace carries the ingress gateway's policies", () => {
        const custom = meshNetworkPolicies({
            ingressNamespace: "edge",
            localApiServers: [{ address: "10.5.0.3/32", port: 6443 }],
            remoteApiServers: [],
            hasExternalPeers: false,
            gatewayDestinations: destinations("edge", true),
            remoteGatewayBlocks: [],
        });
        expect(custom.filter((p) => p.metadata.namespace === "edge").map((p) => p.metadata.name)).toEqual([
            "allow-dns-egress",
            "allow-istiod-egress",
            "allow-ingress-gateway-ingress",
            "allow-ingress-gateway-egress",
            "default-deny",
        ]);
        expect(custom.filter((p) => p.metadata.name === "allow-ingress-gateway-ingress").map((p) => p.metadata.namespace)).toEqual([
            "edge",
        ]);
    });
});

test("metallbNetworkPolicies: the controller's webhook (any source), its egress to the API server's /32, then deny", () => {
    const list = metallbNetworkPolicies({ namespace: "metallb-system", apiServers: [{ address: "10.5.0.3/32", port: 6443 }] });
    expect(list.map((p) => p.metadata.name)).toEqual([
        "allow-dns-egress",
        "allow-controller-webhook",
        "allow-apiserver-egress",
        "default-deny",
    ]);
    const controller = { "app.kubernetes.io/name": "metallb", "app.kubernetes.io/component": "controller" };
    expect(list[1].spec).toEqual({ podSelector: { matchLabels: controller }, policyTypes: ["Ingress"], ingress: [{ ports: tcp(9443) }] });
    expect(list[2].spec).toEqual({
        podSelector: { matchLabels: controller },
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "10.5.0.3/32" } }], ports: tcp(6443) }],
    });
});
