import { VersionProfile, VersionProfileName } from "../core/versions";

import type { IstioPlatform } from "../core/istio";
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
    /**
     * API server URL the OTHER clusters' istiod dial (never loopback); defaults to the kubeconfig's server. Empty for
     * clusters the program creates (aks, gke): their endpoint is known once they exist (the platform handle has it).
     */
    readonly apiServer: string;
    /** True when `apiServer` was taken from the kubeconfig rather than configured. */
    readonly apiServerFromKubeconfig: boolean;
    /** How Pulumi reaches the cluster: an admin kubeconfig from secret config, or kubeadm on bare-metal hosts. */
    readonly access: ClusterAccess;
    /** How LoadBalancer Services get addresses; default per platform: `cloud`, `metallb` (testbed), `sim`. */
    readonly loadBalancer: LoadBalancerKind;
    /** Istio's platform name when the node layout differs (`gke`, ...): configures the istio-cni agent. */
    readonly istioPlatform?: IstioPlatform;
    /** Extra annotations for the east-west gateway Service (e.g. an internal-LB annotation); default none. */
    readonly eastWestServiceAnnotations: Readonly<Record<string, string>>;
    /** Who may reach the east-west gateway's LoadBalancer (`loadBalancerSourceRanges`); empty: no restriction. */
    readonly eastWestSourceRanges: readonly string[];
}

export type ClusterAccess =
    | {
          readonly kind: "kubeconfig";
          /** Admin kubeconfig for the cluster's Pulumi provider. */
          readonly kubeconfig: Sensitive;
      }
    | ({ readonly kind: "kubeadm" } & KubeadmClusterConfig)
    | ({ readonly kind: "aks" } & AksClusterConfig)
    | ({ readonly kind: "gke" } & GkeClusterConfig);

/** The managed clusters the `cloud` platform can create (`clusters[i].provision.kind`). */
export type CloudProvisionKind = "aks" | "gke";
export const cloudProvisionKinds: readonly CloudProvisionKind[] = ["aks", "gke"];

/** Whether a cloud load balancer gets a public address or one inside the cluster's virtual network. */
export type LoadBalancerScope = "public" | "internal";
export const loadBalancerScopes: readonly LoadBalancerScope[] = ["public", "internal"];

/** What every cluster the program creates in a cloud shares. */
export interface CloudClusterCommon {
    /** Azure region / Google Cloud region or zone. */
    readonly location: string;
    /** Kubernetes minor ("1.35"): the version profile's unless overridden; inside Istio's support matrix. */
    readonly kubernetesVersion: string;
    /** Nodes of the one node pool (GKE: per zone of the location). */
    readonly nodeCount: number;
    /** OS disk per node, GB. */
    readonly diskSizeGb: number;
    /** Node addresses (the VNet's / VPC subnetwork's primary range). */
    readonly nodeCidr: string;
    /** Pod addresses (AKS overlay pod CIDR; GKE secondary range). */
    readonly podCidr: string;
    /** Service (ClusterIP) addresses. */
    readonly serviceCidr: string;
    /** The east-west gateway's and the ingress gateway's load balancers. */
    readonly eastWestLoadBalancer: LoadBalancerScope;
    readonly ingressLoadBalancer: LoadBalancerScope;
}

/** An AKS cluster the program creates (resource group, VNet, Azure CNI overlay powered by Cilium). */
export interface AksClusterConfig extends CloudClusterCommon {
    /** VM size of the system node pool, e.g. Standard_D4s_v5. */
    readonly vmSize: string;
    /** NetworkPolicy engine: Cilium (Azure CNI powered by Cilium) or Azure NPM. Never none. */
    readonly networkPolicy: "cilium" | "azure";
    /** AKS pricing tier: Free (no uptime SLA) or Standard. */
    readonly tier: "Free" | "Standard";
    /** The cluster DNS Service address: the 10th of serviceCidr. */
    readonly dnsServiceIp: string;
}

/** A GKE Standard cluster the program creates (VPC, subnetwork, Dataplane V2). */
export interface GkeClusterConfig extends CloudClusterCommon {
    /** Compute Engine machine type of the node pool, e.g. e2-standard-4. */
    readonly machineType: string;
    /** Release channel; the control plane starts at `kubernetesVersion` (minMasterVersion). */
    readonly releaseChannel: "RAPID" | "REGULAR" | "STABLE" | "EXTENDED";
    /** Private nodes (no external addresses): a /28 for the control plane, Cloud NAT, the webhook firewall rule. */
    readonly privateNodes?: { readonly masterCidr: string };
    /**
     * How Pulumi authenticates to the cluster: `gke-gcloud-auth-plugin` (exec; stable, the plugin must be installed)
     * or `access-token` (the provider's OAuth token in the kubeconfig; needs no plugin, expires after an hour).
     */
    readonly kubeconfigAuth: "gke-gcloud-auth-plugin" | "access-token";
}

/** Provider config a user sets "the usual way" (`azure-native:*`, `gcp:*`), passed to the explicit providers. */
export interface CloudProviderSettings {
    readonly plain: Readonly<Record<string, unknown>>;
    readonly secret: Readonly<Record<string, Sensitive>>;
}

/** A cluster the `testbed` platform builds with kubeadm on bare-metal hosts. */
export interface KubeadmClusterConfig {
    /** Name of the host (in `hosts`) that runs the single control-plane node. */
    readonly controlPlane: string;
    /** Names of further hosts joined as workers; default none. */
    readonly workers: readonly string[];
    /** Pod CIDR (kubeadm --pod-network-cidr, Cilium ipam kubernetes); default 10.244.0.0/16. */
    readonly podSubnet: string;
    /** Service CIDR; default 10.96.0.0/16. */
    readonly serviceSubnet: string;
    /** MetalLB addresses: `a.b.c.d-e.f.g.h` ranges or CIDRs inside the control plane's management subnet. */
    readonly loadBalancerPool: readonly string[];
    /** Cilium cluster ID (1-255), unique per mesh; default the cluster's position + 1. */
    readonly ciliumClusterId: number;
    /** The CNI plug-in (`core/cni`), default "cilium". */
    readonly cni: string;
}

/** What a bare-metal server does in the testbed. */
export type HostRole = "control-plane" | "worker" | "registry" | "keycloak";
export const hostRoles: readonly HostRole[] = ["control-plane", "worker", "registry", "keycloak"];

/** An IPv4 interface address with its subnet, e.g. 10.5.0.3/24. */
export interface InterfaceAddress {
    readonly address: string;
    readonly prefix: number;
    /** The subnet in CIDR form, e.g. 10.5.0.0/24. */
    readonly subnet: string;
}

/** One bare-metal server (platform testbed). */
export interface HostConfig {
    /** Key other config refers to (clusters[].controlPlane, workers). */
    readonly name: string;
    /** Host name set on the machine; also the Kubernetes node name. */
    readonly hostname: string;
    /** Management-plane address: SSH, the API server, the node IP; LoadBalancer pools live in its subnet. */
    readonly management: InterfaceAddress;
    /** Service-plane address, when the server has one (informational; checked to exist on the host). */
    readonly service?: InterfaceAddress;
    readonly roles: readonly HostRole[];
    /** Pinned SSH host public key (`ssh-ed25519 AAAA...`); when unset the host key is NOT verified (README warns). */
    readonly hostKey?: string;
}

/** One SSH identity for every host (platform testbed). */
export interface SshConfig {
    readonly user: string;
    readonly port: number;
    /** Private key (PEM or OpenSSH format), secret end to end. */
    readonly privateKey: Sensitive;
    /** Jump host reached with the same key, when the hosts are not directly reachable. */
    readonly bastion?: { readonly host: string; readonly port: number; readonly user: string; readonly hostKey?: string };
}

/** The private registry (platform testbed): on the host with role `registry`. */
export interface RegistryConfig {
    /** Host (in `hosts`) that runs it. */
    readonly host: string;
    readonly port: number;
    /** Extra DNS name in the server certificate (nodes use the management address either way). */
    readonly dnsName?: string;
    /** htpasswd user the clusters pull as. */
    readonly user: string;
    /** Validity of the infrastructure CA and the registry certificate, hours. */
    readonly caValidityHours: number;
    readonly certValidityHours: number;
}

/** Everything only the `testbed` platform uses. */
export interface BareMetalConfig {
    readonly ssh: SshConfig;
    readonly hosts: readonly HostConfig[];
    readonly registry: RegistryConfig;
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
    /** Image repository prefix of the sample workloads (a private mirror); default the upstream repositories. */
    readonly sampleRegistry?: string;
    /** Workload certificate lifetime in hours (1-24). */
    readonly workloadCertTtlHours: number;
    /** How long each verification check retries before it fails `up`, seconds (30-1800). */
    readonly verificationTimeoutSeconds: number;
    /** Keycloak realm and placement, the ingress host, optional ready-made TLS material. */
    readonly identity: IdentityConfig;
    /** Prometheus, Grafana and Kiali: retention, dashboards source, Kiali's login. */
    readonly observability: ObservabilityConfig;
    /** Run the control-plane checks inside `pulumi up` (config/controlPlaneChecks.ts); undefined: `npm run verify` only. */
    readonly controlPlaneChecks?: ControlPlaneChecksConfig;
    /** Hosts, SSH and registry; present exactly when `platform` is `testbed`. */
    readonly baremetal?: BareMetalConfig;
    /** Provider config of the clouds whose clusters this stack creates (cloud platform, `provision`). */
    readonly cloudProviders?: { readonly azure: CloudProviderSettings; readonly gcp: CloudProviderSettings };
}

// ---- identity (read by identity.ts)

/** How RequestAuthentication gets the realm's public keys. */
export type JwksSource = "inline";

/** Where Keycloak runs: a container on the testbed's `keycloak` host, or a Deployment in the first cluster. */
export type KeycloakPlacement =
    | { readonly kind: "host"; readonly host: string; readonly address: string }
    | { readonly kind: "cluster"; readonly cluster: string; readonly namespace: string };

/** Ready-made TLS material (`identityTls`, secret): certificates for the two host names and the realm's key. */
export interface ExternalIdentityTls {
    /** CA that issued both server certificates (clients verify against it). */
    readonly caCertPem: string;
    readonly ingress: { readonly certPem: string; readonly keyPem: Sensitive };
    readonly keycloak: { readonly certPem: string; readonly keyPem: Sensitive };
    /** RSA private key (PEM) the realm signs tokens with. */
    readonly realmSigningKeyPem: Sensitive;
}

export interface IdentityConfig {
    /** Keycloak realm name (not "master"). */
    readonly realm: string;
    /** The confidential client test callers use (client-credentials grant only). */
    readonly clientId: string;
    /** `aud` of the access tokens; RequestAuthentication's `audiences`. */
    readonly audience: string;
    /** Access token lifetime, 60-900 s. */
    readonly accessTokenLifespanSeconds: number;
    /** Always inline: every stack's Keycloak has a private-CA certificate istiod cannot verify (istio#53260). */
    readonly jwks: JwksSource;
    /** Host name (or IPv4 address) in Keycloak's URL, hence in the issuer. */
    readonly hostname: string;
    /** HTTPS port in Keycloak's URL. */
    readonly port: number;
    readonly placement: KeycloakPlacement;
    /** Host name of the HTTPS ingress (the Gateway's host, the certificate's SAN). */
    readonly ingressHost: string;
    /** Validity of generated server certificates, hours. */
    readonly certValidityHours: number;
    /** Ready-made TLS material instead of generated. */
    readonly tls?: ExternalIdentityTls;
    /** Given credentials instead of random ones made by Pulumi (for stacks without the random provider: the sim). */
    /** `adminPassword` only for in-cluster Keycloak: on a host Keycloak has no admin user. */
    readonly credentials?: { readonly clientSecret: Sensitive; readonly adminPassword?: Sensitive };
}

// ---- observability (read by observability.ts)

/**
 * `download`: raw files at the Istio tag (or from an https mirror); `directory`: a local copy of
 * manifests/addons/dashboards (e.g. from the istio.io/istio Go module); `none`: only the project's dashboards.
 * Every file is checked against its pinned sha256 whatever the source.
 */
export type IstioDashboardSource =
    | { readonly kind: "download"; readonly baseUrl?: string }
    | { readonly kind: "directory"; readonly path: string }
    | { readonly kind: "none" };

export interface ObservabilityCredentials {
    readonly grafanaAdminPassword: Sensitive;
    /** Kiali's session-signing key: exactly 32 characters. */
    readonly kialiSigningKey: Sensitive;
    /** The Keycloak user's password (substituted into the realm file: [A-Za-z0-9_-]). */
    readonly observerPassword: Sensitive;
}

export interface ControlPlaneChecksConfig {
    /** The toolchain's xDS/CA client (absolute path). */
    readonly ztaXds: string;
    /** How Pulumi's machine reaches istiod: its pod IP (the only way supported inside `up`). */
    readonly istiodAccess: "pod-ip";
}

export interface ObservabilityConfig {
    /** Prometheus TSDB retention, e.g. "7d". */
    readonly retention: string;
    readonly istioDashboards: IstioDashboardSource;
    /** Local port of `kubectl port-forward` to Kiali: its OpenID redirect is http://localhost:<port>/kiali. */
    readonly kialiLocalPort: number;
    /** Keycloak user (realm `identity.realm`) that logs in to Kiali. */
    readonly observerUser: string;
    readonly credentials?: ObservabilityCredentials;
}
