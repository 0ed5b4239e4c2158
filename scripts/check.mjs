// `tsc -p tsconfig.json --noEmit` and `eslint --max-warnings 0 .` in one process, over ONE TypeScript program: the
// typed lint rules query the checker that the typecheck already filled, instead of building and checking the same
// ~1300-file program a second time (measured: 21 s CPU for both, against 12 s + 21 s as two commands).
// Same diagnostics and exit status as the two commands; `npm run typecheck` and `npm run lint:eslint` still run them
// one by one.
import process from "node:process";
import ts from "typescript";
import { ESLint } from "eslint";

const started = process.hrtime.bigint();
const seconds = () => (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);

const configFile = ts.findConfigFile(process.cwd(), ts.sys.fileExists, "tsconfig.json");
const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences,
    configFileParsingDiagnostics: parsed.errors,
});
// What `tsc --noEmit` reports: config, options, global, syntactic and semantic diagnostics.
const diagnostics = ts.sortAndDeduplicateDiagnostics([...program.getConfigFileParsingDiagnostics(), ...ts.getPreEmitDiagnostics(program)]);
const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\n" };
if (diagnostics.length > 0) {
    const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
    process.stdout.write(format(diagnostics, host));
    process.stdout.write(`\ntypecheck: ${diagnostics.length} error(s)\n`);
}
process.stdout.write(`typecheck: ${diagnostics.length === 0 ? "ok" : "FAILED"} (${seconds()} s)\n`);

// parserOptions.programs replaces the project service; a file outside the program is a parse error, as it is for
// the project service (eslint.config.mjs lints the few .mjs files without type information).
const eslint = new ESLint({
    overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parserOptions: { projectService: false, programs: [program] } } }],
});
const results = await eslint.lintFiles(["."]);
const problems = results.reduce((n, r) => n + r.errorCount + r.warningCount + r.fatalErrorCount, 0);
const report = await (await eslint.loadFormatter("stylish")).format(results);
if (report) {
    process.stdout.write(report);
}
process.stdout.write(`eslint: ${problems === 0 ? "ok" : "FAILED"}, ${results.length} files (${seconds()} s)\n`);

process.exitCode = diagnostics.length === 0 && problems === 0 ? 0 : 1;
