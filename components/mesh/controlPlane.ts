import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createPullSecret, istioImage, pullSecretName } from "../platform/pullSecret";

import { HelmConfig } from "../config/model";
import { helmRelease } from "../core/helm";
import { ClusterHandle } from "../platform/handle";
import { IstioChart, VersionProfile } from "../core/versions";
import { IntermediateBundle } from "./ca";
import { cacertsData } from "./caProfile";
import {
    baseValues,
    cniValues,
    chartSource,
    crossNetworkGatewaySpec,
    eastWestGatewayValues,
    ingressGatewayValues,
    istioImages,
    istiodValues,
    istioNamespacePsaLabels,
    namespaceLabels,
    releaseNames,
} from "./values";
import { meshConfigValues } from "./values";
import { cniNamespace, crossNetworkGatewayName, eastWestGatewayName, istioNamespace } from "../core/istio";
import { childOptions } from "../core/resources";

/** Mesh-wide settings every cluster's control plane shares. */
export interface MeshSettings {
    /** `global.meshID`. */
    readonly meshId: string;
    /** SPIFFE trust domain. */
    readonly trustDomain: string;
    /** Pinned Istio and chart versions. */
    readonly versions: VersionProfile;
    /** Chart source and Helm wait timeout. */
    readonly helm: HelmConfig;
    /** Image hub override; default the chart's. */
    readonly hub?: string;
    /** Namespace of the ingress gateway. */
    readonly ingressNamespace: string;
    /** Workload certificate lifetime, hours (at most 24). */
    readonly workloadCertTtlHours: number;
}

export interface IstioControlPlaneArgs extends MeshSettings {
    /** The cluster to install into (its provider is used for every child). */
    readonly cluster: ClusterHandle;
    /** This cluster's intermediate CA. */
    readonly ca: IntermediateBundle;
    /** The mesh root certificate. */
    readonly rootCertPem: pulumi.Input<string>;
}

/**
 * One cluster's Istio control plane, in the order multi-primary multi-network needs:
 * network-labelled istio-system → cacerts → base → istiod → east-west gateway → cross-network Gateway,
 * and an ingress gateway in its own namespace.
 */
export class IstioControlPlane extends pulumi.ComponentResource {
    /** The base release (CRDs and the istio-reader service account): reader tokens wait for it. */
    public readonly baseRelease: k8s.helm.v3.Release;
    public readonly istiodRelease: k8s.helm.v3.Release;
    /** The istio-cni node agent (kube-system). */
    public readonly cniRelease: k8s.helm.v3.Release;
    /** istio-system in this cluster (remote secrets go here). */
    public readonly systemNamespace: k8s.core.v1.Namespace;
    /** The ingress gateway's namespace. */
    public readonly ingressNamespace: k8s.core.v1.Namespace;
    /** Helm status per release, e.g. `deployed`. */
    public readonly status: pulumi.Output<Record<string, string>>;
    /** The gateways (east-west with its cross-network Gateway, ingress): traffic across networks and in flows once done. */
    public readonly gateways: pulumi.Resource[];
    /** LoadBalancer address of the east-west gateway (IP or hostname), undefined until assigned. */
    public readonly eastWestAddress: pulumi.Output<string | undefined>;

    constructor(name: string, args: IstioControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:mesh:IstioControlPlane", name, {}, opts);
        const c = args.cluster;
        const child = childOptions(this, c.provider);

        this.systemNamespace = new k8s.core.v1.Namespace(
            `${name}-istio-system`,
            { metadata: { name: istioNamespace, labels: namespaceLabels(c.network) } },
            child([...c.ready]),
        );
        const ns = this.systemNamespace.metadata.name;

        const cacerts = new k8s.core.v1.Secret(
            `${name}-cacerts`,
            {
                metadata: { name: "cacerts", namespace: ns },
                type: "Opaque",
                stringData: pulumi.secret(
                    pulumi
                        .all([args.ca.certPem, args.ca.keyPem, args.rootCertPem, args.ca.chainPem])
                        .apply(([certPem, keyPem, rootPem, chainPem]) => cacertsData({ certPem, keyPem, rootPem, chainPem })),
                ),
            },
            child(),
        );

        const release = (
            role: string,
            chart: IstioChart,
            releaseName: string,
            namespace: pulumi.Input<string>,
            values: pulumi.Input<Record<string, unknown>>,
            dependsOn: pulumi.Resource[],
        ) =>
            helmRelease(
                `${name}-${role}`,
                {
                    name: releaseName,
                    namespace,
                    chart: chartSource(args.helm, chart, chart === "gateway" ? args.versions.gatewayChart : args.versions.istio),
                    values,
                    timeoutSeconds: args.helm.timeoutSeconds,
                },
                child(dependsOn),
            );

        this.baseRelease = release("base", "base", releaseNames.base, ns, baseValues(), [this.systemNamespace]);
        // Digest pins from versions.json (none until an admin fills them: then the charts' own hub/name:tag).
        const images = istioImages(args.versions.istio, args.versions.imageDigests, args.hub);
        // The CNI agent before istiod: pods injected without istio-init need their redirection set up by it.
        // Its image comes from the same hub as istiod's; on bare metal with the pull secret in kube-system.
        const cniPullSecret = createPullSecret(`${name}-cni-pull-secret`, c, cniNamespace, [istioImage(args.hub, "install-cni")], {
            parent: this,
        });
        const cni = (this.cniRelease = release(
            "cni",
            "cni",
            releaseNames.cni,
            cniNamespace,
            cniValues({
                istio: args.versions.istio,
                platform: c.istioPlatform,
                hub: args.hub,
                imagePullSecrets: cniPullSecret ? [pullSecretName] : undefined,
                image: images.installCni,
            }),
            [this.baseRelease, ...(cniPullSecret ? [cniPullSecret] : [])],
        ));

        // A pull secret only where pods pull from the private registry (the hub points there): istiod and the
        // east-west gateway in istio-system, the ingress gateway in its namespace, the CNI agent in its own.
        const systemImages = [istioImage(args.hub, "pilot"), istioImage(args.hub, "proxyv2")];
        const systemPullSecret = createPullSecret(`${name}-pull-secret`, c, ns, systemImages, { parent: this });
        const pullSecrets = systemPullSecret ? [pullSecretName] : undefined;
        const pullSecretDeps = systemPullSecret ? [systemPullSecret] : [];

        this.istiodRelease = release(
            "istiod",
            "istiod",
            releaseNames.istiod,
            ns,
            istiodValues({
                meshId: args.meshId,
                cluster: c.name,
                network: c.network,
                trustDomain: args.trustDomain,
                hub: args.hub,
                imagePullSecrets: pullSecrets,
                images: { pilot: images.pilot, proxy: images.proxy },
                meshPolicy: meshConfigValues({
                    outboundTrafficPolicy: "REGISTRY_ONLY",
                    workloadCertTtlHours: args.workloadCertTtlHours,
                }),
            }),
            // istiod decides once at start-up whether a plug-in CA exists: cacerts must come first.
            [this.baseRelease, cni, cacerts, ...pullSecretDeps],
        );

        // Gateway pods get their image injected by istiod ("auto"), so istiod must be serving first.
        const eastWest = release(
            "eastwest",
            "gateway",
            releaseNames.eastWest,
            ns,
            eastWestGatewayValues({
                certTtl: `${args.workloadCertTtlHours}h`,
                network: c.network,
                serviceAnnotations: c.loadBalancer.serviceAnnotations,
                sourceRanges: c.loadBalancer.sourceRanges,
                imagePullSecrets: pullSecrets,
            }),
            [this.istiodRelease, ...pullSecretDeps],
        );

        const crossNetwork = new k8s.apiextensions.CustomResource(
            `${name}-cross-network-gateway`,
            {
                apiVersion: "networking.istio.io/v1",
                kind: "Gateway",
                metadata: { name: crossNetworkGatewayName, namespace: istioNamespace },
                spec: crossNetworkGatewaySpec(),
            },
            child([this.baseRelease, eastWest]),
        );

        const ingressNs = (this.ingressNamespace = new k8s.core.v1.Namespace(
            `${name}-ingress-namespace`,
            { metadata: { name: args.ingressNamespace, labels: istioNamespacePsaLabels() } },
            child([...c.ready]),
        ));
        const ingressPullSecret = createPullSecret(
            `${name}-ingress-pull-secret`,
            c,
            ingressNs.metadata.name,
            [istioImage(args.hub, "proxyv2")],
            { parent: this },
        );
        const ingress = release(
            "ingress",
            "gateway",
            releaseNames.ingress,
            ingressNs.metadata.name,
            ingressGatewayValues(
                `${args.workloadCertTtlHours}h`,
                ingressPullSecret ? [pullSecretName] : undefined,
                c.loadBalancer.ingressServiceAnnotations,
            ),
            [this.istiodRelease, ...(ingressPullSecret ? [ingressPullSecret] : [])],
        );

        this.gateways = [eastWest, crossNetwork, ingress];
        // Read back after the release: its id is unknown in a first preview, so the read waits for the install.
        const eastWestService = k8s.core.v1.Service.get(
            `${name}-eastwest-service`,
            pulumi.interpolate`${eastWest.status.namespace}/${eastWestGatewayName}`,
            child([eastWest]),
        );
        this.eastWestAddress = eastWestService.status.apply((s) => {
            const ingressPoint = s?.loadBalancer?.ingress?.[0];
            return ingressPoint?.ip || ingressPoint?.hostname || undefined;
        });
        this.status = pulumi
            .all([this.baseRelease.status, this.istiodRelease.status, eastWest.status, ingress.status])
            .apply(([b, i, e, g]): Record<string, string> => ({
                base: b.status,
                istiod: i.status,
                eastWestGateway: e.status,
                ingressGateway: g.status,
            }));

        this.registerOutputs({ status: this.status, eastWestAddress: this.eastWestAddress });
    }
}
