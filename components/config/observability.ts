/**
 * The observability part of the config model: Prometheus retention, where Istio's standard dashboards come from,
 * Kiali's local address (its OpenID redirect), the Keycloak user that may log in to Kiali, and optionally given
 * credentials (`observabilityCredentials`, secret) for stacks without the random provider (the sim).
 */
import { z } from "zod";
import { IstioDashboardSource, ObservabilityConfig, ObservabilityCredentials } from "./model";
import { Problems, show } from "./problems";
import { Sensitive } from "./sensitive";
import { parseStructured } from "./structured";

export const observabilityDefaults = {
    retention: "7d",
    kialiLocalPort: 20001,
    observerUser: "observer",
} as const;

const schema = z
    .object({
        retention: z.string().optional(),
        istioDashboards: z.string().optional(),
        kialiLocalPort: z.number().optional(),
        observerUser: z.string().optional(),
    })
    .strict();

const credentialsSchema = z
    .object({ grafanaAdminPassword: z.string(), kialiSigningKey: z.string(), observerPassword: z.string() })
    .strict();

export interface ObservabilityRaw {
    readonly observability?: string;
    readonly observabilityCredentials?: string;
    readonly observabilityCredentialsIsSecret: boolean;
}

// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]/;
const hasControl = (s: string): boolean => controlCharacters.test(s);

export function readObservability(problems: Problems, raw: ObservabilityRaw): ObservabilityConfig {
    const entry =
        (raw.observability === undefined ? undefined : parseStructured(problems, "observability", raw.observability, schema)) ?? {};
    const retention = entry.retention ?? observabilityDefaults.retention;
    if (!/^[1-9][0-9]{0,3}[hdw]$/.test(retention)) {
        problems.add("observability.retention", `must be a Prometheus duration in hours, days or weeks like "7d", got ${show(retention)}`);
    }
    const source = entry.istioDashboards ?? "download";
    let istioDashboards: IstioDashboardSource = { kind: "download" };
    if (source === "none") {
        istioDashboards = { kind: "none" };
    } else if (source.startsWith("/")) {
        if (hasControl(source) || source.split("/").includes("..")) {
            problems.add("observability.istioDashboards", `must be a plain absolute directory path, got ${show(source)}`);
        } else {
            istioDashboards = { kind: "directory", path: source };
        }
    } else if (source !== "download") {
        let ok = false;
        try {
            const u = new URL(source);
            ok = u.protocol === "https:" && !u.username && !u.password && !u.search && !u.hash;
        } catch {
            ok = false;
        }
        if (ok) {
            istioDashboards = { kind: "download", baseUrl: source };
        } else {
            problems.add(
                "observability.istioDashboards",
                `must be "download", "none", an https:// mirror URL without credentials or an absolute directory, got ${show(source)}`,
            );
        }
    }
    const port = entry.kialiLocalPort ?? observabilityDefaults.kialiLocalPort;
    if (!Number.isInteger(port) || port < 1024 || port > 65535) {
        problems.add(
            "observability.kialiLocalPort",
            `must be an integer from 1024 to 65535 (an unprivileged local port), got ${show(port)}`,
        );
    }
    const observerUser = entry.observerUser ?? observabilityDefaults.observerUser;
    if (!/^[a-z0-9._-]{1,64}$/.test(observerUser) || observerUser.startsWith("service-account-")) {
        problems.add(
            "observability.observerUser",
            `must be 1-64 characters of [a-z0-9._-], not starting with "service-account-", got ${show(observerUser)}`,
        );
    }

    let credentials: ObservabilityCredentials | undefined;
    if (raw.observabilityCredentials !== undefined) {
        if (!raw.observabilityCredentialsIsSecret) {
            problems.add("observabilityCredentials", "holds credentials and must be set with --secret (it is stored in plain text now)");
        }
        const c = parseStructured(problems, "observabilityCredentials", raw.observabilityCredentials, credentialsSchema, true);
        if (c) {
            if (c.grafanaAdminPassword.length < 16 || c.grafanaAdminPassword.length > 256 || hasControl(c.grafanaAdminPassword)) {
                problems.add("observabilityCredentials.grafanaAdminPassword", "must be 16-256 characters without control characters");
            }
            if (!/^[A-Za-z0-9]{32}$/.test(c.kialiSigningKey)) {
                problems.add(
                    "observabilityCredentials.kialiSigningKey",
                    "must be exactly 32 characters of [A-Za-z0-9] (Kiali accepts 16, 24 or 32 bytes)",
                );
            }
            if (!/^[A-Za-z0-9_-]{16,128}$/.test(c.observerPassword)) {
                problems.add("observabilityCredentials.observerPassword", "must be 16-128 characters of [A-Za-z0-9_-]");
            }
            credentials = {
                grafanaAdminPassword: new Sensitive(c.grafanaAdminPassword),
                kialiSigningKey: new Sensitive(c.kialiSigningKey),
                observerPassword: new Sensitive(c.observerPassword),
            };
        }
    }
    return {
        retention,
        istioDashboards,
        kialiLocalPort: port,
        observerUser,
        ...(credentials ? { credentials } : {}),
    };
}
