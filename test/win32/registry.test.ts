import { expect } from "chai";
import { ADMINISTRATOR_TOKEN, registryValue, setProcessToken, setRegistryValue } from "../../index.js";
import * as nt from "../../ntdll/index.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";

const SOFTWARE = "\\Registry\\Machine\\Software\\Contoso";

describe("win32: the registry (advapi32 Reg*)", () => {
  it("RegQueryValueExW: lpData NULL gives the size; too little room is ERROR_MORE_DATA with the size needed in *lpcbData; then the data", async () => {
    const m = newMachine();
    setRegistryValue(m, SOFTWARE, "Greeting", w.REG_SZ, "hello");
    setRegistryValue(m, SOFTWARE, "Count", w.REG_DWORD, 12);
    const r = await runApp(m, async () => {
      const hk = { value: 0 };
      const open = w.RegOpenKeyExW(w.HKEY_LOCAL_MACHINE, "Software\\Contoso", 0, w.KEY_READ, hk);
      const type = { value: 0 };
      const cb = { value: 0 };
      const sizeOnly = w.RegQueryValueExW(hk.value, "Greeting", null, type, null, cb);
      const needed = cb.value;
      const buf = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      cb.value = 4;
      const short = w.RegQueryValueExW(hk.value, "Greeting", null, type, buf, cb);
      const neededAfterShort = cb.value;
      cb.value = 64;
      const full = w.RegQueryValueExW(hk.value, "Greeting", null, type, buf, cb);
      const text = w.readWideString(buf);
      cb.value = 4;
      const dword = w.RegQueryValueExW(hk.value, "count", null, type, buf, cb);
      const count = w.readU32(buf);
      const missing = w.RegQueryValueExW(hk.value, "Absent", null, null, buf, cb);
      const closed = await w.RegCloseKey(hk.value);
      return { open, sizeOnly, needed, short, neededAfterShort, full, text, dword, count, type: type.value, missing, closed, lastError: w.GetLastError() };
    });
    expect(ok(r)).to.deep.equal({ open: 0, sizeOnly: 0, needed: 12, short: w.ERROR_MORE_DATA, neededAfterShort: 12, full: 0, text: "hello", dword: 0, count: 12, type: w.REG_DWORD, missing: w.ERROR_FILE_NOT_FOUND, closed: 0, lastError: 0 });
  });

  it("Reg* functions return the Win32 error and do not set the last error", async () => {
    const m = newMachine();
    const r = await runApp(m, () => {
      w.SetLastError(1234);
      const hk = { value: 0 };
      const e = w.RegOpenKeyExW(w.HKEY_LOCAL_MACHINE, "Software\\NoSuchVendor", 0, w.KEY_READ, hk);
      return [e, w.GetLastError(), hk.value];
    });
    expect(ok(r)).to.deep.equal([w.ERROR_FILE_NOT_FOUND, 1234, 0]);
  });

  it("a standard user may read HKEY_LOCAL_MACHINE but not write it (ERROR_ACCESS_DENIED); writing through a KEY_READ handle is ERROR_ACCESS_DENIED", async () => {
    const m = newMachine();
    setRegistryValue(m, SOFTWARE, "Count", w.REG_DWORD, 1);
    const r = await runApp(m, async () => {
      const hk = { value: 0 };
      const write = w.RegOpenKeyExW(w.HKEY_LOCAL_MACHINE, "Software\\Contoso", 0, w.KEY_WRITE, hk);
      const read = w.RegOpenKeyExW(w.HKEY_LOCAL_MACHINE, "Software\\Contoso", 0, w.KEY_READ, hk);
      const buf = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      const set = w.RegSetValueExW(hk.value, "Count", 0, w.REG_DWORD, buf, 4);
      await w.RegCloseKey(hk.value);
      // HKEY_CURRENT_USER is the user's own: full access.
      const cu = { value: 0 };
      const disp = { value: 0 };
      const created = w.RegCreateKeyExW(w.HKEY_CURRENT_USER, "Software\\Contoso\\App", 0, null, 0, w.KEY_ALL_ACCESS, null, cu, disp);
      w.writeU32(buf, 77);
      const setCu = w.RegSetValueExW(cu.value, "Level", 0, w.REG_DWORD, buf, 4);
      await w.RegCloseKey(cu.value);
      return { write, read, set, created, disposition: disp.value, setCu };
    });
    expect(ok(r)).to.deep.equal({ write: w.ERROR_ACCESS_DENIED, read: 0, set: w.ERROR_ACCESS_DENIED, created: 0, disposition: w.REG_CREATED_NEW_KEY, setCu: 0 });
  });

  it("an administrator creates keys under HKEY_LOCAL_MACHINE with RegCreateKeyExW (every missing key on the path), sets, enumerates and deletes values and keys", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      setProcessToken(m.currentThread().process, ADMINISTRATOR_TOKEN);
      const hk = { value: 0 };
      const disp = { value: 0 };
      const created = w.RegCreateKeyExW(w.HKEY_LOCAL_MACHINE, "Software\\Fabrikam\\Tool\\Settings", 0, null, 0, w.KEY_ALL_ACCESS, null, hk, disp);
      const buf = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      w.writeWideString(buf, "abc");
      const s1 = w.RegSetValueExW(hk.value, "Name", 0, w.REG_SZ, buf, 8);
      w.writeU32(buf, 5);
      const s2 = w.RegSetValueExW(hk.value, "Size", 0, w.REG_DWORD, buf, 4);
      const names: string[] = [];
      for (let i = 0; ; i++) {
        const cch = { value: 64 };
        const e = w.RegEnumValueW(hk.value, i, buf, cch, null, null, null, null);
        if (e === w.ERROR_NO_MORE_ITEMS) break;
        names.push(w.readWideString(buf));
      }
      const parent = { value: 0 };
      w.RegOpenKeyExW(w.HKEY_LOCAL_MACHINE, "Software\\Fabrikam", 0, w.KEY_ALL_ACCESS, parent);
      const cch = { value: 64 };
      const sub = w.RegEnumKeyExW(parent.value, 0, buf, cch, null, null, null, null);
      const subName = w.readWideString(buf);
      const tiny = { value: 2 };
      const tooSmall = w.RegEnumKeyExW(parent.value, 0, buf, tiny, null, null, null, null);
      const notEmpty = await w.RegDeleteKeyW(parent.value, "Tool");
      const delValue = w.RegDeleteValueW(hk.value, "Name");
      await w.RegCloseKey(hk.value);
      const delLeaf = await w.RegDeleteKeyW(parent.value, "Tool\\Settings");
      const delTool = await w.RegDeleteKeyW(parent.value, "Tool");
      await w.RegCloseKey(parent.value);
      return { created, disposition: disp.value, s1, s2, names, sub, subName, len: cch.value, tooSmall, notEmpty, delValue, delLeaf, delTool };
    }, "admin.exe");
    expect(ok(r)).to.deep.equal({ created: 0, disposition: w.REG_CREATED_NEW_KEY, s1: 0, s2: 0, names: ["Name", "Size"], sub: 0, subName: "Tool", len: 4, tooSmall: w.ERROR_MORE_DATA, notEmpty: w.ERROR_ACCESS_DENIED, delValue: 0, delLeaf: 0, delTool: 0 });
    expect(registryValue(m, "\\Registry\\Machine\\Software\\Fabrikam", "x")).to.equal(null);
  });

  it("RegGetValueW restricts the type with RRF_RT_*: ERROR_UNSUPPORTED_TYPE for another type; RRF_RT_DWORD accepts a 4-byte REG_BINARY; strings come back NUL-terminated", async () => {
    const m = newMachine();
    setRegistryValue(m, SOFTWARE, "Count", w.REG_DWORD, 3);
    setRegistryValue(m, SOFTWARE, "Raw", w.REG_BINARY, new Uint8Array([1, 0, 0, 0]));
    setRegistryValue(m, SOFTWARE, "NoNul", w.REG_SZ, new Uint8Array([0x61, 0, 0x62, 0]));
    setRegistryValue(m, SOFTWARE, "Path", w.REG_EXPAND_SZ, "%SystemRoot%\\x");
    const r = await runApp(m, () => {
      const buf = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      const cb = { value: 4 };
      const type = { value: 0 };
      const dw = w.RegGetValueW(w.HKEY_LOCAL_MACHINE, "Software\\Contoso", "Count", w.RRF_RT_REG_DWORD, type, buf, cb);
      const asSz = w.RegGetValueW(w.HKEY_LOCAL_MACHINE, "Software\\Contoso", "Count", w.RRF_RT_REG_SZ, null, buf, { value: 64 });
      cb.value = 4;
      const bin = w.RegGetValueW(w.HKEY_LOCAL_MACHINE, "Software\\Contoso", "Raw", w.RRF_RT_DWORD, type, buf, cb);
      const binType = type.value;
      const size = { value: 0 };
      const sz = w.RegGetValueW(w.HKEY_LOCAL_MACHINE, "Software\\Contoso", "NoNul", w.RRF_RT_REG_SZ, null, null, size);
      cb.value = 64;
      const expanded = w.RegGetValueW(w.HKEY_LOCAL_MACHINE, "Software\\Contoso", "Path", w.RRF_RT_REG_SZ, type, buf, cb);
      const path = w.readWideString(buf);
      const noFlags = w.RegGetValueW(w.HKEY_LOCAL_MACHINE, "Software\\Contoso", "Count", 0, null, null, null);
      return { dw, asSz, bin, binType, sz, size: size.value, expanded, path, type: type.value, noFlags };
    });
    expect(ok(r)).to.deep.equal({ dw: 0, asSz: w.ERROR_UNSUPPORTED_TYPE, bin: 0, binType: w.REG_BINARY, sz: 0, size: 6, expanded: 0, path: "C:\\Windows\\x", type: w.REG_SZ, noFlags: w.ERROR_INVALID_PARAMETER });
  });

  it("bad input gets the Win32 answer: a bad handle ERROR_INVALID_HANDLE, a bad lpData ERROR_NOACCESS, lpData without lpcbData ERROR_INVALID_PARAMETER", async () => {
    const m = newMachine();
    setRegistryValue(m, SOFTWARE, "Count", w.REG_DWORD, 3);
    const r = await runApp(m, () => {
      const hk = { value: 0 };
      w.RegOpenKeyExW(w.HKEY_LOCAL_MACHINE, "Software\\Contoso", 0, w.KEY_READ, hk);
      const badHandle = w.RegQueryValueExW(0x1234, "Count", null, null, null, { value: 0 });
      const badData = w.RegQueryValueExW(hk.value, "Count", null, null, 0x80001000, { value: 4 });
      const noLength = w.RegQueryValueExW(hk.value, "Count", null, null, 0x10000, null);
      return { badHandle, badData, noLength };
    });
    expect(ok(r)).to.deep.equal({ badHandle: w.ERROR_INVALID_HANDLE, badData: w.ERROR_NOACCESS, noLength: w.ERROR_INVALID_PARAMETER });
  });
});

describe("ntdll: the native registry API (Nt*Key)", () => {
  it("NtQueryValueKey probes the app's buffers: a buffer in system space or a NULL ResultLength is STATUS_ACCESS_VIOLATION", async () => {
    const m = newMachine();
    setRegistryValue(m, SOFTWARE, "Count", nt.REG_DWORD, 3);
    const r = await runApp(m, () => {
      const oa = new nt.OBJECT_ATTRIBUTES();
      nt.InitializeObjectAttributes(oa, SOFTWARE, nt.OBJ_CASE_INSENSITIVE, 0, null);
      const h = { value: 0 };
      const open = nt.NtOpenKey(h, nt.KEY_READ, oa);
      const name = new nt.UNICODE_STRING();
      nt.RtlInitUnicodeString(name, "Count");
      const buf = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      const len = { value: 0 };
      const good = nt.NtQueryValueKey(h.value, name, nt.KeyValuePartialInformation, buf, 64, len);
      const value = w.readU32(buf + 12);
      const kernelBuffer = nt.NtQueryValueKey(h.value, name, nt.KeyValuePartialInformation, 0x80100000, 64, len);
      const nullLength = nt.NtQueryValueKey(h.value, name, nt.KeyValuePartialInformation, buf, 64, 0);
      const set = nt.NtSetValueKey(h.value, name, 0, nt.REG_DWORD, buf, 4);
      const kernelHandle = nt.NtQueryValueKey(0x80000004, name, nt.KeyValuePartialInformation, buf, 64, len);
      return { open, good, value, len: len.value, kernelBuffer, nullLength, set, kernelHandle };
    });
    expect(ok(r)).to.deep.equal({ open: 0, good: 0, value: 3, len: 16, kernelBuffer: nt.STATUS_ACCESS_VIOLATION, nullLength: nt.STATUS_ACCESS_VIOLATION, set: nt.STATUS_ACCESS_DENIED, kernelHandle: nt.STATUS_INVALID_HANDLE });
  });
});

