/**
 * Istio's standard dashboards (components/observability/istioDashboards.ts): taken from a directory, a mirror or
 * GitHub, always checked against the sha256 pinned per Istio release, cached by hash, every problem reported at once;
 * and the real files of the pinned 1.30 module (from `npm run toolchain`) served by Grafana's one datasource, with
 * the metric list the layer keeps for them.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
    Fetcher,
    istioDashboardFiles,
    istioDashboardMetrics,
    istioDashboardPins,
    istioDashboardUrl,
    loadIstioDashboards,
} from "../../components/observability/istioDashboards";
import { versionProfiles } from "../../components/core/versions";
import { metricsIn } from "../harness/promql";
import { announceSkipped } from "../harness/skipped";
import { repoRoot } from "../harness/stacks";
import { toolchainDir } from "../../sim/toolchain";

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const version = "9.9.9";

/** A small but well-formed dashboard per file, distinct bodies (distinct hashes). */
const fixtures: Record<string, string> = Object.fromEntries(
    istioDashboardFiles.map((f, i) => [
        f.source,
        `${JSON.stringify({ title: `fixture ${f.source}`, uid: `fixture-${i}`, panels: [{ id: 1, type: "timeseries", targets: [{ expr: "up" }] }] }, null, 1)}\n`,
    ]),
);
const fixturePins = { [version]: Object.fromEntries(Object.entries(fixtures).map(([source, body]) => [source, sha256(body)])) };
const expectedData = Object.fromEntries(istioDashboardFiles.map((f) => [f.key, fixtures[f.source]]));

let tmp: string;
beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zta-istio-dashboards-"));
});
afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
});

let dirs = 0;
/** A fresh directory under the test's temp dir, with `files` written into it. */
function dir(files: Record<string, string> = {}): string {
    const d = path.join(tmp, `d${++dirs}`);
    fs.mkdirSync(d);
    for (const [name, body] of Object.entries(files)) {
        fs.writeFileSync(path.join(d, name), body);
    }
    return d;
}
const listDir = (d: string): string[] => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);

/** A fetcher serving `files` by the URL's last path segment, counting calls. */
function fakeFetcher(files: Record<string, string>): Fetcher & { calls: string[] } {
    const calls: string[] = [];
    const f = (url: string) => {
        calls.push(url);
        const name = url.split("/").pop()!;
        return name in files ? Promise.resolve(Buffer.from(files[name])) : Promise.reject(new Error("HTTP 404"));
    };
    return Object.assign(f, { calls });
}

const errorOf = async (p: Promise<unknown>): Promise<string> => {
    try {
        await p;
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("expected the load to fail");
};

describe("the pins", () => {
    test("every Istio release a version profile deploys has a pin for each shipped file, each a sha256", () => {
        const istioVersions = new Set(Object.values(versionProfiles).map((p) => p.istio));
        expect(istioVersions.size).toBeGreaterThan(0);
        for (const v of istioVersions) {
            expect([v, Object.keys(istioDashboardPins[v] ?? {}).sort()]).toEqual([v, istioDashboardFiles.map((f) => f.source).sort()]);
        }
        for (const [v, pins] of Object.entries(istioDashboardPins)) {
            for (const [source, hash] of Object.entries(pins)) {
                expect([v, source, hash]).toEqual([v, source, expect.stringMatching(/^[0-9a-f]{64}$/)]);
            }
        }
    });

    test("four files under distinct keys: mesh, service, workload, control plane", () => {
        expect(istioDashboardFiles.map((f) => f.key)).toEqual([
            "istio-mesh-dashboard.json",
            "istio-service-dashboard.json",
            "istio-workload-dashboard.json",
            "istio-control-plane-dashboard.json",
        ]);
        expect(new Set(istioDashboardFiles.map((f) => f.source)).size).toBe(4);
    });

    test("the download URL is the raw file at the release tag", () => {
        expect(istioDashboardUrl("1.30.3", "pilot-dashboard.gen.json")).toBe(
            "https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/addons/dashboards/pilot-dashboard.gen.json",
        );
    });
});

describe("loading with fixture pins", () => {
    test("(a) a local directory: the four files under their ConfigMap keys, verbatim; nothing fetched or cached", async () => {
        const fetcher = fakeFetcher({});
        const cacheDir = path.join(tmp, "unused-cache");
        const data = await loadIstioDashboards({ istioVersion: version, directory: dir(fixtures), pins: fixturePins, fetcher, cacheDir });
        expect(Object.keys(data).sort()).toEqual(istioDashboardFiles.map((f) => f.key).sort());
        expect(data).toEqual(expectedData);
        expect(fetcher.calls).toEqual([]);
        expect(fs.existsSync(cacheDir)).toBe(false);
    });

    test("(b) files that differ from their pins: every problem at once, naming each file, its path and both hashes", async () => {
        const [first, second, third] = istioDashboardFiles.map((f) => f.source);
        const changed = {
            ...fixtures,
            [first]: fixtures[first].replace("fixture", "changed"),
            [second]: `${fixtures[second]} `,
            [third]: fixtures[third].replace(/\n$/, "\r\n"),
        };
        const d = dir(changed);
        const message = await errorOf(loadIstioDashboards({ istioVersion: version, directory: d, pins: fixturePins }));
        expect(message).toMatch(
            new RegExp(`^observability.istioDashboards: Istio ${version.replace(/\./g, "\\.")} dashboards unavailable:\n`),
        );
        for (const source of [first, second, third]) {
            const line = message.split("\n").find((l) => l.trim().startsWith(`${source}:`));
            expect([source, line]).toEqual([
                source,
                `  ${source}: ${path.join(d, source)} has sha256 ${sha256(changed[source])}, pinned ${fixturePins[version][source]} (refusing a different dashboard)`,
            ]);
        }
        // The unchanged file is not a problem: exactly three.
        expect(message.split("\n").filter((l) => l.includes("refusing a different dashboard"))).toHaveLength(3);
        expect(message).not.toContain(`${istioDashboardFiles[3].source}:`);
    });

    /* fs errors come from another realm under jest: the loader must not rely on `instanceof Error` (it did once). */
    test("(b') a missing file is a problem naming its path, reported with the others", async () => {
        const [missing, changedSource] = [istioDashboardFiles[3].source, istioDashboardFiles[0].source];
        const files: Record<string, string> = { ...fixtures, [changedSource]: "{}" };
        delete files[missing];
        const d = dir(files);
        const message = await errorOf(loadIstioDashboards({ istioVersion: version, directory: d, pins: fixturePins }));
        expect(message).toContain(`${missing}: cannot read ${path.join(d, missing)}: ENOENT`);
        expect(message).toContain(`${changedSource}: ${path.join(d, changedSource)} has sha256 ${sha256("{}")}`);
    });

    test("(c) a download is checked, cached under its hash, and a second load does not fetch again", async () => {
        const cacheDir = path.join(tmp, "cache-c");
        const fetcher = fakeFetcher(fixtures);
        const first = await loadIstioDashboards({ istioVersion: version, cacheDir, fetcher, pins: fixturePins });
        expect(first).toEqual(expectedData);
        expect(fetcher.calls).toEqual(istioDashboardFiles.map((f) => istioDashboardUrl(version, f.source)));
        expect(listDir(cacheDir)).toEqual(Object.values(fixturePins[version]).sort());
        for (const [source, hash] of Object.entries(fixturePins[version])) {
            expect(fs.readFileSync(path.join(cacheDir, hash), "utf8")).toBe(fixtures[source]);
        }
        const again = fakeFetcher({});
        expect(await loadIstioDashboards({ istioVersion: version, cacheDir, fetcher: again, pins: fixturePins })).toEqual(expectedData);
        expect(again.calls).toEqual([]);
    });

    test("(c') a cached file that no longer matches its hash is fetched again and replaced", async () => {
        const cacheDir = path.join(tmp, "cache-corrupt");
        await loadIstioDashboards({ istioVersion: version, cacheDir, fetcher: fakeFetcher(fixtures), pins: fixturePins });
        const source = istioDashboardFiles[1].source;
        const hash = fixturePins[version][source];
        fs.writeFileSync(path.join(cacheDir, hash), "tampered");
        const fetcher = fakeFetcher(fixtures);
        expect(await loadIstioDashboards({ istioVersion: version, cacheDir, fetcher, pins: fixturePins })).toEqual(expectedData);
        expect(fetcher.calls).toEqual([istioDashboardUrl(version, source)]);
        expect(fs.readFileSync(path.join(cacheDir, hash), "utf8")).toBe(fixtures[source]);
    });

    test("(d) a download that differs from its pin is refused naming URL and both hashes, and is not cached", async () => {
        const cacheDir = path.join(tmp, "cache-d");
        const source = istioDashboardFiles[2].source;
        const served = { ...fixtures, [source]: fixtures[source].replace("fixture", "evil") };
        const message = await errorOf(
            loadIstioDashboards({
                istioVersion: version,
                cacheDir,
                fetcher: fakeFetcher(served),
                pins: fixturePins,
                baseUrl: "https://mirror.example/d/",
            }),
        );
        expect(message).toContain(
            `${source}: https://mirror.example/d/${source} has sha256 ${sha256(served[source])}, pinned ${fixturePins[version][source]}`,
        );
        // The three good files are cached, the bad one under neither hash.
        const cached = listDir(cacheDir);
        expect(cached).not.toContain(sha256(served[source]));
        expect(cached).not.toContain(fixturePins[version][source]);
        expect(cached).toEqual(
            istioDashboardFiles
                .filter((f) => f.source !== source)
                .map((f) => fixturePins[version][f.source])
                .sort(),
        );
        expect(cached.some((f) => f.endsWith(".tmp"))).toBe(false);
    });

    test("(d') a failing download is a problem naming the file and URL; the others are still reported", async () => {
        const [gone, bad] = [istioDashboardFiles[0].source, istioDashboardFiles[3].source];
        const served: Record<string, string> = { ...fixtures, [bad]: "{}" };
        delete served[gone];
        const message = await errorOf(
            loadIstioDashboards({
                istioVersion: version,
                cacheDir: path.join(tmp, "cache-d2"),
                fetcher: fakeFetcher(served),
                pins: fixturePins,
            }),
        );
        expect(message).toContain(`${gone}: download from ${istioDashboardUrl(version, gone)} failed: HTTP 404`);
        expect(message).toContain(`${bad}: ${istioDashboardUrl(version, bad)} has sha256 ${sha256("{}")}`);
    });

    test('(e) an Istio release without pins is refused before anything is read, naming the pinned releases and "none"', async () => {
        const fetcher = fakeFetcher(fixtures);
        const message = await errorOf(loadIstioDashboards({ istioVersion: "1.99.0", cacheDir: path.join(tmp, "cache-e"), fetcher }));
        expect(message).toContain("no pinned dashboards for Istio 1.99.0");
        for (const v of Object.keys(istioDashboardPins)) {
            expect(message).toContain(v);
        }
        expect(message).toContain('"none"');
        expect(fetcher.calls).toEqual([]);
        const custom = await errorOf(loadIstioDashboards({ istioVersion: "1.30.3", directory: dir(fixtures), pins: fixturePins }));
        expect(custom).toContain(`(pinned: ${version})`);
    });

    test("(f) a pinned file that is not a Grafana dashboard (JSON without panels, or no JSON) is refused", async () => {
        const [noPanels, notJson] = [istioDashboardFiles[0].source, istioDashboardFiles[1].source];
        const files = { ...fixtures, [noPanels]: JSON.stringify({ title: "no panels", rows: [] }), [notJson]: "<html>rate limited</html>" };
        const pins = { [version]: Object.fromEntries(Object.entries(files).map(([s, b]) => [s, sha256(b)])) };
        const message = await errorOf(loadIstioDashboards({ istioVersion: version, directory: dir(files), pins }));
        expect(message).toContain(`${noPanels}: JSON without a panels list (not a Grafana dashboard)`);
        expect(message).toContain(`${notJson}: not JSON`);
    });
});

describe("(g) from a real HTTP mirror with the default fetcher", () => {
    let server: http.Server;
    let base: string;
    const requests: string[] = [];
    beforeAll(async () => {
        server = http.createServer((req, res) => {
            requests.push(req.url ?? "");
            const name = (req.url ?? "").replace(/^\/mirror\//, "");
            if (req.method === "GET" && name in fixtures) {
                res.writeHead(200, { "content-type": "application/json" }).end(fixtures[name]);
            } else {
                res.writeHead(404).end("not found");
            }
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mirror`;
    });
    afterAll(async () => {
        await new Promise((resolve) => server.close(resolve));
    });

    test("downloads each file once from <base>/<source>, checks it, and loads from the cache afterwards", async () => {
        const cacheDir = path.join(tmp, "cache-g");
        expect(await loadIstioDashboards({ istioVersion: version, baseUrl: `${base}//`, cacheDir, pins: fixturePins })).toEqual(
            expectedData,
        );
        expect(requests.sort()).toEqual(istioDashboardFiles.map((f) => `/mirror/${f.source}`).sort());
        expect(await loadIstioDashboards({ istioVersion: version, baseUrl: base, cacheDir, pins: fixturePins })).toEqual(expectedData);
        expect(requests).toHaveLength(4);
    });

    test("an HTTP error is reported with its status and URL", async () => {
        const pins = { [version]: { ...fixturePins[version], [istioDashboardFiles[0].source]: sha256("x") } };
        const message = await errorOf(
            loadIstioDashboards({ istioVersion: version, baseUrl: `${base}/elsewhere`, cacheDir: path.join(tmp, "cache-g2"), pins }),
        );
        expect(message).toContain(
            `${istioDashboardFiles[0].source}: download from ${base}/elsewhere/${istioDashboardFiles[0].source} failed: HTTP 404`,
        );
        expect(message.split("\n").filter((l) => l.includes("failed: HTTP 404"))).toHaveLength(4);
    });
});

// ---------------------------------------------------------------- the real dashboards

// The istio.io/istio commit the toolchain fetched (the one version manifest names it).
const modVersion = (
    JSON.parse(fs.readFileSync(path.join(repoRoot, "versions.json"), "utf8")) as { toolchain: { istio130: { modver: string } } }
).toolchain.istio130.modver;
const realDir = path.join(toolchainDir, "go", "mod", "istio.io", `istio@${modVersion}`, "manifests", "addons", "dashboards");
const haveReal = fs.existsSync(realDir);
if (!haveReal) {
    announceSkipped(`real Istio dashboards: ${realDir} missing (npm run toolchain)`);
}
const realTest = haveReal ? test : test.skip;

type Json = Record<string, unknown>;
/** Every object in a JSON tree. */
function objects(node: unknown, out: Json[] = []): Json[] {
    if (Array.isArray(node)) {
        node.forEach((n) => objects(n, out));
    } else if (node && typeof node === "object") {
        out.push(node as Json);
        Object.values(node).forEach((n) => objects(n, out));
    }
    return out;
}
const isDatasourceVariable = (uid: unknown) => uid === "$datasource" || uid === "${datasource}";

describe("(h) the real dashboards of Istio 1.30.3 (the toolchain's istio.io/istio module)", () => {
    let data: Record<string, string> = {};
    beforeAll(async () => {
        if (haveReal) {
            // The real pins: no `pins` option. A file the module changed would fail here, not at deploy time.
            data = await loadIstioDashboards({ istioVersion: "1.30.3", directory: realDir, cacheDir: path.join(tmp, "cache-h") });
        }
    });

    realTest("all four load against the real pins", () => {
        expect(Object.keys(data).sort()).toEqual(istioDashboardFiles.map((f) => f.key).sort());
    });

    realTest("each queries through a `datasource` variable of type datasource (so Grafana's one default Prometheus serves it)", () => {
        for (const [key, text] of Object.entries(data)) {
            const d = JSON.parse(text) as { templating?: { list?: Json[] }; panels: unknown[] };
            const variable = (d.templating?.list ?? []).find((v) => v.name === "datasource");
            expect([key, variable?.type, variable?.query]).toEqual([key, "datasource", "prometheus"]);
            // Every query names the variable, never a fixed datasource uid Grafana would not know.
            const targets = objects(d.panels).filter((o) => typeof o.expr === "string");
            expect([key, targets.length > 0]).toEqual([key, true]);
            for (const t of targets) {
                const ds = t.datasource as Json | undefined;
                expect([key, t.expr, ds === undefined || (ds.type === "prometheus" && isDatasourceVariable(ds.uid))]).toEqual([
                    key,
                    t.expr,
                    true,
                ]);
            }
            for (const o of objects(d.panels)) {
                const ds = o.datasource as Json | string | undefined;
                if (ds && typeof ds === "object" && ds.type === "prometheus") {
                    expect([key, ds.uid]).toEqual([key, expect.stringMatching(/^\$\{?datasource\}?$/)]);
                }
            }
            for (const v of (d.templating?.list ?? []).filter((x) => x.type === "query")) {
                expect([key, v.name, (v.datasource as Json).uid]).toEqual([key, v.name, expect.stringMatching(/^\$\{?datasource\}?$/)]);
            }
        }
    });

    /* The list is what federation must carry; this keeps it equal to what the real files read (it caught a wrong list). */
    realTest("the metrics their expressions read (but the cAdvisor container_* series) are exactly istioDashboardMetrics", () => {
        const used = new Map<string, Set<string>>();
        for (const [key, text] of Object.entries(data)) {
            for (const o of objects(JSON.parse(text))) {
                if (typeof o.expr === "string") {
                    for (const metric of metricsIn(o.expr)) {
                        used.set(metric, (used.get(metric) ?? new Set()).add(key));
                    }
                }
            }
        }
        const names = [...used.keys()].filter((m) => !m.startsWith("container_"));
        expect(names.length).toBeGreaterThan(20);
        const listed = new Set<string>(istioDashboardMetrics);
        const report = {
            "read by the dashboards, missing from istioDashboardMetrics": names
                .filter((m) => !listed.has(m))
                .sort()
                .map((m) => `${m} (${[...used.get(m)!].join(", ")})`),
            "in istioDashboardMetrics, read by no shipped dashboard": [...listed].filter((m) => !used.has(m)).sort(),
        };
        expect(report).toEqual({
            "read by the dashboards, missing from istioDashboardMetrics": [],
            "in istioDashboardMetrics, read by no shipped dashboard": [],
        });
    });
});
