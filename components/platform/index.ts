import { TestbedConfig } from "../config/model";
import { BareMetal, bareMetalOutputs, createBareMetal } from "./baremetal";
import { ClusterHandle } from "./handle";
import * as pulumi from "@pulumi/pulumi";
import { KubeconfigCluster } from "./kubeconfigCluster";
import { AksCluster } from "./cloud/aks";
import { GkeCluster } from "./cloud/gke";

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
 * (kubeadm); `cloud` creates AKS/GKE clusters (`provision`) or is given admin kubeconfigs as secrets, as `sim` is.
 */
export function createPlatform(config: TestbedConfig): Platform {
    if (config.platform === "testbed") {
        const bm: BareMetal = createBareMetal(config);
        return { clusters: bm.clusters, outputs: bareMetalOutputs(config, bm), bareMetal: bm };
    }
    const cloud: Record<string, Record<string, unknown>> = {};
    const clusters = config.clusters.map((cluster) => {
        const access = cluster.access;
        if (access.kind === "aks" || access.kind === "gke") {
            const settings = config.cloudProviders ?? { azure: { plain: {}, secret: {} }, gcp: { plain: {}, secret: {} } };
            const created =
                access.kind === "aks"
                    ? new AksCluster(cluster.name, { cluster, aks: access, provider: settings.azure })
                    : new GkeCluster(cluster.name, { cluster, gke: access, provider: settings.gcp });
            cloud[cluster.name] = created.outputs;
            return created.handle;
        }
        if (access.kind !== "kubeconfig") {
            throw new Error(`cluster ${cluster.name} has no kubeconfig`);
        }
        // The sim's pods dial the API server's loopback URL directly (it publishes no endpoints); cloud reads them.
        const apiServerAddress = config.platform === "sim" ? "url" : "endpointSlice";
        return new KubeconfigCluster(cluster.name, { cluster, kubeconfig: access.kubeconfig, apiServerAddress }).handle;
    });
    const created = Object.keys(cloud).length > 0;
    return {
        clusters,
        outputs: created
            ? {
                  cloudClusters: cloud,
                  // For kubectl and `npm run verify`: the clusters the program created have no kubeconfig in config.
                  adminKubeconfigs: pulumi.secret(
                      pulumi.all(
                          Object.fromEntries(clusters.filter((h) => cloud[h.name] !== undefined).map((h) => [h.name, h.adminKubeconfig])),
                      ),
                  ),
              }
            : {},
    };
}
