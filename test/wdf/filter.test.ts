import { expect } from "chai";
import { createRootDevice, loadDriver, surpriseRemoveDevice, type DeviceNode, type Machine } from "../../index.js";
import { newMachine, runApp } from "../helpers.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import * as w from "../../win32/index.js";

const GUID_FILTERED = "{5e1d0c3a-2b4f-4a6e-9c81-7d3f2a1b0c9e}";
const IOCTL_ASK = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x801, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);
const IOCTL_ASK_WATCHED = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x802, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);

/** "KmdfFunc": a KMDF function driver answering IOCTLs with 0xF00D0000 | function, and reads with 8 bytes. */
async function loadFunctionDriver(m: Machine, log: string[]): Promise<void> {
  const r = await loadDriver(m, "KmdfFunc", function FuncDriverEntry(DriverObject, RegistryPath) {
    const config = new wdf.WDF_DRIVER_CONFIG();
    wdf.WDF_DRIVER_CONFIG_INIT(config, function FuncDeviceAdd(_Driver, DeviceInit) {
      log.push("AddDevice KmdfFunc");
      const fc = new wdf.WDF_FILEOBJECT_CONFIG();
      wdf.WDF_FILEOBJECT_CONFIG_INIT(fc, function FuncFileCreate(_d, Request) {
        log.push("KmdfFunc create");
        wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
      }, function FuncFileClose() {
        log.push("KmdfFunc close");
      }, function FuncFileCleanup() {
        log.push("KmdfFunc cleanup");
      });
      wdf.WdfDeviceInitSetFileObjectConfig(DeviceInit, fc, null);
      const created = wdf.WdfDeviceCreate(DeviceInit, null);
      if (!created.Device) return created.status;
      const qc = new wdf.WDF_IO_QUEUE_CONFIG();
      wdf.WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(qc, wdf.WdfIoQueueDispatchParallel);
      qc.EvtIoDeviceControl = function FuncIoctl(_q, Request, _o, _i, IoControlCode) {
        log.push(`KmdfFunc ioctl 0x${((IoControlCode >> 2) & 0xfff).toString(16)}`);
        const out = wdf.WdfRequestRetrieveOutputBuffer(Request, 4);
        if (!wdm.NT_SUCCESS(out.status)) {
          wdf.WdfRequestComplete(Request, out.status);
          return;
        }
        w.writeU32(out.Buffer, (0xf00d0000 | ((IoControlCode >> 2) & 0xfff)) >>> 0);
        wdf.WdfRequestCompleteWithInformation(Request, wdm.STATUS_SUCCESS, 4);
      };
      qc.EvtIoRead = function FuncRead(_q, Request) {
        log.push("KmdfFunc read");
        wdf.WdfRequestCompleteWithInformation(Request, wdm.STATUS_SUCCESS, 8);
      };
      const q = wdf.WdfIoQueueCreate(created.Device, qc, null);
      if (!wdm.NT_SUCCESS(q.status)) return q.status;
      return wdf.WdfDeviceCreateDeviceInterface(created.Device, GUID_FILTERED, null);
    });
    return wdf.WdfDriverCreate(DriverObject, RegistryPath, null, config).status;
  });
  expect(r.status).to.equal(0);
}

/** "KmdfUpper": a KMDF upper filter that sees only IOCTLs; everything else goes down by itself. */
async function loadKmdfFilter(m: Machine, log: string[], name = "KmdfUpper"): Promise<{ device: wdf.WDFDEVICE | null; pdo: wdm.DEVICE_OBJECT | null }> {
  const seen: { device: wdf.WDFDEVICE | null; pdo: wdm.DEVICE_OBJECT | null } = { device: null, pdo: null };
  const r = await loadDriver(m, name, function FilterDriverEntry(DriverObject, RegistryPath) {
    const config = new wdf.WDF_DRIVER_CONFIG();
    wdf.WDF_DRIVER_CONFIG_INIT(config, function FilterDeviceAdd(_Driver, DeviceInit) {
      log.push(`AddDevice ${name}`);
      wdf.WdfFdoInitSetFilter(DeviceInit);
      seen.pdo = wdf.WdfFdoInitWdmGetPhysicalDevice(DeviceInit);
      const created = wdf.WdfDeviceCreate(DeviceInit, null);
      if (!created.Device) return created.status;
      seen.device = created.Device;
      const qc = new wdf.WDF_IO_QUEUE_CONFIG();
      wdf.WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(qc, wdf.WdfIoQueueDispatchParallel);
      qc.EvtIoDeviceControl = function FilterIoctl(Queue, Request, _o, _i, IoControlCode) {
        log.push(`${name} ioctl 0x${((IoControlCode >> 2) & 0xfff).toString(16)}`);
        const target = wdf.WdfDeviceGetIoTarget(wdf.WdfIoQueueGetDevice(Queue) as wdf.WDFDEVICE) as wdf.WDFIOTARGET;
        wdf.WdfRequestFormatRequestUsingCurrentType(Request);
        if (IoControlCode === IOCTL_ASK_WATCHED) {
          wdf.WdfRequestSetCompletionRoutine(Request, function FilterCompletion(R, _T, Params) {
            log.push(`${name} completion: ${wdm.NT_SUCCESS(Params.IoStatus.Status) ? "success" : "failure"}, ${Params.IoStatus.Information} bytes`);
            wdf.WdfRequestComplete(R, Params.IoStatus.Status);
          }, null);
          if (!wdf.WdfRequestSend(Request, target, null)) wdf.WdfRequestComplete(Request, wdf.WdfRequestGetStatus(Request));
          return;
        }
        const options = new wdf.WDF_REQUEST_SEND_OPTIONS();
        wdf.WDF_REQUEST_SEND_OPTIONS_INIT(options, wdf.WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET);
        if (!wdf.WdfRequestSend(Request, target, options)) wdf.WdfRequestComplete(Request, wdf.WdfRequestGetStatus(Request));
      };
      const q = wdf.WdfIoQueueCreate(created.Device, qc, null);
      return q.status;
    });
    return wdf.WdfDriverCreate(DriverObject, RegistryPath, null, config).status;
  });
  expect(r.status).to.equal(0);
  return seen;
}

/** "WdmUpper": a WDM upper filter that logs each IRP and passes it down. */
async function loadWdmFilter(m: Machine, log: string[]): Promise<void> {
  const lowerOf = new Map<wdm.DEVICE_OBJECT, wdm.DEVICE_OBJECT>();
  const r = await loadDriver(m, "WdmUpper", function WdmFilterEntry(DriverObject) {
    DriverObject.DriverExtension.AddDevice = function WdmFilterAddDevice(Driver: wdm.DRIVER_OBJECT, Pdo: wdm.DEVICE_OBJECT): wdm.NTSTATUS {
      log.push("AddDevice WdmUpper");
      const created = wdm.IoCreateDevice(Driver, null, null, wdm.FILE_DEVICE_UNKNOWN, 0, false);
      const fido = created.DeviceObject;
      if (!fido) return created.status;
      const lower = wdm.IoAttachDeviceToDeviceStack(fido, Pdo);
      if (!lower) {
        wdm.IoDeleteDevice(fido);
        return wdm.STATUS_NO_SUCH_DEVICE;
      }
      lowerOf.set(fido, lower);
      fido.Flags |= lower.Flags & (wdm.DO_BUFFERED_IO | wdm.DO_DIRECT_IO | wdm.DO_POWER_PAGABLE);
      fido.Flags &= ~wdm.DO_DEVICE_INITIALIZING;
      return wdm.STATUS_SUCCESS;
    };
    for (let i = 0; i <= wdm.IRP_MJ_MAXIMUM_FUNCTION; i++) {
      DriverObject.MajorFunction[i] = function WdmFilterPass(DeviceObject, Irp) {
        const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
        const lower = lowerOf.get(DeviceObject) as wdm.DEVICE_OBJECT;
        if (sl.MajorFunction !== wdm.IRP_MJ_PNP) log.push(`WdmUpper major 0x${sl.MajorFunction.toString(16)}`);
        if (sl.MajorFunction === wdm.IRP_MJ_PNP && sl.MinorFunction === wdm.IRP_MN_REMOVE_DEVICE) {
          wdm.IoSkipCurrentIrpStackLocation(Irp);
          const st = wdm.IoCallDriver(lower, Irp);
          wdm.IoDetachDevice(lower);
          wdm.IoDeleteDevice(DeviceObject);
          return st;
        }
        wdm.IoSkipCurrentIrpStackLocation(Irp);
        return wdm.IoCallDriver(lower, Irp);
      };
    }
    return wdm.STATUS_SUCCESS;
  });
  expect(r.status).to.equal(0);
}

/** The app: opens the interface, asks both IOCTLs, reads, closes. */
async function appTalks(m: Machine): Promise<{ ask: string; watched: string; read: number; opened: boolean }> {
  const ran = await runApp(m, async () => {
    const size = w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, 4);
    w.CM_Get_Device_Interface_List_Size(size, GUID_FILTERED, null, w.CM_GET_DEVICE_INTERFACE_LIST_PRESENT);
    const chars = w.readU32(size);
    const list = w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, chars * 2);
    w.CM_Get_Device_Interface_List(GUID_FILTERED, null, list, chars, w.CM_GET_DEVICE_INTERFACE_LIST_PRESENT);
    const h = await w.CreateFile(w.readWideString(list, chars), w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, 0, 0);
    const out = w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, 16);
    const bytes = w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, 4);
    await w.DeviceIoControl(h, IOCTL_ASK, 0, 0, out, 4, bytes, null);
    const ask = w.readU32(out).toString(16);
    await w.DeviceIoControl(h, IOCTL_ASK_WATCHED, 0, 0, out, 4, bytes, null);
    const watched = w.readU32(out).toString(16);
    await w.ReadFile(h, out, 8, bytes, null);
    const read = w.readU32(bytes);
    await w.CloseHandle(h);
    return { ask, watched, read, opened: h !== w.INVALID_HANDLE_VALUE };
  });
  return ran.value as { ask: string; watched: string; read: number; opened: boolean };
}

describe("wdf filters: WdfFdoInitSetFilter and PnP stacks with filter drivers", () => {
  it("the PnP manager calls AddDevice in Windows' order — lower filters, the function driver, upper filters — each attaching above the one before", async () => {
    const m = newMachine();
    const log: string[] = [];
    await loadFunctionDriver(m, log);
    await loadKmdfFilter(m, log, "KmdfLower");
    await loadKmdfFilter(m, log, "KmdfUpper");
    const r = await createRootDevice(m, { service: "KmdfFunc", hardwareId: "Root\\Filtered", lowerFilters: ["KmdfLower"], upperFilters: ["KmdfUpper"] });
    expect(r.status).to.equal(wdm.STATUS_SUCCESS);
    expect(log).to.deep.equal(["AddDevice KmdfLower", "AddDevice KmdfFunc", "AddDevice KmdfUpper"]);
    const node = r.node as DeviceNode;
    const stack: string[] = [];
    for (let d: wdm.DEVICE_OBJECT | null = node.pdo; d; d = d.AttachedDevice) stack.push(d.DriverObject.shortName);
    expect(stack).to.deep.equal(["PnpManager", "KmdfLower", "KmdfFunc", "KmdfUpper"]);
    expect(node.history).to.deep.equal(["AddDevice (lower filter KmdfLower) → STATUS_SUCCESS", "AddDevice → STATUS_SUCCESS", "AddDevice (upper filter KmdfUpper) → STATUS_SUCCESS", "IRP_MN_START_DEVICE → STATUS_SUCCESS"]);
  });

  it("a KMDF upper filter sees the IOCTLs in EvtIoDeviceControl and forwards them (send-and-forget, and with a completion routine); what it has no handler for (the read) and the create, cleanup and close go down without it; the app gets the function driver's answers", async () => {
    const m = newMachine();
    const log: string[] = [];
    await loadFunctionDriver(m, log);
    const filter = await loadKmdfFilter(m, log);
    const r = await createRootDevice(m, { service: "KmdfFunc", hardwareId: "Root\\Filtered", upperFilters: ["KmdfUpper"] });
    expect(r.status).to.equal(wdm.STATUS_SUCCESS);
    expect(filter.pdo).to.equal(r.node?.pdo);
    log.length = 0;
    const got = await appTalks(m);
    expect(got).to.deep.equal({ ask: "f00d0801", watched: "f00d0802", read: 8, opened: true });
    expect(log).to.deep.equal(["KmdfFunc create", "KmdfUpper ioctl 0x801", "KmdfFunc ioctl 0x801", "KmdfUpper ioctl 0x802", "KmdfFunc ioctl 0x802", "KmdfUpper completion: success, 4 bytes", "KmdfFunc read", "KmdfFunc cleanup", "KmdfFunc close"]);
  });

  it("a filter's device takes the lower device's buffering method and device type; its queues are not power managed by default; WdfDeviceWdmGetAttachedDevice and WdfDeviceWdmGetPhysicalDevice name its stack", async () => {
    const m = newMachine();
    const log: string[] = [];
    await loadFunctionDriver(m, log);
    const filter = await loadKmdfFilter(m, log);
    const r = await createRootDevice(m, { service: "KmdfFunc", hardwareId: "Root\\Filtered", upperFilters: ["KmdfUpper"] });
    const node = r.node as DeviceNode;
    const func = node.pdo.AttachedDevice as wdm.DEVICE_OBJECT;
    const fido = func.AttachedDevice as wdm.DEVICE_OBJECT;
    expect(fido.Flags & (wdm.DO_BUFFERED_IO | wdm.DO_DIRECT_IO)).to.equal(func.Flags & (wdm.DO_BUFFERED_IO | wdm.DO_DIRECT_IO));
    expect(fido.DeviceType).to.equal(func.DeviceType);
    let looked: unknown[] = [];
    m.createSystemThread("look", () => {
      const token = m.enterActivity("driver thread", "Look", "KmdfUpper");
      const dev = filter.device as wdf.WDFDEVICE;
      const q = wdf.WdfDeviceGetDefaultQueue(dev) as wdf.WDFQUEUE;
      looked = [wdf.WdfDeviceWdmGetAttachedDevice(dev) === func, wdf.WdfDeviceWdmGetPhysicalDevice(dev) === node.pdo, (wdf.WdfIoQueueGetState(q).State & wdf.WdfIoQueuePnpHeld) === 0];
      m.leaveActivity(token);
    });
    await m.run();
    expect(looked).to.deep.equal([true, true, true]);
  });

  it("a WDM upper filter (IoAttachDeviceToDeviceStack in AddDevice) over a KMDF function driver passes every request down, and the stack comes apart on surprise removal", async () => {
    const m = newMachine();
    const log: string[] = [];
    await loadFunctionDriver(m, log);
    await loadWdmFilter(m, log);
    const r = await createRootDevice(m, { service: "KmdfFunc", hardwareId: "Root\\Filtered", upperFilters: ["WdmUpper"] });
    expect(r.status).to.equal(wdm.STATUS_SUCCESS);
    log.length = 0;
    const got = await appTalks(m);
    expect(got).to.deep.equal({ ask: "f00d0801", watched: "f00d0802", read: 8, opened: true });
    expect(log).to.deep.equal(["WdmUpper major 0x0", "KmdfFunc create", "WdmUpper major 0xe", "KmdfFunc ioctl 0x801", "WdmUpper major 0xe", "KmdfFunc ioctl 0x802", "WdmUpper major 0x3", "KmdfFunc read", "WdmUpper major 0x12", "KmdfFunc cleanup", "WdmUpper major 0x2", "KmdfFunc close"]);
    const node = r.node as DeviceNode;
    surpriseRemoveDevice(m, node);
    await m.run();
    expect(node.state).to.equal("removed");
    expect(node.history.slice(-2)).to.deep.equal(["IRP_MN_SURPRISE_REMOVAL → STATUS_SUCCESS", "IRP_MN_REMOVE_DEVICE → STATUS_SUCCESS"]);
  });

  it("a filter service that is not loaded fails the report with STATUS_OBJECT_NAME_NOT_FOUND; a filter whose AddDevice fails leaves the node failed, the function driver's device removed", async () => {
    const m = newMachine();
    const log: string[] = [];
    await loadFunctionDriver(m, log);
    const missing = await createRootDevice(m, { service: "KmdfFunc", hardwareId: "Root\\Filtered", upperFilters: ["NoSuchFilter"] });
    expect(missing).to.deep.equal({ status: wdm.STATUS_OBJECT_NAME_NOT_FOUND, node: null });
    await loadDriver(m, "FailingFilter", function FailingEntry(DriverObject) {
      DriverObject.DriverExtension.AddDevice = function FailingAddDevice() {
        return wdm.STATUS_INSUFFICIENT_RESOURCES;
      };
      return wdm.STATUS_SUCCESS;
    });
    const failed = await createRootDevice(m, { service: "KmdfFunc", hardwareId: "Root\\Filtered", upperFilters: ["FailingFilter"] });
    expect(failed.status).to.equal(wdm.STATUS_INSUFFICIENT_RESOURCES);
    expect(failed.node?.state).to.equal("failed");
    expect(failed.node?.history).to.deep.equal(["AddDevice → STATUS_SUCCESS", "AddDevice (upper filter FailingFilter) → STATUS_INSUFFICIENT_RESOURCES", "IRP_MN_REMOVE_DEVICE → STATUS_SUCCESS"]);
    expect(failed.node?.pdo.deletePending).to.equal(true);
  });
});
