import { expect } from "chai";
import { runScenario } from "../../scenario/scenario.js";
import { buggySamples } from "../../samples/buggy/index.js";
import { RULES, ruleIds } from "../../verifier/rules.js";

/** What a run reported: the verifier rule of its bug check (if any) and of each finding. */
function reports(r: Awaited<ReturnType<typeof runScenario>>): { rule: string; kind: "bug check" | "finding"; source: string | null; driver: string | null; text: string; timeline: readonly string[] }[] {
  const out: ReturnType<typeof reports> = [];
  const bc = r.run?.bugCheck ?? (r.machine.halted?.kind === "bugcheck" ? r.machine.halted.bugCheck.record : null);
  if (bc) out.push({ rule: bc.rule ? (bc.rule.split(" ")[1] ?? bc.rule) : `(no rule: ${bc.name})`, kind: "bug check", source: bc.source, driver: bc.driver, text: bc.detail ?? "", timeline: bc.timeline ?? [] });
  for (const f of r.findings) out.push({ rule: f.rule, kind: "finding", source: f.source, driver: f.driver, text: f.message, timeline: f.timeline ?? [] });
  return out;
}

describe("verifier: each buggy sample trips exactly its rule, and nothing else", () => {
  for (const s of buggySamples) {
    it(`${s.name}: ${s.bug} — ${RULES[s.rule].code} ${s.rule} (${RULES[s.rule].severity})`, async () => {
      const r = await runScenario(s.scenario);
      const got = reports(r);
      expect(got.map((x) => x.rule)).to.deep.equal([s.rule]);
      const [one] = got;
      expect(one?.kind).to.equal(RULES[s.rule].severity);
      // It names the driver, its source line and what is wrong, with the usual fix.
      expect(one?.driver, "driver").to.be.a("string").and.not.equal("");
      expect(one?.source, "source line").to.match(/^samples\/buggy\/[a-z-]+\.ts:\d+:\d+ \(\w+/);
      expect(one?.text).to.include(RULES[s.rule].fix);
      expect(r.error).to.equal(null);
      expect(r.run?.errors ?? []).to.deep.equal([]);
    });
  }

  it("with sourceLines off and tracing off (as a search runs) every buggy sample trips the same rule of the same driver, on the same decisions, and nothing carries a source line", async () => {
    for (const s of buggySamples) {
      const on = await runScenario(s.scenario);
      const off = await runScenario(s.scenario, { verifier: { sourceLines: false }, flightRecorder: 0 });
      expect(off.machine.trace.on, s.name).to.equal(false);
      const [a] = reports(on);
      const got = reports(off);
      expect(got.map((x) => `${x.kind} ${x.rule} ${x.driver ?? ""}`), s.name).to.deep.equal([`${a?.kind} ${a?.rule} ${a?.driver ?? ""}`]);
      expect(off.machine.decisions.length, s.name).to.equal(on.machine.decisions.length);
      if (got[0]?.kind === "finding") {
        expect(got[0].source, s.name).to.equal(null);
        expect(got[0].timeline.filter((line) => line.includes("(at ")), s.name).to.deep.equal([]);
      }
    }
  });

  it("every rule of the catalogue has a buggy sample", () => {
    const covered = new Set(buggySamples.map((s) => s.rule));
    expect(ruleIds.filter((id) => !covered.has(id))).to.deep.equal([]);
  });

  it("reports that concern an IRP carry its ownership timeline, from allocation to the faulting step", async () => {
    const s = buggySamples.find((x) => x.name === "cancel-field-unchecked");
    if (!s) throw new Error("sample missing");
    const r = await runScenario(s.scenario);
    const f = r.findings[0];
    expect(f?.irp).to.equal("irp#2");
    expect(f?.timeline?.map((line) => line.replace(/ \(at [^)]*\)+$/, "").trim())).to.deep.equal([
      "0.003 ms  app.exe:main issues it; the I/O manager allocates it",
      "0.003 ms  IRP_MJ_DEVICE_CONTROL 0x00222580 sent to Cncl!CnclDeviceControl",
      "0.004 ms  Cncl sets cancel routine CnclCancelRoutine",
      "0.004 ms  Cncl marks it pending (IoMarkIrpPending)",
    ]);
  });
});
