import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterHandle } from "../platform/handle";
import { allowNothing, peerAuthenticationStrict } from "./mesh";

export interface MeshPolicyArgs {
    readonly cluster: ClusterHandle;
    /** istiod's release: its validating webhook checks these objects, so it must serve first. */
    readonly istiod: pulumi.Resource;
}

/**
 * The mesh-wide zero-trust baseline of one cluster, in istio-system (the root namespace): mTLS STRICT for every
 * workload, and the allow-nothing policy, so that only explicit ALLOW policies naming identities let requests through.
 * (Egress REGISTRY_ONLY and the workload certificate lifetime are istiod values: components/mesh/values.ts.)
 */
export class MeshPolicy extends pulumi.ComponentResource {
    public readonly peerAuthentication: k8s.apiextensions.CustomResource;
    public readonly allowNothing: k8s.apiextensions.CustomResource;

    constructor(name: string, args: MeshPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:policy:MeshPolicy", name, {}, opts);
        const child = { parent: this, provider: args.cluster.provider, dependsOn: [args.istiod] };
        this.peerAuthentication = new k8s.apiextensions.CustomResource(`${name}-strict-mtls`, { ...peerAuthenticationStrict() }, child);
        this.allowNothing = new k8s.apiextensions.CustomResource(`${name}-allow-nothing`, { ...allowNothing() }, child);
        this.registerOutputs({});
    }
}
