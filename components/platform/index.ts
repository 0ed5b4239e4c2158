import { TestbedConfig } from "../config/model";
import { ClusterHandle } from "./handle";
import { KubeconfigCluster } from "./kubeconfigCluster";

export type { ClusterHandle, PeerClusterHandle } from "./handle";
export type { MeshPeering } from "./peers";
export { resolvePeers, peeringOutputs } from "./peers";

/**
 * The platform seam: turns config into one handle per cluster. Both stacks take admin kubeconfigs from
 * secret config today; the bare-metal platform will create its clusters here and return the same handles.
 */
export function createClusters(config: TestbedConfig): ClusterHandle[] {
    return config.clusters.map((cluster) => new KubeconfigCluster(cluster.name, { cluster }).handle);
}
