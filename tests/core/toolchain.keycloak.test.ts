/**
 * toolchain piece `keycloak` without a Java Keycloak supports: it fails before downloading anything, naming every JDK
 * it found with its version and what to install (JAVA_HOME and the system's JDK directory are given fakes here).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import manifest from "../../versions.json";
import { repoRoot } from "../harness/stacks";
import { onPath } from "../harness/tools";
import { announceSkipped } from "../harness/skipped";

// toolchain/build.sh asks the go command for its environment first
const haveGo = onPath("go") !== undefined;
if (!haveGo) {
    announceSkipped("toolchain/build.sh keycloak without a JDK (no go command on PATH: build.sh needs it)");
}

/** A fake JDK home whose `java` reports `major` as -XshowSettings:properties does. */
function fakeJdk(dir: string, major: number): string {
    fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
    fs.writeFileSync(
        path.join(dir, "bin", "java"),
        `#!/bin/sh\necho "Property settings:" >&2\necho "    java.specification.version = ${major}" >&2\necho "openjdk version \\"${major}\\"" >&2\n`,
        { mode: 0o755 },
    );
    return dir;
}

(haveGo ? test : test.skip)("no Java >= javaMin: the piece fails loudly, naming each JDK seen, and downloads nothing", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zta-kc-"));
    try {
        const cache = path.join(tmp, "cache");
        const home = fakeJdk(path.join(tmp, "home-jdk"), 17);
        fakeJdk(path.join(tmp, "jvm", "java-11-openjdk"), 11);
        const r = spawnSync("bash", [path.join(repoRoot, "toolchain", "build.sh"), "keycloak"], {
            env: {
                ...process.env,
                ZTA_TOOLCHAIN_DIR: cache,
                JAVA_HOME: home,
                ZTA_JVM_DIR: path.join(tmp, "jvm"),
                ZTA_TOOLCHAIN_KEEP_GO_CACHES: "1",
            },
            encoding: "utf8",
            timeout: 30_000,
        });
        expect(r.status).toBe(1);
        expect(r.stdout).toMatch(/^keycloak\s+FAILED/m);
        const log = fs.readFileSync(path.join(cache, "logs", "keycloak.log"), "utf8");
        expect(log).toContain(
            `Keycloak ${manifest.toolchain.keycloak.version} needs Java ${manifest.toolchain.keycloak.javaMin} or newer; found: ${home} (17) ${tmp}/jvm/java-11-openjdk (11)`,
        );
        expect(log).toContain("install one");
        expect(fs.existsSync(path.join(cache, "keycloak"))).toBe(false);
        expect(fs.readdirSync(path.join(cache, "work")).filter((d) => d.startsWith("keycloak"))).toEqual([]);
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
});
