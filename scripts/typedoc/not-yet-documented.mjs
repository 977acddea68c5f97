// Rewrites not-yet-documented.json, the docs build's list of exports still waiting for a doc
// comment, from what TypeDoc reports now: run it after documenting some (the list shrinks).
// Adding to the list by hand is the wrong fix for a new export: write its comment instead.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { root } from "./entries.mjs";

const list = path.join(root, "scripts/typedoc/not-yet-documented.json");
writeFileSync(list, "[]\n");
const r = spawnSync(process.execPath, [path.join(root, "node_modules/typedoc/bin/typedoc"), "--options", path.join(root, "scripts/typedoc/config.mjs"), "--emit", "none"], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
// eslint-disable-next-line no-control-regex
const out = (r.stdout + r.stderr).replace(/\u001b\[[0-9;]*m/g, "");
const names = [...out.matchAll(/^\[warning\] (\S+) \(\w+\), defined in .*, does not have any documentation$/gm)].map((m) => m[1]);
const unique = [...new Set(names)].sort();
writeFileSync(list, JSON.stringify(unique, null, 1) + "\n");
console.log(`${unique.length} exports still need a doc comment (${path.relative(root, list)})`);
