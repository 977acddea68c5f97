/**
 * Writing a report where the user asked for it: a file (its folder made as needed), or standard
 * output.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Writes `text` to `file`, creating its folder; an error message on failure, else null. */
export function writeReport(file: string, text: string): string | null {
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, text);
    return null;
  } catch (e) {
    return `cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`;
  }
}
