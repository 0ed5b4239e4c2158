/**
 * The toolchain's promtool and zta-promql (toolchain piece `prometheus`: Prometheus's own config loader, rule
 * checker, rule unit-test runner and PromQL parser) for the unit tier. Where the piece is not built, the tests that
 * need it are announced once as SKIPPED; with ZTA_REQUIRE_PROMTOOL=1 (.ci/run builds the piece first and sets it) a
 * missing piece fails them instead.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { toolchainPath } from "../../sim/toolchain";
import { announceSkipped } from "./skipped";

const promtoolPath = toolchainPath("promtool");
const promqlPath = toolchainPath("ztaPromql");

/** Are promtool and zta-promql built? (Throws where CI says they must be.) */
export function promtoolAvailable(): boolean {
    const have = fs.existsSync(promtoolPath) && fs.existsSync(promqlPath);
    if (!have && process.env.ZTA_REQUIRE_PROMTOOL === "1") {
        throw new Error(`${promtoolPath} or ${promqlPath} is missing, and ZTA_REQUIRE_PROMTOOL=1 says they must be built`);
    }
    if (!have) {
        announceSkipped(
            "promtool not built (promtool check config/rules, promtool test rules and the PromQL parser checks did not run: `bash toolchain/build.sh prometheus`; CI builds it)",
        );
    }
    return have;
}

export interface ToolRun {
    readonly status: number;
    readonly output: string;
}

/** promtool with `args`, in `cwd`; stdout and stderr together (its findings go to either). */
export function promtool(args: readonly string[], cwd: string): ToolRun {
    const r = spawnSync(promtoolPath, args, { cwd, encoding: "utf8", timeout: 20_000 });
    if (r.error) {
        throw r.error;
    }
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** A fresh directory with `files` written into it; removed by the returned function. */
export function filesDir(files: Readonly<Record<string, string>>): { dir: string; remove: () => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-promtool-"));
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
    }
    return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface Matcher {
    readonly name: string;
    /** "=", "!=", "=~" or "!~". */
    readonly type: string;
    readonly value: string;
}

export interface ParsedExpr {
    readonly expr: string;
    readonly error?: string;
    readonly selectors: readonly { readonly metric: string; readonly matchers: readonly Matcher[] }[];
}

export interface ParsedSelector {
    readonly selector: string;
    readonly error?: string;
    readonly matchers: readonly Matcher[];
}

/** Prometheus's parser on `exprs` (PromQL) and `selectors` (series selectors, as federation's match[]). */
export function parsePromql(
    exprs: readonly string[],
    selectors: readonly string[] = [],
): { exprs: ParsedExpr[]; selectors: ParsedSelector[] } {
    const r = spawnSync(promqlPath, [], { input: JSON.stringify({ exprs, selectors }), encoding: "utf8", timeout: 20_000 });
    if (r.error) {
        throw r.error;
    }
    if (r.status !== 0) {
        throw new Error(`zta-promql exited ${String(r.status)}: ${r.stderr}`);
    }
    return JSON.parse(r.stdout) as { exprs: ParsedExpr[]; selectors: ParsedSelector[] };
}

/** Does a Prometheus matcher accept `value`? (Regexes are anchored, as Prometheus anchors them.) */
export function matches(m: Matcher, value: string): boolean {
    switch (m.type) {
        case "=":
            return value === m.value;
        case "!=":
            return value !== m.value;
        case "=~":
            return new RegExp(`^(?:${m.value})$`).test(value);
        case "!~":
            return !new RegExp(`^(?:${m.value})$`).test(value);
        default:
            throw new Error(`unknown matcher type ${m.type}`);
    }
}
