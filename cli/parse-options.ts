/**
 * A command's arguments into option values and positionals, with every mistake explained in our
 * own words ("--formt is not an option of irpsim run. Did you mean '--format'?") rather than
 * node:util's parseArgs messages. Options are declared as parseArgs declares them (type, short,
 * multiple, default), so a command's table reads the same.
 */
import type { OptionValues } from "./commands.js";
import { didYouMean } from "./suggest.js";

/** One declared option, as node:util's parseArgs takes it. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  readonly default?: string | boolean | string[] | boolean[];
}

/** What {@link parseOptions} found. */
export interface ParsedArgs {
  readonly values: OptionValues;
  readonly positionals: string[];
}

/**
 * Parses `args` for the command `command` ("irpsim run"): `--name value`, `--name=value`, `-x
 * value`, `-xvalue`, `--` (everything after it is positional). Returns the values (defaults
 * filled in) and positionals, or the message for the first mistake.
 */
export function parseOptions(args: readonly string[], options: Readonly<Record<string, OptionSpec>>, command: string): ParsedArgs | string {
  const values: OptionValues = {};
  const positionals: string[] = [];
  const names = Object.keys(options);
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(options)) if (o.short !== undefined) byShort.set(o.short, name);

  const set = (name: string, o: OptionSpec, value: string | boolean): void => {
    if (o.multiple === true) {
      const list = values[name];
      values[name] = Array.isArray(list) ? [...list, value] : [value];
    } else {
      values[name] = value;
    }
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let shown: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const raw = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      shown = `--${raw}`;
      if (!(raw in options)) return `${shown} is not an option of ${command}.${didYouMean(raw, names, "--")}`;
      name = raw;
    } else if (arg.startsWith("-") && arg.length > 1) {
      const letter = arg.slice(1, 2);
      shown = `-${letter}`;
      name = byShort.get(letter);
      if (name === undefined) return `${shown} is not an option of ${command}.`;
      if (arg.length > 2) inline = arg.startsWith("=", 2) ? arg.slice(3) : arg.slice(2);
    } else {
      positionals.push(arg);
      continue;
    }
    const o = options[name];
    if (!o) return `${shown} is not an option of ${command}.`;
    const long = `--${name}`;
    if (o.type === "boolean") {
      if (inline !== undefined) return `${long} is a switch and takes no value (got '${arg}').`;
      set(name, o, true);
      continue;
    }
    if (inline !== undefined) {
      if (inline === "") return `${long} needs a value (${long} <value>).`;
      set(name, o, inline);
      continue;
    }
    const next = args[i + 1];
    if (next === undefined || (next.startsWith("-") && next !== "-")) return `${long} needs a value (${long} <value>)${next === undefined ? "" : `, but it is followed by '${next}'`}.`;
    set(name, o, next);
    i++;
  }
  for (const [name, o] of Object.entries(options)) {
    if (values[name] === undefined && o.default !== undefined) values[name] = Array.isArray(o.default) ? [...o.default] : o.default;
  }
  return { values, positionals };
}
