/**
 * Building blocks of the bash scripts the bare-metal layer runs over SSH (@pulumi/command). Scripts are rendered
 * by pure functions so tests can run them against stub system commands (tests/platform/baremetal/stubs.ts).
 *
 * Rules every rendered script follows:
 * - it stops at the first failing command (`set -euo pipefail`, also inside `$(...)`);
 * - a second run changes nothing: every step checks before it acts, and files go through `write_file`;
 * - every path it reads or writes is `"$ROOT"/...`: empty on a host, a scratch directory in tests (ZTA_ROOT);
 * - only non-secret values are embedded (through `shellQuote`); secrets reach a script on its stdin.
 */

/** `value` as one single-quoted bash word (for non-secret values only: the script text is logged and stored). */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Where the scripts remember follow-up actions they still owe (see `mark_pending`). */
export const pendingDir = "/var/lib/zta-testbed/pending";

/**
 * The standard prelude. Functions it defines:
 * - `write_file PATH MODE <content` installs stdin as "$ROOT"PATH with MODE (octal, as `stat -c %a` prints it)
 *   only when content or mode differ; returns 0 when it changed the file, 1 when it already matched.
 * - `mark_pending NAME` / `is_pending NAME` / `clear_pending NAME`: an action owed because a file changed
 *   (a restart, `sysctl --system`) is recorded on disk before it runs and cleared after it succeeded, so a run
 *   that dies in between still performs it next time instead of seeing "file unchanged".
 * - `listed WORD <lines`: whether some line's first field is WORD.
 * - `changed WHAT` counts and reports a change; the epilogue prints the count.
 */
export function prelude(title: string): string {
    return `#!/usr/bin/env bash
# ${title.replace(/\n/g, " ")}
# Rendered by zta-testbed (components/platform/baremetal). Safe to re-run: every step checks before it acts.
set -euo pipefail
# Command substitutions inherit -e too, so a failing query in $(...) stops the script instead of reading as "".
shopt -s inherit_errexit
umask 022
# Prefix of every path the script touches: empty on a host, a scratch directory in tests.
ROOT="\${ZTA_ROOT:-}"
CHANGES=0

die() {
    printf 'zta: %s\\n' "$*" >&2
    exit 1
}

changed() {
    CHANGES=$((CHANGES + 1))
    printf 'zta: changed: %s\\n' "$*"
}

# write_file PATH MODE <content. Callers test its status (\`if write_file\` or \`write_file ... || true\`), where
# bash suspends set -e, also inside the functions called, so every step here fails explicitly. Never use it in a pipeline or $(...): the change
# count would be lost in the subshell.
write_file() {
    local path="$ROOT$1" mode="$2" dir tmp current_mode
    dir="\${path%/*}"
    mkdir -p -- "$dir" || die "cannot create the directory of $1"
    tmp="$(mktemp -- "$path.zta.XXXXXX")" || die "cannot create a temporary file next to $1"
    cat >"$tmp" || die "cannot read the content of $1"
    if [[ -f "$path" && ! -L "$path" ]] && cmp -s -- "$tmp" "$path"; then
        current_mode="$(stat -c %a -- "$path")" || die "cannot read the mode of $1"
        if [[ "$current_mode" == "$mode" ]]; then
            rm -f -- "$tmp" || die "cannot remove $tmp"
            return 1
        fi
    fi
    chmod "$mode" "$tmp" || die "cannot set the mode of $1"
    # rename(2) replaces the file atomically: a reader never sees half a file.
    mv -f -- "$tmp" "$path" || die "cannot replace $1"
    changed "$1"
}

mark_pending() {
    mkdir -p -- "$ROOT${pendingDir}"
    : >"$ROOT${pendingDir}/$1"
}

is_pending() {
    [[ -e "$ROOT${pendingDir}/$1" ]]
}

clear_pending() {
    rm -f -- "$ROOT${pendingDir}/$1"
}

listed() {
    awk -v word="$1" '$1 == word { found = 1 } END { exit !found }'
}
`;
}

/** Last line of every script: the number of changes, so logs show whether a run was a no-op. */
export function epilogue(what: string): string {
    return `printf 'zta: ${what.replace(/['\\%]/g, "")}: %d change(s)\\n' "$CHANGES"\n`;
}

const heredocEnd = "ZTA_EOF";

/** A quoted here-document carrying `content` verbatim (no expansion); `content` must not contain its end line. */
function heredocBody(content: string): string {
    const text = content.endsWith("\n") ? content : `${content}\n`;
    if (text.split("\n").includes(heredocEnd)) {
        throw new Error(`file content must not contain a line "${heredocEnd}"`);
    }
    return `${text}${heredocEnd}\n`;
}

function checkMode(mode: string): void {
    if (!/^[0-7]{3,4}$/.test(mode) || mode.startsWith("0")) {
        throw new Error(`file mode must be octal as stat -c %a prints it (e.g. 644), got "${mode}"`);
    }
}

/**
 * Bash that installs `content` at `path` with `mode` via write_file and, only when that changed the file,
 * runs `onChange` (bash lines). The content is embedded in the script: never pass a secret.
 */
export function writeFileStep(path: string, mode: string, content: string, onChange?: string): string {
    checkMode(mode);
    if (!path.startsWith("/")) {
        throw new Error(`file path must be absolute, got "${path}"`);
    }
    const call = `write_file ${shellQuote(path)} ${mode} <<'${heredocEnd}'`;
    if (onChange === undefined) {
        // Status 1 only means "already up to date"; real failures exit inside write_file.
        return `${call} || true\n${heredocBody(content)}`;
    }
    return `if ${call}\n${heredocBody(content)}then\n${indent(onChange)}fi\n`;
}

/** `text` indented by four spaces per non-empty line (keeps rendered scripts readable). */
export function indent(text: string): string {
    return text
        .split("\n")
        .map((line) => (line === "" ? line : `    ${line}`))
        .join("\n")
        .replace(/\n?$/, "\n");
}

/** A complete script: prelude, the sections in order, epilogue. */
export function renderScript(title: string, sections: readonly string[]): string {
    return [prelude(title), ...sections, epilogue(title)].join("\n");
}

/** One secret of a stdin bundle: the shell variable it lands in and how errors name it. */
export interface BundleField {
    readonly variable: string;
    readonly label: string;
}

/**
 * The stdin bundle a script reads its secrets from: a header line, then one base64 line per value (base64 keeps
 * multi-line PEM keys on one line and any byte intact). Pass it as the command's stdin, never in its text.
 */
export function renderBundle(header: string, values: readonly string[]): string {
    return [header, ...values.map((v) => Buffer.from(v, "utf8").toString("base64")), ""].join("\n");
}

/**
 * Bash that reads a `renderBundle` bundle whole before anything else can read stdin, then closes stdin, and decodes
 * each value into its shell variable only (never exported, never on a command line). Any deviation (missing or extra
 * line, wrong header, bad base64) stops the script naming the part, never its content.
 */
export function readBundleStep(what: string, header: string, fields: readonly BundleField[]): string {
    const reads = fields.map((f) => `IFS= read -r ${f.variable}_b64 || bundle_error "no ${f.label} line"`).join("\n");
    const decodes = fields
        .map((f) => `${f.variable}="$(base64 -d <<<"$${f.variable}_b64" 2>/dev/null)" || bundle_error "${f.label} is not base64"`)
        .join("\n");
    return `# The secret bundle, read whole before anything else can read stdin; decoded into shell variables only.
bundle_error() {
    die "stdin: expected the ${what} secret bundle ($1)"
}
IFS= read -r header || bundle_error "no header line"
[[ "$header" == ${shellQuote(header)} ]] || bundle_error "wrong header line"
${reads}
extra=""
if IFS= read -r extra || [[ -n "$extra" ]]; then
    bundle_error "data after the ${fields[fields.length - 1].label} line"
fi
exec </dev/null
${decodes}
`;
}

/** Bash that enables and starts a systemd unit unless it already is (`systemctl show` exits 0 whatever the state). */
export function ensureServiceStep(unit: string): string {
    const u = shellQuote(unit);
    return `# \`systemctl show\` exits 0 whatever the state, so a failing systemctl stops the script.
state="$(systemctl show --property=UnitFileState --value ${u})"
if [[ "$state" != enabled ]]; then
    systemctl enable ${u}
    changed "enabled ${unit}"
fi
state="$(systemctl show --property=ActiveState --value ${u})"
if [[ "$state" != active ]]; then
    systemctl start ${u}
    changed "started ${unit}"
fi
`;
}

/**
 * Bash that sets `current` to "<running> <label value>" of the container `name`, or "" when there is none: the
 * scripts compare it with "true <config hash>" to decide whether to (re)create the container.
 */
export function containerStateStep(name: string, label: string): string {
    return `# All names, matched exactly here: docker's name filter is a substring/regex match.
names="$(docker ps --all --format '{{.Names}}')"
current=""
if listed ${shellQuote(name)} <<<"$names"; then
    current="$(docker inspect --format '{{.State.Running}} {{index .Config.Labels "${label}"}}' ${shellQuote(name)})"
fi
`;
}
