/**
 * Managed cloud clusters (the cloud stack: AKS through @pulumi/azure-native, GKE through @pulumi/gcp) and what the
 * zero-trust reference needs of them: a NetworkPolicy engine, so that "Network"'s default deny is enforced and not a
 * silent no-op; nodes that can run istio-cni; and a `pulumi destroy` that removes the cluster and its cloud load
 * balancers instead of failing or leaving them behind. The types are matched by token: the pack imports no provider.
 */
import { at, describeObject, json, PolicyObject, ResourceRule, str } from "./model";

export const AKS_CLUSTER_TYPE = "azure-native:containerservice:ManagedCluster";
export const GKE_CLUSTER_TYPE = "gcp:container/cluster:Cluster";
const HELM_V3_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

/** AKS networkProfile.networkPolicy values that enforce Kubernetes NetworkPolicy and are not being retired. */
export const AKS_NETWORK_POLICY_ENGINES = ["cilium", "azure"] as const;

/** For messages only: a name that cannot be read (unknown during preview) must not hide the violation being reported. */
function quietly<T>(f: () => T): T | undefined {
    try {
        return f();
    } catch {
        return undefined;
    }
}

/** `AKS ManagedCluster <resourceName> [pulumi-name @ provider]`, `GKE Cluster <name> [pulumi-name @ provider]`. */
function describeCluster(r: PolicyObject): string {
    const where = `[${r.name}${r.provider ? ` @ ${r.provider}` : ""}]`;
    if (r.type === AKS_CLUSTER_TYPE) {
        return `AKS ManagedCluster ${quietly(() => str(r.props.resourceName)) ?? "(auto-named)"} ${where}`;
    }
    return `GKE Cluster ${quietly(() => str(r.props.name)) ?? "(auto-named)"} ${where}`;
}

/** A value as messages show it: JSON, or `unset` when absent. */
const shown = (v: unknown): string => (v === undefined || v === null ? "unset" : json(v));

export const aksNetworkPolicyEngine: ResourceRule = {
    scope: "resource",
    name: "aks-network-policy-engine",
    description: `An AKS ManagedCluster enforces NetworkPolicy: networkProfile.networkPolicy ${AKS_NETWORK_POLICY_ENGINES.map((e) => json(e)).join(" or ")} (unset means "none"; Calico on AKS is being retired), "cilium" with networkProfile.networkDataplane "cilium" (Azure requires it), and enableRBAC true.`,
    reference: "Default-deny NetworkPolicy (ingress + egress) in every namespace the program creates",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (r.type !== AKS_CLUSTER_TYPE) {
            return [];
        }
        const messages: string[] = [];
        const policy = at(r.props.networkProfile, "networkPolicy");
        if (!(AKS_NETWORK_POLICY_ENGINES as readonly unknown[]).includes(policy)) {
            const why =
                policy === "calico"
                    ? "Calico network policy on AKS is being retired"
                    : "without a policy engine every NetworkPolicy, default deny included, is silently not enforced";
            messages.push(
                `${describeCluster(r)}: networkProfile.networkPolicy is ${shown(policy)}; must be ${AKS_NETWORK_POLICY_ENGINES.map((e) => json(e)).join(" or ")}: ${why}`,
            );
        } else if (policy === "cilium") {
            const dataplane = at(r.props.networkProfile, "networkDataplane");
            if (dataplane !== "cilium") {
                messages.push(
                    `${describeCluster(r)}: networkProfile.networkDataplane is ${shown(dataplane)}; networkPolicy "cilium" requires networkDataplane "cilium"`,
                );
            }
        }
        const rbac = r.props.enableRBAC;
        if (rbac !== true) {
            messages.push(
                `${describeCluster(r)}: enableRBAC is ${shown(rbac)}; must be true: without Kubernetes RBAC any authenticated identity may do anything, and the program's Roles limit nobody`,
            );
        }
        return messages;
    },
};

export const gkeDataplaneV2: ResourceRule = {
    scope: "resource",
    name: "gke-dataplane-v2",
    description:
        'A GKE Cluster runs Dataplane V2, which always enforces NetworkPolicy: datapathProvider "ADVANCED_DATAPATH" (the provider defaults to LEGACY_DATAPATH), and no Calico network policy add-on (networkPolicy.enabled true conflicts with Dataplane V2).',
    reference: "Default-deny NetworkPolicy (ingress + egress) in every namespace the program creates",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (r.type !== GKE_CLUSTER_TYPE) {
            return [];
        }
        const messages: string[] = [];
        const datapath = r.props.datapathProvider;
        if (datapath !== "ADVANCED_DATAPATH") {
            messages.push(
                `${describeCluster(r)}: datapathProvider is ${datapath === undefined || datapath === null ? "unset (LEGACY_DATAPATH)" : json(datapath)}; must be "ADVANCED_DATAPATH": Dataplane V2 enforces NetworkPolicy, default deny included`,
            );
        }
        if (at(r.props.networkPolicy, "enabled") === true) {
            messages.push(
                `${describeCluster(r)}: networkPolicy.enabled is true; the Calico network policy add-on conflicts with Dataplane V2, which enforces NetworkPolicy itself: leave networkPolicy unset or enabled false`,
            );
        }
        return messages;
    },
};

export const gkeStandardNotAutopilot: ResourceRule = {
    scope: "resource",
    name: "gke-standard-not-autopilot",
    description:
        "A GKE Cluster is a Standard cluster: enableAutopilot unset or false. istio-cni's node agent needs privileged pods, which Autopilot does not run; without it, pods would need istio-init's NET_ADMIN, outside Pod Security restricted.",
    reference: "only a short, commented allow-list is `privileged` (Cilium, MetalLB speaker, istio-cni, …)",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (r.type !== GKE_CLUSTER_TYPE || r.props.enableAutopilot !== true) {
            return [];
        }
        return [
            `${describeCluster(r)}: enableAutopilot is true; must be unset or false: istio-cni's node agent needs privileged pods, which Autopilot does not allow`,
        ];
    },
};

/** GKE deletionPolicy values under which deleting the resource deletes the cluster (unset: the provider's "DELETE"). */
const GKE_DELETING_POLICIES: readonly unknown[] = [undefined, null, "DELETE"];

export const cloudClusterDestroyable: ResourceRule = {
    scope: "resource",
    name: "cloud-cluster-destroyable",
    description:
        'A GKE Cluster can be destroyed: deletionProtection explicitly false (the provider defaults it to true, and `pulumi destroy` then fails, leaving load balancers, a VPC and a billed cluster behind), and deletionPolicy unset or "DELETE" (not "PREVENT", nor "ABANDON", which drops the cluster from the stack and leaves it running).',
    reference: "Bad input gets a clear error before anything is created … Nothing half-built.",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (r.type !== GKE_CLUSTER_TYPE) {
            return [];
        }
        const messages: string[] = [];
        const protection = r.props.deletionProtection;
        if (protection !== false) {
            messages.push(
                `${describeCluster(r)}: deletionProtection is ${protection === undefined || protection === null ? "unset (the provider defaults it to true)" : json(protection)}; must be false: \`pulumi destroy\` would fail, leaving load balancers, a VPC and a billed cluster behind`,
            );
        }
        const policy = r.props.deletionPolicy;
        if (!GKE_DELETING_POLICIES.includes(policy)) {
            messages.push(
                `${describeCluster(r)}: deletionPolicy is ${json(policy)}; must be unset or "DELETE": otherwise \`pulumi destroy\` fails or leaves the cluster running outside the stack`,
            );
        }
        return messages;
    },
};

/**
 * pulumi-kubernetes (provider/pkg/provider/helm_release.go, Delete) waits on uninstall when `atomic || !skipAwait`.
 * The rule asks for skipAwait false/unset regardless of atomic: atomic is an install/upgrade option whose effect on
 * uninstall is incidental, and skipAwait true also skips the await at install.
 */
export const loadBalancerReleaseAwaitsUninstall: ResourceRule = {
    scope: "resource",
    name: "loadbalancer-release-awaits-uninstall",
    description:
        'A Helm release (helm.v3.Release) whose values.service.type is "LoadBalancer" has skipAwait false or unset, so that `helm uninstall` waits until the Service is gone: its finalizer service.kubernetes.io/load-balancer-cleanup holds it until the cloud load balancer is deleted, before the cluster is destroyed.',
    reference: "Bad input gets a clear error before anything is created … Nothing half-built.",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (r.type !== HELM_V3_RELEASE_TYPE || at(r.props.values, "service", "type") !== "LoadBalancer") {
            return [];
        }
        return r.props.skipAwait === true
            ? [
                  `${describeObject(r)}: skipAwait is true with values.service.type "LoadBalancer"; must be false or unset: \`helm uninstall\` then does not wait for the Service (held by its finalizer service.kubernetes.io/load-balancer-cleanup until the cloud load balancer is deleted), and destroying the cluster next orphans the load balancer`,
              ]
            : [];
    },
};
