import * as pulumi from "@pulumi/pulumi";
import { TestbedConfig } from "./model";
import { RawConfig, parseConfig } from "./parse";
import { fullKey } from "./problems";

// The SDK exports isConfigSecret at runtime but marks it @internal (absent from its typings).
const runtimeInternals = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };

/** The running stack's config as RawConfig: plaintext reads (secrets included) without SDK warnings. */
export function stackRawConfig(): RawConfig {
    return {
        get: (key) => pulumi.runtime.getConfig(fullKey(key)),
        isSecret: (key) => runtimeInternals.isConfigSecret?.(fullKey(key)) ?? false,
    };
}

/** The ONE place that reads stack config: validated, typed, or a ConfigError listing every problem. */
export function loadConfig(): TestbedConfig {
    return parseConfig(stackRawConfig());
}
