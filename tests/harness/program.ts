/** Runs the real program (index.ts's path: loadConfig → deployTestbed) under recording mocks. */
import * as pulumi from "@pulumi/pulumi";
import { EngineOptions, Recording, startEngine } from "./engine";
import { StackConfig } from "./stacks";

export interface ProgramRun {
    outputs: Record<string, unknown>;
    recording: Recording;
    /** Wall time of program evaluation until every registration completed. */
    seconds: number;
    /** What the program logged with pulumi.log.warn (kept out of the test output). */
    warnings: string[];
}

/** V8's call sites print themselves as in its default stack format (`fn (file:line:column)`). */
type CallSite = NodeJS.CallSite & { toString(): string };

/** V8's own stack format (`Error: message\n    at frame`), without source-mapping the frames. */
function unmappedStack(error: Error, frames: CallSite[]): string {
    return [Error.prototype.toString.call(error), ...frames.map((frame) => `    at ${frame.toString()}`)].join("\n");
}

/**
 * Runs `evaluate` with stack traces left unmapped. The SDK renders a full stack (`new Error().stack`) for every
 * resource (its source position) and every promise it tracks; under jest each render source-maps every frame,
 * which was a third of a program evaluation's CPU time. Nothing here reads those positions. Errors the program
 * throws keep their mapped stack: V8 renders `.stack` when it is first read, after the hook is put back.
 */
export async function withUnmappedStacks<T>(evaluate: () => Promise<T>): Promise<T> {
    // Put back on the same object below: the hook is never called unbound.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const mapped = Error.prepareStackTrace;
    Error.prepareStackTrace = unmappedStack;
    try {
        return await evaluate();
    } finally {
        Error.prepareStackTrace = mapped;
    }
}

export async function runProgram(stack: string, sc: StackConfig, engine: Omit<EngineOptions, "stack"> = {}): Promise<ProgramRun> {
    const { finish } = await startEngine({ stack, ...engine });
    pulumi.runtime.setAllConfig(sc.config, sc.secretKeys);
    const { loadConfig } = await import("../../components/config/load");
    const { deployTestbed } = await import("../../components/program");
    const started = process.hrtime.bigint();
    const warnings: string[] = [];
    const warn = jest.spyOn(pulumi.log, "warn").mockImplementation((message) => {
        warnings.push(String(message));
        return Promise.resolve();
    });
    try {
        const { outputs, recording } = await withUnmappedStacks(async () => {
            const outputs = await deployTestbed(loadConfig());
            return { outputs, recording: await finish() };
        });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        return { outputs, recording, seconds, warnings };
    } finally {
        warn.mockRestore();
    }
}
