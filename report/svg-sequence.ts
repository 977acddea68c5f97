/**
 * The sequence diagram as SVG, for the HTML report and `--format svg`: the same model the Mermaid
 * exporter draws, laid out here so the report needs no network. Virtual time runs down the left
 * margin; calls are solid arrows, returns dashed, asynchronous deliveries open-headed; routines
 * that run (dispatch, cancel, completion, DPCs, API calls) are activation bars.
 *
 * The diagram fits a given width (the report's box at a 1280-pixel window): the columns are
 * spread over it and every label wraps to the room between the columns it spans, so nothing is
 * cut or drawn outside. When more participants than fit make it wider, the page scales it down.
 * Each drawn step carries its row (`data-step`, `data-y`, `data-h`) for the report's time cursor.
 */
import { ms } from "./format.js";
import type { MessageStep, NoteStep, Participant, ParticipantKind, SequenceDiagram, SequenceSource, SequenceStep, Tone } from "./sequence.js";
import { CHAR_PX, esc, n, textWidth, wrap } from "./svg.js";

/** Options for {@link renderSequenceSvg}. */
export interface SequenceSvgOptions {
  /** Prefixes element ids, so several diagrams can share one page. */
  readonly idPrefix?: string;
  /** The width to fit, in pixels (default {@link FIT_WIDTH}). */
  readonly width?: number;
  /** The most steps drawn (default {@link MAX_ROWS}); a closing note says how many were left out. */
  readonly maxRows?: number;
  /** A document of its own (XML declaration, its styles inside, a white background): `--format svg`. */
  readonly standalone?: boolean;
}

/** A step as drawn: where it stands in the run and on the page. */
export interface DrawnRow {
  /** The trace event the step was drawn from. */
  readonly seq: number;
  readonly time: number;
  readonly text: string;
  /** Set for a step inside a folded loop: the loop's label (its first run is drawn). */
  readonly loop?: string;
  readonly y: number;
  readonly h: number;
}

/** The diagram, its rows, and whether it stopped before the run's end. */
export interface SequenceSvg {
  readonly svg: string;
  readonly rows: readonly DrawnRow[];
  /** True when the run has more steps than were drawn. */
  readonly cut: boolean;
  readonly width: number;
  readonly height: number;
}

/** What a diagram is drawn from: a whole model, or steps made as they are read (see sequenceSource). */
export type SequenceInput = SequenceDiagram | SequenceSource;

/** The width the HTML report's diagram fits: its box at a 1280-pixel window, less the page's margins. */
export const FIT_WIDTH = 1180;
/** Rows drawn at most: a diagram is for reading; the timeline and the Chrome trace hold every step. */
export const MAX_ROWS = 1500;

const GUTTER = 88;
const TOP = 10;
const HEAD_H = 34;
const LINE_H = 14;
const ROW = 28;
const SELF_ROW = 42;
const NOTE_LINE = 15;
const ACT_W = 10;
/** The fewest characters a label line gets, however close its columns. */
const MIN_CHARS = 14;

export const TONE_COLOR: Readonly<Record<Tone, string>> = { plain: "#2d3748", pending: "#b7791f", error: "#c53030", warn: "#c05621" };
export const KIND_COLOR: Readonly<Record<ParticipantKind, { fill: string; stroke: string }>> = {
  app: { fill: "#ebf4ff", stroke: "#3182ce" },
  io: { fill: "#f0fff4", stroke: "#38a169" },
  framework: { fill: "#e6fffa", stroke: "#319795" },
  driver: { fill: "#fffaf0", stroke: "#dd6b20" },
  mm: { fill: "#faf5ff", stroke: "#805ad5" },
  kernel: { fill: "#f7fafc", stroke: "#718096" },
};

/** The diagram's own styles: in the HTML report's style sheet, and inside a standalone SVG. */
export const SEQUENCE_CSS = `
svg.sequence text { font: 12px ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; fill: #2d3748; }
svg.sequence .time { fill: #718096; }
svg.sequence .time-rule { stroke: #edf2f7; }
svg.sequence .lifeline { stroke: #a0aec0; stroke-dasharray: 3 4; }
svg.sequence .participant text { font-weight: 600; }
svg.sequence .activation { fill: #edf2f7; stroke: #4a5568; }
svg.sequence .activation.open { fill: #fed7d7; }
svg.sequence .activation.cut { fill: #edf2f7; stroke-dasharray: 2 2; }
svg.sequence .message line, svg.sequence .message path { stroke-width: 1.4; }
svg.sequence .note rect { fill: #fefcbf; stroke: #d69e2e; }
svg.sequence .note[data-tone="error"] rect { fill: #fff5f5; stroke: #c53030; }
svg.sequence .note[data-tone="pending"] rect { fill: #fffaf0; stroke: #dd6b20; }
svg.sequence .note[data-tone="warn"] rect { fill: #fffaf0; stroke: #c05621; }
svg.sequence .loop rect { fill: none; stroke: #805ad5; stroke-dasharray: 5 3; }
svg.sequence .loop .loop-tab { fill: #faf5ff; stroke: #805ad5; }
svg.sequence .loop text { fill: #553c9a; }
svg.sequence .title { font-weight: 600; font-size: 14px; }
`;

type Flat = MessageStep | NoteStep;

/** Column centres spread over the width to fit (wider only when the heads themselves need it). */
function columns(participants: readonly Participant[], width: number): { x: number[]; widths: number[] } {
  const widths = participants.map((p) => Math.max(96, textWidth(p.label) + 20));
  const count = widths.length;
  if (count === 0) return { x: [], widths };
  const left = GUTTER + (widths[0] ?? 0) / 2;
  if (count === 1) return { x: [left], widths };
  const right = width - (widths[count - 1] ?? 0) / 2 - 8;
  let gap = (right - left) / (count - 1);
  for (let i = 0; i + 1 < count; i++) gap = Math.max(gap, ((widths[i] ?? 0) + (widths[i + 1] ?? 0)) / 2 + 12);
  return { x: widths.map((_, i) => left + i * gap), widths };
}

/** The steps to draw (at most `maxRows` rows, reading no further) and whether more followed. */
function takeSteps(steps: Iterable<SequenceStep>, maxRows: number): { taken: SequenceStep[]; cut: boolean } {
  const taken: SequenceStep[] = [];
  let rows = 0;
  for (const s of steps) {
    const count = s.kind === "group" ? s.steps.length : 1;
    if (rows + count > maxRows) return { taken, cut: true };
    taken.push(s);
    rows += count;
  }
  return { taken, cut: false };
}

/**
 * Lays the diagram out: the SVG and each drawn row. At most `maxRows` rows are drawn; a stream of
 * steps (a long run's) is read no further, and a closing note says the diagram stops there.
 */
export function layoutSequenceSvg(input: SequenceInput, options: SequenceSvgOptions = {}): SequenceSvg {
  const p = options.idPrefix ?? "seq";
  const fit = options.width ?? FIT_WIDTH;
  const { taken, cut } = takeSteps(input.steps, options.maxRows ?? MAX_ROWS);
  let participants: readonly Participant[];
  if ("participants" in input) participants = input.participants;
  else {
    const used = new Set<string>();
    const note = (s: SequenceStep) => {
      if (s.kind === "message") {
        used.add(s.from);
        used.add(s.to);
      } else if (s.kind === "note") for (const id of s.over) used.add(id);
      else s.steps.forEach(note);
    };
    taken.forEach(note);
    participants = input.participantsFor(used);
  }
  const d = { participants, steps: taken };
  const { x, widths } = columns(d.participants, fit);
  const idx = new Map(d.participants.map((q, i) => [q.id, i]));
  const xOf = (id: string) => x[idx.get(id) ?? 0] ?? GUTTER;
  let right = fit;
  for (let i = 0; i < x.length; i++) right = Math.max(right, (x[i] ?? 0) + (widths[i] ?? 0) / 2 + 8);
  /** The room a self-call's label has: to the next column, or to the right edge. */
  const selfRoom = (id: string) => {
    const i = idx.get(id) ?? 0;
    const next = x[i + 1];
    return (next !== undefined ? next - 24 : right - 12) - (xOf(id) + ACT_W / 2 + 8);
  };

  const back: string[] = [];
  const bars: string[] = [];
  const fore: string[] = [];
  const rows: DrawnRow[] = [];
  const active = new Map<string, number[]>();
  let y = TOP + HEAD_H + 18;
  let lastTime = -1;

  const timeLabel = (time: number, at: number) => {
    if (time === lastTime) return;
    lastTime = time;
    fore.push(`<text class="time" x="8" y="${n(at + 4)}">${esc(ms(time))}</text>`);
    back.push(`<line class="time-rule" x1="${GUTTER - 8}" x2="${n(right)}" y1="${n(at - 10)}" y2="${n(at - 10)}"/>`);
  };
  const depth = (id: string) => active.get(id)?.length ?? 0;
  const edge = (id: string, toward: number) => {
    const d0 = depth(id);
    return d0 > 0 ? xOf(id) + Math.sign(toward) * (ACT_W / 2 + (d0 - 1) * 4) : xOf(id);
  };
  const row = (s: Flat, top: number, loop: string | undefined) => {
    rows.push({ seq: s.seq, time: s.time, text: s.text, ...(loop !== undefined ? { loop } : {}), y: top, h: y - top });
    return rows.length - 1;
  };

  const message = (s: MessageStep, loop: string | undefined) => {
    const top = y;
    const color = TONE_COLOR[s.tone];
    const title = `<title>${esc(`${ms(s.time)}: ${s.detail ?? s.text}`)}</title>`;
    const dash = s.arrow === "return" ? ` stroke-dasharray="6 4"` : "";
    const marker = `${p}-${s.arrow === "call" ? "solid" : "open"}-${s.tone}`;
    timeLabel(s.time, y + 16);
    const parts: string[] = [];
    if (s.from === s.to) {
      const lines = wrap(s.text, Math.max(MIN_CHARS, Math.floor(selfRoom(s.from) / CHAR_PX)));
      const x0 = edge(s.from, 1);
      const lineY = y + 18 + (lines.length - 1) * LINE_H;
      if (s.activate) active.set(s.to, [...(active.get(s.to) ?? []), lineY + 14]);
      const x1 = edge(s.to, 1);
      parts.push(lines.map((l, i) => `<text x="${n(x0 + 8)}" y="${n(y + 10 + i * LINE_H)}" fill="${color}">${esc(l)}</text>`).join(""));
      parts.push(`<path d="M${n(x0)},${n(lineY)} H${n(x0 + 34)} V${n(lineY + 14)} H${n(x1)}" fill="none" stroke="${color}"${dash} marker-end="url(#${marker})"/>`);
      y += SELF_ROW + (lines.length - 1) * LINE_H;
      if (s.deactivate) closeBar(s.from, lineY + 14);
    } else {
      const span = Math.abs(xOf(s.to) - xOf(s.from));
      const lines = wrap(s.text, Math.max(MIN_CHARS, Math.floor((span - 20) / CHAR_PX)));
      const dir = xOf(s.to) - xOf(s.from);
      const x0 = edge(s.from, dir);
      const lineY = y + 18 + (lines.length - 1) * LINE_H;
      if (s.activate) active.set(s.to, [...(active.get(s.to) ?? []), lineY]);
      const x1 = edge(s.to, -dir);
      const mid = (xOf(s.from) + xOf(s.to)) / 2;
      parts.push(lines.map((l, i) => `<text x="${n(mid)}" y="${n(y + 12 + i * LINE_H)}" text-anchor="middle" fill="${color}">${esc(l)}</text>`).join(""));
      parts.push(`<line x1="${n(x0)}" y1="${n(lineY)}" x2="${n(x1)}" y2="${n(lineY)}" stroke="${color}"${dash} marker-end="url(#${marker})"/>`);
      y += ROW + (lines.length - 1) * LINE_H;
      if (s.deactivate) closeBar(s.from, lineY);
    }
    const k = row(s, top, loop);
    fore.push(`<g class="message" data-arrow="${s.arrow}" data-tone="${s.tone}" data-step="${k}" data-seq="${s.seq}" data-y="${n(top)}" data-h="${n(y - top)}">${title}${parts.join("")}</g>`);
  };

  const closeBar = (id: string, at: number) => {
    const stack = active.get(id) ?? [];
    const start = stack.pop();
    if (start !== undefined) {
      const cx = xOf(id) + stack.length * 4;
      bars.push(`<rect class="activation" x="${n(cx - ACT_W / 2)}" y="${n(start)}" width="${ACT_W}" height="${n(Math.max(4, at - start))}"/>`);
    }
  };

  const note = (s: NoteStep, loop: string | undefined) => {
    const top = y;
    const ids = s.over.length > 0 ? s.over : d.participants.map((q) => q.id);
    let lo = Infinity;
    let hi = -Infinity;
    for (const id of ids) {
      lo = Math.min(lo, xOf(id));
      hi = Math.max(hi, xOf(id));
    }
    if (!Number.isFinite(lo)) lo = hi = GUTTER;
    const span = hi - lo;
    const maxW = right - GUTTER;
    const boxW = Math.min(maxW, Math.max(span + 40, Math.min(maxW, span + 240)));
    const lines = wrap(s.text, Math.max(MIN_CHARS, Math.floor((boxW - 16) / CHAR_PX)));
    let longest = 0;
    for (const l of lines) longest = Math.max(longest, textWidth(l));
    const w = Math.min(maxW, Math.max(span + 40, longest + 16));
    const h = lines.length * NOTE_LINE + 10;
    const cx = (lo + hi) / 2;
    const left = Math.min(Math.max(GUTTER - 4, cx - w / 2), right - w);
    timeLabel(s.time, y + 14);
    y += h + 10;
    const k = row(s, top, loop);
    fore.push(
      `<g class="note" data-tone="${s.tone}" data-step="${k}" data-seq="${s.seq}" data-y="${n(top)}" data-h="${n(y - top)}"><title>${esc(`${ms(s.time)}: ${s.text}`)}</title>` +
        `<rect x="${n(left)}" y="${n(top + 2)}" width="${n(w)}" height="${n(h)}" rx="3"/>` +
        lines.map((l, i) => `<text x="${n(left + 8)}" y="${n(top + 16 + i * NOTE_LINE)}" fill="${TONE_COLOR[s.tone]}">${esc(l)}</text>`).join("") +
        `</g>`,
    );
  };

  for (const s of d.steps) {
    if (s.kind === "message") message(s, undefined);
    else if (s.kind === "note") note(s, undefined);
    else {
      const top = y;
      y += 24;
      let lo = Infinity;
      let hi = -Infinity;
      for (const t of s.steps) {
        for (const id of t.kind === "message" ? [t.from, t.to] : t.over) {
          lo = Math.min(lo, xOf(id));
          hi = Math.max(hi, xOf(id));
        }
        if (t.kind === "message") message(t, s.label);
        else note(t, s.label);
      }
      y += 6;
      const label = `loop  ${s.label}`;
      const labelLines = wrap(label, Math.max(MIN_CHARS, Math.floor((right - GUTTER - 30) / CHAR_PX)));
      let longest = 0;
      for (const l of labelLines) longest = Math.max(longest, textWidth(l));
      const boxLo = Math.max(GUTTER - 6, (Number.isFinite(lo) ? lo : GUTTER) - 60);
      const boxHi = Math.min(right - 2, Math.max((Number.isFinite(hi) ? hi : GUTTER) + 60, boxLo + longest + 26));
      const tabW = Math.min(boxHi - boxLo, longest + 14);
      back.push(
        `<g class="loop"><rect x="${n(boxLo)}" y="${n(top + 4)}" width="${n(boxHi - boxLo)}" height="${n(y - top - 4)}" rx="2"/>` +
          `<path d="M${n(boxLo)},${n(top + 4)} h${n(tabW)} v12 l-6,6 H${n(boxLo)} Z" class="loop-tab"/>` +
          labelLines.map((l, i) => `<text x="${n(boxLo + 6)}" y="${n(top + 18 + i * LINE_H)}">${esc(l)}</text>`).join("") +
          `</g>`,
      );
      y += 8 + (labelLines.length - 1) * LINE_H;
    }
  }
  if (cut) {
    const s: NoteStep = { kind: "note", over: [], text: `The diagram stops here, after ${rows.length} steps: the run goes on. A diagram is for reading; the text timeline (irpsim run --full) and the Chrome trace hold every step.`, time: lastTime < 0 ? 0 : lastTime, seq: rows.at(-1)?.seq ?? 0, tone: "warn" };
    note(s, undefined);
  }
  const bottom = y + 8;
  // Activations still open when the trace ends (a bug check, a pending wait) run to the bottom;
  // when the diagram was cut short, they were only cut.
  for (const [id, stack] of active) stack.forEach((start, i) => bars.push(`<rect class="activation ${cut ? "cut" : "open"}" x="${n(xOf(id) + i * 4 - ACT_W / 2)}" y="${n(start)}" width="${ACT_W}" height="${n(bottom - start)}"/>`));

  const heads = (top: number) =>
    d.participants
      .map((q, i) => {
        const c = KIND_COLOR[q.kind];
        const w = widths[i] ?? 96;
        const cx = x[i] ?? 0;
        return `<g class="participant" data-kind="${q.kind}"><rect x="${n(cx - w / 2)}" y="${n(top)}" width="${n(w)}" height="${HEAD_H}" rx="4" fill="${c.fill}" stroke="${c.stroke}"/><text x="${n(cx)}" y="${n(top + 21)}" text-anchor="middle">${esc(q.label)}</text></g>`;
      })
      .join("");
  const lifelines = d.participants.map((_, i) => `<line class="lifeline" x1="${n(x[i] ?? 0)}" x2="${n(x[i] ?? 0)}" y1="${TOP + HEAD_H}" y2="${n(bottom)}"/>`).join("");
  const height = bottom + HEAD_H + 12;
  const width = right;
  const standalone = options.standalone ?? false;
  const svg = [
    ...(standalone ? [`<?xml version="1.0" encoding="UTF-8"?>`] : []),
    `<svg class="sequence" xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" role="img" aria-label="sequence diagram">`,
    ...(standalone ? [`<style>${SEQUENCE_CSS}</style>`, `<rect width="100%" height="100%" fill="#ffffff"/>`] : []),
    // One marker per colour: context-stroke is too new to rely on.
    `<defs>${(Object.keys(TONE_COLOR) as Tone[])
      .map(
        (t) =>
          `<marker id="${p}-solid-${t}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${TONE_COLOR[t]}"/></marker>` +
          `<marker id="${p}-open-${t}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10" fill="none" stroke="${TONE_COLOR[t]}" stroke-width="1.5"/></marker>`,
      )
      .join("")}</defs>`,
    `<rect class="cursor-row" x="0" y="0" width="${n(width)}" height="0" fill="#bee3f8" opacity="0" />`,
    back.join(""),
    lifelines,
    heads(TOP),
    bars.join(""),
    fore.join(""),
    heads(bottom),
    `</svg>`,
  ].join("\n");
  return { svg, rows, cut, width, height };
}

/** Renders the diagram as one `<svg class="sequence">` element. */
export function renderSequenceSvg(d: SequenceDiagram, options: SequenceSvgOptions = {}): string {
  return layoutSequenceSvg(d, options).svg;
}

/**
 * Several diagrams as one standalone SVG document (`--format svg` of a scenario with variants):
 * each under its title, one after the other.
 */
export function standaloneSequenceSvg(diagrams: readonly { readonly title: string; readonly diagram: SequenceInput }[], options: Omit<SequenceSvgOptions, "standalone" | "idPrefix"> = {}): string {
  const parts: string[] = [];
  let y = 0;
  let width = 0;
  diagrams.forEach((g, i) => {
    const title = `<text class="title" x="8" y="${n(y + 20)}">${esc(g.title)}</text>`;
    const laid = layoutSequenceSvg(g.diagram, { ...options, idPrefix: `d${i + 1}` });
    parts.push(title, laid.svg.replace(/^<svg class="sequence" /, `<svg class="sequence" x="0" y="${n(y + 30)}" `));
    y += 30 + laid.height + 20;
    width = Math.max(width, laid.width);
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" class="sequence-set" width="${n(width)}" height="${n(y)}" viewBox="0 0 ${n(width)} ${n(y)}" role="img" aria-label="sequence diagrams">`,
    `<style>${SEQUENCE_CSS}\nsvg.sequence-set .title { font: 600 14px system-ui, sans-serif; fill: #1a202c; }</style>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    `</svg>`,
    ``,
  ].join("\n");
}
