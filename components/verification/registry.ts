/**
 * The registry of verification checks: one entry per zero-trust claim, and everything about the check in that entry —
 * the claim, the client that makes the calls (meshed under an identity, or outside the mesh), the NetworkPolicies
 * that client needs, the script (checks.ts renders it), where it is skipped, and stub-curl scenarios in which it
 * passes and fails. verification.ts wires every entry the same way; tests/verification/registry.test.ts runs every
 * entry's scenarios. Adding a check = one entry here (+ its script in checks.ts), nothing else.
 * The order is the order of the Jobs' creation and of the `verification` stack output.
 */
import * as pulumi from "@pulumi/pulumi";
import type { BadTokens } from "../identity/jwt";
import type { KeycloakEndpoint } from "../identity/identity";
import { allowEgressToPods, allowIngressFromPods, allowKeycloakEgress, NetworkPolicy } from "../core/networkPolicy";
import { gatewayPodLabels } from "../core/istio";
import type { ControlPlaneCheckId } from "./live/controlPlane";
import { sampleNamespace, samplePorts } from "../workloads/samples";
import {
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

/** What the checks know of the identity provider and the ingress (from the identity layer). */
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

/** What a script is rendered from (plain values: the meta-test renders every script with its own). */
export interface ScriptInputs {
    readonly timeoutSeconds: number;
    readonly ingressNamespace: string;
    readonly ingressHost: string;
    readonly tokenUrl: string;
}

/** One cluster's view of the inputs, for an entry's skip rule and NetworkPolicies. */
export interface CheckContext {
    /** The cluster the check would run in. */
    readonly cluster: string;
    readonly ingressNamespace: string;
    readonly identity: VerificationIdentity;
}

/** Who makes the check's calls. */
export type CheckClient =
    /**
     * In the samples' namespace with a (native) sidecar, under `serviceAccount`'s SPIFFE identity. `createAs`: the
     * account is the check's own, created under this Pulumi name suffix; without it, the samples' account.
     */
    | { readonly kind: "meshed"; readonly serviceAccount: string; readonly createAs?: string }
    /** In `zta-verify` without a sidecar, as `verify-client`: default deny plus the check's own allows. */
    | { readonly kind: "outside" };

export const outsideServiceAccount = "verify-client";

/** NetworkPolicies a check needs (its client pods carry `zta.verify/check: <name>`, see `clientLabels`). */
export interface CheckPolicies {
    /** Allows in `zta-verify`, created before its default deny. */
    readonly client?: readonly NetworkPolicy[];
    /** Allows on the server's side, created after everything under test; the check's Job waits for them. */
    readonly server?: readonly NetworkPolicy[];
}

/** One behaviour of the mesh, as a stub `curl` answers it, and what the check's verdict says about it. */
export interface StubScenario {
    readonly name: string;
    /** Body of the stub `curl` (sh; "$@" are curl's arguments). */
    readonly curl: string;
    /** A substring of the verdict's reason (after `PASS <check>: ` / `FAIL <check>: `). */
    readonly reason: string;
}

export interface VerificationCheck {
    /** Job `verify-<name>`, label `zta.verify/check: <name>`, key in the `verification` output. */
    readonly name: string;
    /** The zero-trust claim it proves. */
    readonly claim: string;
    readonly client: CheckClient;
    /**
     * The control-plane checks (live/controlPlane.ts) that prove the configuration behind this claim — what istiod
     * sends the proxies — without a data plane: where the Job cannot run for real (the sim), their verdict is reported.
     */
    readonly controlPlane: readonly ControlPlaneCheckId[];
    /** `runs`: false in a cluster where the check is skipped. */
    readonly networkPolicies?: (ctx: CheckContext, runs: boolean) => CheckPolicies;
    readonly script: (inputs: ScriptInputs) => string;
    /** Why the check does not run in this cluster; undefined where it runs. */
    readonly skip?: (ctx: CheckContext) => string | undefined;
    /** A Secret `verify-<name>` in the client's namespace, mounted at `ingressSecretMount`. */
    readonly secret?: {
        /** Pulumi name suffix of the Secret resource. */
        readonly resourceName: string;
        readonly data: (identity: VerificationIdentity) => pulumi.Output<Record<string, string>>;
    };
    /** For the meta-test: the script (deadline 0: one round) must pass in `pass` and fail, with the reason, in each `fail`. */
    readonly scenarios: {
        /** Files of the mounted Secret. */
        readonly files?: Readonly<Record<string, string>>;
        readonly pass: StubScenario;
        readonly fail: readonly [StubScenario, ...StubScenario[]];
    };
}

/** Labels of a check's client pods, for the NetworkPolicies of both sides. */
export const clientLabels = (check: string): Record<string, string> => ({ [checkLabel]: check });

/** A stub ingress: the token endpoint (requested with --config) hands out VALID; the gateway answers per header file. */
export const stubIngress = (codes: { valid: number; none: number; bad: number }) => `
case "$*" in
    *--config*) echo '{"access_token":"VALID","expires_in":300,"token_type":"Bearer"}'; exit 0 ;;
esac
header=""
prev=""
for a in "$@"; do [ "$prev" = "--header" ] && header="$a"; prev="$a"; done
if [ -z "$header" ]; then printf '${codes.none}'; exit 0; fi
case "$(cat "\${header#@}")" in
    *VALID*) printf '${codes.valid}' ;;
    *) printf '${codes.bad}' ;;
esac`;

export const verificationChecks: readonly VerificationCheck[] = [
    {
        name: "cross-network",
        claim: "cross-network load balancing: one client gets answers from helloworld v1 and v2, each running in one network only",
        client: { kind: "meshed", serviceAccount: "curl" },
        controlPlane: ["remote-clusters-synced", "xds-cross-network-endpoints"],
        script: (i) => crossNetworkScript(i.timeoutSeconds),
        scenarios: {
            pass: {
                name: "v1 and v2 alternate",
                curl: `n=$(wc -l <"$(dirname "$0")/argv.log"); [ $((n % 2)) = 0 ] && v=v1 || v=v2; echo "Hello version: $v, instance: x"`,
                reason: "v1 answered 10 and v2 10 of 20 requests (round 1)",
            },
            fail: [
                {
                    name: "only the local version answers",
                    curl: `echo "Hello version: v1, instance: x"`,
                    reason: "v1 20, v2 0, other 0 of 20",
                },
                {
                    name: "every call denied",
                    curl: `echo "RBAC: access denied"`,
                    reason: "other 20 of 20 (last other answer: RBAC: access denied)",
                },
            ],
        },
    },
    {
        name: "plaintext-refused",
        claim: "STRICT mTLS: a plaintext connection from outside the mesh is closed by the server's sidecar",
        client: { kind: "outside" },
        controlPlane: ["xds-inbound-mtls-rbac"],
        networkPolicies: () => {
            const peer = { podLabels: { app: "helloworld" }, ports: [samplePorts.helloworld] };
            return {
                client: [
                    allowEgressToPods({
                        name: "allow-plaintext-client-egress",
                        namespace: verifyNamespace,
                        podLabels: clientLabels("plaintext-refused"),
                        peerNamespace: sampleNamespace,
                        peerPodLabels: peer.podLabels,
                        ports: peer.ports,
                    }),
                ],
                // helloworld takes the connection, so only the sidecar can refuse it.
                server: [
                    allowIngressFromPods({
                        name: "allow-plaintext-probe",
                        namespace: sampleNamespace,
                        podLabels: peer.podLabels,
                        peerNamespace: verifyNamespace,
                        peerPodLabels: clientLabels("plaintext-refused"),
                        ports: peer.ports,
                    }),
                ],
            };
        },
        script: (i) => plaintextScript(i.timeoutSeconds),
        scenarios: {
            pass: { name: "connection reset (curl 56)", curl: "exit 56", reason: "closed by the server's sidecar (curl exit 56)" },
            fail: [
                { name: "HTTP answer", curl: "printf 200", reason: "answered with HTTP 200: STRICT mTLS is not enforced" },
                { name: "timeout", curl: "exit 28", reason: "no connection to helloworld at all (curl exit 28): inconclusive" },
            ],
        },
    },
    {
        name: "unauthorized-identity",
        claim: "authorization: a meshed identity no ALLOW policy names gets 403 RBAC: access denied",
        client: { kind: "meshed", serviceAccount: intruderServiceAccount, createAs: "intruder-sa" },
        controlPlane: ["xds-inbound-mtls-rbac", "xds-deny-by-default"],
        script: (i) => unauthorizedScript(i.timeoutSeconds),
        scenarios: {
            pass: {
                name: "Envoy's RBAC denial",
                curl: String.raw`printf 'RBAC: access denied\n403'`,
                reason: "refused with 403 RBAC: access denied",
            },
            fail: [
                {
                    name: "answered",
                    curl: String.raw`printf 'Hello version: v1\n200'`,
                    reason: "was answered 200: the authorization policy lets it in",
                },
                {
                    name: "the app's own 403",
                    curl: String.raw`printf 'forbidden\n403'`,
                    reason: "expected 403 RBAC: access denied, last got HTTP 403",
                },
            ],
        },
    },
    {
        name: "ingress-jwt",
        claim: "JWT at the ingress: a Keycloak token 200, none 403, expired / forged / wrong-audience 401, in one round",
        client: { kind: "outside" },
        controlPlane: ["xds-ingress-jwt"],
        // The issuer is Keycloak's Service name where it runs in a cluster: reachable from that cluster only.
        skip: ({ cluster, identity: { keycloak } }) =>
            keycloak.kind === "cluster" && keycloak.cluster !== cluster
                ? `Keycloak is cluster-local to ${keycloak.cluster} (its Service name is the issuer)`
                : undefined,
        networkPolicies: (ctx, runs) => {
            const podLabels = clientLabels("ingress-jwt");
            const keycloak = ctx.identity.keycloak;
            return {
                client: [
                    allowEgressToPods({
                        name: "allow-ingress-client-egress",
                        namespace: verifyNamespace,
                        podLabels,
                        peerNamespace: ctx.ingressNamespace,
                        peerPodLabels: gatewayPodLabels.ingress,
                        ports: [443],
                    }),
                    ...(!runs
                        ? []
                        : [
                              keycloak.kind === "host"
                                  ? allowKeycloakEgress({ namespace: verifyNamespace, podLabels, keycloak })
                                  : allowEgressToPods({
                                        name: "allow-keycloak-egress",
                                        namespace: verifyNamespace,
                                        podLabels,
                                        peerNamespace: keycloak.namespace,
                                        peerPodLabels: keycloak.podLabels,
                                        ports: [keycloak.port],
                                    }),
                          ]),
                ],
            };
        },
        script: (i) =>
            ingressScript({
                ingressHost: i.ingressHost,
                ingressNamespace: i.ingressNamespace,
                tokenUrl: i.tokenUrl,
                timeoutSeconds: i.timeoutSeconds,
            }),
        secret: {
            resourceName: "ingress-check",
            data: (id) =>
                pulumi.all([id.caCertPem, id.clientSecret, id.badTokens]).apply(([ca, clientSecret, bad]): Record<string, string> => ({
                    [ingressSecretKeys.ca]: ca,
                    [ingressSecretKeys.tokenRequest]: tokenRequestConfig(id.clientId, clientSecret),
                    [ingressSecretKeys.expired]: `Authorization: Bearer ${bad.expired}\n`,
                    [ingressSecretKeys.forged]: `Authorization: Bearer ${bad.forged}\n`,
                    [ingressSecretKeys.wrongAudience]: `Authorization: Bearer ${bad.wrongAudience}\n`,
                })),
        },
        scenarios: {
            files: {
                [ingressSecretKeys.ca]: "CA",
                [ingressSecretKeys.tokenRequest]: tokenRequestConfig("zta-client", "S3cretS3cretS3cretS3cretS3cret00"),
                [ingressSecretKeys.expired]: "Authorization: Bearer EXPIRED\n",
                [ingressSecretKeys.forged]: "Authorization: Bearer FORGED\n",
                [ingressSecretKeys.wrongAudience]: "Authorization: Bearer AUDIENCE\n",
            },
            pass: {
                name: "all five expectations",
                curl: stubIngress({ valid: 200, none: 403, bad: 401 }),
                reason: "valid 200, none 403, expired 401, forged 401, wrong audience 401",
            },
            fail: [
                {
                    name: "no token let through",
                    curl: stubIngress({ valid: 200, none: 200, bad: 401 }),
                    reason: "got: valid 200, none 200",
                },
                { name: "every token refused", curl: stubIngress({ valid: 401, none: 403, bad: 401 }), reason: "got: valid 401, none 403" },
                {
                    name: "Keycloak gives no token",
                    curl: `case "$*" in *--config*) echo '{"error":"unauthorized_client"}' ;; *) printf 200 ;; esac`,
                    reason: 'no token from Keycloak: {"error":"unauthorized_client"}',
                },
            ],
        },
    },
];
