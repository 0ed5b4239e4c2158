/**
 * The verification checks' scripts, run for real (sh, sed, tee...) against a stub `curl` that answers the way a mesh
 * that keeps or breaks each claim would. Each check must PASS only for the behaviour it names, and FAIL (exit 1,
 * verdict in its termination message) for the ways the claim can be broken, with the reason in the message.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    checkJob,
    crossNetworkScript,
    ingressScript,
    ingressSecretKeys,
    ingressSecretMount,
    plaintextScript,
    tokenRequestConfig,
    unauthorizedScript,
} from "../../components/verification/checks";
import { stubIngress, verificationChecks } from "../../components/verification/registry";
import { runShellcheck } from "../harness/tools";
import { stubCurlHarness } from "./shared";

const { run, dir: scratch } = stubCurlHarness();

describe("cross-network: both helloworld versions answer one client", () => {
    test("v1 and v2 both seen: PASS with the counts", () => {
        const r = run(
            crossNetworkScript(0, 10),
            `n=$(wc -l <"$(dirname "$0")/argv.log"); [ $((n % 2)) = 0 ] && v=v1 || v=v2; echo "Hello version: $v, instance: x"`,
        );
        expect(r.status).toBe(0);
        expect(r.message).toBe("PASS cross-network: v1 answered 5 and v2 5 of 10 requests (round 1)\n");
        expect(r.argv.split("\n")[0]).toContain("http://helloworld.sample.svc.cluster.local:5000/hello");
    });
    test("only the local version (no cross-network balancing): FAIL at the deadline, naming what it saw", () => {
        const r = run(crossNetworkScript(0, 10), `echo "Hello version: v1, instance: x"`);
        expect(r.status).toBe(1);
        expect(r.message).toMatch(/^FAIL cross-network: after 1 rounds: v1 10, v2 0, other 0 of 10/);
    });
    test("errors (no route, 403) count as other answers, never as a version", () => {
        const r = run(crossNetworkScript(0, 4), `echo "RBAC: access denied"`);
        expect(r.status).toBe(1);
        expect(r.message).toContain("v1 0, v2 0, other 4 of 4 (last other answer: RBAC: access denied)");
    });
});

describe("plaintext-refused: STRICT mTLS closes a plaintext connection", () => {
    test.each([52, 56])("curl exit %i (the sidecar closed it): PASS", (code) => {
        const r = run(plaintextScript(0), `exit ${code}`);
        expect(r.status).toBe(0);
        expect(r.message).toBe(`PASS plaintext-refused: plaintext connection closed by the server's sidecar (curl exit ${code})\n`);
    });
    test.each(["200", "403", "503"])("an HTTP answer (%s) means plaintext got through: FAIL", (code) => {
        const r = run(plaintextScript(0), `printf '${code}'`);
        expect(r.status).toBe(1);
        expect(r.message).toBe(`FAIL plaintext-refused: plaintext request answered with HTTP ${code}: STRICT mTLS is not enforced\n`);
    });
    test.each([7, 28])("no connection at all (curl exit %i) proves nothing: FAIL as inconclusive", (code) => {
        const r = run(plaintextScript(0), `exit ${code}`);
        expect(r.status).toBe(1);
        expect(r.message).toContain(`no connection to helloworld at all (curl exit ${code}): inconclusive`);
    });
});

describe("unauthorized-identity: an identity no ALLOW names gets 403", () => {
    test("403 RBAC: access denied: PASS", () => {
        const r = run(unauthorizedScript(0), `printf 'RBAC: access denied\\n403'`);
        expect(r.status).toBe(0);
        expect(r.message).toBe("PASS unauthorized-identity: identity verify-intruder refused with 403 RBAC: access denied\n");
    });
    test("200: FAIL, the policy lets it in", () => {
        const r = run(unauthorizedScript(0), `printf 'Hello version: v1\\n200'`);
        expect(r.status).toBe(1);
        expect(r.message).toContain("was answered 200: the authorization policy lets it in");
    });
    test("a 403 that is not Envoy's RBAC denial (e.g. the app's own) is not accepted", () => {
        const r = run(unauthorizedScript(0), `printf 'forbidden\\n403'`);
        expect(r.status).toBe(1);
        expect(r.message).toContain("expected 403 RBAC: access denied, last got HTTP 403");
    });
});

describe("ingress-jwt: 200 with a Keycloak token, 403 without, 401 for expired, forged and wrong-audience tokens", () => {
    const script = ingressScript({
        ingressHost: "httpbin.zta.test",
        ingressNamespace: "istio-ingress",
        tokenUrl: "https://keycloak.keycloak.svc.cluster.local:8443/realms/zta/protocol/openid-connect/token",
        timeoutSeconds: 0,
    });
    let secrets: string;
    beforeAll(() => {
        secrets = fs.mkdtempSync(path.join(scratch(), "secrets-"));
        fs.writeFileSync(path.join(secrets, ingressSecretKeys.ca), "CA");
        fs.writeFileSync(
            path.join(secrets, ingressSecretKeys.tokenRequest),
            tokenRequestConfig("zta-client", "S3cretS3cretS3cretS3cretS3cret00"),
        );
        fs.writeFileSync(path.join(secrets, ingressSecretKeys.expired), "Authorization: Bearer EXPIRED\n");
        fs.writeFileSync(path.join(secrets, ingressSecretKeys.forged), "Authorization: Bearer FORGED\n");
        fs.writeFileSync(path.join(secrets, ingressSecretKeys.wrongAudience), "Authorization: Bearer AUDIENCE\n");
    });

    test("all five expectations hold: PASS, listing each answer", () => {
        const r = run(script, stubIngress({ valid: 200, none: 403, bad: 401 }), secrets);
        expect(r.message).toBe("PASS ingress-jwt: valid 200, none 403, expired 401, forged 401, wrong audience 401\n");
        expect(r.status).toBe(0);
        // The gateway is reached under the ingress host name through its Service, verified with the CA.
        expect(r.argv).toContain("--connect-to httpbin.zta.test:443:istio-ingressgateway.istio-ingress.svc.cluster.local:443");
        expect(r.argv).toContain("https://httpbin.zta.test/headers");
        // No secret or token on any curl command line: the client secret comes from the config file, tokens from files.
        expect(r.argv).not.toMatch(/S3cret|Bearer/);
        expect(r.argv).toContain(`--config ${secrets}/${ingressSecretKeys.tokenRequest}`);
    });
    test("a missing token let through (RequestAuthentication without its ALLOW): FAIL naming the answers", () => {
        const r = run(script, stubIngress({ valid: 200, none: 200, bad: 401 }), secrets);
        expect(r.status).toBe(1);
        expect(r.message).toBe(
            "FAIL ingress-jwt: expected valid 200, none 403, expired/forged/wrong audience 401; got: valid 200, none 200, expired 401, forged 401, wrong audience 401\n",
        );
    });
    test("every token refused (istiod without the JWKS, istio#53260): FAIL", () => {
        const r = run(script, stubIngress({ valid: 401, none: 403, bad: 401 }), secrets);
        expect(r.status).toBe(1);
        expect(r.message).toContain("got: valid 401, none 403");
    });
    test("Keycloak gives no token: FAIL with its answer", () => {
        const r = run(script, `case "$*" in *token*) echo '{"error":"unauthorized_client"}' ;; *) printf 200 ;; esac`, secrets);
        expect(r.status).toBe(1);
        expect(r.message).toContain('no token from Keycloak: {"error":"unauthorized_client"}');
    });
});

test("every registered check's script is POSIX sh (dash parses it) and shellcheck-clean", () => {
    const scripts = verificationChecks.map((c) =>
        c.script({ ingressHost: "h.test", ingressNamespace: "istio-ingress", tokenUrl: "https://k.test/t", timeoutSeconds: 300 }),
    );
    for (const s of scripts) {
        execFileSync("sh", ["-n"], { input: s });
        expect(runShellcheck(["--shell=sh"], s)).toEqual({ status: 0, stdout: "", stderr: "" });
    }
});

test("tokenRequestConfig refuses a secret that could break out of the curl config quoting", () => {
    expect(() => tokenRequestConfig("zta-client", 'a"b')).toThrow(/^clientSecret:/);
    expect(tokenRequestConfig("zta-client", "abc_DEF-123")).toBe(
        'user = "zta-client:abc_DEF-123"\ndata = "grant_type=client_credentials"\n',
    );
});

describe("checkJob: one Job per check, restricted, awaited once", () => {
    const meshed = checkJob({
        check: "cross-network",
        namespace: "sample",
        serviceAccount: "curl",
        image: "docker.io/curlimages/curl:8.16.0",
        meshed: true,
        script: "exit 0",
        timeoutSeconds: 300,
        inputsHash: "abc",
    });
    const plain = checkJob({
        check: "ingress-jwt",
        namespace: "zta-verify",
        serviceAccount: "verify-client",
        image: "docker.io/curlimages/curl:8.16.0",
        meshed: false,
        script: "exit 0",
        timeoutSeconds: 300,
        inputsHash: "abc",
        secretName: "verify-ingress-jwt",
        pullSecret: "zta-registry",
    });
    const spec = (j: typeof meshed) => j.spec as any;

    test("a meshed check gets a native sidecar (it stops when the check ends, so the Job completes)", () => {
        expect(spec(meshed).template.metadata.annotations["sidecar.istio.io/nativeSidecar"]).toBe("true");
        expect(spec(meshed).template.metadata.labels["sidecar.istio.io/inject"]).toBe("true");
        expect(spec(plain).template.metadata.labels["sidecar.istio.io/inject"]).toBe("false");
        expect(spec(plain).template.metadata.annotations["sidecar.istio.io/nativeSidecar"]).toBeUndefined();
    });
    test("no retries (the script retries), a deadline past its own, the inputs hash re-runs it", () => {
        expect(spec(meshed).backoffLimit).toBe(0);
        expect(spec(meshed).activeDeadlineSeconds).toBe(420);
        expect(spec(meshed).template.metadata.annotations["zta-testbed.dev/inputs-sha256"]).toBe("abc");
        expect(spec(meshed).template.spec.restartPolicy).toBe("Never");
    });
    test("Pod Security restricted, read-only root, no token, secrets only as a mounted volume", () => {
        const pod = spec(plain).template.spec;
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.securityContext).toEqual({ runAsNonRoot: true, fsGroup: 101, seccompProfile: { type: "RuntimeDefault" } });
        const c = pod.containers[0];
        expect(c.securityContext).toMatchObject({
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
        });
        expect(c.env).toBeUndefined();
        expect(c.terminationMessagePolicy).toBe("FallbackToLogsOnError");
        expect(pod.volumes).toContainEqual({ name: "check", secret: { secretName: "verify-ingress-jwt", defaultMode: 0o440 } });
        expect(c.volumeMounts).toContainEqual({ name: "check", mountPath: ingressSecretMount, readOnly: true });
        expect(pod.imagePullSecrets).toEqual([{ name: "zta-registry" }]);
    });
});
