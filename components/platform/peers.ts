import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { TestbedConfig } from "../config/model";
import { ConfigError, fullKey, show } from "../config/problems";
import { PeerClusterHandle } from "./handle";

/** What every stack exports so other stacks can join its clusters to their mesh (stack output `meshPeering`). */
export interface MeshPeering {
    readonly meshId: string;
    readonly trustDomain: string;
    readonly rootCert: string;
    readonly clusters: readonly { readonly name: string; readonly network: string }[];
}

const meshPeeringSchema = z.object({
    meshId: z.string(),
    trustDomain: z.string(),
    rootCert: z.string(),
    clusters: z.array(z.object({ name: z.string(), network: z.string() })),
});

/** Stack output names of the peering contract. */
export const peeringOutputs = { peering: "meshPeering", readerKubeconfigs: "readerKubeconfigs" } as const;

function normalizePem(pem: string): string {
    return pem.replace(/\r/g, "").trim();
}

/**
 * Checks a peer's exported identity against ours and against every cluster name/network already taken.
 * Pure; returns problems (each naming the peers[i].stack key).
 */
export function peeringProblems(
    index: number,
    stack: string,
    exported: unknown,
    ours: { meshId: string; trustDomain: string; rootCert: string },
    taken: Map<string, string>,
    takenNetworks: Map<string, string>,
): string[] {
    const key = `${fullKey(`peers[${index}].stack`)}`;
    const parsed = meshPeeringSchema.safeParse(exported);
    if (!parsed.success) {
        return [`${key}: stack ${show(stack)} exports a malformed ${peeringOutputs.peering} output (${parsed.error.issues[0].message})`];
    }
    const peering = parsed.data;
    const problems: string[] = [];
    if (peering.meshId !== ours.meshId) {
        problems.push(
            `${key}: stack ${show(stack)} has meshId ${show(peering.meshId)}, this stack ${show(ours.meshId)}; one mesh needs one meshId`,
        );
    }
    if (peering.trustDomain !== ours.trustDomain) {
        problems.push(`${key}: stack ${show(stack)} has trustDomain ${show(peering.trustDomain)}, this stack ${show(ours.trustDomain)}`);
    }
    if (normalizePem(peering.rootCert) !== normalizePem(ours.rootCert)) {
        problems.push(`${key}: stack ${show(stack)} uses a different mesh root certificate; cross-network mTLS would fail (istio#32501)`);
    }
    for (const c of peering.clusters) {
        const owner = taken.get(c.name);
        if (owner !== undefined) {
            problems.push(`${key}: cluster ${show(c.name)} of ${show(stack)} clashes with cluster ${show(c.name)} of ${owner}`);
        } else {
            taken.set(c.name, `stack ${show(stack)}`);
        }
        const netOwner = takenNetworks.get(c.network);
        if (netOwner !== undefined) {
            problems.push(`${key}: network ${show(c.network)} of ${show(stack)} is already used by ${netOwner}`);
        } else {
            takenNetworks.set(c.network, `cluster ${show(c.name)} of ${show(stack)}`);
        }
    }
    return problems;
}

/**
 * Reads every peer stack (StackReference reads create nothing) and validates them all before any
 * resource of ours exists. Throws ConfigError listing every problem. A peer that has not exported its
 * peering yet is skipped with a warning (mutual peering needs one stack to go first).
 */
export async function resolvePeers(config: TestbedConfig, opts?: pulumi.CustomResourceOptions): Promise<PeerClusterHandle[]> {
    if (config.peers.length === 0) {
        return [];
    }
    // Peers are only allowed with an external CA (validated), so our root is known now.
    const rootCert = config.ca.source === "generated" ? "" : config.ca.rootCertPem;
    const ours = { meshId: config.meshId, trustDomain: config.trustDomain, rootCert };
    const taken = new Map(config.clusters.map((c) => [c.name, "this stack"] as [string, string]));
    const takenNetworks = new Map(config.clusters.map((c) => [c.network, `cluster ${show(c.name)} of this stack`] as [string, string]));
    const problems: string[] = [];
    const handles: PeerClusterHandle[] = [];
    let pending = 0;
    for (const [i, peer] of config.peers.entries()) {
        const ref = new pulumi.StackReference(`peer-${peer.stack.replace(/[^A-Za-z0-9-]/g, "-")}`, { name: peer.stack }, opts);
        const details = await ref.getOutputDetails(peeringOutputs.peering);
        const exported: unknown = details.value ?? details.secretValue;
        if (exported === undefined || exported === null) {
            // Two stacks that peer with each other cannot both go first: the one that does joins the other later.
            pending++;
            void pulumi.log.warn(
                `${fullKey(`peers[${i}].stack`)}: stack ${show(peer.stack)} has not exported ${peeringOutputs.peering} yet ` +
                    "(no pulumi up there so far); its clusters join this mesh on this stack's next pulumi up",
            );
            continue;
        }
        const found = peeringProblems(i, peer.stack, exported, ours, taken, takenNetworks);
        problems.push(...found);
        if (found.length > 0) {
            continue;
        }
        const peering = meshPeeringSchema.parse(exported);
        const kcDetails = await ref.getOutputDetails(peeringOutputs.readerKubeconfigs);
        const kubeconfigs = (kcDetails.secretValue ?? kcDetails.value ?? {}) as Record<string, unknown>;
        for (const c of peering.clusters) {
            const kc = kubeconfigs[c.name];
            if (typeof kc !== "string" || kc === "") {
                problems.push(
                    `${fullKey(`peers[${i}].stack`)}: stack ${show(peer.stack)} exports no reader kubeconfig for cluster ${show(c.name)}`,
                );
                continue;
            }
            handles.push({ name: c.name, network: c.network, stack: peer.stack, readerKubeconfig: pulumi.secret(kc) });
        }
    }
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    const total = config.clusters.length + handles.length;
    if (total < 2 && pending === 0) {
        throw new ConfigError([`${fullKey("clusters")}: the mesh has ${total} cluster including peers; it needs at least 2`]);
    }
    return handles;
}
