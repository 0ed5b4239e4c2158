/** PromQL helpers for tests that check which metrics dashboards, alerts and federation use. */

/** PromQL keywords and grouping words: never metric names. */
const promqlWords = new Set([
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "le",
]);

/**
 * Metric names in a PromQL expression: identifiers left once strings, label matchers `{...}`, ranges `[...]`,
 * groupings `by (...)`, numbers and Grafana variables are removed, that are not a function call (sum, rate,
 * increase, min, max, vector, histogram_quantile, ...) or a keyword (by, or, and, le, ...).
 */
export function metricsIn(expr: string): string[] {
    let s = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, " ");
    for (let prev = ""; prev !== s;) {
        prev = s;
        s = s.replace(/\{[^{}]*\}/g, " ");
    }
    s = s
        .replace(/\[[^\]]*\]/g, " ")
        .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, " ")
        .replace(/\$\{?\w+\}?/g, " ")
        .replace(/(^|[^\w:])\d[\w.]*/g, "$1 ");
    const out: string[] = [];
    for (const m of s.matchAll(/[A-Za-z_:][\w:]*/g)) {
        const after = s.slice(m.index + m[0].length);
        if (/^\s*\(/.test(after) || promqlWords.has(m[0].toLowerCase())) {
            continue;
        }
        out.push(m[0]);
    }
    return out;
}
