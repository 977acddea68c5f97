import { expect } from "chai";
import * as wdm from "../../wdm.js";
import { sectionViews } from "../../kernel/section.js";
import { newMachine, ok, runKernel } from "../helpers.js";

const KB64 = 0x10000;

function kernelAttributes(name: string | null = null, extra = 0): wdm.OBJECT_ATTRIBUTES {
  const oa = new wdm.OBJECT_ATTRIBUTES();
  wdm.InitializeObjectAttributes(oa, name, wdm.OBJ_KERNEL_HANDLE | wdm.OBJ_CASE_INSENSITIVE | extra, 0, null);
  return oa;
}

/** A pagefile-backed section of `size` bytes, referenced; the caller closes the handle. */
function createSection(size: number, protect: number = wdm.PAGE_READWRITE, name: string | null = null): { handle: number; section: wdm.SECTION } {
  const { status, SectionHandle } = wdm.ZwCreateSection(wdm.SECTION_ALL_ACCESS, kernelAttributes(name), new wdm.LARGE_INTEGER(size), protect, wdm.SEC_COMMIT, null);
  if (status !== wdm.STATUS_SUCCESS) throw new Error(`ZwCreateSection: 0x${status.toString(16)}`);
  const ref = wdm.ObReferenceObjectByHandle(SectionHandle, wdm.SECTION_MAP_READ | wdm.SECTION_MAP_WRITE, wdm.MmSectionObjectType, wdm.KernelMode);
  if (!ref.Object) throw new Error(`ObReferenceObjectByHandle: 0x${ref.status.toString(16)}`);
  return { handle: SectionHandle, section: ref.Object };
}

describe("kernel: sections and views (ZwCreateSection, ZwMapViewOfSection, MmMapViewInSystemSpace)", () => {
  it("every view of a section maps the same frames: a write through one view is read through another, with no copy", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const { handle, section } = createSection(3 * wdm.PAGE_SIZE + 10);
      const a = { value: 0 };
      const sizeA = { value: 0 };
      const b = { value: 0 };
      const sizeB = { value: 0 };
      const sa = wdm.MmMapViewInSystemSpace(section, a, sizeA);
      const sb = wdm.MmMapViewInSystemSpace(section, b, sizeB);
      const copied = m.mmu.bytesCopied;
      wdm.writeU32(a.value + 3 * wdm.PAGE_SIZE + 4, 0xfeedface);
      const seen = wdm.readU32(b.value + 3 * wdm.PAGE_SIZE + 4);
      const sameFrame = wdm.MmGetPhysicalAddress(a.value + 8) === wdm.MmGetPhysicalAddress(b.value + 8);
      const zeroed = wdm.readU32(b.value);
      const views = sectionViews(m).get(null)?.length;
      await wdm.MmUnmapViewInSystemSpace(a.value);
      await wdm.MmUnmapViewInSystemSpace(b.value);
      wdm.ObDereferenceObject(section);
      await wdm.ZwClose(handle);
      return { sa, sb, sizes: [sizeA.value, sizeB.value], seen, sameFrame, zeroed, views, copied: m.mmu.bytesCopied - copied, different: a.value !== b.value };
    });
    expect(ok(r)).to.deep.equal({ sa: 0, sb: 0, sizes: [4 * wdm.PAGE_SIZE, 4 * wdm.PAGE_SIZE], seen: 0xfeedface, sameFrame: true, zeroed: 0, views: 2, copied: 0, different: true });
  });

  it("a section's pages are freed when its last handle, view and reference are gone, not before", async () => {
    const m = newMachine();
    const before = m.physical.usedFrames;
    const r = await runKernel(m, async () => {
      const { handle, section } = createSection(4 * wdm.PAGE_SIZE);
      const base = { value: 0 };
      const size = { value: 0 };
      wdm.MmMapViewInSystemSpace(section, base, size);
      wdm.ObDereferenceObject(section);
      await wdm.ZwClose(handle);
      // The view still holds the section: its pages are still there.
      wdm.writeU32(base.value, 7);
      const held = m.physical.usedFrames - before;
      await wdm.MmUnmapViewInSystemSpace(base.value);
      return held;
    });
    expect(ok(r)).to.be.at.least(4);
    expect(m.physical.usedFrames).to.equal(before);
  });

  it("ZwMapViewOfSection from a system thread maps into the System process's user space; ViewSize 0 maps from the offset (rounded down to 64 KB) to the end", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const { handle, section } = createSection(3 * KB64);
      const sys = { value: 0 };
      wdm.MmMapViewInSystemSpace(section, sys, { value: 0 });
      wdm.writeU32(sys.value + KB64 + 16, 0x1234);
      const base = { value: 0 };
      const size = { value: 0 };
      const offset = new wdm.LARGE_INTEGER(KB64 + 100);
      const status = wdm.ZwMapViewOfSection(handle, wdm.ZwCurrentProcess, base, 0, 0, offset, size, wdm.ViewUnmap, 0, wdm.PAGE_READWRITE);
      const read = wdm.readU32(base.value + 16);
      const unmapped = await wdm.ZwUnmapViewOfSection(wdm.ZwCurrentProcess, base.value + 5);
      const again = await wdm.ZwUnmapViewOfSection(wdm.ZwCurrentProcess, base.value);
      await wdm.MmUnmapViewInSystemSpace(sys.value);
      wdm.ObDereferenceObject(section);
      await wdm.ZwClose(handle);
      return { status, user: base.value < wdm.MM_SYSTEM_RANGE_START && base.value % KB64 === 0, size: size.value, offset: Number(offset.QuadPart), read, unmapped, again };
    });
    expect(ok(r)).to.deep.equal({ status: wdm.STATUS_SUCCESS, user: true, size: 2 * KB64, offset: KB64, read: 0x1234, unmapped: wdm.STATUS_SUCCESS, again: wdm.STATUS_NOT_MAPPED_VIEW });
  });

  it("ZwCreateSection answers bad arguments with NT's statuses: no size, a bad protection, SEC_COMMIT with SEC_RESERVE, a name in use", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const create = (size: wdm.ZwSectionLargeInteger, protect: number, attributes: number, oa: wdm.OBJECT_ATTRIBUTES | null = kernelAttributes()) => wdm.ZwCreateSection(wdm.SECTION_ALL_ACCESS, oa, size, protect, attributes, null).status;
      const named = wdm.ZwCreateSection(wdm.SECTION_ALL_ACCESS, kernelAttributes("\\BaseNamedObjects\\Twice"), new wdm.LARGE_INTEGER(wdm.PAGE_SIZE), wdm.PAGE_READWRITE, wdm.SEC_COMMIT, null);
      const out = {
        noSize: create(null, wdm.PAGE_READWRITE, wdm.SEC_COMMIT),
        zero: create(new wdm.LARGE_INTEGER(0), wdm.PAGE_READWRITE, wdm.SEC_COMMIT),
        protection: create(new wdm.LARGE_INTEGER(wdm.PAGE_SIZE), wdm.PAGE_NOACCESS, wdm.SEC_COMMIT),
        guard: create(new wdm.LARGE_INTEGER(wdm.PAGE_SIZE), wdm.PAGE_READWRITE | wdm.PAGE_GUARD, wdm.SEC_COMMIT),
        both: create(new wdm.LARGE_INTEGER(wdm.PAGE_SIZE), wdm.PAGE_READWRITE, wdm.SEC_COMMIT | wdm.SEC_RESERVE),
        collision: create(new wdm.LARGE_INTEGER(wdm.PAGE_SIZE), wdm.PAGE_READWRITE, wdm.SEC_COMMIT, kernelAttributes("\\BaseNamedObjects\\Twice")),
        openIf: create(new wdm.LARGE_INTEGER(wdm.PAGE_SIZE), wdm.PAGE_READWRITE, wdm.SEC_COMMIT, kernelAttributes("\\BaseNamedObjects\\Twice", wdm.OBJ_OPENIF)),
        huge: create(new wdm.LARGE_INTEGER(2 ** 31), wdm.PAGE_READWRITE, wdm.SEC_COMMIT),
      };
      // The OBJ_OPENIF create opened the same section: close both handles (the second is the one just made).
      const reopened = wdm.ZwOpenSection(wdm.SECTION_MAP_READ, kernelAttributes("\\BaseNamedObjects\\Twice"));
      await wdm.ZwClose(reopened.SectionHandle);
      await wdm.ZwClose(named.SectionHandle);
      for (const [h] of m.systemProcess.handleTable.handles()) await wdm.ZwClose((h | 0x80000000) >>> 0);
      return out;
    });
    expect(ok(r)).to.deep.equal({
      noSize: wdm.STATUS_INVALID_PARAMETER_4,
      zero: wdm.STATUS_INVALID_PARAMETER_4,
      protection: wdm.STATUS_INVALID_PAGE_PROTECTION,
      guard: wdm.STATUS_INVALID_PAGE_PROTECTION,
      both: wdm.STATUS_INVALID_PARAMETER_6,
      collision: wdm.STATUS_OBJECT_NAME_COLLISION,
      openIf: wdm.STATUS_OBJECT_NAME_EXISTS,
      huge: wdm.STATUS_COMMITMENT_LIMIT,
    });
  });

  it("ZwMapViewOfSection answers bad arguments with NT's statuses: a handle that is no section is STATUS_OBJECT_TYPE_MISMATCH, a bad one STATUS_INVALID_HANDLE, a view past the end STATUS_INVALID_VIEW_SIZE", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const { handle, section } = createSection(KB64);
      const ro = createSection(KB64, wdm.PAGE_READONLY);
      const event = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, kernelAttributes(), wdm.NotificationEvent, false).EventHandle;
      const map = (h: number, o: { base?: number; size?: number; offset?: number; inherit?: number; type?: number; protect?: number; process?: number } = {}) =>
        wdm.ZwMapViewOfSection(h, o.process ?? wdm.ZwCurrentProcess, { value: o.base ?? 0 }, 0, 0, o.offset === undefined ? null : new wdm.LARGE_INTEGER(o.offset), { value: o.size ?? 0 }, o.inherit ?? wdm.ViewUnmap, o.type ?? 0, o.protect ?? wdm.PAGE_READWRITE);
      const out = {
        event: map(event),
        bad: map(0x1234),
        none: map(0),
        tooBig: map(handle, { size: KB64 + 1 }),
        offsetPast: map(handle, { offset: KB64 }),
        misaligned: map(handle, { base: 0x10001000 }),
        inherit: map(handle, { inherit: 3 }),
        allocationType: map(handle, { type: wdm.MEM_COMMIT }),
        protect: map(handle, { protect: 0x1234 }),
        sectionProtection: map(ro.handle, { protect: wdm.PAGE_READWRITE }),
        process: map(handle, { process: event }),
        unmapNotView: await wdm.ZwUnmapViewOfSection(wdm.ZwCurrentProcess, 0x10000000),
        unmapBadProcess: await wdm.ZwUnmapViewOfSection(0x5678, 0x10000000),
      };
      wdm.ObDereferenceObject(section);
      wdm.ObDereferenceObject(ro.section);
      await wdm.ZwClose(handle);
      await wdm.ZwClose(ro.handle);
      await wdm.ZwClose(event);
      return out;
    });
    expect(ok(r)).to.deep.equal({
      event: wdm.STATUS_OBJECT_TYPE_MISMATCH,
      bad: wdm.STATUS_INVALID_HANDLE,
      none: wdm.STATUS_INVALID_HANDLE,
      tooBig: wdm.STATUS_INVALID_VIEW_SIZE,
      offsetPast: wdm.STATUS_INVALID_VIEW_SIZE,
      misaligned: wdm.STATUS_MAPPED_ALIGNMENT,
      inherit: wdm.STATUS_INVALID_PARAMETER_8,
      allocationType: wdm.STATUS_INVALID_PARAMETER_9,
      protect: wdm.STATUS_INVALID_PAGE_PROTECTION,
      sectionProtection: wdm.STATUS_SECTION_PROTECTION,
      process: wdm.STATUS_OBJECT_TYPE_MISMATCH,
      unmapNotView: wdm.STATUS_NOT_MAPPED_VIEW,
      unmapBadProcess: wdm.STATUS_INVALID_HANDLE,
    });
  });

  it("MmUnmapViewInSystemSpace of an address that is no system view (unmapped twice) is bug check 0xD7 DRIVER_UNMAPPING_INVALID_VIEW", async () => {
    const m = newMachine();
    let base = 0;
    const r = await runKernel(m, async () => {
      const { handle, section } = createSection(wdm.PAGE_SIZE);
      const b = { value: 0 };
      wdm.MmMapViewInSystemSpace(section, b, { value: 0 });
      base = b.value;
      wdm.ObDereferenceObject(section);
      await wdm.ZwClose(handle);
      await wdm.MmUnmapViewInSystemSpace(b.value);
      await wdm.MmUnmapViewInSystemSpace(b.value);
    });
    const bc = r.result.bugCheck;
    expect(bc?.code).to.equal(0xd7);
    expect(bc?.parameters[0]).to.equal(base);
  });

  it("the section routines are called at PASSIVE_LEVEL: at DISPATCH_LEVEL, IRQL_NOT_LESS_OR_EQUAL", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const old = wdm.KeRaiseIrqlToDpcLevel();
      wdm.ZwCreateSection(wdm.SECTION_ALL_ACCESS, kernelAttributes(), new wdm.LARGE_INTEGER(wdm.PAGE_SIZE), wdm.PAGE_READWRITE, wdm.SEC_COMMIT, null);
      wdm.KeLowerIrql(old);
    });
    expect(r.result.bugCheck?.code).to.equal(wdm.BugCheckCode.IRQL_NOT_LESS_OR_EQUAL);
  });

  it("MmMapViewInSystemSpace given something that is no section raises STATUS_ACCESS_VIOLATION, as its dereference would", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      try {
        const notASection: unknown = { size: 4096 };
        wdm.MmMapViewInSystemSpace(notASection as wdm.SECTION, { value: 0 }, { value: 0 });
        return "returned";
      } catch (e) {
        return e instanceof wdm.NtStatusError ? e.status : String(e);
      }
    });
    expect(ok(r)).to.equal(wdm.STATUS_ACCESS_VIOLATION);
  });
});
