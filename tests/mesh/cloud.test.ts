import { describeMesh } from "./shared";
import { mockAksFqdn, mockGkeEndpoint } from "../harness/engine";
import { existingCloudConfig, stackConfig } from "../harness/stacks";

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

describeMesh("cloud stack on existing clusters (kubeconfigs given)", () => ({
    stack: "cloud",
    config: existingCloudConfig(),
    profile: "default",
    clusters: [
        // No apiServer configured: taken from each admin kubeconfig's server.
        { name: "aks", network: "network-aks", apiServer: "https://zta-aks-dns-4f2a.hcp.westeurope.azmk8s.io:443" },
        { name: "gke", network: "network-gke", apiServer: "https://203.0.113.20" },
    ],
}));
