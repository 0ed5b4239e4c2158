/**
 * Reading single keys of the raw stack config into the Problems collector: the raw config interface and the
 * readers every part of the config layer shares (integers, enums, patterns, secrets).
 */
import { editDistance } from "./keys";
import { Problems, show } from "./problems";

// Kubernetes label value (network names become `topology.istio.io/network` label values; meshId too).
export const labelValuePattern = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Raw stack config, keys without the project namespace; objects arrive as JSON text. */
export interface RawConfig {
    get(key: string): string | undefined;
    /** True when the key was set with `--secret`. */
    isSecret(key: string): boolean;
    /**
     * Dotted paths of leaves of a structured key that the stack file stores in plain text. `isSecret` is true
     * for the whole key as soon as ONE leaf is secure, so a plaintext sibling would otherwise slip through.
     */
    plaintextLeaves?(key: string): string[];
    /** Every key set in the project's namespace (without it), to refuse the ones nobody reads. */
    keys?(): string[];
    /**
     * Every key set in another package's namespace (`azure-native`, `gcp`): the provider config a user sets the usual
     * way, which the explicit cloud providers are given (an explicit provider does not read the stack's config itself).
     */
    providerConfig?(namespace: string): readonly ProviderConfigEntry[];
}

/** One `<namespace>:<key>` of the stack config: its key without the namespace, its text, whether it is secret. */
export interface ProviderConfigEntry {
    readonly key: string;
    readonly value: string;
    readonly secret: boolean;
}

/** Problems for credential-holding keys with plaintext parts (never echoing the values). */
export function plaintextProblems(
    problems: Problems,
    raw: RawConfig,
    key: string,
    isCredential: (leaf: string) => boolean = () => true,
): void {
    for (const leaf of (raw.plaintextLeaves?.(key) ?? []).filter(isCredential)) {
        problems.add(
            leaf ? `${key}.${leaf}` : key,
            "holds credentials but is stored in plain text in the stack file: set it with --secret",
        );
    }
}

export function readInt(problems: Problems, raw: RawConfig, key: string, dflt: number, min: number, max: number): number {
    const text = raw.get(key);
    if (text === undefined) {
        return dflt;
    }
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
        problems.add(key, `must be an integer from ${min} to ${max}, got ${show(text)}`);
        return dflt;
    }
    return value;
}

export function readEnum<T extends string>(
    problems: Problems,
    raw: RawConfig,
    key: string,
    allowed: readonly T[],
    dflt?: T,
): T | undefined {
    const text = raw.get(key) ?? dflt;
    if (text === undefined) {
        problems.add(key, `is required; one of ${allowed.map((a) => show(a)).join(", ")}`);
        return undefined;
    }
    if (!(allowed as readonly string[]).includes(text)) {
        const near = allowed.find((a) => editDistance(a, text) <= 2);
        problems.reject(
            key,
            `must be one of ${allowed.map((a) => show(a)).join(", ")}, got ${show(text)}${near ? ` (did you mean ${show(near)}?)` : ""}`,
        );
        return undefined;
    }
    return text as T;
}

export function readPattern(
    problems: Problems,
    raw: RawConfig,
    key: string,
    pattern: { test(value: string): boolean },
    dflt: string,
    what: string,
): string {
    const value = raw.get(key) ?? dflt;
    if (!pattern.test(value)) {
        problems.add(key, `must be ${what}, got ${show(value)}`);
    }
    return value;
}

/** Reads a secret-only key: present, set with --secret. Returns its plaintext, wrapped. */
export function readSecret(
    problems: Problems,
    raw: RawConfig,
    key: string,
    hint: string,
    isCredential?: (leaf: string) => boolean,
): string | undefined {
    const text = raw.get(key);
    if (text === undefined) {
        problems.add(key, `is required: ${hint}`);
        return undefined;
    }
    if (!raw.isSecret(key)) {
        problems.add(key, "holds credentials and must be set with --secret (it is stored in plain text now)");
    } else {
        plaintextProblems(problems, raw, key, isCredential);
    }
    return text;
}
