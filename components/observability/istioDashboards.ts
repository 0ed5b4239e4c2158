/**
 * Istio's standard Grafana dashboards (istio/istio manifests/addons/dashboards), fetched at deploy time from the
 * Istio release tag the stack runs and checked against the sha256 pinned here, so every deployment of a profile
 * ships byte-identical dashboards (or fails). They are not vendored into this repository.
 *
 * Shipped: mesh, service, workload and control plane. Left out: ztunnel (no ambient mode here), Wasm extensions
 * (none deployed) and performance (nearly all container_* series from the kubelet's cAdvisor, which would need the
 * nodes/proxy permission — that permission also reaches the kubelet's exec API).
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export interface IstioDashboardFile {
    /** Key in the Grafana ConfigMap (file name Grafana loads). */
    readonly key: string;
    /** Path under manifests/addons/dashboards/ at the tag. */
    readonly source: string;
}

export const istioDashboardFiles: readonly IstioDashboardFile[] = [
    { key: "istio-mesh-dashboard.json", source: "istio-mesh-dashboard.gen.json" },
    { key: "istio-service-dashboard.json", source: "istio-service-dashboard.json" },
    { key: "istio-workload-dashboard.json", source: "istio-workload-dashboard.json" },
    { key: "istio-control-plane-dashboard.json", source: "pilot-dashboard.gen.json" },
];

/** sha256 of each file at each Istio tag a version profile pins (`git show <tag>:<path> | sha256sum`). */
export const istioDashboardPins: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    "1.24.3": {
        "istio-mesh-dashboard.gen.json": "ea1485b108d8c30285a81c0e58851d8e7b70c98a941dc46a67fb640bb8f24c20",
        "istio-service-dashboard.json": "9f79357bad36295005334be3792d7b54db7c763801996d24835f61d1e704a9c3",
        "istio-workload-dashboard.json": "bffbe83453322c310822a209b6f1fb1404bec24868ce4636c18a4d313e83fc91",
        "pilot-dashboard.gen.json": "d3cd0b3fb14e915fe1d3aa9d65c40582619caa4ffb57101dc458c0576a2dc25f",
    },
    "1.30.3": {
        "istio-mesh-dashboard.gen.json": "d1f8f1f0c61722ffebada80b4ea50a17d99e5dfd62efd658d0f79635437afc74",
        "istio-service-dashboard.json": "d2c3881bd82f44965bd124ef5aade6e81b41e05355758a41c6d4d7465e98d3fc",
        "istio-workload-dashboard.json": "0a9b4c2cec355b85fe941db9215467b0ca0bfd85c44598c99fbfe91eb539a1de",
        "pilot-dashboard.gen.json": "5a03f45efa32b975ac1dba1b12877c586fb63bbb1da06516dfa56256caa1acc0",
    },
};

/**
 * Metrics the shipped Istio dashboards query (extracted from their `expr` fields at both tags). Federation must
 * carry them (tests check it) except the cAdvisor `container_*` series, which are not scraped (see above).
 */
export const istioDashboardMetrics = [
    "istio_build",
    "istio_requests_total",
    "istio_request_duration_milliseconds_bucket",
    "istio_request_duration_seconds_bucket",
    "istio_request_bytes_bucket",
    "istio_response_bytes_bucket",
    "istio_tcp_received_bytes_total",
    "istio_tcp_sent_bytes_total",
    "pilot_xds",
    "pilot_xds_pushes",
    "pilot_xds_push_time_bucket",
    "pilot_xds_config_size_bytes_bucket",
    "pilot_total_xds_rejects",
    "pilot_total_xds_internal_errors",
    "pilot_push_triggers",
    "pilot_k8s_cfg_events",
    "pilot_k8s_reg_events",
    "galley_validation_passed",
    "galley_validation_failed",
    "sidecar_injection_success_total",
    "sidecar_injection_failure_total",
    "envoy_cluster_upstream_cx_active",
    "go_goroutines",
    "go_memstats_alloc_bytes_total",
    "go_memstats_heap_alloc_bytes",
    "go_memstats_heap_inuse_bytes",
    "go_memstats_mallocs_total",
    "go_memstats_stack_inuse_bytes",
] as const;

/** Where the files come from: the raw file at the release tag. */
export function istioDashboardUrl(istioVersion: string, source: string): string {
    return `https://raw.githubusercontent.com/istio/istio/${encodeURIComponent(istioVersion)}/manifests/addons/dashboards/${source}`;
}

export type Fetcher = (url: string) => Promise<Buffer>;

const httpFetch: Fetcher = async (url) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) {
        throw new Error(`HTTP ${res.status}`);
    }
    return Buffer.from(await res.arrayBuffer());
};

export interface LoadOptions {
    readonly istioVersion: string;
    /** Cache directory; default ~/.cache/zta-testbed/istio-dashboards. Files are stored by their sha256. */
    readonly cacheDir?: string;
    /** Base URL instead of raw.githubusercontent.com (a mirror), `<base>/<source>`. */
    readonly baseUrl?: string;
    /** A local copy of manifests/addons/dashboards instead of any download (no cache involved). */
    readonly directory?: string;
    readonly fetcher?: Fetcher;
    /** Pins to check against; default `istioDashboardPins`. */
    readonly pins?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The text of a dashboard file, or "" (and a problem) when it is not a JSON dashboard. */
function parseCheck(problems: string[], source: string, body: Buffer): string {
    const text = body.toString("utf8");
    try {
        const d = JSON.parse(text) as { panels?: unknown };
        if (!Array.isArray(d.panels)) {
            problems.push(`${source}: JSON without a panels list (not a Grafana dashboard)`);
            return "";
        }
    } catch (e) {
        problems.push(`${source}: not JSON (${(e as Error).message})`);
        return "";
    }
    return text;
}

/**
 * The dashboards for `istioVersion`, as ConfigMap data. Each file is taken from the cache when its pinned hash is
 * there, else downloaded and checked; any mismatch or failure is an error naming the file, URL and both hashes.
 */
export async function loadIstioDashboards(options: LoadOptions): Promise<Record<string, string>> {
    const pins = (options.pins ?? istioDashboardPins)[options.istioVersion];
    if (!pins) {
        const known = Object.keys(options.pins ?? istioDashboardPins).join(", ");
        throw new Error(
            `observability.istioDashboards: no pinned dashboards for Istio ${options.istioVersion} (pinned: ${known}); add their sha256 to components/observability/istioDashboards.ts or set it to "none"`,
        );
    }
    const cacheDir = options.cacheDir ?? join(homedir(), ".cache", "zta-testbed", "istio-dashboards");
    const fetcher = options.fetcher ?? httpFetch;
    const out: Record<string, string> = {};
    const problems: string[] = [];
    for (const file of istioDashboardFiles) {
        const want = pins[file.source];
        if (!want) {
            problems.push(`${file.source}: no sha256 pinned for Istio ${options.istioVersion}`);
            continue;
        }
        if (options.directory !== undefined) {
            const file_ = join(options.directory, file.source);
            const local = await readFile(file_).catch((e: unknown) => e);
            // Buffer.isBuffer, not instanceof Error: fs errors may come from another realm (jest's VM context).
            if (!Buffer.isBuffer(local)) {
                problems.push(`${file.source}: cannot read ${file_}: ${(local as { message?: string })?.message ?? String(local)}`);
                continue;
            }
            const got = sha256(local);
            if (got !== want) {
                problems.push(`${file.source}: ${file_} has sha256 ${got}, pinned ${want} (refusing a different dashboard)`);
                continue;
            }
            out[file.key] = parseCheck(problems, file.source, local);
            continue;
        }
        const cached = join(cacheDir, want);
        let body: Buffer | undefined = await readFile(cached).catch(() => undefined);
        if (body && sha256(body) !== want) {
            body = undefined;
        }
        if (!body) {
            const url = options.baseUrl
                ? `${options.baseUrl.replace(/\/+$/, "")}/${file.source}`
                : istioDashboardUrl(options.istioVersion, file.source);
            try {
                body = await fetcher(url);
            } catch (e) {
                problems.push(`${file.source}: download from ${url} failed: ${(e as Error).message}`);
                continue;
            }
            const got = sha256(body);
            if (got !== want) {
                problems.push(`${file.source}: ${url} has sha256 ${got}, pinned ${want} (refusing a different dashboard)`);
                continue;
            }
            await mkdir(cacheDir, { recursive: true });
            const tmp = `${cached}.${process.pid}.tmp`;
            await writeFile(tmp, body);
            await rename(tmp, cached);
        }
        out[file.key] = parseCheck(problems, file.source, body);
    }
    for (const [k, v] of Object.entries(out)) {
        if (v === "") {
            delete out[k];
        }
    }
    if (problems.length > 0) {
        throw new Error(
            `observability.istioDashboards: Istio ${options.istioVersion} dashboards unavailable:\n  ${problems.join("\n  ")}\n(offline: set observability.istioDashboards to "none", or to a mirror URL)`,
        );
    }
    return out;
}
