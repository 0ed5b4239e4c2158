/**
 * Fixed LoadBalancer addresses given through eastWestServiceAnnotations (components/config/loadBalancerAddresses.ts):
 * checked against the cluster's MetalLB pool, the hosts' own addresses and the other clusters, through parseConfig.
 */
import { parseConfig } from "../../components/config/parse";
import { problemsOf } from "../harness/problems";
import { rawConfig, readStackFile, stackConfig } from "../harness/stacks";

type Json = Record<string, unknown>;
const parseStack = (stack: "testbed" | "cloud", changes: Json = {}) => parseConfig(rawConfig(stackConfig(stack, changes)));
const annotated = (stack: "testbed" | "cloud", ...annotations: Record<string, string>[]) =>
    (readStackFile(stack)["zta-testbed:clusters"] as Json[]).map((c, i) =>
        annotations[i] ? { ...c, eastWestServiceAnnotations: annotations[i] } : c,
    );
const problemsFor = (stack: "testbed" | "cloud", ...annotations: Record<string, string>[]) =>
    problemsOf(() => parseStack(stack, { clusters: annotated(stack, ...annotations) }));
const at = (i: number, annotation: string) => `zta-testbed:clusters[${i}].eastWestServiceAnnotations[${JSON.stringify(annotation)}]`;

describe("bare metal (MetalLB)", () => {
    test("an address inside the cluster's own pool, and the pool the program creates, are accepted", () => {
        const clusters = parseStack("testbed", {
            clusters: annotated(
                "testbed",
                { "metallb.io/loadBalancerIPs": "10.5.0.110", "metallb.io/address-pool": "zta-pool" },
                { "metallb.universe.tf/loadBalancerIPs": "10.5.0.130" },
            ),
        }).clusters;
        expect(clusters[0].eastWestServiceAnnotations).toEqual({
            "metallb.io/loadBalancerIPs": "10.5.0.110",
            "metallb.io/address-pool": "zta-pool",
        });
    });

    test("a host's own address: named with the host, and outside the pool", () => {
        expect(problemsFor("testbed", { "metallb.io/loadBalancerIPs": "10.5.0.3" })).toEqual([
            `${at(0, "metallb.io/loadBalancerIPs")}: "10.5.0.3" is an address of host "server2", not one MetalLB may hand out`,
            `${at(0, "metallb.io/loadBalancerIPs")}: "10.5.0.3" is not in "cluster1"'s loadBalancerPool ["10.5.0.100-10.5.0.120"]; MetalLB would leave the gateway pending`,
        ]);
    });

    test("the other cluster's pool, and one address claimed by both clusters", () => {
        expect(
            problemsFor("testbed", { "metallb.universe.tf/loadBalancerIPs": "10.5.0.125" }, { "metallb.io/loadBalancerIPs": "10.5.0.125" }),
        ).toEqual([
            `${at(0, "metallb.universe.tf/loadBalancerIPs")}: "10.5.0.125" is not in "cluster1"'s loadBalancerPool ["10.5.0.100-10.5.0.120"] (it is in clusters[1].loadBalancerPool); MetalLB would leave the gateway pending`,
            `${at(1, "metallb.io/loadBalancerIPs")}: "10.5.0.125" is already the fixed address of clusters[0]'s east-west gateway`,
        ]);
    });

    test("every address of a list is checked; junk, loopback and unknown pools are refused", () => {
        expect(
            problemsFor("testbed", {
                "metallb.io/loadBalancerIPs": "10.5.0.101, not-an-ip,127.0.0.1",
                "metallb.io/address-pool": "default",
            }),
        ).toEqual([
            `${at(0, "metallb.io/loadBalancerIPs")}: must list IP addresses, got "not-an-ip"`,
            `${at(0, "metallb.io/loadBalancerIPs")}: "127.0.0.1" is a loopback address; other networks cannot reach the east-west gateway there`,
            'zta-testbed:clusters[0].eastWestServiceAnnotations: "metallb.io/address-pool" names the pool "default"; the program creates only "zta-pool"',
        ]);
    });
});

describe("cloud", () => {
    test("a MetalLB annotation where the cloud gives the load balancer", () => {
        expect(problemsFor("cloud", { "metallb.io/loadBalancerIPs": "203.0.113.9" })).toEqual([
            'zta-testbed:clusters[0].eastWestServiceAnnotations: "metallb.io/loadBalancerIPs" is a MetalLB annotation, but "aks" gets its load balancer from its cloud',
        ]);
    });

    test("AKS static addresses: unservable or shared by two clusters", () => {
        const ipv4 = "service.beta.kubernetes.io/azure-load-balancer-ipv4";
        expect(problemsFor("cloud", { [ipv4]: "0.0.0.0" })).toEqual([
            `${at(0, ipv4)}: "0.0.0.0" is an unspecified address; other networks cannot reach the east-west gateway there`,
        ]);
        expect(problemsFor("cloud", { [ipv4]: "203.0.113.9" }, { [ipv4]: "203.0.113.9" })).toEqual([
            `${at(1, ipv4)}: "203.0.113.9" is already the fixed address of clusters[0]'s east-west gateway`,
        ]);
        expect(
            parseStack("cloud", { clusters: annotated("cloud", { [ipv4]: "203.0.113.9" }) }).clusters[0].eastWestServiceAnnotations,
        ).toEqual({
            [ipv4]: "203.0.113.9",
        });
    });
});
