/**
 * The Mermaid exporter: a `sequenceDiagram` that GitHub, GitLab and the Mermaid live editor render
 * as-is. Dispatch, cancel and completion routines, API calls and DPCs are activations; MDL locks
 * and mappings and pended IRPs are notes; identical DPC runs fold into a `loop` block.
 */
import type { TraceEvent } from "../kernel/trace.js";
import { joinChunks } from "./stream.js";
import { streamSequence, type MessageStep, type NoteStep, type SequenceDiagram, type SequenceStep } from "./sequence.js";

/** Options for the Mermaid exporter. */
export interface MermaidOptions {
  /** A title line for the diagram. */
  readonly title?: string;
  /** Also show DbgPrint / OutputDebugString lines and waits as notes. */
  readonly verbose?: boolean;
}

/**
 * What Mermaid's sequence-diagram lexer and renderer treat specially in the text of a message, a
 * note or a loop label: `#` starts a comment (the rest of the line is dropped: "irp#2" became
 * "irp"), `;` ends the statement, `%` can start a `%%` comment, `<` `>` `&` are read as HTML. Each
 * is written as Mermaid's entity code (`#35;`), which Mermaid decodes back to the character when
 * it draws the diagram.
 */
const MERMAID_TEXT = /[#;%<>&]/g;
/** In a participant's label (its alias) `,` `:` `@` end the name too. */
const MERMAID_LABEL = /[#;%<>&,:@]/g;
const ENTITY: Readonly<Record<string, string>> = { "#": "#35;", ";": "#59;", "%": "#37;", "<": "#lt;", ">": "#gt;", "&": "#amp;", ",": "#44;", ":": "#58;", "@": "#64;" };

/** Escapes text for a Mermaid message, note or loop label (see MERMAID_TEXT); line breaks become spaces. */
export function mermaidText(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(MERMAID_TEXT, (c) => ENTITY[c] ?? c);
}

/** Escapes a participant's label. */
export function mermaidLabel(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(MERMAID_LABEL, (c) => ENTITY[c] ?? c);
}

const ARROWS: Record<MessageStep["arrow"], string> = { call: "->>", return: "-->>", async: "-)" };

function stepLines(ids: readonly string[], s: SequenceStep, indent: string): string[] {
  if (s.kind === "group") {
    return [`${indent}loop ${mermaidText(s.label)}`, ...s.steps.flatMap((x) => stepLines(ids, x, `${indent}  `)), `${indent}end`];
  }
  if (s.kind === "note") return [`${indent}${noteLine(ids, s)}`];
  const mark = s.activate ? "+" : s.deactivate ? "-" : "";
  return [`${indent}${s.from}${ARROWS[s.arrow]}${mark}${s.to}: ${mermaidText(s.text)}`];
}

function noteLine(ids: readonly string[], n: NoteStep): string {
  const over = n.over.length > 0 ? n.over.filter((p) => ids.includes(p)) : ids;
  const sorted = [...over].sort((a, b) => ids.indexOf(a) - ids.indexOf(b));
  const first = sorted[0] ?? ids[0] ?? "io";
  const last = sorted.at(-1) ?? first;
  return `Note over ${first === last ? first : `${first},${last}`}: ${mermaidText(n.text)}`;
}

/** The Mermaid source of a diagram, in chunks of a line each (the steps may be a stream). */
function* mermaidLines(d: { readonly participants: SequenceDiagram["participants"]; readonly steps: Iterable<SequenceStep> }, options: { title?: string }): Generator<string> {
  // The title is a comment: Mermaid's `title` statement sanitises through the DOM, which a
  // parser-only consumer (and our Node test) lacks; a Markdown heading names the diagram instead.
  if (options.title) yield `%% ${options.title.replace(/[\r\n]+/g, " ")}\n`;
  yield "sequenceDiagram\n";
  for (const p of d.participants) yield `  participant ${p.id} as ${mermaidLabel(p.label)}\n`;
  const ids = d.participants.map((p) => p.id);
  for (const s of d.steps) for (const l of stepLines(ids, s, "  ")) yield `${l}\n`;
}

/** Renders a sequence model as Mermaid source. */
export function renderMermaid(d: SequenceDiagram, options: { title?: string } = {}): string {
  return joinChunks(mermaidLines(d, options));
}

/** The Mermaid `sequenceDiagram` of a run, from its trace events, in chunks made as they are consumed. */
export function mermaidChunks(events: readonly TraceEvent[], options: MermaidOptions = {}): Iterable<string> {
  return mermaidLines(streamSequence(events, { verbose: options.verbose ?? false }), options.title ? { title: options.title } : {});
}

/** The Mermaid `sequenceDiagram` of a run, from its trace events. */
export function formatMermaid(events: readonly TraceEvent[], options: MermaidOptions = {}): string {
  return joinChunks(mermaidChunks(events, options));
}

/** {@link formatMermaidMarkdown} in chunks. */
export function* mermaidMarkdownChunks(runs: readonly { readonly title: string; readonly events: readonly TraceEvent[] }[], options: Omit<MermaidOptions, "title"> = {}): Generator<string> {
  let first = true;
  for (const r of runs) {
    yield `${first ? "" : "\n"}## ${r.title}\n\n\`\`\`mermaid\n`;
    first = false;
    yield* mermaidChunks(r.events, options);
    yield "```\n";
  }
}

/**
 * Several runs as one Markdown document: a heading and a fenced `mermaid` block per run (what
 * GitHub renders as diagrams).
 */
export function formatMermaidMarkdown(runs: readonly { readonly title: string; readonly events: readonly TraceEvent[] }[], options: Omit<MermaidOptions, "title"> = {}): string {
  return joinChunks(mermaidMarkdownChunks(runs, options));
}
