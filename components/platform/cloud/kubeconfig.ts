/** Kubeconfigs of the clusters the program creates, from what the clouds return. Pure. */
import { stringify } from "yaml";

/** How the GKE kubeconfig's user authenticates (config `kubeconfigAuth`). */
export type GkeAuth = { readonly kind: "gke-gcloud-auth-plugin" } | { readonly kind: "access-token"; readonly token: string };

/** The exec plugin every `gcloud container clusters get-credentials` kubeconfig names since GKE 1.26. */
export const gkeAuthPlugin = "gke-gcloud-auth-plugin";
export const gkeAuthPluginInstallHint =
    "gke-gcloud-auth-plugin is needed to reach the GKE cluster: `gcloud components install gke-gcloud-auth-plugin` " +
    "(or the google-cloud-cli-gke-gcloud-auth-plugin package); or set the cluster's provision.kubeconfigAuth to access-token";

/**
 * The admin kubeconfig from `listManagedClusterAdminCredentials` (base64 in `value`). Its user is a client certificate
 * of the cluster's own CA (local accounts): static, so a second `pulumi up` sees the same provider input.
 */
export function aksKubeconfig(
    cluster: string,
    kubeconfigs: readonly { readonly name?: string; readonly value?: string }[] | undefined,
): string {
    const value = kubeconfigs?.find((k) => k.value)?.value;
    if (!value) {
        throw new Error(`cluster ${cluster}: AKS returned no admin kubeconfig (are local accounts disabled on the cluster?)`);
    }
    return Buffer.from(value, "base64").toString("utf8");
}

/**
 * A kubeconfig for a GKE cluster from its endpoint and CA (what `gcloud container clusters get-credentials` writes).
 * `gke-gcloud-auth-plugin` keeps the kubeconfig the same from run to run (the plugin fetches a token when used);
 * `access-token` embeds the provider's OAuth token, valid for about an hour and different at every run.
 */
export function gkeKubeconfig(context: string, endpoint: string, caCertificateBase64: string, auth: GkeAuth): string {
    const user =
        auth.kind === "access-token"
            ? { token: auth.token }
            : {
                  exec: {
                      apiVersion: "client.authentication.k8s.io/v1beta1",
                      command: gkeAuthPlugin,
                      // The credentials the gcp provider uses (ADC: `gcloud auth application-default login` or the
                      // key file GOOGLE_APPLICATION_CREDENTIALS names), not gcloud's own login.
                      args: ["--use_application_default_credentials"],
                      installHint: gkeAuthPluginInstallHint,
                      provideClusterInfo: true,
                      interactiveMode: "Never",
                  },
              };
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: context, cluster: { server: `https://${endpoint}`, "certificate-authority-data": caCertificateBase64 } }],
        contexts: [{ name: context, context: { cluster: context, user: context } }],
        "current-context": context,
        users: [{ name: context, user }],
    });
}
