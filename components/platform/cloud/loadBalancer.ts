/**
 * Annotations of the gateways' LoadBalancer Services on the clusters the program creates, per cloud. Pure: the
 * platform hands them to the mesh layer through the cluster handle.
 */
import { istioPorts } from "../../core/istio";
import type { CloudProvisionKind, LoadBalancerScope } from "../../config/model";

/** Which gateway a Service belongs to: the east-west gateway (15443, 15012, 15017) or the ingress gateway (80, 443). */
export type GatewayRole = "eastWest" | "ingress";

/** The traffic ports of each gateway's Service (the gateway chart's: `networkGateway` for east-west, its defaults for ingress). */
export const gatewayTrafficPorts: Readonly<Record<GatewayRole, readonly number[]>> = {
    eastWest: [istioPorts.crossNetwork, istioPorts.xds, istioPorts.webhook],
    ingress: [80, 443],
};

const azure = "service.beta.kubernetes.io";

/**
 * The annotations a created cluster's gateway Service needs on its cloud.
 *
 * AKS (cloud-provider-azure, "Azure LoadBalancer"): without `appProtocol` the LB probes each port over TCP, which
 * succeeds as soon as any node forwards the port, ready gateway or not. Each traffic port is probed instead over HTTP
 * at the gateway's readiness endpoint (status port 15021, /healthz/ready), and the status port gets no LB rule of its
 * own (health endpoints are not published). Internal: an address in the cluster's VNet (with source ranges, only those
 * may reach it: the NSG's default rule would admit the whole VNet).
 *
 * GKE: public is a backend-service-based external passthrough load balancer (`l4-rbs`, the default from GKE 1.37);
 * internal an internal passthrough one (`load-balancer-type: Internal`).
 */
export function cloudGatewayAnnotations(
    cloud: CloudProvisionKind,
    role: GatewayRole,
    scope: LoadBalancerScope,
    /** The Service has `loadBalancerSourceRanges`. */
    restricted = false,
): Record<string, string> {
    if (cloud === "gke") {
        return scope === "internal" ? { "networking.gke.io/load-balancer-type": "Internal" } : { "cloud.google.com/l4-rbs": "enabled" };
    }
    const out: Record<string, string> = {};
    if (scope === "internal") {
        out[`${azure}/azure-load-balancer-internal`] = "true";
        if (restricted) {
            // Otherwise the NSG's default rule admits the whole VNet beside the source ranges.
            out[`${azure}/azure-deny-all-except-load-balancer-source-ranges`] = "true";
        }
    }
    for (const port of gatewayTrafficPorts[role]) {
        out[`${azure}/port_${port}_health-probe_protocol`] = "http";
        out[`${azure}/port_${port}_health-probe_port`] = String(istioPorts.status);
        out[`${azure}/port_${port}_health-probe_request-path`] = "/healthz/ready";
    }
    out[`${azure}/port_${istioPorts.status}_no_lb_rule`] = "true";
    return out;
}
