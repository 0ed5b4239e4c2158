/**
 * The mesh CA profile, as pure data, following Istio's tools/certs (common.mk, Makefile.selfsigned.mk):
 * RSA 4096 / SHA-256; root `O=Istio, CN=Root CA`; one intermediate per cluster
 * `O=Istio, CN=Intermediate CA, L=<cluster>`, CA with pathlen 0 and SAN istiod.istio-system.svc.
 */
import { CaLifetimes } from "../config/model";

/** RSA 4096 for root and intermediates (the tls provider's default would be 2048). */
export const caKey = { algorithm: "RSA", rsaBits: 4096 } as const;

/**
 * keyUsage of root and intermediates: a CA signs certificates (keyCertSign) and revocation lists (cRLSign), nothing
 * else. Istio's tools/certs Makefile also sets digitalSignature, nonRepudiation and keyEncipherment, but no CA key of
 * the mesh encrypts or signs anything but certificates; Istio's own CA gives its CA certificates keyCertSign
 * (security/pkg/pki/util, genCertTemplateFromCSR). The tls provider takes snake_case names.
 */
export const caAllowedUses = ["cert_signing", "crl_signing"] as const;

/** The same key usage as an openssl extension line (sim/pki.ts makes external intermediates and roots with it). */
export const caKeyUsageExtension = "keyUsage=critical,keyCertSign,cRLSign";

/** SAN Istio's Makefile puts on each intermediate. */
export const istiodSan = "istiod.istio-system.svc";

export function rootSubject(): { organization: string; commonName: string } {
    return { organization: "Istio", commonName: "Root CA" };
}

export function intermediateSubject(cluster: string): { organization: string; commonName: string; locality: string } {
    return { organization: "Istio", commonName: "Intermediate CA", locality: cluster };
}

/** Inputs of the root's tls.SelfSignedCert (without the key). */
export function rootCertArgs(lifetimes: CaLifetimes) {
    return {
        subject: rootSubject(),
        isCaCertificate: true,
        allowedUses: [...caAllowedUses],
        validityPeriodHours: lifetimes.rootValidityHours,
        setSubjectKeyId: true,
        // No early renewal: replacing the root re-issues every intermediate at once; rotate it deliberately.
        earlyRenewalHours: 0,
    };
}

/** Inputs of an intermediate's tls.CertRequest (without the key). */
export function intermediateRequestArgs(cluster: string) {
    return { subject: intermediateSubject(cluster), dnsNames: [istiodSan] };
}

/** Inputs of an intermediate's tls.LocallySignedCert (without request and CA). */
export function intermediateCertArgs(lifetimes: CaLifetimes) {
    return {
        isCaCertificate: true,
        // Asked for, but terraform-provider-tls sets x509 MaxPathLen without MaxPathLenZero, so Go omits a 0
        // constraint (internal/provider/common_cert.go): generated intermediates carry no pathlen. Profile-exact
        // intermediates: caSource external-intermediates (README, Security model).
        maxPathLength: 0,
        allowedUses: [...caAllowedUses],
        validityPeriodHours: lifetimes.intermediateValidityHours,
        // Re-issued on the first `pulumi up` inside this window; istiod restarts through the cacerts hash.
        earlyRenewalHours: lifetimes.renewBeforeHours,
        setSubjectKeyId: true,
    };
}

/** `cert-chain.pem`: the intermediate, then the root (Istio's layout). */
export function certChain(intermediatePem: string, rootPem: string): string {
    return `${intermediatePem.trim()}\n${rootPem.trim()}\n`;
}

/** The four keys of the `cacerts` Secret, exactly as istiod's plug-in CA reads them. */
export function cacertsData(bundle: { certPem: string; keyPem: string; rootPem: string; chainPem: string }): Record<string, string> {
    return {
        "ca-cert.pem": bundle.certPem,
        "ca-key.pem": bundle.keyPem,
        "root-cert.pem": bundle.rootPem,
        "cert-chain.pem": bundle.chainPem,
    };
}
