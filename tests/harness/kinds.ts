/** Resource type tokens the tests look up in recordings. */
export const RELEASE = "kubernetes:helm.sh/v3:Release";
export const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
