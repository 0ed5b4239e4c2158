/**
 * Sample images pinned by digest (versions.json imageDigests, keyed by the upstream reference), on the upstream
 * repositories or a private mirror.
 */
import { sampleImages, sampleObjects, sampleUpstreamImages } from "../../components/workloads/samples";

const digest = `sha256:${"c".repeat(64)}`;
const all = Object.fromEntries(Object.values(sampleUpstreamImages()).map((k) => [k, digest]));

test("with digests every sample image is repo:tag@sha256:…, also from a mirror; without, tags only as before", () => {
    expect(sampleImages(undefined, all)).toEqual({
        helloworldV1: `docker.io/istio/examples-helloworld-v1:1.0@${digest}`,
        helloworldV2: `docker.io/istio/examples-helloworld-v2:1.0@${digest}`,
        httpbin: `docker.io/mccutchen/go-httpbin:v2.15.0@${digest}`,
        curl: `docker.io/curlimages/curl:8.16.0@${digest}`,
    });
    expect(sampleImages("10.5.0.2:5000/istio", all).curl).toBe(`10.5.0.2:5000/istio/curl:8.16.0@${digest}`);
    expect(sampleImages(undefined, {})).toEqual(sampleUpstreamImages());
    expect(sampleImages("10.5.0.2:5000/istio", {}).httpbin).toBe("10.5.0.2:5000/istio/go-httpbin:v2.15.0");
});

test("the digest reaches the Deployments' containers", () => {
    const pinned = sampleObjects({ sidecarInit: "istio-cni", pullSecret: false, digests: all });
    const tagged = sampleObjects({ sidecarInit: "istio-cni", pullSecret: false, digests: {} });
    const image = (d: (typeof pinned.deployments)[number]) => (d.spec.template.spec.containers as { image: string }[])[0].image;
    for (const [i, d] of pinned.deployments.entries()) {
        expect(image(d)).toBe(`${image(tagged.deployments[i])}@${digest}`);
    }
});
