/**
 * Which pods the sim runs as real processes, and with what binary. A pod is chosen by namespace and `app` label
 * (kwok's stages select on the same key, so kwok never marks a chosen pod Ready: the runtime does, from the probe).
 * Everything else about the process (args, env, files, identity, probe) comes from the pod the cluster holds.
 *
 * `listen` is the one thing a pod network namespace would give and the sim's single loopback-only namespace does
 * not: each pod owns its ports. Every pod's IP is an address on that namespace's `lo`, so the process is told to
 * bind its pod IP (flags appended after the pod's own, replacing the pod's own `--name=value` of the same flag) instead
 * of all addresses.
 */
import { ToolchainPiece } from "../toolchain";
import type { RootfsSpec } from "./rootfs";

export interface ProcessImage {
    /** Readable name, for logs. */
    readonly name: string;
    /** Namespace and `app` label of the pods this binary plays. */
    readonly namespace: string;
    readonly app: string;
    /** The container of those pods that runs as this process (others stay simulated). */
    readonly container: string;
    /** A static binary (the toolchain's build of the image's one): the root holds it at `entrypoint`, and no userland. */
    readonly binary?: ToolchainPiece;
    /** Or a whole image root (sim/runtime/rootfs.ts): userland, toolchain trees, mounted volumes. */
    readonly rootfs?: ImageRootfs;
    /** Init containers of those pods the runtime runs first, in order, each to completion (others stay simulated). */
    readonly initContainers?: readonly string[];
    /** The image config's environment (under the pod's). */
    readonly env?: Readonly<Record<string, string>>;
    /** The image's entrypoint path: the binary sits there in the process's root; a container without `command` runs it. */
    readonly entrypoint: string;
    /** Flags that pin the process's listeners to the pod IP (`{ip}`). */
    readonly listen: readonly string[];
}

/** RootfsSpec with toolchain pieces as sources. */
export interface ImageRootfs extends Omit<RootfsSpec, "trees" | "binds"> {
    readonly trees: readonly { readonly path: string; readonly piece: ToolchainPiece }[];
    readonly binds: readonly { readonly path: string; readonly piece: ToolchainPiece }[];
}

/** Where the Keycloak image keeps its JDK, for our root (JAVA_HOME). */
const javaHome = "/opt/java/openjdk";

export const processImages: readonly ProcessImage[] = [
    {
        name: "istiod",
        namespace: "istio-system",
        app: "istiod",
        container: "discovery",
        binary: "pilotDiscovery",
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
    {
        // Both clusters' Prometheus: the mesh one (cluster 1) evaluates the alert rules on what it scrapes for real.
        name: "prometheus",
        namespace: "observability",
        app: "prometheus",
        container: "prometheus",
        binary: "prometheus",
        entrypoint: "/bin/prometheus",
        listen: ["--web.listen-address={ip}:9090"],
    },
    {
        // Keycloak in cluster 1 (cloud and sim stacks): Maven Central's distribution of the image's release, on the
        // toolchain's JDK; kc.sh runs as in the image (its start-time build, then the server).
        name: "keycloak",
        namespace: "keycloak",
        app: "keycloak",
        container: "keycloak",
        entrypoint: "/opt/keycloak/bin/kc.sh",
        initContainers: ["copy-quarkus"],
        rootfs: {
            // /etc/ssl: the trust store the JDK links to (the image has its own system trust store; Keycloak reads it at start)
            host: ["/usr", "/etc/ssl"],
            links: { bin: "usr/bin", sbin: "usr/sbin", lib: "usr/lib", lib64: "usr/lib64" },
            trees: [{ path: "/opt/keycloak", piece: "keycloakDist" }],
            binds: [{ path: javaHome, piece: "keycloakJdk" }],
            // the image's users: keycloak is uid 1000, group 0 (the pod adds its fsGroup)
            passwd: ["root:x:0:0:root:/root:/bin/bash", "keycloak:x:1000:0:keycloak:/opt/keycloak:/sbin/nologin"],
            group: ["root:x:0:", "keycloak:x:1000:"],
        },
        env: { JAVA_HOME: javaHome, PATH: `${javaHome}/bin:/usr/local/bin:/usr/bin:/bin`, LANG: "en_US.UTF-8" },
        listen: ["--http-host={ip}"],
    },
];

/** The key kwok's stages select chosen pods by (a jq expression over the pod) and its value per image. */
export const selectionKey = '.metadata.namespace + "/" + (.metadata.labels.app // "")';
export const selectionValue = (p: Pick<ProcessImage, "namespace" | "app">): string => `${p.namespace}/${p.app}`;

export function imageOf(pod: { metadata: { namespace?: string; labels?: Record<string, string> } }): ProcessImage | undefined {
    return processImages.find((p) => p.namespace === pod.metadata.namespace && p.app === pod.metadata.labels?.app);
}
