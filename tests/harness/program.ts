/** Runs the real program (index.ts's path: loadConfig → deployTestbed) under recording mocks. */
import * as pulumi from "@pulumi/pulumi";
import { EngineOptions, Recording, startEngine } from "./engine";
import { StackConfig } from "./stacks";

export interface ProgramRun {
    outputs: Record<string, unknown>;
    recording: Recording;
    /** Wall time of program evaluation until every registration completed. */
    seconds: number;
}

export async function runProgram(stack: string, sc: StackConfig, engine: Omit<EngineOptions, "stack"> = {}): Promise<ProgramRun> {
    const { finish } = await startEngine({ stack, ...engine });
    pulumi.runtime.setAllConfig(sc.config, sc.secretKeys);
    const { loadConfig } = await import("../../components/config/load");
    const { deployTestbed } = await import("../../components/program");
    const started = process.hrtime.bigint();
    const outputs = await deployTestbed(loadConfig());
    const recording = await finish();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { outputs, recording, seconds };
}
