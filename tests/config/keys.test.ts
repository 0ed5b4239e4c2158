/**
 * Keys nobody reads: a misspelt top-level key (`trustDomian`) used to be ignored and its default applied. Every key in
 * the project's namespace must be a known one (components/config/keys.ts), refused otherwise with the nearest known
 * key; the list is exactly what the parser reads and what README documents.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../../components/config/parse";
import { configKeys, editDistance, isConfigKey, nearestConfigKey } from "../../components/config/keys";
import { RawConfig } from "../../components/config/readers";
import { problemsOf } from "../harness/problems";
import { committedStacks, rawConfig, repoRoot, stackConfig } from "../harness/stacks";

describe("unknown keys", () => {
    test("a misspelt key is refused, naming it and the key it was probably meant to be — with every other problem", () => {
        expect(
            problemsOf(() =>
                parseConfig(rawConfig(stackConfig("cloud", { trustDomian: "example.org", clsuters: [], workloadCertTtlHours: 99 }))),
            ),
        ).toEqual(
            expect.arrayContaining([
                'zta-testbed:trustDomian: is not a setting of zta-testbed (did you mean "trustDomain"?); README\'s configuration reference lists them',
                'zta-testbed:clsuters: is not a setting of zta-testbed (did you mean "clusters"?); README\'s configuration reference lists them',
                'zta-testbed:workloadCertTtlHours: must be an integer from 1 to 24, got "99"',
            ]),
        );
    });

    test("a key far from every known one gets no guess; prototype names are keys like any other (unknown, no crash)", () => {
        const problems = problemsOf(() =>
            parseConfig(rawConfig(stackConfig("cloud", { enableEverything: true, __proto__x: 1, constructor: "x", toString: "y" }))),
        );
        expect(problems).toEqual(
            expect.arrayContaining([
                "zta-testbed:enableEverything: is not a setting of zta-testbed; README's configuration reference lists them",
                "zta-testbed:constructor: is not a setting of zta-testbed; README's configuration reference lists them",
                "zta-testbed:toString: is not a setting of zta-testbed; README's configuration reference lists them",
            ]),
        );
        expect(isConfigKey("__proto__")).toBe(false);
        expect(isConfigKey("hasOwnProperty")).toBe(false);
    });

    test.each(committedStacks)("the committed %s stack sets only known keys", (stack) => {
        expect(() => parseConfig(rawConfig(stackConfig(stack)))).not.toThrow();
    });

    test("the nearest key: transpositions, a missing or doubled letter, case; nothing when too far", () => {
        expect(editDistance("trustDomian", "trustDomain")).toBe(1);
        expect(nearestConfigKey("ingresHost")).toBe("ingressHost");
        expect(nearestConfigKey("IngressNamespace")).toBe("ingressNamespace");
        expect(nearestConfigKey("workloadCertTTLHours")).toBe("workloadCertTtlHours");
        expect(nearestConfigKey("kubeconfig")).toBe("kubeconfigs");
        expect(nearestConfigKey("zz")).toBeUndefined();
    });
});

describe("the list is exactly what the parser reads and README documents", () => {
    test("every key the parser asks for is in the list, and between the platforms it asks for all of them", () => {
        const asked = new Set<string>();
        // the committed stacks, and the CA source that reads a root key
        const configs = [...committedStacks.map((stack) => stackConfig(stack)), stackConfig("cloud", { caSource: "external-root" })];
        for (const sc of configs) {
            const raw = rawConfig(sc);
            const recording: RawConfig = { ...raw, get: (key) => (asked.add(key), raw.get(key)) };
            try {
                parseConfig(recording);
            } catch {
                // only the keys asked matter here
            }
        }
        expect([...asked].filter((k) => !isConfigKey(k))).toEqual([]);
        // the platforms between them ask for all of them
        expect(configKeys.filter((k) => !asked.has(k))).toEqual([]);
    });

    test("README's configuration reference names each key, and no other top-level key", () => {
        const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
        const section = readme.slice(readme.indexOf("## Configuration reference"), readme.indexOf("## Versions"));
        const documented = new Set(
            [...section.matchAll(/^\| ([^|]+)\|/gm)].flatMap((m) => [...m[1].matchAll(/`([a-zA-Z]+)[`.[]/g)].map((x) => x[1])),
        );
        expect(configKeys.filter((k) => !documented.has(k))).toEqual([]);
        // (`workers` and `serviceSubnet` are fields of clusters[i], written after a slash in their rows)
        expect([...documented].filter((k) => !isConfigKey(k) && !["workers", "serviceSubnet"].includes(k))).toEqual([]);
    });

    test("every key Pulumi.yaml declares (its defaults reach the program as set keys) is in the list", () => {
        const project = parseYaml(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8")) as { config: Record<string, unknown> };
        const declared = Object.keys(project.config);
        expect(declared.length).toBeGreaterThan(5);
        expect(declared.filter((k) => !isConfigKey(k))).toEqual([]);
    });
});
