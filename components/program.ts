import * as pulumi from "@pulumi/pulumi";
import { TestbedConfig } from "./config/model";
import { Mesh } from "./mesh/mesh";
import { MeshPeering, createPlatform, resolvePeers } from "./platform";

/**
 * The whole program for a validated config: platform → mesh. Returns the stack outputs.
 * Peers are read and validated before any resource is created.
 */
export async function deployTestbed(config: TestbedConfig): Promise<Record<string, unknown>> {
    const peers = await resolvePeers(config);
    const platform = createPlatform(config);
    const clusters = platform.clusters;
    const mesh = new Mesh("mesh", {
        meshId: config.meshId,
        trustDomain: config.trustDomain,
        versions: config.versions,
        helm: config.helm,
        hub: config.istioHub,
        ingressNamespace: config.ingressNamespace,
        workloadCertTtlHours: config.workloadCertTtlHours,
        sampleRegistry: config.sampleRegistry,
        ca: config.ca,
        clusters,
        peers,
    });

    const meshPeering: pulumi.Output<MeshPeering> = mesh.rootCertPem.apply((rootCert) => ({
        meshId: config.meshId,
        trustDomain: config.trustDomain,
        rootCert,
        clusters: config.clusters.map((c) => ({ name: c.name, network: c.network })),
    }));

    return {
        versions: { profile: config.versionProfile, ...config.versions },
        rootCert: mesh.rootCertPem,
        clusters: pulumi
            .all([mesh.clusters])
            .apply(([status]) => Object.fromEntries(config.clusters.map((c) => [c.name, { apiServer: c.apiServer, ...status[c.name] }]))),
        peerClusters: peers.map((p) => ({ name: p.name, network: p.network, stack: p.stack })),
        meshPeering,
        readerKubeconfigs: pulumi.secret(mesh.readerKubeconfigs),
        ...platform.outputs,
    };
}
