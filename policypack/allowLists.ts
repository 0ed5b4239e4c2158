/**
 * Allow-lists and constants of the pack. Each entry says why it is there; keep them short.
 */

/** Istio's root namespace (istiod's default `meshConfig.rootNamespace`; rule mesh-root-namespace keeps it so). */
export const MESH_ROOT_NAMESPACE = "istio-system";

/**
 * The only namespaces whose Pod Security Admission `enforce` level may be `privileged` (zero-trust.md: "only a short,
 * commented allow-list is `privileged` (Cilium, MetalLB speaker, istio-cni, SPIRE agent, node-exporter)"): exactly the
 * namespaces the program makes privileged (components/core/podSecurity.ts privilegedNamespaces; the pack imports nothing
 * of the program, so tests/policypack/rules.test.ts keeps the two equal). The istio-cni node agent runs in kube-system
 * (components/core/istio.ts cniNamespace); the program runs no SPIRE agent or node-exporter, so their namespaces are
 * not listed.
 */
export const PRIVILEGED_NAMESPACES: Readonly<Record<string, string>> = {
    "kube-system":
        "Cilium agent (host network, BPF and cgroup hostPath mounts, NET_ADMIN/SYS_ADMIN) and the istio-cni node agent (writes the node's CNI config through hostPath, so injected pods need no NET_ADMIN)",
    "metallb-system": "MetalLB speaker: host network and NET_RAW to answer ARP for LoadBalancer addresses",
};

/**
 * Service accounts (`<namespace>/<name>`) whose pods may mount an API token (zero-trust.md: "`automountServiceAccountToken:
 * false` unless needed"). Only the observability layer's Prometheus and Kiali call it. Add an entry with the reason.
 */
export const TOKEN_MOUNT_SERVICE_ACCOUNTS: Readonly<Record<string, string>> = {
    "observability/prometheus": "Kubernetes service discovery of its scrape targets (read-only ClusterRole: pods, endpoints, services)",
    "observability/prometheus-federator": "the mesh cluster's Prometheus: the same discovery",
    "observability/kiali": "reads the mesh through the API server (read-only kiali-viewer ClusterRole, view_only_mode)",
};

/** Host names and services of the observability UIs (Istio's samples/addons) that must stay off the public gateway. */
export const OBSERVABILITY_UIS = ["grafana", "kiali", "prometheus", "tracing", "jaeger", "zipkin", "alertmanager"] as const;

/** Istio's sample JWT issuer and JWKS: their private key is published with Istio (istio-multicluster.md). */
export const ISTIO_SAMPLE_ISSUER = "testing@secure.istio.io";
export const sampleJwksUri = /^https?:\/\/raw\.githubusercontent\.com\/istio\/istio\/.*\/jwks\.json$/;
/** `kid` of the key in Istio's security/tools/jwt/samples/jwks.json: an inline copy of the sample is just as bad. */
export const sampleJwksKid = "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ";
/** A Keycloak realm URL (`…/realms/<realm>`, or `…/auth/realms/<realm>` before Keycloak 17): the issuer the reference asks for. */
export const KEYCLOAK_ISSUER = /^https?:\/\/[^/\s]+(\/auth)?\/realms\/[^/\s]+$/;

/** `<trust-domain>/ns/<ns>/sa/<sa>`; Istio's prefix/suffix `*` is tolerated in the namespace and account parts. */
export const principalForm = /^[^/*\s]+\/ns\/[^/\s]+\/sa\/[^/\s]+$/;

/** Workload cert TTL ceiling (zero-trust.md: "Workload cert TTL ≤ 24 h"). */
export const MAX_WORKLOAD_CERT_TTL_SECONDS = 24 * 3600;

/**
 * NetworkPolicies (by name: the program's own, in whichever namespace) whose egress may name the whole address space
 * (0.0.0.0/0, ::/0, or no `to`), and only on these ports. Every other egress names its peers.
 */
export const WHOLE_SPACE_EGRESS: Readonly<Record<string, { readonly ports: readonly number[]; readonly why: string }>> = {
    "allow-apiserver-egress": {
        ports: [443, 6443],
        why: "istiod → another cluster's API server whose URL names a DNS name (it resolves in the pod), or other stacks' peers (their addresses are only in secret kubeconfigs); set clusters[i].apiServer to an address to narrow it",
    },
    "allow-kiali-egress": { ports: [443, 6443], why: "Kiali → another cluster's API server whose URL names a DNS name" },
    "allow-cross-network-egress": {
        ports: [15443],
        why: "sidecars → the other networks' east-west gateways while an address is unknown (not yet assigned, a DNS name, another stack's)",
    },
    "allow-ingress-gateway-egress": { ports: [15443], why: "the ingress gateway → other networks' east-west gateways, as above" },
    "allow-federation-egress": { ports: [15443], why: "the federator → the federated clusters' east-west gateways, as above" },
};
