/** The mesh CA keys (`caSource` and what each source needs), checked against each other. Called only from parse.ts. */
import { z } from "zod";
import { configDefaults } from "./defaults";
import { CaConfig, CaLifetimes, ExternalIntermediate, caSources } from "./model";
import { certExpiry, intermediateProblems, keyMatchProblem, rootCertProblems } from "./pem";
import { Problems, show } from "./problems";
import { RawConfig, readEnum, readInt, readSecret } from "./readers";
import { Sensitive } from "./sensitive";
import { ownEntry, parseStructured } from "./structured";

const intermediateSchema = z.object({ cert: z.string(), key: z.string(), chain: z.string().optional() }).strict();

export function readCa(problems: Problems, raw: RawConfig, clusterNames: readonly string[], hasPeers: boolean): CaConfig {
    const source = readEnum(problems, raw, "caSource", caSources, configDefaults.caSource) ?? "generated";
    const hours = (key: string, days: number, max: number): number => 24 * readInt(problems, raw, key, days, 1, max);
    const lifetimes: CaLifetimes = {
        rootValidityHours: hours("caRootValidityDays", configDefaults.caRootValidityDays, 36500),
        intermediateValidityHours: hours("caIntermediateValidityDays", configDefaults.caIntermediateValidityDays, 36500),
        renewBeforeHours: hours("caRenewBeforeDays", configDefaults.caRenewBeforeDays, 3650),
    };
    if (source === "generated") {
        if (lifetimes.intermediateValidityHours > lifetimes.rootValidityHours) {
            problems.add(
                "caIntermediateValidityDays",
                `must not exceed caRootValidityDays (${lifetimes.rootValidityHours / 24}), got ${lifetimes.intermediateValidityHours / 24}`,
            );
        }
    }
    if (source !== "external-intermediates") {
        if (lifetimes.renewBeforeHours >= lifetimes.intermediateValidityHours) {
            problems.add(
                "caRenewBeforeDays",
                `must be shorter than caIntermediateValidityDays (${lifetimes.intermediateValidityHours / 24}), got ${lifetimes.renewBeforeHours / 24}`,
            );
        }
    }
    if (hasPeers && source === "generated") {
        problems.add(
            "caSource",
            'is "generated" but peers are configured: every stack of one mesh must share one root, so use "external-root" or "external-intermediates" in each',
        );
    }
    if (source === "generated") {
        return { source, ...lifetimes };
    }

    const rootCertPem = raw.get("caRootCert");
    if (rootCertPem === undefined) {
        problems.add("caRootCert", `is required when caSource is ${show(source)}: pulumi config set caRootCert "$(cat root-cert.pem)"`);
    } else {
        for (const p of rootCertProblems(rootCertPem)) {
            problems.add("caRootCert", p);
        }
    }

    if (source === "external-root") {
        const rootExpiry = rootCertPem === undefined ? undefined : certExpiry(rootCertPem);
        if (rootExpiry && Date.now() + lifetimes.intermediateValidityHours * 3_600_000 > rootExpiry.getTime()) {
            problems.add(
                "caIntermediateValidityDays",
                `${lifetimes.intermediateValidityHours / 24} days would outlive the given root, which expires ${rootExpiry.toISOString()}`,
            );
        }
        const key = readSecret(problems, raw, "caRootKey", `pulumi config set --secret caRootKey "$(cat root-key.pem)"`);
        if (key !== undefined && rootCertPem !== undefined) {
            const p = keyMatchProblem(rootCertPem, key, "the root");
            if (p) {
                problems.add("caRootKey", p);
            }
        }
        return { source, rootCertPem: rootCertPem ?? "", rootKeyPem: new Sensitive(key ?? ""), ...lifetimes };
    }

    const intermediates: Record<string, ExternalIntermediate> = {};
    const text = readSecret(
        problems,
        raw,
        "caIntermediates",
        "a map cluster name -> {cert, key[, chain]} set with --secret --path",
        // Certificates are public; only the keys must be secure in the stack file.
        (leaf) => leaf.endsWith(".key"),
    );
    const map =
        text === undefined ? undefined : parseStructured(problems, "caIntermediates", text, z.record(z.string(), intermediateSchema), true);
    if (map) {
        for (const name of clusterNames) {
            const entry = ownEntry(map, name);
            const key = `caIntermediates.${name}`;
            if (!entry) {
                problems.add(key, `is missing: pulumi config set --secret --path '${key}.cert' ... (and .key)`);
                continue;
            }
            const chainPem = entry.chain ?? `${entry.cert.trim()}\n${(rootCertPem ?? "").trim()}\n`;
            if (rootCertPem !== undefined) {
                for (const p of intermediateProblems(entry.cert, chainPem, rootCertPem)) {
                    problems.add(key, p);
                }
            }
            const p = keyMatchProblem(entry.cert, entry.key, "the intermediate");
            if (p) {
                problems.add(`${key}.key`, p);
            }
            const twin = Object.entries(intermediates).find(([, other]) => other.certPem.trim() === entry.cert.trim());
            if (twin) {
                problems.add(key, `is the same certificate as caIntermediates.${twin[0]}; each cluster needs its own intermediate`);
            }
            intermediates[name] = { certPem: entry.cert, keyPem: new Sensitive(entry.key), chainPem };
        }
        for (const name of Object.keys(map)) {
            if (!clusterNames.includes(name)) {
                problems.add(`caIntermediates.${name}`, "names no cluster in clusters");
            }
        }
    }
    return { source, rootCertPem: rootCertPem ?? "", intermediates };
}
