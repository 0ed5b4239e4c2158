/**
 * The namespaces the program creates and owns, one place for every layer that places objects in them, and the ones
 * Kubernetes itself owns. The config layer refuses all of them for `ingressNamespace`: an ingress there would take
 * over or duplicate the program's (or the system's) objects.
 */
export const ownedNamespaces = {
    istio: "istio-system",
    samples: "sample",
    observability: "observability",
    identity: "keycloak",
    verification: "zta-verify",
    metallb: "metallb-system",
} as const;

/** Namespaces of Kubernetes itself (kube-system also holds the CNIs the program installs). */
export const systemNamespaces = ["kube-system", "kube-public", "kube-node-lease", "default"] as const;

/** Why `namespace` cannot be the ingress gateway's own namespace ("<ns>" is …), or undefined. */
export function reservedNamespaceProblem(namespace: string): string | undefined {
    if ((systemNamespaces as readonly string[]).includes(namespace)) {
        return `${JSON.stringify(namespace)} is a Kubernetes system namespace`;
    }
    const owner = Object.entries(ownedNamespaces).find(([, ns]) => ns === namespace)?.[0];
    return owner === undefined ? undefined : `${JSON.stringify(namespace)} is the program's ${owner} namespace`;
}
