import { describeMesh } from "./shared";
import { stackConfig } from "../harness/stacks";

describeMesh("cloud stack (Pulumi.cloud.yaml)", () => ({
    stack: "cloud",
    config: stackConfig("cloud"),
    profile: "default",
    clusters: [
        // No apiServer configured: taken from each admin kubeconfig's server.
        { name: "aks", network: "network-aks", apiServer: "https://zta-aks-dns-4f2a.hcp.westeurope.azmk8s.io:443" },
        { name: "gke", network: "network-gke", apiServer: "https://203.0.113.20" },
    ],
}));
