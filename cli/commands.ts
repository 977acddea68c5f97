import type { ParseArgsConfig } from "node:util";

/** Parsed option values, as node:util's parseArgs returns them. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One `irpsim` command. */
export interface Command {
  readonly summary: string;
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig["options"]>;
  run(values: OptionValues, positionals: string[]): Promise<number>;
}

/** The registry: each layer adds its commands here. */
export const commands = new Map<string, Command>();
