import { expect } from "chai";
import { attachVerifier, createRootDevice, loadDriver, registryValue, setRegistryValue, type Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import { newMachine } from "../helpers.js";

const SERVICES = "\\Registry\\Machine\\System\\CurrentControlSet\\Services";

/** Loads a non-PnP KMDF driver whose DriverEntry, after WdfDriverCreate, runs `body` with its WDFDRIVER. */
async function loadKmdf(m: Machine, name: string, body: (driver: wdf.WDFDRIVER) => wdm.NTSTATUS, parameters: Record<string, number | string | string[]> = {}): Promise<wdm.NTSTATUS> {
  const r = await loadDriver(
    m,
    name,
    function RegKmdfDriverEntry(DriverObject, RegistryPath) {
      const config = new wdf.WDF_DRIVER_CONFIG();
      wdf.WDF_DRIVER_CONFIG_INIT(config, null);
      config.DriverInitFlags |= wdf.WdfDriverInitNonPnpDriver;
      config.EvtDriverUnload = () => undefined;
      const created = wdf.WdfDriverCreate(DriverObject, RegistryPath, null, config);
      if (!created.Driver) return created.status;
      return body(created.Driver);
    },
    { parameters },
  );
  return r.status;
}

describe("wdf: the registry (WdfRegistry*, WdfString*)", () => {
  it("a KMDF driver reads a DWORD from its Parameters key in DriverEntry with WdfDriverOpenParametersRegistryKey and WdfRegistryQueryULong", async () => {
    const m = newMachine();
    let seen: unknown = null;
    const status = await loadKmdf(
      m,
      "KmdfReg",
      (driver) => {
        const k = wdf.WdfDriverOpenParametersRegistryKey(driver, wdf.KEY_READ, null);
        if (!k.Key) return k.status;
        const v = { value: 0 };
        const s = wdf.WdfRegistryQueryULong(k.Key, "MaxRequests", v);
        const missing = wdf.WdfRegistryQueryULong(k.Key, "Absent", { value: 0 });
        const mismatch = wdf.WdfRegistryQueryULong(k.Key, "Name", { value: 0 });
        seen = { s, value: v.value, missing, mismatch, handle: wdf.WdfRegistryWdmGetHandle(k.Key) !== 0 };
        wdf.WdfRegistryClose(k.Key);
        return wdm.STATUS_SUCCESS;
      },
      { MaxRequests: 16, Name: "x" },
    );
    expect(status).to.equal(wdm.STATUS_SUCCESS);
    expect(seen).to.deep.equal({ s: wdm.STATUS_SUCCESS, value: 16, missing: wdm.STATUS_OBJECT_NAME_NOT_FOUND, mismatch: wdm.STATUS_OBJECT_TYPE_MISMATCH, handle: true });
    expect(m.systemProcess.handleTable.count).to.equal(0);
  });

  it("WdfRegistryQueryValue: STATUS_BUFFER_OVERFLOW with the size needed in ValueLengthQueried when the buffer is short; then the data and type", async () => {
    const m = newMachine();
    let seen: unknown = null;
    await loadKmdf(m, "KmdfRegQ", (driver) => {
      const k = wdf.WdfDriverOpenParametersRegistryKey(driver, wdf.KEY_ALL_ACCESS, null);
      if (!k.Key) return k.status;
      const blob = new Uint8Array([9, 8, 7, 6, 5]);
      const a = wdf.WdfRegistryAssignValue(k.Key, "Blob", wdf.REG_BINARY, blob.length, blob);
      const len = { value: 0 };
      const type = { value: 0 };
      const short = wdf.WdfRegistryQueryValue(k.Key, "Blob", 2, new Uint8Array(2), len, type);
      const needed = len.value;
      const out = new Uint8Array(8);
      const full = wdf.WdfRegistryQueryValue(k.Key, "Blob", out.length, out, len, type);
      seen = { a, short, needed, full, data: [...out.slice(0, len.value)], type: type.value };
      wdf.WdfRegistryClose(k.Key);
      return wdm.STATUS_SUCCESS;
    });
    expect(seen).to.deep.equal({ a: wdm.STATUS_SUCCESS, short: wdm.STATUS_BUFFER_OVERFLOW, needed: 5, full: wdm.STATUS_SUCCESS, data: [9, 8, 7, 6, 5], type: wdf.REG_BINARY });
  });

  it("WdfRegistryAssign* write REG_DWORD, REG_SZ and REG_MULTI_SZ; WdfRegistryQueryMultiString returns a WDFCOLLECTION of WDFSTRINGs; WdfRegistryQueryUnicodeString and WdfStringGetUnicodeString", async () => {
    const m = newMachine();
    let seen: unknown = null;
    await loadKmdf(m, "KmdfRegW", (driver) => {
      const k = wdf.WdfDriverOpenParametersRegistryKey(driver, wdf.KEY_ALL_ACCESS, null);
      if (!k.Key) return k.status;
      const sub = wdf.WdfRegistryCreateKey(k.Key, "Sub", wdf.KEY_ALL_ACCESS, wdm.REG_OPTION_NON_VOLATILE, null, null);
      if (!sub.Key) return sub.status;
      wdf.WdfRegistryAssignULong(sub.Key, "Level", 3);
      wdf.WdfRegistryAssignUnicodeString(sub.Key, "Label", "front");
      const c = wdf.WdfCollectionCreate(null);
      if (!c.Collection) return c.status;
      for (const text of ["a", "bb"]) {
        const s = wdf.WdfStringCreate(text, null);
        if (!s.String) return s.status;
        wdf.WdfCollectionAdd(c.Collection, s.String);
      }
      const multi = wdf.WdfRegistryAssignMultiString(sub.Key, "List", c.Collection);
      const back = wdf.WdfCollectionCreate(null);
      if (!back.Collection) return back.status;
      const q = wdf.WdfRegistryQueryMultiString(sub.Key, "List", null, back.Collection);
      const texts: string[] = [];
      for (let i = 0; i < wdf.WdfCollectionGetCount(back.Collection); i++) {
        const us = new wdm.UNICODE_STRING();
        wdf.WdfStringGetUnicodeString(wdf.WdfCollectionGetItem(back.Collection, i) as wdf.WDFSTRING, us);
        texts.push(wdm.unicodeStringText(us));
      }
      const needed = { value: 0 };
      const overflow = wdf.WdfRegistryQueryUnicodeString(sub.Key, "Label", needed, null);
      const buffer = wdm.ExAllocatePoolWithTag(wdm.PagedPool, 32, "Tst ");
      const us = new wdm.UNICODE_STRING();
      wdm.RtlInitEmptyUnicodeString(us, buffer, 32);
      const got = wdf.WdfRegistryQueryUnicodeString(sub.Key, "Label", needed, us);
      const label = wdm.unicodeStringText(us);
      wdm.ExFreePoolWithTag(buffer, "Tst ");
      const notMulti = wdf.WdfRegistryQueryMultiString(sub.Key, "Level", null, back.Collection);
      const removed = wdf.WdfRegistryRemoveValue(sub.Key, "Level");
      const removeKey = wdf.WdfRegistryRemoveKey(sub.Key);
      seen = { multi, q, texts, overflow, needed: needed.value, got, label, notMulti, removed, removeKey };
      wdf.WdfObjectDelete(c.Collection);
      wdf.WdfObjectDelete(back.Collection);
      wdf.WdfRegistryClose(k.Key);
      return wdm.STATUS_SUCCESS;
    });
    expect(seen).to.deep.equal({
      multi: wdm.STATUS_SUCCESS,
      q: wdm.STATUS_SUCCESS,
      texts: ["a", "bb"],
      overflow: wdm.STATUS_BUFFER_OVERFLOW,
      needed: 10,
      got: wdm.STATUS_SUCCESS,
      label: "front",
      notMulti: wdm.STATUS_OBJECT_TYPE_MISMATCH,
      removed: wdm.STATUS_SUCCESS,
      removeKey: wdm.STATUS_SUCCESS,
    });
    expect(registryValue(m, `${SERVICES}\\KmdfRegW\\Parameters\\Sub`, "Label")).to.equal(null);
  });

  it("a WDFKEY is a framework object: deleting its parent closes its handle", async () => {
    const m = newMachine();
    let handles = -1;
    await loadKmdf(m, "KmdfRegP", (driver) => {
      const parent = wdf.WdfCollectionCreate(null);
      if (!parent.Collection) return parent.status;
      const a = new wdf.WDF_OBJECT_ATTRIBUTES();
      a.ParentObject = parent.Collection;
      const k = wdf.WdfDriverOpenParametersRegistryKey(driver, wdf.KEY_READ, a);
      if (!k.Key) return k.status;
      const before = m.systemProcess.handleTable.count;
      wdf.WdfObjectDelete(parent.Collection);
      handles = before * 10 + m.systemProcess.handleTable.count;
      return wdm.STATUS_SUCCESS;
    });
    expect(handles).to.equal(10);
  });

  it("a wrong handle type is WDF_VIOLATION 0x5 under the KMDF verifier", async () => {
    const m = newMachine();
    attachVerifier(m);
    await loadKmdf(m, "KmdfRegV", (driver) => {
      wdf.WdfRegistryQueryULong(driver as unknown as wdf.WDFKEY, "X", { value: 0 });
      return wdm.STATUS_SUCCESS;
    }).catch(() => wdm.STATUS_UNSUCCESSFUL);
    const halt = m.halted;
    expect(halt?.kind).to.equal("bugcheck");
    if (halt?.kind !== "bugcheck") return;
    expect(halt.bugCheck.record.name).to.equal("WDF_VIOLATION");
    expect(halt.bugCheck.record.parameters[0]).to.equal(0x5);
    expect(halt.bugCheck.record.detail).to.match(/WdfRegistryQueryULong expects a WDFKEY/);
  });

  it("WdfDeviceOpenRegistryKey opens a PnP device's hardware key (Enum\\<instance>\\Device Parameters); IoOpenDeviceRegistryKey refuses a device object that is not the PDO; IoGetDeviceProperty gives the hardware IDs as a REG_MULTI_SZ", async () => {
    const m = newMachine();
    setRegistryValue(m, "\\Registry\\Machine\\System\\CurrentControlSet\\Enum\\ROOT\\KMDFREGDEV\\0000\\Device Parameters", "Mode", wdm.REG_DWORD, 2);
    let seen: unknown = null;
    await loadDriver(m, "KmdfRegDev", function KmdfRegDevEntry(DriverObject, RegistryPath) {
      const config = new wdf.WDF_DRIVER_CONFIG();
      wdf.WDF_DRIVER_CONFIG_INIT(config, function RegDevAdd(_Driver, DeviceInit) {
        const dev = wdf.WdfDeviceCreate(DeviceInit, null);
        if (!dev.Device) return dev.status;
        const k = wdf.WdfDeviceOpenRegistryKey(dev.Device, wdf.PLUGPLAY_REGKEY_DEVICE, wdf.KEY_READ, null);
        const v = { value: 0 };
        const s = k.Key ? wdf.WdfRegistryQueryULong(k.Key, "Mode", v) : k.status;
        const sw = wdf.WdfDeviceOpenRegistryKey(dev.Device, wdf.PLUGPLAY_REGKEY_DRIVER, wdf.KEY_ALL_ACCESS, null);
        const fdo = wdf.WdfDeviceWdmGetDeviceObject(dev.Device);
        const refused = fdo ? wdm.IoOpenDeviceRegistryKey(fdo, wdm.PLUGPLAY_REGKEY_DEVICE, wdm.KEY_READ).status : 0;
        const pdo = fdo?.attachedTo ?? null;
        const len = { value: 0 };
        const shortBuffer = pdo ? wdm.IoGetDeviceProperty(pdo, wdm.DevicePropertyHardwareID, 4, new Uint8Array(4), len) : 0;
        const ids = new Uint8Array(64);
        const got = pdo ? wdm.IoGetDeviceProperty(pdo, wdm.DevicePropertyHardwareID, ids.length, ids, len) : 0;
        const hardwareId = String.fromCharCode(...new Uint16Array(ids.buffer.slice(0, len.value - 4)));
        seen = { open: k.status, s, mode: v.value, sw: sw.status, refused, shortBuffer, got, hardwareId, len: len.value };
        if (k.Key) wdf.WdfRegistryClose(k.Key);
        if (sw.Key) wdf.WdfRegistryClose(sw.Key);
        return wdm.STATUS_SUCCESS;
      });
      return wdf.WdfDriverCreate(DriverObject, RegistryPath, null, config).status;
    });
    const r = await createRootDevice(m, { service: "KmdfRegDev", hardwareId: "Root\\KmdfRegDev" });
    expect(r.status).to.equal(wdm.STATUS_SUCCESS);
    expect(seen).to.deep.equal({ open: wdm.STATUS_SUCCESS, s: wdm.STATUS_SUCCESS, mode: 2, sw: wdm.STATUS_SUCCESS, refused: wdm.STATUS_INVALID_DEVICE_REQUEST, shortBuffer: wdm.STATUS_BUFFER_TOO_SMALL, got: wdm.STATUS_SUCCESS, hardwareId: "Root\\KmdfRegDev", len: 34 });
    expect(registryValue(m, "\\Registry\\Machine\\System\\CurrentControlSet\\Enum\\ROOT\\KMDFREGDEV\\0000", "Driver")?.value).to.equal("{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000");
  });
});
