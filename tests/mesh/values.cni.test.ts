/** The istio-cni chart values (components/mesh/values.ts cniValues). */
import { cniValues } from "../../components/mesh/values";

test("gke's platform profile only from Istio 1.25 (the 1.24 chart fails on it and detects GKE by itself)", () => {
    expect(cniValues({ istio: "1.30.3", platform: "gke" })).toEqual({ global: { platform: "gke" } });
    expect(cniValues({ istio: "1.25.0", platform: "gke" })).toEqual({ global: { platform: "gke" } });
    expect(cniValues({ istio: "1.24.3", platform: "gke" })).toEqual({});
    expect(cniValues({ istio: "1.24.3", platform: "k3s" })).toEqual({ global: { platform: "k3s" } });
    expect(cniValues({ istio: "1.30.3" })).toEqual({});
});

test("the agent's image follows istiod's hub and pull secret (the private registry on bare metal)", () => {
    expect(cniValues({ istio: "1.24.3", hub: "10.5.0.2:5000/istio", imagePullSecrets: ["zta-registry"] })).toEqual({
        global: { hub: "10.5.0.2:5000/istio", imagePullSecrets: ["zta-registry"] },
    });
});
