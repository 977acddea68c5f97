/**
 * A checker for the Trace Event Format's rules (the format Perfetto and chrome://tracing read),
 * independent of the exporter: it reads the JSON text and lists every violation it finds.
 *
 * Checked: the object form with a traceEvents array; known phases; integer pid/tid and finite
 * timestamps; per track (pid, tid) timestamps never decrease; every B is closed by an E of the same
 * name on the same track, in LIFO order; complete (X) slices nest inside what encloses them;
 * counters' timestamps never decrease; flows are s, t…, f with one id and category, in time order,
 * and each flow event lies inside a slice on its track (what it binds to); instants have a scope;
 * every track that has events is named by a thread_name record.
 */

interface Ev {
  name?: unknown;
  ph?: unknown;
  pid?: unknown;
  tid?: unknown;
  ts?: unknown;
  dur?: unknown;
  cat?: unknown;
  id?: unknown;
  s?: unknown;
  bp?: unknown;
  args?: unknown;
}

interface Interval {
  readonly name: string;
  /** null while a B is open; the end time of an X. */
  readonly end: number | null;
}

const PHASES = new Set(["B", "E", "X", "i", "I", "s", "t", "f", "C", "M"]);

/** Every rule the trace breaks (empty when it is well-formed). */
export function chromeTraceViolations(text: string): string[] {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return [`not JSON: ${(e as Error).message}`];
  }
  if (typeof doc !== "object" || doc === null || !Array.isArray((doc as { traceEvents?: unknown }).traceEvents)) return ["no traceEvents array"];
  const events = (doc as { traceEvents: Ev[] }).traceEvents;

  const lastTs = new Map<string, number>();
  const stacks = new Map<string, Interval[]>();
  const named = new Set<string>();
  const used = new Set<string>();
  const flows = new Map<string, { phases: string[]; last: number }>();

  const where = (i: number, e: Ev) => `event ${i} (${String(e.ph)} "${String(e.name)}" pid ${String(e.pid)} tid ${String(e.tid)} ts ${String(e.ts)})`;
  /** Drops complete slices that ended at or before `ts`. */
  const settle = (stack: Interval[], ts: number) => {
    for (let top = stack.at(-1); top && top.end !== null && top.end <= ts; top = stack.at(-1)) stack.pop();
  };

  events.forEach((e, i) => {
    if (typeof e.ph !== "string" || !PHASES.has(e.ph)) {
      problems.push(`${where(i, e)}: unknown phase`);
      return;
    }
    if (typeof e.name !== "string") problems.push(`${where(i, e)}: no name`);
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) problems.push(`${where(i, e)}: pid and tid must be integers`);
    const track = `${String(e.pid)}/${String(e.tid)}`;
    if (e.ph === "M") {
      if (e.name === "thread_name") named.add(track);
      return;
    }
    if (typeof e.ts !== "number" || !Number.isFinite(e.ts) || e.ts < 0) {
      problems.push(`${where(i, e)}: timestamp must be a finite number ≥ 0`);
      return;
    }
    const ts = e.ts;
    if (e.ph === "C") {
      const key = `${String(e.pid)}/C/${String(e.name)}`;
      if ((lastTs.get(key) ?? -Infinity) > ts) problems.push(`${where(i, e)}: counter time goes backwards`);
      lastTs.set(key, ts);
      return;
    }
    used.add(track);
    if ((lastTs.get(track) ?? -Infinity) > ts) problems.push(`${where(i, e)}: timestamp earlier than the track's previous event (${String(lastTs.get(track))})`);
    lastTs.set(track, ts);
    let stack = stacks.get(track);
    if (!stack) stacks.set(track, (stack = []));
    switch (e.ph) {
      case "B":
        settle(stack, ts);
        stack.push({ name: String(e.name), end: null });
        break;
      case "E": {
        settle(stack, ts);
        const top = stack.pop();
        if (!top) problems.push(`${where(i, e)}: E without an open B`);
        else if (top.end !== null) problems.push(`${where(i, e)}: E ends a slice while the complete slice "${top.name}" inside it runs to ${top.end}`);
        else if (e.name !== undefined && e.name !== top.name) problems.push(`${where(i, e)}: E named ${JSON.stringify(e.name)} closes B "${top.name}"`);
        break;
      }
      case "X": {
        if (typeof e.dur !== "number" || !(e.dur >= 0)) problems.push(`${where(i, e)}: X needs dur ≥ 0`);
        settle(stack, ts);
        const end = ts + (typeof e.dur === "number" ? e.dur : 0);
        const top = stack.at(-1);
        if (top && top.end !== null && top.end < end) problems.push(`${where(i, e)}: X overlaps the complete slice "${top.name}" without nesting in it`);
        stack.push({ name: String(e.name), end });
        break;
      }
      case "i":
      case "I":
        if (e.s !== undefined && e.s !== "t" && e.s !== "p" && e.s !== "g") problems.push(`${where(i, e)}: instant scope must be t, p or g`);
        break;
      case "s":
      case "t":
      case "f": {
        settle(stack, ts);
        if (stack.length === 0) problems.push(`${where(i, e)}: flow event outside any slice on its track (nothing to bind to)`);
        if (e.id === undefined) {
          problems.push(`${where(i, e)}: flow event without an id`);
          break;
        }
        const key = `${JSON.stringify(e.cat)}/${JSON.stringify(e.id)}`;
        const f = flows.get(key);
        if (e.ph === "s") {
          if (f) problems.push(`${where(i, e)}: flow ${key} starts twice`);
          flows.set(key, { phases: ["s"], last: ts });
        } else if (!f) {
          problems.push(`${where(i, e)}: flow ${key} ${e.ph === "t" ? "steps" : "ends"} before it starts`);
        } else {
          if (f.phases.at(-1) === "f") problems.push(`${where(i, e)}: flow ${key} continues after its end`);
          if (ts < f.last) problems.push(`${where(i, e)}: flow ${key} goes back in time`);
          f.phases.push(e.ph);
          f.last = ts;
        }
        break;
      }
      default:
        break;
    }
  });

  for (const [track, stack] of stacks) {
    const openB = stack.filter((x) => x.end === null);
    if (openB.length > 0) problems.push(`track ${track}: B never ended: ${openB.map((x) => x.name).join(", ")}`);
  }
  for (const [key, f] of flows) if (f.phases.at(-1) !== "f") problems.push(`flow ${key} never ends (${f.phases.join(" ")})`);
  for (const track of used) if (!named.has(track)) problems.push(`track ${track} has events but no thread_name`);
  return problems;
}
