/**
 * The `irpsim` command line. Commands are registered by the layers that provide them.
 */
import { commands } from "./commands.js";
import { parseOptions } from "./parse-options.js";
import { didYouMean } from "./suggest.js";

/** Runs the command line with `argv` (without node and the script); resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "help" && rest[0] !== undefined) {
    // `irpsim help run` is `irpsim run --help`.
    const c = commands.get(rest[0]);
    if (!c) {
      console.error(`irpsim: there is no command '${rest[0]}'.${didYouMean(rest[0], [...commands.keys()])} Run 'irpsim --help' for the list.`);
      return 2;
    }
    console.log(c.help);
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    printHelp();
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    console.log("irpsim 0.1.0");
    return 0;
  }
  const command = commands.get(name);
  if (!command) {
    const what = name.startsWith("-") ? `'${name}' is not an option of irpsim itself (only --help and --version are)` : `there is no command '${name}'`;
    console.error(`irpsim: ${what}.${name.startsWith("-") ? "" : didYouMean(name, [...commands.keys()])} Run 'irpsim --help' for the list.`);
    return 2;
  }
  const parsed = parseOptions(rest, command.options, `irpsim ${name}`);
  if (typeof parsed === "string") {
    console.error(`irpsim ${name}: ${parsed}`);
    console.error(`Run 'irpsim ${name} --help' for its options.`);
    return 2;
  }
  if (parsed.values.help === true) {
    console.log(command.help);
    return 0;
  }
  return command.run(parsed.values, parsed.positionals);
}

function printHelp(): void {
  const lines = ["irpsim — a deterministic emulator of the Windows NT I/O manager", "", "Commands:"];
  for (const [name, c] of commands) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push("", "Run 'irpsim <command> --help' for a command's options.");
  console.log(lines.join("\n"));
}
