/**
 * zero-trust.md "Mesh", configuration in istiod's Helm values and pod annotations: egress REGISTRY_ONLY, the mesh root
 * namespace, workload certificate TTL ≤ 24 h.
 */
import { parse as parseYaml } from "yaml";
import { at, chartName, describeObject, isIstiodRelease, isRelease, json, obj, PolicyObject, ResourceRule, StackRule, str } from "./model";
import { MAX_WORKLOAD_CERT_TTL_SECONDS, MESH_ROOT_NAMESPACE } from "./allowLists";
import { podTemplate } from "./pods";

export const outboundRegistryOnly: StackRule = {
    scope: "stack",
    name: "mesh-outbound-registry-only",
    description:
        "Every istiod release sets meshConfig.outboundTrafficPolicy.mode REGISTRY_ONLY (egress only to ServiceEntries), on every cluster.",
    reference: "Egress: `outboundTrafficPolicy: REGISTRY_ONLY` plus explicit ServiceEntries",
    enforcementLevel: "mandatory",
    check: (resources) =>
        resources.filter(isIstiodRelease).flatMap((r) => {
            const mode = at(r.props.values, "meshConfig", "outboundTrafficPolicy", "mode");
            return mode === "REGISTRY_ONLY"
                ? []
                : [
                      `${describeObject(r)}: values.meshConfig.outboundTrafficPolicy.mode is ${json(mode)}; must be REGISTRY_ONLY (the default ALLOW_ANY lets workloads reach any host)`,
                  ];
        }),
};

export const meshRootNamespace: ResourceRule = {
    scope: "resource",
    name: "mesh-root-namespace",
    description: `istiod keeps meshConfig.rootNamespace at ${MESH_ROOT_NAMESPACE}, where the mesh-wide PeerAuthentication and allow-nothing policy live.`,
    reference: "PeerAuthentication STRICT mesh-wide (root namespace)",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isIstiodRelease(r)) {
            return [];
        }
        const root = at(r.props.values, "meshConfig", "rootNamespace");
        return root === undefined || root === MESH_ROOT_NAMESPACE
            ? []
            : [
                  `${describeObject(r)}: values.meshConfig.rootNamespace is ${json(root)}; the mesh-wide policies are written for ${MESH_ROOT_NAMESPACE}`,
              ];
    },
};

/** Seconds of a Go duration ("24h", "1h30m", "86400s"); undefined when it does not parse (istio then ignores it). */
export function goDurationSeconds(value: string): number | undefined {
    const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };
    const parts = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$/.test(value) ? value.match(/\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns)/g) : null;
    if (!parts) {
        return value === "0" ? 0 : undefined;
    }
    return parts.reduce((sum, part) => {
        const [, n, unit] = /^(\d+(?:\.\d+)?)(.+)$/.exec(part) ?? [];
        return sum + Number(n) * units[unit];
    }, 0);
}

function ttlViolation(r: PolicyObject, field: string, value: unknown): string[] {
    if (value === undefined) {
        return [];
    }
    const seconds = typeof value === "string" ? goDurationSeconds(value) : undefined;
    if (seconds === undefined) {
        return [`${describeObject(r)}: ${field} is ${json(value)}, not a Go duration (istio falls back silently); write e.g. "24h"`];
    }
    return seconds > MAX_WORKLOAD_CERT_TTL_SECONDS
        ? [`${describeObject(r)}: ${field} is ${json(value)}; workload certificates must live ≤ 24h`]
        : [];
}

/** SECRET_TTL in a `proxy.istio.io/config` annotation (YAML ProxyConfig) on a pod template or in Helm podAnnotations. */
function proxyConfigTtl(r: PolicyObject, field: string, annotations: unknown): string[] {
    const config = str(obj(annotations)?.["proxy.istio.io/config"]);
    if (config === undefined) {
        return [];
    }
    let parsed: unknown;
    try {
        parsed = parseYaml(config);
    } catch {
        return [`${describeObject(r)}: ${field}["proxy.istio.io/config"] is not valid YAML`];
    }
    return ttlViolation(r, `${field}["proxy.istio.io/config"].proxyMetadata.SECRET_TTL`, at(parsed, "proxyMetadata", "SECRET_TTL"));
}

export const workloadCertTtl: ResourceRule = {
    scope: "resource",
    name: "workload-cert-ttl",
    description:
        "Workload certificate TTL ≤ 24h where set: the TTL proxies request (SECRET_TTL in meshConfig.defaultConfig.proxyMetadata or a pod's proxy.istio.io/config) and istiod's DEFAULT_WORKLOAD_CERT_TTL.",
    reference: "Workload cert TTL ≤ 24 h",
    enforcementLevel: "mandatory",
    check: (r) => {
        // istio-agent asks for SECRET_TTL (default 24h) in each CSR; istiod applies DEFAULT_WORKLOAD_CERT_TTL only to CSRs
        // without a TTL and rejects requests above MAX_WORKLOAD_CERT_TTL (a cap, so not judged here).
        if (isIstiodRelease(r)) {
            const values = r.props.values;
            return [
                ...ttlViolation(r, "values.pilot.env.DEFAULT_WORKLOAD_CERT_TTL", at(values, "pilot", "env", "DEFAULT_WORKLOAD_CERT_TTL")),
                ...ttlViolation(
                    r,
                    "values.meshConfig.defaultConfig.proxyMetadata.SECRET_TTL",
                    at(values, "meshConfig", "defaultConfig", "proxyMetadata", "SECRET_TTL"),
                ),
            ];
        }
        if (isRelease(r) && chartName(r) === "gateway") {
            return proxyConfigTtl(r, "values.podAnnotations", at(r.props.values, "podAnnotations"));
        }
        const pod = podTemplate(r);
        return pod ? proxyConfigTtl(r, `${pod.path ? `${pod.path}.` : ""}metadata.annotations`, at(pod.metadata, "annotations")) : [];
    },
};
