// TypeDoc's configuration for `npm run docs`: the API reference of every public entry point.
//
// The entry points are read from package.json's "exports" (the `types` of each, mapped back to
// its TypeScript source), so an entry another branch adds (irpsim/ntdll, irpsim/wdf) is in the
// reference as soon as it is in "exports". The grouping (Io, Ke, Mm… for the kernel; Win32 by
// header) and the naming of modules after their package names are done by ./wdk-groups.mjs.
import { entryPoints, root } from "./entries.mjs";
import { readFileSync } from "node:fs";
import path from "node:path";

// Exports that were undocumented when the docs build began to fail on undocumented exports: a
// list that only shrinks. A name not on it fails the build when undocumented, and a name on it
// that gains a comment fails the build too ("…were not used") until it is taken off the list.
// `node scripts/typedoc/not-yet-documented.mjs` rewrites it from the current warnings.
const notYetDocumented = JSON.parse(readFileSync(path.join(root, "scripts/typedoc/not-yet-documented.json"), "utf8"));

/** @type {Partial<import("typedoc").TypeDocOptions>} */
const config = {
  entryPoints: entryPoints().map((e) => e.source),
  tsconfig: path.join(root, "scripts/typedoc/tsconfig.json"),
  out: path.join(root, "docs/api"),
  name: "irpsim API reference",
  readme: path.join(root, "scripts/typedoc/index.md"),
  plugin: [path.join(root, "scripts/typedoc/wdk-groups.mjs")],
  // The tests and `npm run build` type-check; the reference is built from the same program.
  skipErrorChecking: true,
  // What the published .d.ts files leave out (tsconfig's stripInternal), the reference leaves out.
  excludeInternal: true,
  excludePrivate: true,
  excludeProtected: true,
  excludeExternals: true,
  // Every exported name, member and signature of the public entries must say what it models.
  treatWarningsAsErrors: true,
  treatValidationWarningsAsErrors: true,
  validation: { notExported: false, invalidLink: true, rewrittenLink: true, notDocumented: true, unusedMergeModuleWith: true },
  intentionallyNotDocumented: notYetDocumented,
  requiredToBeDocumented: ["Enum", "EnumMember", "Variable", "Function", "Class", "Interface", "Property", "Method", "Accessor", "TypeAlias"],
  navigation: { includeGroups: true, includeCategories: false, includeFolders: false },
  // Each name's first paragraph beside it in the module's index.
  useFirstParagraphOfCommentAsSummary: true,
  sort: ["alphabetical-ignoring-documents"],
  githubPages: false,
  hideGenerator: true,
  // No "Defined in" links: the reference is read beside a checkout or an installed package, not a forge.
  disableSources: true,
};

export default config;
