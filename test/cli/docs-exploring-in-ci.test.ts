import { expect } from "chai";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { parseArgs } from "node:util";
import "../../cli/index.js";
import { commands } from "../../cli/commands.js";
import { parseShard } from "../../cli/explore-command.js";
import { suppressOptionValue } from "../../explore/suppress.js";
import { findScenario } from "../../samples/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const doc = readFileSync(path.join(root, "docs/exploring-in-ci.md"), "utf8");

/** The `irpsim …` command lines of code, each as its words (up to a redirection or `||`). */
function irpsimCommands(text: string, matrix: Record<string, string>): string[][] {
  const out: string[][] = [];
  for (const line of text.split("\n")) {
    const at = line.indexOf("irpsim ");
    if (at < 0 || /^\s*#/.test(line) || line.includes("`irpsim")) continue;
    const expanded = line.slice(at).replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_m, k: string) => matrix[k] ?? `<${k}>`);
    const words = expanded.split(/\s+/).filter((w) => w !== "");
    const end = words.findIndex((w) => w === ">" || w === "||" || w === "|" || w === ">>");
    out.push(words.slice(1, end < 0 ? undefined : end));
  }
  return out;
}

describe("docs/exploring-in-ci.md: the commands it shows are ones irpsim accepts", () => {
  const workflow = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? "";
  const shards = /shard: \[([\d, ]+)\]/.exec(workflow)?.[1]?.split(",").map((x) => x.trim()) ?? [];

  it("the workflow's matrix names shards 0 … n-1, and every shard job runs the same explore command with its own --shard i/n", () => {
    expect(shards.length).to.be.greaterThan(1);
    expect(shards).to.deep.equal(shards.map((_x, i) => String(i)));
    const lines = shards.map((s) => irpsimCommands(workflow, { shard: s }).filter((w) => w[0] === "explore"));
    for (const [i, l] of lines.entries()) {
      expect(l).to.have.length(1);
      const words = l[0] ?? [];
      const shard = parseShard(words[words.indexOf("--shard") + 1] ?? "");
      expect(shard).to.deep.equal({ index: i, count: shards.length });
      expect(words).to.include("--json");
    }
  });

  it("every irpsim command in the page parses with that command's options, and names a shipped scenario and valid suppressions", () => {
    const code = [...doc.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1] ?? "").join("\n");
    const all = irpsimCommands(code, { shard: "0" });
    expect(all.map((w) => w[0])).to.include.members(["explore", "merge"]);
    for (const words of all) {
      const [name, ...rest] = words;
      const c = commands.get(name ?? "");
      expect(c, `irpsim ${words.join(" ")}`).to.not.equal(undefined);
      if (!c) continue;
      const parsed = parseArgs({ args: rest, options: c.options, allowPositionals: true, strict: true });
      if (name === "explore") {
        expect(findScenario(parsed.positionals[0] ?? ""), `scenario of 'irpsim ${words.join(" ")}'`).to.not.equal(undefined);
        const suppress = parsed.values.suppress;
        if (Array.isArray(suppress)) expect(() => suppressOptionValue(suppress.map(String))).to.not.throw();
      }
    }
  });
});
