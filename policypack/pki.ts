/**
 * zero-trust.md "Mesh", CA: certificates the program issues as CAs (tls provider SelfSignedCert/LocallySignedCert with
 * isCaCertificate) carry only what a CA key does — sign certificates and CRLs (digitalSignature tolerated).
 */
import { describeObject, json, PolicyObject, ResourceRule, strings } from "./model";

const CA_CERT_TYPES = ["tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert"];
/** The tls provider's names (allowed_uses) a CA certificate may carry. */
export const CA_ALLOWED_USES = ["cert_signing", "crl_signing", "digital_signature"] as const;

const isCaCert = (r: PolicyObject): boolean => CA_CERT_TYPES.includes(r.type) && r.props.isCaCertificate === true;

export const caCertificateUses: ResourceRule = {
    scope: "resource",
    name: "ca-certificate-key-usage",
    description: `A CA certificate made with the tls provider (isCaCertificate) has allowedUses only from ${CA_ALLOWED_USES.join(", ")}: no key_encipherment, content_commitment or other end-entity use.`,
    reference: "CA: same root in both clusters, different intermediates, cacerts before istiod, key sizes/validity stated",
    enforcementLevel: "mandatory",
    check: (r) => {
        if (!isCaCert(r)) {
            return [];
        }
        const extra = strings(r.props.allowedUses).filter((u) => !(CA_ALLOWED_USES as readonly string[]).includes(u));
        return extra.length === 0
            ? []
            : [`${describeObject(r)}: allowedUses has ${json(extra)}; a CA certificate only signs certificates and CRLs`];
    },
};
