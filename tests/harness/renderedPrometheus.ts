/**
 * What a program run rendered for Prometheus and Grafana, checked with Prometheus's own tools (tests/harness/
 * prometheus.ts): every Prometheus configuration (with its rule file) through `promtool check config`, and every
 * dashboard expression through Prometheus's parser, each series selector held against the federation's match[] as
 * the mesh Prometheus's configuration sets it.
 */
import { parse as parseYaml } from "yaml";
import { RecordedResource, Recording } from "./engine";
import { Matcher, filesDir, matches, parsePromql, promtool } from "./prometheus";

const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

/** Where the program mounts the config ConfigMap in the Prometheus container (objects.ts). */
const configMount = "/etc/prometheus/";

export interface CheckedConfig {
    readonly name: string;
    readonly status: number;
    readonly output: string;
}

export const prometheusConfigMaps = (rec: Recording): RecordedResource[] =>
    rec.ofType(CONFIG_MAP).filter((r) => r.name.endsWith("-prometheus-config"));

/**
 * `promtool check config` on each rendered prometheus.yml, beside the other files of its ConfigMap. Rule files are
 * referenced by their mount path: rewritten to the files' directory (what the kubelet's mount does).
 */
export function checkPrometheusConfigs(rec: Recording): CheckedConfig[] {
    return prometheusConfigMaps(rec).map((cm) => {
        const data = cm.inputs.data as Record<string, string>;
        const files = { ...data, "prometheus.yml": data["prometheus.yml"].split(configMount).join("") };
        const d = filesDir(files);
        try {
            return { name: cm.name, ...promtool(["check", "config", "prometheus.yml"], d.dir) };
        } finally {
            d.remove();
        }
    });
}

type Json = Record<string, any>;

function objects(value: unknown): Json[] {
    if (Array.isArray(value)) {
        return value.flatMap(objects);
    }
    if (value && typeof value === "object") {
        return [value, ...Object.values(value).flatMap(objects)];
    }
    return [];
}

/** A dashboard's queries: panel targets' `expr`, and the series of `label_values(series, label)` variables. */
export function dashboardQueries(dashboard: Json): string[] {
    const exprs = objects(dashboard.panels ?? dashboard.rows ?? [])
        .map((o) => o.expr)
        .filter((e): e is string => typeof e === "string" && e.trim() !== "");
    for (const v of (dashboard.templating?.list ?? []) as Json[]) {
        const q = typeof v.query === "string" ? v.query : (v.query as Json | undefined)?.query;
        const m = typeof q === "string" ? /^label_values\((.*),\s*\w+\)$/.exec(q.trim()) : null;
        if (m) {
            exprs.push(m[1]);
        }
    }
    return exprs;
}

/**
 * Grafana's substitutions before the query reaches Prometheus: interval variables become a duration, every other
 * variable a value (`.*`: inside a regex matcher, all of them).
 */
export function substituteVariables(expr: string): string {
    return expr
        .replace(/\$\{?__(?:rate_interval|interval|range)(?::\w+)?\}?/g, "5m")
        .replace(/\[\[\w+\]\]|\$\{\w+(?::\w+)?\}|\$\w+/g, ".*");
}

export interface DashboardQuery {
    readonly where: string;
    readonly expr: string;
}

export function renderedDashboardQueries(rec: Recording): DashboardQuery[] {
    return rec
        .ofType(CONFIG_MAP)
        .filter((r) => /-grafana-dashboards-/.test(r.name))
        .flatMap((cm) =>
            Object.entries(cm.inputs.data as Record<string, string>).flatMap(([file, text]) =>
                dashboardQueries(JSON.parse(text) as Json).map((expr) => ({ where: `${cm.name}/${file}`, expr })),
            ),
        );
}

/** The federate job's match[] of the mesh Prometheus (the one configuration that has one). */
export function renderedFederationMatch(rec: Recording): string[] {
    const sets = prometheusConfigMaps(rec).flatMap((cm) =>
        ((parseYaml((cm.inputs.data as Record<string, string>)["prometheus.yml"]) as Json).scrape_configs as Json[])
            .filter((j) => j.metrics_path === "/federate")
            .map((j) => (j.params as Record<string, string[]>)["match[]"]),
    );
    return [...new Set(sets.flat())];
}

/**
 * Series of istiod's own metrics carry app="istiod": the scrape maps pod labels onto every series (labelmap), and
 * istiod is the only pod that exports them. A selector of such a metric is taken by federation's {app="istiod"}
 * even when it does not say so. (The sim tier shows it on the real istiod's series.)
 */
export const istiodMetricPrefixes = ["pilot_", "citadel_", "galley_", "sidecar_injection_"] as const;

/** Does a selector's every series fall under one of the federation's match sets? */
export function carried(selector: readonly Matcher[], federation: readonly (readonly Matcher[])[]): boolean {
    const pinned = new Map(selector.filter((m) => m.type === "=").map((m) => [m.name, m.value]));
    const name = pinned.get("__name__") ?? "";
    if (istiodMetricPrefixes.some((p) => name.startsWith(p)) && !pinned.has("app")) {
        pinned.set("app", "istiod");
    }
    return federation.some((set) => set.every((m) => pinned.has(m.name) && matches(m, pinned.get(m.name)!)));
}

export interface SelectorVerdict {
    readonly where: string;
    readonly expr: string;
    readonly parseError?: string;
    readonly notCarried: string[];
}

/** Every dashboard query parsed by Prometheus's parser, and the selectors federation would not carry. */
export function dashboardVerdicts(queries: readonly DashboardQuery[], federationMatch: readonly string[]): SelectorVerdict[] {
    const parsed = parsePromql(
        queries.map((q) => substituteVariables(q.expr)),
        federationMatch,
    );
    const badMatch = parsed.selectors.filter((s) => s.error);
    if (badMatch.length > 0) {
        throw new Error(`federation match[] does not parse: ${JSON.stringify(badMatch)}`);
    }
    const federation = parsed.selectors.map((s) => s.matchers);
    return queries.map((q, i) => {
        const r = parsed.exprs[i];
        return {
            where: q.where,
            expr: q.expr,
            ...(r.error ? { parseError: r.error } : {}),
            notCarried: r.selectors.filter((s) => !carried(s.matchers, federation)).map((s) => s.metric || JSON.stringify(s.matchers)),
        };
    });
}
