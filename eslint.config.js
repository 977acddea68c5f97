// Lint configuration: typescript-eslint's strict type-checked rules over every TypeScript file.
import js from "@eslint/js";
import { readFileSync } from "node:fs";
import path from "node:path";
import tseslint from "typescript-eslint";

// The package's public entry points, from package.json's "exports" ("." is "irpsim", "./wdm" is "irpsim/wdm").
const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
const publicEntries = Object.keys(pkg.exports).map((k) => (k === "." ? pkg.name : `${pkg.name}/${k.slice(2)}`));
const samplesRoot = path.join(import.meta.dirname, "samples");
// The guide's code (docs/examples) is held to the same rule: relative imports stay inside it.
const docsExamplesRoot = path.join(import.meta.dirname, "docs", "examples");

/**
 * Samples are what users copy: they import only the package's public entry points (and each
 * other, inside samples/), never the emulator's internals by a relative path. So is the guide's
 * code in docs/examples.
 */
const publicImportsOnly = {
  meta: {
    type: "problem",
    docs: { description: "samples import only irpsim's public entry points" },
    schema: [],
    messages: {
      internal: "'{{source}}' reaches into irpsim's own folders; a sample imports only the public entry points ({{entries}}). If something it needs is not exported, export it from a public entry.",
      unknown: "'{{source}}' is not one of irpsim's public entry points ({{entries}}).",
    },
  },
  create(context) {
    const file = context.filename;
    const check = (node) => {
      const source = node?.type === "Literal" && typeof node.value === "string" ? node.value : null;
      if (source === null || source.startsWith("node:")) return;
      if (source.startsWith(".")) {
        const target = path.resolve(path.dirname(file), source);
        const home = file.startsWith(docsExamplesRoot + path.sep) ? docsExamplesRoot : samplesRoot;
        if (target === home || target.startsWith(home + path.sep)) return;
        context.report({ node, messageId: "internal", data: { source, entries: publicEntries.join(", ") } });
      } else if (!publicEntries.includes(source)) {
        context.report({ node, messageId: "unknown", data: { source, entries: publicEntries.join(", ") } });
      }
    };
    return {
      ImportDeclaration: (n) => check(n.source),
      ExportNamedDeclaration: (n) => check(n.source),
      ExportAllDeclaration: (n) => check(n.source),
      ImportExpression: (n) => check(n.source),
    };
  },
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "bin/**", "scratch/**", "docs/api/**", "eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // WDK names (IRP_MJ_*, STATUS_*, IoCompleteRequest) are the point: no naming rule.
      "@typescript-eslint/naming-convention": "off",
      // Numbers in template strings are how NT values print (0x%08X is done by hand).
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // Bit operations on NTSTATUS and PTE values are deliberate.
      "no-bitwise": "off",
      // Driver code mirrors C: loops over constant conditions are common (for (;;)).
      "@typescript-eslint/no-unnecessary-condition": ["error", { allowConstantLoopConditions: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-invalid-void-type": "off",
      "@typescript-eslint/no-extraneous-class": "off",
      // Rethrowing a captured `unknown` (an emulated thread's error) is how errors cross threads.
      "@typescript-eslint/only-throw-error": ["error", { allowThrowingUnknown: true }],
    },
  },
  {
    // Build scripts are plain Node ESM, outside the TypeScript project: linted without type information.
    files: ["scripts/**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { console: "readonly", process: "readonly", performance: "readonly", URL: "readonly" },
    },
  },
  {
    files: ["samples/**/*.ts", "docs/**/*.ts"],
    plugins: { irpsim: { rules: { "public-imports-only": publicImportsOnly } } },
    rules: { "irpsim/public-imports-only": "error" },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-expressions": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
);
