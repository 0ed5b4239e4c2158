import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BadTokens } from "../identity/jwt";
import type { KeycloakEndpoint } from "../identity/identity";
import { ClusterHandle } from "../platform/handle";
import { createPullSecret, pullSecretName } from "../platform/pullSecret";

import {
    allowDnsEgress,
    allowEgressToPods,
    allowIngressFromPods,
    allowKeycloakEgress,
    defaultDeny,
    NetworkPolicy,
} from "../core/networkPolicy";
import { gatewayPodLabels } from "../core/istio";
import { psaLabels } from "../core/podSecurity";
import { sampleImages, sampleNamespace, samplePorts } from "../workloads/samples";
import {
    CheckName,
    checkJob,
    checkLabel,
    crossNetworkScript,
    ingressScript,
    ingressSecretKeys,
    intruderServiceAccount,
    plaintextScript,
    tokenRequestConfig,
    unauthorizedScript,
    verifyNamespace,
} from "./checks";
import { childOptions, createNetworkPolicies } from "../core/resources";

/** What a check reports as a stack output. */
/** "passed", "simulated: ...", "not run: <reason>" or "not complete". */
export type CheckResult = string;

export interface VerificationIdentity {
    readonly tokenUrl: string;
    readonly clientId: string;
    /** Secret. */
    readonly clientSecret: pulumi.Output<string>;
    readonly caCertPem: pulumi.Output<string>;
    /** Secret. */
    readonly badTokens: pulumi.Output<BadTokens>;
    readonly keycloak: KeycloakEndpoint;
    readonly ingressHost: string;
}

export interface ClusterVerificationArgs {
    readonly cluster: ClusterHandle;
    readonly ingressNamespace: string;
    readonly sampleRegistry?: string;
    readonly identity: VerificationIdentity;
    /** Checks not run from here, with the reason (e.g. Keycloak not reachable from this cluster). */
    readonly skip: Partial<Record<CheckName, string>>;
    /** Everything under test, in every cluster: samples, ingress, identity, endpoint discovery. */
    readonly after: readonly pulumi.Resource[];
    /** What the checks depend on; a change replaces the Jobs, so `up` verifies again. */
    readonly inputs: pulumi.Output<unknown>;
    /** The sim: kwok pods run no containers, so a completed Job proves the wiring, not the claim. */
    readonly simulated: boolean;
    readonly timeoutSeconds: number;
}

/** Labels of the non-meshed clients, for the NetworkPolicies of both sides. */
const clientLabels = (check: CheckName) => ({ [checkLabel]: check });

/** Runs the zero-trust checks in one cluster; `results` maps each check to "passed" (or why it was not run). */
export class ClusterVerification extends pulumi.ComponentResource {
    public readonly results: pulumi.Output<Record<string, CheckResult>>;

    constructor(name: string, args: ClusterVerificationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:verification:ClusterVerification", name, {}, opts);
        const c = args.cluster;
        const child = childOptions(this, c.provider);
        const image = sampleImages(args.sampleRegistry).curl;
        const pullSecret = c.registry ? pullSecretName : undefined;

        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: verifyNamespace, labels: { ...psaLabels("restricted"), "istio-injection": "disabled" } } },
            child(c.ready),
        );
        const keycloak = args.identity.keycloak;
        const tokenClient = clientLabels("ingress-jwt");
        const policies: NetworkPolicy[] = [
            allowDnsEgress(verifyNamespace),
            allowEgressToPods({
                name: "allow-plaintext-client-egress",
                namespace: verifyNamespace,
                podLabels: clientLabels("plaintext-refused"),
                peerNamespace: sampleNamespace,
                peerPodLabels: { app: "helloworld" },
                ports: [samplePorts.helloworld],
            }),
            allowEgressToPods({
                name: "allow-ingress-client-egress",
                namespace: verifyNamespace,
                podLabels: tokenClient,
                peerNamespace: args.ingressNamespace,
                peerPodLabels: gatewayPodLabels.ingress,
                ports: [443],
            }),
            ...(args.skip["ingress-jwt"] !== undefined
                ? []
                : [
                      keycloak.kind === "host"
                          ? allowKeycloakEgress({ namespace: verifyNamespace, podLabels: tokenClient, keycloak })
                          : allowEgressToPods({
                                name: "allow-keycloak-egress",
                                namespace: verifyNamespace,
                                podLabels: tokenClient,
                                peerNamespace: keycloak.namespace,
                                peerPodLabels: keycloak.podLabels,
                                ports: [keycloak.port],
                            }),
                  ]),
        ];
        const networkPolicies = createNetworkPolicies(
            { resourceName: (p) => `${name}-${p.metadata.name}`, policies: [...policies, defaultDeny(verifyNamespace)], after: () => [ns] },
            child,
        );
        // The other side of the plaintext probe: helloworld takes its connection, so only the sidecar can refuse it.
        const probeAllow = new k8s.networking.v1.NetworkPolicy(
            `${name}-allow-plaintext-probe`,
            allowIngressFromPods({
                name: "allow-plaintext-probe",
                namespace: sampleNamespace,
                podLabels: { app: "helloworld" },
                peerNamespace: verifyNamespace,
                peerPodLabels: clientLabels("plaintext-refused"),
                ports: [samplePorts.helloworld],
            }),
            child([...args.after]),
        );
        const verifySa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            { metadata: { name: "verify-client", namespace: verifyNamespace }, automountServiceAccountToken: false },
            child([ns]),
        );
        const intruderSa = new k8s.core.v1.ServiceAccount(
            `${name}-intruder-sa`,
            { metadata: { name: intruderServiceAccount, namespace: sampleNamespace }, automountServiceAccountToken: false },
            child([...args.after]),
        );
        const pull = createPullSecret(`${name}-pull-secret`, c, verifyNamespace, { parent: this, dependsOn: [ns] });
        const hash = args.inputs.apply((v) => createHash("sha256").update(JSON.stringify(v)).digest("hex"));
        const base = [...args.after, ...networkPolicies, ...(pull ? [pull] : [])];
        const timeout = args.timeoutSeconds;

        const jobs: Partial<Record<CheckName, k8s.batch.v1.Job>> = {};
        const job = (
            check: CheckName,
            namespace: string,
            sa: string,
            meshed: boolean,
            script: string,
            deps: pulumi.Resource[],
            secret?: string,
        ) => {
            jobs[check] = new k8s.batch.v1.Job(
                `${name}-${check}`,
                checkJob({
                    check,
                    namespace,
                    serviceAccount: sa,
                    image,
                    meshed,
                    script,
                    timeoutSeconds: timeout,
                    inputsHash: hash,
                    pullSecret,
                    secretName: secret,
                }),
                {
                    ...child([...base, ...deps]),
                    // Fixed names: a changed template (new inputs) deletes the old Job before the new one runs.
                    deleteBeforeReplace: true,
                    customTimeouts: { create: `${timeout + 180}s`, update: `${timeout + 180}s` },
                },
            );
        };
        job("cross-network", sampleNamespace, "curl", true, crossNetworkScript(timeout), []);
        job("plaintext-refused", verifyNamespace, "verify-client", false, plaintextScript(timeout), [verifySa, probeAllow]);
        job("unauthorized-identity", sampleNamespace, intruderServiceAccount, true, unauthorizedScript(timeout), [intruderSa]);
        if (args.skip["ingress-jwt"] === undefined) {
            const id = args.identity;
            const secret = new k8s.core.v1.Secret(
                `${name}-ingress-check`,
                {
                    metadata: { name: "verify-ingress-jwt", namespace: verifyNamespace },
                    type: "Opaque",
                    stringData: pulumi.secret(
                        pulumi.all([id.caCertPem, id.clientSecret, id.badTokens]).apply(([ca, clientSecret, bad]) => ({
                            [ingressSecretKeys.ca]: ca,
                            [ingressSecretKeys.tokenRequest]: tokenRequestConfig(id.clientId, clientSecret),
                            [ingressSecretKeys.expired]: `Authorization: Bearer ${bad.expired}\n`,
                            [ingressSecretKeys.forged]: `Authorization: Bearer ${bad.forged}\n`,
                            [ingressSecretKeys.wrongAudience]: `Authorization: Bearer ${bad.wrongAudience}\n`,
                        })),
                    ),
                },
                child([ns]),
            );
            job(
                "ingress-jwt",
                verifyNamespace,
                "verify-client",
                false,
                ingressScript({
                    ingressHost: id.ingressHost,
                    ingressNamespace: args.ingressNamespace,
                    tokenUrl: id.tokenUrl,
                    timeoutSeconds: timeout,
                }),
                [verifySa, secret],
                "verify-ingress-jwt",
            );
        }

        const entries = Object.entries(jobs) as [CheckName, k8s.batch.v1.Job][];
        this.results = pulumi.all(entries.map(([, j]) => j.status)).apply((statuses) => {
            const results: Record<string, CheckResult> = {};
            entries.forEach(([check], i) => {
                const done = (statuses[i]?.succeeded ?? 0) >= 1;
                results[check] = !done
                    ? "not complete"
                    : args.simulated
                      ? "simulated: Job completed without running (kwok pods run no containers); wiring and ordering only"
                      : "passed";
            });
            for (const [check, reason] of Object.entries(args.skip)) {
                results[check] = `not run: ${reason}`;
            }
            return results;
        });
        this.registerOutputs({ results: this.results });
    }
}
