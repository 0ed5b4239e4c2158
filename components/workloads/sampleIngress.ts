import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterHandle } from "../platform/handle";

import { IngressObjects, ingressObjects } from "./ingress";
import { childOptions } from "../core/resources";

export interface IngressIdentity {
    /** The realm URL, exactly as the tokens' `iss`. */
    readonly issuer: string;
    readonly audience: string;
    /** The realm's public keys (inline JWKS). */
    readonly jwks: pulumi.Output<string>;
    /** Host name of the ingress and its certificate from the project CA (key secret). */
    readonly host: string;
    readonly tls: { readonly certPem: pulumi.Output<string>; readonly keyPem: pulumi.Output<string> };
}

export interface SampleIngressArgs {
    readonly cluster: ClusterHandle;
    readonly ingressNamespace: string;
    readonly identity: IngressIdentity;
    /** istiod (validation webhook, CRDs), the ingress namespace and gateway, httpbin. */
    readonly after: readonly pulumi.Resource[];
}

/** Name of the ingress certificate's Secret (the Gateway's credentialName). */
export const ingressTlsSecretName = "sample-ingress-tls";

/**
 * The JWT-protected HTTPS ingress of one cluster: certificate Secret, Gateway (HTTPS + redirect), the route to
 * httpbin, RequestAuthentication with the realm's inline JWKS, and the ALLOW on requestPrincipals that turns a
 * missing token into 403.
 */
export class SampleIngress extends pulumi.ComponentResource {
    public readonly resources: pulumi.Resource[];

    constructor(name: string, args: SampleIngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:workloads:SampleIngress", name, {}, opts);
        const id = args.identity;
        const child = childOptions(this, args.cluster.provider);
        const secret = new k8s.core.v1.Secret(
            `${name}-tls`,
            {
                metadata: { name: ingressTlsSecretName, namespace: args.ingressNamespace },
                type: "kubernetes.io/tls",
                stringData: pulumi.secret(
                    pulumi.all([id.tls.certPem, id.tls.keyPem]).apply(([crt, key]) => ({ "tls.crt": crt, "tls.key": key })),
                ),
            },
            child(args.after),
        );
        const objects = id.jwks.apply((jwks) =>
            ingressObjects({
                host: id.host,
                credentialName: ingressTlsSecretName,
                namespace: args.ingressNamespace,
                issuer: id.issuer,
                audiences: [id.audience],
                jwks,
            }),
        );
        // apiVersion and kind are known before the JWKS is: the engine needs them to plan the resource.
        const istioObject = (role: string, key: keyof IngressObjects, apiVersion: string, kind: string, dependsOn: pulumi.Resource[]) =>
            new k8s.apiextensions.CustomResource(
                `${name}-${role}`,
                { apiVersion, kind, metadata: objects[key].metadata, spec: objects[key].spec },
                child(dependsOn),
            );
        // JWT policies first: the route never serves a moment without them.
        const requestAuthentication = istioObject(
            "request-authentication",
            "requestAuthentication",
            "security.istio.io/v1",
            "RequestAuthentication",
            [...args.after],
        );
        const authorization = istioObject("require-jwt", "authorizationPolicy", "security.istio.io/v1", "AuthorizationPolicy", [
            ...args.after,
        ]);
        const gateway = istioObject("gateway", "gateway", "networking.istio.io/v1", "Gateway", [
            ...args.after,
            secret,
            requestAuthentication,
            authorization,
        ]);
        const route = istioObject("route", "virtualService", "networking.istio.io/v1", "VirtualService", [...args.after, gateway]);
        this.resources = [secret, requestAuthentication, authorization, gateway, route];
        this.registerOutputs({ host: id.host });
    }
}
