/** The NetworkPolicies of the namespaces the program creates (components/policy/meshNetwork.ts). */
import { meshNetworkPolicies } from "../../components/policy/meshNetwork";
import { anyAddress, apiServerEndpoint } from "../../components/core/networkPolicy";
import { metallbNetworkPolicies } from "../../components/platform/baremetal/metallb";

import { NetworkPolicy } from "../../components/core/networkPolicy";

const byName = (list: NetworkPolicy[], namespace: string, name: string): NetworkPolicy => {
    const found = list.filter((p) => p.metadata.namespace === namespace && p.metadata.name === name);
    expect(found).toHaveLength(1);
    return found[0];
};
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));

describe("meshNetworkPolicies", () => {
    // cluster1 of the testbed: its own API server at the advertise address, cluster2's by its URL.
    const testbed = meshNetworkPolicies({
        ingressNamespace: "istio-ingress",
        localApiServers: [{ address: "10.5.0.3/32", port: 6443 }],
        remoteApiServers: ["https://10.5.0.4:6443"],
        hasExternalPeers: false,
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

    test("gateways: east-west 15443/15021 in, local pods out; ingress 443/80/15021 in (its own namespace), pods and remote east-west gateways out", () => {
        expect(byName(testbed, "istio-system", "allow-eastwest-gateway-ingress").spec.ingress).toEqual([{ ports: tcp(15443, 15021) }]);
        expect(byName(testbed, "istio-system", "allow-eastwest-gateway-egress").spec.egress).toEqual([
            { to: [{ namespaceSelector: {} }], ports: [] },
        ]);
        expect(byName(testbed, "istio-ingress", "allow-ingress-gateway-ingress").spec).toEqual({
            podSelector: { matchLabels: { istio: "ingressgateway", app: "istio-ingressgateway" } },
            policyTypes: ["Ingress"],
            ingress: [{ ports: tcp(443, 80, 15021) }],
        });
        expect(byName(testbed, "istio-ingress", "allow-ingress-gateway-egress").spec.egress).toEqual([
            // Pods of any namespace (all ports)...
            { to: [{ namespaceSelector: {} }], ports: [] },
            // ...and endpoints in other networks, which are their east-west gateways' external addresses.
            { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp(15443) },
        ]);
    });

    test("remote API servers behind names and other stacks' peers: the whole address space for that one port, istiod only", () => {
        const cloud = meshNetworkPolicies({
            ingressNamespace: "istio-ingress",
            localApiServers: [{ address: "172.16.0.2/32", port: 443 }],
            remoteApiServers: ["https://zta-aks.hcp.westeurope.azmk8s.io:443", "https://203.0.113.20"],
            hasExternalPeers: true,
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
