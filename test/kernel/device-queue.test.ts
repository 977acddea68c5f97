import { expect } from "chai";
import {
  CONTAINING_RECORD,
  DISPATCH_LEVEL,
  HIGH_LEVEL,
  KDEVICE_QUEUE,
  KDEVICE_QUEUE_ENTRY,
  KeInitializeDeviceQueue,
  KeInsertByKeyDeviceQueue,
  KeInsertDeviceQueue,
  KeLowerIrql,
  KeRaiseIrql,
  KeRemoveByKeyDeviceQueue,
  KeRemoveDeviceQueue,
  KeRemoveEntryDeviceQueue,
} from "../../wdm.js";
import { listEntries } from "../../kernel/list-entry.js";
import { newMachine, ok, runKernel } from "../helpers.js";

/** A named record with an embedded device-queue entry, as an IRP embeds its own. */
class Packet {
  readonly Entry: KDEVICE_QUEUE_ENTRY<Packet>;
  constructor(readonly name: string) {
    this.Entry = new KDEVICE_QUEUE_ENTRY<Packet>(this);
  }
}

/** Runs `body` at DISPATCH_LEVEL on a kernel thread, as a DPC would. */
async function atDispatch<T>(body: () => T): Promise<T> {
  const m = newMachine();
  return ok(
    await runKernel(m, () => {
      const old = KeRaiseIrql(DISPATCH_LEVEL);
      try {
        return body();
      } finally {
        KeLowerIrql(old);
      }
    }),
  );
}

/** The names of the packets a queue holds, first to last. */
function names(q: KDEVICE_QUEUE<Packet>): string[] {
  return [...listEntries(q.DeviceListHead)].map((e) => CONTAINING_RECORD(e).name);
}

describe("kernel: device queues (KDEVICE_QUEUE)", () => {
  it("KeInsertDeviceQueue on an idle queue returns FALSE and makes it busy without queuing; once busy it returns TRUE and queues at the tail", async () => {
    const out = await atDispatch(() => {
      const q = new KDEVICE_QUEUE<Packet>();
      KeInitializeDeviceQueue(q);
      const [a, b, c] = [new Packet("a"), new Packet("b"), new Packet("c")];
      const first = KeInsertDeviceQueue(q, a.Entry);
      const busy = q.Busy;
      const second = KeInsertDeviceQueue(q, b.Entry);
      const third = KeInsertDeviceQueue(q, c.Entry);
      return { first, busy, second, third, inserted: [a.Entry.Inserted, b.Entry.Inserted, c.Entry.Inserted], order: names(q) };
    });
    expect(out).to.deep.equal({ first: false, busy: true, second: true, third: true, inserted: [false, true, true], order: ["b", "c"] });
  });

  it("KeInsertByKeyDeviceQueue puts an entry after every entry whose key is less than or equal to its own and before the first greater one", async () => {
    const out = await atDispatch(() => {
      const q = new KDEVICE_QUEUE<Packet>();
      KeInsertDeviceQueue(q, new Packet("running").Entry);
      const keyed: [string, number][] = [["p5", 5], ["p1", 1], ["q5", 5], ["p3", 3], ["p9", 9], ["q1", 1]];
      for (const [name, key] of keyed) KeInsertByKeyDeviceQueue(q, new Packet(name).Entry, key);
      return names(q);
    });
    // Ascending keys; equal keys keep their arrival order (FIFO among equals).
    expect(out).to.deep.equal(["p1", "q1", "p3", "p5", "q5", "p9"]);
  });

  it("KeRemoveByKeyDeviceQueue takes the first entry whose key is greater than or equal to the given key, or the first entry when none is", async () => {
    const out = await atDispatch(() => {
      const q = new KDEVICE_QUEUE<Packet>();
      KeInsertDeviceQueue(q, new Packet("running").Entry);
      for (const [name, key] of [["k2", 2], ["k4", 4], ["k6", 6]] as const) KeInsertByKeyDeviceQueue(q, new Packet(name).Entry, key);
      const take = (key: number): string => {
        const e = KeRemoveByKeyDeviceQueue(q, key);
        return e ? CONTAINING_RECORD(e).name : "NULL";
      };
      return [take(3), take(7), take(0), q.Busy, take(0), q.Busy];
    });
    // 3 -> k4 (first >= 3); 7 -> none >= 7, so the first (k2); then k6; then empty: NULL and idle.
    expect(out).to.deep.equal(["k4", "k2", "k6", true, "NULL", false]);
  });

  it("KeRemoveDeviceQueue returns the entries in FIFO order, then NULL, and an empty queue becomes not busy", async () => {
    const out = await atDispatch(() => {
      const q = new KDEVICE_QUEUE<Packet>();
      for (const n of ["a", "b", "c"]) KeInsertDeviceQueue(q, new Packet(n).Entry);
      const got: string[] = [];
      for (let e = KeRemoveDeviceQueue(q); e; e = KeRemoveDeviceQueue(q)) got.push(`${CONTAINING_RECORD(e).name}:${String(e.Inserted)}`);
      return { got, busy: q.Busy };
    });
    expect(out).to.deep.equal({ got: ["b:false", "c:false"], busy: false });
  });

  it("KeRemoveEntryDeviceQueue returns FALSE for an entry that is not in the queue, TRUE (once) for one that is", async () => {
    const out = await atDispatch(() => {
      const q = new KDEVICE_QUEUE<Packet>();
      const [running, waiting, never] = [new Packet("running"), new Packet("waiting"), new Packet("never")];
      KeInsertDeviceQueue(q, running.Entry);
      KeInsertDeviceQueue(q, waiting.Entry);
      return [
        KeRemoveEntryDeviceQueue(q, never.Entry),
        KeRemoveEntryDeviceQueue(q, running.Entry),
        KeRemoveEntryDeviceQueue(q, waiting.Entry),
        KeRemoveEntryDeviceQueue(q, waiting.Entry),
        names(q).length,
        q.Busy,
      ];
    });
    // The running entry was never queued (the insert found the device idle); removing the entry does not make the device idle.
    expect(out).to.deep.equal([false, false, true, false, 0, true]);
  });

  it("the queue routines that require DISPATCH_LEVEL bug-check 0xC4/0x20003 (IrqlDispatch) when called at PASSIVE_LEVEL", async () => {
    for (const call of [
      (q: KDEVICE_QUEUE<Packet>) => KeInsertDeviceQueue(q, new Packet("x").Entry),
      (q: KDEVICE_QUEUE<Packet>) => KeInsertByKeyDeviceQueue(q, new Packet("x").Entry, 1),
      (q: KDEVICE_QUEUE<Packet>) => KeRemoveDeviceQueue(q),
      (q: KDEVICE_QUEUE<Packet>) => KeRemoveByKeyDeviceQueue(q, 1),
    ]) {
      const m = newMachine();
      const ran = await runKernel(m, () => call(new KDEVICE_QUEUE<Packet>()));
      const bc = ran.result.bugCheck;
      expect(bc?.code).to.equal(0xc4);
      expect(bc?.parameters[0]).to.equal(0x20003);
      expect(bc?.detail).to.match(/called at PASSIVE_LEVEL; the IrqlDispatch rule requires DISPATCH_LEVEL/);
    }
  });

  it("KeRemoveEntryDeviceQueue and KeInitializeDeviceQueue run at or below DISPATCH_LEVEL; above it they bug-check 0xC4/0x20011 (IrqlKeDispatchLte)", async () => {
    const low = ok(await runKernel(newMachine(), () => KeRemoveEntryDeviceQueue(new KDEVICE_QUEUE<Packet>(), new Packet("x").Entry)));
    expect(low).to.equal(false);
    const m = newMachine();
    const ran = await runKernel(m, () => {
      KeRaiseIrql(HIGH_LEVEL);
      KeRemoveEntryDeviceQueue(new KDEVICE_QUEUE<Packet>(), new Packet("x").Entry);
    });
    expect(ran.result.bugCheck?.code).to.equal(0xc4);
    expect(ran.result.bugCheck?.parameters[0]).to.equal(0x20011);
  });
});
