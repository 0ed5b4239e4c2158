/**
 * versions.json is the ONE version manifest: the program (components/core/versions.ts), toolchain/build.sh and sim/
 * read it. These tests keep it complete, consistent with package.json, and the only place a pin is written.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import manifest from "../../versions.json";
import { istioChartRepo, versionProfileNames, versionProfiles } from "../../components/core/versions";

const repo = path.resolve(__dirname, "..", "..");
const packageJson = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { dependencies: Record<string, string> };
type Pin = { version?: string; modver?: string; module?: string; npm?: string; charts?: string[]; why?: string };
const pins = manifest.toolchain as Record<string, Pin>;

const profileFields = [
    "description",
    "kubernetes",
    "kubernetesPatch",
    "kubernetesPackageRevision",
    "istio",
    "gatewayChart",
    "cilium",
    "metallb",
    "registryImage",
    "prometheusImage",
    "grafanaImage",
    "kialiImage",
];

describe("profiles", () => {
    test.each(Object.keys(manifest.profiles))("%s has every field, each a non-empty string, and nothing unknown", (name) => {
        const raw = (manifest.profiles as Record<string, Record<string, unknown>>)[name];
        for (const field of profileFields) {
            expect([field, typeof raw[field]]).toEqual([field, "string"]);
            expect(String(raw[field]).trim()).not.toBe("");
        }
        expect(Object.keys(raw).filter((k) => k !== "why" && !profileFields.includes(k))).toEqual([]);
    });

    test("components/core/versions.ts serves exactly the manifest's profiles (without the notes)", () => {
        expect(versionProfileNames).toEqual(Object.keys(manifest.profiles));
        for (const name of versionProfileNames) {
            const values = Object.entries(manifest.profiles[name]).filter(([k]) => k !== "why");
            expect(versionProfiles[name]).toEqual(Object.fromEntries(values));
        }
        expect(istioChartRepo).toBe(manifest.istioChartRepo);
    });

    test("a profile's Kubernetes patch is of its minor release", () => {
        for (const p of Object.values(versionProfiles)) {
            expect(p.kubernetesPatch.startsWith(`${p.kubernetes}.`)).toBe(true);
        }
    });
});

describe("toolchain pins", () => {
    test.each(Object.keys(pins))("%s: a version or module pseudo-version, and why", (name) => {
        const pin = pins[name];
        expect(pin.version ?? pin.modver).toBeDefined();
        expect(pin.why?.trim()).toBeTruthy();
        if (pin.modver) {
            expect(pin.modver).toMatch(/^v\d+\.\d+\.\d+-(0\.)?\d{14}-[0-9a-f]{12}$/);
        }
    });

    test("the engine and every provider pin equal package.json's SDKs", () => {
        const withNpm = Object.entries(pins).filter(([, p]) => p.npm);
        expect(withNpm.map(([, p]) => p.npm).sort()).toEqual([
            "@pulumi/command",
            "@pulumi/kubernetes",
            "@pulumi/pulumi",
            "@pulumi/random",
            "@pulumi/tls",
        ]);
        for (const [name, pin] of withNpm) {
            expect([name, pin.version?.replace(/^v/, "")]).toEqual([name, packageJson.dependencies[pin.npm!]]);
        }
    });

    test("toolchain/manifest.js hands every pin to the shell scripts", () => {
        const out = execFileSync("node", [path.join(repo, "toolchain", "manifest.js"), "shell"], { encoding: "utf8" });
        const vars = Object.fromEntries(
            out
                .trim()
                .split("\n")
                .map((l) => l.match(/^([A-Z0-9_]+)='(.*)'$/)!.slice(1, 3)),
        );
        expect(vars.PULUMI_VERSION).toBe(pins.pulumi.version);
        expect(vars.KUBERNETES_PROVIDER_MODVER).toBe(pins.kubernetesProvider.modver);
        expect(vars.ISTIO_130_MODVER).toBe(pins.istio130.modver);
        expect(vars.CILIUM_CHARTS_CHARTS).toBe(pins.ciliumCharts.charts!.join(" "));
        expect(Object.keys(vars).some((k) => k.endsWith("_WHY"))).toBe(false);
    });
});

describe("one place: no pin is written again in the scripts", () => {
    const files = [
        ...["toolchain", "sim"].flatMap((dir) =>
            fs
                .readdirSync(path.join(repo, dir))
                .filter((f) => f.endsWith(".sh") || (dir === "sim" && f.endsWith(".ts")))
                .map((f) => path.join(dir, f)),
        ),
    ];
    // Every version-like value: toolchain pins (versions, pseudo-versions, chart versions) and the profiles' x.y.z
    // versions. A pin may be written with or without its leading `v`.
    const semverish = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
    const values = new Set<string>();
    for (const pin of Object.values(pins)) {
        for (const v of [pin.version, pin.modver, ...(pin.charts ?? [])]) {
            if (v) values.add(v.replace(/^v/, ""));
        }
    }
    for (const profile of Object.values(versionProfiles)) {
        for (const v of Object.values(profile)) {
            if (semverish.test(v)) values.add(v.replace(/^v/, ""));
        }
    }
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

    test("the scripts checked are there", () => {
        expect(files).toEqual(expect.arrayContaining(["toolchain/build.sh", "sim/sim.sh", "sim/cluster.sh", "sim/stack.ts"]));
        expect(values.size).toBeGreaterThan(15);
    });

    test.each(files)("%s names no pinned version literally", (file) => {
        const text = fs.readFileSync(path.join(repo, file), "utf8");
        const found = [...values].filter((v) => new RegExp(`(?<![\\w.])v?${escape(v)}(?![\\w.])`).test(text));
        expect(found).toEqual([]);
    });

    test("the check would catch one", () => {
        const v = pins.istio130.modver!;
        expect(new RegExp(`(?<![\\w.])v?${escape(v.replace(/^v/, ""))}(?![\\w.])`).test(`dir: "istio@${v}"`)).toBe(true);
        expect(new RegExp(`(?<![\\w.])v?${escape("1.36.3")}(?![\\w.])`).test("KUBE_VERSION=v1.36.3 # x")).toBe(true);
    });
});
