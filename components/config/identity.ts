/**
 * The identity and ingress part of the config model: the Keycloak realm (client, audience, token lifetime), where
 * Keycloak runs and is reached, the ingress host name, and optionally ready-made TLS material (`identityTls`) for
 * stacks that cannot or should not mint it in Pulumi (the sim: no tls provider offline; or a CA of your own).
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { z } from "zod";
import { isDnsLabel, isIPv4, isQualifiedHostName } from "../core/net";
import { unservableHostProblem } from "./addresses";
import { hasRejectedHosts } from "./baremetal";
import { BareMetalConfig, ExternalIdentityTls, IdentityConfig, KeycloakPlacement, PlatformKind } from "./model";
import { keyMatchProblem, splitPemBundle } from "./pem";
import { Problems, show } from "./problems";
import { Sensitive } from "./sensitive";
import { parseStructured } from "./structured";
import { ownedNamespaces } from "../core/namespaces";

/** Also in parse.ts configDefaults (Pulumi.yaml declares it). */
const configDefaultIngressHost = "httpbin.zta.test";

export const identityDefaults = {
    realm: "zta",
    clientId: "zta-client",
    audience: "zta-ingress",
    accessTokenLifespanSeconds: 300,
    port: 8443,
    ingressHost: configDefaultIngressHost,
    certValidityDays: 365,
    /** In-cluster Keycloak: namespace and the Service's cluster-local name (reachable by in-cluster callers). */
    namespace: ownedNamespaces.identity,
} as const;

const identitySchema = z
    .object({
        realm: z.string().optional(),
        clientId: z.string().optional(),
        audience: z.string().optional(),
        accessTokenLifespanSeconds: z.number().optional(),
        jwks: z.enum(["inline"]).optional(),
        hostname: z.string().optional(),
        port: z.number().optional(),
        certValidityDays: z.number().optional(),
    })
    .strict();

const identityTlsSchema = z
    .object({
        caCert: z.string(),
        ingressCert: z.string(),
        ingressKey: z.string(),
        keycloakCert: z.string(),
        keycloakKey: z.string(),
        realmSigningKey: z.string(),
    })
    .strict();

const audiencePattern = /^[A-Za-z0-9._:/-]{1,255}$/;

/** In-cluster Keycloak's default host name: its Service, resolvable by every pod of its cluster. */
export function inClusterKeycloakHostname(namespace: string): string {
    return `keycloak.${namespace}.svc.cluster.local`;
}

/** A DNS name with a letter in its last label (so "10.5.0.300" is not taken for a name). */
function isDnsName(host: string): boolean {
    return isQualifiedHostName(host) && /[a-z]/.test(host.split(".").pop() ?? "");
}

/** Problems of a ready-made server certificate: parsable, valid now and for `host`, issued by `ca`. */
function serverCertProblems(certPem: string, ca: X509Certificate | undefined, host: string): string[] {
    let cert: X509Certificate;
    try {
        cert = new X509Certificate(splitPemBundle(certPem)[0] ?? "");
    } catch {
        return ["is not a parsable PEM certificate"];
    }
    const problems: string[] = [];
    const valid = isIPv4(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
    if (!valid) {
        problems.push(`is not valid for ${show(host)} (no matching subjectAltName)`);
    }
    if (ca && (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))) {
        problems.push("is not issued by identityTls.caCert");
    }
    const now = new Date();
    if (new Date(cert.validTo) <= now) {
        problems.push(`expired on ${cert.validTo}`);
    }
    if (new Date(cert.validFrom) > now) {
        problems.push(`is not valid before ${cert.validFrom}`);
    }
    return problems;
}

export interface IdentityRaw {
    readonly identity?: string;
    readonly ingressHost?: string;
    readonly identityTls?: string;
    readonly identityTlsIsSecret: boolean;
    readonly identityCredentials?: string;
    readonly identityCredentialsIsSecret: boolean;
}

const credentialsSchema = z.object({ clientSecret: z.string(), adminPassword: z.string().optional() }).strict();

/** Reads and validates the identity/ingress keys; every problem goes to `problems`, named by key and value. */
export function readIdentity(
    problems: Problems,
    raw: IdentityRaw,
    platform: PlatformKind | undefined,
    firstCluster: string | undefined,
    baremetal: BareMetalConfig | undefined,
): IdentityConfig {
    const entry = (raw.identity === undefined ? undefined : parseStructured(problems, "identity", raw.identity, identitySchema)) ?? {};
    const realm = entry.realm ?? identityDefaults.realm;
    if (!isDnsLabel(realm) || realm === "master") {
        problems.add(
            "identity.realm",
            realm === "master"
                ? 'must not be "master" (Keycloak\'s administration realm)'
                : `must be 1-63 characters of [a-z0-9-], got ${show(realm)}`,
        );
    }
    const clientId = entry.clientId ?? identityDefaults.clientId;
    if (!isDnsLabel(clientId)) {
        problems.add("identity.clientId", `must be 1-63 characters of [a-z0-9-], got ${show(clientId)}`);
    }
    const audience = entry.audience ?? identityDefaults.audience;
    if (!audiencePattern.test(audience)) {
        problems.add("identity.audience", `must be 1-255 characters of [A-Za-z0-9._:/-], got ${show(audience)}`);
    }
    const lifespan = entry.accessTokenLifespanSeconds ?? identityDefaults.accessTokenLifespanSeconds;
    if (!Number.isInteger(lifespan) || lifespan < 60 || lifespan > 900) {
        problems.add(
            "identity.accessTokenLifespanSeconds",
            `must be an integer from 60 to 900 (short-lived tokens), got ${show(lifespan)}`,
        );
    }
    const port = entry.port ?? identityDefaults.port;
    if (!Number.isInteger(port) || port < 1 || port > 65535 || port === 9000) {
        problems.add("identity.port", `must be an integer from 1 to 65535 other than 9000 (Keycloak's management port), got ${show(port)}`);
    }
    const certDays = entry.certValidityDays ?? identityDefaults.certValidityDays;
    if (!Number.isInteger(certDays) || certDays < 1 || certDays > 825) {
        problems.add("identity.certValidityDays", `must be an integer from 1 to 825, got ${show(certDays)}`);
    }

    let placement: KeycloakPlacement;
    let defaultHostname: string;
    if (platform === "testbed" && baremetal) {
        const hosts = baremetal.hosts.filter((h) => h.roles.includes("keycloak"));
        if (hosts.length !== 1 && !(hosts.length === 0 && hasRejectedHosts(baremetal))) {
            problems.add(
                "hosts",
                `exactly one host needs the role "keycloak" (the realm's issuer), got ${hosts.length === 0 ? "none" : hosts.map((h) => show(h.name)).join(", ")}`,
            );
        } else if (hosts.length === 1 && baremetal.registry.host !== "" && hosts[0].name !== baremetal.registry.host) {
            problems.add(
                `hosts.${hosts[0].name}.roles`,
                `"keycloak" must be on the registry host ${show(baremetal.registry.host)} (its setup installs the Docker Engine Keycloak runs on)`,
            );
        }
        const host = hosts[0];
        placement = { kind: "host", host: host?.name ?? "", address: host?.management.address ?? "" };
        defaultHostname = host?.management.address ?? "";
    } else {
        placement = { kind: "cluster", cluster: firstCluster ?? "", namespace: identityDefaults.namespace };
        defaultHostname = inClusterKeycloakHostname(identityDefaults.namespace);
    }
    const hostname = entry.hostname ?? defaultHostname;
    if (entry.hostname !== undefined && !isDnsName(hostname) && !isIPv4(hostname)) {
        problems.add("identity.hostname", `must be a lower-case DNS name or an IPv4 address, got ${show(hostname)}`);
    } else if (entry.hostname !== undefined) {
        const unservable = unservableHostProblem(hostname);
        if (unservable) {
            problems.add("identity.hostname", `must be reachable from the clusters, but ${show(hostname)} ${unservable}`);
        } else if (placement.kind === "host" && isIPv4(hostname)) {
            // Keycloak is published on its host's management address only: any other address is an issuer nobody serves.
            const other = baremetal?.hosts.find((h) => h.management.address === hostname || h.service?.address === hostname);
            if (placement.address !== "" && hostname !== placement.address) {
                problems.add(
                    "identity.hostname",
                    `must be the management address of the "keycloak" host ${show(placement.host)} (${placement.address}), where Keycloak is published, got ${show(hostname)}${other ? `, an address of ${show(other.name)}` : ""}`,
                );
            }
        }
    }

    const ingressHost = raw.ingressHost ?? identityDefaults.ingressHost;
    if (!isDnsName(ingressHost)) {
        problems.add("ingressHost", `must be a lower-case DNS name with at least two labels and no wildcard, got ${show(ingressHost)}`);
    } else if (unservableHostProblem(ingressHost)) {
        problems.add(
            "ingressHost",
            `must be a name clients resolve to the ingress, but ${show(ingressHost)} ${unservableHostProblem(ingressHost)}`,
        );
    }

    let tls: ExternalIdentityTls | undefined;
    if (raw.identityTls !== undefined) {
        if (!raw.identityTlsIsSecret) {
            problems.add("identityTls", "holds private keys and must be set with --secret (it is stored in plain text now)");
        }
        const t = parseStructured(problems, "identityTls", raw.identityTls, identityTlsSchema, true);
        if (t) {
            let ca: X509Certificate | undefined;
            try {
                ca = new X509Certificate(splitPemBundle(t.caCert)[0] ?? "");
                if (!ca.ca) {
                    problems.add("identityTls.caCert", "is not a CA certificate (basicConstraints CA:FALSE)");
                }
            } catch {
                problems.add("identityTls.caCert", "is not a parsable PEM certificate");
            }
            const servers = [
                ["ingress", t.ingressCert, t.ingressKey, ingressHost],
                ["keycloak", t.keycloakCert, t.keycloakKey, hostname],
            ] as const;
            for (const [role, certPem, keyPem, host] of servers) {
                for (const p of serverCertProblems(certPem, ca, host)) {
                    problems.add(`identityTls.${role}Cert`, p);
                }
                const mismatch = keyMatchProblem(certPem, keyPem, "the");
                if (mismatch && !mismatch.endsWith("certificate is not parsable")) {
                    problems.add(`identityTls.${role}Key`, mismatch.replace(/^the /, ""));
                }
            }
            try {
                const key = createPrivateKey(t.realmSigningKey);
                const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
                if (key.asymmetricKeyType !== "rsa" || bits < 2048) {
                    problems.add("identityTls.realmSigningKey", "must be an RSA private key of at least 2048 bits (Keycloak signs RS256)");
                }
            } catch {
                problems.add("identityTls.realmSigningKey", "is not a parsable PEM private key");
            }
            tls = {
                caCertPem: t.caCert,
                ingress: { certPem: t.ingressCert, keyPem: new Sensitive(t.ingressKey) },
                keycloak: { certPem: t.keycloakCert, keyPem: new Sensitive(t.keycloakKey) },
                realmSigningKeyPem: new Sensitive(t.realmSigningKey),
            };
        }
    }

    let credentials: IdentityConfig["credentials"];
    if (raw.identityCredentials !== undefined) {
        if (!raw.identityCredentialsIsSecret) {
            problems.add("identityCredentials", "holds credentials and must be set with --secret (it is stored in plain text now)");
        }
        const c = parseStructured(problems, "identityCredentials", raw.identityCredentials, credentialsSchema, true);
        if (c) {
            // Substituted into the realm file's JSON text by Keycloak: placeholder-safe characters only.
            if (!/^[A-Za-z0-9_-]{32,128}$/.test(c.clientSecret)) {
                problems.add("identityCredentials.clientSecret", "must be 32-128 characters of [A-Za-z0-9_-]");
            }
            const admin = c.adminPassword;
            if (admin !== undefined && placement.kind === "host") {
                // Keycloak on a host keeps no admin at all (the realm is code): a given password would be unused.
                problems.add(
                    "identityCredentials.adminPassword",
                    "Keycloak on a host has no admin user (the realm is imported from code); leave it out",
                );
                // eslint-disable-next-line no-control-regex
            } else if (admin !== undefined && (admin.length < 16 || admin.length > 256 || /[\u0000-\u001f\u007f]/.test(admin))) {
                problems.add("identityCredentials.adminPassword", "must be 16-256 characters without control characters");
            }
            credentials = {
                clientSecret: new Sensitive(c.clientSecret),
                ...(admin !== undefined ? { adminPassword: new Sensitive(admin) } : {}),
            };
        }
    }

    return {
        realm,
        clientId,
        audience,
        accessTokenLifespanSeconds: lifespan,
        jwks: entry.jwks ?? "inline",
        hostname,
        port,
        placement,
        ingressHost,
        certValidityHours: certDays * 24,
        ...(tls ? { tls } : {}),
        ...(credentials ? { credentials } : {}),
    };
}
