import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

import { IdentityConfig } from "../config/model";
import { BareMetal } from "../platform/baremetal";
import { remoteScript } from "../platform/baremetal/remoteScript";
import { ClusterHandle } from "../platform/handle";

import { allowDnsEgress, allowIngressFromPods, defaultDeny } from "../core/networkPolicy";
import { psaLabels } from "../core/podSecurity";
import { publicBaseUrl } from "./inputs";
import { BadTokens, badTokens, keycloakPrivateKeyValue, realmJwks } from "./jwt";
import { keycloakHttpsPort, keycloakImage } from "./keycloak";
import { renderKeycloakRemove, renderKeycloakSecrets, renderKeycloakSetup } from "./keycloakHost";
import {
    adminSecretKeys,
    clientSecretKeys,
    defaultKeycloakResources,
    keycloakManifests,
    keycloakName,
    keycloakObjectNames,
} from "./keycloakKube";
import { RealmImport, realmImport } from "./realm";
import { IdentityTlsMaterial, ServerTls, identityTlsMaterial } from "./tlsMaterial";
import { childOptions, createNetworkPolicies } from "../core/resources";
import { sha256Hex, rolloutKey } from "../core/rollout";

/** Pods allowed to ask Keycloak for tokens (in-cluster placement): the verification layer's token client. */
export interface KeycloakClientPods {
    readonly namespace: string;
    readonly podLabels: Readonly<Record<string, string>>;
}

/** How pods reach Keycloak, for NetworkPolicies: an address outside the cluster, or pods of one cluster. */
export type KeycloakEndpoint =
    | { readonly kind: "host"; readonly address: string; readonly port: number }
    | {
          readonly kind: "cluster";
          readonly cluster: string;
          readonly namespace: string;
          readonly podLabels: Readonly<Record<string, string>>;
          /** The pod's port (NetworkPolicies see pod ports). */
          readonly port: number;
      };

export interface IdentityArgs {
    readonly config: IdentityConfig;
    /** Every cluster of the stack; in-cluster Keycloak goes to the one the placement names. */
    readonly clusters: readonly ClusterHandle[];
    /** The bare-metal layer (testbed): the Keycloak host, the infrastructure CA, the registry setup it follows. */
    readonly bareMetal?: BareMetal;
    /** Pods to let in (in-cluster placement): the verification token client, Kiali. */
    readonly clients: readonly KeycloakClientPods[];
    /** A UI that signs users in through the realm (Kiali), and the one user who may. */
    readonly ui?: {
        readonly clientId: string;
        /** The realm role a user needs to sign in through it (the observer gets it). */
        readonly signInRole: string;
        readonly redirectUris: readonly string[];
        readonly requirePkce: boolean;
        readonly observerUser: string;
        /** Given (sim); else random. */
        readonly observerPassword?: pulumi.Output<string>;
    };
}

/** Bootstrap admin of Keycloak's master realm. */
export const keycloakAdminUser = "zta-admin";

/**
 * The identity provider: Keycloak with the realm as code (a confidential client for test callers, an audience, a
 * realm signing key made by Pulumi), TLS from the lab's CA, random admin and client credentials kept as secrets.
 * Bare metal: a container on the `keycloak` host (after the registry setup that installs Docker). Cloud and sim: a
 * Deployment in the first cluster, outside the mesh (it terminates its own TLS), behind default-deny policies.
 */
export class Identity extends pulumi.ComponentResource {
    public readonly realm: RealmImport;
    /** The realm's public keys for RequestAuthentication (inline). */
    public readonly jwks: pulumi.Output<string>;
    public readonly tls: IdentityTlsMaterial;
    public readonly ingressTls: ServerTls;
    /** Secret. */
    public readonly clientSecret: pulumi.Output<string>;
    /** The bootstrap admin's password (secret): in-cluster Keycloak only; on a host Keycloak has no admin user. */
    public readonly adminPassword?: pulumi.Output<string>;
    /** The UI observer's password (secret), when there is a UI client. */
    public readonly observerPassword?: pulumi.Output<string>;
    /** Tokens the ingress must refuse (secret). */
    public readonly badTokens: pulumi.Output<BadTokens>;
    public readonly endpoint: KeycloakEndpoint;
    /** Keycloak answers (and has the realm) once these are done. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:identity:Identity", name, {}, opts);
        const config = args.config;
        const publicUrl = publicBaseUrl(config.hostname, config.port);
        this.realm = realmImport({
            realm: config.realm,
            issuerUrlBase: publicUrl,
            audience: config.audience,
            clientId: config.clientId,
            accessTokenLifespanSeconds: config.accessTokenLifespanSeconds,
            ...(args.ui
                ? {
                      testUser: { username: args.ui.observerUser },
                      uiClient: {
                          clientId: args.ui.clientId,
                          redirectUris: args.ui.redirectUris,
                          requirePkce: args.ui.requirePkce,
                          signInRole: args.ui.signInRole,
                      },
                  }
                : {}),
        });
        this.tls = identityTlsMaterial(name, config, args.bareMetal?.infraCa, this);
        this.ingressTls = this.tls.ingress;
        // Placeholder-safe characters only: Keycloak substitutes the client secret into the realm file's JSON text.
        const given = config.credentials;
        this.clientSecret = given
            ? given.clientSecret.output()
            : pulumi.secret(new random.RandomPassword(`${name}-client-secret`, { length: 48, special: false }, { parent: this }).result);
        if (config.placement.kind === "cluster") {
            this.adminPassword = given?.adminPassword
                ? given.adminPassword.output()
                : pulumi.secret(
                      new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, { parent: this }).result,
                  );
        }
        if (args.ui) {
            this.observerPassword =
                args.ui.observerPassword ??
                pulumi.secret(
                    new random.RandomPassword(`${name}-observer-password`, { length: 32, special: false }, { parent: this }).result,
                );
        }
        const observerPassword = this.observerPassword ?? pulumi.output(undefined);
        // Public keys only; derived from the secret key, so unmarked explicitly (a secret JWKS would hide diffs).
        this.jwks = pulumi.unsecret(this.tls.realmSigningKeyPem.apply(realmJwks));
        const realm = this.realm;
        this.badTokens = pulumi.secret(
            this.tls.realmSigningKeyPem.apply((signingKeyPem) =>
                badTokens({ signingKeyPem, issuer: realm.issuer, audience: realm.audience, subject: realm.serviceAccountSubject }),
            ),
        );
        const signingKeyValue = pulumi.secret(this.tls.realmSigningKeyPem.apply(keycloakPrivateKeyValue));

        const placement = config.placement;
        if (placement.kind === "host") {
            const bm = args.bareMetal;
            const host = bm?.hosts.get(placement.host);
            if (!bm || !host) {
                throw new Error(`identity: Keycloak host ${placement.host} is not part of the bare-metal layer`);
            }
            const secrets = pulumi
                .all([this.tls.keycloak.keyPem, this.clientSecret, signingKeyValue, observerPassword])
                .apply(([serverKeyPem, client, realmSigningKey, observer]) =>
                    renderKeycloakSecrets({
                        serverKeyPem,
                        clientSecret: client,
                        realmSigningKey,
                        ...(observer !== undefined ? { testUserPassword: observer } : {}),
                    }),
                );
            // Named by host, like the registry: moving Keycloak removes it from the old host first.
            const setup = remoteScript(
                `${name}-${placement.host}-setup`,
                {
                    connection: host.connection,
                    sshUser: host.sshUser,
                    script: pulumi.all([this.tls.keycloak.certPem, this.tls.caCertPem]).apply(([tlsCertPem, caPem]) =>
                        renderKeycloakSetup({
                            hostname: config.hostname,
                            bindAddress: placement.address,
                            port: config.port,
                            tlsCertPem,
                            caPem,
                            realm,
                        }),
                    ),
                    destroy: renderKeycloakRemove(),
                    stdin: secrets,
                },
                // Docker comes from the registry setup on the same host.
                { parent: this, dependsOn: [host.ready, bm.registry.setup] },
            );
            this.endpoint = { kind: "host", address: placement.address, port: config.port };
            this.ready = [setup];
        } else {
            const cluster = args.clusters.find((c) => c.name === placement.cluster);
            if (!cluster) {
                throw new Error(`identity: Keycloak's cluster ${placement.cluster} is not one of this stack's clusters`);
            }
            const deployment = this.inCluster(name, config, cluster, placement.namespace, args.clients, signingKeyValue, observerPassword);
            this.endpoint = {
                kind: "cluster",
                cluster: cluster.name,
                namespace: placement.namespace,
                podLabels: { "app.kubernetes.io/name": keycloakName },
                port: keycloakHttpsPort,
            };
            this.ready = [deployment];
        }
        this.registerOutputs({ issuer: realm.issuer, jwks: this.jwks, caCertPem: this.tls.caCertPem });
    }

    private inCluster(
        name: string,
        identity: IdentityConfig,
        cluster: ClusterHandle,
        namespace: string,
        clients: readonly KeycloakClientPods[],
        signingKeyValue: pulumi.Output<string>,
        observerPassword: pulumi.Output<string | undefined>,
    ): k8s.apps.v1.Deployment {
        const config = this.realm;
        const child = childOptions(this, cluster.provider);
        const manifests = keycloakManifests({
            namespace,
            image: keycloakImage,
            hostname: identity.hostname,
            port: identity.port,
            tlsSecretName: keycloakObjectNames.tls,
            adminSecretName: keycloakObjectNames.admin,
            clientSecretName: keycloakObjectNames.realmSecrets,
            realmConfigMapName: keycloakObjectNames.realm,
            realm: config,
            resources: defaultKeycloakResources,
        });
        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                // Outside the mesh on purpose: Keycloak terminates its own TLS for callers in and out of the mesh.
                metadata: { name: namespace, labels: { ...psaLabels("restricted"), "istio-injection": "disabled" } },
            },
            child([...cluster.ready]),
        );
        const inNs = child([ns]);
        const networkPolicies = createNetworkPolicies(
            {
                resourceName: (p) => `${name}-${p.metadata.name}`,
                policies: [
                    allowDnsEgress(namespace),
                    ...clients.map((c, i) =>
                        allowIngressFromPods({
                            name: i === 0 ? "allow-token-clients" : `allow-clients-${c.namespace}`,
                            namespace,
                            podLabels: { "app.kubernetes.io/name": keycloakName },
                            peerNamespace: c.namespace,
                            peerPodLabels: c.podLabels,
                            ports: [keycloakHttpsPort],
                        }),
                    ),
                    defaultDeny(namespace),
                ],
                after: () => [ns],
            },
            child,
        );

        const tlsSecret = new k8s.core.v1.Secret(
            `${name}-tls`,
            {
                metadata: { name: keycloakObjectNames.tls, namespace },
                type: "kubernetes.io/tls",
                stringData: pulumi.secret(
                    pulumi
                        .all([this.tls.keycloak.certPem, this.tls.keycloak.keyPem])
                        .apply(([crt, key]) => ({ "tls.crt": crt, "tls.key": key })),
                ),
            },
            inNs,
        );
        const adminPassword = this.adminPassword;
        if (!adminPassword) {
            throw new Error("identity: in-cluster Keycloak without its admin password (set for the cluster placement)");
        }
        const admin = new k8s.core.v1.Secret(
            `${name}-admin`,
            {
                metadata: { name: keycloakObjectNames.admin, namespace },
                type: "Opaque",
                stringData: pulumi.secret(
                    adminPassword.apply((password) => ({
                        [adminSecretKeys.username]: keycloakAdminUser,
                        [adminSecretKeys.password]: password,
                    })),
                ),
            },
            inNs,
        );
        const realmSecrets = new k8s.core.v1.Secret(
            `${name}-realm-secrets`,
            {
                metadata: { name: keycloakObjectNames.realmSecrets, namespace },
                type: "Opaque",
                stringData: pulumi.secret(
                    pulumi.all([this.clientSecret, signingKeyValue, observerPassword]).apply(([client, key, observer]) => ({
                        [clientSecretKeys.clientSecret]: client,
                        [clientSecretKeys.realmSigningKey]: key,
                        ...(observer !== undefined ? { [clientSecretKeys.testUserPassword]: observer } : {}),
                    })),
                ),
            },
            inNs,
        );
        const configMap = new k8s.core.v1.ConfigMap(`${name}-realm`, manifests.configMap, inNs);
        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, manifests.serviceAccount, inNs);
        new k8s.core.v1.Service(`${name}-service`, manifests.service, inNs);
        // The pod rolls when a secret it imports changes (the hash annotation covers the realm file only).
        const secretHash = pulumi
            .all([this.clientSecret, signingKeyValue, this.tls.keycloak.certPem, observerPassword])
            .apply(([a, b, c, d]) => sha256Hex(`${a}\n${b}\n${c}\n${d ?? ""}`));
        const template = manifests.deployment.spec.template;
        const deploymentArgs = {
            ...manifests.deployment,
            spec: {
                ...manifests.deployment.spec,
                template: {
                    ...template,
                    metadata: {
                        ...template.metadata,
                        annotations: { ...template.metadata.annotations, [rolloutKey("secrets")]: secretHash },
                    },
                },
            },
        };
        return new k8s.apps.v1.Deployment(
            `${name}-keycloak`,
            deploymentArgs,
            child([ns, tlsSecret, admin, realmSecrets, configMap, sa, ...networkPolicies]),
        );
    }
}
