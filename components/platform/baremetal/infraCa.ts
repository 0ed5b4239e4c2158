import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** ECDSA P-256: every client here (containerd, Docker, curl, Keycloak's JVM) verifies it, and it is fast. */
export const infraKey = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

export interface InfraCaArgs {
    readonly validityHours: number;
}

export interface ServerCertArgs {
    readonly commonName: string;
    readonly ipAddresses: readonly string[];
    readonly dnsNames: readonly string[];
    readonly validityHours: number;
}

/**
 * The lab's infrastructure CA: signs the registry's (and Keycloak's) server certificates. Deliberately separate
 * from the mesh root, so a leaked infrastructure key cannot mint workload identities and vice versa.
 */
export class InfraCa extends pulumi.ComponentResource {
    public readonly certPem: pulumi.Output<string>;
    private readonly keyPem: pulumi.Output<string>;

    constructor(name: string, args: InfraCaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:platform:InfraCa", name, {}, opts);
        const key = new tls.PrivateKey(`${name}-key`, { ...infraKey }, { parent: this });
        const cert = new tls.SelfSignedCert(
            `${name}-cert`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { organization: "zta-testbed", commonName: "zta-testbed infrastructure CA" },
                isCaCertificate: true,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                validityPeriodHours: args.validityHours,
                setSubjectKeyId: true,
                earlyRenewalHours: 0,
            },
            { parent: this },
        );
        this.certPem = cert.certPem;
        this.keyPem = pulumi.secret(key.privateKeyPem);
        this.registerOutputs({ certPem: this.certPem });
    }

    /** A TLS server certificate signed by this CA; its key is a secret. */
    issueServerCert(
        name: string,
        args: ServerCertArgs,
        parent: pulumi.Resource,
    ): { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> } {
        const key = new tls.PrivateKey(`${name}-key`, { ...infraKey }, { parent });
        const request = new tls.CertRequest(
            `${name}-csr`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { organization: "zta-testbed", commonName: args.commonName },
                ipAddresses: [...args.ipAddresses],
                dnsNames: [...args.dnsNames],
            },
            { parent },
        );
        const cert = new tls.LocallySignedCert(
            `${name}-cert`,
            {
                certRequestPem: request.certRequestPem,
                caPrivateKeyPem: this.keyPem,
                caCertPem: this.certPem,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                validityPeriodHours: args.validityHours,
                // Re-issued on the first `pulumi up` in the last 30 days (the registry container then restarts).
                earlyRenewalHours: Math.min(720, Math.floor(args.validityHours / 4)),
            },
            { parent },
        );
        return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
    }
}
