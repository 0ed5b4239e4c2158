/**
 * A digest an admin writes into versions.json (imageDigests) reaches every image the program renders: pods, the
 * Istio and MetalLB Helm values, the bare-metal registry's and Keycloak's `docker run`. The whole program runs on the
 * committed testbed (bare metal, nist-2025) and cloud stacks with a copy of the manifest whose every digest is filled.
 */
import { Recording, RecordedResource } from "../harness/engine";
import { evaluate } from "../../policypack/rules";
import { policyObjects } from "../policypack/shared";
import { runProgram } from "../harness/program";
import { stackConfig } from "../harness/stacks";

const mockDigest = (key: string) => `sha256:${Buffer.from(key).toString("hex").padEnd(64, "0").slice(0, 64)}`;

jest.mock("../../versions.json", () => {
    const actual = jest.requireActual<{ imageDigests: Record<string, string> }>("../../versions.json");
    return {
        ...actual,
        imageDigests: Object.fromEntries(
            Object.keys(actual.imageDigests).map((k) => [k, `sha256:${Buffer.from(k).toString("hex").padEnd(64, "0").slice(0, 64)}`]),
        ),
    };
});

/** Every string anywhere in a value. */
function strings(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(strings);
    if (value && typeof value === "object") return Object.values(value).flatMap(strings);
    return [];
}

function containerImages(r: RecordedResource): string[] {
    const spec = r.inputs.spec as Record<string, unknown> | undefined;
    const pod = (spec?.template as { spec?: Record<string, unknown> } | undefined)?.spec;
    return pod
        ? (["containers", "initContainers"] as const).flatMap((l) => ((pod[l] as { image: string }[]) ?? []).map((c) => c.image))
        : [];
}

const releaseValues = (resources: RecordedResource[], name: string) =>
    resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === name).map((r) => r.inputs.values);

describe.each(["testbed", "cloud"] as const)("stack %s with every digest filled", (stack) => {
    let resources: RecordedResource[];
    let recording: Recording;
    beforeAll(async () => {
        recording = (await runProgram(stack, stackConfig(stack))).recording;
        resources = recording.resources;
    }, 120_000);

    test("the policy pack still finds zero violations (pod-image-pinned takes tag+digest)", () => {
        expect(evaluate(policyObjects(recording)).map((v) => `${v.rule}: ${v.message}`)).toEqual([]);
    });

    test("every container image of every workload we render is repo:tag@sha256:<its digest>", () => {
        const images = resources.flatMap(containerImages);
        expect(images.length).toBeGreaterThan(5);
        for (const image of images) {
            // The committed stacks pull from the upstream repositories: the reference is the manifest's key.
            const tagged = image.split("@")[0];
            expect(image).toBe(`${tagged}@${mockDigest(tagged)}`);
        }
    });

    test("istiod, the proxies (sidecars, gateways, istio-validation) and install-cni are pinned in the charts' values", () => {
        const istiod = releaseValues(resources, "istiod");
        const cni = releaseValues(resources, "istio-cni");
        expect(istiod.length).toBeGreaterThan(0);
        for (const v of istiod) {
            expect(v.image).toMatch(/\/pilot:1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
            expect(v.global.proxy.image).toMatch(/\/proxyv2:1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
            expect(v.global.proxy_init.image).toBe(v.global.proxy.image);
        }
        expect(cni.length).toBeGreaterThan(0);
        for (const v of cni) {
            expect(v.image).toMatch(/\/install-cni:1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
        }
    });

    if (stack === "testbed") {
        test("MetalLB's controller and speaker carry the digest in their tag; the registry and Keycloak run by digest", () => {
            const metallb = releaseValues(resources, "metallb");
            expect(metallb.length).toBeGreaterThan(0);
            for (const v of metallb) {
                expect(v.controller.image.tag).toBe(`v0.13.10@${mockDigest("quay.io/metallb/controller:v0.13.10")}`);
                expect(v.speaker.image.tag).toBe(`v0.13.10@${mockDigest("quay.io/metallb/speaker:v0.13.10")}`);
            }
            // The scripts travel as `bash -c '…'`: the quoted IMAGE='…' assignment comes out as IMAGE='\''…'\''.
            const scripts = resources.flatMap((r) => strings(r.inputs)).filter((t) => t.includes("IMAGE="));
            for (const image of ["registry:2.8.3", "quay.io/keycloak/keycloak:26.7.4"]) {
                const pinned = `${image}@${mockDigest(image)}`;
                expect([image, scripts.some((t) => t.includes(`IMAGE='\\''${pinned}'\\''`))]).toEqual([image, true]);
            }
        });
    }
});
