import { describeMesh } from "./shared";
import { mockAksFqdn, mockGkeEndpoint } from "../harness/engine";
import { stackConfig } from "../harness/stacks";

describeMesh("cloud stack (Pulumi.cloud.yaml: AKS and GKE created by the program)", () => ({
    stack: "cloud",
    config: stackConfig("cloud"),
    profile: "default",
    clusters: [
        // The created clusters' endpoints, as the clouds return them (mocked).
        { name: "aks", network: "network-aks", apiServer: `https://${mockAksFqdn}:443` },
        { name: "gke", network: "network-gke", apiServer: `https://${mockGkeEndpoint}` },
    ],
}));

// Existing clusters (kubeconfigs given): tests/mesh/three-clusters.test.ts runs a mesh of two created clusters and one
// given by kubeconfig; tests/config/config.test.ts the kubeconfig path's config.
