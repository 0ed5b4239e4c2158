/** Grafana dashboards as typed objects: the spec the project writes, and its rendering to Grafana JSON (ids, grid, variables). */

export const datasource = { type: "prometheus", uid: "zta-mesh-prometheus" } as const;

export type Unit = "reqps" | "cps" | "percentunit" | "ms" | "h" | "d" | "short";

export interface Query {
    readonly expr: string;
    /** Legend, with {{label}} placeholders. */
    readonly legend?: string;
    /** Tables of current values: one evaluation instead of a range. */
    readonly instant?: boolean;
}

export interface PanelSpec {
    readonly title: string;
    readonly description: string;
    readonly kind: "timeseries" | "stat" | "table";
    readonly unit: Unit;
    readonly queries: readonly Query[];
    /** Width in grid columns (24 per row); height in grid units. */
    readonly width: number;
    readonly height: number;
    /** Values below (or above, with `direction: "above"`) `value` are red. */
    readonly threshold?: { readonly value: number; readonly direction: "below" | "above" };
}

export interface VariableSpec {
    readonly name: string;
    readonly label: string;
    /** `label_values(<series>, <label>)`. */
    readonly series: string;
    readonly valuesOf: string;
}

export interface DashboardSpec {
    readonly uid: string;
    readonly title: string;
    readonly description: string;
    readonly variables: readonly VariableSpec[];
    readonly panels: readonly PanelSpec[];
}

/** Grafana's dashboard JSON model (the subset we write). */
export interface GrafanaDashboard {
    readonly uid: string;
    readonly title: string;
    readonly description: string;
    readonly tags: readonly string[];
    readonly schemaVersion: number;
    readonly version: number;
    readonly editable: boolean;
    readonly refresh: string;
    readonly time: { readonly from: string; readonly to: string };
    readonly timezone: string;
    readonly templating: { readonly list: readonly Record<string, unknown>[] };
    readonly panels: readonly GrafanaPanel[];
}

export interface GrafanaPanel {
    readonly id: number;
    readonly type: string;
    readonly title: string;
    readonly description: string;
    readonly datasource: typeof datasource;
    readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
    readonly targets: readonly {
        readonly refId: string;
        readonly datasource: typeof datasource;
        readonly expr: string;
        readonly legendFormat: string;
        readonly instant: boolean;
        readonly range: boolean;
        readonly format: "time_series" | "table";
    }[];
    readonly fieldConfig: { readonly defaults: Record<string, unknown>; readonly overrides: readonly unknown[] };
    readonly options: Record<string, unknown>;
}

const gridColumns = 24;

/** Lays panels out left to right, wrapping to a new row when the next one does not fit. */
function layout(panels: readonly PanelSpec[]): { x: number; y: number; w: number; h: number }[] {
    let x = 0;
    let y = 0;
    let rowHeight = 0;
    return panels.map((p) => {
        if (!Number.isInteger(p.width) || p.width < 1 || p.width > gridColumns) {
            throw new Error(`panel "${p.title}": width must be 1-${gridColumns}, got ${p.width}`);
        }
        if (x + p.width > gridColumns) {
            x = 0;
            y += rowHeight;
            rowHeight = 0;
        }
        const pos = { x, y, w: p.width, h: p.height };
        x += p.width;
        rowHeight = Math.max(rowHeight, p.height);
        return pos;
    });
}

function panel(spec: PanelSpec, id: number, gridPos: GrafanaPanel["gridPos"]): GrafanaPanel {
    const steps = spec.threshold
        ? spec.threshold.direction === "below"
            ? [
                  { color: "red", value: null },
                  { color: "green", value: spec.threshold.value },
              ]
            : [
                  { color: "green", value: null },
                  { color: "red", value: spec.threshold.value },
              ]
        : [{ color: "green", value: null }];
    return {
        id,
        type: spec.kind,
        title: spec.title,
        description: spec.description,
        datasource,
        gridPos,
        targets: spec.queries.map((q, i) => ({
            refId: String.fromCharCode(65 + i),
            datasource,
            expr: q.expr,
            legendFormat: q.legend ?? "__auto",
            instant: spec.kind !== "timeseries" || q.instant === true,
            range: spec.kind === "timeseries" && q.instant !== true,
            format: spec.kind === "table" ? "table" : "time_series",
        })),
        fieldConfig: {
            defaults: { unit: spec.unit, thresholds: { mode: "absolute", steps }, ...(spec.kind === "stat" ? { decimals: 1 } : {}) },
            overrides: [],
        },
        options:
            spec.kind === "stat"
                ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background", graphMode: "none" }
                : spec.kind === "table"
                  ? { showHeader: true, sortBy: [{ displayName: "Value", desc: false }] }
                  : { legend: { displayMode: "table", placement: "right", calcs: ["lastNotNull", "max"] }, tooltip: { mode: "multi" } },
    };
}

function variable(v: VariableSpec): Record<string, unknown> {
    const query = `label_values(${v.series}, ${v.valuesOf})`;
    return {
        name: v.name,
        label: v.label,
        type: "query",
        datasource,
        definition: query,
        query: { query, refId: `${v.name}-values` },
        refresh: 2,
        includeAll: true,
        multi: true,
        allValue: ".*",
        current: { selected: true, text: ["All"], value: ["$__all"] },
        sort: 1,
    };
}

export function renderDashboard(spec: DashboardSpec): GrafanaDashboard {
    const positions = layout(spec.panels);
    return {
        uid: spec.uid,
        title: spec.title,
        description: spec.description,
        tags: ["zta-testbed", "istio"],
        schemaVersion: 39,
        version: 1,
        // Provisioned from code: edits in the UI would be lost at the next `pulumi up`.
        editable: false,
        refresh: "30s",
        time: { from: "now-1h", to: "now" },
        timezone: "utc",
        templating: { list: spec.variables.map(variable) },
        panels: spec.panels.map((p, i) => panel(p, i + 1, positions[i])),
    };
}
