/**
 * Alerting rules of the mesh (Prometheus rule file, as an object): xDS rejects, certificates close to expiry, and
 * any plaintext traffic. Pure.
 */
import { clusterLabel, istioMetrics } from "./metrics";
import { federationJobName } from "./prometheus";

export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    readonly for: string;
    readonly labels: { readonly severity: "warning" | "critical" };
    readonly annotations: { readonly summary: string; readonly description: string };
}

export interface RuleGroup {
    readonly name: string;
    readonly rules: readonly AlertRule[];
}

export interface AlertInput {
    /** Workload certificate lifetime, hours (config `workloadCertTtlHours`). */
    readonly workloadCertTtlHours: number;
    /** Clusters this Prometheus federates: an alert when one's job fails or is missing (their alerts would be blind). */
    readonly federated: readonly string[];
}

/**
 * The workload-certificate threshold: a quarter of the lifetime, at most 12 h (the CA alert uses 12 h as such). The
 * agent renews at half the lifetime (SECRET_GRACE_PERIOD_RATIO 0.5, jittered), so a healthy proxy never drops below
 * half: a fixed 12 h would fire forever for 12 h certificates and sit on the (jittered) renewal point of 24 h ones,
 * while a quarter left means renewal has been failing for a quarter of the lifetime.
 */
export function workloadCertAlertSeconds(ttlHours: number): number {
    if (!Number.isInteger(ttlHours) || ttlHours < 1 || ttlHours > 24) {
        throw new Error(`workloadCertTtlHours: expected an integer from 1 to 24, got ${String(ttlHours)}`);
    }
    return Math.min(12 * 3600, (ttlHours * 3600) / 4);
}

/** Thresholds the alerts (and the dashboards' red zones) use, seconds. */
export function alertThresholds(ttlHours: number): { readonly workloadCertSeconds: number; readonly caCertSeconds: number } {
    return { workloadCertSeconds: workloadCertAlertSeconds(ttlHours), caCertSeconds: 12 * 3600 };
}

const by = `${clusterLabel}`;

export function alertRules(input: AlertInput): RuleGroup[] {
    const m = istioMetrics;
    const { workloadCertSeconds: certSeconds, caCertSeconds } = alertThresholds(input.workloadCertTtlHours);
    return [
        {
            name: "zta-mesh",
            rules: [
                {
                    alert: "IstioXdsRejected",
                    expr: `sum by (${by}, type) (increase(${m.xdsRejects}[5m])) > 0`,
                    for: "0m",
                    labels: { severity: "warning" },
                    annotations: {
                        summary: "Proxies rejected configuration from istiod",
                        description:
                            "{{ $value }} {{ $labels.type }} responses rejected in {{ $labels.cluster }} over 5 minutes: a proxy runs stale config.",
                    },
                },
                {
                    alert: "WorkloadCertificateExpiring",
                    expr: `min by (${by}, namespace, pod) (${m.workloadCertExpirySeconds}) < ${certSeconds}`,
                    for: "5m",
                    labels: { severity: "critical" },
                    annotations: {
                        summary: "A workload certificate is close to expiry (renewal failing)",
                        description: `{{ $labels.namespace }}/{{ $labels.pod }} in {{ $labels.cluster }}: certificate expires in {{ $value | humanizeDuration }} (alert below ${certSeconds / 3600} h).`,
                    },
                },
                {
                    alert: "MeshCaCertificateExpiring",
                    expr: `min by (${by}) (${m.caCertChainExpirySeconds}) < ${caCertSeconds}`,
                    for: "5m",
                    labels: { severity: "critical" },
                    annotations: {
                        summary: "istiod's CA certificate chain expires within 12 h",
                        description:
                            "{{ $labels.cluster }}: the intermediate expires in {{ $value | humanizeDuration }}; run pulumi up to re-issue it.",
                    },
                },
                {
                    alert: "PlaintextTraffic",
                    expr: `sum by (${by}, source_workload, destination_service) (rate(${m.requests}{reporter="destination", connection_security_policy="none"}[5m])) > 0 or sum by (${by}, source_workload, destination_service) (rate(${m.tcpOpened}{reporter="destination", connection_security_policy="none"}[5m])) > 0`,
                    for: "0m",
                    labels: { severity: "critical" },
                    annotations: {
                        summary: "Plaintext traffic reached a workload",
                        description:
                            "{{ $labels.source_workload }} → {{ $labels.destination_service }} in {{ $labels.cluster }} without mutual TLS.",
                    },
                },
                ...(input.federated.length > 0
                    ? [
                          {
                              alert: "MeshFederationDown",
                              // Down, or no target at all. One absent() per job, labelled like the job's own series:
                              // absent() over a regex of jobs would stay silent while any one of them is still there.
                              expr: [
                                  `max by (${by}, job) (up{job=~"${input.federated.map(federationJobName).join("|")}"}) == 0`,
                                  ...input.federated.map(
                                      (c) => `label_replace(absent(up{job="${federationJobName(c)}"}), "${clusterLabel}", "${c}", "", "")`,
                                  ),
                              ].join(" or "),
                              for: "5m",
                              labels: { severity: "critical" as const },
                              annotations: {
                                  summary: "The mesh-wide Prometheus cannot federate a cluster",
                                  description:
                                      "{{ $labels.job }} failed for 5 minutes: {{ $labels.cluster }}'s series (and the alerts above for it) are missing.",
                              },
                          },
                      ]
                    : []),
            ],
        },
    ];
}
