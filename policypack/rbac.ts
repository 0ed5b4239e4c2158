/**
 * Kubernetes RBAC of the roles the program makes: no way into a pod through the API server. `pods/portforward` opens
 * the pod's localhost (Envoy's admin API, istiod's plaintext xDS), `pods/exec` and `pods/attach` a shell or the
 * process's stdio — all past NetworkPolicy and mesh authorization. RBAC cannot narrow them to a port or a label.
 */
import { arr, at, describeObject, isKind, json, ResourceRule, str, strings } from "./model";

// Subresources that reach into a pod, and the resource names that match them: "*", "pods/<sub>", "*/<sub>" (rbac ResourceMatches).
export const POD_ACCESS_SUBRESOURCES = ["exec", "attach", "portforward"] as const;
const podAccessResources = new Set(["*", ...POD_ACCESS_SUBRESOURCES.flatMap((s) => [`pods/${s}`, `*/${s}`])]);

/** Kubernetes' built-in ClusterRoles that grant exec, attach and port-forward (the user-facing roles; kubectl's). */
export const POD_ACCESS_BUILTIN_ROLES = ["cluster-admin", "admin", "edit"] as const;

export const rbacNoPodAccess: ResourceRule = {
    scope: "resource",
    name: "rbac-no-pod-exec-attach-portforward",
    description:
        'No Role or ClusterRole grants pods/portforward, pods/exec or pods/attach in the core group, directly or through "*" or "*/<subresource>" (any verb: exec over WebSockets is a GET on older API servers); no binding hands out a built-in role that does (cluster-admin, admin, edit); no ClusterRole takes its rules by aggregation (they would be whatever other roles carry).',
    reference: 'Default deny: an empty-spec ("allow-nothing") AuthorizationPolicy, then per-namespace ALLOW policies naming identities',
    enforcementLevel: "mandatory",
    check: (r) => {
        if (isKind(r, "rbac.authorization.k8s.io", "RoleBinding", "ClusterRoleBinding")) {
            const ref = at(r.props, "roleRef");
            const name = str(at(ref, "name")) ?? "";
            return at(ref, "kind") === "ClusterRole" && (POD_ACCESS_BUILTIN_ROLES as readonly string[]).includes(name)
                ? [
                      `${describeObject(r)}: roleRef is the built-in ClusterRole ${json(name)}, which reaches into pods (exec, attach, port-forward); bind a role of our own`,
                  ]
                : [];
        }
        if (!isKind(r, "rbac.authorization.k8s.io", "Role", "ClusterRole")) {
            return [];
        }
        const out: string[] = [];
        if (arr(at(r.props, "aggregationRule", "clusterRoleSelectors")).length > 0) {
            out.push(`${describeObject(r)}: aggregationRule takes its rules from other ClusterRoles' labels; list the rules instead`);
        }
        arr(at(r.props, "rules")).forEach((rule, i) => {
            const groups = strings(at(rule, "apiGroups"));
            if (!groups.includes("") && !groups.includes("*")) {
                return;
            }
            const hits = strings(at(rule, "resources")).filter((x) => podAccessResources.has(x));
            if (hits.length > 0 && strings(at(rule, "verbs")).length > 0) {
                out.push(
                    `${describeObject(r)}: rules[${i}].resources has ${json(hits)} (apiGroups ${json(groups)}); a role must not reach into pods (port-forward, exec, attach bypass NetworkPolicy and mesh authorization)`,
                );
            }
        });
        return out;
    },
};
