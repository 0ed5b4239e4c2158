import { z } from "zod";
import { Problems, show } from "./problems";

/** `clusters[0].name` from a key and a zod issue path. */
export function pathText(base: string, p: readonly PropertyKey[]): string {
    return p.reduce<string>((acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : `${acc}.${String(seg)}`), base);
}

/**
 * Parses a structured key (JSON text, as the engine passes objects) with zod; reports every issue under its exact
 * path, echoing values unless the key is secret.
 */
export function parseStructured<T>(problems: Problems, key: string, text: string, schema: z.ZodType<T>, secret = false): T | undefined {
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch {
        problems.add(key, secret ? "is not a structured value (set it with --path)" : `is not valid structured config: ${show(text)}`);
        return undefined;
    }
    const result = schema.safeParse(data, { reportInput: true });
    if (result.success) {
        return result.data;
    }
    for (const issue of result.error.issues) {
        const where = pathText(key, issue.path);
        const got = secret ? "" : ` (got ${show(issue.input)})`;
        switch (issue.code) {
            case "invalid_type":
                problems.add(where, `expected ${issue.expected}${issue.input === undefined ? " (missing)" : got}`);
                break;
            case "invalid_value":
                problems.add(where, `must be one of ${issue.values.map((v) => show(v)).join(", ")}${got}`);
                break;
            case "unrecognized_keys":
                problems.add(where, `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => show(k)).join(", ")}`);
                break;
            default:
                problems.add(where, `${issue.message}${got}`);
        }
    }
    return undefined;
}
