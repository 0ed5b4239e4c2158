/**
 * Every top-level key of the project's config namespace (`zta-testbed:<key>`). A key not in this list is refused,
 * naming it and the nearest known key: a misspelt `trustDomian` would otherwise be ignored and its default applied.
 * README's configuration reference documents exactly these (tests/config/keys.test.ts keeps the two equal, and checks
 * that the parser reads nothing else).
 */
export const configKeys = [
    "platform",
    "versionProfile",
    "meshId",
    "trustDomain",
    "clusters",
    "kubeconfigs",
    "hosts",
    "ssh",
    "sshPrivateKey",
    "registry",
    "peers",
    "caSource",
    "caRootValidityDays",
    "caIntermediateValidityDays",
    "caRenewBeforeDays",
    "caRootCert",
    "caRootKey",
    "caIntermediates",
    "helmTimeoutSeconds",
    "chartRepository",
    "chartDir",
    "istioHub",
    "sampleRegistry",
    "ingressNamespace",
    "workloadCertTtlHours",
    "identity",
    "ingressHost",
    "identityTls",
    "identityCredentials",
    "verificationTimeoutSeconds",
    "controlPlaneChecks",
    "observability",
    "observabilityCredentials",
] as const;

export type ConfigKey = (typeof configKeys)[number];

const known: ReadonlySet<string> = new Set(configKeys);

/** Is `key` one of the project's config keys? (A Set: `__proto__` or `constructor` are not.) */
export const isConfigKey = (key: string): key is ConfigKey => known.has(key);

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions), case-insensitive. */
export function editDistance(a: string, b: string): number {
    const s = a.toLowerCase();
    const t = b.toLowerCase();
    const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...Array<number>(t.length).fill(0)]);
    for (let j = 1; j <= t.length; j++) {
        d[0][j] = j;
    }
    for (let i = 1; i <= s.length; i++) {
        for (let j = 1; j <= t.length; j++) {
            const cost = s[i - 1] === t[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[s.length][t.length];
}

/** The known key nearest to `key`, when it is near enough to be a plausible slip (a third of its length at most). */
export function nearestConfigKey(key: string): ConfigKey | undefined {
    let best: { key: ConfigKey; distance: number } | undefined;
    for (const k of configKeys) {
        const distance = editDistance(key, k);
        if (!best || distance < best.distance) {
            best = { key: k, distance };
        }
    }
    return best && best.distance <= Math.max(2, Math.floor(best.key.length / 3)) ? best.key : undefined;
}
