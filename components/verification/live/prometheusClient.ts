/**
 * Asking a running Prometheus (its HTTP API, v1) what it scrapes, which rules it loaded and which alerts are active:
 * how the sim shows the observability layer acting on a real istiod. Plain HTTP to the pod (sim: its pod IP; a live
 * cluster: a port-forward), read-only GETs, bounded by a timeout.
 */
import * as http from "node:http";

export interface PrometheusEndpoint {
    readonly host: string;
    readonly port: number;
}

export interface Sample {
    readonly metric: Readonly<Record<string, string>>;
    readonly value: number;
}

export interface Target {
    readonly scrapePool: string;
    readonly scrapeUrl: string;
    readonly health: "up" | "down" | "unknown";
    readonly lastError: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly discoveredLabels: Readonly<Record<string, string>>;
}

export interface RuleView {
    readonly name: string;
    readonly type: "alerting" | "recording";
    readonly query: string;
    readonly health: string;
    readonly lastError?: string;
    readonly state?: "inactive" | "pending" | "firing";
    readonly alerts?: readonly ActiveAlert[];
}

export interface RuleGroupView {
    readonly name: string;
    readonly file: string;
    readonly rules: readonly RuleView[];
    readonly lastEvaluation: string;
}

export interface ActiveAlert {
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly state: "pending" | "firing";
    readonly activeAt: string;
    readonly value: string;
}

function get(endpoint: PrometheusEndpoint, pathAndQuery: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: endpoint.host, port: endpoint.port, path: pathAndQuery, timeout: timeoutMs }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${pathAndQuery}: no answer in ${timeoutMs} ms`)));
        req.on("error", reject);
    });
}

async function api<T>(endpoint: PrometheusEndpoint, pathAndQuery: string): Promise<T> {
    const r = await get(endpoint, pathAndQuery);
    const body = JSON.parse(r.body) as { status: string; data: T; error?: string };
    if (r.status !== 200 || body.status !== "success") {
        throw new Error(`Prometheus ${endpoint.host}:${endpoint.port}${pathAndQuery.split("?")[0]}: HTTP ${r.status} ${body.error ?? ""}`);
    }
    return body.data;
}

export class PrometheusClient {
    constructor(readonly endpoint: PrometheusEndpoint) {}

    /** /-/ready answers 200 once the TSDB is open and the configuration loaded. */
    async ready(): Promise<boolean> {
        try {
            return (await get(this.endpoint, "/-/ready", 3000)).status === 200;
        } catch {
            return false;
        }
    }

    /** An instant query. */
    async query(expr: string): Promise<Sample[]> {
        const data = await api<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>(
            this.endpoint,
            `/api/v1/query?query=${encodeURIComponent(expr)}`,
        );
        if (data.resultType !== "vector") {
            throw new Error(`query ${expr}: expected a vector, got ${data.resultType}`);
        }
        return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    }

    async targets(): Promise<Target[]> {
        return (await api<{ activeTargets: Target[] }>(this.endpoint, "/api/v1/targets?state=active")).activeTargets;
    }

    async ruleGroups(): Promise<RuleGroupView[]> {
        return (await api<{ groups: RuleGroupView[] }>(this.endpoint, "/api/v1/rules")).groups;
    }

    /** Pending and firing alerts. */
    async alerts(): Promise<ActiveAlert[]> {
        return (await api<{ alerts: ActiveAlert[] }>(this.endpoint, "/api/v1/alerts")).alerts;
    }

    /** What /federate gives a federating Prometheus for these match[] selectors (exposition text). */
    async federate(match: readonly string[]): Promise<string> {
        const q = match.map((m) => `match[]=${encodeURIComponent(m)}`).join("&");
        const r = await get(this.endpoint, `/federate?${q}`);
        if (r.status !== 200) {
            throw new Error(`Prometheus ${this.endpoint.host}:${this.endpoint.port}/federate: HTTP ${r.status}`);
        }
        return r.body;
    }
}

/** Metric names in exposition text (the # TYPE lines). */
export function exposedMetricNames(text: string): string[] {
    return [...new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]))].sort();
}
