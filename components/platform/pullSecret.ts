import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterHandle } from "./handle";

/** Name of the `kubernetes.io/dockerconfigjson` Secret in every namespace that pulls from the private registry. */
export const pullSecretName = "zta-registry";

/**
 * Where Istio's images come from when no hub is configured (the charts' default). Callers name the images their pods
 * run, and the Istio ones (sidecars injected into a namespace included) are `<hub>/<name>`.
 */
export const defaultIstioHub = "docker.io/istio";

/** The Istio image `name` (pilot, proxyv2, install-cni) under `hub`, or under the charts' default hub. */
export function istioImage(hub: string | undefined, name: "pilot" | "proxyv2" | "install-cni"): string {
    return `${hub ?? defaultIstioHub}/${name}`;
}

/**
 * The pull secret's name for pods running `images` in `cluster`: only when the cluster has a private registry and
 * at least one of the images is pulled from it (`<host:port>/...`); undefined otherwise, so no credential lands in a
 * namespace where nothing pulls from the registry.
 */
export function pullSecretFor(cluster: ClusterHandle, images: readonly string[]): string | undefined {
    const server = cluster.registry?.server;
    return server !== undefined && images.some((image) => image.startsWith(`${server}/`)) ? pullSecretName : undefined;
}

/**
 * The registry pull secret in `namespace`, when pods there run an image from the cluster's private registry
 * (`pullSecretFor`); undefined otherwise. Real credentials (the registry refuses anonymous pulls; the pull login
 * cannot push), secret end to end.
 */
export function createPullSecret(
    name: string,
    cluster: ClusterHandle,
    namespace: pulumi.Input<string>,
    images: readonly string[],
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret | undefined {
    if (!cluster.registry || pullSecretFor(cluster, images) === undefined) {
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
