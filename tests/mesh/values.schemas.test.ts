/**
 * What we render is validated against upstream schemas at the pinned versions: the gateway chart's
 * values.schema.json (Helm enforces it at install) and the Gateway CRD's OpenAPI schema (the API server does).
 */

import { meshConfigValues } from "../../components/mesh/values";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { crossNetworkGatewaySpec, eastWestGatewayValues, ingressGatewayValues, istiodValues } from "../../components/mesh/values";
import { versionProfiles } from "../../components/core/versions";
import {
    announceNoSharedSchemas,
    describeProvenance,
    recordedProvenance,
    schemaFixtures,
    sharedPresent,
    sharedSchemas,
} from "../harness/fixtures";
import { announceSkipped } from "../harness/skipped";
import { repoRoot } from "../harness/stacks";

const fixtures = path.join(repoRoot, "tests", "fixtures", "schemas");
const shared = sharedSchemas;
const istioVersions = [...new Set(Object.values(versionProfiles).map((p) => p.istio))];
const gatewayCharts = [...new Set(Object.values(versionProfiles).map((p) => p.gatewayChart))];
const gatewaySchema = (version: string): string => path.join(fixtures, `istio-gateway-${version}.values.schema.json`);

function ajv(): Ajv {
    // Like Helm >= 3.18.5 (jsonschema v6): keywords beside $ref apply. Kubernetes extensions (x-*) are ignored.
    return new Ajv({ strict: false, allErrors: true });
}

describe("gateway chart values schemas (Helm >= 3.18.5 semantics, as in the pinned pulumi-kubernetes)", () => {
    test("the 1.24.3 gateway chart schema rejects ANY values: why nist-2025 pins the gateway chart separately", () => {
        const validate = ajv().compile(JSON.parse(fs.readFileSync(gatewaySchema("1.24.3"), "utf8")));
        expect(validate({ name: "istio-ingressgateway" })).toBe(false);
        expect(validate.errors?.[0]).toMatchObject({ keyword: "additionalProperties", params: { additionalProperty: "name" } });
        expect(versionProfiles["nist-2025"].istio).toBe("1.24.3");
        expect(versionProfiles["nist-2025"].gatewayChart).not.toBe("1.24.3");
    });

    const withFixture = gatewayCharts.filter((v) => fs.existsSync(gatewaySchema(v)));
    const without = gatewayCharts.filter((v) => !fs.existsSync(gatewaySchema(v)));
    if (without.length > 0) {
        announceSkipped(
            `values-schema check for gateway chart ${without.join(", ")} (no schema fixture in tests/fixtures/schemas, and no 1.26 chart can be built offline for the sim: unverified here)`,
        );
    }
    test("the default profile's gateway chart has a schema fixture", () => {
        expect(withFixture).toContain(versionProfiles.default.gatewayChart);
    });

    test.each(withFixture)("east-west and ingress gateway values satisfy gateway chart %s's values schema", (version) => {
        const schema = JSON.parse(fs.readFileSync(gatewaySchema(version), "utf8"));
        const validate = ajv().compile(schema);
        for (const values of [
            eastWestGatewayValues({
                certTtl: "24h",
                network: "network1",
                serviceAnnotations: { "networking.gke.io/load-balancer-type": "Internal" },
                sourceRanges: ["203.0.113.0/24", "198.51.100.7/32"],
                imagePullSecrets: ["zta-registry"],
            }),
            ingressGatewayValues("12h", ["zta-registry"]),
        ]) {
            expect([validate(values), validate.errors]).toEqual([true, null]);
        }
        // The schema is not a rubber stamp: a wrong type is caught.
        expect(validate({ ...eastWestGatewayValues({ certTtl: "24h", network: "n", serviceAnnotations: {} }), networkGateway: 7 })).toBe(
            false,
        );
    });
});

describe.each(istioVersions)("Istio %s", (version) => {
    test("the cross-network Gateway satisfies the Gateway CRD schema (networking.istio.io/v1)", () => {
        const crd = parseYaml(fs.readFileSync(path.join(fixtures, `istio-${version}-gateways.networking.istio.io.crd.yaml`), "utf8"));
        const v1 = crd.spec.versions.find((v: { name: string }) => v.name === "v1");
        expect(v1).toBeDefined();
        expect(v1.served).toBe(true);
        const specSchema = v1.schema.openAPIV3Schema.properties.spec;
        const validate = ajv().compile(specSchema);
        expect([validate(crossNetworkGatewaySpec()), validate.errors]).toEqual([true, null]);
        expect(validate({ servers: [{ port: { number: "15443" } }] })).toBe(false);
    });

    test("istiod values set top-level keys only", () => {
        const values = istiodValues({
            meshId: "m",
            cluster: "c",
            network: "n",
            trustDomain: "cluster.local",
            meshPolicy: meshConfigValues({ outboundTrafficPolicy: "REGISTRY_ONLY", workloadCertTtlHours: 24 }),
        });
        expect(Object.keys(values).sort()).toEqual(["global", "meshConfig", "pilot"]);
        expect(JSON.stringify(values)).not.toContain("_internal_defaults_do_not_set");
    });
});

test("every file in tests/fixtures/schemas has a row in its README's checksum table, and every row a file", () => {
    const files = fs
        .readdirSync(schemaFixtures)
        .filter((f) => f !== "README.md")
        .sort();
    expect([...recordedProvenance().keys()].sort()).toEqual(files);
});

describeProvenance(
    istioVersions.flatMap((v) => [`istio-gateway-${v}.values.schema.json`, `istio-${v}-gateways.networking.istio.io.crd.yaml`]),
);

(sharedPresent ? describe : describe.skip)("fixtures are faithful copies of ../shared/schemas", () => {
    test.each(istioVersions)("Istio %s", (version) => {
        const name = `istio-gateway-${version}.values.schema.json`;
        expect(fs.readFileSync(path.join(fixtures, name), "utf8")).toBe(fs.readFileSync(path.join(shared, name), "utf8"));
        const all = parseAllDocuments(fs.readFileSync(path.join(shared, `istio-${version}-crd-all.gen.yaml`), "utf8")).map((d) =>
            d.toJSON(),
        );
        const upstream = all.find((d) => d?.metadata?.name === "gateways.networking.istio.io");
        expect(parseYaml(fs.readFileSync(path.join(fixtures, `istio-${version}-gateways.networking.istio.io.crd.yaml`), "utf8"))).toEqual(
            upstream,
        );
    });
});
announceNoSharedSchemas();

test("the east-west Service's loadBalancerSourceRanges are the configured ranges; none configured renders none (no restriction)", () => {
    const service = (ranges?: string[]) =>
        (
            eastWestGatewayValues({ certTtl: "24h", network: "n", serviceAnnotations: {}, sourceRanges: ranges }).service as Record<
                string,
                unknown
            >
        ).loadBalancerSourceRanges;
    expect(service(["203.0.113.0/24"])).toEqual(["203.0.113.0/24"]);
    expect(service([])).toBeUndefined();
    expect(service()).toBeUndefined();
});
