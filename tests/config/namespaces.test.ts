/**
 * The ingress gateway's namespace must be its own: `kube-system`, `default` or one of the program's namespaces took
 * over or duplicated objects (one combination failed mid-run with a duplicate resource name).
 */
import { ownedNamespaces, systemNamespaces } from "../../components/core/namespaces";
import { parseConfig } from "../../components/config/parse";
import { problemsOf } from "../harness/problems";
import { committedStacks, rawConfig, stackConfig } from "../harness/stacks";

describe("ingressNamespace", () => {
    test.each([...systemNamespaces, ...Object.values(ownedNamespaces)])("%s is refused, saying whose it is", (ns) => {
        expect(problemsOf(() => parseConfig(rawConfig(stackConfig("cloud", { ingressNamespace: ns }))))).toEqual([
            expect.stringMatching(
                new RegExp(
                    `^zta-testbed:ingressNamespace: must be a namespace of the ingress gateway's own: "${ns}" is (a Kubernetes system|the program's [a-z]+) namespace$`,
                ),
            ),
        ]);
    });

    test.each(committedStacks)("a namespace of its own passes (%s)", (stack) => {
        expect(() => parseConfig(rawConfig(stackConfig(stack, { ingressNamespace: "edge" })))).not.toThrow();
    });
});
