#!/usr/bin/env node
// The shell scripts' reader of versions.json (repo root), the one version manifest; jq is not needed.
//   node toolchain/manifest.js shell        NAME='value' lines to eval: toolchain.<pin>.<field> becomes PIN_FIELD
//                                           (kubernetesProvider.modver -> KUBERNETES_PROVIDER_MODVER; lists are
//                                           space-separated; `why` is left out)
//   node toolchain/manifest.js get PATH     one value, e.g. `get toolchain.kwok.version`
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const file = path.join(__dirname, "..", "versions.json");

function fail(message) {
    process.stderr.write(`toolchain/manifest.js: ${message}\n`);
    process.exit(1);
}

let manifest;
try {
    manifest = JSON.parse(fs.readFileSync(file, "utf8"));
} catch (e) {
    fail(`cannot read ${file}: ${e.message}`);
}

const snake = (key) =>
    key
        .replace(/([a-z])([A-Z0-9])/g, "$1_$2")
        .replace(/([0-9])([A-Za-z])/g, "$1_$2")
        .toUpperCase();
// Everything the scripts get is a version, module path or list of them: no quoting surprises.
const safe = /^[A-Za-z0-9._/@:+-]+$/;
const scalar = (where, value) => {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
        if (typeof item !== "string" || !safe.test(item)) {
            fail(`${where}: expected a version or module path, got ${JSON.stringify(item)}`);
        }
    }
    return items.join(" ");
};

const [command, arg] = process.argv.slice(2);
if (command === "shell") {
    const lines = [];
    for (const [pin, fields] of Object.entries(manifest.toolchain ?? {})) {
        for (const [field, value] of Object.entries(fields)) {
            if (field === "why") continue;
            lines.push(`${snake(pin)}_${snake(field)}='${scalar(`toolchain.${pin}.${field}`, value)}'`);
        }
    }
    process.stdout.write(lines.join("\n") + "\n");
} else if (command === "get" && arg) {
    const value = arg.split(".").reduce((node, key) => (node && typeof node === "object" ? node[key] : undefined), manifest);
    if (value === undefined) fail(`${arg}: not in ${file}`);
    process.stdout.write(scalar(arg, value) + "\n");
} else {
    fail("usage: node toolchain/manifest.js shell | get PATH");
}
