/**
 * The CNI plug-in seam of the bare-metal platform: everything the program needs to know about the cluster network
 * plug-in, one implementation per file in this folder, selected per cluster by `clusters[i].cni` (default "cilium").
 * Adding a CNI is a new file implementing `CniPlugin` and one entry in `cniPlugins`. Pure data and renderers, in the
 * core layer because every layer consults it: the config layer validates the selection and the plug-in's
 * cluster-name rule (reporting all problems at once), the platform installs its chart and prepares the nodes, and
 * the facts in plugin.ts are what Pod Security and NetworkPolicy rendering depend on.
 */
import { cilium } from "./cilium";
import type { CniPlugin } from "./plugin";

export type { CniInput, CniPlugin } from "./plugin";

/** Every CNI the program can install, by `clusters[i].cni`. */
export const cniPlugins: Readonly<Record<string, CniPlugin>> = { [cilium.name]: cilium };

/** The CNI when none is configured. */
export const defaultCni = cilium.name;

/** The plug-in named `name`, or undefined when none is registered under it. */
export function findCniPlugin(name: string): CniPlugin | undefined {
    return Object.hasOwn(cniPlugins, name) ? cniPlugins[name] : undefined;
}

/** The plug-in named `name`; throws when there is none (the config layer has reported unknown names already). */
export function cniPlugin(name: string): CniPlugin {
    const plugin = findCniPlugin(name);
    if (!plugin) {
        throw new Error(`cni: no CNI plug-in named ${JSON.stringify(name)} (known: ${Object.keys(cniPlugins).join(", ")})`);
    }
    return plugin;
}
