/**
 * The Mermaid exporter: a `sequenceDiagram` that GitHub, GitLab and the Mermaid live editor render
 * as-is. Dispatch, cancel and completion routines, API calls and DPCs are activations; MDL locks
 * and mappings and pended IRPs are notes; identical DPC runs fold into a `loop` block.
 */
import type { TraceEvent } from "../kernel/trace.js";
import { buildSequence, type MessageStep, type NoteStep, type SequenceDiagram, type SequenceStep } from "./sequence.js";

/** Options for the Mermaid exporter. */
export interface MermaidOptions {
  /** A title line for the diagram. */
  readonly title?: string;
  /** Also show DbgPrint / OutputDebugString lines and waits as notes. */
  readonly verbose?: boolean;
}

/**
 * Escapes text for a Mermaid message or note: `;` ends a statement and `<`, `>` would be read as
 * HTML, so they become Mermaid's entity codes (`#59;`), which it turns back into the characters.
 */
export function mermaidText(text: string): string {
  return text.replace(/;/g, "#59;").replace(/</g, "#lt;").replace(/>/g, "#gt;").replace(/[\r\n]+/g, " ");
}

const ARROWS: Record<MessageStep["arrow"], string> = { call: "->>", return: "-->>", async: "-)" };

function stepLines(d: SequenceDiagram, s: SequenceStep, indent: string): string[] {
  if (s.kind === "group") {
    return [`${indent}loop ${mermaidText(s.label)}`, ...s.steps.flatMap((x) => stepLines(d, x, `${indent}  `)), `${indent}end`];
  }
  if (s.kind === "note") return [`${indent}${noteLine(d, s)}`];
  const mark = s.activate ? "+" : s.deactivate ? "-" : "";
  return [`${indent}${s.from}${ARROWS[s.arrow]}${mark}${s.to}: ${mermaidText(s.text)}`];
}

function noteLine(d: SequenceDiagram, n: NoteStep): string {
  const ids = d.participants.map((p) => p.id);
  const over = n.over.length > 0 ? n.over.filter((p) => ids.includes(p)) : ids;
  const sorted = [...over].sort((a, b) => ids.indexOf(a) - ids.indexOf(b));
  const first = sorted[0] ?? ids[0] ?? "io";
  const last = sorted.at(-1) ?? first;
  return `Note over ${first === last ? first : `${first},${last}`}: ${mermaidText(n.text)}`;
}

/** Renders a sequence model as Mermaid source. */
export function renderMermaid(d: SequenceDiagram, options: { title?: string } = {}): string {
  // The title is a comment: Mermaid's `title` statement sanitises through the DOM, which a
  // parser-only consumer (and our Node test) lacks; a Markdown heading names the diagram instead.
  const lines = options.title ? [`%% ${options.title.replace(/[\r\n]+/g, " ")}`, "sequenceDiagram"] : ["sequenceDiagram"];
  for (const p of d.participants) lines.push(`  participant ${p.id} as ${mermaidText(p.label)}`);
  for (const s of d.steps) lines.push(...stepLines(d, s, "  "));
  return lines.join("\n") + "\n";
}

/** The Mermaid `sequenceDiagram` of a run, from its trace events. */
export function formatMermaid(events: readonly TraceEvent[], options: MermaidOptions = {}): string {
  return renderMermaid(buildSequence(events, { verbose: options.verbose ?? false }), options.title ? { title: options.title } : {});
}

/**
 * Several runs as one Markdown document: a heading and a fenced `mermaid` block per run (what
 * GitHub renders as diagrams).
 */
export function formatMermaidMarkdown(runs: readonly { readonly title: string; readonly events: readonly TraceEvent[] }[], options: Omit<MermaidOptions, "title"> = {}): string {
  return runs.map((r) => `## ${r.title}\n\n\`\`\`mermaid\n${formatMermaid(r.events, options)}\`\`\`\n`).join("\n");
}
