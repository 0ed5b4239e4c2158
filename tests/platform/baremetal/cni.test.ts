/**
 * Cilium and MetalLB: the Helm values and the MetalLB CRs we render, checked against the upstream schemas at the
 * pinned versions (tests/fixtures/schemas, provenance in its README), plus the Istio-critical values asserted exactly.
 *
 * Neither the chart schemas nor the CRD schemas forbid unknown keys (Helm ignores them, the API server prunes them),
 * so a misspelt key would pass schema validation and silently do nothing. Every key we set is therefore also
 * required to be declared (by the schema, or for MetalLB by the chart's defaults) or to be on a short, explained list.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { ValidateFunction } from "ajv";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { CiliumInput, ciliumChart, ciliumValues } from "../../../components/core/cni/cilium";
import {
    ipAddressPoolManifest,
    l2AdvertisementManifest,
    metallbChart,
    metallbNamespaceLabels,
    metallbValues,
    MetallbPoolInput,
} from "../../../components/platform/baremetal/metallb";
import { versionProfiles } from "../../../components/core/versions";
import { announceNoSharedSchemas, describeProvenance, sharedPresent, sharedSchemas } from "../../harness/fixtures";
import { repoRoot } from "../../harness/stacks";

const fixtures = path.join(repoRoot, "tests", "fixtures", "schemas");
const shared = sharedSchemas;
const ciliumVersions = [...new Set(Object.values(versionProfiles).map((p) => p.cilium))];
const metallbVersions = [...new Set(Object.values(versionProfiles).map((p) => p.metallb))];

type Json = Record<string, unknown>;
type Schema = Record<string, any>;

function ajv(): Ajv {
    // As tests/mesh/values.schemas.test.ts: keywords beside $ref apply (Helm >= 3.18.5); Kubernetes extensions (x-*) are ignored.
    return new Ajv({ strict: false, allErrors: true });
}

function readJson(file: string): Schema {
    return JSON.parse(fs.readFileSync(path.join(fixtures, file), "utf8"));
}

/** MetalLB's schemas name draft-07 by its https URL, which Ajv knows only as http; the draft is the same. */
function metallbSchema(version: string): Schema {
    const schema = readJson(`metallb-${version}.values.schema.json`);
    expect(schema.$schema).toBe("https://json-schema.org/draft-07/schema#");
    return { ...schema, $schema: "http://json-schema.org/draft-07/schema#" };
}

/** For CRD schemas: Kubernetes' OpenAPI integer formats, which Ajv does not know (it would warn and ignore them). */
function crdAjv(): Ajv {
    const instance = ajv();
    for (const format of ["int32", "int64"]) {
        instance.addFormat(format, { type: "number", validate: (n: number) => Number.isInteger(n) });
    }
    return instance;
}

const compiled = new Map<string, ValidateFunction>();
function validator(key: string, schema: () => Schema, make: () => Ajv = ajv): ValidateFunction {
    let validate = compiled.get(key);
    if (!validate) {
        validate = make().compile(schema());
        compiled.set(key, validate);
    }
    return validate;
}
const ciliumValidator = (version: string) => validator(`cilium-${version}`, () => readJson(`cilium-${version}.values.schema.json`));
const metallbValidator = (version: string) => validator(`metallb-${version}`, () => metallbSchema(version));

function check(validate: ValidateFunction, value: unknown): [boolean, unknown] {
    const ok = validate(value);
    return [ok, validate.errors ?? null];
}

function isObject(v: unknown): v is Json {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Helm's coalescing of user values over chart defaults: maps merge deeply, anything else replaces, null deletes. */
function coalesce(defaults: unknown, values: unknown): unknown {
    if (!isObject(defaults) || !isObject(values)) {
        return values;
    }
    const out: Json = { ...defaults };
    for (const [k, v] of Object.entries(values)) {
        if (v === null) {
            delete out[k];
        } else {
            out[k] = coalesce(defaults[k], v);
        }
    }
    return out;
}

/** Property schemas declared for an object node: `properties`, through `allOf` branches and local `$ref`s. */
function declaredProperties(root: Schema, node: Schema | undefined): Record<string, Schema> | undefined {
    if (!node) {
        return undefined;
    }
    if (typeof node.$ref === "string") {
        const target = node.$ref
            .replace(/^#\//, "")
            .split("/")
            .reduce((n: Schema | undefined, part) => n?.[part], root);
        return declaredProperties(root, target);
    }
    const parts = [
        node.properties as Record<string, Schema> | undefined,
        ...((node.allOf as Schema[] | undefined) ?? []).map((s) => declaredProperties(root, s)),
    ];
    const defined = parts.filter((p): p is Record<string, Schema> => p !== undefined);
    return defined.length === 0 ? undefined : Object.assign({}, ...defined);
}

/** Dotted paths in `value` that `schema` does not declare (free-form objects, with no properties, declare everything). */
function undeclaredPaths(root: Schema, node: Schema | undefined, value: unknown, prefix = ""): string[] {
    const props = declaredProperties(root, node);
    if (!isObject(value) || props === undefined) {
        return [];
    }
    return Object.entries(value).flatMap(([k, v]) =>
        k in props ? undeclaredPaths(root, props[k], v, `${prefix}${k}.`) : [`${prefix}${k}`],
    );
}

/** Dotted leaf paths of `value` absent from `defaults`. */
function pathsNotIn(defaults: unknown, value: unknown, prefix = ""): string[] {
    if (!isObject(value)) {
        return [];
    }
    return Object.entries(value).flatMap(([k, v]) =>
        isObject(defaults) && k in defaults ? pathsNotIn(defaults[k], v, `${prefix}${k}.`) : [`${prefix}${k}`],
    );
}

const ciliumInput = (version: string): CiliumInput => ({
    clusterName: "zta-1",
    clusterId: 1,
    apiServerHost: "10.0.0.10",
    apiServerPort: 6443,
    version,
});

describe("Cilium values", () => {
    test.each(ciliumVersions)("%s: no image value is set, so the released chart's own digest pins stay in force", (version) => {
        // Released Cilium charts ship image.digest/useDigest: true (agent, operator genericDigest, envoy, ...); the
        // schemas of both pinned versions have those fields. Overriding image.* would drop the digest.
        const schema = JSON.parse(fs.readFileSync(path.join(fixtures, `cilium-${version}.values.schema.json`), "utf8")) as Json;
        const props = schema.properties as Record<string, Json>;
        expect(Object.keys(props.image.properties as Json)).toEqual(expect.arrayContaining(["digest", "useDigest"]));
        expect(Object.keys((props.operator.properties as Record<string, Json>).image.properties as Json)).toEqual(
            expect.arrayContaining(["genericDigest", "useDigest"]),
        );
        const values = ciliumValues(ciliumInput(version));
        expect(JSON.stringify(values)).not.toMatch(/"(image|useDigest|digest|genericDigest)"/);
    });

    test("the profiles pin the two chart versions this file has schemas for", () => {
        expect([...ciliumVersions].sort()).toEqual(["1.17.18", "1.20.0"]);
        expect(ciliumChart).toEqual({ repository: "https://helm.cilium.io/", chart: "cilium", namespace: "kube-system" });
    });

    test.each(ciliumVersions)("%s: exactly the Istio-safe, kube-proxy-free values", (version) => {
        expect(ciliumValues(ciliumInput(version))).toEqual({
            kubeProxyReplacement: true,
            k8sServiceHost: "10.0.0.10",
            k8sServicePort: 6443,
            socketLB: { hostNamespaceOnly: true },
            cni: { exclusive: false },
            ipam: { mode: "kubernetes" },
            // NetworkPolicy ipBlocks (API server, webhooks) must be able to select nodes.
            policyCIDRMatchMode: ["nodes"],
            // Config changes roll the agents and the operator.
            rollOutCiliumPods: true,
            operator: { replicas: 1, rollOutPods: true },
            cluster: { name: "zta-1", id: 1 },
        });
    });

    test.each(ciliumVersions)("%s: the values satisfy the chart's values.schema.json", (version) => {
        const validate = ciliumValidator(version);
        expect(check(validate, ciliumValues(ciliumInput(version)))).toEqual([true, null]);
        expect(check(validate, ciliumValues({ ...ciliumInput(version), clusterName: "b", clusterId: 255, apiServerPort: 443 }))).toEqual([
            true,
            null,
        ]);
    });

    test.each(ciliumVersions)("%s: the schema rejects seeded wrong values (it is not a rubber stamp)", (version) => {
        const validate = ciliumValidator(version);
        const good = ciliumValues(ciliumInput(version));
        expect(validate({ ...good, cluster: { name: "zta-1", id: "1" } })).toBe(false);
        expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: "/cluster/id", keyword: "type" }));
        expect(validate({ ...good, operator: { replicas: "1" } })).toBe(false);
        expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: "/operator/replicas", keyword: "type" }));
        expect(validate({ ...good, cni: { exclusive: "false" } })).toBe(false);
        expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: "/cni/exclusive", keyword: "type" }));
        // The schemas allow unknown keys (no additionalProperties: false anywhere), so a typo is caught by the next test.
        expect(validate({ ...good, socketLb: { hostNamespaceOnly: true } })).toBe(true);
    });

    test("1.20.0 types kubeProxyReplacement as string|boolean; 1.17.18 does not declare it", () => {
        const validate = ciliumValidator("1.20.0");
        const good = ciliumValues(ciliumInput("1.20.0"));
        expect(validate({ ...good, kubeProxyReplacement: "true" })).toBe(true);
        expect(validate({ ...good, kubeProxyReplacement: 1 })).toBe(false);
        expect(readJson("cilium-1.17.18.values.schema.json").properties.kubeProxyReplacement).toBeUndefined();
    });

    // Keys the chart templates read but its values.yaml leaves commented out, so the generated schema omits them:
    // socketLB.hostNamespaceOnly (cilium-configmap.yaml: `hasKey $socketLB "hostNamespaceOnly"`) and, before 1.18,
    // kubeProxyReplacement (`toString .Values.kubeProxyReplacement`). Anything else undeclared is a typo.
    const undeclaredOk: Record<string, string[]> = {
        "1.17.18": ["kubeProxyReplacement", "socketLB.hostNamespaceOnly"],
        "1.20.0": ["socketLB.hostNamespaceOnly"],
    };
    test.each(ciliumVersions)("%s: every key set is declared by the schema, or on the explained list", (version) => {
        const schema = readJson(`cilium-${version}.values.schema.json`);
        expect(undeclaredPaths(schema, schema, ciliumValues(ciliumInput(version)))).toEqual(undeclaredOk[version]);
        // The guard itself works: a misspelt key is reported.
        expect(undeclaredPaths(schema, schema, { socketLb: { hostNamespaceOnly: true }, cni: { exclusiv: false } })).toEqual([
            "socketLb",
            "cni.exclusiv",
        ]);
    });

    const bad: [string, Partial<CiliumInput>, RegExp][] = [
        ["uppercase name", { clusterName: "Zta" }, /^clusterName: /],
        ["name over 32 characters", { clusterName: "a".repeat(33) }, /^clusterName: /],
        ["name with a leading hyphen", { clusterName: "-zta" }, /^clusterName: /],
        ["the reserved name default", { clusterName: "default" }, /^clusterName: "default" is reserved/],
        ["cluster id 0", { clusterId: 0 }, /^clusterId: /],
        ["cluster id 256", { clusterId: 256 }, /^clusterId: /],
        ["fractional cluster id", { clusterId: 1.5 }, /^clusterId: /],
        ["cluster id as a string", { clusterId: "1" as unknown as number }, /^clusterId: /],
        ["host name instead of IPv4", { apiServerHost: "api.zta.lab" }, /^apiServerHost: /],
        ["malformed IPv4", { apiServerHost: "10.0.0.256" }, /^apiServerHost: /],
        ["loopback", { apiServerHost: "127.0.0.1" }, /^apiServerHost: /],
        ["unspecified address", { apiServerHost: "0.0.0.0" }, /^apiServerHost: /],
        ["port 0", { apiServerPort: 0 }, /^apiServerPort: /],
        ["port 65536", { apiServerPort: 65536 }, /^apiServerPort: /],
        ["version with v prefix", { version: "v1.20.0" }, /^version: /],
        ["version without patch", { version: "1.20" }, /^version: /],
        ["version older than 1.17", { version: "1.16.5" }, /^version: /],
    ];
    test.each(bad)("rejects %s, naming the field", (_, change, message) => {
        expect(() => ciliumValues({ ...ciliumInput("1.20.0"), ...change })).toThrow(message);
    });
});

describe("MetalLB values", () => {
    const defaults = (version: string): unknown =>
        parseYaml(fs.readFileSync(path.join(fixtures, `metallb-${version}.values.yaml`), "utf8"));

    test("the profiles pin the two chart versions this file has schemas for", () => {
        expect([...metallbVersions].sort()).toEqual(["0.13.10", "0.16.1"]);
        expect(metallbChart).toEqual({ repository: "https://metallb.github.io/metallb", chart: "metallb", namespace: "metallb-system" });
    });

    test("exact values per version", () => {
        expect(metallbValues("0.13.10")).toEqual({ speaker: { frr: { enabled: false }, memberlist: { enabled: false } } });
        expect(metallbValues("0.16.1")).toEqual({
            speaker: { frr: { enabled: false }, memberlist: { enabled: false }, ignoreExcludeLB: true },
            frrk8s: { enabled: false },
        });
    });

    test.each(metallbVersions)("%s: a digest in versions.json rides in the image tag (the chart has no digest field)", (version) => {
        const digest = `sha256:${"ab".repeat(32)}`;
        const digests = { [`quay.io/metallb/controller:v${version}`]: digest, [`quay.io/metallb/speaker:v${version}`]: digest };
        const values = metallbValues(version, digests) as { controller: Json; speaker: Json };
        expect(values.controller).toEqual({ image: { tag: `v${version}@${digest}` } });
        expect((values.speaker.image as Json).tag).toBe(`v${version}@${digest}`);
        // repository:tag as the templates join them: a reference pinned by digest.
        expect(`quay.io/metallb/controller:${(values.controller.image as Json).tag as string}`).toMatch(
            /^quay\.io\/metallb\/controller:v[0-9.]+@sha256:[0-9a-f]{64}$/,
        );
        expect(check(metallbValidator(version), coalesce(defaults(version), values) as Json)).toEqual([true, null]);
        expect(metallbValues(version, {})).toEqual(metallbValues(version));
    });

    test.each(metallbVersions)("%s: chart defaults merged with our values satisfy values.schema.json (what Helm checks)", (version) => {
        const validate = metallbValidator(version);
        const merged = coalesce(defaults(version), metallbValues(version)) as Json;
        expect(check(validate, merged)).toEqual([true, null]);
        // Both BGP backends end up off in the merged values (0.16.1's default installs the frr-k8s subchart).
        expect((merged.speaker as Json).frr).toMatchObject({ enabled: false });
        expect(merged.frrk8s === undefined || (merged.frrk8s as Json).enabled === false).toBe(true);
        expect((merged.speaker as Json).memberlist).toMatchObject({ enabled: false });
    });

    test.each(metallbVersions)("%s: the schema rejects seeded wrong values", (version) => {
        const validate = metallbValidator(version);
        const merged = (extra: Json): unknown => coalesce(defaults(version), coalesce(metallbValues(version), extra));
        expect(validate(merged({ speaker: { frr: { enabled: "false" } } }))).toBe(false);
        expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: "/speaker/frr/enabled", keyword: "type" }));
        expect(validate(merged({ speaker: { logLevel: "verbose" } }))).toBe(false);
        expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: "/speaker/logLevel", keyword: "enum" }));
        // Why the test merges the defaults: on their own, our values lack keys the schema requires.
        expect(validate(metallbValues(version))).toBe(false);
        expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: "required" }));
    });

    test.each(metallbVersions)("%s: every key set is declared by the schema or present in the chart's defaults", (version) => {
        const schema = metallbSchema(version);
        const values = metallbValues(version);
        const unknown = undeclaredPaths(schema, schema, values).filter((p) => pathsNotIn(defaults(version), values).includes(p));
        expect(unknown).toEqual([]);
        expect(pathsNotIn(defaults(version), { speaker: { frr: { enabld: false } } })).toEqual(["speaker.frr.enabld"]);
    });

    test("namespace labels: Pod Security privileged for enforce, audit and warn", () => {
        expect(metallbNamespaceLabels()).toEqual({
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/audit": "privileged",
            "pod-security.kubernetes.io/warn": "privileged",
        });
    });

    test.each([
        ["v0.16.1", /^version: expected an exact/],
        ["0.16", /^version: expected an exact/],
        ["0.12.1", /^version: .*predates/],
        ["0.14.2", /^version: .*kubeadm control-plane node/],
    ])("rejects version %s", (version, message) => {
        expect(() => metallbValues(version)).toThrow(message);
    });
});

describe("MetalLB CRs (metallb.io/v1beta1, CRD schemas of 0.16.1)", () => {
    const crd = (plural: string): Schema =>
        parseYaml(fs.readFileSync(path.join(fixtures, `metallb-0.16.1-${plural}.metallb.io.crd.yaml`), "utf8"));
    const v1beta1 = (plural: string): Schema => crd(plural).spec.versions.find((v: { name: string }) => v.name === "v1beta1");
    const poolSchema: Schema = v1beta1("ipaddresspools").schema.openAPIV3Schema;
    const l2Schema: Schema = v1beta1("l2advertisements").schema.openAPIV3Schema;
    const validatePool = validator("ipaddresspool", () => poolSchema, crdAjv);
    const validateL2 = validator("l2advertisement", () => l2Schema, crdAjv);
    const input: MetallbPoolInput = { name: "gateways", addresses: ["10.0.0.200-10.0.0.210", "192.168.56.240/29"] };

    test("the CRDs serve the namespaced kinds at metallb.io/v1beta1", () => {
        for (const [plural, kind] of [
            ["ipaddresspools", "IPAddressPool"],
            ["l2advertisements", "L2Advertisement"],
        ]) {
            expect(crd(plural).spec).toMatchObject({ group: "metallb.io", scope: "Namespaced", names: { kind } });
            expect(v1beta1(plural)).toMatchObject({ served: true });
        }
    });

    test("exact manifests, in MetalLB's namespace", () => {
        expect(ipAddressPoolManifest(input)).toEqual({
            apiVersion: "metallb.io/v1beta1",
            kind: "IPAddressPool",
            metadata: { name: "gateways", namespace: "metallb-system" },
            spec: { addresses: ["10.0.0.200-10.0.0.210", "192.168.56.240/29"], autoAssign: true },
        });
        expect(l2AdvertisementManifest(input)).toEqual({
            apiVersion: "metallb.io/v1beta1",
            kind: "L2Advertisement",
            metadata: { name: "gateways", namespace: "metallb-system" },
            spec: { ipAddressPools: ["gateways"] },
        });
    });

    test("both satisfy their CRD's openAPIV3Schema and set no field the API server would prune", () => {
        expect(check(validatePool, ipAddressPoolManifest(input))).toEqual([true, null]);
        expect(check(validateL2, l2AdvertisementManifest(input))).toEqual([true, null]);
        expect(undeclaredPaths(poolSchema, poolSchema, ipAddressPoolManifest(input))).toEqual([]);
        expect(undeclaredPaths(l2Schema, l2Schema, l2AdvertisementManifest(input))).toEqual([]);
        expect(undeclaredPaths(poolSchema, poolSchema, { spec: { autoassign: true } })).toEqual(["spec.autoassign"]);
    });

    test("the CRD schemas reject seeded bad manifests", () => {
        const pool = ipAddressPoolManifest(input);
        expect(validatePool({ ...pool, spec: { ...pool.spec, addresses: "10.0.0.200-10.0.0.210" } })).toBe(false);
        expect(validatePool.errors).toContainEqual(expect.objectContaining({ instancePath: "/spec/addresses", keyword: "type" }));
        expect(validatePool({ ...pool, spec: { ...pool.spec, autoAssign: "true" } })).toBe(false);
        expect(validatePool.errors).toContainEqual(expect.objectContaining({ instancePath: "/spec/autoAssign", keyword: "type" }));
        expect(validatePool({ ...pool, spec: { autoAssign: true } })).toBe(false);
        expect(validatePool.errors).toContainEqual(
            expect.objectContaining({ keyword: "required", params: { missingProperty: "addresses" } }),
        );
        const l2 = l2AdvertisementManifest(input);
        expect(validateL2({ ...l2, spec: { ipAddressPools: "gateways" } })).toBe(false);
        expect(validateL2.errors).toContainEqual(expect.objectContaining({ instancePath: "/spec/ipAddressPools", keyword: "type" }));
    });

    const bad: [string, MetallbPoolInput, RegExp][] = [
        ["uppercase name", { name: "Gateways", addresses: ["10.0.0.200/29"] }, /^name: /],
        ["empty name", { name: "", addresses: ["10.0.0.200/29"] }, /^name: /],
        ["name with an underscore", { name: "gw_pool", addresses: ["10.0.0.200/29"] }, /^name: /],
        ["no addresses", { name: "gateways", addresses: [] }, /^addresses: /],
        ["malformed range", { name: "gateways", addresses: ["10.0.0.200-10.0.0.300"] }, /^addresses\[0\]: /],
        ["reversed range", { name: "gateways", addresses: ["10.0.0.210-10.0.0.200"] }, /^addresses\[0\]: /],
        ["CIDR with host bits", { name: "gateways", addresses: ["10.0.0.201/29"] }, /^addresses\[0\]: /],
        ["bare address", { name: "gateways", addresses: ["10.0.0.200/29", "10.0.1.7"] }, /^addresses\[1\]: /],
        ["IPv6 CIDR", { name: "gateways", addresses: ["10.0.0.200/29", "fd00::/120"] }, /^addresses\[1\]: /],
        ["overlapping entries", { name: "gateways", addresses: ["10.0.0.200/29", "10.0.0.205-10.0.0.220"] }, /^addresses\[1\]: .*overlaps/],
        ["duplicate entries", { name: "gateways", addresses: ["10.0.0.200/29", "10.0.0.200/29"] }, /^addresses\[1\]: .*overlaps/],
    ];
    test.each(bad)("rejects %s, naming the field", (_, poolInput, message) => {
        expect(() => ipAddressPoolManifest(poolInput)).toThrow(message);
        expect(() => l2AdvertisementManifest(poolInput)).toThrow(message);
    });
});

describeProvenance([
    ...ciliumVersions.map((v) => `cilium-${v}.values.schema.json`),
    ...metallbVersions.flatMap((v) => [`metallb-${v}.values.schema.json`, `metallb-${v}.values.yaml`]),
    ...["ipaddresspools", "l2advertisements"].map((plural) => `metallb-0.16.1-${plural}.metallb.io.crd.yaml`),
]);

(sharedPresent ? describe : describe.skip)("fixtures are faithful copies of ../shared/schemas", () => {
    test.each([
        ...ciliumVersions.map((v) => `cilium-${v}.values.schema.json`),
        ...metallbVersions.map((v) => `metallb-${v}.values.schema.json`),
    ])("%s", (name) => {
        expect(fs.readFileSync(path.join(fixtures, name), "utf8")).toBe(fs.readFileSync(path.join(shared, name), "utf8"));
    });

    test("the two CRDs are unchanged documents of metallb-0.16.1-crds.yaml (a Helm template: `{{ }}` lines stripped)", () => {
        const template = fs.readFileSync(path.join(shared, "metallb-0.16.1-crds.yaml"), "utf8");
        const plain = template
            .split("\n")
            .filter((line) => !/\{\{.*\}\}/.test(line))
            .join("\n");
        const docs = parseAllDocuments(plain).map((d) => d.toJSON());
        for (const plural of ["ipaddresspools", "l2advertisements"]) {
            const file = fs.readFileSync(path.join(fixtures, `metallb-0.16.1-${plural}.metallb.io.crd.yaml`), "utf8");
            expect(template).toContain(file.trimEnd());
            expect(parseYaml(file)).toEqual(docs.find((d) => d?.metadata?.name === `${plural}.metallb.io`));
        }
    });
});
announceNoSharedSchemas();
