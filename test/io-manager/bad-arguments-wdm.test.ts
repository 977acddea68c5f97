/**
 * The routines added with the WDM, native and newer Win32 names answer hostile arguments as
 * Windows does — the access violation of a pointer that points at no such structure, the
 * STATUS_INVALID_PARAMETER of a value no C caller could pass, a service's returned status — never
 * a JavaScript TypeError or RangeError. Each case here is one the hostile-call properties found.
 */
import { expect } from "chai";
import type { Machine } from "../../kernel/machine.js";
import { NtStatusError } from "../../kernel/nt-status-error.js";
import * as nt from "../../ntdll/index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, runApp, runKernel } from "../helpers.js";

/** What a call did: its value, or the NTSTATUS it raised. Any other throw fails the test. */
type Outcome = { value: unknown } | { raised: number };

function attempt(fn: () => unknown): Outcome {
  try {
    return { value: fn() };
  } catch (e) {
    if (e instanceof NtStatusError) return { raised: e.status };
    throw e;
  }
}

/** Runs the calls on a system thread (a driver's context) and returns each one's outcome. */
async function inKernel(m: Machine, calls: readonly (() => unknown)[]): Promise<Outcome[]> {
  const r = await runKernel(m, () => calls.map(attempt));
  if (r.error) throw r.error instanceof Error ? r.error : new Error("the body threw a value that is no Error");
  expect(m.halted).to.equal(null);
  return r.value ?? [];
}

const AV = { raised: wdm.STATUS_ACCESS_VIOLATION };
const INVALID = { raised: wdm.STATUS_INVALID_PARAMETER };

describe("bad arguments to the WDM, native and newer Win32 routines get NT's answer", () => {
  it("a lock, list, lookaside, remove-lock or work-item routine given something that is not its structure raises the access violation of reading it (NULL included), not a TypeError", async () => {
    const m = newMachine();
    const event = new wdm.KEVENT();
    const outcomes = await inKernel(m, [
      () => wdm.ExTryToAcquireFastMutex(event as never),
      () => wdm.KeTryToAcquireGuardedMutex(new wdm.FAST_MUTEX() as never),
      () => wdm.ExIsResourceAcquiredSharedLite(Symbol("x") as never),
      () => wdm.ExGetExclusiveWaiterCount(null as never),
      () => { wdm.ExReleasePushLock([] as never); },
      () => wdm.ExAcquireRundownProtection(true as never),
      () => wdm.IoAcquireRemoveLock(-1 as never),
      () => wdm.ExAllocateFromNPagedLookasideList(new wdm.LOOKASIDE_LIST_EX() as never),
      () => { wdm.ExFlushLookasideListEx(0 as never); },
      () => { wdm.InitializeSListHead(undefined as never); },
      () => { wdm.PushEntryList(new wdm.SINGLE_LIST_ENTRY(), "entry" as never); },
      () => wdm.ExInterlockedInsertHeadList(new wdm.LIST_ENTRY(), new wdm.LIST_ENTRY(), new wdm.IO_CSQ() as never),
      () => { wdm.IoFreeWorkItem("Prop" as never); },
      () => { wdm.KeSetImportanceDpc(0x81000000 as never, wdm.HighImportance); },
      () => wdm.PsGetThreadProcess(null as never),
      () => wdm.KeQueryPriorityThread(event as never),
    ]);
    expect(outcomes).to.deep.equal(outcomes.map(() => AV));
  });

  it("InitializeObjectAttributes given attributes or a root handle no C caller could pass (a bigint, a symbol) raises STATUS_INVALID_PARAMETER, and a name that is no UNICODE_STRING the access violation of reading it; the structure is left as it was", async () => {
    const m = newMachine();
    const oa = new wdm.OBJECT_ATTRIBUTES();
    const outcomes = await inKernel(m, [
      () => { wdm.InitializeObjectAttributes(oa, "\\BaseNamedObjects\\PropEvent", 0n as never, 0, null); },
      () => { wdm.InitializeObjectAttributes(oa, null, wdm.OBJ_KERNEL_HANDLE, Symbol("h") as never, null); },
      () => { wdm.InitializeObjectAttributes(oa, 42 as never, wdm.OBJ_KERNEL_HANDLE, 0, null); },
      () => { wdm.InitializeObjectAttributes(oa, null, wdm.OBJ_KERNEL_HANDLE, null, null); },
    ]);
    expect(outcomes).to.deep.equal([INVALID, INVALID, AV, { value: undefined }]);
    expect([oa.Attributes, oa.RootDirectory]).to.deep.equal([wdm.OBJ_KERNEL_HANDLE, 0]);
  });

  it("ZwCreateEvent and ZwOpenEvent given a DesiredAccess no C caller could pass (a symbol, NaN) return STATUS_INVALID_PARAMETER and create nothing", async () => {
    const m = newMachine();
    const outcomes = await inKernel(m, [
      () => wdm.ZwCreateEvent(Symbol("a") as never, null, wdm.NotificationEvent, true).status,
      () => wdm.ZwCreateEvent(NaN, null, wdm.NotificationEvent, true).status,
      () => {
        const oa = new wdm.OBJECT_ATTRIBUTES();
        wdm.InitializeObjectAttributes(oa, "\\BaseNamedObjects\\Nobody", wdm.OBJ_KERNEL_HANDLE, null, null);
        return wdm.ZwOpenEvent(Symbol("a") as never, oa).status;
      },
    ]);
    expect(outcomes).to.deep.equal([{ value: wdm.STATUS_INVALID_PARAMETER }, { value: wdm.STATUS_INVALID_PARAMETER }, { value: wdm.STATUS_INVALID_PARAMETER }]);
  });

  it("the Interlocked routines raise the access violation for a target that is no variable, and STATUS_INVALID_PARAMETER for a value no C caller could pass", async () => {
    const m = newMachine();
    const cell = new wdm.VOLATILE(5);
    const outcomes = await inKernel(m, [
      () => wdm.InterlockedIncrement(new wdm.KEVENT() as never),
      () => wdm.InterlockedExchangePointer({} as never, 1 as never),
      () => wdm.InterlockedCompareExchange(cell, 10n as never, 5),
      () => wdm.InterlockedAdd(cell, Symbol("x") as never),
      () => wdm.InterlockedExchange(cell, 7),
    ]);
    expect(outcomes).to.deep.equal([AV, AV, INVALID, INVALID, { value: 5 }]);
    expect(cell.value).to.equal(7);
  });

  it("the Rtl string routines raise the access violation for a PUNICODE_STRING or PANSI_STRING that is none, or a source that is no address", async () => {
    const m = newMachine();
    const wrongString: unknown = new wdm.UNICODE_STRING();
    const outcomes = await inKernel(m, [
      () => { wdm.RtlCopyUnicodeString(0x80000000 as never, new wdm.UNICODE_STRING()); },
      () => { wdm.RtlInitEmptyAnsiString(10n as never, 0, 0); },
      () => { wdm.RtlInitUnicodeString(new wdm.UNICODE_STRING(), {} as never); },
      () => wdm.RtlEqualString(new wdm.ANSI_STRING(), wrongString as never, false),
      () => wdm.RtlUnicodeStringPrintf(null as never, "%d", 1),
      () => wdm.RtlUpcaseUnicodeChar(Symbol("c") as never),
    ]);
    expect(outcomes).to.deep.equal([AV, AV, AV, AV, AV, INVALID]);
  });

  it("ExAllocatePool2's POOL_FLAGS must be a 64-bit whole number (else STATUS_INVALID_PARAMETER) and ExAllocatePool3's parameters an array (else the access violation)", async () => {
    const m = newMachine();
    const outcomes = await inKernel(m, [
      () => wdm.ExAllocatePool2(NaN, 16, "Prop"),
      () => wdm.ExAllocatePool2({} as never, 16, "Prop"),
      () => wdm.ExAllocatePool3(wdm.POOL_FLAG_NON_PAGED, 16, "Prop", {} as never, 1),
      () => wdm.ExAllocatePoolZero(10n as never, 16, "Prop"),
    ]);
    expect(outcomes).to.deep.equal([INVALID, INVALID, AV, INVALID]);
  });

  it("writeU64 of a value that is no 64-bit whole number is STATUS_INVALID_PARAMETER; readU64 through what is no address the access violation", async () => {
    const m = newMachine();
    const outcomes = await inKernel(m, [() => { wdm.writeU64(0x1000, { v: 1 } as never); }, () => wdm.readU64(Symbol("p") as never)]);
    expect(outcomes).to.deep.equal([INVALID, AV]);
  });

  it("a printf field wider than any buffer (%*d given 0x81000000) fills the destination and reports STATUS_BUFFER_OVERFLOW, as StringCchPrintf truncates, not a RangeError", async () => {
    const m = newMachine();
    const outcomes = await inKernel(m, [
      () => {
        const p = wdm.ExAllocatePoolWithTag(0, 64, "Prop");
        const status = wdm.RtlStringCchPrintfW(p, 16, "%*d", 0x81000000, 7);
        return [status, wdm.readWideString(p, 16)];
      },
      () => wdm.RtlStringCbLengthA("abc", 16, "not a pointer" as never),
    ]);
    // 0x81000000 is a negative int: a left-justified field of 0x7F000000 characters, cut to 15.
    expect(outcomes[0]).to.deep.equal({ value: [wdm.STATUS_BUFFER_OVERFLOW, `7${" ".repeat(14)}`] });
    expect(outcomes[1]).to.deep.equal(AV);
  });

  it("DbgPrint of a NULL format returns the access violation's status (it formats inside an exception handler); a format given by address is read from memory", async () => {
    const m = newMachine();
    const outcomes = await inKernel(m, [
      () => wdm.DbgPrint(null as never),
      () => {
        const p = wdm.ExAllocatePoolWithTag(0, 64, "Prop");
        wdm.writeAnsiString(p, "from memory %d\n");
        return wdm.DbgPrint(p as never, 5);
      },
      () => wdm.DbgPrintEx(wdm.DPFLTR_IHVDRIVER_ID, Symbol("level") as never, "x"),
    ]);
    expect(outcomes).to.deep.equal([{ value: wdm.STATUS_ACCESS_VIOLATION }, { value: wdm.STATUS_SUCCESS }, INVALID]);
  });

  it("Zw and Ob routines: an OBJECT_ATTRIBUTES, handle array or POBJECT_TYPE that is none is the access violation; a handle that is no number is STATUS_INVALID_HANDLE", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => [
      attempt(() => wdm.ZwOpenEvent(wdm.EVENT_ALL_ACCESS, new wdm.IO_CSQ() as never)),
      await wdm.ZwWaitForMultipleObjects(1, "handles" as never, 1, false, null).then(
        (v) => ({ value: v }),
        (e: unknown) => (e instanceof NtStatusError ? { raised: e.status } : { value: e }),
      ),
      (await wdm.ZwDuplicateObject(wdm.NtCurrentProcess, Symbol("h") as never, wdm.NtCurrentProcess, 0, 0, 0)).status,
      attempt(() => wdm.ObReferenceObjectByHandle(4, 0, new wdm.EX_RUNDOWN_REF() as never, wdm.KernelMode)),
      attempt(() => wdm.IoGetRelatedDeviceObject(null as never)),
      attempt(() => { wdm.InitializeObjectAttributes(null as never, null, 0, 0, null); }),
    ]);
    expect(r.error).to.equal(null);
    expect(r.value).to.deep.equal([AV, AV, wdm.STATUS_INVALID_HANDLE, AV, AV, AV]);
  });

  it("native services return STATUS_ACCESS_VIOLATION for an out-parameter, LARGE_INTEGER or OBJECT_ATTRIBUTES that is none, and STATUS_INVALID_INFO_CLASS for a directory class; kernel32 reads a timeout that is no number as the DWORD it converts to", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const out = { value: 0 };
      const created = nt.NtCreateEvent(out, nt.EVENT_ALL_ACCESS, null, nt.NotificationEvent, true);
      return [
        created,
        nt.NtCreateEvent(null as never, nt.EVENT_ALL_ACCESS, null, nt.NotificationEvent, false),
        await nt.NtWaitForSingleObject(out.value, false, {} as never),
        await nt.NtOpenFile({ value: 0 }, nt.GENERIC_READ, undefined as never, 0, 0, 0),
        await nt.NtQueryInformationFile(out.value, 0, 0, 16, 1),
        await w.WaitForSingleObject(out.value, undefined as never),
        w.CM_Get_Device_Interface_List("{6FDE7521-1B65-48AE-B628-80BE62016026}", 3 as never, 0, 0, 0),
      ];
    });
    expect(r.error).to.equal(null);
    expect(r.value).to.deep.equal([
      nt.STATUS_SUCCESS,
      nt.STATUS_ACCESS_VIOLATION,
      nt.STATUS_ACCESS_VIOLATION,
      nt.STATUS_ACCESS_VIOLATION,
      0xc0000003 /* STATUS_INVALID_INFO_CLASS */,
      w.WAIT_OBJECT_0,
      0x03 /* CR_INVALID_POINTER */,
    ]);
  });
});
