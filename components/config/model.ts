import { VersionProfile, VersionProfileName } from "../versions";
import { Sensitive } from "./sensitive";

/** Where clusters come from: bare metal, managed cloud clusters, or the local simulation (`npm run sim`). */
export type PlatformKind = "testbed" | "cloud" | "sim";
export const platformKinds: readonly PlatformKind[] = ["testbed", "cloud", "sim"];

/** How a cluster's LoadBalancer Services get addresses (`sim`: a kwok stage of the simulated cluster). */
export type LoadBalancerKind = "cloud" | "metallb" | "sim";
export const loadBalancerKinds: readonly LoadBalancerKind[] = ["cloud", "metallb", "sim"];

/** One cluster this stack owns and deploys into. */
export interface ClusterConfig {
    /** Istio cluster ID (`global.multiCluster.clusterName`); unique in the mesh. */
    readonly name: string;
    /** Istio network (`topology.istio.io/network`); unique per cluster in this multi-network mesh. */
    readonly network: string;
    /** API server URL the OTHER clusters' istiod dial (never loopback); defaults to the kubeconfig's server. */
    readonly apiServer: string;
    /** True when `apiServer` was taken from the kubeconfig rather than configured. */
    readonly apiServerFromKubeconfig: boolean;
    /** Admin kubeconfig for the cluster's Pulumi provider. */
    readonly kubeconfig: Sensitive;
    /** How LoadBalancer Services get addresses; default per platform: `cloud`, `metallb` (testbed), `sim`. */
    readonly loadBalancer: LoadBalancerKind;
    /** Extra annotations for the east-west gateway Service (e.g. an internal-LB annotation); default none. */
    readonly eastWestServiceAnnotations: Readonly<Record<string, string>>;
}

/** A stack whose clusters join this mesh (multi-stack meshes, e.g. bare metal + cloud). */
export interface PeerConfig {
    /** Fully qualified stack name, `<org>/<project>/<stack>`. */
    readonly stack: string;
}

/** Validity and renewal shared by every CA source that signs inside Pulumi. */
export interface CaLifetimes {
    /** Root validity in hours; default 3650 days. */
    readonly rootValidityHours: number;
    /** Intermediate validity in hours; default 730 days; never longer than the root. */
    readonly intermediateValidityHours: number;
    /** Re-issue intermediates this many hours before expiry on the next `pulumi up`; default 30 days. */
    readonly renewBeforeHours: number;
}

/** A ready-made intermediate for one cluster (root key never touches Pulumi). */
export interface ExternalIntermediate {
    readonly certPem: string;
    readonly keyPem: Sensitive;
    /** Chain from the intermediate up to (and including) the root; default intermediate + root. */
    readonly chainPem: string;
}

export type CaConfig =
    | ({ readonly source: "generated" } & CaLifetimes)
    | ({ readonly source: "external-root"; readonly rootCertPem: string; readonly rootKeyPem: Sensitive } & CaLifetimes)
    | {
          readonly source: "external-intermediates";
          readonly rootCertPem: string;
          readonly intermediates: Readonly<Record<string, ExternalIntermediate>>;
      };
export type CaSource = CaConfig["source"];
export const caSources: readonly CaSource[] = ["generated", "external-root", "external-intermediates"];

export interface HelmConfig {
    /** Helm wait timeout per release, seconds; default 600. */
    readonly timeoutSeconds: number;
    /** Chart repository URL; default Istio's release repository. */
    readonly repository: string;
    /** Local chart directory laid out `<chartDir>/istio/<version>/<chart>/` (air-gapped installs); default none. */
    readonly chartDir?: string;
}

/** The whole validated stack configuration. Components receive parts of it, never `pulumi.Config`. */
export interface TestbedConfig {
    readonly platform: PlatformKind;
    readonly versionProfile: VersionProfileName;
    readonly versions: VersionProfile;
    /** `global.meshID`, identical on every cluster of the mesh. */
    readonly meshId: string;
    /** SPIFFE trust domain, identical on every cluster of the mesh. */
    readonly trustDomain: string;
    readonly clusters: readonly ClusterConfig[];
    readonly peers: readonly PeerConfig[];
    readonly ca: CaConfig;
    readonly helm: HelmConfig;
    /** Image hub override for Istio images (private registry); default the chart's. */
    readonly istioHub?: string;
    /** Namespace of the ingress gateway; default `istio-ingress`. */
    readonly ingressNamespace: string;
}
