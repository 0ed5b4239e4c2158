/** The CNI plug-in interface (see index.ts for the registry). */
import type { ChartProduct } from "../helm";
import type { VersionProfile } from "../versions";

/** What a CNI's Helm values are rendered from (one kubeadm cluster). */
export interface CniInput {
    /** The cluster's name (`clusters[i].name`); already checked with `clusterNameProblem`. */
    readonly clusterName: string;
    /** `clusters[i].ciliumClusterId`: a per-mesh unique 1..255 (a CNI without cluster identities ignores it). */
    readonly clusterId: number;
    /** IPv4 address of the kube-apiserver (the kubeadm advertise address). */
    readonly apiServerHost: string;
    /** kube-apiserver port, normally 6443. */
    readonly apiServerPort: number;
    /** The chart version (`CniPlugin.version` of the version profile). */
    readonly version: string;
}

export interface CniPlugin {
    /** The `clusters[i].cni` value that selects it. */
    readonly name: string;
    /** Its Helm chart; also the release name and `<chartDir>/<product>/<version>/<chart>` for air-gapped runs. */
    readonly chart: { readonly product: ChartProduct; readonly repository: string; readonly chart: string; readonly namespace: string };
    /** The chart version the version profile pins. */
    version(versions: VersionProfile): string;
    /** Helm values; throws an Error naming the field on bad input. */
    values(input: CniInput): Record<string, unknown>;
    /** Why this CNI cannot run a cluster of this name (a problem text starting with "must"), or undefined. */
    clusterNameProblem(name: string): string | undefined;
    /** It does Service load-balancing itself: kubeadm skips the kube-proxy addon (a second one would fight it). */
    readonly replacesKubeProxy: boolean;
    /** Kernel modules every node loads (at boot and now) besides the container runtime's. */
    readonly nodeKernelModules: readonly string[];
    /** The namespace its agents run in, which Pod Security must leave `privileged`. */
    readonly privilegedNamespace: string;
    /**
     * How NetworkPolicy ipBlocks see cluster nodes (the API server, host-network pods): true when only per-node
     * addresses (/32) match them and the whole-space block 0.0.0.0/0 does not (Cilium, cilium#47827).
     */
    readonly nodesMatchOnlyByAddress: boolean;
}
