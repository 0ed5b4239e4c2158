/** A shorter workload certificate lifetime reaches istiod's caps, every proxy's request and the gateways' rollout. */
import { RELEASE } from "../harness/kinds";
import { runProgram } from "../harness/program";
import { stackConfig } from "../harness/stacks";

test("workloadCertTtlHours 12: istiod caps and defaults, the proxies' SECRET_TTL and a gateway rollout annotation all say 12h", async () => {
    const run = await runProgram("cloud", stackConfig("cloud", { workloadCertTtlHours: 12 }));
    for (const cluster of ["aks", "gke"]) {
        const istiod = run.recording.get(`mesh-${cluster}-istiod`, RELEASE).inputs.values;
        expect(istiod.pilot.env).toEqual({ DEFAULT_WORKLOAD_CERT_TTL: "12h", MAX_WORKLOAD_CERT_TTL: "12h" });
        expect(istiod.meshConfig.defaultConfig.proxyMetadata).toEqual({ SECRET_TTL: "12h" });
        for (const gateway of ["eastwest", "ingress"]) {
            const values = run.recording.get(`mesh-${cluster}-${gateway}`, RELEASE).inputs.values;
            expect(values.podAnnotations).toEqual({ "zta-testbed.dev/workload-cert-ttl": "12h" });
        }
    }
});
