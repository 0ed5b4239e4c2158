import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { TestbedConfig } from "./model";
import { RawConfig, parseConfig } from "./parse";
import { configNamespace, fullKey } from "./problems";

// The SDK exports isConfigSecret at runtime but marks it @internal (absent from its typings).
const runtimeInternals = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };

/** Dotted paths of the leaves of `value` that are not `{secure: ...}` (stack-file form of a secret). */
export function plaintextLeavesOf(value: unknown, at = ""): string[] {
    if (value && typeof value === "object" && !Array.isArray(value)) {
        const entries = Object.entries(value as Record<string, unknown>);
        if (entries.length === 1 && entries[0][0] === "secure") {
            return [];
        }
        return entries.flatMap(([k, v]) => plaintextLeavesOf(v, at ? `${at}.${k}` : k));
    }
    if (Array.isArray(value)) {
        return value.flatMap((v, i) => plaintextLeavesOf(v, `${at}[${i}]`));
    }
    return [at];
}

/** The running stack's config as RawConfig: plaintext reads (secrets included) without SDK warnings. */
export function stackRawConfig(): RawConfig {
    const stackFile = path.join(pulumi.runtime.getRootDirectory(), `Pulumi.${pulumi.getStack()}.yaml`);
    const fileConfig = fs.existsSync(stackFile)
        ? ((parseYaml(fs.readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> } | null)?.config ?? {})
        : {};
    return {
        get: (key) => pulumi.runtime.getConfig(fullKey(key)),
        isSecret: (key) => runtimeInternals.isConfigSecret?.(fullKey(key)) ?? false,
        plaintextLeaves: (key) => {
            const value = fileConfig[fullKey(key)];
            return value === undefined ? [] : plaintextLeavesOf(value);
        },
        keys: () =>
            Object.keys(pulumi.runtime.allConfig())
                .filter((k) => k.startsWith(`${configNamespace}:`))
                .map((k) => k.slice(configNamespace.length + 1)),
        providerConfig: (namespace) =>
            Object.entries(pulumi.runtime.allConfig())
                .filter(([k]) => k.startsWith(`${namespace}:`))
                .map(([k, value]) => ({
                    key: k.slice(namespace.length + 1),
                    value,
                    secret: runtimeInternals.isConfigSecret?.(k) ?? false,
                })),
    };
}

/** The ONE place that reads stack config: validated, typed, or a ConfigError listing every problem. */
export function loadConfig(): TestbedConfig {
    return parseConfig(stackRawConfig());
}
