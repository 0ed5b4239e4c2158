import { describeMesh } from "./shared";
import { mockAksFqdn } from "../harness/engine";
import { threeClusterConfig } from "../harness/stacks";

describeMesh("three clusters (cloud stack + a third)", () => ({
    stack: "three",
    config: threeClusterConfig(),
    profile: "default",
    clusters: [
        { name: "aks", network: "network-aks", apiServer: `https://${mockAksFqdn}:443` },
        { name: "gke", network: "network-gke", apiServer: "https://203.0.113.20" },
        { name: "eks", network: "network-eks", apiServer: "https://198.51.100.7:443" },
    ],
}));
