/**
 * Istio images pinned by digest: a digest in versions.json (imageDigests, keyed by the upstream reference) turns into
 * the full references the charts take verbatim (istiod `image`, cni `image`, `global.proxy.image` and
 * `global.proxy_init.image`), on the private registry's hub when one is set. Without a digest nothing changes.
 */
import { cniValues, istioImages, istioUpstreamImages, istiodValues, meshConfigValues } from "../../components/mesh/values";

const digest = (n: string) => `sha256:${n.repeat(64)}`;
const digests = {
    "docker.io/istio/pilot:1.30.3": digest("a"),
    "docker.io/istio/proxyv2:1.30.3": digest("b"),
    "docker.io/istio/install-cni:1.30.3": digest("c"),
};

const istiod = (images?: { pilot?: string; proxy?: string }) =>
    istiodValues({
        meshId: "m",
        cluster: "c1",
        network: "n1",
        trustDomain: "td",
        meshPolicy: meshConfigValues({ outboundTrafficPolicy: "REGISTRY_ONLY", workloadCertTtlHours: 24 }),
        ...(images ? { images } : {}),
    });

test("the upstream references are the published charts' hub/name:tag", () => {
    expect(istioUpstreamImages("1.24.3")).toEqual({
        pilot: "docker.io/istio/pilot:1.24.3",
        proxy: "docker.io/istio/proxyv2:1.24.3",
        installCni: "docker.io/istio/install-cni:1.24.3",
    });
});

test("with digests: full references pinned by digest, on the upstream hub or the private registry's", () => {
    expect(istioImages("1.30.3", digests)).toEqual({
        pilot: `docker.io/istio/pilot:1.30.3@${digest("a")}`,
        proxy: `docker.io/istio/proxyv2:1.30.3@${digest("b")}`,
        installCni: `docker.io/istio/install-cni:1.30.3@${digest("c")}`,
    });
    expect(istioImages("1.30.3", digests, "10.5.0.2:5000/istio").proxy).toBe(`10.5.0.2:5000/istio/proxyv2:1.30.3@${digest("b")}`);
    // Another release has its own digests: none here.
    expect(istioImages("1.24.3", digests)).toEqual({});
});

test("the values carry them where the charts read a full reference; without digests the values are unchanged", () => {
    const images = istioImages("1.30.3", digests);
    const v = istiod(images) as { image: string; global: Record<string, { image: string }> };
    expect(v.image).toBe(images.pilot);
    expect(v.global.proxy).toEqual({ image: images.proxy });
    expect(v.global.proxy_init).toEqual({ image: images.proxy });
    expect(istiod({})).toEqual(istiod());
    expect(Object.keys(istiod())).not.toContain("image");
    expect(cniValues({ istio: "1.30.3", image: images.installCni })).toEqual({ image: images.installCni });
    expect(cniValues({ istio: "1.30.3" })).toEqual({});
});
