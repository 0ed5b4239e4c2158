/**
 * The zero-trust claims as executable checks: one Kubernetes Job per claim and cluster, each a POSIX sh script run
 * by the sample curl image, awaited by the engine (a failed Job fails `pulumi up` under the Job's name, and the
 * script's verdict is the container's termination message). Pure: renders scripts and manifests only; which check
 * uses which script, client, policies and skip rule is registry.ts.
 *
 * - cross-network: a meshed client with the `curl` identity calls helloworld until it has seen BOTH versions
 *   (v1 runs in one network, v2 in the other: only cross-network load balancing through the east-west gateways
 *   can answer with both).
 * - plaintext-refused: a client outside the mesh (no sidecar, network policy open to it) gets its plaintext
 *   connection reset by the sidecar (STRICT mTLS), not an HTTP answer and not a timeout.
 * - unauthorized-identity: a meshed client with an identity no ALLOW policy names gets 403 "RBAC: access denied".
 * - ingress-jwt: at the HTTPS ingress, a Keycloak-issued token → 200, no token → 403, expired, forged and
 *   wrong-audience tokens → 401 (istio-multicluster.md: RequestAuthentication + ALLOW on requestPrincipals).
 * Each script retries the WHOLE round until every expectation holds at once or its deadline passes: configuration
 * reaches proxies eventually, so a single early failure proves nothing, but a round that passes does.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

import { ingressGatewayName } from "../core/istio";
import { clusterDomain, sampleNamespace, samplePorts } from "../workloads/samples";
import { hardenedContainer, restrictedPod } from "../core/securityContext";
import { rolloutKey } from "../core/rollout";
import { ingressCheckPath, ingressExpectations } from "../workloads/ingress";
import { ownedNamespaces } from "../core/namespaces";

/** Namespace of the non-meshed verification clients (token client, plaintext client). */
export const verifyNamespace = ownedNamespaces.verification;
/** Label carrying the check's name on the Job's pods (NetworkPolicies select by it). */
export const checkLabel = "zta.verify/check";
/** Service account of the meshed client that no ALLOW policy names. */
export const intruderServiceAccount = "verify-intruder";
/** Where the ingress check's Secret (CA, token request, bad tokens) is mounted. */
export const ingressSecretMount = "/run/zta";

/** Keys of the ingress check's Secret. */
export const ingressSecretKeys = {
    ca: "ca.crt",
    tokenRequest: "token-request.curlrc",
    expired: "expired.header",
    forged: "forged.header",
    wrongAudience: "wrong-audience.header",
} as const;

const helloworldUrl = `http://helloworld.${sampleNamespace}.svc.${clusterDomain}:${samplePorts.helloworld}/hello`;

/** Shared prelude: the verdict goes to stdout and to the termination message (it shows in the Job's failure). */
const prelude = (check: string, timeoutSeconds: number) => `set -u
check=${check}
deadline=$(( $(date +%s) + ${timeoutSeconds} ))
verdict() {
    printf '%s %s: %s\\n' "$1" "$check" "$2" | tee "\${TERMINATION_LOG:-/dev/termination-log}"
    [ "$1" = PASS ]
    exit $?
}
expired() { [ "$(date +%s)" -ge "$deadline" ]; }
`;

/** cross-network: both helloworld versions answer one client within one round of requests. */
export function crossNetworkScript(timeoutSeconds: number, requestsPerRound = 20): string {
    return `${prelude("cross-network", timeoutSeconds)}round=0
while :; do
    round=$((round + 1)); v1=0; v2=0; other=0; i=0; last=""
    while [ "$i" -lt ${requestsPerRound} ]; do
        body="$(curl --silent --show-error --max-time 5 ${helloworldUrl} 2>&1)" || body="curl failed: $body"
        case "$body" in
            *"version: v1"*) v1=$((v1 + 1)) ;;
            *"version: v2"*) v2=$((v2 + 1)) ;;
            *) other=$((other + 1)); last="$body" ;;
        esac
        i=$((i + 1))
    done
    if [ "$v1" -gt 0 ] && [ "$v2" -gt 0 ]; then
        verdict PASS "v1 answered $v1 and v2 $v2 of ${requestsPerRound} requests (round $round)"
    fi
    if expired; then
        verdict FAIL "after $round rounds: v1 $v1, v2 $v2, other $other of ${requestsPerRound} (last other answer: $last)"
    fi
    sleep 5
done
`;
}

/**
 * plaintext-refused: curl exit 52 (empty reply) or 56 (connection reset) is the sidecar refusing a non-mTLS
 * connection; an HTTP status means plaintext got through; 7/28 (refused, timeout) prove nothing about mTLS.
 */
export function plaintextScript(timeoutSeconds: number): string {
    return `${prelude("plaintext-refused", timeoutSeconds)}while :; do
    code="$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 5 ${helloworldUrl})"
    status=$?
    case "$status" in
        52 | 56) verdict PASS "plaintext connection closed by the server's sidecar (curl exit $status)" ;;
        0) verdict FAIL "plaintext request answered with HTTP $code: STRICT mTLS is not enforced" ;;
    esac
    if expired; then
        verdict FAIL "no connection to helloworld at all (curl exit $status): inconclusive, check network policies and endpoints"
    fi
    sleep 5
done
`;
}

/** unauthorized-identity: 403 with Envoy's RBAC body for an identity no ALLOW policy names. */
export function unauthorizedScript(timeoutSeconds: number): string {
    return `${prelude("unauthorized-identity", timeoutSeconds)}while :; do
    body="$(curl --silent --max-time 5 --write-out '\n%{http_code}' ${helloworldUrl})"
    code="$(printf '%s' "$body" | tail -n 1)"
    case "$code:$body" in
        403:*"RBAC: access denied"*) verdict PASS "identity ${intruderServiceAccount} refused with 403 RBAC: access denied" ;;
        200:*) verdict FAIL "identity ${intruderServiceAccount} was answered 200: the authorization policy lets it in" ;;
    esac
    if expired; then
        verdict FAIL "expected 403 RBAC: access denied, last got HTTP $code"
    fi
    sleep 5
done
`;
}

export interface IngressCheckInput {
    readonly ingressHost: string;
    readonly ingressNamespace: string;
    /** Keycloak's token endpoint (https, its host must resolve and route from the pod). */
    readonly tokenUrl: string;
    readonly timeoutSeconds: number;
}

/** ingress-jwt: the five expectations at the HTTPS ingress, all in one round. */
export function ingressScript(input: IngressCheckInput): string {
    const gateway = `${ingressGatewayName}.${input.ingressNamespace}.svc.${clusterDomain}`;
    const s = ingressSecretMount;
    const k = ingressSecretKeys;
    const e = ingressExpectations;
    return `${prelude("ingress-jwt", input.timeoutSeconds)}host=${input.ingressHost}
at() {
    curl --silent --output /dev/null --write-out '%{http_code}' --max-time 10 --cacert ${s}/${k.ca} \\
        --connect-to "$host:443:${gateway}:443" "$@" "https://$host${ingressCheckPath}"
}
while :; do
    # A fresh token each round (they live minutes); the client secret is read from the mounted file, never argv.
    response="$(curl --silent --show-error --max-time 10 --cacert ${s}/${k.ca} --config ${s}/${k.tokenRequest} ${input.tokenUrl} 2>&1)"
    token="$(printf '%s' "$response" | sed -n 's/.*"access_token":"\\([^"]*\\)".*/\\1/p')"
    if [ -n "$token" ]; then
        printf 'Authorization: Bearer %s\\n' "$token" >/tmp/valid.header
        valid="$(at --header @/tmp/valid.header)"
        none="$(at)"
        expired_token="$(at --header @${s}/${k.expired})"
        forged="$(at --header @${s}/${k.forged})"
        audience="$(at --header @${s}/${k.wrongAudience})"
        result="valid $valid, none $none, expired $expired_token, forged $forged, wrong audience $audience"
        if [ "$valid:$none:$expired_token:$forged:$audience" = "${e.validToken}:${e.missingToken}:${e.invalidToken}:${e.invalidToken}:${e.invalidToken}" ]; then
            verdict PASS "$result"
        fi
    else
        result="no token from Keycloak: $(printf '%s' "$response" | head -c 200)"
    fi
    if expired; then
        verdict FAIL "expected valid ${e.validToken}, none ${e.missingToken}, expired/forged/wrong audience ${e.invalidToken}; got: $result"
    fi
    sleep 5
done
`;
}

/** The curl config the ingress check requests its token with (secret: holds the client secret). */
export function tokenRequestConfig(clientId: string, clientSecret: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(clientSecret) || !/^[a-z0-9-]+$/.test(clientId)) {
        throw new Error("clientSecret: expected [A-Za-z0-9_-] only (it is quoted into a curl config)");
    }
    return `user = "${clientId}:${clientSecret}"\ndata = "grant_type=client_credentials"\n`;
}

export interface CheckJobInput {
    /** The check's name (registry.ts): Job `verify-<check>`, label `zta.verify/check: <check>`. */
    readonly check: string;
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly image: string;
    /** Meshed: a native sidecar (it stops when the check ends, so the Job completes). */
    readonly meshed: boolean;
    readonly script: string;
    readonly timeoutSeconds: number;
    /** Re-run trigger: a hash of what the check depends on (a change replaces the Job). */
    readonly inputsHash: pulumi.Input<string>;
    readonly pullSecret?: string;
    /** Secret mounted at `ingressSecretMount`. */
    readonly secretName?: string;
}

export type Job = k8s.types.input.batch.v1.Job & { metadata: { name: string; namespace: string } };

export function checkJob(input: CheckJobInput): Job {
    const labels = { app: `verify-${input.check}`, [checkLabel]: input.check };
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: `verify-${input.check}`, namespace: input.namespace, labels },
        spec: {
            // The script retries internally; a second pod would only repeat a verdict.
            backoffLimit: 0,
            activeDeadlineSeconds: input.timeoutSeconds + 120,
            template: {
                metadata: {
                    labels: { ...labels, "sidecar.istio.io/inject": input.meshed ? "true" : "false" },
                    annotations: {
                        [rolloutKey("inputs")]: input.inputsHash,
                        ...(input.meshed ? { "sidecar.istio.io/nativeSidecar": "true" } : {}),
                    },
                },
                spec: {
                    restartPolicy: "Never",
                    serviceAccountName: input.serviceAccount,
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    // fsGroup: the mounted Secret's files (0440) are readable by the check's group.
                    securityContext: restrictedPod({ fsGroup: 101 }),
                    ...(input.pullSecret ? { imagePullSecrets: [{ name: input.pullSecret }] } : {}),
                    containers: [
                        {
                            name: "check",
                            image: input.image,
                            imagePullPolicy: "IfNotPresent",
                            command: ["/bin/sh", "-c", input.script],
                            terminationMessagePolicy: "FallbackToLogsOnError",
                            resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
                            // The curl image's curl_user (uid 100, group 101).
                            securityContext: hardenedContainer(100, 101),
                            volumeMounts: [
                                { name: "tmp", mountPath: "/tmp" },
                                ...(input.secretName ? [{ name: "check", mountPath: ingressSecretMount, readOnly: true }] : []),
                            ],
                        },
                    ],
                    volumes: [
                        { name: "tmp", emptyDir: { sizeLimit: "8Mi" } },
                        ...(input.secretName ? [{ name: "check", secret: { secretName: input.secretName, defaultMode: 0o440 } }] : []),
                    ],
                },
            },
        },
    };
}
