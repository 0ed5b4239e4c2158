/**
 * The layers README draws are the imports: every import (type-only and re-exports included) goes down or sideways,
 * never up, and no file reaches itself through its imports. Reported all at once, with the offending lines.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { repoRoot } from "../harness/stacks";

/** Bottom to top. A file may import its own layer and the layers below it. */
export const layers = [
    // versions.json: the one version manifest (data), read by the program, toolchain/ and sim/.
    { name: "core", dirs: ["components/core/", "versions.json"] },
    { name: "config", dirs: ["components/config/"] },
    { name: "platform", dirs: ["components/platform/"] },
    { name: "mesh", dirs: ["components/mesh/"] },
    { name: "policy", dirs: ["components/policy/"] },
    { name: "identity", dirs: ["components/identity/"] },
    { name: "workloads", dirs: ["components/workloads/"] },
    { name: "observability", dirs: ["components/observability/"] },
    { name: "verification", dirs: ["components/verification/"] },
    { name: "program", dirs: ["components/program.ts", "index.ts"] },
    // Tools around the program: the sim drives it, so it may import any layer; nothing in components imports them.
    { name: "sim", dirs: ["sim/"] },
    // Commands run against a deployed stack (`npm run verify`): they may use the sim to reach the sim's clusters.
    { name: "cli", dirs: ["cli/"] },
] as const;

/** The policy pack is its own package (own tsconfig, loaded by the engine): it imports nothing of the program. */
const isolated = ["policypack/"];

interface Edge {
    readonly from: string;
    readonly to: string;
    readonly line: number;
}

function sourceFiles(): string[] {
    const out: string[] = [];
    const walk = (dir: string): void => {
        for (const e of fs.readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
            const rel = path.posix.join(dir, e.name);
            if (e.isDirectory()) {
                if (e.name !== "node_modules") walk(rel);
            } else if (rel.endsWith(".ts") && !rel.endsWith(".test.ts") && !rel.endsWith(".d.ts")) {
                out.push(rel);
            }
        }
    };
    ["components", "sim", "cli", "policypack"].forEach(walk);
    out.push("index.ts");
    return out.sort();
}

/** Every relative import, `import type`, `export … from` and dynamic import() of a file, resolved to a repo path. */
export function importsOf(file: string): Edge[] {
    const text = fs.readFileSync(path.join(repoRoot, file), "utf8");
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const edges: Edge[] = [];
    const add = (spec: ts.Expression | undefined, node: ts.Node): void => {
        if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".")) return;
        const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec.text));
        const target = [`${base}.ts`, `${base}/index.ts`, base].find((c) => fs.existsSync(path.join(repoRoot, c))) ?? `${base}.ts`;
        edges.push({ from: file, to: target, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
    };
    const visit = (node: ts.Node): void => {
        if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier, node);
        else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], node);
        else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
            add(node.moduleReference.expression, node);
        ts.forEachChild(node, visit);
    };
    visit(sf);
    return edges;
}

export function layerOf(file: string): number {
    return layers.findIndex((l) => l.dirs.some((d) => (d.endsWith("/") ? file.startsWith(d) : file === d)));
}

/** Upward imports and imports out of an isolated package. */
export function layerViolations(edges: readonly Edge[]): string[] {
    const problems: string[] = [];
    for (const e of edges) {
        const where = `${e.from}:${e.line} imports ${e.to}`;
        const from = layerOf(e.from);
        const to = layerOf(e.to);
        if (isolated.some((d) => e.from.startsWith(d)) !== isolated.some((d) => e.to.startsWith(d))) {
            problems.push(`${where}: the policy pack is a package of its own`);
        } else if (from >= 0 && to < 0) {
            problems.push(`${where}: outside every layer`);
        } else if (from >= 0 && to > from) {
            problems.push(`${where}: upward (${layers[from].name} → ${layers[to].name})`);
        }
    }
    return problems;
}

/** Every elementary cycle's smallest witness: one cycle per strongly connected component, as a path. */
export function importCycles(edges: readonly Edge[]): string[] {
    const graph = new Map<string, string[]>();
    for (const e of edges) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    // Tarjan's strongly connected components; any component with more than one file (or a self-import) is a cycle.
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const cycles: string[] = [];
    const strong = (v: string): void => {
        idx.set(v, index);
        low.set(v, index++);
        stack.push(v);
        on.add(v);
        for (const w of graph.get(v) ?? []) {
            if (!idx.has(w)) {
                strong(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (on.has(w)) {
                low.set(v, Math.min(low.get(v)!, idx.get(w)!));
            }
        }
        if (low.get(v) === idx.get(v)) {
            const scc: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                on.delete(w);
                scc.push(w);
            } while (w !== v);
            if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.sort().join(" ↔ "));
        }
    };
    for (const v of graph.keys()) if (!idx.has(v)) strong(v);
    return cycles;
}

describe("layers", () => {
    const files = sourceFiles();
    const edges = files.flatMap(importsOf);

    test("every source file belongs to a layer (or the isolated policy pack)", () => {
        expect(files.filter((f) => layerOf(f) < 0 && !isolated.some((d) => f.startsWith(d)))).toEqual([]);
    });

    test("no import goes up a layer", () => {
        expect(layerViolations(edges)).toEqual([]);
    });

    test("no import cycle anywhere (type-only imports count)", () => {
        expect(importCycles(edges)).toEqual([]);
    });

    test("the checker catches what it is for", () => {
        const e = (from: string, to: string): Edge => ({ from, to, line: 1 });
        expect(layerViolations([e("components/config/model.ts", "components/mesh/values.ts")])).toEqual([
            "components/config/model.ts:1 imports components/mesh/values.ts: upward (config → mesh)",
        ]);
        expect(layerViolations([e("components/mesh/values.ts", "components/core/istio.ts")])).toEqual([]);
        expect(layerViolations([e("components/core/helm.ts", "sim/stack.ts")])).toEqual([
            "components/core/helm.ts:1 imports sim/stack.ts: upward (core → sim)",
        ]);
        expect(layerViolations([e("policypack/rules.ts", "components/core/istio.ts")])).toHaveLength(1);
        expect(importCycles([e("a.ts", "b.ts"), e("b.ts", "c.ts"), e("c.ts", "a.ts"), e("c.ts", "d.ts")])).toEqual(["a.ts ↔ b.ts ↔ c.ts"]);
        expect(importCycles([e("a.ts", "a.ts")])).toEqual(["a.ts"]);
        expect(importCycles([e("a.ts", "b.ts")])).toEqual([]);
        // A type-only import is an edge like any other.
        const parsed = importsOf("components/program.ts");
        expect(parsed.some((x) => x.to === "components/config/model.ts")).toBe(true);
    });
});
