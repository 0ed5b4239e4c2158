import { z } from "zod";
import { Problems, show } from "./problems";

/** `clusters[0].name` from a key and a zod issue path. */
export function pathText(base: string, p: readonly PropertyKey[]): string {
    // Keys that are not plain names (annotation keys) are quoted, as `pulumi config set --path` writes them.
    return p.reduce<string>(
        (acc, seg) =>
            typeof seg === "number"
                ? `${acc}[${seg}]`
                : /^[A-Za-z0-9_-]+$/.test(String(seg))
                  ? `${acc}.${String(seg)}`
                  : `${acc}[${JSON.stringify(String(seg))}]`,
        base,
    );
}

/** Removes the value at `p` (an issue's path) from `data` in place; false when there is nothing to remove. */
function removeAt(data: unknown, p: readonly PropertyKey[]): boolean {
    let node = data;
    for (const seg of p.slice(0, -1)) {
        if (node === null || typeof node !== "object") {
            return false;
        }
        node = (node as Record<PropertyKey, unknown>)[seg];
    }
    const last = p[p.length - 1];
    // array elements stay (indices name entries in messages); only properties of objects are dropped
    if (last === undefined || node === null || typeof node !== "object" || Array.isArray(node) || !Object.hasOwn(node, last)) {
        return false;
    }
    delete (node as Record<PropertyKey, unknown>)[last];
    return true;
}

/**
 * Parses a structured key (JSON text, as the engine passes objects) with zod; reports every issue under its exact
 * path, echoing values unless the key is secret.
 *
 * A value with problems is salvaged where it can be: the offending properties (unknown keys, and fields of the wrong
 * type or value that the schema lets be absent) are dropped and the rest parsed again, so the checks of everything
 * else — the other entries of a list, the cross-entry checks — still run. The rejected paths are marked in
 * `problems`, so checks of the dropped fields' consequences stay silent. Undefined when nothing can be salvaged.
 */
export function parseStructured<T>(problems: Problems, key: string, text: string, schema: z.ZodType<T>, secret = false): T | undefined {
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch {
        problems.reject(key, secret ? "is not a structured value (set it with --path)" : `is not valid structured config: ${show(text)}`);
        return undefined;
    }
    return parseValue(problems, key, data, schema, secret);
}

/**
 * A list key entry by entry: every entry that parses (or is salvaged) with its index in the list, so one entry
 * whose required field is wrong leaves the others — and the checks across them — running. Undefined when the value
 * is not a list at all.
 */
export function parseEntries<T>(
    problems: Problems,
    key: string,
    text: string,
    schema: z.ZodType<T>,
): { readonly entries: readonly { readonly value: T; readonly index: number }[]; readonly count: number } | undefined {
    const list = parseStructured(problems, key, text, z.array(z.unknown()));
    if (!list) {
        return undefined;
    }
    const entries = list.flatMap((item, index) => {
        const value = parseValue(problems, `${key}[${index}]`, item, schema, false);
        return value === undefined ? [] : [{ value, index }];
    });
    return { entries, count: list.length };
}

/** parseStructured's validation and salvage of an already parsed value, reported under `key`. */
function parseValue<T>(problems: Problems, key: string, data: unknown, schema: z.ZodType<T>, secret: boolean): T | undefined {
    // Bounded: each round drops at least one property of a finite value, and two rounds cover every case seen.
    for (let round = 0; round < 4; round++) {
        const result = schema.safeParse(data, { reportInput: true });
        if (result.success) {
            return result.data;
        }
        let dropped = false;
        for (const issue of result.error.issues) {
            const where = pathText(key, issue.path);
            const got = secret ? "" : ` (got ${show(issue.input)})`;
            switch (issue.code) {
                case "invalid_type":
                    problems.reject(where, `expected ${issue.expected}${issue.input === undefined ? " (missing)" : got}`);
                    break;
                case "invalid_value":
                    problems.reject(where, `must be one of ${issue.values.map((v) => show(v)).join(", ")}${got}`);
                    break;
                case "unrecognized_keys":
                    problems.add(where, `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => show(k)).join(", ")}`);
                    for (const k of issue.keys) {
                        problems.reject(pathText(where, [k]));
                        dropped = removeAt(data, [...issue.path, k]) || dropped;
                    }
                    continue;
                default:
                    problems.reject(where, `${issue.message}${got}`);
            }
            dropped = removeAt(data, issue.path) || dropped;
        }
        if (!dropped) {
            return undefined;
        }
    }
    return undefined;
}

/** `map[name]` when `map` has it as its own property: user-given names never reach Object.prototype. */
export function ownEntry<T>(map: Readonly<Record<string, T>>, name: string): T | undefined {
    return Object.hasOwn(map, name) ? map[name] : undefined;
}
