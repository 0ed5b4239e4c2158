import { describeMesh } from "./shared";
import { stackConfig } from "../harness/stacks";

describeMesh("testbed stack (Pulumi.testbed.yaml)", () => ({
    stack: "testbed",
    config: stackConfig("testbed"),
    profile: "nist-2025",
    clusters: [
        { name: "cluster1", network: "network1", apiServer: "https://10.5.0.3:6443" },
        { name: "cluster2", network: "network2", apiServer: "https://10.5.0.4:6443" },
    ],
}));
