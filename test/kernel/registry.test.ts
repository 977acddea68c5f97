import { expect } from "chai";
import { loadDriver, registryValue, registryKeyExists, setRegistryValue } from "../../index.js";
import * as wdm from "../../wdm.js";
import { newMachine, ok, runKernel } from "../helpers.js";

const SERVICES = "\\Registry\\Machine\\System\\CurrentControlSet\\Services";

function attributes(name: string | null, root = 0): wdm.OBJECT_ATTRIBUTES {
  const oa = new wdm.OBJECT_ATTRIBUTES();
  wdm.InitializeObjectAttributes(oa, name, wdm.OBJ_KERNEL_HANDLE | wdm.OBJ_CASE_INSENSITIVE, root, null);
  return oa;
}

function dword(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

describe("kernel: the configuration registry (Zw*Key)", () => {
  it("ZwCreateKey creates only the last component: REG_CREATED_NEW_KEY, then REG_OPENED_EXISTING_KEY; a missing parent is STATUS_OBJECT_NAME_NOT_FOUND", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const a = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes(`${SERVICES}\\Demo`), 0, null, wdm.REG_OPTION_NON_VOLATILE);
      const b = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes(`${SERVICES}\\DEMO`), 0, null, wdm.REG_OPTION_NON_VOLATILE);
      const c = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes(`${SERVICES}\\Missing\\Child`), 0, null, 0);
      await wdm.ZwClose(a.KeyHandle);
      await wdm.ZwClose(b.KeyHandle);
      return [a.status, a.Disposition, b.status, b.Disposition, c.status, c.KeyHandle, m.systemProcess.handleTable.count];
    });
    expect(ok(r)).to.deep.equal([wdm.STATUS_SUCCESS, wdm.REG_CREATED_NEW_KEY, wdm.STATUS_SUCCESS, wdm.REG_OPENED_EXISTING_KEY, wdm.STATUS_OBJECT_NAME_NOT_FOUND, 0, 0]);
  });

  it("key names are case-insensitive and case-preserving: ZwEnumerateKey returns the name as created", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const parent = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes(`${SERVICES}\\CaseTest`), 0, null, 0);
      const child = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes("MixedCase", parent.KeyHandle), 0, null, 0);
      const opened = wdm.ZwOpenKey(wdm.KEY_READ, attributes(`${SERVICES}\\casetest\\MIXEDCASE`));
      const buf = new Uint8Array(64);
      const len = { value: 0 };
      const e = wdm.ZwEnumerateKey(parent.KeyHandle, 0, wdm.KeyBasicInformation, buf, buf.length, len);
      const nameLength = new DataView(buf.buffer).getUint32(12, true);
      const name = String.fromCharCode(...new Uint16Array(buf.buffer.slice(16, 16 + nameLength)));
      const past = wdm.ZwEnumerateKey(parent.KeyHandle, 1, wdm.KeyBasicInformation, buf, buf.length, len);
      for (const h of [parent.KeyHandle, child.KeyHandle, opened.KeyHandle]) await wdm.ZwClose(h);
      return { opened: opened.status, e, name, result: len.value, past };
    });
    expect(ok(r)).to.deep.equal({ opened: wdm.STATUS_SUCCESS, e: wdm.STATUS_SUCCESS, name: "MixedCase", result: 16 + 18, past: wdm.STATUS_NO_MORE_ENTRIES });
  });

  it("ZwQueryValueKey: STATUS_BUFFER_TOO_SMALL when the fixed part does not fit, STATUS_BUFFER_OVERFLOW with the partial data, ResultLength always the size needed", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const k = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes(`${SERVICES}\\Sizes`), 0, null, 0);
      const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
      const set = wdm.ZwSetValueKey(k.KeyHandle, "Blob", 0, wdm.REG_BINARY, data, data.length);
      const len = { value: 0 };
      const tiny = new Uint8Array(8).fill(0xee);
      const tooSmall = wdm.ZwQueryValueKey(k.KeyHandle, "Blob", wdm.KeyValuePartialInformation, tiny, tiny.length, len);
      const neededTooSmall = len.value;
      const partial = new Uint8Array(15).fill(0xee);
      const overflow = wdm.ZwQueryValueKey(k.KeyHandle, "blob", wdm.KeyValuePartialInformation, partial, partial.length, len);
      const neededOverflow = len.value;
      const full = new Uint8Array(20);
      const success = wdm.ZwQueryValueKey(k.KeyHandle, "BLOB", wdm.KeyValuePartialInformation, full, full.length, len);
      const v = new DataView(full.buffer);
      const missing = wdm.ZwQueryValueKey(k.KeyHandle, "Nope", wdm.KeyValuePartialInformation, full, full.length, len);
      await wdm.ZwClose(k.KeyHandle);
      return { set, tooSmall, neededTooSmall, untouched: [...tiny].every((b) => b === 0xee), overflow, neededOverflow, partialData: [...partial.slice(12)], success, type: v.getUint32(4, true), dataLength: v.getUint32(8, true), data: [...full.slice(12)], missing };
    });
    expect(ok(r)).to.deep.equal({
      set: wdm.STATUS_SUCCESS,
      tooSmall: wdm.STATUS_BUFFER_TOO_SMALL,
      neededTooSmall: 20,
      untouched: true,
      overflow: wdm.STATUS_BUFFER_OVERFLOW,
      neededOverflow: 20,
      partialData: [1, 2, 3],
      success: wdm.STATUS_SUCCESS,
      type: wdm.REG_BINARY,
      dataLength: 8,
      data: [1, 2, 3, 4, 5, 6, 7, 8],
      missing: wdm.STATUS_OBJECT_NAME_NOT_FOUND,
    });
  });

  it("KEY_VALUE_FULL_INFORMATION puts the data at DataOffset after the name; KEY_VALUE_BASIC_INFORMATION has the name only; values enumerate in creation order", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const k = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes(`${SERVICES}\\Full`), 0, null, 0);
      wdm.ZwSetValueKey(k.KeyHandle, "Zeta", 0, wdm.REG_DWORD, dword(7), 4);
      wdm.ZwSetValueKey(k.KeyHandle, "Alpha", 0, wdm.REG_DWORD, dword(9), 4);
      const buf = new Uint8Array(64);
      const len = { value: 0 };
      const s = wdm.ZwQueryValueKey(k.KeyHandle, "Alpha", wdm.KeyValueFullInformation, buf, buf.length, len);
      const v = new DataView(buf.buffer);
      const full = { s, type: v.getUint32(4, true), dataOffset: v.getUint32(8, true), dataLength: v.getUint32(12, true), nameLength: v.getUint32(16, true), value: v.getUint32(v.getUint32(8, true), true), len: len.value };
      const names: string[] = [];
      for (let i = 0; ; i++) {
        const e = wdm.ZwEnumerateValueKey(k.KeyHandle, i, wdm.KeyValueBasicInformation, buf, buf.length, len);
        if (e === wdm.STATUS_NO_MORE_ENTRIES) break;
        names.push(String.fromCharCode(...new Uint16Array(buf.buffer.slice(12, 12 + v.getUint32(8, true)))));
      }
      await wdm.ZwClose(k.KeyHandle);
      return { full, names };
    });
    expect(ok(r)).to.deep.equal({ full: { s: wdm.STATUS_SUCCESS, type: wdm.REG_DWORD, dataOffset: 32, dataLength: 4, nameLength: 10, value: 9, len: 36 }, names: ["Zeta", "Alpha"] });
  });

  it("ZwQueryKey KeyFullInformation counts subkeys and values and their longest names and data", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const k = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes(`${SERVICES}\\Counts`), 0, null, 0);
      const a = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes("Sub", k.KeyHandle), 0, null, 0);
      const b = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes("LongerSub", k.KeyHandle), 0, null, 0);
      wdm.ZwSetValueKey(k.KeyHandle, "V", 0, wdm.REG_BINARY, new Uint8Array(10), 10);
      const buf = new Uint8Array(64);
      const len = { value: 0 };
      const s = wdm.ZwQueryKey(k.KeyHandle, wdm.KeyFullInformation, buf, buf.length, len);
      const v = new DataView(buf.buffer);
      for (const h of [k, a, b]) await wdm.ZwClose(h.KeyHandle);
      return { s, subKeys: v.getUint32(20, true), maxNameLen: v.getUint32(24, true), values: v.getUint32(32, true), maxValueNameLen: v.getUint32(36, true), maxValueDataLen: v.getUint32(40, true), len: len.value };
    });
    expect(ok(r)).to.deep.equal({ s: wdm.STATUS_SUCCESS, subKeys: 2, maxNameLen: 18, values: 1, maxValueNameLen: 2, maxValueDataLen: 10, len: 44 });
  });

  it("deleting a key with subkeys is STATUS_CANNOT_DELETE; after ZwDeleteKey every open handle answers STATUS_KEY_DELETED", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const k = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes(`${SERVICES}\\Doomed`), 0, null, 0);
      const c = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes("Child", k.KeyHandle), 0, null, 0);
      const refused = wdm.ZwDeleteKey(k.KeyHandle);
      const other = wdm.ZwOpenKey(wdm.KEY_ALL_ACCESS, attributes(`${SERVICES}\\Doomed\\Child`));
      const deleted = wdm.ZwDeleteKey(c.KeyHandle);
      const viaOther = wdm.ZwSetValueKey(other.KeyHandle, "X", 0, wdm.REG_DWORD, dword(1), 4);
      const again = wdm.ZwDeleteKey(c.KeyHandle);
      const flush = wdm.ZwFlushKey(c.KeyHandle);
      const reopen = wdm.ZwOpenKey(wdm.KEY_READ, attributes(`${SERVICES}\\Doomed\\Child`));
      const parentNow = wdm.ZwDeleteKey(k.KeyHandle);
      const closes = [await wdm.ZwClose(k.KeyHandle), await wdm.ZwClose(c.KeyHandle), await wdm.ZwClose(other.KeyHandle)];
      return { refused, deleted, viaOther, again, flush, reopen: reopen.status, parentNow, closes, left: m.systemProcess.handleTable.count };
    });
    expect(ok(r)).to.deep.equal({
      refused: wdm.STATUS_CANNOT_DELETE,
      deleted: wdm.STATUS_SUCCESS,
      viaOther: wdm.STATUS_KEY_DELETED,
      again: wdm.STATUS_KEY_DELETED,
      flush: wdm.STATUS_KEY_DELETED,
      reopen: wdm.STATUS_OBJECT_NAME_NOT_FOUND,
      parentNow: wdm.STATUS_SUCCESS,
      closes: [wdm.STATUS_SUCCESS, wdm.STATUS_SUCCESS, wdm.STATUS_SUCCESS],
      left: 0,
    });
  });

  it("a non-key handle is STATUS_OBJECT_TYPE_MISMATCH, a bad handle STATUS_INVALID_HANDLE, an undefined information class STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const ev = wdm.ZwCreateEvent(wdm.EVENT_ALL_ACCESS, attributes(null), wdm.NotificationEvent, false);
      const k = wdm.ZwOpenKey(wdm.KEY_READ, attributes(SERVICES));
      const buf = new Uint8Array(32);
      const len = { value: 0 };
      const out = [
        wdm.ZwQueryValueKey(ev.EventHandle, "X", wdm.KeyValuePartialInformation, buf, buf.length, len),
        wdm.ZwSetValueKey(0x1234, "X", 0, wdm.REG_DWORD, dword(1), 4),
        wdm.ZwQueryKey(k.KeyHandle, 77, buf, buf.length, len),
        wdm.ZwQueryValueKey(k.KeyHandle, "X", 99, buf, buf.length, len),
        wdm.ZwDeleteKey(ev.EventHandle),
        wdm.ZwEnumerateKey(k.KeyHandle, 0, wdm.KeyBasicInformation, buf, -1, len),
      ];
      await wdm.ZwClose(ev.EventHandle);
      await wdm.ZwClose(k.KeyHandle);
      return out;
    });
    expect(ok(r)).to.deep.equal([wdm.STATUS_OBJECT_TYPE_MISMATCH, wdm.STATUS_INVALID_HANDLE, wdm.STATUS_INVALID_PARAMETER, wdm.STATUS_INVALID_PARAMETER, wdm.STATUS_OBJECT_TYPE_MISMATCH, wdm.STATUS_INVALID_PARAMETER]);
  });

  it("a non-volatile key cannot be created under a volatile one (STATUS_CHILD_MUST_BE_VOLATILE)", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const v = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes(`${SERVICES}\\Vol`), 0, null, wdm.REG_OPTION_VOLATILE);
      const bad = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes("Child", v.KeyHandle), 0, null, wdm.REG_OPTION_NON_VOLATILE);
      const good = wdm.ZwCreateKey(wdm.KEY_ALL_ACCESS, attributes("Child", v.KeyHandle), 0, null, wdm.REG_OPTION_VOLATILE);
      await wdm.ZwClose(good.KeyHandle);
      await wdm.ZwClose(v.KeyHandle);
      return [bad.status, good.status];
    });
    expect(ok(r)).to.deep.equal([wdm.STATUS_CHILD_MUST_BE_VOLATILE, wdm.STATUS_SUCCESS]);
  });

  it("the registry routines are PASSIVE_LEVEL routines: ZwQueryValueKey at DISPATCH_LEVEL bug-checks with IRQL_NOT_LESS_OR_EQUAL", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const k = wdm.ZwOpenKey(wdm.KEY_READ, attributes(SERVICES));
      wdm.KeRaiseIrql(wdm.DISPATCH_LEVEL);
      return wdm.ZwQueryValueKey(k.KeyHandle, "X", wdm.KeyValuePartialInformation, new Uint8Array(16), 16, null);
    });
    expect(r.result.bugCheck?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
  });

  it("a WDM driver reads a DWORD from its Parameters key in DriverEntry with ZwOpenKey and ZwQueryValueKey (RegistryPath is its service key)", async () => {
    const m = newMachine();
    let seen: unknown = null;
    const loaded = await loadDriver(
      m,
      "RegDemo",
      async (_DriverObject, RegistryPath) => {
        const path = `${RegistryPath}\\Parameters`;
        const k = wdm.ZwOpenKey(wdm.KEY_READ, attributes(path));
        if (k.status !== wdm.STATUS_SUCCESS) return k.status;
        const info = wdm.ExAllocatePoolWithTag(wdm.PagedPool, 16, "Reg ");
        const len = { value: 0 };
        const s = wdm.ZwQueryValueKey(k.KeyHandle, "MaxRequests", wdm.KeyValuePartialInformation, info, 16, len);
        seen = { path: RegistryPath, s, type: wdm.readU32(info + 4), value: wdm.readU32(info + wdm.KEY_VALUE_PARTIAL_INFORMATION_DATA_OFFSET), len: len.value };
        wdm.ExFreePoolWithTag(info, "Reg ");
        return await wdm.ZwClose(k.KeyHandle);
      },
      { parameters: { MaxRequests: 8 } },
    );
    expect(loaded.status).to.equal(wdm.STATUS_SUCCESS);
    expect(seen).to.deep.equal({ path: `${SERVICES}\\RegDemo`, s: wdm.STATUS_SUCCESS, type: wdm.REG_DWORD, value: 8, len: 16 });
    expect(registryValue(m, `${SERVICES}\\RegDemo`, "Start")?.value).to.equal(3);
    expect(registryValue(m, `${SERVICES}\\RegDemo`, "ImagePath")?.value).to.equal("\\SystemRoot\\System32\\drivers\\RegDemo.sys");
  });

  it("a WDM driver reads its Parameters with RtlQueryRegistryValues: RTL_QUERY_REGISTRY_DIRECT with a default, RTL_QUERY_REGISTRY_REQUIRED, a QueryRoutine and TYPECHECK", async () => {
    const m = newMachine();
    setRegistryValue(m, `${SERVICES}\\RtlDemo\\Parameters`, "Timeout", wdm.REG_DWORD, 250);
    setRegistryValue(m, `${SERVICES}\\RtlDemo\\Parameters`, "Name", wdm.REG_SZ, "widget");
    setRegistryValue(m, `${SERVICES}\\RtlDemo\\Parameters`, "Ports", wdm.REG_MULTI_SZ, ["COM1", "COM2"]);
    let seen: unknown = null;
    await loadDriver(m, "RtlDemo", (_d, RegistryPath) => {
      const timeout = { value: 0 };
      const retries = { value: 0 };
      const retryDefault = { value: 5 };
      const name = new wdm.UNICODE_STRING();
      const ports: string[] = [];
      const table: wdm.RTL_QUERY_REGISTRY_TABLE[] = [
        { Flags: wdm.RTL_QUERY_REGISTRY_SUBKEY, Name: "Parameters" },
        { Flags: wdm.RTL_QUERY_REGISTRY_DIRECT | wdm.RTL_QUERY_REGISTRY_REQUIRED | wdm.RTL_QUERY_REGISTRY_TYPECHECK, Name: "Timeout", EntryContext: timeout, DefaultType: (wdm.REG_DWORD << wdm.RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | wdm.REG_NONE },
        { Flags: wdm.RTL_QUERY_REGISTRY_DIRECT, Name: "Retries", EntryContext: retries, DefaultType: wdm.REG_DWORD, DefaultData: retryDefault, DefaultLength: 4 },
        { Flags: wdm.RTL_QUERY_REGISTRY_DIRECT, Name: "Name", EntryContext: name },
        { QueryRoutine: (ValueName, ValueType, ValueData) => (ports.push(`${ValueName}:${ValueType}:${wdm.readWideString(ValueData)}`), wdm.STATUS_SUCCESS), Flags: 0, Name: "Ports" },
        { Flags: 0 },
      ];
      const s = wdm.RtlQueryRegistryValues(wdm.RTL_REGISTRY_ABSOLUTE, RegistryPath, table, null, null);
      const missing = wdm.RtlQueryRegistryValues(wdm.RTL_REGISTRY_SERVICES, "RtlDemo\\Parameters", [{ Flags: wdm.RTL_QUERY_REGISTRY_DIRECT | wdm.RTL_QUERY_REGISTRY_REQUIRED, Name: "Absent", EntryContext: { value: 0 } }], null, null);
      const mismatch = wdm.RtlQueryRegistryValues(wdm.RTL_REGISTRY_SERVICES, "RtlDemo\\Parameters", [{ Flags: wdm.RTL_QUERY_REGISTRY_DIRECT | wdm.RTL_QUERY_REGISTRY_TYPECHECK, Name: "Name", EntryContext: { value: 0 }, DefaultType: wdm.REG_DWORD << wdm.RTL_QUERY_REGISTRY_TYPECHECK_SHIFT }], null, null);
      const noKey = wdm.RtlQueryRegistryValues(wdm.RTL_REGISTRY_SERVICES, "NoSuchService", [{ Flags: wdm.RTL_QUERY_REGISTRY_DIRECT, Name: "X", EntryContext: { value: 0 } }], null, null);
      const optional = wdm.RtlQueryRegistryValues(wdm.RTL_REGISTRY_SERVICES | wdm.RTL_REGISTRY_OPTIONAL, "NoSuchService", [{ Flags: wdm.RTL_QUERY_REGISTRY_DIRECT, Name: "X", EntryContext: { value: 0 } }], null, null);
      seen = { s, timeout: timeout.value, retries: retries.value, name: wdm.unicodeStringText(name), ports, missing, mismatch, noKey, optional };
      wdm.RtlFreeUnicodeString(name);
      return wdm.STATUS_SUCCESS;
    });
    expect(seen).to.deep.equal({
      s: wdm.STATUS_SUCCESS,
      timeout: 250,
      retries: 5,
      name: "widget",
      ports: [`Ports:${wdm.REG_SZ}:COM1`, `Ports:${wdm.REG_SZ}:COM2`],
      missing: wdm.STATUS_OBJECT_NAME_NOT_FOUND,
      mismatch: wdm.STATUS_OBJECT_TYPE_MISMATCH,
      noKey: wdm.STATUS_OBJECT_NAME_NOT_FOUND,
      optional: wdm.STATUS_SUCCESS,
    });
  });

  it("RtlWriteRegistryValue creates the key's last component and sets the value; RtlDeleteRegistryValue and RtlCheckRegistryKey answer as documented", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const w = wdm.RtlWriteRegistryValue(wdm.RTL_REGISTRY_SERVICES, "Writer", "Count", wdm.REG_DWORD, { value: 42 }, 4);
      const missingParent = wdm.RtlWriteRegistryValue(wdm.RTL_REGISTRY_SERVICES, "Nope\\Deeper\\State", "Count", wdm.REG_DWORD, { value: 1 }, 4);
      const check = wdm.RtlCheckRegistryKey(wdm.RTL_REGISTRY_SERVICES, "Writer");
      const del = wdm.RtlDeleteRegistryValue(wdm.RTL_REGISTRY_SERVICES, "Writer", "Count");
      const delAgain = wdm.RtlDeleteRegistryValue(wdm.RTL_REGISTRY_SERVICES, "Writer", "Count");
      const checkMissing = wdm.RtlCheckRegistryKey(wdm.RTL_REGISTRY_CONTROL, "NoSuchKey");
      return { w, missingParent, check, del, delAgain, checkMissing };
    });
    expect(ok(r)).to.deep.equal({ w: wdm.STATUS_SUCCESS, missingParent: wdm.STATUS_OBJECT_NAME_NOT_FOUND, check: wdm.STATUS_SUCCESS, del: wdm.STATUS_SUCCESS, delAgain: wdm.STATUS_OBJECT_NAME_NOT_FOUND, checkMissing: wdm.STATUS_OBJECT_NAME_NOT_FOUND });
    expect(registryKeyExists(m, `${SERVICES}\\Writer`)).to.equal(true);
  });
});
