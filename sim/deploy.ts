/**
 * `npm run sim` / `npm run sim:destroy` engine step, run by sim/sim.sh inside the sim network namespace:
 *   deploy.ts up        pulumi up of the real program on the simulated clusters, then a short summary
 *   deploy.ts destroy   pulumi destroy (nothing to do when the stack has no resources)
 */
import * as path from "node:path";
import { simDir, simStack } from "./stack";

function seconds(since: bigint): string {
    return `${(Number(process.hrtime.bigint() - since) / 1e9).toFixed(1)} s`;
}

async function up(): Promise<void> {
    const started = process.hrtime.bigint();
    const stack = await simStack();
    const result = await stack.up({ onOutput: (out) => process.stdout.write(out), color: "never" });
    const state = await stack.exportStack();
    const resources = (state.deployment as { resources?: unknown[] }).resources ?? [];
    const clusters = (result.outputs.clusters?.value ?? {}) as Record<
        string,
        { network: string; apiServer: string; eastWestAddress?: string }
    >;
    const changes = Object.entries(result.summary.resourceChanges ?? {})
        .map(([op, n]) => `${op} ${n}`)
        .join(", ");
    console.log("\n== sim: pulumi up done");
    console.log(`result:      ${result.summary.result} (${changes}) in ${seconds(started)}`);
    console.log(`resources:   ${resources.length} in the sim stack's state`);
    for (const [name, c] of Object.entries(clusters)) {
        console.log(`cluster:     ${name} (${c.network}) API ${c.apiServer}, east-west gateway ${c.eastWestAddress ?? "<no address>"}`);
    }
    console.log(`state:       ${path.join(simDir, "state")} (file backend, passphrase in ${path.join(simDir, "passphrase")})`);
    console.log("tear down:   npm run sim:destroy");
}

async function destroy(): Promise<void> {
    const started = process.hrtime.bigint();
    const stack = await simStack();
    const result = await stack.destroy({ onOutput: (out) => process.stdout.write(out), color: "never" });
    console.log(`\n== sim: pulumi destroy ${result.summary.result} in ${seconds(started)}`);
}

const actions: Record<string, () => Promise<void>> = { up, destroy };
const action = actions[process.argv[2] ?? ""];
if (!action) {
    console.error("usage: deploy.ts up|destroy");
    process.exit(2);
}
action().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
