// The package's public entry points, read from package.json's "exports": the package name a user
// imports ("irpsim", "irpsim/wdm") and the TypeScript source behind its declarations.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Every entry point in "exports", in its order.
 *
 * @returns {{ name: string, source: string }[]}
 */
export function entryPoints() {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  return Object.entries(pkg.exports).map(([key, target]) => {
    const types = typeof target === "string" ? target : target.types;
    if (typeof types !== "string" || !types.startsWith("./dist/") || !types.endsWith(".d.ts")) {
      throw new Error(`package.json exports["${key}"] has no "types" under ./dist/ that maps back to a source file`);
    }
    const name = key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`;
    const source = path.join(root, types.slice("./dist/".length, -".d.ts".length) + ".ts");
    return { name, source };
  });
}
