/**
 * Admin kubeconfigs the provider can really use: a current-context (the provider connects through it; a file with one
 * context but none named used to pass, and the provider then had no context), a user that exists and authenticates.
 * Messages never carry the file's content.
 */
import { stringify } from "yaml";
import { summarizeKubeconfig } from "../../components/config/kubeconfig";
import { parseConfig } from "../../components/config/parse";
import { problemsOf } from "../harness/problems";
import { adminKubeconfig, existingCloudConfig, rawConfig } from "../harness/stacks";
import { parse as parseYaml } from "yaml";

type Kc = Record<string, any>;
const base = (): Kc => parseYaml(adminKubeconfig("aks", "https://zta-aks.hcp.westeurope.azmk8s.io:443")) as Kc;
const edit = (fn: (kc: Kc) => void): string => {
    const kc = base();
    fn(kc);
    return stringify(kc);
};

describe("summarizeKubeconfig", () => {
    test("a kubeconfig as az/gcloud/kubeadm write it: its current context's server", () => {
        expect(summarizeKubeconfig(stringify(base()))).toEqual({
            server: "https://zta-aks.hcp.westeurope.azmk8s.io:443",
            context: "admin@aks",
        });
    });

    test.each<[string, (kc: Kc) => void, string]>([
        [
            "no current-context, one context",
            (kc) => delete kc["current-context"],
            "has no current-context: set it (kubectl config use-context <name>)",
        ],
        [
            "a user the context does not define",
            (kc) => (kc.users[0].name = "someone-else"),
            'context "admin@aks" names a user it does not define',
        ],
        ["a user without credentials", (kc) => (kc.users[0].user = {}), "'s user has no credentials"],
        ["an empty token", (kc) => (kc.users[0].user = { token: "" }), "'s user has no credentials"],
        [
            "a client certificate without its key",
            (kc) => (kc.users[0].user = { "client-certificate-data": "Q0VSVA==" }),
            "has a client certificate but no client key",
        ],
    ])("refused: %s", (_what, change, message) => {
        expect(() => summarizeKubeconfig(edit(change))).toThrow(message);
    });

    test.each<[string, Kc]>([
        ["a client certificate and key", { "client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ" }],
        [
            "an exec plugin (gke-gcloud-auth-plugin, kubelogin)",
            { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "kubelogin" } },
        ],
        ["a token file", { tokenFile: "/var/run/secrets/token" }],
    ])("accepted: %s", (_what, user) => {
        expect(summarizeKubeconfig(edit((kc) => (kc.users[0].user = user))).context).toBe("admin@aks");
    });

    test("through the config layer: the key is named, the token never shown", () => {
        const problems = problemsOf(() =>
            parseConfig(
                rawConfig(
                    existingCloudConfig(
                        {},
                        {
                            kubeconfigs: {
                                aks: edit((kc) => delete kc["current-context"]),
                                gke: adminKubeconfig("gke", "https://203.0.113.20"),
                            },
                        },
                    ),
                ),
            ),
        );
        expect(problems).toEqual([expect.stringMatching(/^zta-testbed:kubeconfigs\.aks: has no current-context/)]);
        expect(problems.join("\n")).not.toContain("TEST-ADMIN-TOKEN");
    });
});
