/**
 * Reports as streams: every exporter produces its output as a sequence of text chunks, built as
 * they are consumed, so a run of millions of events is written without ever holding the whole
 * report (which can pass V8's largest string) in memory. The string forms (`formatTextTimeline`
 * and friends) join the same chunks.
 */
import type { Writable } from "node:stream";

/** A report as text chunks, in order; concatenated, they are the report. */
export type Chunks = Iterable<string>;

/** The whole report as one string (for small runs, tests and the string APIs). */
export function joinChunks(chunks: Chunks): string {
  const parts: string[] = [];
  for (const c of chunks) parts.push(c);
  return parts.join("");
}

/** Chunks are gathered into writes of about this many characters. */
const WRITE_CHARS = 1 << 16;

/**
 * Writes the chunks to a stream as they are produced, waiting for the stream to drain when its
 * buffer is full (backpressure), so memory stays bounded however long the report is.
 */
export async function writeChunks(out: Writable, chunks: Chunks): Promise<void> {
  let batch: string[] = [];
  let size = 0;
  const flush = async () => {
    if (size === 0) return;
    const text = batch.join("");
    batch = [];
    size = 0;
    if (!out.write(text)) await drained(out);
  };
  for (const c of chunks) {
    batch.push(c);
    size += c.length;
    if (size >= WRITE_CHARS) await flush();
  }
  await flush();
}

/** Resolves when the stream can take more, rejects if it fails or closes first. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      out.off("drain", onDrain);
      out.off("error", onError);
      out.off("close", onClose);
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new Error(typeof error === "string" ? error : "the output failed"));
    };
    const onDrain = () => {
      done();
    };
    const onError = (e: unknown) => {
      done(e);
    };
    const onClose = () => {
      done(new Error("the output closed before the report was written"));
    };
    out.on("drain", onDrain);
    out.on("error", onError);
    out.on("close", onClose);
  });
}

/** Yields each line of `lines` followed by a newline. */
export function* asLines(lines: Iterable<string>): Generator<string> {
  for (const l of lines) yield `${l}\n`;
}
