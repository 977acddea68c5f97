import { expect } from "chai";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { IOCTL, KERNEL_ADDRESS, alloc, complete, loadKit, majors, open, resources } from "./kit.js";

const ANY = IOCTL(1, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);
const READ = IOCTL(2, wdm.METHOD_BUFFERED, wdm.FILE_READ_ACCESS);
const WRITE = IOCTL(3, wdm.METHOD_BUFFERED, wdm.FILE_WRITE_ACCESS);
const BOTH = IOCTL(4, wdm.METHOD_BUFFERED, wdm.FILE_READ_ACCESS | wdm.FILE_WRITE_ACCESS);

/** A kit whose IOCTL handler records each control code it is sent. */
async function recordingKit(m: ReturnType<typeof newMachine>, flags = 0) {
  const codes: number[] = [];
  const kit = await loadKit(m, {
    flags,
    dispatch: {
      [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
        codes.push(wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode);
        return complete(Irp, wdm.STATUS_SUCCESS);
      },
      [wdm.IRP_MJ_READ]: (_DeviceObject, Irp) => complete(Irp, wdm.STATUS_SUCCESS),
      [wdm.IRP_MJ_WRITE]: (_DeviceObject, Irp) => complete(Irp, wdm.STATUS_SUCCESS),
    },
  });
  return { kit, codes };
}

/** Sends each code on `h` and reports [returned, last error] for each. */
async function tryCodes(h: number, codes: readonly number[]): Promise<[boolean, number][]> {
  const buf = alloc();
  const out: [boolean, number][] = [];
  for (const code of codes) {
    w.SetLastError(0);
    out.push([await w.DeviceIoControl(h, code, buf, 8, buf + 64, 8, 0, null), w.GetLastError()]);
  }
  return out;
}

const DENIED: [boolean, number] = [false, w.ERROR_ACCESS_DENIED];
const GRANTED: [boolean, number] = [true, 0];

describe("I/O manager: a control code's required access is checked against the handle", () => {
  it("FILE_ANY_ACCESS needs no right: even a handle opened with no data access may send it", async () => {
    const m = newMachine();
    const { kit, codes } = await recordingKit(m);
    const r = await runApp(m, async () => tryCodes(await open(kit, false, 0), [ANY]));
    expect(ok(r)).to.deep.equal([GRANTED]);
    expect(codes).to.deep.equal([ANY]);
  });

  it("FILE_READ_ACCESS needs FILE_READ_DATA, FILE_WRITE_ACCESS needs FILE_WRITE_DATA, and a denied code fails with ERROR_ACCESS_DENIED before the driver sees it", async () => {
    const m = newMachine();
    const { kit, codes } = await recordingKit(m);
    const r = await runApp(m, async () => {
      const none = await tryCodes(await open(kit, false, 0), [READ, WRITE]);
      const read = await tryCodes(await open(kit, false, w.GENERIC_READ), [READ, WRITE]);
      const write = await tryCodes(await open(kit, false, w.GENERIC_WRITE), [READ, WRITE]);
      return { none, read, write };
    });
    expect(ok(r)).to.deep.equal({
      none: [DENIED, DENIED],
      read: [GRANTED, DENIED],
      write: [DENIED, GRANTED],
    });
    expect(codes).to.deep.equal([READ, WRITE]);
  });

  it("FILE_READ_ACCESS | FILE_WRITE_ACCESS needs both rights, not either", async () => {
    const m = newMachine();
    const { kit, codes } = await recordingKit(m);
    const r = await runApp(m, async () => [
      ...(await tryCodes(await open(kit, false, w.GENERIC_READ), [BOTH])),
      ...(await tryCodes(await open(kit, false, w.GENERIC_WRITE), [BOTH])),
      ...(await tryCodes(await open(kit, false, w.GENERIC_READ | w.GENERIC_WRITE), [BOTH])),
    ]);
    expect(ok(r)).to.deep.equal([DENIED, DENIED, GRANTED]);
    expect(codes).to.deep.equal([BOTH]);
  });

  it("a denied request allocates nothing and leaves the synchronous file usable", async () => {
    const m = newMachine();
    const { kit, codes } = await recordingKit(m);
    const r = await runApp(m, async () => {
      const h = await open(kit, false, w.GENERIC_READ);
      const buf = alloc();
      const before = resources(m);
      const denied = await w.DeviceIoControl(h, WRITE, buf, 64, buf + 128, 64, 0, null);
      const after = resources(m);
      const next = await w.DeviceIoControl(h, READ, buf, 64, buf + 128, 64, 0, null);
      return { denied, same: JSON.stringify(after) === JSON.stringify(before), next };
    });
    expect(ok(r)).to.deep.equal({ denied: false, same: true, next: true });
    expect(codes).to.deep.equal([READ]);
  });

  it("the rights are the handle's: a duplicate with less access is refused what the original may do", async () => {
    const m = newMachine();
    const { kit, codes } = await recordingKit(m);
    const r = await runApp(m, async () => {
      const h = await open(kit, false, w.GENERIC_READ | w.GENERIC_WRITE);
      const dup = alloc(4);
      if (
        !(await w.DuplicateHandle(
          w.GetCurrentProcess(),
          h,
          w.GetCurrentProcess(),
          dup,
          w.GENERIC_READ,
          false,
          0,
        ))
      )
        throw new Error("DuplicateHandle failed");
      const readOnlyHandle = w.readU32(dup);
      return [...(await tryCodes(readOnlyHandle, [WRITE, READ])), ...(await tryCodes(h, [WRITE]))];
    });
    expect(ok(r)).to.deep.equal([DENIED, GRANTED, GRANTED]);
    expect(codes).to.deep.equal([READ, WRITE]);
  });

  it("buffers are probed before the handle's access is checked: a bad buffer on a denied code reports ERROR_NOACCESS", async () => {
    const m = newMachine();
    const { kit, codes } = await recordingKit(m);
    const r = await runApp(m, async () => {
      const h = await open(kit, false, w.GENERIC_READ);
      const ret = await w.DeviceIoControl(h, WRITE, 0, 0, KERNEL_ADDRESS, 16, 0, null);
      return [ret, w.GetLastError()];
    });
    expect(ok(r)).to.deep.equal([false, w.ERROR_NOACCESS]);
    expect(codes).to.deep.equal([]);
  });

  it("ReadFile needs FILE_READ_DATA and WriteFile needs FILE_WRITE_DATA on the handle", async () => {
    const m = newMachine();
    const { kit } = await recordingKit(m, wdm.DO_BUFFERED_IO);
    const r = await runApp(m, async () => {
      const buf = alloc();
      const ro = await open(kit, false, w.GENERIC_READ);
      const wo = await open(kit, false, w.GENERIC_WRITE);
      const results: [boolean, number][] = [];
      for (const [h, write] of [
        [ro, false],
        [ro, true],
        [wo, false],
        [wo, true],
      ] as const) {
        w.SetLastError(0);
        const ret = write
          ? await w.WriteFile(h, buf, 16, 0, null)
          : await w.ReadFile(h, buf, 16, 0, null);
        results.push([ret, w.GetLastError()]);
      }
      return results;
    });
    expect(ok(r)).to.deep.equal([GRANTED, DENIED, DENIED, GRANTED]);
    expect(majors(kit).filter((x) => x === "READ" || x === "WRITE")).to.deep.equal([
      "READ",
      "WRITE",
    ]);
  });
});
