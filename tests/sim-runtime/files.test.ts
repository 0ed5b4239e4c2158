/** writeAtomic (sim/runtime/files.ts) lays volume files out as the kubelet's AtomicWriter does and swaps them in one rename. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { FileEntry } from "../../sim/runtime/plan";
import { writeAtomic } from "../../sim/runtime/files";

let scratch = "";
let volume = "";
beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "zta-files-"));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
beforeEach(() => {
    volume = fs.mkdtempSync(path.join(scratch, "vol-"));
});

const file = (p: string, content: string, mode = 0o644): FileEntry => ({ path: p, content: Buffer.from(content), mode });
const cacerts = [file("ca-cert.pem", "CA-1"), file("ca-key.pem", "KEY-1", 0o600), file("nested/root-cert.pem", "ROOT-1")];
const dataTarget = () => fs.readlinkSync(path.join(volume, "..data"));
const read = (p: string) => fs.readFileSync(path.join(volume, p), "utf8");
const modeOf = (p: string) => fs.statSync(path.join(volume, p)).mode & 0o777;
const listing = () => fs.readdirSync(volume).sort();

describe("writeAtomic: the first write", () => {
    test("payload in a ..<timestamp> dir, ..data pointing at it, top-level names as symlinks through ..data", () => {
        expect(writeAtomic(volume, cacerts)).toBe(true);
        const stamp = dataTarget();
        expect(stamp).toMatch(/^\.\.\d{4}-\d\d-\d\dT\d\d_\d\d_\d\d_\d{3}Z\./);
        expect(fs.lstatSync(path.join(volume, "..data")).isSymbolicLink()).toBe(true);
        expect(fs.statSync(path.join(volume, stamp)).isDirectory()).toBe(true);
        expect(listing()).toEqual(["..data", stamp, "ca-cert.pem", "ca-key.pem", "nested"].sort());
        for (const name of ["ca-cert.pem", "ca-key.pem", "nested"]) {
            expect(fs.lstatSync(path.join(volume, name)).isSymbolicLink()).toBe(true);
            expect(fs.readlinkSync(path.join(volume, name))).toBe(path.join("..data", name));
        }
        expect(fs.readdirSync(path.join(volume, stamp)).sort()).toEqual(["ca-cert.pem", "ca-key.pem", "nested"]);
    });
    test("each file readable by its name, with its mode", () => {
        writeAtomic(volume, cacerts);
        expect([read("ca-cert.pem"), read("ca-key.pem"), read("nested/root-cert.pem")]).toEqual(["CA-1", "KEY-1", "ROOT-1"]);
        expect([modeOf("ca-cert.pem"), modeOf("ca-key.pem"), modeOf("nested/root-cert.pem")]).toEqual([0o644, 0o600, 0o644]);
    });
    test("a volume directory that does not exist yet is made; no files still makes a payload", () => {
        volume = path.join(volume, "a", "b");
        expect(writeAtomic(volume, [])).toBe(true);
        expect(listing()).toEqual(["..data", dataTarget()].sort());
        expect(fs.readdirSync(path.join(volume, "..data"))).toEqual([]);
    });
});

describe("writeAtomic: writing again", () => {
    test("the same bytes and modes: false, and nothing touched (same ..data target, same payload)", () => {
        writeAtomic(volume, cacerts);
        const before = { target: dataTarget(), listing: listing(), mtime: fs.lstatSync(path.join(volume, "..data")).mtimeMs };
        expect(
            writeAtomic(
                volume,
                cacerts.map((f) => ({ ...f, content: Buffer.from(f.content) })),
            ),
        ).toBe(false);
        expect({ target: dataTarget(), listing: listing(), mtime: fs.lstatSync(path.join(volume, "..data")).mtimeMs }).toEqual(before);
    });
    test("the same files in another order: still unchanged", () => {
        writeAtomic(volume, cacerts);
        expect(writeAtomic(volume, [...cacerts].reverse())).toBe(false);
    });
    test("one byte changed: true, ..data swapped to a new payload, the old payload removed", () => {
        writeAtomic(volume, cacerts);
        const old = dataTarget();
        expect(writeAtomic(volume, [file("ca-cert.pem", "CA-2"), ...cacerts.slice(1)])).toBe(true);
        expect(dataTarget()).not.toBe(old);
        expect(fs.existsSync(path.join(volume, old))).toBe(false);
        expect(read("ca-cert.pem")).toBe("CA-2");
        expect(listing()).toEqual(["..data", dataTarget(), "ca-cert.pem", "ca-key.pem", "nested"].sort());
    });
    test("only a mode changed: true, the new mode in place", () => {
        writeAtomic(volume, cacerts);
        const old = dataTarget();
        expect(writeAtomic(volume, [file("ca-cert.pem", "CA-1", 0o440), ...cacerts.slice(1)])).toBe(true);
        expect(dataTarget()).not.toBe(old);
        expect(modeOf("ca-cert.pem")).toBe(0o440);
    });
    test("a name that left the payload goes, a new one appears; the names that stay keep working", () => {
        writeAtomic(volume, cacerts);
        expect(writeAtomic(volume, [file("ca-cert.pem", "CA-1"), file("cert-chain.pem", "CHAIN")])).toBe(true);
        expect(listing()).toEqual(["..data", dataTarget(), "ca-cert.pem", "cert-chain.pem"].sort());
        expect([read("ca-cert.pem"), read("cert-chain.pem")]).toEqual(["CA-1", "CHAIN"]);
        expect(fs.readdirSync(path.join(volume, "..data")).sort()).toEqual(["ca-cert.pem", "cert-chain.pem"]);
    });
    test("a file more or a file less is a change", () => {
        writeAtomic(volume, cacerts);
        expect(writeAtomic(volume, [...cacerts, file("extra", "x")])).toBe(true);
        expect(writeAtomic(volume, cacerts)).toBe(true);
        expect(writeAtomic(volume, cacerts.slice(0, 2))).toBe(true);
        expect(fs.existsSync(path.join(volume, "nested"))).toBe(false);
    });
});

describe("writeAtomic: paths that escape the volume", () => {
    test("refused, the current payload left as it was and nothing written outside", () => {
        writeAtomic(volume, cacerts);
        const target = dataTarget();
        const before = fs.readdirSync(volume).sort();
        expect(() => writeAtomic(volume, [file("ca-cert.pem", "CA-2"), file("../escaped", "x")])).toThrow(
            "volume file path must be relative, without '..' or empty segments: ../escaped",
        );
        expect(() => writeAtomic(volume, [file("nested/../../../escaped", "x")])).toThrow("without '..'");
        // as the kubelet, any `..` segment is refused, even one that stays inside; and absolute paths
        expect(() => writeAtomic(volume, [file("nested/../inside", "x")])).toThrow("without '..'");
        expect(() => writeAtomic(volume, [file("/etc/passwd", "x")])).toThrow("must be relative");
        // refused before anything is written: no half-made payload dir is left behind
        expect(fs.readdirSync(volume).sort()).toEqual(before);
        expect(dataTarget()).toBe(target);
        expect(read("ca-cert.pem")).toBe("CA-1");
        expect(fs.existsSync(path.join(volume, "escaped"))).toBe(false);
        expect(fs.existsSync(path.join(path.dirname(volume), "escaped"))).toBe(false);
    });
});
