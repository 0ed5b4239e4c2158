import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

import { IdentityConfig } from "../config/model";
import { InfraCa } from "../platform/baremetal/infraCa";

export interface ServerTls {
    readonly certPem: pulumi.Output<string>;
    /** Secret. */
    readonly keyPem: pulumi.Output<string>;
}

/** The TLS material of the identity and ingress layer: one CA, two server certificates, the realm's signing key. */
export interface IdentityTlsMaterial {
    /** CA clients verify Keycloak and the ingress with (public). */
    readonly caCertPem: pulumi.Output<string>;
    readonly ingress: ServerTls;
    readonly keycloak: ServerTls;
    /** RSA private key (PEM, secret) the realm signs tokens with. */
    readonly realmSigningKeyPem: pulumi.Output<string>;
}

const ipv4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Generated with the tls provider: certificates from the lab's infrastructure CA (bare metal: the registry's; cloud:
 * its own, made here), an RSA 2048 realm key. Or, with `identityTls` in config, exactly the given material.
 */
export function identityTlsMaterial(
    name: string,
    config: IdentityConfig,
    infraCa: InfraCa | undefined,
    parent: pulumi.Resource,
): IdentityTlsMaterial {
    if (config.tls) {
        const t = config.tls;
        return {
            caCertPem: pulumi.output(t.caCertPem),
            ingress: { certPem: pulumi.output(t.ingress.certPem), keyPem: t.ingress.keyPem.output() },
            keycloak: { certPem: pulumi.output(t.keycloak.certPem), keyPem: t.keycloak.keyPem.output() },
            realmSigningKeyPem: t.realmSigningKeyPem.output(),
        };
    }
    // Separate from the mesh root: a leaked ingress or Keycloak key cannot mint workload identities.
    const ca = infraCa ?? new InfraCa(`${name}-ca`, { validityHours: 10 * 365 * 24 }, { parent });
    const server = (role: string, host: string) =>
        ca.issueServerCert(
            `${name}-${role}-tls`,
            {
                commonName: host,
                ipAddresses: ipv4.test(host) ? [host] : [],
                dnsNames: ipv4.test(host) ? [] : [host],
                validityHours: config.certValidityHours,
            },
            parent,
        );
    const realmKey = new tls.PrivateKey(`${name}-realm-key`, { algorithm: "RSA", rsaBits: 2048 }, { parent });
    return {
        caCertPem: ca.certPem,
        ingress: server("ingress", config.ingressHost),
        keycloak: server("keycloak", config.hostname),
        realmSigningKeyPem: pulumi.secret(realmKey.privateKeyPemPkcs8),
    };
}
