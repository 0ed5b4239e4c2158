import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { CaConfig } from "../config/model";
import { caKey, certChain, intermediateCertArgs, intermediateRequestArgs, rootCertArgs } from "./caProfile";

/** Key material for one cluster's istiod (its `cacerts` Secret). */
export interface IntermediateBundle {
    readonly certPem: pulumi.Output<string>;
    /** Always a Pulumi secret. */
    readonly keyPem: pulumi.Output<string>;
    /** Intermediate then root. */
    readonly chainPem: pulumi.Output<string>;
}

export interface MeshCaArgs {
    /** Where the root (and intermediates) come from, and their lifetimes. */
    readonly ca: CaConfig;
    /** One intermediate per cluster name. */
    readonly clusters: readonly string[];
}

/**
 * One root for the whole mesh and one intermediate per cluster: the shared trust that makes
 * cross-network mTLS through the east-west gateways verify (istio#32501).
 */
export class MeshCa extends pulumi.ComponentResource {
    /** The mesh root certificate (public). */
    public readonly rootCertPem: pulumi.Output<string>;
    /** Per cluster name. */
    public readonly intermediates: Readonly<Record<string, IntermediateBundle>>;

    constructor(name: string, args: MeshCaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:mesh:MeshCa", name, {}, opts);
        const ca = args.ca;
        const intermediates: Record<string, IntermediateBundle> = {};

        if (ca.source === "external-intermediates") {
            // Signed elsewhere: the root key never touches Pulumi.
            this.rootCertPem = pulumi.output(ca.rootCertPem);
            for (const cluster of args.clusters) {
                const given = ca.intermediates[cluster];
                intermediates[cluster] = {
                    certPem: pulumi.output(given.certPem),
                    keyPem: given.keyPem.output(),
                    chainPem: pulumi.output(given.chainPem),
                };
            }
        } else {
            let rootKeyPem: pulumi.Output<string>;
            if (ca.source === "generated") {
                const rootKey = new tls.PrivateKey(`${name}-root-key`, { ...caKey }, { parent: this });
                const root = new tls.SelfSignedCert(
                    `${name}-root`,
                    { privateKeyPem: rootKey.privateKeyPem, ...rootCertArgs(ca) },
                    { parent: this },
                );
                this.rootCertPem = root.certPem;
                rootKeyPem = pulumi.secret(rootKey.privateKeyPem);
            } else {
                this.rootCertPem = pulumi.output(ca.rootCertPem);
                rootKeyPem = ca.rootKeyPem.output();
            }
            for (const cluster of args.clusters) {
                const key = new tls.PrivateKey(`${name}-${cluster}-key`, { ...caKey }, { parent: this });
                const csr = new tls.CertRequest(
                    `${name}-${cluster}-csr`,
                    { privateKeyPem: key.privateKeyPem, ...intermediateRequestArgs(cluster) },
                    { parent: this },
                );
                const cert = new tls.LocallySignedCert(
                    `${name}-${cluster}-cert`,
                    {
                        certRequestPem: csr.certRequestPem,
                        caPrivateKeyPem: rootKeyPem,
                        caCertPem: this.rootCertPem,
                        ...intermediateCertArgs(ca),
                    },
                    { parent: this },
                );
                intermediates[cluster] = {
                    certPem: cert.certPem,
                    keyPem: pulumi.secret(key.privateKeyPem),
                    chainPem: pulumi.all([cert.certPem, this.rootCertPem]).apply(([i, r]) => certChain(i, r)),
                };
            }
        }
        this.intermediates = intermediates;
        this.registerOutputs({ rootCertPem: this.rootCertPem, intermediates: this.intermediates });
    }
}
