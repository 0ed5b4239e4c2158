import * as path from "node:path";

/** Products whose charts the program installs; each has its own folder in an air-gapped chartDir. */
export type ChartProduct = "istio" | "cilium" | "metallb";

export interface ChartSource {
    readonly chart: string;
    readonly version?: string;
    readonly repositoryOpts?: { readonly repo: string };
}

/**
 * Where helm.v3.Release finds a chart: the pinned upstream repository, or `<chartDir>/<product>/<version>/<chart>/`
 * for air-gapped runs (the layout `npm run toolchain` writes).
 */
export function helmChartSource(
    chartDir: string | undefined,
    product: ChartProduct,
    chart: string,
    version: string,
    repository: string,
): ChartSource {
    if (chartDir !== undefined) {
        return { chart: path.join(chartDir, product, version, chart) };
    }
    return { chart, version, repositoryOpts: { repo: repository } };
}

/**
 * Options every Helm release of the program shares: Helm's own --wait (Deployments/DaemonSets ready, LoadBalancers
 * addressed) before dependents start; a failed install rolled back so a re-run starts clean (no stuck release).
 */
export function releaseDefaults(timeoutSeconds: number) {
    return { skipAwait: false, timeout: timeoutSeconds, atomic: true, cleanupOnFail: true, maxHistory: 5 } as const;
}
