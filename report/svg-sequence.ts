/**
 * The sequence diagram as SVG, for the HTML report: the same model the Mermaid exporter draws,
 * laid out here so the report needs no script and no network. Virtual time runs down the left
 * margin; calls are solid arrows, returns dashed, asynchronous deliveries open-headed; routines
 * that run (dispatch, cancel, completion, DPCs, API calls) are activation bars.
 */
import { ms } from "./format.js";
import type { MessageStep, NoteStep, ParticipantKind, SequenceDiagram, Tone } from "./sequence.js";
import { CHAR_PX, esc, n, textWidth, truncate, wrap } from "./svg.js";

/** Options for {@link renderSequenceSvg}. */
export interface SequenceSvgOptions {
  /** Prefixes element ids, so several diagrams can share one page. */
  readonly idPrefix?: string;
}

const GUTTER = 88;
const TOP = 10;
const HEAD_H = 34;
const ROW = 28;
const SELF_ROW = 42;
const NOTE_LINE = 15;
const MAX_LABEL = 56;
const NOTE_CHARS = 60;
const ACT_W = 10;

const TONE_COLOR: Record<Tone, string> = { plain: "#2d3748", pending: "#b7791f", error: "#c53030", warn: "#c05621" };
const KIND_COLOR: Record<ParticipantKind, { fill: string; stroke: string }> = {
  app: { fill: "#ebf4ff", stroke: "#3182ce" },
  io: { fill: "#f0fff4", stroke: "#38a169" },
  framework: { fill: "#e6fffa", stroke: "#319795" },
  driver: { fill: "#fffaf0", stroke: "#dd6b20" },
  mm: { fill: "#faf5ff", stroke: "#805ad5" },
  kernel: { fill: "#f7fafc", stroke: "#718096" },
};

type Flat = MessageStep | NoteStep;

/** Column centres: far enough apart for every label drawn between them. */
function columns(d: SequenceDiagram): { x: number[]; widths: number[] } {
  const idx = new Map(d.participants.map((p, i) => [p.id, i]));
  const widths = d.participants.map((p) => Math.max(110, textWidth(p.label) + 24));
  const need: { lo: number; hi: number; px: number }[] = [];
  const flat: Flat[] = d.steps.flatMap((s) => (s.kind === "group" ? [...s.steps] : [s]));
  for (const s of flat) {
    if (s.kind !== "message") continue;
    const a = idx.get(s.from) ?? 0;
    const b = idx.get(s.to) ?? 0;
    const w = textWidth(truncate(s.text, MAX_LABEL));
    if (a === b) {
      if (a + 1 < widths.length) need.push({ lo: a, hi: a + 1, px: w + 56 });
    } else {
      need.push({ lo: Math.min(a, b), hi: Math.max(a, b), px: w + 28 });
    }
  }
  const x: number[] = [];
  widths.forEach((w, j) => {
    if (j === 0) {
      x.push(GUTTER + w / 2);
      return;
    }
    let v = (x[j - 1] ?? 0) + ((widths[j - 1] ?? 0) + w) / 2 + 24;
    for (const c of need) if (c.hi === j) v = Math.max(v, (x[c.lo] ?? 0) + c.px);
    x.push(v);
  });
  return { x, widths };
}

/** Renders the diagram as one `<svg class="sequence">` element. */
export function renderSequenceSvg(d: SequenceDiagram, options: SequenceSvgOptions = {}): string {
  const p = options.idPrefix ?? "seq";
  const { x, widths } = columns(d);
  const idx = new Map(d.participants.map((q, i) => [q.id, i]));
  const xOf = (id: string) => x[idx.get(id) ?? 0] ?? GUTTER;
  const right = Math.max(...x.map((v, i) => v + (widths[i] ?? 0) / 2), GUTTER + 200) + 24;

  const back: string[] = [];
  const bars: string[] = [];
  const fore: string[] = [];
  const active = new Map<string, number[]>();
  let y = TOP + HEAD_H + 18;
  let lastTime = -1;
  /** The rightmost point drawn (notes and loops can reach past the last column). */
  let extent = right;

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

  const message = (s: MessageStep) => {
    const color = TONE_COLOR[s.tone];
    const label = truncate(s.text, MAX_LABEL);
    const title = `<title>${esc(`${ms(s.time)}: ${s.text}`)}</title>`;
    const dash = s.arrow === "return" ? ` stroke-dasharray="6 4"` : "";
    const marker = `${p}-${s.arrow === "call" ? "solid" : "open"}-${s.tone}`;
    timeLabel(s.time, y + 16);
    const lineY = y + 18;
    if (s.from === s.to) {
      const x0 = edge(s.from, 1);
      extent = Math.max(extent, x0 + 8 + textWidth(label) + 12);
      if (s.activate) active.set(s.to, [...(active.get(s.to) ?? []), lineY + 14]);
      const x1 = edge(s.to, 1);
      fore.push(
        `<g class="message" data-arrow="${s.arrow}">${title}<text x="${n(x0 + 8)}" y="${n(y + 10)}" fill="${color}">${esc(label)}</text>` +
          `<path d="M${n(x0)},${n(lineY)} H${n(x0 + 34)} V${n(lineY + 14)} H${n(x1)}" fill="none" stroke="${color}"${dash} marker-end="url(#${marker})"/></g>`,
      );
      y += SELF_ROW;
    } else {
      const dir = xOf(s.to) - xOf(s.from);
      const x0 = edge(s.from, dir);
      if (s.activate) active.set(s.to, [...(active.get(s.to) ?? []), lineY]);
      const x1 = edge(s.to, -dir);
      const mid = (xOf(s.from) + xOf(s.to)) / 2;
      fore.push(
        `<g class="message" data-arrow="${s.arrow}">${title}<text x="${n(mid)}" y="${n(y + 12)}" text-anchor="middle" fill="${color}">${esc(label)}</text>` +
          `<line x1="${n(x0)}" y1="${n(lineY)}" x2="${n(x1)}" y2="${n(lineY)}" stroke="${color}"${dash} marker-end="url(#${marker})"/></g>`,
      );
      y += ROW;
    }
    if (s.deactivate) {
      const stack = active.get(s.from) ?? [];
      const start = stack.pop();
      if (start !== undefined) {
        const cx = xOf(s.from) + stack.length * 4;
        bars.push(`<rect class="activation" x="${n(cx - ACT_W / 2)}" y="${n(start)}" width="${ACT_W}" height="${n(Math.max(4, lineY - start))}"/>`);
      }
    }
  };

  const note = (s: NoteStep) => {
    const ids = s.over.length > 0 ? s.over : d.participants.map((q) => q.id);
    const xs = ids.map(xOf);
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    const span = hi - lo;
    const chars = Math.max(40, Math.min(NOTE_CHARS, Math.floor((span + 120) / CHAR_PX)));
    const lines = wrap(s.text, chars);
    const w = Math.max(span + 40, Math.max(...lines.map((l) => textWidth(l))) + 16);
    const h = lines.length * NOTE_LINE + 10;
    const cx = (lo + hi) / 2;
    timeLabel(s.time, y + 14);
    const left = Math.max(GUTTER - 4, cx - w / 2);
    extent = Math.max(extent, left + w + 12);
    fore.push(
      `<g class="note" data-tone="${s.tone}"><title>${esc(`${ms(s.time)}: ${s.text}`)}</title>` +
        `<rect x="${n(left)}" y="${n(y + 2)}" width="${n(w)}" height="${n(h)}" rx="3"/>` +
        lines.map((l, i) => `<text x="${n(left + 8)}" y="${n(y + 16 + i * NOTE_LINE)}" fill="${TONE_COLOR[s.tone]}">${esc(l)}</text>`).join("") +
        `</g>`,
    );
    y += h + 10;
  };

  for (const s of d.steps) {
    if (s.kind === "message") message(s);
    else if (s.kind === "note") note(s);
    else {
      const top = y;
      y += 24;
      const involved = s.steps.flatMap((t) => (t.kind === "message" ? [t.from, t.to] : t.over.length > 0 ? [...t.over] : []));
      for (const t of s.steps) {
        if (t.kind === "message") message(t);
        else note(t);
      }
      y += 6;
      const xs = involved.map(xOf);
      const lo = Math.min(...xs, right) - 60;
      const hi = Math.max(...xs, 0) + 60;
      const label = `loop  ${s.label}`;
      extent = Math.max(extent, hi + 12, lo + textWidth(label) + 26);
      back.push(
        `<g class="loop"><rect x="${n(lo)}" y="${n(top + 4)}" width="${n(hi - lo)}" height="${n(y - top - 4)}" rx="2"/>` +
          `<path d="M${n(lo)},${n(top + 4)} h${n(textWidth(label) + 14)} v12 l-6,6 H${n(lo)} Z" class="loop-tab"/>` +
          `<text x="${n(lo + 6)}" y="${n(top + 18)}">${esc(label)}</text></g>`,
      );
      y += 8;
    }
  }
  const bottom = y + 8;
  // Activations still open when the trace ends (a bug check, a pending wait) run to the bottom.
  for (const [id, stack] of active) stack.forEach((start, i) => bars.push(`<rect class="activation open" x="${n(xOf(id) + i * 4 - ACT_W / 2)}" y="${n(start)}" width="${ACT_W}" height="${n(bottom - start)}"/>`));

  const heads = (top: number) =>
    d.participants
      .map((q, i) => {
        const c = KIND_COLOR[q.kind];
        const w = widths[i] ?? 110;
        const cx = x[i] ?? 0;
        return `<g class="participant" data-kind="${q.kind}"><rect x="${n(cx - w / 2)}" y="${n(top)}" width="${n(w)}" height="${HEAD_H}" rx="4" fill="${c.fill}" stroke="${c.stroke}"/><text x="${n(cx)}" y="${n(top + 21)}" text-anchor="middle">${esc(q.label)}</text></g>`;
      })
      .join("");
  const lifelines = d.participants.map((_, i) => `<line class="lifeline" x1="${n(x[i] ?? 0)}" x2="${n(x[i] ?? 0)}" y1="${TOP + HEAD_H}" y2="${n(bottom)}"/>`).join("");
  const height = bottom + HEAD_H + 12;
  const width = Math.max(right, extent);
  return [
    `<svg class="sequence" xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" role="img" aria-label="sequence diagram">`,
    // One marker per colour: context-stroke is too new to rely on.
    `<defs>${(Object.keys(TONE_COLOR) as Tone[])
      .map(
        (t) =>
          `<marker id="${p}-solid-${t}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${TONE_COLOR[t]}"/></marker>` +
          `<marker id="${p}-open-${t}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10" fill="none" stroke="${TONE_COLOR[t]}" stroke-width="1.5"/></marker>`,
      )
      .join("")}</defs>`,
    back.join(""),
    lifelines,
    heads(TOP),
    bars.join(""),
    fore.join(""),
    heads(bottom),
    `</svg>`,
  ].join("\n");
}
