/**
 * Shape limits and all-problems-at-once (components/config/bounds.ts, structured.ts, problems.ts), through
 * parseConfig: every string and object key has a bound, names of JavaScript object properties never reach a lookup,
 * a schema problem in one entry leaves the other entries and the cross-entry checks running, and an unknown
 * platform is reported once without follow-on lines.
 */
import { parseConfig } from "../../components/config/parse";
import { Problems } from "../../components/config/problems";
import { problemsOf } from "../harness/problems";
import { adminKubeconfig, existingCloudClusters, existingCloudConfig, rawConfig, readStackFile, stackConfig } from "../harness/stacks";

type Json = Record<string, unknown>;
/** `cloud`: on existing clusters (kubeconfigs given). */
type Stack = "testbed" | "cloud";
const configOf = (stack: Stack, changes: Json, secrets: Json) =>
    stack === "cloud" ? existingCloudConfig(changes, secrets) : stackConfig(stack, changes, secrets);
const parseStack = (stack: Stack, changes: Json = {}, secrets: Json = {}) => parseConfig(rawConfig(configOf(stack, changes, secrets)));
const problemsFor = (stack: Stack, changes: Json = {}, secrets: Json = {}) => problemsOf(() => parseStack(stack, changes, secrets));
const clustersOf = (stack: Stack) =>
    stack === "cloud" ? existingCloudClusters() : (readStackFile(stack)["zta-testbed:clusters"] as Json[]);
const withCluster = (stack: Stack, i: number, change: Json) => clustersOf(stack).map((c, j) => (j === i ? { ...c, ...change } : c));

describe("every string has a bound", () => {
    test("a 10 kB trust domain is refused by config, before any resource (it used to fail after ~100 were registered)", () => {
        expect(problemsFor("testbed", { trustDomain: "a".repeat(10_000) })).toEqual([
            "zta-testbed:trustDomain: is 10000 characters long; at most 253",
        ]);
        expect(parseStack("testbed", { trustDomain: `${"a".repeat(60)}.${"b".repeat(60)}.lab` }).trustDomain).toHaveLength(125);
    });

    test("strings inside structured values, and object keys, are bounded too", () => {
        expect(
            problemsFor("cloud", {
                clusters: withCluster("cloud", 0, { eastWestServiceAnnotations: { "example.com/note": "x".repeat(2049) } }),
            }),
        ).toEqual(['zta-testbed:clusters[0].eastWestServiceAnnotations["example.com/note"]: is 2049 characters long; at most 2048']);
        expect(
            problemsFor("cloud", { clusters: withCluster("cloud", 0, { eastWestServiceAnnotations: { ["k".repeat(254)]: "v" } }) }),
        ).toEqual(["zta-testbed:clusters[0].eastWestServiceAnnotations: has a key of 254 characters; at most 253"]);
        expect(problemsFor("testbed", { identity: { realm: "r".repeat(5000) } })).toEqual([
            "zta-testbed:identity.realm: is 5000 characters long; at most 2048",
        ]);
    });

    test("credentials and PEM bundles may be large, not unbounded", () => {
        const kubeconfigs = (padding: number) => ({
            aks: `${adminKubeconfig("aks", "https://zta-aks-dns-4f2a.hcp.westeurope.azmk8s.io:443")}# ${"p".repeat(padding)}\n`,
            gke: adminKubeconfig("gke", "https://203.0.113.20"),
        });
        expect(parseStack("cloud", {}, { kubeconfigs: kubeconfigs(100_000) }).clusters).toHaveLength(2);
        const problems = problemsFor("cloud", {}, { kubeconfigs: kubeconfigs(300_000) });
        expect(problems).toEqual([expect.stringMatching(/^zta-testbed:kubeconfigs\.aks: is \d+ characters long; at most 262144$/)]);
    });
});

describe("names of JavaScript object properties never reach a lookup", () => {
    test.each([
        ["kubeconfigs (cloud)", "cloud", {}, { kubeconfigs: JSON.parse('{"__proto__": "x", "toString": "y"}') }, "kubeconfigs"],
        [
            "an annotation map",
            "cloud",
            { clusters: withCluster("cloud", 0, { eastWestServiceAnnotations: JSON.parse('{"__proto__": "x"}') }) },
            {},
            "clusters[0].eastWestServiceAnnotations",
        ],
        ["identity", "cloud", { identity: JSON.parse('{"constructor": {"realm": "x"}}') }, {}, "identity"],
        [
            "caIntermediates",
            "cloud",
            { caSource: "external-intermediates" },
            { caIntermediates: JSON.parse('{"hasOwnProperty": {"cert": "x", "key": "y"}}') },
            "caIntermediates",
        ],
    ] as const)("%s: refused by name (one used to vanish silently, one to crash the reader)", (_what, stack, changes, secrets, key) => {
        const problems = problemsFor(stack, changes, secrets);
        expect(problems.filter((p) => p.includes("is not allowed as a name"))).not.toHaveLength(0);
        for (const p of problems.filter((p) => p.includes("is not allowed as a name"))) {
            expect(p).toMatch(
                new RegExp(
                    `^zta-testbed:${key.replace(/[[\]]/g, "\\$&")}: "(__proto__|toString|constructor|hasOwnProperty)" is not allowed as a name`,
                ),
            );
        }
    });

    test('a cluster named "constructor" is refused: its kubeconfig and intermediate keys could never be set', () => {
        const clusters = withCluster("cloud", 0, { name: "constructor" });
        expect(problemsFor("cloud", { clusters })).toEqual([
            'zta-testbed:clusters[0].name: "constructor" is a name every JavaScript object has; choose another',
            'zta-testbed:kubeconfigs.aks: names no cluster in clusters (known: "constructor", "gke")',
        ]);
    });
});

describe("all problems at once", () => {
    test("a schema problem in one list entry no longer hides the cross-entry checks", () => {
        const clusters = withCluster("testbed", 0, { podSubnet: 5, loadBalancerPool: ["10.5.0.121-10.5.0.125"] });
        expect(problemsFor("testbed", { clusters })).toEqual([
            "zta-testbed:clusters[0].podSubnet: expected string (got 5)",
            'zta-testbed:clusters[1].loadBalancerPool[0]: "10.5.0.121-10.5.0.139" overlaps clusters[0].loadBalancerPool[0] "10.5.0.121-10.5.0.125"',
        ]);
    });

    test("an entry whose required field is wrong is left out; the others, and the checks across them, still run", () => {
        const clusters = [
            { name: 5, network: "n0" },
            { name: "aks", network: "network-x" },
            { name: "gke", network: "network-x" },
        ];
        expect(problemsFor("cloud", { clusters })).toEqual([
            "zta-testbed:clusters[0].name: expected string (got 5)",
            'zta-testbed:clusters[2].network: "network-x" duplicates clusters[1].network; each cluster of this multi-network mesh needs its own network',
        ]);
        // its kubeconfig is not reported as one "for no cluster", nor are the hosts a refused host entry would have filled
        const named = [{ name: "aks", network: 7 }, clustersOf("cloud")[1]];
        expect(problemsFor("cloud", { clusters: named })).toEqual(["zta-testbed:clusters[0].network: expected string (got 7)"]);
        const hosts = (JSON.parse(stackConfig("testbed").config["zta-testbed:hosts"]) as Json[]).map((h, i) =>
            i === 0 ? { ...h, management: 5 } : i === 2 ? { ...h, management: "10.5.0.3/24" } : h,
        );
        expect(problemsFor("testbed", { hosts })).toEqual([
            "zta-testbed:hosts[0].management: expected string (got 5)",
            'zta-testbed:hosts[2].management: "10.5.0.3" is already used by hosts[1].management',
        ]);
    });

    test("an unknown key inside an object no longer hides the problems of its other fields", () => {
        expect(problemsFor("cloud", { identity: { realm: "master", issuerUrl: "https://x" } })).toEqual([
            'zta-testbed:identity: unknown key "issuerUrl"',
            'zta-testbed:identity.realm: must not be "master" (Keycloak\'s administration realm)',
        ]);
    });

    test("an unknown platform is one line, and the rest is still checked", () => {
        expect(problemsFor("testbed", { platform: "vsphere", trustDomain: "Bad Domain" })).toEqual([
            'zta-testbed:platform: must be one of "testbed", "cloud", "sim", got "vsphere"',
            expect.stringMatching(/^zta-testbed:trustDomain: must be a DNS-style trust domain/),
        ]);
    });

    test("a misspelt platform names the nearest one", () => {
        expect(problemsFor("testbed", { platform: "testbd" })).toEqual([
            'zta-testbed:platform: must be one of "testbed", "cloud", "sim", got "testbd" (did you mean "testbed"?)',
        ]);
    });

    test("a rejected key silences the checks of its consequences, not of its siblings", () => {
        const problems = new Problems();
        problems.reject("clusters[0].podSubnet", "expected string");
        problems.add("clusters[0].podSubnet", "overlaps serviceSubnet");
        problems.add("clusters[0].podSubnetx", "a sibling");
        problems.add("clusters[1].podSubnet", "another entry");
        problems.reject("identity.unknown");
        problems.add("identity.unknown.x", "a child");
        expect(() => problems.throwIfAny()).toThrow(
            /clusters\[0\]\.podSubnet: expected string\n {2}- zta-testbed:clusters\[0\]\.podSubnetx: a sibling\n {2}- zta-testbed:clusters\[1\]\.podSubnet: another entry$/,
        );
    });
});
