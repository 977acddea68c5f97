import { expect } from "chai";
import * as w from "../../win32/index.js";
import * as nt from "../../ntdll/index.js";
import { sectionViews } from "../../kernel/section.js";
import { newMachine, ok, runApp } from "../helpers.js";

const KB64 = 0x10000;

describe("win32: file mappings (CreateFileMapping, OpenFileMapping, MapViewOfFile, UnmapViewOfFile)", () => {
  it("two processes share a named mapping: what one writes through its view the other reads through its own", async () => {
    const m = newMachine();
    const seen: number[] = [];
    let done = false;
    m.createProcess("writer.exe", async () => {
      const h = w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READWRITE, 0, 2 * KB64, "Local\\Shared");
      const created = w.GetLastError();
      const p = w.MapViewOfFile(h, w.FILE_MAP_ALL_ACCESS, 0, 0, 0);
      w.writeU32(p + KB64 + 8, 0xabcd1234);
      while (!done) await w.Sleep(1);
      seen.push(created);
      await w.UnmapViewOfFile(p);
      await w.CloseHandle(h);
    });
    m.createProcess("reader.exe", async () => {
      await w.Sleep(5);
      const h = w.OpenFileMapping(w.FILE_MAP_READ, false, "Shared");
      const p = w.MapViewOfFile(h, w.FILE_MAP_READ, 0, 0, 0);
      seen.push(w.readU32(p + KB64 + 8));
      const again = w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READWRITE, 0, 4096, "Global\\Shared");
      seen.push(w.GetLastError());
      await w.CloseHandle(again);
      await w.UnmapViewOfFile(p);
      await w.CloseHandle(h);
      done = true;
    });
    const result = await m.run();
    expect(result.bugCheck ?? null).to.equal(null);
    expect(seen).to.deep.equal([0xabcd1234, w.ERROR_ALREADY_EXISTS, 0]);
  });

  it("a FILE_MAP_READ view is read-only: a write through it is an access violation, and the view is MEM_MAPPED", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const h = w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READWRITE, 0, 4096, null);
      const p = w.MapViewOfFile(h, w.FILE_MAP_READ, 0, 0, 0);
      const info = w.VirtualAlloc(0, 4096, w.MEM_COMMIT, w.PAGE_READWRITE);
      w.VirtualQuery(p, info, w.SIZEOF_MEMORY_BASIC_INFORMATION);
      const q = w.readMemoryBasicInformation(info);
      let fault = 0;
      try {
        w.writeU32(p, 1);
      } catch (e) {
        fault = e instanceof nt.NtStatusError ? e.status : -1;
      }
      await w.UnmapViewOfFile(p);
      await w.CloseHandle(h);
      return { fault, type: q.Type, protect: q.Protect, size: q.RegionSize };
    });
    expect(ok(r)).to.deep.equal({ fault: nt.STATUS_ACCESS_VIOLATION, type: w.MEM_MAPPED, protect: w.PAGE_READONLY, size: 4096 });
  });

  it("the Win32 errors are kernel32's: a misaligned offset, a view past the end, FILE_MAP_WRITE on a read-only mapping, a name nobody holds, a NULL name, unmapping twice, freeing a view with VirtualFree", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const last = <T>(v: T): [T, number] => [v, w.GetLastError()];
      const h = w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READWRITE, 0, 2 * KB64, null);
      const ro = w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READONLY, 0, KB64, "ReadOnly");
      const p = w.MapViewOfFile(h, w.FILE_MAP_WRITE, 0, 0, 0);
      const out = {
        zeroSize: last(w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READWRITE, 0, 0, null)),
        badProtect: last(w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_NOACCESS, 0, 4096, null)),
        misaligned: last(w.MapViewOfFile(h, w.FILE_MAP_READ, 0, 4096, 0)),
        pastEnd: last(w.MapViewOfFile(h, w.FILE_MAP_READ, 0, KB64, KB64 + 1)),
        writeOnReadOnly: last(w.MapViewOfFile(ro, w.FILE_MAP_WRITE, 0, 0, 0)),
        notSection: last(w.MapViewOfFile(w.CreateEvent(null, true, false, null), w.FILE_MAP_READ, 0, 0, 0)),
        badHandle: last(w.MapViewOfFile(0x7777, w.FILE_MAP_READ, 0, 0, 0)),
        notFound: last(w.OpenFileMapping(w.FILE_MAP_READ, false, "Nobody")),
        nullName: last(w.OpenFileMapping(w.FILE_MAP_READ, false, null)),
        virtualFree: last(w.VirtualFree(p, 0, w.MEM_RELEASE)),
        unmap: await w.UnmapViewOfFile(p),
        unmapAgain: last(await w.UnmapViewOfFile(p)),
      };
      await w.CloseHandle(h);
      await w.CloseHandle(ro);
      return out;
    });
    const x = ok(r);
    expect(x.zeroSize).to.deep.equal([0, w.ERROR_INVALID_PARAMETER]);
    expect(x.badProtect).to.deep.equal([0, w.ERROR_INVALID_PARAMETER]);
    expect(x.misaligned).to.deep.equal([0, w.ERROR_MAPPED_ALIGNMENT]);
    expect(x.pastEnd).to.deep.equal([0, w.ERROR_ACCESS_DENIED]);
    expect(x.writeOnReadOnly).to.deep.equal([0, w.ERROR_ACCESS_DENIED]);
    expect(x.notSection).to.deep.equal([0, w.ERROR_INVALID_HANDLE]);
    expect(x.badHandle).to.deep.equal([0, w.ERROR_INVALID_HANDLE]);
    expect(x.notFound).to.deep.equal([0, w.ERROR_FILE_NOT_FOUND]);
    expect(x.nullName).to.deep.equal([0, w.ERROR_INVALID_PARAMETER]);
    expect(x.virtualFree[0]).to.equal(false);
    expect(x.unmap).to.equal(true);
    expect(x.unmapAgain).to.deep.equal([false, w.ERROR_INVALID_ADDRESS]);
  });

  it("a process that exits with views still mapped has them unmapped by its rundown, and the section goes with its last reference", async () => {
    const m = newMachine();
    const before = m.physical.usedFrames;
    const r = await runApp(m, () => {
      const h = w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READWRITE, 0, 8 * 4096, "Leaky");
      const a = w.MapViewOfFile(h, w.FILE_MAP_ALL_ACCESS, 0, 0, 0);
      const b = w.MapViewOfFile(h, w.FILE_MAP_READ, 0, 0, 4096);
      w.writeU32(a, 5);
      return w.readU32(b);
    });
    expect(ok(r)).to.equal(5);
    expect(r.process.state).to.equal("exited");
    expect(sectionViews(m).get(r.process) ?? []).to.have.length(0);
    // Every page the app and its section held is back (the process's own pages included).
    expect(m.physical.usedFrames).to.equal(before);
  });

  it("NtCreateSection and NtMapViewOfSection return the NTSTATUS itself; OBJ_KERNEL_HANDLE from an app is STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const h = { value: 0 };
      const status = nt.NtCreateSection(h, nt.SECTION_ALL_ACCESS, null, new nt.LARGE_INTEGER(8192), w.PAGE_READWRITE, nt.SEC_COMMIT, null);
      const base = { value: 0 };
      const size = { value: 0 };
      const mapped = nt.NtMapViewOfSection(h.value, nt.NtCurrentProcess, base, 0, 0, null, size, nt.ViewShare, 0, w.PAGE_READWRITE);
      const oa = new nt.OBJECT_ATTRIBUTES();
      nt.InitializeObjectAttributes(oa, "\\BaseNamedObjects\\K", nt.OBJ_KERNEL_HANDLE, 0, null);
      const kernelHandle = nt.NtCreateSection({ value: 0 }, nt.SECTION_ALL_ACCESS, oa, new nt.LARGE_INTEGER(8192), w.PAGE_READWRITE, nt.SEC_COMMIT, null);
      const badOut = nt.NtCreateSection(0x80001000, nt.SECTION_ALL_ACCESS, null, new nt.LARGE_INTEGER(8192), w.PAGE_READWRITE, nt.SEC_COMMIT, null);
      const unmapped = await nt.NtUnmapViewOfSection(nt.NtCurrentProcess, base.value);
      await nt.NtClose(h.value);
      return { status, mapped, size: size.value, kernelHandle, badOut, unmapped };
    });
    expect(ok(r)).to.deep.equal({ status: nt.STATUS_SUCCESS, mapped: nt.STATUS_SUCCESS, size: 8192, kernelHandle: nt.STATUS_INVALID_PARAMETER, badOut: nt.STATUS_ACCESS_VIOLATION, unmapped: nt.STATUS_SUCCESS });
  });

  it("a handle opened with FILE_MAP_READ cannot map a writable view (STATUS_ACCESS_DENIED from NtMapViewOfSection)", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const h = w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READWRITE, 0, 4096, "RW");
      const readOnly = w.OpenFileMapping(w.FILE_MAP_READ, false, "RW");
      const status = nt.NtMapViewOfSection(readOnly, nt.NtCurrentProcess, { value: 0 }, 0, 0, null, { value: 0 }, nt.ViewShare, 0, w.PAGE_READWRITE);
      await w.CloseHandle(readOnly);
      await w.CloseHandle(h);
      return status;
    });
    expect(ok(r)).to.equal(nt.STATUS_ACCESS_DENIED);
  });
});
