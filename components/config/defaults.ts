import { istioChartRepo } from "../core/versions";

/** Defaults for the simple keys; Pulumi.yaml's `config:` schema declares the same (a test keeps them equal). */
export const configDefaults = {
    versionProfile: "default",
    meshId: "zta-mesh",
    trustDomain: "cluster.local",
    caSource: "generated",
    caRootValidityDays: 3650,
    caIntermediateValidityDays: 730,
    caRenewBeforeDays: 30,
    helmTimeoutSeconds: 600,
    chartRepository: istioChartRepo,
    ingressNamespace: "istio-ingress",
    workloadCertTtlHours: 24,
    verificationTimeoutSeconds: 300,
    ingressHost: "httpbin.zta.test",
} as const;
