import { expect } from "chai";
import { readFileSync } from "node:fs";
import { explore, ExplorationFailure, exploreScenario } from "../../explore/explore.js";
import { exploreJson, formatExploreText } from "../../explore/report.js";
import { failuresOf } from "../../explore/failure.js";
import { runScenario, type Scenario } from "../../scenario/scenario.js";
import { findScenario } from "../../samples/index.js";
import { silentCloseScenario } from "../fixtures/silent-close.js";

function shipped(name: string): Scenario {
  const s = findScenario(name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
}

/** The 1-based line of `file` that contains `text` (plus `offset` lines). */
function lineOf(file: string, text: string, offset = 0): number {
  const i = readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`${text} is not in ${file}`);
  return i + 1 + offset;
}

describe("verifier and explore: explanations point at the guilty line", function () {
  this.timeout(120_000);

  it("a finding's detail carries its source line and routine in the report's text and JSON and in explore()'s error", async () => {
    const s = shipped("buggy/pending-without-mark");
    const where = `at samples/buggy/pending.ts:${lineOf("samples/buggy/pending.ts", "return STATUS_PENDING;")}:7 (PendDeviceControl)`;
    const r = await exploreScenario(s);
    expect(r.failures[0]?.cause).to.equal("finding PendingWithoutMark");
    expect(formatExploreText(r)).to.include(where);
    const json = exploreJson(r) as { failures: { detail: string; explanation: string }[] };
    expect(json.failures[0]?.detail).to.include(where);
    expect(json.failures[0]?.explanation).to.include(where);
    let message = "";
    try {
      await explore(s);
    } catch (e) {
      expect(e).to.be.instanceOf(ExplorationFailure);
      message = (e as Error).message;
    }
    expect(message).to.include(where);
  });

  it("an IRP_MJ_CLOSE handler that returns without completing names that return statement, not its first touch of the IRP or an earlier return", async () => {
    const file = "samples/buggy/close.ts";
    const ret = lineOf(file, "// BUG: IoCompleteRequest", 1);
    const [f] = failuresOf(await runScenario(shipped("buggy/close-dropped")));
    expect(f?.cause).to.equal("bug check 0x000000C9 DRIVER_VERIFIER_IOMANAGER_VIOLATION");
    expect(f?.rule).to.equal("IrpNotHandled");
    expect(f?.detail).to.include("Clos!ClosClose returned STATUS_SUCCESS for irp#");
    expect(f?.detail).to.include(`(at \`return STATUS_SUCCESS;\`, line ${ret}) without completing it`);
    expect(f?.detail).to.match(new RegExp(`at samples/buggy/close\\.ts:${ret}:3 \\(ClosClose\\)$`));
  });

  it("a dropped request in a switch names the return of the case that ran (the status the I/O manager got back tells the others apart)", async () => {
    const ret = lineOf("samples/buggy/pending.ts", "return STATUS_INVALID_PARAMETER;");
    const [f] = failuresOf(await runScenario(shipped("buggy/request-dropped")));
    expect(f?.detail).to.include(`(at \`return STATUS_INVALID_PARAMETER;\`, line ${ret})`);
    expect(f?.detail).to.match(new RegExp(`at samples/buggy/pending\\.ts:${ret}:\\d+ \\(PendDeviceControl\\)$`));
  });

  it("a routine the verifier never sees run (no IRP touch, no kernel call) is found by its function's location, and its return by the status it returned", async () => {
    const file = "test/fixtures/silent-close.ts";
    const [f] = failuresOf(await runScenario(silentCloseScenario("silent")));
    expect(f?.detail).to.match(new RegExp(`at test/fixtures/silent-close\\.ts:${lineOf(file, "DROPPED-HERE")}:\\d+ \\(SilentClose\\)$`));
  });

  it("when code the verifier cannot see chooses between returns, the first that fits is named and the others listed", async () => {
    const file = "test/fixtures/silent-close.ts";
    const [f] = failuresOf(await runScenario(silentCloseScenario("forked")));
    expect(f?.detail).to.include(`(at \`return STATUS_SUCCESS;\`, line ${lineOf(file, "FIRST-CANDIDATE")}, or at line ${lineOf(file, "SECOND-CANDIDATE")}: nothing the verifier sees runs between them)`);
  });

  it("with source lines off (a search's runs) the bug check is the same and carries no line", async () => {
    const r = await runScenario(shipped("buggy/close-dropped"), { verifier: { sourceLines: false }, flightRecorder: 0 });
    const bc = r.machine.halted?.kind === "bugcheck" ? r.machine.halted.bugCheck.record : null;
    expect(bc?.rule).to.equal("0xC9/0x226 IrpNotHandled");
    expect(bc?.source ?? null).to.equal(null);
    expect(bc?.detail).to.not.include("line ");
  });

  it("a timer still set at unload names the DriverUnload that forgot KeCancelTimer, where it is, and where the timer was set", async () => {
    const file = "samples/buggy/unload.ts";
    const unload = lineOf(file, "function UnldUnload(");
    const set = lineOf(file, "KeSetTimerEx(ext.Heartbeat");
    const [f] = failuresOf(await runScenario(shipped("buggy/unload-with-timer")));
    expect(f?.cause).to.equal("bug check 0x000000C7 TIMER_OR_DPC_INVALID");
    expect(f?.detail).to.match(new RegExp(`^Unld's DriverUnload, UnldUnload \\(samples/buggy/unload\\.ts:${unload}:\\d+\\), returned without KeCancelTimer\\(UnldHeartbeat\\)`));
    expect(f?.detail).to.include(`(set at samples/buggy/unload.ts:${set}:5 (UnldDriverEntry))`);
    expect(f?.detail).to.match(new RegExp(`at samples/buggy/unload\\.ts:${unload}:\\d+ \\(UnldUnload\\)$`));
  });

  it("a use after free in a DPC names the line of the touch, where the cancel landed, and where the cancel routine freed the memory", async () => {
    const race = "samples/notify-races/cancel-frees-context.ts";
    const r = await exploreScenario(shipped("notify-cancel-frees-context"), { strategy: "dfs", bound: 2, stopAtFirstFailure: true });
    const e = r.explained[0];
    expect(e?.cause).to.equal("bug check 0x0000000A IRQL_NOT_LESS_OR_EQUAL");
    const text = e?.explanation.text ?? "";
    // Where the cancel landed.
    expect(text).to.include(`CancelIoEx from another thread of notify.exe cancels irp#2`);
    expect(text).to.include(`as DPC NotifyTimerDpc on System:Idle calls KeReleaseSpinLockFromDpcLevel: \`KeReleaseSpinLockFromDpcLevel(ext.Lock);\` (${race}:${lineOf(race, "KeReleaseSpinLockFromDpcLevel(ext.Lock);")})`);
    // The touch.
    expect(text).to.include(`at ${race}:${lineOf(race, "writeU32(page, sequence);")}:3 (NotifyTimerDpc)`);
    // The free.
    expect(text).to.match(/lies in pool block 0x[0-9A-F]+ \(4096 bytes, tag 'Ntfy', allocated by Notify at samples\/notify\/driver\.ts:\d+:\d+ \(NotifyDeviceControl\)\) that cancel routine NotifyCancelRoutine on notify\.exe:CPU1 \(CancelIoEx from another thread of notify\.exe\) freed at samples\/notify\/driver\.ts:\d+:\d+ \(NotifyCompleteCancelled\)/);
  });

  it("a DPC writing through a mapping the cancel routine's completion tore down names the completion's line too", async () => {
    const r = await exploreScenario(shipped("sharebuf-dpc-after-death"), { strategy: "dfs", bound: 2, stopAtFirstFailure: true });
    const race = "samples/sharebuf-races/dpc-after-death.ts";
    const complete = lineOf(race, "IoCompleteRequest(");
    expect(r.failures[0]?.first.detail).to.include(`when IoCompleteRequest at ${race}:${complete}:3 (SharebufCancelRoutine) unlocked it`);
    expect(r.failures[0]?.first.detail).to.match(/at samples\/sharebuf\/driver\.ts:\d+:\d+ \(SharebufTimerDpc\)$/);
  });
});
