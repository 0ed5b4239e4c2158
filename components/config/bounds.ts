/**
 * Limits every config value has before any reader sees it: a length bound on every string and every object key,
 * and no object key that names a property of JavaScript objects (`__proto__`, `constructor`, ...), which would
 * reach lookups by user-given names or the prototype itself. Called only from parse.ts, which wraps the raw config
 * once; a value over its bound is reported once, as the root problem of its key.
 */
import type { RawConfig } from "./readers";
import { Problems, show } from "./problems";
import { pathText } from "./structured";

/** Keys whose values carry PEM bundles, kubeconfigs or private keys: large, but still bounded. */
const largeValueKeys = new Set(["kubeconfigs", "caRootCert", "caRootKey", "caIntermediates", "identityTls", "sshPrivateKey"]);
export const largeValueBound = 256 * 1024;
/** Everything else: names, addresses, URLs, paths, annotation values. */
export const stringBound = 2048;
/** Object keys are names (clusters, annotation keys, fields): a DNS subdomain's length at most. */
export const objectKeyBound = 253;
/** Bounds tighter than the default, where a consumer has a hard limit of its own. */
const keyBounds: Readonly<Record<string, number>> = {
    // SPIFFE: a trust domain is at most 255 bytes; Kubernetes and Istio carry it in DNS-style fields (253).
    trustDomain: 253,
    meshId: 63,
};

/** Property names every plain object inherits: as config keys they would reach Object.prototype in lookups. */
const reservedNames: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), "prototype"]);

export const isReservedName = (name: string): boolean => reservedNames.has(name);

/**
 * Checks one value (structured values as parsed JSON) in place: over-long strings reject their path, reserved or
 * over-long object keys are reported and removed (so no later reader sees them). True when something was removed.
 */
function walk(problems: Problems, at: string, value: unknown, bound: number): boolean {
    if (typeof value === "string") {
        if (value.length > bound) {
            problems.reject(at, `is ${value.length} characters long; at most ${bound}`);
        }
        return false;
    }
    if (Array.isArray(value)) {
        return value.map((v, i) => walk(problems, `${at}[${i}]`, v, bound)).some(Boolean);
    }
    if (value === null || typeof value !== "object") {
        return false;
    }
    let removed = false;
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) {
        if (isReservedName(key)) {
            problems.add(at, `${show(key)} is not allowed as a name (every JavaScript object has it); choose another`);
        } else if (key.length > objectKeyBound) {
            problems.add(at, `has a key of ${key.length} characters; at most ${objectKeyBound}`);
        } else {
            removed = walk(problems, pathText(at, [key]), object[key], bound) || removed;
            continue;
        }
        delete object[key];
        removed = true;
    }
    return removed;
}

/** `raw` with every value checked against its bounds on first read (problems go to `problems`). */
export function boundedRawConfig(problems: Problems, raw: RawConfig): RawConfig {
    const seen = new Map<string, string | undefined>();
    return {
        ...raw,
        get: (key) => {
            if (seen.has(key)) {
                return seen.get(key);
            }
            let text = raw.get(key);
            const bound = keyBounds[key] ?? (largeValueKeys.has(key) ? largeValueBound : stringBound);
            if (text !== undefined && /^\s*[[{]/.test(text)) {
                let data: unknown;
                try {
                    data = JSON.parse(text);
                } catch {
                    data = undefined; // the key's reader reports unparsable structured config
                }
                if (data !== undefined && walk(problems, key, data, bound)) {
                    text = JSON.stringify(data);
                }
            } else if (text !== undefined && text.length > bound) {
                problems.reject(key, `is ${text.length} characters long; at most ${bound}`);
            }
            seen.set(key, text);
            return text;
        },
    };
}
