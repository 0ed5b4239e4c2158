/**
 * versions.json is the ONE version manifest: the program (components/core/versions.ts), toolchain/build.sh and sim/
 * read it. These tests keep it complete, consistent with package.json, and the only place a pin is written.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import manifest from "../../versions.json";
import {
    imageDigests,
    istioChartRepo,
    istioSupport,
    kubernetesVersionProblems,
    parseImageDigests,
    parseIstioSupport,
    parseProfile,
    pinnedImage,
    profileImageFields,
    versionPairWarning,
    versionProfileNames,
    versionProfiles,
} from "../../components/core/versions";
import { istioUpstreamImages } from "../../components/mesh/values";
import { metallbUpstreamImages } from "../../components/platform/baremetal/metallb";
import { sampleUpstreamImages } from "../../components/workloads/samples";
import { keycloakUpstreamImage } from "../../components/identity/keycloak";

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
            const values = Object.entries(manifest.profiles[name])
                .filter(([k]) => k !== "why")
                .map(([k, v]) => [k, (profileImageFields as readonly string[]).includes(k) ? pinnedImage(v as string, imageDigests) : v]);
            expect(versionProfiles[name]).toEqual({ ...Object.fromEntries(values), imageDigests });
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
            "@pulumi/azure-native",
            "@pulumi/command",
            "@pulumi/gcp",
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
            if (typeof v === "string" && semverish.test(v)) values.add(v.replace(/^v/, ""));
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

describe("image digests (versions.json imageDigests)", () => {
    const digest = `sha256:${"0123456789abcdef".repeat(4)}`;

    test("lists exactly the images the program renders, each by its upstream tagged reference", () => {
        const rendered = new Set<string>([keycloakUpstreamImage, ...Object.values(sampleUpstreamImages())]);
        for (const raw of Object.values(manifest.profiles)) {
            for (const field of profileImageFields) rendered.add(raw[field]);
            for (const image of Object.values(istioUpstreamImages(raw.istio))) rendered.add(image);
            for (const image of Object.values(metallbUpstreamImages(raw.metallb))) rendered.add(image);
        }
        expect(Object.keys(manifest.imageDigests).sort()).toEqual([...rendered].sort());
    });

    test("every committed entry is empty or a sha256 digest (64 lower-case hex)", () => {
        for (const [key, value] of Object.entries(manifest.imageDigests as Record<string, string>)) {
            expect([key, value === "" || /^sha256:[0-9a-f]{64}$/.test(value)]).toEqual([key, true]);
        }
    });

    test.each([
        ["upper-case hex", `sha256:${"0123456789ABCDEF".repeat(4)}`],
        ["63 digits", `sha256:${"0".repeat(63)}`],
        ["65 digits", `sha256:${"0".repeat(65)}`],
        ["another algorithm", `sha512:${"0".repeat(64)}`],
        ["no algorithm", "0".repeat(64)],
        ["a number", 1],
    ])("a malformed digest (%s) is an error naming its manifest key", (_what, value) => {
        expect(() => parseImageDigests({ "docker.io/curlimages/curl:8.16.0": value })).toThrow(
            'versions.json: imageDigests["docker.io/curlimages/curl:8.16.0"] must be "" (no digest yet) or "sha256:" followed by 64 lower-case hex digits',
        );
    });

    test("a key must be a tagged reference without a digest", () => {
        for (const key of ["docker.io/curlimages/curl", `docker.io/curlimages/curl:8.16.0@${digest}`, "curl:latest:1"]) {
            expect(() => parseImageDigests({ [key]: "" })).toThrow(`versions.json: imageDigests[${JSON.stringify(key)}]: the key must be`);
        }
        expect(() => parseImageDigests(["x"])).toThrow("imageDigests must be an object");
    });

    test("only filled entries count; prototype names are plain keys", () => {
        const d = parseImageDigests({ "registry:2.8.3": digest, "docker.io/curlimages/curl:8.16.0": "" });
        expect({ ...d }).toEqual({ "registry:2.8.3": digest });
        expect(pinnedImage("constructor:1", d)).toBe("constructor:1");
    });

    test("pinnedImage appends the digest, also to a mirror's reference of the same image", () => {
        const d = { "docker.io/istio/pilot:1.30.3": digest };
        expect(pinnedImage("docker.io/istio/pilot:1.30.3", d)).toBe(`docker.io/istio/pilot:1.30.3@${digest}`);
        expect(pinnedImage("docker.io/istio/pilot:1.30.3", d, "10.5.0.2:5000/istio/pilot:1.30.3")).toBe(
            `10.5.0.2:5000/istio/pilot:1.30.3@${digest}`,
        );
        expect(pinnedImage("docker.io/istio/pilot:1.24.3", d)).toBe("docker.io/istio/pilot:1.24.3");
    });

    test("a digest in the manifest reaches the profile's image fields (registry, Prometheus, Grafana, Kiali)", () => {
        const raw = manifest.profiles.default as Record<string, unknown>;
        const digests = Object.fromEntries(profileImageFields.map((f) => [raw[f] as string, digest]));
        const profile = parseProfile("default", raw, parseImageDigests(digests));
        for (const f of profileImageFields) {
            expect(profile[f]).toBe(`${raw[f] as string}@${digest}`);
        }
        expect(parseProfile("default", raw, {}).prometheusImage).toBe(raw.prometheusImage);
    });

    test("a profile image written with a digest is refused (digests live in imageDigests, once)", () => {
        const raw = {
            ...(manifest.profiles.default as Record<string, unknown>),
            grafanaImage: `docker.io/grafana/grafana:12.0.1@${digest}`,
        };
        expect(() => parseProfile("default", raw)).toThrow(
            "versions.json: profiles.default.grafanaImage must be a tagged image reference without a digest",
        );
        expect(() => parseProfile("default", { ...raw, grafanaImage: "grafana" })).toThrow("profiles.default.grafanaImage");
    });

    test("a profile may not smuggle its own imageDigests field", () => {
        expect(() => parseProfile("default", { ...(manifest.profiles.default as Record<string, unknown>), imageDigests: {} })).toThrow(
            "versions.json: profiles.default has unknown field(s) imageDigests",
        );
    });
});

describe("Istio support matrix (versions.json istioSupport)", () => {
    test("records istio.io's facts for every Istio minor a profile uses", () => {
        expect(istioSupport.source).toContain("https://istio.io/latest/docs/releases/supported-releases/");
        expect(istioSupport.minors["1.24"]).toEqual({
            kubernetes: ["1.28", "1.29", "1.30", "1.31"],
            released: "2024-11-07",
            endOfLife: "2025-06-24",
        });
        expect(istioSupport.minors["1.30"]).toEqual({ kubernetes: ["1.32", "1.33", "1.34", "1.35", "1.36"], released: "2026-05-18" });
        const used = new Set(Object.values(versionProfiles).map((p) => p.istio.split(".").slice(0, 2).join(".")));
        expect(Object.keys(istioSupport.minors).sort()).toEqual([...used].sort());
    });

    test("the default profile is a supported pair: no warning", () => {
        expect(versionPairWarning("default", versionProfiles.default)).toBeUndefined();
    });

    test("nist-2025 is warned about loudly: profile, pair, matrix, end of life", () => {
        expect(versionPairWarning("nist-2025", versionProfiles["nist-2025"])).toBe(
            'UNSUPPORTED VERSIONS: version profile "nist-2025" pairs Istio 1.24.3 with Kubernetes 1.32, OUTSIDE Istio\'s support matrix ' +
                "and runs Istio 1.24, END OF LIFE since 2025-06-24 (no security fixes). Istio 1.24 supports Kubernetes 1.28, 1.29, 1.30, 1.31 " +
                'and is end of life since 2025-06-24 (versions.json istioSupport, from istio.io "Supported Releases" ' +
                "(https://istio.io/latest/docs/releases/supported-releases/#support-status-of-istio-releases)). This profile reproduces a " +
                'published testbed; do not use it as a secure baseline (zta-testbed:versionProfile "default" is the supported pair).',
        );
    });

    test("an end-of-life Istio inside its matrix, and a supported Istio outside it, are each warned about", () => {
        const matrix = {
            "1.24": { kubernetes: ["1.31"], released: "2024-11-07", endOfLife: "2025-06-24" },
            "1.30": { kubernetes: ["1.35"], released: "2026-05-18" },
        };
        expect(versionPairWarning("p", { istio: "1.24.3", kubernetes: "1.31" }, matrix)).toMatch(
            /^UNSUPPORTED VERSIONS: version profile "p" runs Istio 1.24, END OF LIFE/,
        );
        expect(versionPairWarning("p", { istio: "1.30.3", kubernetes: "1.32" }, matrix)).toMatch(
            /^UNSUPPORTED VERSIONS: version profile "p" pairs Istio 1.30.3 with Kubernetes 1.32, OUTSIDE Istio's support matrix\. Istio 1.30 supports Kubernetes 1.35 \(/,
        );
        expect(versionPairWarning("p", { istio: "1.30.3", kubernetes: "1.35" }, matrix)).toBeUndefined();
    });

    test("a profile whose Istio minor has no entry is an error naming the profile", () => {
        expect(() => versionPairWarning("next", { istio: "1.31.0", kubernetes: "1.36" })).toThrow(
            'versions.json: profiles.next.istio is "1.31.0", but istioSupport.minors has no entry for Istio 1.31',
        );
    });

    test("malformed matrix entries are errors naming the key", () => {
        const ok = { kubernetes: ["1.32"], released: "2026-05-18" };
        expect(() => parseIstioSupport({ source: "s", minors: { "1.30": { ...ok, kubernetes: ["v1.32"] } } })).toThrow(
            'istioSupport.minors["1.30"].kubernetes must be a non-empty list',
        );
        expect(() => parseIstioSupport({ source: "s", minors: { "1.30": { ...ok, endOfLife: "June 2025" } } })).toThrow(
            'istioSupport.minors["1.30"].endOfLife must be a date YYYY-MM-DD',
        );
        expect(() => parseIstioSupport({ source: "s", minors: { "1.30": { ...ok, eol: "2025-01-01" } } })).toThrow("unknown field(s) eol");
        expect(() => parseIstioSupport({ source: "s", minors: { "1.30.3": ok } })).toThrow('expected an Istio minor like "1.30"');
    });

    test("kubernetesVersionProblems: a cluster's version (as /version reports it) against the profile's matrix", () => {
        const nist = versionProfiles["nist-2025"];
        expect(kubernetesVersionProblems(nist, "aks-1", "v1.31.5")).toEqual([]);
        expect(kubernetesVersionProblems(nist, "gke-1", "v1.32.4-gke.1106000")).toEqual([
            'cluster "gke-1" runs Kubernetes 1.32, outside Istio\'s support matrix for Istio 1.24.3: Istio 1.24 supports Kubernetes 1.28, 1.29, 1.30, 1.31 and is end of life since 2025-06-24 (versions.json istioSupport, from istio.io "Supported Releases" (https://istio.io/latest/docs/releases/supported-releases/#support-status-of-istio-releases))',
        ]);
        expect(kubernetesVersionProblems(versionProfiles.default, "c", "1.36")).toEqual([]);
        expect(kubernetesVersionProblems(versionProfiles.default, "c", "banana")).toEqual([
            'cluster "c": Kubernetes version "banana" is not a version like "1.32" or "v1.32.4"',
        ]);
    });
});
