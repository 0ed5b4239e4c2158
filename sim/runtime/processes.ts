/**
 * Which pods the sim runs as real processes, and with what binary. A pod is chosen by namespace and `app` label
 * (kwok's stages select on the same key, so kwok never marks a chosen pod Ready: the runtime does, from the probe).
 * Everything else about the process (args, env, files, identity, probe) comes from the pod the cluster holds.
 *
 * `listen` is the one thing a pod network namespace would give and the sim's single loopback-only namespace does
 * not: each pod owns its ports. Every pod's IP is an address on that namespace's `lo`, so the process is told to
 * bind its pod IP (flags appended after the pod's own, which the binaries let win) instead of all addresses.
 */
import * as path from "node:path";
import manifest from "../../versions.json";

export interface ProcessImage {
    /** Readable name, for logs. */
    readonly name: string;
    /** Namespace and `app` label of the pods this binary plays. */
    readonly namespace: string;
    readonly app: string;
    /** The container of those pods that runs as this process (others stay simulated). */
    readonly container: string;
    /** The toolchain's build of the image's binary, relative to the toolchain dir. */
    readonly binary: string;
    /** The image's entrypoint path: the binary sits there in the process's root; a container without `command` runs it. */
    readonly entrypoint: string;
    /** Flags that pin the process's listeners to the pod IP (`{ip}`). */
    readonly listen: readonly string[];
}

export const processImages: readonly ProcessImage[] = [
    {
        name: "istiod",
        namespace: "istio-system",
        app: "istiod",
        container: "discovery",
        binary: path.join("istiod", manifest.toolchain.istio130.modver, "bin", "pilot-discovery"),
        entrypoint: "/usr/local/bin/pilot-discovery",
        listen: [
            "--httpAddr={ip}:8080",
            "--grpcAddr={ip}:15010",
            "--secureGRPCAddr={ip}:15012",
            "--monitoringAddr={ip}:15014",
            "--httpsAddr={ip}:15017",
            "--ctrlz_address={ip}",
        ],
    },
];

/** The key kwok's stages select chosen pods by (a jq expression over the pod) and its value per image. */
export const selectionKey = '.metadata.namespace + "/" + (.metadata.labels.app // "")';
export const selectionValue = (p: Pick<ProcessImage, "namespace" | "app">): string => `${p.namespace}/${p.app}`;

export function imageOf(pod: { metadata: { namespace?: string; labels?: Record<string, string> } }): ProcessImage | undefined {
    return processImages.find((p) => p.namespace === pod.metadata.namespace && p.app === pod.metadata.labels?.app);
}
