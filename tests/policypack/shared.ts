/**
 * The policy pack over a committed stack: every rule of policypack/rules.ts on what the engine would receive.
 */
import { PolicyObject, evaluate } from "../../policypack/rules";
import { Recording } from "../harness/engine";

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

/**
 * Issue 5's acceptance over one committed stack's recording: zero violations (the rule tests in rules.test.ts prove
 * each rule can fail). Called by the plan suites (tests/program/plan.shared.ts), which run each stack once for both.
 */
export function policyZeroViolations(stack: string, recording: Recording): void {
    const violations = evaluate(policyObjects(recording));
    const lines = violations.map((v) => `${v.rule}: ${v.message}`);
    process.stdout.write(`policy ${stack}: ${violations.length} violation(s)\n${lines.map((l) => `  ${l}\n`).join("")}`);
    expect(violations.map((v) => gapKey(v.rule, v.message))).toEqual([]);
}
