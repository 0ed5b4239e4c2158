/**
 * Volume files the way the kubelet writes them (its AtomicWriter): the payload lives in a timestamped `..<ts>` dir,
 * `..data` is a symlink to it, and every top-level name is a symlink through `..data`. An update writes a new dir and
 * swaps `..data` with one rename, so a reader (istiod's watch on `cacerts`) never sees half a change.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { FileEntry } from "./plan";

export interface Owner {
    readonly uid?: number;
    readonly gid?: number;
}

function chown(p: string, owner: Owner): void {
    if (owner.uid !== undefined || owner.gid !== undefined) {
        fs.lchownSync(p, owner.uid ?? 0, owner.gid ?? owner.uid ?? 0);
    }
}

/** Same bytes and modes as what is there now? (Then nothing is rewritten and no watcher fires.) */
function unchanged(dir: string, files: readonly FileEntry[]): boolean {
    const data = path.join(dir, "..data");
    if (!fs.existsSync(data)) {
        return false;
    }
    const current = new Set<string>();
    const walk = (d: string, rel: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const r = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) {
                walk(path.join(d, e.name), r);
            } else {
                current.add(r);
            }
        }
    };
    walk(fs.realpathSync(data), "");
    if (current.size !== files.length) {
        return false;
    }
    return files.every((f) => {
        const p = path.join(data, f.path);
        return current.has(f.path) && (fs.statSync(p).mode & 0o777) === f.mode && fs.readFileSync(p).equals(f.content);
    });
}

/** Writes (or atomically replaces) a volume's files in `dir`. Returns whether anything changed. */
export function writeAtomic(dir: string, files: readonly FileEntry[], owner: Owner = {}): boolean {
    // as the kubelet: relative paths without `..` or empty segments only, checked before anything is written
    for (const f of files) {
        if (path.isAbsolute(f.path) || f.path.split("/").some((seg) => seg === ".." || seg === "")) {
            throw new Error(`volume file path must be relative, without '..' or empty segments: ${f.path}`);
        }
    }
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (unchanged(dir, files)) {
        return false;
    }
    const stamp = `..${new Date().toISOString().replace(/[:.]/g, "_")}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
    const payload = path.join(dir, stamp);
    fs.mkdirSync(payload, { mode: 0o755 });
    for (const f of files) {
        const p = path.join(payload, f.path);
        fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
        fs.writeFileSync(p, f.content, { mode: f.mode });
        fs.chmodSync(p, f.mode);
        chown(p, owner);
    }
    const dataLink = path.join(dir, "..data");
    const previous = fs.existsSync(dataLink) ? fs.readlinkSync(dataLink) : undefined;
    const tmpLink = path.join(dir, "..data_tmp");
    fs.rmSync(tmpLink, { force: true });
    fs.symlinkSync(stamp, tmpLink);
    fs.renameSync(tmpLink, dataLink);
    // top-level names: symlinks through ..data; names that left the payload go
    const top = new Set(files.map((f) => f.path.split("/")[0]));
    for (const name of top) {
        const link = path.join(dir, name);
        if (!fs.existsSync(link)) {
            fs.symlinkSync(path.join("..data", name), link);
        }
    }
    for (const name of fs.readdirSync(dir)) {
        if (!name.startsWith("..") && !top.has(name)) {
            fs.rmSync(path.join(dir, name), { force: true, recursive: true });
        }
    }
    if (previous && previous !== stamp) {
        fs.rmSync(path.join(dir, previous), { recursive: true, force: true });
    }
    return true;
}
