import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterHandle } from "../platform/handle";
import { ingressObjects } from "./samples";

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
        const child = (dependsOn: readonly pulumi.Resource[]): pulumi.CustomResourceOptions => ({
            parent: this,
            provider: args.cluster.provider,
            dependsOn: [...dependsOn],
        });
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
        // JWT policies first: the route never serves a moment without them.
        const requestAuthentication = new k8s.apiextensions.CustomResource(
            `${name}-request-authentication`,
            {
                apiVersion: "security.istio.io/v1",
                kind: "RequestAuthentication",
                metadata: objects.requestAuthentication.metadata,
                spec: objects.requestAuthentication.spec,
            },
            child(args.after),
        );
        const authorization = new k8s.apiextensions.CustomResource(
            `${name}-require-jwt`,
            {
                apiVersion: "security.istio.io/v1",
                kind: "AuthorizationPolicy",
                metadata: objects.authorizationPolicy.metadata,
                spec: objects.authorizationPolicy.spec,
            },
            child(args.after),
        );
        const gateway = new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            { apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: objects.gateway.metadata, spec: objects.gateway.spec },
            child([...args.after, secret, requestAuthentication, authorization]),
        );
        const route = new k8s.apiextensions.CustomResource(
            `${name}-route`,
            {
                apiVersion: "networking.istio.io/v1",
                kind: "VirtualService",
                metadata: objects.virtualService.metadata,
                spec: objects.virtualService.spec,
            },
            child([...args.after, gateway]),
        );
        this.resources = [secret, requestAuthentication, authorization, gateway, route];
        this.registerOutputs({ host: id.host });
    }
}
