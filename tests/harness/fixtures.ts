/**
 * Provenance of the upstream schema fixtures (tests/fixtures/schemas): the sha256 of each file and of the upstream
 * file it copies or was cut from, recorded in that folder's README.md. The checks against the recorded sha256s run on
 * every clone; the comparison with the reference set `../shared/schemas` runs only where it sits beside the clone.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { announceSkipped } from "./skipped";

export const schemaFixtures = path.resolve(__dirname, "..", "fixtures", "schemas");
export const sharedSchemas = path.resolve(__dirname, "..", "..", "..", "shared", "schemas");
export const sharedPresent = fs.existsSync(sharedSchemas);

export interface Provenance {
    file: string;
    sha256: string;
    /** The file in ../shared/schemas it is a copy of or was cut from; undefined when there is none. */
    upstream?: string;
    upstreamSha256?: string;
}

export function sha256Of(file: string): string {
    return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** The checksum table of tests/fixtures/schemas/README.md, by file name. */
export function recordedProvenance(): Map<string, Provenance> {
    const rows = new Map<string, Provenance>();
    const text = fs.readFileSync(path.join(schemaFixtures, "README.md"), "utf8");
    const row = /^\| ([\w.-]+) \| `([0-9a-f]{64})` \| (\S+) \| (?:`([0-9a-f]{64})`|—) \|$/gm;
    for (const m of text.matchAll(row)) {
        const [, file, sha256, upstream, upstreamSha256] = m;
        rows.set(file, { file, sha256, ...(upstream === "—" ? {} : { upstream, upstreamSha256 }) });
    }
    return rows;
}

/** Announced once per run when the reference set is absent (a plain clone): only the recorded sha256s were checked. */
export function announceNoSharedSchemas(): void {
    if (!sharedPresent) {
        announceSkipped(
            "comparison of tests/fixtures/schemas with ../shared/schemas (not beside this clone; the sha256s recorded in tests/fixtures/schemas/README.md were checked instead)",
        );
    }
}

/**
 * Tests that `files` (names in tests/fixtures/schemas) match their recorded sha256s, that verbatim copies record
 * the same sha256 for their upstream file, and, where ../shared/schemas exists, that its upstream files still have the
 * recorded sha256s.
 */
export function describeProvenance(files: readonly string[]): void {
    describe("fixtures match the sha256s recorded in tests/fixtures/schemas/README.md", () => {
        const recorded = recordedProvenance();
        test.each([...files])("%s", (file) => {
            const row = recorded.get(file);
            expect([file, row?.sha256]).toEqual([file, sha256Of(path.join(schemaFixtures, file))]);
            if (row?.upstream === file) {
                // A verbatim copy: the upstream file is this file.
                expect(row.upstreamSha256).toBe(row.sha256);
            }
        });
        const upstreams = [...new Set(files.map((f) => recorded.get(f)?.upstream).filter((u): u is string => u !== undefined))];
        (sharedPresent ? test.each(upstreams) : test.skip.each(upstreams))("../shared/schemas/%s has the recorded sha256", (upstream) => {
            const row = [...recorded.values()].find((r) => r.upstream === upstream);
            expect(sha256Of(path.join(sharedSchemas, upstream))).toBe(row?.upstreamSha256);
        });
        announceNoSharedSchemas();
    });
}
