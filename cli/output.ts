/**
 * Writing a report where the user asked for it: a file (its folder made as needed) or standard
 * output, as it is produced, so a long run's report never has to fit in memory.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { writeChunks, type Chunks } from "../report/stream.js";

/** Writes a report to `file` as it is produced, creating its folder; an error message on failure, else null. */
export async function writeReport(file: string, report: string | Chunks): Promise<string | null> {
  const chunks: Chunks = typeof report === "string" ? [report] : report;
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const out = createWriteStream(file);
    await new Promise<void>((resolve, reject) => {
      out.once("open", () => {
        resolve();
      });
      out.once("error", reject);
    });
    await writeChunks(out, chunks);
    await new Promise<void>((resolve, reject) => {
      out.once("error", reject);
      out.end(() => {
        resolve();
      });
    });
    return null;
  } catch (e) {
    return `cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Writes a report to standard output; a reader that stops early (`| head`) is not an error. */
export async function writeStdout(report: string | Chunks): Promise<void> {
  try {
    await writeChunks(process.stdout, typeof report === "string" ? [report] : report);
  } catch (e) {
    if ((e as { code?: unknown }).code !== "EPIPE") throw e;
  }
}
