#!/usr/bin/env node
// Source-mapped stack traces for the built command line: Node's own source-map support,
// switched on before dist/ is loaded, so bug-check reports name the driver's .ts lines.
process.setSourceMapsEnabled(true);
const { main } = await import("../dist/cli/index.js");
process.exitCode = await main(process.argv.slice(2));
