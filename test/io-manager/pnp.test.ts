import { expect } from "chai";
import { createRootDevice, loadDriver, poolUsage, removeDevice, surpriseRemoveDevice, type DeviceNode, type Machine } from "../../index.js";
import { newMachine, runApp } from "../helpers.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";

const GUID_WDM_PNP = "{3f6c1a52-9e0b-4d7a-b1c4-2a8e5d0f7c63}";

interface WdmPnpOptions {
  /** IRP_MN_QUERY_REMOVE_DEVICE fails with this status. */
  readonly vetoQueryRemove?: wdm.NTSTATUS;
  /** AddDevice fails with this status. */
  readonly failAddDevice?: wdm.NTSTATUS;
  /** The start fails (after the lower driver succeeded) with this status. */
  readonly failStart?: wdm.NTSTATUS;
}

class WDM_PNP_EXTENSION {
  Lower: wdm.DEVICE_OBJECT | null = null;
  /** The interface's link name, as IoRegisterDeviceInterface returns it (freed at remove). */
  InterfaceName = new wdm.UNICODE_STRING();
}

interface WdmPnp {
  /** What the driver saw, in order. */
  readonly log: string[];
  fdo: wdm.DEVICE_OBJECT | null;
  pdo: wdm.DEVICE_OBJECT | null;
}

/** Loads "WdmPnp": a WDM function driver with AddDevice and an IRP_MJ_PNP dispatch routine written the way the WDK documents it. */
async function loadWdmPnp(m: Machine, o: WdmPnpOptions = {}): Promise<WdmPnp> {
  const seen: WdmPnp = { log: [], fdo: null, pdo: null };
  const ext = (d: wdm.DEVICE_OBJECT): WDM_PNP_EXTENSION => d.DeviceExtension as WDM_PNP_EXTENSION;
  const complete = (Irp: wdm.IRP, status: wdm.NTSTATUS): wdm.NTSTATUS => {
    Irp.IoStatus.Status = status;
    wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
    return status;
  };
  const r = await loadDriver(m, "WdmPnp", function WdmPnpDriverEntry(DriverObject: wdm.DRIVER_OBJECT) {
    DriverObject.DriverExtension.AddDevice = function WdmPnpAddDevice(Driver: wdm.DRIVER_OBJECT, Pdo: wdm.DEVICE_OBJECT): wdm.NTSTATUS {
      seen.log.push("AddDevice");
      seen.pdo = Pdo;
      if (o.failAddDevice !== undefined) return o.failAddDevice;
      const created = wdm.IoCreateDevice(Driver, new WDM_PNP_EXTENSION(), null, wdm.FILE_DEVICE_UNKNOWN, 0, false);
      const fdo = created.DeviceObject;
      if (!fdo) return created.status;
      const e = ext(fdo);
      e.Lower = wdm.IoAttachDeviceToDeviceStack(fdo, Pdo);
      if (!e.Lower) {
        wdm.IoDeleteDevice(fdo);
        return wdm.STATUS_NO_SUCH_DEVICE;
      }
      const reg = wdm.IoRegisterDeviceInterface(Pdo, GUID_WDM_PNP, null, e.InterfaceName);
      if (!wdm.NT_SUCCESS(reg)) {
        wdm.IoDetachDevice(e.Lower);
        wdm.IoDeleteDevice(fdo);
        return reg;
      }
      fdo.Flags |= wdm.DO_BUFFERED_IO;
      fdo.Flags &= ~wdm.DO_DEVICE_INITIALIZING;
      seen.fdo = fdo;
      return wdm.STATUS_SUCCESS;
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = function WdmPnpCreate(_d, Irp) {
      seen.log.push("IRP_MJ_CREATE");
      return complete(Irp, wdm.STATUS_SUCCESS);
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_CLOSE] = function WdmPnpClose(_d, Irp) {
      return complete(Irp, wdm.STATUS_SUCCESS);
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_CLEANUP] = function WdmPnpCleanup(_d, Irp) {
      return complete(Irp, wdm.STATUS_SUCCESS);
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_PNP] = async function WdmPnpDispatchPnp(DeviceObject, Irp) {
      const e = ext(DeviceObject);
      const lower = e.Lower as wdm.DEVICE_OBJECT;
      const minor = wdm.IoGetCurrentIrpStackLocation(Irp).MinorFunction;
      const passDown = (): wdm.NTSTATUS | Promise<wdm.NTSTATUS> => {
        wdm.IoSkipCurrentIrpStackLocation(Irp);
        return wdm.IoCallDriver(lower, Irp);
      };
      switch (minor) {
        case wdm.IRP_MN_START_DEVICE: {
          // The bus driver starts the device first: forward, wait, then finish the start.
          const event = new wdm.KEVENT(wdm.NotificationEvent, false);
          wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
          wdm.IoSetCompletionRoutine(
            Irp,
            function WdmPnpStartCompletion() {
              wdm.KeSetEvent(event, 0, false);
              return wdm.STATUS_MORE_PROCESSING_REQUIRED;
            },
            null,
            true,
            true,
            true,
          );
          const st = await wdm.IoCallDriver(lower, Irp);
          if (st === wdm.STATUS_PENDING) await wdm.KeWaitForSingleObject(event, wdm.Executive, wdm.KernelMode, false, null);
          seen.log.push(`IRP_MN_START_DEVICE (the bus driver returned ${wdm.ntStatusName(Irp.IoStatus.Status)})`);
          let status = Irp.IoStatus.Status;
          if (wdm.NT_SUCCESS(status) && o.failStart !== undefined) status = o.failStart;
          if (wdm.NT_SUCCESS(status)) wdm.IoSetDeviceInterfaceState(e.InterfaceName, true);
          return complete(Irp, status);
        }
        case wdm.IRP_MN_QUERY_REMOVE_DEVICE:
          seen.log.push("IRP_MN_QUERY_REMOVE_DEVICE");
          if (o.vetoQueryRemove !== undefined) return complete(Irp, o.vetoQueryRemove);
          Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
          return passDown();
        case wdm.IRP_MN_CANCEL_REMOVE_DEVICE:
        case wdm.IRP_MN_SURPRISE_REMOVAL:
          seen.log.push(minor === wdm.IRP_MN_SURPRISE_REMOVAL ? "IRP_MN_SURPRISE_REMOVAL" : "IRP_MN_CANCEL_REMOVE_DEVICE");
          if (minor === wdm.IRP_MN_SURPRISE_REMOVAL) wdm.IoSetDeviceInterfaceState(e.InterfaceName, false);
          Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
          return passDown();
        case wdm.IRP_MN_REMOVE_DEVICE: {
          seen.log.push("IRP_MN_REMOVE_DEVICE");
          wdm.IoSetDeviceInterfaceState(e.InterfaceName, false);
          wdm.RtlFreeUnicodeString(e.InterfaceName);
          Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
          const st = await passDown();
          wdm.IoDetachDevice(lower);
          wdm.IoDeleteDevice(DeviceObject);
          return st;
        }
        default:
          return passDown();
      }
    };
    return wdm.STATUS_SUCCESS;
  });
  expect(r.status).to.equal(0);
  return seen;
}

/** The paths of GUID_WDM_PNP's enabled interfaces, as an app gets them. */
function interfacePaths(): string[] {
  const heap = w.GetProcessHeap();
  const size = w.HeapAlloc(heap, w.HEAP_ZERO_MEMORY, 4);
  expect(w.CM_Get_Device_Interface_List_Size(size, GUID_WDM_PNP, null, w.CM_GET_DEVICE_INTERFACE_LIST_PRESENT)).to.equal(w.CR_SUCCESS);
  const chars = w.readU32(size);
  const buffer = w.HeapAlloc(heap, w.HEAP_ZERO_MEMORY, chars * 2);
  expect(w.CM_Get_Device_Interface_List(GUID_WDM_PNP, null, buffer, chars, w.CM_GET_DEVICE_INTERFACE_LIST_PRESENT)).to.equal(w.CR_SUCCESS);
  const out: string[] = [];
  for (let p = buffer; ; ) {
    const s = w.readWideString(p);
    if (s === "") return out;
    out.push(s);
    p += (s.length + 1) * 2;
  }
}

async function report(m: Machine): Promise<{ status: number; node: DeviceNode }> {
  const r = await createRootDevice(m, { service: "WdmPnp", hardwareId: "Root\\WdmPnp" });
  return { status: r.status, node: r.node as DeviceNode };
}

describe("io-manager/pnp: the PnP manager for WDM drivers (root-enumerated devices)", () => {
  it("createRootDevice calls DriverObject->DriverExtension->AddDevice with a new PDO, then sends IRP_MN_START_DEVICE to the top of the stack; the function driver finishes its start after the bus driver completed it", async () => {
    const m = newMachine();
    const seen = await loadWdmPnp(m);
    const { status, node } = await report(m);
    expect(status).to.equal(wdm.STATUS_SUCCESS);
    expect(seen.log).to.deep.equal(["AddDevice", "IRP_MN_START_DEVICE (the bus driver returned STATUS_SUCCESS)"]);
    expect(node.state).to.equal("started");
    expect(node.instanceId).to.equal("ROOT\\WDMPNP\\0000");
    expect(node.pdo).to.equal(seen.pdo);
    expect(node.top).to.equal(seen.fdo);
    expect(seen.fdo?.attachedTo).to.equal(node.pdo);
    expect(node.history).to.deep.equal(["AddDevice → STATUS_SUCCESS", "IRP_MN_START_DEVICE → STATUS_SUCCESS"]);
  });

  it("an enabled device interface is listed by CM_Get_Device_Interface_List (and IoGetDeviceInterfaces); CreateFile on its path sends IRP_MJ_CREATE to the top of the stack", async () => {
    const m = newMachine();
    const seen = await loadWdmPnp(m);
    await report(m);
    const ran = await runApp(m, async () => {
      const paths = interfacePaths();
      const h = await w.CreateFile(paths[0] ?? "", w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      const opened = h !== w.INVALID_HANDLE_VALUE;
      if (opened) await w.CloseHandle(h);
      return { paths, opened };
    });
    expect(ran.value).to.deep.equal({ paths: [`\\\\?\\ROOT#WDMPNP#0000#${GUID_WDM_PNP}`], opened: true });
    expect(seen.log).to.include("IRP_MJ_CREATE");
    const kernelSide = new Promise<string[]>((resolve) => {
      m.createSystemThread("lister", () => {
        resolve(wdm.IoGetDeviceInterfaces(GUID_WDM_PNP).SymbolicLinkList);
      });
    });
    await m.run();
    expect(await kernelSide).to.deep.equal([`\\??\\ROOT#WDMPNP#0000#${GUID_WDM_PNP}`]);
  });

  it("CM_Get_Device_Interface_List with a buffer too small for the list returns CR_BUFFER_SMALL; a malformed GUID is CR_INVALID_POINTER; a class with no interface gives an empty list (one NUL)", async () => {
    const m = newMachine();
    await loadWdmPnp(m);
    await report(m);
    const ran = await runApp(m, () => {
      const heap = w.GetProcessHeap();
      const buf = w.HeapAlloc(heap, w.HEAP_ZERO_MEMORY, 64);
      const size = w.HeapAlloc(heap, w.HEAP_ZERO_MEMORY, 4);
      const small = w.CM_Get_Device_Interface_List(GUID_WDM_PNP, null, buf, 8, w.CM_GET_DEVICE_INTERFACE_LIST_PRESENT);
      const bad = w.CM_Get_Device_Interface_List("not-a-guid", null, buf, 32, w.CM_GET_DEVICE_INTERFACE_LIST_PRESENT);
      const noneCr = w.CM_Get_Device_Interface_List_Size(size, "{00000000-0000-0000-0000-000000000001}", null, w.CM_GET_DEVICE_INTERFACE_LIST_PRESENT);
      return { small, bad, noneCr, noneLen: w.readU32(size) };
    });
    expect(ran.value).to.deep.equal({ small: w.CR_BUFFER_SMALL, bad: w.CR_INVALID_POINTER, noneCr: w.CR_SUCCESS, noneLen: 1 });
  });

  it("an orderly removal sends IRP_MN_QUERY_REMOVE_DEVICE then IRP_MN_REMOVE_DEVICE; the driver detaches and deletes its device, the bus deletes the PDO, the interface is gone", async () => {
    const m = newMachine();
    const seen = await loadWdmPnp(m);
    const { node } = await report(m);
    seen.log.length = 0;
    const r = await removeDevice(m, node);
    expect(r).to.deep.equal({ status: wdm.STATUS_SUCCESS, veto: null });
    expect(seen.log).to.deep.equal(["IRP_MN_QUERY_REMOVE_DEVICE", "IRP_MN_REMOVE_DEVICE"]);
    expect(node.state).to.equal("removed");
    expect(seen.fdo?.deletePending).to.equal(true);
    expect(node.pdo.deletePending).to.equal(true);
    const ran = await runApp(m, () => interfacePaths());
    expect(ran.value).to.deep.equal([]);
  });

  it("IoRegisterDeviceInterface with its fourth argument (wdm.h's form) returns the NTSTATUS and the link name in the driver's UNICODE_STRING, a paged-pool buffer the driver frees with RtlFreeUnicodeString at remove", async () => {
    const m = newMachine();
    const seen = await loadWdmPnp(m);
    const { node } = await report(m);
    const name = (seen.fdo?.DeviceExtension as WDM_PNP_EXTENSION).InterfaceName;
    const text = new Promise<string>((resolve) => {
      m.createSystemThread("reader", () => {
        resolve(wdm.unicodeStringText(name));
      });
    });
    await m.run();
    expect(await text).to.equal(`\\??\\ROOT#WDMPNP#0000#${GUID_WDM_PNP}`);
    expect(name.MaximumLength).to.equal(name.Length + 2);
    expect(poolUsage(m, { pool: "paged", tag: "Strg" }).blocks).to.equal(1);
    await removeDevice(m, node);
    expect(poolUsage(m, { pool: "paged", tag: "Strg" }).blocks).to.equal(0);
    expect(name.Buffer).to.equal(0);
  });

  it("IoRegisterDeviceInterface for a device object that is no PDO is STATUS_INVALID_DEVICE_REQUEST in both forms, and leaves the out-parameter untouched; an out-parameter that is no UNICODE_STRING is the access violation of writing through it", async () => {
    const m = newMachine();
    const seen = await loadWdmPnp(m);
    await report(m);
    const out = new Promise<{ status: number; legacy: number; buffer: number; bad: string }>((resolve) => {
      m.createSystemThread("registrar", () => {
        const name = new wdm.UNICODE_STRING();
        const fdo = seen.fdo as wdm.DEVICE_OBJECT;
        const status = wdm.IoRegisterDeviceInterface(fdo, GUID_WDM_PNP, null, name);
        const legacy = wdm.IoRegisterDeviceInterface(fdo, GUID_WDM_PNP, null).status;
        let bad = "";
        try {
          wdm.IoRegisterDeviceInterface(seen.pdo as wdm.DEVICE_OBJECT, GUID_WDM_PNP, null, new wdm.ANSI_STRING() as never);
        } catch (e) {
          bad = e instanceof Error ? e.message : String(e);
        }
        resolve({ status, legacy, buffer: name.Buffer, bad });
      });
    });
    await m.run();
    expect(m.halted).to.equal(null);
    const r = await out;
    expect(r.status).to.equal(wdm.STATUS_INVALID_DEVICE_REQUEST);
    expect(r.legacy).to.equal(wdm.STATUS_INVALID_DEVICE_REQUEST);
    expect(r.buffer).to.equal(0);
    expect(r.bad).to.match(/ACCESS_VIOLATION|access violation/i);
  });

  it("a driver failing IRP_MN_QUERY_REMOVE_DEVICE vetoes the removal (PNP_VetoDevice): the PnP manager sends IRP_MN_CANCEL_REMOVE_DEVICE and the device stays started", async () => {
    const m = newMachine();
    const seen = await loadWdmPnp(m, { vetoQueryRemove: wdm.STATUS_UNSUCCESSFUL });
    const { node } = await report(m);
    seen.log.length = 0;
    const r = await removeDevice(m, node);
    expect(r).to.deep.equal({ status: wdm.STATUS_UNSUCCESSFUL, veto: "PNP_VetoDevice" });
    expect(seen.log).to.deep.equal(["IRP_MN_QUERY_REMOVE_DEVICE", "IRP_MN_CANCEL_REMOVE_DEVICE"]);
    expect(node.state).to.equal("started");
  });

  it("surprise removal sends IRP_MN_SURPRISE_REMOVAL at once, and IRP_MN_REMOVE_DEVICE only after the app closes its last handle", async () => {
    const m = newMachine();
    const seen = await loadWdmPnp(m);
    const { node } = await report(m);
    seen.log.length = 0;
    const ran = runApp(m, async () => {
      const h = await w.CreateFile(interfacePaths()[0] ?? "", w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      await w.Sleep(20);
      const pathsAfter = interfacePaths();
      seen.log.push("app closes its handle");
      await w.CloseHandle(h);
      return pathsAfter;
    });
    m.after(5, "the device is unplugged", () => {
      expect(surpriseRemoveDevice(m, node)).to.equal(true);
    });
    const r = await ran;
    expect(r.value).to.deep.equal([]);
    expect(seen.log).to.deep.equal(["IRP_MJ_CREATE", "IRP_MN_SURPRISE_REMOVAL", "app closes its handle", "IRP_MN_REMOVE_DEVICE"]);
    expect(node.state).to.equal("removed");
    expect(surpriseRemoveDevice(m, node)).to.equal(false);
  });

  it("a driver without AddDevice cannot drive a root device (STATUS_INVALID_DEVICE_REQUEST); an AddDevice that fails leaves the node failed, its PDO deleted and no IRP sent", async () => {
    const m = newMachine();
    await loadDriver(m, "NoAdd", function NoAddDriverEntry() {
      return wdm.STATUS_SUCCESS;
    });
    const none = await createRootDevice(m, { service: "NoAdd", hardwareId: "Root\\NoAdd" });
    expect(none).to.deep.equal({ status: wdm.STATUS_INVALID_DEVICE_REQUEST, node: null });
    const missing = await createRootDevice(m, { service: "NotLoaded", hardwareId: "Root\\NotLoaded" });
    expect(missing.status).to.equal(wdm.STATUS_OBJECT_NAME_NOT_FOUND);
    const seen = await loadWdmPnp(m, { failAddDevice: wdm.STATUS_INSUFFICIENT_RESOURCES });
    const { status, node } = await report(m);
    expect(status).to.equal(wdm.STATUS_INSUFFICIENT_RESOURCES);
    expect(node.state).to.equal("failed");
    expect(node.pdo.deletePending).to.equal(true);
    expect(seen.log).to.deep.equal(["AddDevice"]);
  });

  it("a start the function driver fails leaves the node failed: the PnP manager sends IRP_MN_REMOVE_DEVICE so the stack is torn down", async () => {
    const m = newMachine();
    const seen = await loadWdmPnp(m, { failStart: wdm.STATUS_DEVICE_NOT_READY });
    const { status, node } = await report(m);
    expect(status).to.equal(wdm.STATUS_DEVICE_NOT_READY);
    expect(node.state).to.equal("failed");
    expect(seen.log).to.deep.equal(["AddDevice", "IRP_MN_START_DEVICE (the bus driver returned STATUS_SUCCESS)", "IRP_MN_REMOVE_DEVICE"]);
    expect(seen.fdo?.deletePending).to.equal(true);
  });
});
