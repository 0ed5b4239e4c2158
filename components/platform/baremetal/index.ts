import * as pulumi from "@pulumi/pulumi";
import { TestbedConfig } from "../../config/model";
import { ClusterHandle } from "../handle";
import { InfraCa } from "./infraCa";
import { KubeadmCluster } from "./kubeadmCluster";
import { PrivateRegistry } from "./privateRegistry";
import { BareMetalHost } from "./server";

/** What the bare-metal platform built, for the program's outputs. */
export interface BareMetal {
    readonly clusters: ClusterHandle[];
    readonly registry: PrivateRegistry;
    readonly infraCa: InfraCa;
    /** Every host by its config name. */
    readonly hosts: ReadonlyMap<string, BareMetalHost>;
}

/**
 * The `testbed` platform: every host (one loop), the infrastructure CA and the private registry, then one kubeadm
 * cluster per `clusters[]` entry (one loop). Config has been validated: every host reference resolves.
 */
export function createBareMetal(config: TestbedConfig): BareMetal {
    const bm = config.baremetal;
    if (!bm) {
        throw new Error("createBareMetal needs the validated bare-metal config (platform testbed)");
    }
    const hosts = new Map(bm.hosts.map((h) => [h.name, new BareMetalHost(h.name, { host: h, ssh: bm.ssh })]));
    const hostNamed = (name: string): BareMetalHost => {
        const host = hosts.get(name);
        if (!host) {
            throw new Error(`host ${name} is not configured`);
        }
        return host;
    };
    const infraCa = new InfraCa("infra-ca", { validityHours: bm.registry.caValidityHours });
    const registry = new PrivateRegistry("registry", {
        config: bm.registry,
        host: hostNamed(bm.registry.host),
        ca: infraCa,
        image: config.versions.registryImage,
    });
    const clusters = config.clusters.map((cluster) => {
        const access = cluster.access;
        if (access.kind !== "kubeadm") {
            throw new Error(`cluster ${cluster.name} has no kubeadm config`);
        }
        return new KubeadmCluster(cluster.name, {
            cluster: { ...cluster, access },
            controlPlane: hostNamed(access.controlPlane),
            workers: access.workers.map(hostNamed),
            registry,
            versions: config.versions,
            helm: config.helm,
        }).handle;
    });
    return { clusters, registry, infraCa, hosts };
}

/** Stack outputs of the bare-metal layer; the registry login is a secret output. */
export function bareMetalOutputs(config: TestbedConfig, bm: BareMetal): Record<string, unknown> {
    return {
        registry: { hostPort: bm.registry.hostPort },
        registryLogin: bm.registry.login,
        infraCaCert: bm.infraCa.certPem,
        hosts: Object.fromEntries(
            (config.baremetal?.hosts ?? []).map((h) => [
                h.name,
                { hostname: h.hostname, management: h.management.address, roles: h.roles },
            ]),
        ),
    } satisfies Record<string, pulumi.Input<unknown>>;
}
