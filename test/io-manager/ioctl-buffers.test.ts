import { expect } from "chai";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import {
  IOCTL,
  KERNEL_ADDRESS,
  alloc,
  complete,
  loadKit,
  majors,
  open,
  overlapped,
  partiallyMapped,
  readOnly,
  resources,
  see,
  signalled,
  unmapped,
  type Seen,
} from "./kit.js";

type Kind = "not mapped" | "read-only" | "in system space" | "partially mapped";
const kinds: readonly Kind[] = ["not mapped", "read-only", "in system space", "partially mapped"];

/** A 64-byte buffer of the given kind in the calling app. */
function buffer(kind: Kind): number {
  switch (kind) {
    case "not mapped":
      return unmapped();
    case "read-only":
      return readOnly(0x44);
    case "in system space":
      return KERNEL_ADDRESS;
    case "partially mapped":
      return partiallyMapped();
  }
}

const methods = [
  [wdm.METHOD_BUFFERED, "METHOD_BUFFERED"],
  [wdm.METHOD_IN_DIRECT, "METHOD_IN_DIRECT"],
  [wdm.METHOD_OUT_DIRECT, "METHOD_OUT_DIRECT"],
] as const;

/** Whether NT accepts a buffer of this kind in this role (input is read; IN_DIRECT's output is locked for read). */
function accepted(method: number, role: "input" | "output", kind: Kind): boolean {
  if (kind !== "read-only") return false;
  return role === "input" || method === wdm.METHOD_IN_DIRECT;
}

describe("I/O manager: user buffers are probed before the driver runs", () => {
  for (const [method, name] of methods) {
    for (const role of ["input", "output"] as const) {
      for (const kind of kinds) {
        const ok1 = accepted(method, role, kind);
        const title = ok1
          ? `${name}: a read-only ${role} buffer is accepted (${role === "input" ? "the input is only read" : "the output is locked for read access"})`
          : `${name}: an ${role} buffer that is ${kind} fails with ERROR_NOACCESS before the driver runs, leaving nothing allocated or locked`;
        it(title, async () => {
          const m = newMachine();
          const seen: Seen[] = [];
          const kit = await loadKit(m, {
            dispatch: {
              [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
                seen.push(see(m, Irp));
                return complete(Irp, wdm.STATUS_SUCCESS);
              },
            },
          });
          const r = await runApp(m, async () => {
            const h = await open(kit);
            const good = alloc();
            const bad = buffer(kind);
            const before = resources(m);
            const code = IOCTL(1, method);
            const ret =
              role === "input"
                ? await w.DeviceIoControl(h, code, bad, 64, good, 64, 0, null)
                : await w.DeviceIoControl(h, code, good, 64, bad, 64, 0, null);
            const error = w.GetLastError();
            const after = resources(m);
            // The synchronous file is not left locked: the next request goes through.
            const next = await w.DeviceIoControl(h, code, good, 8, good + 512, 8, 0, null);
            return { ret, error, before, after, next, bad };
          });
          const { ret, error, before, after, next, bad } = ok(r);
          expect(next).to.equal(true);
          if (ok1) {
            expect(ret).to.equal(true);
            expect(seen).to.have.length(2);
            if (role === "output")
              expect(seen[0]?.mdl).to.deep.equal({
                va: bad,
                byteCount: 64,
                write: false,
                locked: true,
              });
          } else {
            expect([ret, error]).to.deep.equal([false, w.ERROR_NOACCESS]);
            expect(seen).to.have.length(1);
            expect(majors(kit).filter((x) => x === "DEVICE_CONTROL")).to.have.length(1);
            expect(after).to.deep.equal(before);
          }
        });
      }
    }
  }

  it("METHOD_NEITHER probes nothing: unmapped, read-only, system-space and partially mapped pointers all reach the driver as they are", async () => {
    const m = newMachine();
    const seen: Seen[] = [];
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
          seen.push(see(m, Irp));
          return complete(Irp, wdm.STATUS_SUCCESS);
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const sent: number[][] = [];
      for (const kind of kinds) {
        const a = buffer(kind);
        const b = buffer(kind);
        await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_NEITHER), a, 64, b, 64, 0, null);
        sent.push([a, b]);
      }
      return sent;
    });
    const sent = ok(r);
    expect(seen.map((s) => [s.type3, s.userBuffer])).to.deep.equal(sent);
    expect(
      seen.every(
        (s) => s.systemBuffer === 0 && s.mdl === null && s.inLen === 64 && s.outLen === 64,
      ),
    ).to.equal(true);
  });

  it("a null buffer means length 0 for METHOD_BUFFERED input and output and for direct-method input", async () => {
    const m = newMachine();
    const seen: Seen[] = [];
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
          seen.push(see(m, Irp));
          return complete(Irp, wdm.STATUS_SUCCESS);
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = alloc();
      return [
        await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_BUFFERED), 0, 100, 0, 200, 0, null),
        await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_BUFFERED), buf, 100, 0, 200, 0, null),
        await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_IN_DIRECT), 0, 100, buf, 8, 0, null),
        await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_OUT_DIRECT), 0, 100, buf, 8, 0, null),
      ];
    });
    expect(ok(r)).to.deep.equal([true, true, true, true]);
    expect(seen.map((s) => [s.inLen, s.outLen, s.systemBufferSize])).to.deep.equal([
      [0, 0, null],
      [100, 0, 100],
      [0, 8, null],
      [0, 8, null],
    ]);
  });

  it("a null direct-method output buffer with a non-zero length is probed at address 0 and fails with ERROR_NOACCESS", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => complete(Irp, wdm.STATUS_SUCCESS),
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const before = resources(m);
      const results: [boolean, number][] = [];
      for (const method of [wdm.METHOD_IN_DIRECT, wdm.METHOD_OUT_DIRECT]) {
        results.push([
          await w.DeviceIoControl(h, IOCTL(1, method), 0, 0, 0, 16, 0, null),
          w.GetLastError(),
        ]);
      }
      return { results, same: JSON.stringify(resources(m)) === JSON.stringify(before) };
    });
    expect(ok(r)).to.deep.equal({
      results: [
        [false, w.ERROR_NOACCESS],
        [false, w.ERROR_NOACCESS],
      ],
      same: true,
    });
    expect(majors(kit)).to.not.include("DEVICE_CONTROL");
  });

  it("a zero length is never probed: bad pointers with length 0 reach the driver as an empty request", async () => {
    const m = newMachine();
    const seen: Seen[] = [];
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
          seen.push(see(m, Irp));
          return complete(Irp, wdm.STATUS_SUCCESS);
        },
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const results: boolean[] = [];
      for (const [method] of methods)
        results.push(
          await w.DeviceIoControl(h, IOCTL(1, method), KERNEL_ADDRESS, 0, unmapped(), 0, 0, null),
        );
      return results;
    });
    expect(ok(r)).to.deep.equal([true, true, true]);
    expect(seen.map((s) => [s.inLen, s.outLen, s.systemBuffer, s.mdl])).to.deep.equal([
      [0, 0, 0, null],
      [0, 0, 0, null],
      [0, 0, 0, null],
    ]);
  });

  it("an output buffer that fails its probe fails the call before the OVERLAPPED's event is reset, and no status is written to it", async () => {
    const m = newMachine();
    const kit = await loadKit(m, {
      dispatch: {
        [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => complete(Irp, wdm.STATUS_SUCCESS),
      },
    });
    const r = await runApp(m, async () => {
      const h = await open(kit, true);
      const ev = w.CreateEvent(null, true, true, null);
      const ov = overlapped(ev);
      const ret = await w.DeviceIoControl(
        h,
        IOCTL(1, wdm.METHOD_BUFFERED),
        0,
        0,
        KERNEL_ADDRESS,
        16,
        0,
        ov,
      );
      return { ret, error: w.GetLastError(), event: await signalled(ev), internal: ov.Internal };
    });
    expect(ok(r)).to.deep.equal({
      ret: false,
      error: w.ERROR_NOACCESS,
      event: true,
      internal: wdm.STATUS_PENDING,
    });
  });
});
