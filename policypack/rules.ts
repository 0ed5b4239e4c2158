/**
 * The zero-trust reference (/work/shared/reference/zero-trust.md) as pure rules over the objects the program hands
 * the engine. A resource rule sees one resource, a stack rule the whole stack; both return violation messages that
 * name the object (Kubernetes kind, namespace/name, [Pulumi name @ provider]) and the offending field and value.
 * index.ts adapts them to @pulumi/policy; tests/policy*.test.ts run them on fixtures and on every committed stack.
 *
 * The rules live with the reference section they encode: meshAuthz.ts (mTLS, authorization), meshIngress.ts (JWT,
 * gateways, observability UIs), meshConfig.ts (istiod values: egress, root namespace, cert TTL), network.ts
 * (default-deny NetworkPolicy, bounded egress, namespace Pod Security labels), pods.ts (pods we deploy), registry.ts
 * (pull secrets), pki.ts (CA certificates' key usage), rbac.ts (no role reaches into pods), cloud.ts (managed AKS/GKE
 * clusters: a NetworkPolicy engine, istio-cni-capable nodes, a destroy that removes them and their load balancers);
 * model.ts is what a rule sees and how it reads props, allowLists.ts the documented exceptions. This file is the list.
 *
 * Values unknown during a preview: the policy SDK hands rules a proxy that throws when such a value is read, and
 * reports "can't run during preview" (advisory) for that rule; it runs with known values at `pulumi up`. Rules
 * therefore read only the fields they judge (kind and type first), so one unknown field silences as little as possible.
 */
import { PolicyObject, Rule } from "./model";
import {
    authorizationAllowPositive,
    authorizationDenyNegative,
    authorizationPrincipals,
    meshWideStrict,
    peerAuthenticationModes,
    rootAllowNothing,
} from "./meshAuthz";
import {
    authorizationRequestPrincipalsOperation,
    gatewayServers,
    observabilityNotPublic,
    requestAuthenticationHeaderOnly,
    requestAuthenticationJwt,
    requestAuthenticationPaired,
} from "./meshIngress";
import { meshRootNamespace, outboundRegistryOnly, workloadCertTtl } from "./meshConfig";
import { namespaceDefaultDeny, namespacePodSecurity, networkPolicyEgressBounded, networkPolicyEgressWholeSpace } from "./network";
import { podHardening, podImagesPinned, podNoSecretEnvLiterals, podSecurityRestricted, podServiceAccount } from "./pods";
import { imagePullSecretsResolve, pullSecretsUsed, secretDockerConfigType } from "./registry";
import { rbacNoPodAccess } from "./rbac";
import { caCertificateUses } from "./pki";
import {
    aksNetworkPolicyEngine,
    cloudClusterDestroyable,
    gkeDataplaneV2,
    gkeStandardNotAutopilot,
    loadBalancerReleaseAwaitsUninstall,
} from "./cloud";

export type { K8sKind, PolicyObject, ResourceRule, Rule, StackRule } from "./model";
export { describeObject, k8sKind } from "./model";
export {
    ISTIO_SAMPLE_ISSUER,
    KEYCLOAK_ISSUER,
    MAX_WORKLOAD_CERT_TTL_SECONDS,
    MESH_ROOT_NAMESPACE,
    OBSERVABILITY_UIS,
    PRIVILEGED_NAMESPACES,
    TOKEN_MOUNT_SERVICE_ACCOUNTS,
    WHOLE_SPACE_EGRESS,
} from "./allowLists";
export { goDurationSeconds } from "./meshConfig";
export { imagePinned, podTemplate } from "./pods";

/** Every rule of the pack, in the order of zero-trust.md. index.ts registers exactly these. */
export const rules: readonly Rule[] = [
    peerAuthenticationModes,
    meshWideStrict,
    meshRootNamespace,
    rootAllowNothing,
    authorizationPrincipals,
    authorizationAllowPositive,
    authorizationDenyNegative,
    requestAuthenticationJwt,
    requestAuthenticationHeaderOnly,
    requestAuthenticationPaired,
    authorizationRequestPrincipalsOperation,
    gatewayServers,
    observabilityNotPublic,
    outboundRegistryOnly,
    workloadCertTtl,
    caCertificateUses,
    namespaceDefaultDeny,
    networkPolicyEgressBounded,
    networkPolicyEgressWholeSpace,
    aksNetworkPolicyEngine,
    gkeDataplaneV2,
    podSecurityRestricted,
    podHardening,
    podImagesPinned,
    podNoSecretEnvLiterals,
    podServiceAccount,
    namespacePodSecurity,
    gkeStandardNotAutopilot,
    secretDockerConfigType,
    imagePullSecretsResolve,
    pullSecretsUsed,
    rbacNoPodAccess,
    cloudClusterDestroyable,
    loadBalancerReleaseAwaitsUninstall,
];

/** All violations of a stack: every resource rule on every resource, then every stack rule. */
export function evaluate(resources: readonly PolicyObject[]): { rule: string; message: string }[] {
    return rules.flatMap((rule) =>
        rule.scope === "resource"
            ? resources.flatMap((r) => rule.check(r).map((message) => ({ rule: rule.name, message })))
            : rule.check(resources).map((message) => ({ rule: rule.name, message })),
    );
}
