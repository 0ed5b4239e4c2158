/**
 * The zta-zero-trust policy pack: every rule of rules.ts, mandatory. `pulumi preview --policy-pack policypack`
 * (see README.md). This file only adapts the pure rules to @pulumi/policy.
 */
import { PolicyPack, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { PolicyObject, Rule, rules } from "./rules";

export const packName = "zta-zero-trust";

function toObject(r: PolicyResource): PolicyObject {
    return { type: r.type, name: r.name, props: r.props, provider: r.provider?.name };
}

/** One @pulumi/policy policy per rule; its description quotes the zero-trust.md line it encodes. */
export function toPolicy(rule: Rule): ResourceValidationPolicy | StackValidationPolicy {
    const base = {
        name: rule.name,
        description: `${rule.description} (zero-trust.md: "${rule.reference}")`,
        enforcementLevel: rule.enforcementLevel,
    };
    if (rule.scope === "resource") {
        return {
            ...base,
            validateResource: (args, reportViolation) => {
                const resource: PolicyObject = { type: args.type, name: args.name, props: args.props, provider: args.provider?.name };
                rule.check(resource).forEach((message) => reportViolation(message));
            },
        };
    }
    return {
        ...base,
        validateStack: (args, reportViolation) => {
            rule.check(args.resources.map(toObject)).forEach((message) => reportViolation(message));
        },
    };
}

export const policies = rules.map(toPolicy);

new PolicyPack(packName, { enforcementLevel: "mandatory", policies });
