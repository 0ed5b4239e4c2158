/**
 * Input checks shared by the identity renderers. Each throws an Error that starts with the field's name and never
 * quotes a secret.
 */
import { isDnsName, parseTaggedImage } from "../core/net";
import { show, withoutUrlCredentials } from "../core/validate";

const pemCertificates = /^(?:-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n*)+$/;

/** A DNS name or IPv4 address (no scheme, no port). */
export function checkHost(field: string, host: string): void {
    if (!isDnsName(host)) {
        throw new Error(`${field}: expected a host name or IPv4 address like "keycloak.lab", got ${show(host)}`);
    }
}

export function checkPort(field: string, port: number): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`${field}: expected an integer from 1 to 65535, got ${String(port)}`);
    }
}

/** An image pinned by a tag other than "latest"; returns the tag. */
export function checkPinnedImage(field: string, image: string): string {
    const match = parseTaggedImage(image);
    if (!match) {
        throw new Error(`${field}: expected an image pinned by tag like "quay.io/keycloak/keycloak:26.7.4", got "${image}"`);
    }
    if (match.tag.toLowerCase() === "latest") {
        throw new Error(`${field}: "${image}" is not pinned; use a version tag`);
    }
    return match.tag;
}

/** PEM text with CRLF removed and exactly one final newline. */
export function normalizePem(pem: string): string {
    return pem.replace(/\r/g, "").trim() + "\n";
}

export function checkPemCertificates(field: string, pem: string): void {
    if (!pemCertificates.test(normalizePem(pem))) {
        throw new Error(`${field}: expected one or more PEM certificates (-----BEGIN CERTIFICATE-----)`);
    }
}

/**
 * `https://host[:port]` in the canonical form URL parsing gives (lower-case host, no default port, no path, no
 * trailing slash): the issuer is compared as a string, so two spellings of one URL would be two issuers.
 */
export function checkHttpsBase(field: string, url: string): URL {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        throw new Error(`${field}: expected an https URL like "https://keycloak.lab:8443", got "${withoutUrlCredentials(url)}"`);
    }
    if (parsed.protocol !== "https:") {
        throw new Error(`${field}: must use https (tokens and the JWKS travel over it), got "${withoutUrlCredentials(url)}"`);
    }
    if (parsed.username || parsed.password || parsed.search || parsed.hash || parsed.pathname !== "/") {
        throw new Error(
            `${field}: expected only scheme, host and port (no path, query or credentials), got "${withoutUrlCredentials(url)}"`,
        );
    }
    const canonical = `https://${parsed.host}`;
    if (url !== canonical) {
        throw new Error(`${field}: write it as "${canonical}" (the issuer is compared as a string), got "${url}"`);
    }
    checkHost(field, parsed.hostname);
    return parsed;
}

/**
 * The URL Keycloak is reached at: Keycloak's --hostname (a full URL pins scheme, host and port of every URL it
 * issues, the issuer among them).
 */
export function publicBaseUrl(hostname: string, port: number): string {
    return port === 443 ? `https://${hostname}` : `https://${hostname}:${port}`;
}
