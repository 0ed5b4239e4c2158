import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterHandle } from "./handle";

/** Name of the `kubernetes.io/dockerconfigjson` Secret in every namespace that pulls from the private registry. */
export const pullSecretName = "zta-registry";

/**
 * The registry pull secret in `namespace`, when the cluster pulls from a private registry (bare metal); undefined
 * otherwise. Real credentials (the registry refuses anonymous pulls), secret end to end.
 */
export function createPullSecret(
    name: string,
    cluster: ClusterHandle,
    namespace: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret | undefined {
    if (!cluster.registry) {
        return undefined;
    }
    return new k8s.core.v1.Secret(
        name,
        {
            metadata: { name: pullSecretName, namespace },
            type: "kubernetes.io/dockerconfigjson",
            stringData: pulumi.secret(cluster.registry.dockerConfigJson.apply((json) => ({ ".dockerconfigjson": json }))),
        },
        { ...opts, provider: cluster.provider },
    );
}
