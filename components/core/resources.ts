/** Helpers for the Pulumi resources every component creates the same way. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NetworkPolicy, isDefaultDeny } from "./networkPolicy";

export type ChildOptions = (dependsOn?: readonly pulumi.Resource[], extra?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions;

/** Options for a component's children: the component as parent, the cluster's provider explicitly, their dependencies. */
export function childOptions(parent: pulumi.Resource, provider: pulumi.ProviderResource | undefined): ChildOptions {
    return (dependsOn = [], extra = {}) => ({
        parent,
        ...(provider !== undefined ? { provider } : {}),
        ...(dependsOn.length > 0 ? { dependsOn: [...dependsOn] } : {}),
        ...extra,
    });
}

export interface NetworkPolicySetArgs {
    /** Pulumi name of each policy's resource. */
    readonly resourceName: (p: NetworkPolicy) => string;
    /** The policies as rendered; with `content`, only their shape (which exist, their namespace and name) counts. */
    readonly policies: readonly NetworkPolicy[];
    /** Content that depends on outputs (addresses), matched to `policies` by namespace and name. */
    readonly content?: pulumi.Output<readonly NetworkPolicy[]>;
    /** What the policies of a namespace wait for: at least the namespace. */
    readonly after: (namespace: string) => readonly pulumi.Resource[];
}

/**
 * Creates NetworkPolicies so that a namespace is never cut off mid-way: its allows first, its default deny after all
 * of them. Returns the resources in the order of `policies`.
 */
export function createNetworkPolicies(args: NetworkPolicySetArgs, child: ChildOptions): k8s.networking.v1.NetworkPolicy[] {
    const contentOf = (p: NetworkPolicy): NetworkPolicy | pulumi.Output<NetworkPolicy> =>
        args.content === undefined
            ? p
            : args.content.apply((list) => {
                  const found = list.find((q) => q.metadata.namespace === p.metadata.namespace && q.metadata.name === p.metadata.name);
                  if (!found) {
                      throw new Error(`NetworkPolicy ${p.metadata.namespace}/${p.metadata.name} missing from the rendered list`);
                  }
                  return found;
              });
    const allows = new Map<string, pulumi.Resource[]>();
    const created = new Map<NetworkPolicy, k8s.networking.v1.NetworkPolicy>();
    for (const p of args.policies.filter((q) => !isDefaultDeny(q))) {
        const ns = p.metadata.namespace;
        const r = new k8s.networking.v1.NetworkPolicy(args.resourceName(p), contentOf(p), child([...args.after(ns)]));
        allows.set(ns, [...(allows.get(ns) ?? []), r]);
        created.set(p, r);
    }
    for (const p of args.policies.filter(isDefaultDeny)) {
        const ns = p.metadata.namespace;
        created.set(
            p,
            new k8s.networking.v1.NetworkPolicy(args.resourceName(p), contentOf(p), child([...args.after(ns), ...(allows.get(ns) ?? [])])),
        );
    }
    return args.policies.map((p) => created.get(p) as k8s.networking.v1.NetworkPolicy);
}
