import { expect } from "chai";
import { createRootDevice, loadDriver, removeDevice, surpriseRemoveDevice, type DeviceNode, type Machine } from "../../index.js";
import { newMachine, runApp } from "../helpers.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import * as w from "../../win32/index.js";

const GUID_TEST = "{0b9a3c2e-5d41-4f6a-8e27-1c3d5e7f9a0b}";

/** What the test driver does and saw. */
interface PnpKitOptions {
  readonly queryRemove?: wdm.NTSTATUS;
  /** EvtIoRead keeps the request (not cancelable) until EvtIoStop. */
  readonly holdReads?: boolean;
}

interface PnpKit {
  readonly log: string[];
  device: wdf.WDFDEVICE | null;
  node: DeviceNode | null;
  readonly status: number;
}

/** Loads "KmdfPnp", a PnP KMDF driver logging every PnP/power callback, and reports its root device. */
async function loadPnpKit(m: Machine, o: PnpKitOptions = {}): Promise<PnpKit> {
  const log: string[] = [];
  const kit: PnpKit = { log, device: null, node: null, status: -1 };
  const logged = (name: string) =>
    function logStep(): wdm.NTSTATUS {
      log.push(name);
      return wdm.STATUS_SUCCESS;
    };
  const loaded = await loadDriver(m, "KmdfPnp", function KmdfPnpDriverEntry(DriverObject, RegistryPath) {
    const config = new wdf.WDF_DRIVER_CONFIG();
    wdf.WDF_DRIVER_CONFIG_INIT(config, function PnpEvtDeviceAdd(_Driver, DeviceInit) {
      log.push("DeviceAdd");
      const cb = new wdf.WDF_PNPPOWER_EVENT_CALLBACKS();
      wdf.WDF_PNPPOWER_EVENT_CALLBACKS_INIT(cb);
      cb.EvtDevicePrepareHardware = logged("PrepareHardware");
      cb.EvtDeviceReleaseHardware = logged("ReleaseHardware");
      cb.EvtDeviceD0Entry = function PnpD0Entry(_Device, PreviousState) {
        log.push(`D0Entry(from ${PreviousState === wdf.WdfPowerDeviceD3Final ? "D3Final" : PreviousState})`);
        return wdm.STATUS_SUCCESS;
      };
      cb.EvtDeviceD0EntryPostInterruptsEnabled = logged("D0EntryPostInterruptsEnabled");
      cb.EvtDeviceD0ExitPreInterruptsDisabled = logged("D0ExitPreInterruptsDisabled");
      cb.EvtDeviceD0Exit = function PnpD0Exit(_Device, TargetState) {
        log.push(`D0Exit(to ${TargetState === wdf.WdfPowerDeviceD3Final ? "D3Final" : TargetState})`);
        return wdm.STATUS_SUCCESS;
      };
      cb.EvtDeviceSelfManagedIoInit = logged("SelfManagedIoInit");
      cb.EvtDeviceSelfManagedIoSuspend = logged("SelfManagedIoSuspend");
      cb.EvtDeviceSelfManagedIoFlush = logged("SelfManagedIoFlush");
      cb.EvtDeviceSelfManagedIoCleanup = logged("SelfManagedIoCleanup");
      cb.EvtDeviceSurpriseRemoval = function PnpSurpriseRemoval() {
        log.push("SurpriseRemoval");
      };
      cb.EvtDeviceQueryRemove = function PnpQueryRemove() {
        log.push("QueryRemove");
        return o.queryRemove ?? wdm.STATUS_SUCCESS;
      };
      wdf.WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, cb);
      const attributes = new wdf.WDF_OBJECT_ATTRIBUTES();
      wdf.WDF_OBJECT_ATTRIBUTES_INIT(attributes);
      attributes.EvtCleanupCallback = function PnpDeviceCleanup() {
        log.push("device cleanup");
      };
      const created = wdf.WdfDeviceCreate(DeviceInit, attributes);
      if (!created.Device) return created.status;
      kit.device = created.Device;
      const qc = new wdf.WDF_IO_QUEUE_CONFIG();
      wdf.WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(qc, wdf.WdfIoQueueDispatchParallel);
      qc.EvtIoRead = function PnpEvtIoRead(_Queue, Request) {
        log.push("EvtIoRead");
        if (!o.holdReads) wdf.WdfRequestCompleteWithInformation(Request, wdm.STATUS_SUCCESS, 0);
      };
      qc.EvtIoStop = function PnpEvtIoStop(_Queue, Request, ActionFlags) {
        log.push(`EvtIoStop(${ActionFlags & wdf.WdfRequestStopActionPurge ? "purge" : "suspend"})`);
        wdf.WdfRequestComplete(Request, wdm.STATUS_DEVICE_REMOVED);
      };
      const q = wdf.WdfIoQueueCreate(created.Device, qc, null);
      if (!wdm.NT_SUCCESS(q.status)) return q.status;
      return wdf.WdfDeviceCreateDeviceInterface(created.Device, GUID_TEST, null);
    });
    return wdf.WdfDriverCreate(DriverObject, RegistryPath, null, config).status;
  });
  expect(loaded.status).to.equal(0);
  const reported = await createRootDevice(m, { service: "KmdfPnp", hardwareId: "Root\\KmdfPnp" });
  kit.node = reported.node;
  (kit as { status: number }).status = reported.status;
  return kit;
}

/** The interface links of GUID_TEST an app sees (CM_Get_Device_Interface_List). */
function interfaceLinks(): string[] {
  const size = w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, 4);
  if (w.CM_Get_Device_Interface_List_Size(size, GUID_TEST, null, w.CM_GET_DEVICE_INTERFACE_LIST_PRESENT) !== w.CR_SUCCESS) return [];
  const chars = w.readU32(size);
  const buffer = w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, chars * 2);
  if (w.CM_Get_Device_Interface_List(GUID_TEST, null, buffer, chars, w.CM_GET_DEVICE_INTERFACE_LIST_PRESENT) !== w.CR_SUCCESS) return [];
  const out: string[] = [];
  for (let p = buffer; ; ) {
    const s = w.readWideString(p, chars);
    if (s === "") break;
    out.push(s);
    p += (s.length + 1) * 2;
  }
  return out;
}

describe("wdf PnP: a root-enumerated KMDF device through the PnP manager", () => {
  it("start runs EvtDriverDeviceAdd, then (after the bus driver completes IRP_MN_START_DEVICE) PrepareHardware, D0Entry from D3Final, D0EntryPostInterruptsEnabled, SelfManagedIoInit; the interface is enabled", async () => {
    const m = newMachine();
    const kit = await loadPnpKit(m);
    expect(kit.status).to.equal(wdm.STATUS_SUCCESS);
    expect(kit.log).to.deep.equal(["DeviceAdd", "PrepareHardware", "D0Entry(from D3Final)", "D0EntryPostInterruptsEnabled", "SelfManagedIoInit"]);
    expect(kit.node?.state).to.equal("started");
    expect(kit.node?.history).to.deep.equal(["AddDevice → STATUS_SUCCESS", "IRP_MN_START_DEVICE → STATUS_SUCCESS"]);
    const ran = await runApp(m, async () => {
      const links = interfaceLinks();
      const h = await w.CreateFile(links[0] ?? "", w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      const buf = w.HeapAlloc(w.GetProcessHeap(), 0, 16);
      const ok = await w.ReadFile(h, buf, 16, 0, null);
      await w.CloseHandle(h);
      return { links, opened: h !== w.INVALID_HANDLE_VALUE, ok };
    });
    expect(ran.value?.links).to.deep.equal([`\\\\?\\ROOT#KMDFPNP#0000#${GUID_TEST}`]);
    expect(ran.value?.opened).to.equal(true);
    expect(ran.value?.ok).to.equal(true);
  });

  it("an orderly removal runs EvtDeviceQueryRemove, then SelfManagedIoSuspend, D0ExitPreInterruptsDisabled, D0Exit to D3Final, ReleaseHardware, SelfManagedIoFlush, SelfManagedIoCleanup and the device's cleanup; the interface is gone", async () => {
    const m = newMachine();
    const kit = await loadPnpKit(m);
    kit.log.length = 0;
    const r = await removeDevice(m, kit.node as DeviceNode);
    expect(r).to.deep.equal({ status: wdm.STATUS_SUCCESS, veto: null });
    expect(kit.log).to.deep.equal(["QueryRemove", "SelfManagedIoSuspend", "D0ExitPreInterruptsDisabled", "D0Exit(to D3Final)", "ReleaseHardware", "SelfManagedIoFlush", "SelfManagedIoCleanup", "device cleanup"]);
    expect(kit.node?.state).to.equal("removed");
    expect(kit.node?.history.slice(2)).to.deep.equal(["IRP_MN_QUERY_REMOVE_DEVICE → STATUS_SUCCESS", "IRP_MN_REMOVE_DEVICE → STATUS_SUCCESS"]);
    const ran = await runApp(m, () => interfaceLinks());
    expect(ran.value).to.deep.equal([]);
  });

  it("EvtDeviceQueryRemove failing vetoes the removal (PNP_VetoDevice): the PnP manager sends IRP_MN_CANCEL_REMOVE_DEVICE and the device keeps running", async () => {
    const m = newMachine();
    const kit = await loadPnpKit(m, { queryRemove: wdm.STATUS_UNSUCCESSFUL });
    kit.log.length = 0;
    const r = await removeDevice(m, kit.node as DeviceNode);
    expect(r).to.deep.equal({ status: wdm.STATUS_UNSUCCESSFUL, veto: "PNP_VetoDevice" });
    expect(kit.log).to.deep.equal(["QueryRemove"]);
    expect(kit.node?.state).to.equal("started");
    expect(kit.node?.history.slice(2)).to.deep.equal(["IRP_MN_QUERY_REMOVE_DEVICE → STATUS_UNSUCCESSFUL", "IRP_MN_CANCEL_REMOVE_DEVICE → STATUS_SUCCESS"]);
  });

  it("an open handle vetoes an orderly removal (PNP_VetoOutstandingOpen) before any PnP IRP is sent", async () => {
    const m = newMachine();
    const kit = await loadPnpKit(m);
    const holder = m.createProcess("holder.exe", async () => {
      await w.CreateFile(interfaceLinks()[0] ?? "", w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      await w.Sleep(w.INFINITE);
    });
    await m.run({ until: () => (kit.node?.pdo.AttachedDevice?.openCount ?? 0) > 0 });
    kit.log.length = 0;
    const r = await removeDevice(m, kit.node as DeviceNode);
    expect(r).to.deep.equal({ status: wdm.STATUS_UNSUCCESSFUL, veto: "PNP_VetoOutstandingOpen" });
    expect(kit.log).to.deep.equal([]);
    expect(kit.node?.state).to.equal("started");
    holder.kill(0);
  });

  it("surprise removal with a read the driver holds: EvtDeviceSurpriseRemoval first, then SelfManagedIoSuspend and EvtIoStop with the purge flag (the driver completes the read); IRP_MN_REMOVE_DEVICE waits for the app's handle to close", async () => {
    const m = newMachine();
    const kit = await loadPnpKit(m, { holdReads: true });
    kit.log.length = 0;
    const node = kit.node as DeviceNode;
    const ran = runApp(m, async () => {
      const h = await w.CreateFile(interfaceLinks()[0] ?? "", w.GENERIC_READ, 0, null, w.OPEN_EXISTING, w.FILE_FLAG_OVERLAPPED, 0);
      const ov = new w.OVERLAPPED(w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, w.SIZEOF_OVERLAPPED));
      const buf = w.HeapAlloc(w.GetProcessHeap(), 0, 16);
      const bytes = w.HeapAlloc(w.GetProcessHeap(), 0, 4);
      await w.ReadFile(h, buf, 16, 0, ov);
      const pending = w.GetLastError() === w.ERROR_IO_PENDING;
      const ok = await w.GetOverlappedResult(h, ov, bytes, true);
      const status = w.readU32(ov.address);
      const again = await w.ReadFile(h, buf, 16, 0, ov);
      const againStatus = again ? 0 : w.readU32(ov.address);
      await w.Sleep(10);
      kit.log.push("app closes its handle");
      await w.CloseHandle(h);
      return { pending, ok, status, againStatus };
    });
    m.after(5, "the device is unplugged", () => {
      surpriseRemoveDevice(m, node);
    });
    const r = await ran;
    expect(r.value?.pending).to.equal(true);
    expect(r.value?.ok).to.equal(false);
    expect(r.value?.status).to.equal(wdm.STATUS_DEVICE_REMOVED);
    expect(kit.log).to.deep.equal(["EvtIoRead", "SurpriseRemoval", "SelfManagedIoSuspend", "EvtIoStop(purge)", "D0ExitPreInterruptsDisabled", "D0Exit(to D3Final)", "app closes its handle", "ReleaseHardware", "SelfManagedIoFlush", "SelfManagedIoCleanup", "device cleanup"]);
    expect(node.history.slice(2)).to.deep.equal(["IRP_MN_SURPRISE_REMOVAL → STATUS_SUCCESS", "IRP_MN_REMOVE_DEVICE → STATUS_SUCCESS"]);
  });

  it("WdfDeviceCreateDeviceInterface on a control device fails with STATUS_INVALID_DEVICE_REQUEST (interfaces belong to PnP devices)", async () => {
    const m = newMachine();
    let status = -1;
    await loadDriver(m, "KmdfCtl", function KmdfCtlDriverEntry(DriverObject, RegistryPath) {
      const config = new wdf.WDF_DRIVER_CONFIG();
      wdf.WDF_DRIVER_CONFIG_INIT(config, null);
      config.DriverInitFlags |= wdf.WdfDriverInitNonPnpDriver;
      const d = wdf.WdfDriverCreate(DriverObject, RegistryPath, null, config);
      const init = wdf.WdfControlDeviceInitAllocate(d.Driver as wdf.WDFDRIVER, wdf.SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
      const dev = wdf.WdfDeviceCreate(init as wdf.WDFDEVICE_INIT, null);
      status = wdf.WdfDeviceCreateDeviceInterface(dev.Device as wdf.WDFDEVICE, GUID_TEST, null);
      wdf.WdfControlFinishInitializing(dev.Device as wdf.WDFDEVICE);
      return wdm.STATUS_SUCCESS;
    });
    expect(status).to.equal(wdm.STATUS_INVALID_DEVICE_REQUEST);
  });
});
