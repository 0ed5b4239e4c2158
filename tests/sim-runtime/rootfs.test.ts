/** Image roots (sim/runtime/rootfs.ts): which mounts a container gets, in which order, and the script that makes them. */
import { spawnSync } from "node:child_process";
import { MountStep, devices, mountScript, mountSteps, shq } from "../../sim/runtime/rootfs";
import { VolumePlan } from "../../sim/runtime/plan";

const spec = {
    host: ["/usr", "/etc/ssl"],
    links: { bin: "usr/bin" },
    trees: [{ path: "/opt/keycloak", source: "/cache/keycloak/dist" }],
    binds: [{ path: "/opt/java/openjdk", source: "/usr/lib/jvm/jdk-25" }],
    passwd: [],
    group: [],
};
const volume = (name: string, mountPath: string, o: Partial<VolumePlan> = {}): VolumePlan => ({
    name,
    mountPath,
    kind: "files",
    files: [],
    ...o,
});
const root = "/state/pods/c1/keycloak_kc-1/keycloak/root";
const storage = (v: string) => `/state/pods/c1/keycloak_kc-1/volumes/${v}`;

describe("mountSteps", () => {
    const steps = mountSteps(
        root,
        spec,
        [
            volume("realm", "/opt/keycloak/data/import", { readOnly: true }),
            volume("data", "/opt/keycloak/data", { kind: "emptyDir" }),
            volume("tls", "/opt/keycloak/conf/tls", { readOnly: true }),
            volume("one", "/etc/app.conf", { subPath: "app.conf" }),
        ],
        storage,
    );
    const at = (target: string) => steps.findIndex((s) => s.target === target);

    test("the userland and the image first, all read-only; the tree is its own copy in the root, bound onto itself", () => {
        expect(steps.slice(0, 4)).toEqual<MountStep[]>([
            { kind: "bind", source: "/usr", target: "/usr", readOnly: true },
            { kind: "bind", source: "/etc/ssl", target: "/etc/ssl", readOnly: true },
            { kind: "bind", source: `${root}/opt/keycloak`, target: "/opt/keycloak", readOnly: true },
            { kind: "bind", source: "/usr/lib/jvm/jdk-25", target: "/opt/java/openjdk", readOnly: true },
        ]);
        expect(steps.filter((s) => s.kind === "proc").map((s) => s.target)).toEqual(["/proc"]);
        expect(steps.filter((s) => s.target.startsWith("/dev/")).map((s) => [s.target, s.file])).toEqual(
            devices.map((d) => [`/dev/${d}`, true]),
        );
    });

    test("volumes from their storage, a parent before what is mounted inside it, read-only as the pod says, subPath as one file", () => {
        expect(at("/opt/keycloak")).toBeLessThan(at("/opt/keycloak/data"));
        expect(at("/opt/keycloak/data")).toBeLessThan(at("/opt/keycloak/data/import"));
        expect(steps[at("/opt/keycloak/data")]).toEqual({
            kind: "bind",
            source: storage("data"),
            target: "/opt/keycloak/data",
            readOnly: false,
            file: false,
        });
        expect(steps[at("/opt/keycloak/data/import")].readOnly).toBe(true);
        expect(steps[at("/etc/app.conf")]).toEqual({
            kind: "bind",
            source: `${storage("one")}/app.conf`,
            target: "/etc/app.conf",
            readOnly: false,
            file: true,
        });
    });

    test("the script: each mount point made, binds, read-only remounts, then chroot as the pod's user with the container's argv", () => {
        const script = mountScript(root, steps, "/usr/sbin/chroot", ["--userspec=1000:1000", "--groups=1000"]);
        expect(script.split("\n")[0]).toBe("set -eu");
        expect(script).toContain(`mount --bind '/usr' '${root}/usr'\nmount -o remount,bind,ro '${root}/usr'`);
        expect(script).toContain(`mount -t proc proc '${root}/proc'`);
        expect(script).toContain(`[ -e '${root}/dev/null' ] || : > '${root}/dev/null'`);
        expect(script).not.toContain(`remount,bind,ro '${root}/opt/keycloak/data'\n`);
        expect(script.split("\n").pop()).toBe(`exec '/usr/sbin/chroot' '--userspec=1000:1000' '--groups=1000' '${root}' "$@"`);
        // sh accepts it
        expect(spawnSync("sh", ["-n", "-c", script]).status).toBe(0);
    });

    test("quoting: a path with a quote stays one word", () => {
        expect(shq("/a b/it's")).toBe(`'/a b/it'\\''s'`);
        expect(spawnSync("sh", ["-c", `printf %s ${shq("/a b/it's")}`]).stdout.toString()).toBe("/a b/it's");
    });
});
