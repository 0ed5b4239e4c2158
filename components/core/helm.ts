import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

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

export interface HelmReleaseArgs {
    /** Helm's release name. */
    readonly name: string;
    readonly namespace: pulumi.Input<string>;
    readonly chart: ChartSource;
    readonly values: pulumi.Input<Record<string, unknown>>;
    readonly timeoutSeconds: number;
}

/** A Helm release with the options every release of the program shares (releaseDefaults). */
export function helmRelease(resourceName: string, args: HelmReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    return new k8s.helm.v3.Release(
        resourceName,
        { name: args.name, namespace: args.namespace, ...args.chart, values: args.values, ...releaseDefaults(args.timeoutSeconds) },
        opts,
    );
}
