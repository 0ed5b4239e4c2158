import * as pulumi from "@pulumi/pulumi";
import { withoutUrlCredentials } from "../core/validate";

/** The stack config namespace: the project name, so Pulumi.yaml's typed `config:` keys apply. */
export const configNamespace = "zta-testbed";

/** Fully qualified key as users type it in `pulumi config set`. */
export function fullKey(key: string): string {
    return `${configNamespace}:${key}`;
}

/** Show a (non-secret) offending value briefly and unambiguously. */
export function show(value: unknown): string {
    let text: string;
    try {
        text = JSON.stringify(value) ?? String(value);
    } catch {
        text = String(value);
    }
    // never repeat a credential written into a URL (it is refused separately)
    text = withoutUrlCredentials(text);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * Thrown once, before any resource exists, with every configuration problem found. A RunError, so Pulumi
 * prints the message alone instead of a stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Collects problems so validation can report all of them at once. */
export class Problems {
    readonly #items: string[] = [];
    readonly #roots: string[] = [];

    /** Record a problem with the config key (without namespace) it concerns. */
    add(key: string, message: string): void {
        // Checks that run on after a key was rejected would only restate the root problem in other words.
        if (this.rejected(key)) {
            return;
        }
        const text = `${fullKey(key)}: ${message}`;
        // The same cause can surface twice (e.g. two clusters sharing a name share a kubeconfig).
        if (!this.#items.includes(text)) {
            this.#items.push(text);
        }
    }

    /** Record a problem with a key of another package's namespace (`azure-native:clientSecret`), given whole. */
    addQualified(qualifiedKey: string, message: string): void {
        const text = `${qualifiedKey}: ${message}`;
        if (!this.#items.includes(text)) {
            this.#items.push(text);
        }
    }

    /**
     * Record a root problem: `key`'s value (and everything under it) is unusable, so later problems about that key
     * or its children are consequences and are not reported. The other keys are still checked. Without a message, only
     * marks the key (its problem was reported under its parent).
     */
    reject(key: string, message?: string): void {
        if (message !== undefined) {
            this.add(key, message);
        }
        this.#roots.push(key);
    }

    /** Was `key` (or a key above it) rejected? */
    rejected(key: string): boolean {
        return this.#roots.some((root) => key === root || key.startsWith(`${root}.`) || key.startsWith(`${root}[`));
    }

    get count(): number {
        return this.#items.length;
    }

    throwIfAny(): void {
        if (this.#items.length > 0) {
            throw new ConfigError(this.#items);
        }
    }
}
