import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterHandle } from "../platform/handle";
import { createPullSecret, pullSecretFor } from "../platform/pullSecret";

import { allowDnsEgress, defaultDeny } from "../core/networkPolicy";
import { psaLabels } from "../core/podSecurity";
import { sampleImages, sampleNamespace } from "../workloads/samples";
import { checkJob, verifyNamespace } from "./checks";
import { CheckContext, outsideServiceAccount, ScriptInputs, VerificationIdentity, verificationChecks } from "./registry";
import { childOptions, createNetworkPolicies } from "../core/resources";
import { sha256Hex } from "../core/rollout";

/** What a check reports as a stack output. */
/** "passed", "simulated: ...", "not run: <reason>" or "not complete". */
export type CheckResult = string;

export interface ClusterVerificationArgs {
    readonly cluster: ClusterHandle;
    readonly ingressNamespace: string;
    readonly sampleRegistry?: string;
    readonly identity: VerificationIdentity;
    /** Everything under test, in every cluster: samples, ingress, identity, endpoint discovery. */
    readonly after: readonly pulumi.Resource[];
    /** What the checks depend on; a change replaces the Jobs, so `up` verifies again. */
    readonly inputs: pulumi.Output<unknown>;
    /** The sim: kwok pods run no containers, so a completed Job proves the wiring, not the claim. */
    readonly simulated: boolean;
    readonly timeoutSeconds: number;
}

/**
 * Runs the zero-trust checks of registry.ts in one cluster, each the same way: its client's NetworkPolicies, service
 * account and Secret, then its Job after everything under test; `results` maps each check to "passed" (or why it
 * was not run), in registry order, the skipped ones last.
 */
export class ClusterVerification extends pulumi.ComponentResource {
    public readonly results: pulumi.Output<Record<string, CheckResult>>;

    constructor(name: string, args: ClusterVerificationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:verification:ClusterVerification", name, {}, opts);
        const c = args.cluster;
        const child = childOptions(this, c.provider);
        const image = sampleImages(args.sampleRegistry).curl;
        const pullSecret = pullSecretFor(c, [image]);

        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: verifyNamespace, labels: { ...psaLabels("restricted"), "istio-injection": "disabled" } } },
            child(c.ready),
        );
        const ctx: CheckContext = { cluster: c.name, ingressNamespace: args.ingressNamespace, identity: args.identity };
        const checks = verificationChecks.map((check) => {
            const skipped = check.skip?.(ctx);
            return { check, skipped, policies: check.networkPolicies?.(ctx, skipped === undefined) ?? {} };
        });

        // The clients outside the mesh: default deny in zta-verify, DNS, then each check's own allows.
        const networkPolicies = createNetworkPolicies(
            {
                resourceName: (p) => `${name}-${p.metadata.name}`,
                policies: [
                    allowDnsEgress(verifyNamespace),
                    ...checks.flatMap((k) => k.policies.client ?? []),
                    defaultDeny(verifyNamespace),
                ],
                after: () => [ns],
            },
            child,
        );
        // The servers' side (e.g. helloworld admitting the plaintext probe), after everything under test.
        const serverPolicies = checks.map((k) =>
            (k.policies.server ?? []).map(
                (p) => new k8s.networking.v1.NetworkPolicy(`${name}-${p.metadata.name}`, p, child([...args.after])),
            ),
        );
        const outsideSa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            { metadata: { name: outsideServiceAccount, namespace: verifyNamespace }, automountServiceAccountToken: false },
            child([ns]),
        );
        const pull = createPullSecret(`${name}-pull-secret`, c, verifyNamespace, [image], { parent: this, dependsOn: [ns] });
        const hash = args.inputs.apply((v) => sha256Hex(JSON.stringify(v)));
        const base = [...args.after, ...networkPolicies, ...(pull ? [pull] : [])];
        const timeout = args.timeoutSeconds;
        const scriptInputs: ScriptInputs = {
            timeoutSeconds: timeout,
            ingressNamespace: args.ingressNamespace,
            ingressHost: args.identity.ingressHost,
            tokenUrl: args.identity.tokenUrl,
        };

        const jobs: [string, k8s.batch.v1.Job][] = [];
        checks.forEach(({ check, skipped }, i) => {
            if (skipped !== undefined) {
                return;
            }
            const client = check.client;
            const namespace = client.kind === "meshed" ? sampleNamespace : verifyNamespace;
            const serviceAccount = client.kind === "meshed" ? client.serviceAccount : outsideServiceAccount;
            const deps: pulumi.Resource[] = [];
            if (client.kind === "outside") {
                deps.push(outsideSa);
            } else if (client.createAs !== undefined) {
                deps.push(
                    new k8s.core.v1.ServiceAccount(
                        `${name}-${client.createAs}`,
                        { metadata: { name: client.serviceAccount, namespace }, automountServiceAccountToken: false },
                        child([...args.after]),
                    ),
                );
            }
            deps.push(...serverPolicies[i]);
            const secretName = check.secret ? `verify-${check.name}` : undefined;
            if (check.secret) {
                deps.push(
                    new k8s.core.v1.Secret(
                        `${name}-${check.secret.resourceName}`,
                        {
                            metadata: { name: secretName, namespace },
                            type: "Opaque",
                            stringData: pulumi.secret(check.secret.data(args.identity)),
                        },
                        child(client.kind === "outside" ? [ns] : [...args.after]),
                    ),
                );
            }
            const job = new k8s.batch.v1.Job(
                `${name}-${check.name}`,
                checkJob({
                    check: check.name,
                    namespace,
                    serviceAccount,
                    image,
                    meshed: client.kind === "meshed",
                    script: check.script(scriptInputs),
                    timeoutSeconds: timeout,
                    inputsHash: hash,
                    pullSecret,
                    secretName,
                }),
                {
                    ...child([...base, ...deps]),
                    // Fixed names: a changed template (new inputs) deletes the old Job before the new one runs.
                    deleteBeforeReplace: true,
                    customTimeouts: { create: `${timeout + 180}s`, update: `${timeout + 180}s` },
                },
            );
            jobs.push([check.name, job]);
        });

        this.results = pulumi.all(jobs.map(([, j]) => j.status)).apply((statuses) => {
            const results: Record<string, CheckResult> = {};
            jobs.forEach(([check], i) => {
                const done = (statuses[i]?.succeeded ?? 0) >= 1;
                results[check] = !done
                    ? "not complete"
                    : args.simulated
                      ? "simulated: Job completed without running (kwok pods run no containers); wiring and ordering only"
                      : "passed";
            });
            for (const { check, skipped } of checks) {
                if (skipped !== undefined) {
                    results[check.name] = `not run: ${skipped}`;
                }
            }
            return results;
        });
        this.registerOutputs({ results: this.results });
    }
}
