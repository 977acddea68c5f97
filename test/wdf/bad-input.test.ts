import { expect } from "chai";
import { attachVerifier, type Machine } from "../../index.js";
import { newMachine } from "../helpers.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import { loadWdfKit } from "./kit.js";

/** Every Wdf routine the entry exports (functions named Wdf…), by name. */
const ROUTINES = Object.entries(wdf).filter((e): e is [string, (...a: unknown[]) => unknown] => e[0].startsWith("Wdf") && typeof e[1] === "function");

/** Calls `fn` as the kit driver's code on a system thread; what it returned or threw. */
async function callAsDriver(m: Machine, fn: () => unknown): Promise<{ threw: unknown; value: unknown }> {
  let out: { threw: unknown; value: unknown } = { threw: null, value: undefined };
  m.createSystemThread("bad input", async () => {
    const token = m.enterActivity("driver thread", "BadInput", "WdfTest");
    try {
      out = { threw: null, value: await fn() };
    } catch (e) {
      out = { threw: e, value: undefined };
    } finally {
      m.leaveActivity(token);
    }
  });
  await m.run();
  return out;
}

/**
 * A handle of the wrong type for `name`'s parameters: a WDFQUEUE (a WDFDEVICE for the queue
 * routines); for the WdfObject routines, which take any object, something that is no object.
 */
function wrongFor(name: string, device: unknown, queue: unknown): unknown {
  if (name.startsWith("WdfObject")) return { not: "a framework object" };
  return name.startsWith("WdfIoQueue") ? device : queue;
}

/** A thrown value in words. */
function thrown(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : typeof e === "string" ? e : JSON.stringify(e);
}

/** What each argument of a bad call is: NULL, a number, a handle of another type. */
type Bad = "null" | "number" | "wrong type";

function args(kind: Bad, n: number, other: unknown): unknown[] {
  return Array.from({ length: Math.max(n, 1) }, () => (kind === "null" ? null : kind === "number" ? 0x1234 : other));
}

describe("wdf bad input: every Wdf routine given NULL, a number or a handle of the wrong type", function () {
  this.timeout(300_000);

  for (const kind of ["null", "number", "wrong type"] as const) {
    it(`without the verifier: ${kind} arguments get an NTSTATUS, NULL or nothing from every routine — never a JavaScript error`, async () => {
      const failures: string[] = [];
      for (const [name, fn] of ROUTINES) {
        const m = newMachine();
        const kit = await loadWdfKit(m, {
          queue: (c) => {
            c.EvtIoDefault = function BadInputDefault(_q, R) {
              wdf.WdfRequestComplete(R, wdm.STATUS_SUCCESS);
            };
          },
        });
        const other = wrongFor(name, kit.device, kit.queue);
        const r = await callAsDriver(m, () => fn(...args(kind, fn.length, other)));
        const result = m.halted ? `halted: ${m.haltedError().message.split("\n")[0] ?? ""}` : null;
        if (r.threw !== null) failures.push(`${name}: threw ${thrown(r.threw)}`);
        else if (result !== null) failures.push(`${name}: ${result}`);
        m.dispose();
      }
      expect(failures).to.deep.equal([]);
    });
  }

  it("with the verifier: a handle of the wrong type is WDF_VIOLATION (0x5, or the rule it breaks first) at the driver's call, for every routine that takes a handle", async () => {
    const failures: string[] = [];
    const notStopped: string[] = [];
    for (const [name, fn] of ROUTINES) {
      if (fn.length === 0) continue;
      const m = newMachine();
      attachVerifier(m);
      const kit = await loadWdfKit(m, {
        queue: (c) => {
          c.EvtIoDefault = function BadInputDefault(_q, R) {
            wdf.WdfRequestComplete(R, wdm.STATUS_SUCCESS);
          };
        },
      });
      const other = wrongFor(name, kit.device, kit.queue);
      const r = await callAsDriver(m, () => fn(...args("wrong type", fn.length, other)));
      const bc = m.halted?.kind === "bugcheck" ? m.halted.bugCheck.record : null;
      if (r.threw !== null && !bc) failures.push(`${name}: threw ${thrown(r.threw)}`);
      else if (bc && bc.code !== 0x10d) failures.push(`${name}: bug check 0x${bc.code.toString(16)} ${bc.name}`);
      else if (!bc) notStopped.push(name);
      m.dispose();
    }
    expect(failures).to.deep.equal([]);
    // Those whose parameters are no framework handles (attributes, sizes, a WDM device object), and
    // WdfIoQueueCreate, whose device argument is right here (its config is checked for fields, not type).
    expect(notStopped).to.deep.equal(["WdfCollectionCreate", "WdfIoQueueCreate", "WdfMemoryCreate", "WdfMemoryCreatePreallocated", "WdfObjectCreate", "WdfSpinLockCreate", "WdfStringCreate", "WdfWaitLockCreate", "WdfWdmDeviceGetWdfDeviceHandle"]);
  });
});
