/**
 * Where `npm run toolchain` (toolchain/build.sh) puts each piece, keyed by the pins of versions.json. The one place
 * the sim, its process runtime and the tests find the toolchain's binaries. No heavy imports: npm test reads it.
 */
import * as os from "node:os";
import * as path from "node:path";
import manifest from "../versions.json";

export const toolchainDir = process.env.ZTA_TOOLCHAIN_DIR ?? path.join(os.homedir(), ".cache", "zta-testbed", "toolchain");

const pins = manifest.toolchain;

/** Paths relative to toolchainDir (the process runtime joins them itself; it may run with another HOME). */
export const toolchainRelative = {
    pilotDiscovery: path.join("istiod", pins.istio130.modver, "bin", "pilot-discovery"),
    ztaXds: path.join("istiod", pins.istio130.modver, "bin", "zta-xds"),
    prometheus: path.join("prometheus", pins.prometheus.version, "bin", "prometheus"),
    promtool: path.join("prometheus", pins.prometheus.version, "bin", "promtool"),
    ztaPromql: path.join("prometheus", pins.prometheus.version, "bin", "zta-promql"),
    /** Keycloak's unpacked distribution (bin/kc.sh, lib/, conf/ ...). */
    keycloakDist: path.join("keycloak", pins.keycloak.version, "dist"),
    /** A link to the JDK the toolchain found for Keycloak (Java >= versions.json keycloak.javaMin). */
    keycloakJdk: path.join("keycloak", pins.keycloak.version, "jdk"),
} as const;

export type ToolchainPiece = keyof typeof toolchainRelative;

/** The absolute path of a toolchain output. */
export const toolchainPath = (piece: ToolchainPiece): string => path.join(toolchainDir, toolchainRelative[piece]);
