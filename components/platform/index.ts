import { TestbedConfig } from "../config/model";
import { BareMetal, bareMetalOutputs, createBareMetal } from "./baremetal";
import { ClusterHandle } from "./handle";
import { KubeconfigCluster } from "./kubeconfigCluster";

export type { BareMetal } from "./baremetal";
export type { ClusterHandle, PeerClusterHandle } from "./handle";
export type { MeshPeering } from "./peers";
export { resolvePeers, peeringOutputs } from "./peers";

export interface Platform {
    readonly clusters: ClusterHandle[];
    /** Outputs of the platform layer (bare metal: hosts, registry, infrastructure CA). */
    readonly outputs: Record<string, unknown>;
    /** The bare-metal layer (testbed): hosts, registry, infrastructure CA. */
    readonly bareMetal?: BareMetal;
}

/**
 * The platform seam: turns config into one handle per cluster. `testbed` builds its clusters from bare servers
 * (kubeadm); `cloud` and `sim` are given admin kubeconfigs as secrets.
 */
export function createPlatform(config: TestbedConfig): Platform {
    if (config.platform === "testbed") {
        const bm: BareMetal = createBareMetal(config);
        return { clusters: bm.clusters, outputs: bareMetalOutputs(config, bm), bareMetal: bm };
    }
    const clusters = config.clusters.map((cluster) => {
        if (cluster.access.kind !== "kubeconfig") {
            throw new Error(`cluster ${cluster.name} has no kubeconfig`);
        }
        // The sim's pods dial the API server's loopback URL directly (it publishes no endpoints); cloud reads them.
        const apiServerAddress = config.platform === "sim" ? "url" : "endpointSlice";
        return new KubeconfigCluster(cluster.name, { cluster, kubeconfig: cluster.access.kubeconfig, apiServerAddress }).handle;
    });
    return { clusters, outputs: {} };
}
