/**
 * The memory map as SVG: user ranges on the left, the physical frames in the middle, system
 * ranges on the right, a line from every page to its frame — so a user buffer and its system
 * mapping visibly land on the same frames — and a chart of each range's lifetime and each frame's
 * lock count over virtual time.
 */
import { hex, ms, pfn } from "./format.js";
import type { MappedRange, MemoryMap } from "./memory-map.js";
import { esc, n, truncate } from "./svg.js";

const WIDTH = 980;
const USER_X = 16;
const FRAME_X = 392;
const SYSTEM_X = 714;
const RANGE_W = 250;
const FRAME_W = 180;
const PAGE_H = 20;
const PAGE_STEP = 24;
/** Pages drawn per range, and frames drawn in all: beyond these the map says how many it left out. */
const MAX_PAGES = 16;
const MAX_FRAMES = 64;
/** Ranges drawn per column of the map, and rows of ranges in the lock chart. */
const MAX_RANGES = 12;
const MAX_CHART_RANGES = 24;

const SPACE_COLOR = { user: { fill: "#ebf4ff", stroke: "#3182ce" }, system: { fill: "#fffaf0", stroke: "#dd6b20" } } as const;

function roleText(r: MappedRange): string {
  return r.role === "locked" ? "locked" : r.role === "mapped" ? "mapped" : "mapped from";
}

function lifetime(r: MappedRange, end: number): string {
  return `${ms(r.from)} – ${r.to === null ? `still there at ${ms(end)}` : ms(r.to)}`;
}

/** The ranges of one column that are drawn (the first few), each with its index in the map. */
function drawnRanges(map: MemoryMap, space: "user" | "system"): { r: MappedRange; i: number }[] {
  const out: { r: MappedRange; i: number }[] = [];
  map.ranges.forEach((r, i) => {
    if (r.space === space && out.length < MAX_RANGES) out.push({ r, i });
  });
  return out;
}

/**
 * The pages/frames drawing. Each range is a `g.range` with `data-range` (its index in the map)
 * and each frame a `g.frame` with `data-pfn`, so the report's time cursor can show the map at
 * any instant.
 */
export function renderMemoryMapSvg(map: MemoryMap): string {
  const shown = new Set<number>();
  const user = drawnRanges(map, "user");
  const system = drawnRanges(map, "system");
  for (const { r } of [...user, ...system]) for (const p of r.pages.slice(0, MAX_PAGES)) if (shown.size < MAX_FRAMES || shown.has(p.frame)) shown.add(p.frame);
  const frames = map.frames.filter((f) => shown.has(f));
  const hiddenFrames = map.frames.length - frames.length;
  const top = 48;
  // Frames line up with the first page boxes (below each range's two title lines).
  const frameY = new Map(frames.map((f, i) => [f, top + 32 + i * PAGE_STEP]));
  const maxLocks = (f: number) => {
    let most = 0;
    for (const s of map.locks.get(f) ?? []) most = Math.max(most, s.count);
    return most;
  };

  const parts: string[] = [];
  const links: string[] = [];
  const column = (space: "user" | "system", x: number, drawn: { r: MappedRange; i: number }[]) => {
    let y = top;
    for (const { r, i } of drawn) {
      const c = SPACE_COLOR[space];
      const title = `${r.processName} ${hex(r.va)} +${r.length} (${r.mdl} ${roleText(r)}, ${lifetime(r, map.end)})`;
      parts.push(`<g class="range" data-space="${space}" data-role="${r.role}" data-range="${i}"><title>${esc(title)}</title>`);
      parts.push(`<text class="range-title" x="${x}" y="${n(y + 10)}">${esc(truncate(`${r.processName}  ${hex(r.va)} +${r.length}`, 34))}</text>`);
      parts.push(`<text class="range-sub" x="${x}" y="${n(y + 24)}">${esc(truncate(`${r.mdl} ${roleText(r)} · ${lifetime(r, map.end)}`, 36))}</text>`);
      y += 32;
      for (const p of r.pages.slice(0, MAX_PAGES)) {
        parts.push(`<rect class="page" x="${x}" y="${n(y)}" width="${RANGE_W}" height="${PAGE_H}" rx="2" fill="${c.fill}" stroke="${c.stroke}"/>`);
        parts.push(`<text class="page-label" x="${x + 8}" y="${n(y + 14)}">${esc(`${hex(p.va)}  →  ${pfn(p.frame)}`)}</text>`);
        const fy = frameY.get(p.frame);
        if (fy !== undefined) {
          const [x0, x1] = space === "user" ? [x + RANGE_W, FRAME_X] : [x, FRAME_X + FRAME_W];
          const y0 = y + PAGE_H / 2;
          const y1 = fy + PAGE_H / 2;
          const mid = (x0 + x1) / 2;
          links.push(`<path class="link" data-space="${space}" data-range="${i}" d="M${n(x0)},${n(y0)} C${n(mid)},${n(y0)} ${n(mid)},${n(y1)} ${n(x1)},${n(y1)}" stroke="${c.stroke}"/>`);
        }
        y += PAGE_STEP;
      }
      if (r.pages.length > MAX_PAGES) {
        parts.push(`<text class="more" x="${x + 8}" y="${n(y + 12)}">… ${r.pages.length - MAX_PAGES} more pages</text>`);
        y += PAGE_STEP;
      }
      parts.push(`</g>`);
      y += 14;
    }
    const all = map.ranges.reduce((k, r) => k + (r.space === space ? 1 : 0), 0);
    if (all > drawn.length) {
      parts.push(`<text class="more" x="${x + 8}" y="${n(y + 12)}">… ${all - drawn.length} more ranges</text>`);
      y += PAGE_STEP;
    }
    return y;
  };
  const userBottom = column("user", USER_X, user);
  const systemBottom = column("system", SYSTEM_X, system);
  for (const f of frames) {
    const y = frameY.get(f) ?? top;
    const locks = maxLocks(f);
    parts.push(
      `<g class="frame" data-pfn="${f}"><title>${esc(`page frame ${pfn(f)} (physical ${hex(f * 4096)}); most locks at once: ${locks}`)}</title>` +
        `<rect x="${FRAME_X}" y="${n(y)}" width="${FRAME_W}" height="${PAGE_H}" rx="2" class="${locks > 0 ? "locked" : ""}"/>` +
        `<text class="frame-label" x="${FRAME_X + 8}" y="${n(y + 14)}">${esc(`PFN ${pfn(f)}${locks > 0 ? `  locked ×${locks}` : ""}`)}</text></g>`,
    );
  }
  let frameBottom = top + 32 + frames.length * PAGE_STEP;
  if (hiddenFrames > 0) {
    parts.push(`<text class="more" x="${FRAME_X + 8}" y="${n(frameBottom + 12)}">… ${hiddenFrames} more frames</text>`);
    frameBottom += PAGE_STEP;
  }
  const height = Math.max(userBottom, systemBottom, frameBottom) + 12;
  const heads = [
    [USER_X, "user space"],
    [FRAME_X, "physical frames"],
    [SYSTEM_X, "system space"],
  ] as const;
  return [
    `<svg class="memory-map" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${n(height)}" viewBox="0 0 ${WIDTH} ${n(height)}" role="img" aria-label="memory map">`,
    heads.map(([x, t]) => `<text class="column-title" x="${x}" y="22">${t}</text>`).join(""),
    `<g class="links">${links.join("")}</g>`,
    parts.join(""),
    `</svg>`,
  ].join("\n");
}

/** A tick spacing (in ticks of 100 ns) that gives about `count` ticks over `span`. */
function tickStep(span: number, count: number): number {
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/** Range lifetimes and per-frame lock counts against virtual time. */
export function renderLockChartSvg(map: MemoryMap): string {
  const LABEL_W = 270;
  const PLOT_X = LABEL_W + 10;
  const PLOT_W = WIDTH - PLOT_X - 40;
  const ROW_H = 22;
  const t0 = map.start;
  const t1 = Math.max(map.end, t0 + 1);
  const xOf = (t: number) => PLOT_X + ((t - t0) / (t1 - t0)) * PLOT_W;
  const rows: string[] = [];
  let y = 34;
  const bar = (from: number, to: number, cls: string, label: string, title: string) => {
    const x0 = xOf(from);
    const w = Math.max(3, xOf(to) - x0);
    const text = w > label.length * 7 + 8 ? `<text class="bar-label" x="${n(x0 + 4)}" y="${n(y + 14)}">${esc(label)}</text>` : "";
    return `<g class="${cls}"><title>${esc(title)}</title><rect x="${n(x0)}" y="${n(y + 3)}" width="${n(w)}" height="${ROW_H - 6}" rx="2"/>${text}</g>`;
  };
  for (const r of map.ranges.slice(0, MAX_CHART_RANGES)) {
    const label = truncate(`${r.processName} ${hex(r.va)} (${r.mdl} ${roleText(r)})`, 35);
    rows.push(`<text class="row-label" x="8" y="${n(y + 15)}">${esc(label)}</text>`);
    rows.push(bar(r.from, r.to ?? t1, `lifetime ${r.space}`, r.role, `${r.processName} ${hex(r.va)} +${r.length}: ${roleText(r)} ${lifetime(r, map.end)}`));
    y += ROW_H;
  }
  if (map.ranges.length > MAX_CHART_RANGES) {
    rows.push(`<text class="more" x="8" y="${n(y + 15)}">… ${map.ranges.length - MAX_CHART_RANGES} more ranges</text>`);
    y += ROW_H;
  }
  const frames = map.frames.slice(0, 32);
  for (const f of frames) {
    rows.push(`<text class="row-label" x="8" y="${n(y + 15)}">${esc(`frame ${pfn(f)} lock count`)}</text>`);
    const steps = map.locks.get(f) ?? [];
    // Bars closer than a pixel are drawn as one (with the most locks among them), so a frame
    // locked and unlocked a million times is still a row of a few hundred bars.
    let run: { from: number; until: number; count: number } | null = null;
    const flush = () => {
      if (run && run.count > 0) rows.push(bar(run.from, run.until, `locks count-${Math.min(run.count, 3)}`, `×${run.count}`, `frame ${pfn(f)}: ${run.count} lock${run.count === 1 ? "" : "s"} from ${ms(run.from)} to ${ms(run.until)}`));
      run = null;
    };
    steps.forEach((s, i) => {
      const until = steps[i + 1]?.time ?? t1;
      const narrow = xOf(until) - xOf(s.time) < 1;
      if (s.count <= 0) {
        if (!narrow) flush();
        return;
      }
      if (run && xOf(s.time) - xOf(run.until) < 1 && (narrow || xOf(run.until) - xOf(run.from) < 1)) {
        run.until = until;
        run.count = Math.max(run.count, s.count);
      } else {
        flush();
        run = { from: s.time, until, count: s.count };
      }
    });
    flush();
    y += ROW_H;
  }
  if (map.frames.length > frames.length) {
    rows.push(`<text class="more" x="8" y="${n(y + 15)}">… ${map.frames.length - frames.length} more frames</text>`);
    y += ROW_H;
  }
  const axisY = y + 8;
  const step = tickStep(t1 - t0, 6);
  const ticks: string[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1 + 1e-9; t += step) {
    const x = xOf(t);
    ticks.push(`<line class="grid" x1="${n(x)}" x2="${n(x)}" y1="30" y2="${n(axisY)}"/><text class="tick" x="${n(x)}" y="${n(axisY + 16)}" text-anchor="middle">${esc(ms(t))}</text>`);
  }
  const height = axisY + 28;
  return [
    `<svg class="lock-chart" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${n(height)}" viewBox="0 0 ${WIDTH} ${n(height)}" role="img" aria-label="lock counts over time" data-t0="${t0}" data-t1="${t1}" data-x0="${PLOT_X}" data-w="${PLOT_W}">`,
    `<text class="column-title" x="8" y="20">what was locked and mapped, and each frame's lock count, over virtual time</text>`,
    ticks.join(""),
    `<line class="axis" x1="${PLOT_X}" x2="${PLOT_X + PLOT_W}" y1="${n(axisY)}" y2="${n(axisY)}"/>`,
    rows.join(""),
    `<line class="cursor" x1="${PLOT_X}" x2="${PLOT_X}" y1="30" y2="${n(axisY)}" visibility="hidden"/>`,
    `</svg>`,
  ].join("\n");
}
