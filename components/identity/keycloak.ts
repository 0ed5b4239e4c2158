/**
 * How Keycloak runs, the same on the testbed (a container on server1, keycloakHost.ts) and in a cluster
 * (keycloakKube.ts).
 *
 * Version: quay.io/keycloak/keycloak:26.7.4, the newest 26.x patch found published when this was written
 * (keycloak/keycloak-oauth-sig#1062 "Update Keycloak images to 26.7.4", 2026-09-22; codecentric/helm-charts#931).
 * The behaviour relied on below is that of 26.x:
 * - `start` is the production mode: HTTP off, TLS and --hostname required. A full URL in --hostname (hostname v2)
 *   fixes scheme, host and port of every URL Keycloak issues, so the issuer does not depend on request headers.
 * - Health checks live on the management interface, port 9000, which inherits the main server's TLS: HTTPS.
 * - --health-enabled, --db and --cache are build options: the image is built with other values, so `start`
 *   (without --optimized) first re-augments the server into /opt/keycloak/lib/quarkus, then starts (kc.sh runs
 *   java -Dkc.config.build-and-exit=true first). That directory must be writable (see keycloakKube.ts).
 * - The bootstrap admin comes from KC_BOOTSTRAP_ADMIN_USERNAME / KC_BOOTSTRAP_ADMIN_PASSWORD (the 26.x names; it
 *   is created only in an empty database and flagged temporary). Both are secrets: only ever in the environment,
 *   never on argv.
 * - `--db=dev-file` (H2 in /opt/keycloak/data): acceptable for a testbed, single node only (hence --cache=local:
 *   no cluster discovery). Stated explicitly: the production profile deprecates relying on the default.
 */

import { imageDigests, pinnedImage } from "../core/versions";

/** The image as upstream tags it (the key of its digest in versions.json imageDigests). */
export const keycloakUpstreamImage = "quay.io/keycloak/keycloak:26.7.4";
/** The image every Keycloak (pod or bare-metal container) runs: the tag, and the digest when versions.json has it. */
export const keycloakImage = pinnedImage(keycloakUpstreamImage, imageDigests);
export const keycloakVersion = "26.7.4";

/** HTTPS port inside the container. */
export const keycloakHttpsPort = 8443;
/** Management interface (health) port inside the container; HTTPS like the main port. */
export const keycloakManagementPort = 9000;
/** The image's user: uid 1000, primary group 0 (files under /opt/keycloak are 1000:0, group-writable). */
export const keycloakUid = 1000;

export const containerDataDir = "/opt/keycloak/data";
/** Where --import-realm reads *.json files from. */
export const containerImportDir = `${containerDataDir}/import`;
export const realmFileName = "realm.json";
export const containerTlsDir = "/opt/keycloak/conf/tls";
/** Written by the start-time build (see above). */
export const containerQuarkusDir = "/opt/keycloak/lib/quarkus";

export const bootstrapAdminUsernameEnv = "KC_BOOTSTRAP_ADMIN_USERNAME";
export const bootstrapAdminPasswordEnv = "KC_BOOTSTRAP_ADMIN_PASSWORD";

/**
 * Keycloak 26 features that serve the master realm's administration: `admin` (the admin console, admin:v2) and
 * `admin-api` (the admin REST API it needs). A Keycloak whose realm is imported from code at start needs neither.
 */
export const adminFeatures = ["admin", "admin-api"] as const;

/**
 * The container's arguments (the image's entrypoint is kc.sh). Nothing secret: argv is visible to every user.
 * `adminSurface: false` disables the admin console and admin REST API (build options: `start` re-augments).
 */
export function keycloakArgs(publicUrl: string, options: { readonly adminSurface?: boolean } = {}): string[] {
    return [
        "start",
        "--import-realm",
        `--hostname=${publicUrl}`,
        "--http-enabled=false",
        `--https-port=${keycloakHttpsPort}`,
        `--https-certificate-file=${containerTlsDir}/tls.crt`,
        `--https-certificate-key-file=${containerTlsDir}/tls.key`,
        "--health-enabled=true",
        `--http-management-port=${keycloakManagementPort}`,
        "--db=dev-file",
        "--cache=local",
        ...(options.adminSurface === false ? [`--features-disabled=${adminFeatures.join(",")}`] : []),
    ];
}
