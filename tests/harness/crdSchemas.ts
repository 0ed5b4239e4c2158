/**
 * Istio CRD schemas (tests/fixtures/schemas, verbatim extracts of upstream crd-all.gen.yaml) as ajv validators, for
 * the tests that check rendered Istio objects: the served v1 schema, and the fields a schema does not declare (the API
 * server silently drops those, so a typo would pass validation yet never take effect).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";
import { repoRoot } from "./stacks";

export type Schema = Record<string, any>;

export const schemaFixtures = path.join(repoRoot, "tests", "fixtures", "schemas");

export const crdFile = (version: string, crd: string): string => path.join(schemaFixtures, `istio-${version}-${crd}.crd.yaml`);

const docs = new Map<string, Schema>();
export function crdDoc(version: string, crd: string): Schema {
    const file = crdFile(version, crd);
    if (!docs.has(file)) {
        docs.set(file, parseYaml(fs.readFileSync(file, "utf8")) as Schema);
    }
    return docs.get(file) as Schema;
}

export const v1Of = (version: string, crd: string): Schema =>
    (crdDoc(version, crd).spec.versions as Schema[]).find((v) => v.name === "v1") as Schema;

function crdAjv(): Ajv {
    // Kubernetes' OpenAPI formats, which Ajv does not know; keywords it does not know (x-kubernetes-*) are ignored.
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
    ajv.addFormat("double", { type: "number", validate: () => true });
    for (const f of ["byte", "binary", "date-time"]) {
        ajv.addFormat(f, () => true);
    }
    return ajv;
}

const compiled = new Map<string, ValidateFunction>();
export function validator(version: string, crd: string): ValidateFunction {
    const key = `${version}/${crd}`;
    if (!compiled.has(key)) {
        compiled.set(key, crdAjv().compile(v1Of(version, crd).schema.openAPIV3Schema));
    }
    return compiled.get(key) as ValidateFunction;
}

/** [valid, errors] for a value (JSON round-tripped, as the API server receives it). */
export function check(validate: ValidateFunction, value: unknown): [boolean, unknown] {
    const ok = validate(JSON.parse(JSON.stringify(value)));
    return [ok, validate.errors ?? null];
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Dotted paths of `value` its schema does not declare (arrays through `items`; free-form maps declare everything). */
export function undeclaredPaths(schema: Schema | undefined, value: unknown, prefix = ""): string[] {
    if (Array.isArray(value)) {
        return value.flatMap((v, i) => undeclaredPaths(schema?.items as Schema | undefined, v, `${prefix}${i}.`));
    }
    if (!isObject(value) || !schema?.properties) {
        return [];
    }
    const props = schema.properties as Record<string, Schema>;
    return Object.entries(value).flatMap(([k, v]) => (k in props ? undeclaredPaths(props[k], v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}
