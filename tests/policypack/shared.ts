/**
 * The policy pack over a committed stack: every rule of policypack/rules.ts on what the engine would receive.
 * Each stack runs in its own test file (own Pulumi runtime), like tests/mesh.*.test.ts.
 */
import { PolicyObject, evaluate } from "../../policypack/rules";
import { Recording } from "../harness/engine";
import { runProgram } from "../harness/program";
import { CommittedStack, stackConfig } from "../harness/stacks";

/** The recording as the policy engine sees it: type, name, inputs (secrets unwrapped), provider name. */
export function policyObjects(recording: Recording): PolicyObject[] {
    return recording.resources.map((r) => ({
        type: r.type,
        name: r.name,
        props: r.inputs,
        provider: r.provider ? Recording.providerUrn(r.provider).split("::").pop() : undefined,
    }));
}

/** `<rule> <object>`: the violation without its explanation (the rule tests in policy.test.ts check those). */
function gapKey(rule: string, message: string): string {
    const end = message.indexOf("]: ");
    return `${rule} ${end >= 0 ? message.slice(0, end + 1) : message}`;
}

export function describePolicyStack(stack: CommittedStack): void {
    test(`policy pack over stack ${stack}: zero violations`, async () => {
        const run = await runProgram(stack, stackConfig(stack));
        const violations = evaluate(policyObjects(run.recording));
        const lines = violations.map((v) => `${v.rule}: ${v.message}`);
        process.stdout.write(`policy ${stack}: ${violations.length} violation(s)\n${lines.map((l) => `  ${l}\n`).join("")}`);
        // Issue 5's acceptance: every rule holds on every committed stack (rule tests in policy.test.ts prove each can fail).
        expect(violations.map((v) => gapKey(v.rule, v.message))).toEqual([]);
    });
}
