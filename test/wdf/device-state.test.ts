import { expect } from "chai";
import { attachVerifier, createRootDevice, loadDriver, shutdownSystem, setProcessToken, ADMINISTRATOR_TOKEN, type DeviceNode, type Machine } from "../../index.js";
import { newMachine, runApp } from "../helpers.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import * as w from "../../win32/index.js";
import { loadWdfKit } from "./kit.js";

/** "KmdfFail": a PnP KMDF driver logging its PnP/power callbacks; `onDevice` runs after WdfDeviceCreate. */
async function loadLoggingPnp(m: Machine, log: string[], onDevice: (device: wdf.WDFDEVICE, init: wdf.WDFDEVICE_INIT | null) => void = () => undefined, beforeCreate: (init: wdf.WDFDEVICE_INIT) => void = () => undefined): Promise<{ node: DeviceNode | null; status: number; devices: wdf.WDFDEVICE[] }> {
  const devices: wdf.WDFDEVICE[] = [];
  const step = (name: string) =>
    function logStep(): wdm.NTSTATUS {
      log.push(name);
      return wdm.STATUS_SUCCESS;
    };
  await loadDriver(m, "KmdfFail", function FailEntry(DriverObject, RegistryPath) {
    const config = new wdf.WDF_DRIVER_CONFIG();
    wdf.WDF_DRIVER_CONFIG_INIT(config, function FailDeviceAdd(_d, DeviceInit) {
      log.push("DeviceAdd");
      const cb = new wdf.WDF_PNPPOWER_EVENT_CALLBACKS();
      wdf.WDF_PNPPOWER_EVENT_CALLBACKS_INIT(cb);
      cb.EvtDevicePrepareHardware = step("PrepareHardware");
      cb.EvtDeviceReleaseHardware = step("ReleaseHardware");
      cb.EvtDeviceD0Entry = step("D0Entry");
      cb.EvtDeviceD0Exit = step("D0Exit");
      cb.EvtDeviceSelfManagedIoInit = step("SelfManagedIoInit");
      cb.EvtDeviceSelfManagedIoSuspend = step("SelfManagedIoSuspend");
      cb.EvtDeviceSelfManagedIoFlush = step("SelfManagedIoFlush");
      cb.EvtDeviceSelfManagedIoCleanup = step("SelfManagedIoCleanup");
      cb.EvtDeviceSurpriseRemoval = function FailSurprise() {
        log.push("SurpriseRemoval");
      };
      wdf.WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, cb);
      beforeCreate(DeviceInit);
      const a = new wdf.WDF_OBJECT_ATTRIBUTES();
      a.EvtCleanupCallback = function FailCleanup() {
        log.push("device cleanup");
      };
      const created = wdf.WdfDeviceCreate(DeviceInit, a);
      if (!created.Device) return created.status;
      devices.push(created.Device);
      onDevice(created.Device, null);
      return wdm.STATUS_SUCCESS;
    });
    return wdf.WdfDriverCreate(DriverObject, RegistryPath, null, config).status;
  });
  const r = await createRootDevice(m, { service: "KmdfFail", hardwareId: "Root\\KmdfFail" });
  return { node: r.node, status: r.status, devices };
}

/** Runs `fn` as KmdfFail's code on a system thread. */
async function asDriver(m: Machine, fn: () => void, driver = "KmdfFail"): Promise<void> {
  m.createSystemThread(`${driver} call`, () => {
    const token = m.enterActivity("driver thread", `${driver}Call`, driver);
    try {
      fn();
    } finally {
      m.leaveActivity(token);
    }
  });
  await m.run();
}

describe("wdf device state: WdfDeviceSetFailed", () => {
  it("WdfDeviceFailedNoRestart: the framework powers the device down and releases its hardware, the PnP manager queries the state (PNP_DEVICE_FAILED) and removes it the surprise-removal way; it stays failed", async () => {
    const m = newMachine();
    const log: string[] = [];
    const kit = await loadLoggingPnp(m, log);
    expect(kit.status).to.equal(wdm.STATUS_SUCCESS);
    log.length = 0;
    await asDriver(m, () => {
      wdf.WdfDeviceSetFailed(kit.devices[0] as wdf.WDFDEVICE, wdf.WdfDeviceFailedNoRestart);
      log.push("WdfDeviceSetFailed returned");
    });
    const node = kit.node as DeviceNode;
    expect(log).to.deep.equal(["WdfDeviceSetFailed returned", "SelfManagedIoSuspend", "D0Exit", "ReleaseHardware", "SelfManagedIoFlush", "SelfManagedIoCleanup", "device cleanup"]);
    expect(node.state).to.equal("failed");
    expect(node.history.slice(-3)).to.deep.equal(["IRP_MN_QUERY_PNP_DEVICE_STATE → STATUS_SUCCESS", "IRP_MN_SURPRISE_REMOVAL → STATUS_SUCCESS", "IRP_MN_REMOVE_DEVICE → STATUS_SUCCESS"]);
  });

  it("WdfDeviceFailedAttemptRestart: after the removal the PnP manager re-enumerates the device: EvtDriverDeviceAdd and the start sequence run again on a new device", async () => {
    const m = newMachine();
    const log: string[] = [];
    const kit = await loadLoggingPnp(m, log);
    const firstPdo = kit.node?.pdo;
    log.length = 0;
    await asDriver(m, () => {
      wdf.WdfDeviceSetFailed(kit.devices[0] as wdf.WDFDEVICE, wdf.WdfDeviceFailedAttemptRestart);
    });
    const node = kit.node as DeviceNode;
    expect(log).to.deep.equal(["SelfManagedIoSuspend", "D0Exit", "ReleaseHardware", "SelfManagedIoFlush", "SelfManagedIoCleanup", "device cleanup", "DeviceAdd", "PrepareHardware", "D0Entry", "SelfManagedIoInit"]);
    expect(node.state).to.equal("started");
    expect(node.pdo).to.not.equal(firstPdo);
    expect(kit.devices.length).to.equal(2);
  });

  it("a failed device refuses new requests at once, and its IRP_MN_REMOVE_DEVICE waits for the app's handle to close", async () => {
    const m = newMachine();
    const log: string[] = [];
    const GUID = "{7a3e9b21-4c5d-4e6f-8a9b-0c1d2e3f4a5b}";
    const kit = await loadLoggingPnp(m, log, (device) => {
      const qc = new wdf.WDF_IO_QUEUE_CONFIG();
      wdf.WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(qc, wdf.WdfIoQueueDispatchParallel);
      qc.EvtIoRead = function FailRead(_q, Request) {
        log.push("EvtIoRead");
        wdf.WdfRequestCompleteWithInformation(Request, wdm.STATUS_SUCCESS, 0);
      };
      wdf.WdfIoQueueCreate(device, qc, null);
      wdf.WdfDeviceCreateDeviceInterface(device, GUID, null);
    });
    const node = kit.node as DeviceNode;
    log.length = 0;
    const states: string[] = [];
    const ran = runApp(m, async () => {
      const size = w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, 4);
      w.CM_Get_Device_Interface_List_Size(size, GUID, null, w.CM_GET_DEVICE_INTERFACE_LIST_PRESENT);
      const chars = w.readU32(size);
      const list = w.HeapAlloc(w.GetProcessHeap(), w.HEAP_ZERO_MEMORY, chars * 2);
      w.CM_Get_Device_Interface_List(GUID, null, list, chars, w.CM_GET_DEVICE_INTERFACE_LIST_PRESENT);
      const h = await w.CreateFile(w.readWideString(list, chars), w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      const buf = w.HeapAlloc(w.GetProcessHeap(), 0, 16);
      const before = await w.ReadFile(h, buf, 16, 0, null);
      await w.Sleep(10);
      const after = await w.ReadFile(h, buf, 16, 0, null);
      const afterError = w.GetLastError();
      states.push(node.state);
      await w.CloseHandle(h);
      return { before, after, afterError };
    });
    m.after(5, "the driver fails its device", () => {
      m.createSystemThread("KmdfFail failing", () => {
        const token = m.enterActivity("driver thread", "FailNow", "KmdfFail");
        wdf.WdfDeviceSetFailed(kit.devices[0] as wdf.WDFDEVICE, wdf.WdfDeviceFailedNoRestart);
        m.leaveActivity(token);
      });
    });
    const r = await ran;
    await m.run();
    expect(r.value?.before).to.equal(true);
    expect(r.value?.after).to.equal(false);
    expect(states).to.deep.equal(["surprise-removed"]);
    expect(node.state).to.equal("failed");
    expect(log).to.deep.equal(["EvtIoRead", "SelfManagedIoSuspend", "D0Exit", "ReleaseHardware", "SelfManagedIoFlush", "SelfManagedIoCleanup", "device cleanup"]);
  });

  it("bad input: a control device or a FailedAction that is neither value is WDF_VIOLATION 0x3 under the verifier and ignored without it", async () => {
    const m = newMachine();
    let ok = "unset";
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDefault = function Any(_q, R) {
          wdf.WdfRequestComplete(R, wdm.STATUS_SUCCESS);
        };
      },
      setup: (device) => {
        wdf.WdfDeviceSetFailed(device, wdf.WdfDeviceFailedNoRestart);
        wdf.WdfDeviceSetFailed(device, 7);
        ok = "returned";
      },
    });
    expect([kit.status, ok, m.halted]).to.deep.equal([0, "returned", null]);
    const v = newMachine();
    attachVerifier(v);
    const log: string[] = [];
    const pnp = await loadLoggingPnp(v, log);
    await asDriver(v, () => {
      wdf.WdfDeviceSetFailed(pnp.devices[0] as wdf.WDFDEVICE, 7);
    }).catch(() => undefined);
    const h = v.halted;
    expect(h?.kind).to.equal("bugcheck");
    if (h?.kind === "bugcheck") expect([h.bugCheck.record.code, h.bugCheck.record.parameters[0]]).to.deep.equal([0x10d, 0x3]);
  });
});

describe("wdf device settings: SDDL, WDF_IO_TYPE_CONFIG, power paging, capabilities", () => {
  it("WdfDeviceInitAssignSDDLString: an app whose token the DACL does not grant gets ERROR_ACCESS_DENIED and the driver never sees the open; an administrator opens it", async () => {
    const m = newMachine();
    let creates = 0;
    const kit = await loadWdfKit(m, {
      name: "Secured",
      init: (init) => {
        expect(wdf.WdfDeviceInitAssignSDDLString(init, wdm.SDDL_DEVOBJ_SYS_ALL_ADM_ALL)).to.equal(wdm.STATUS_SUCCESS);
        const fc = new wdf.WDF_FILEOBJECT_CONFIG();
        wdf.WDF_FILEOBJECT_CONFIG_INIT(fc, function SecuredCreate(_d, Request) {
          creates++;
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        }, null, null);
        wdf.WdfDeviceInitSetFileObjectConfig(init, fc, null);
      },
      queue: (c) => {
        c.EvtIoDefault = function Any(_q, R) {
          wdf.WdfRequestComplete(R, wdm.STATUS_SUCCESS);
        };
      },
    });
    expect(kit.status).to.equal(0);
    const user = await runApp(m, async () => {
      const h = await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      return { failed: h === w.INVALID_HANDLE_VALUE, error: w.GetLastError() };
    });
    expect(user.value).to.deep.equal({ failed: true, error: w.ERROR_ACCESS_DENIED });
    expect(creates).to.equal(0);
    const admin = m.createProcess("admin.exe", async () => {
      const h = await w.CreateFile(kit.path, w.GENERIC_READ, 0, null, w.OPEN_EXISTING, 0, 0);
      adminOpened = h !== w.INVALID_HANDLE_VALUE;
      await w.CloseHandle(h);
    });
    let adminOpened = false;
    setProcessToken(admin, ADMINISTRATOR_TOKEN);
    await m.run();
    expect(adminOpened).to.equal(true);
    expect(creates).to.equal(1);
  });

  it("an SDDL string the framework cannot read makes WdfDeviceCreate fail with STATUS_INVALID_PARAMETER", async () => {
    const m = newMachine();
    const kit = await loadWdfKit(m, {
      init: (init) => {
        wdf.WdfDeviceInitAssignSDDLString(init, "this is no SDDL");
      },
    });
    expect(kit.status).to.equal(wdm.STATUS_INVALID_PARAMETER);
  });

  it("WdfDeviceInitSetIoTypeEx sets reads' and writes' buffering from ReadWriteIoType (DeviceControlIoType is UMDF's: IOCTLs keep their METHOD_*); a wrong Size is ignored", async () => {
    const flags: number[] = [];
    for (const [type, size] of [[wdf.WdfDeviceIoDirect, 16], [wdf.WdfDeviceIoDirect, 12]] as const) {
      const mm = newMachine();
      const kit = await loadWdfKit(mm, {
        init: (init) => {
          const c = new wdf.WDF_IO_TYPE_CONFIG();
          wdf.WDF_IO_TYPE_CONFIG_INIT(c);
          c.ReadWriteIoType = type;
          c.DeviceControlIoType = wdf.WdfDeviceIoDirect;
          c.Size = size;
          wdf.WdfDeviceInitSetIoTypeEx(init, c);
        },
        queue: (c) => {
          c.EvtIoDefault = function Any(_q, R) {
            wdf.WdfRequestComplete(R, wdm.STATUS_SUCCESS);
          };
        },
        setup: (device) => {
          flags.push((wdf.WdfDeviceWdmGetDeviceObject(device) as wdm.DEVICE_OBJECT).Flags & (wdm.DO_BUFFERED_IO | wdm.DO_DIRECT_IO));
        },
      });
      expect(kit.status).to.equal(0);
    }
    expect(flags).to.deep.equal([wdm.DO_DIRECT_IO, wdm.DO_BUFFERED_IO]);
  });

  it("a PnP device is power pageable by default (DO_POWER_PAGABLE); WdfDeviceInitSetPowerNotPageable clears it, WdfDeviceInitSetPowerInrush sets DO_POWER_INRUSH instead", async () => {
    const seen: number[] = [];
    for (const how of ["default", "not pageable", "inrush"] as const) {
      const m = newMachine();
      const log: string[] = [];
      const kit = await loadLoggingPnp(
        m,
        log,
        (device) => {
          seen.push((wdf.WdfDeviceWdmGetDeviceObject(device) as wdm.DEVICE_OBJECT).Flags & (wdm.DO_POWER_PAGABLE | 0x4000));
        },
        (init) => {
          if (how === "not pageable") wdf.WdfDeviceInitSetPowerNotPageable(init);
          if (how === "inrush") wdf.WdfDeviceInitSetPowerInrush(init);
        },
      );
      expect(kit.status).to.equal(0);
    }
    expect(seen).to.deep.equal([wdm.DO_POWER_PAGABLE, 0, 0x4000]);
  });

  it("WdfDeviceSetPnpCapabilities / WdfDeviceSetPowerCapabilities accept structures their INIT functions made and refuse a wrong Size under the verifier (0x10D/0x3)", async () => {
    const m = newMachine();
    const log: string[] = [];
    const kit = await loadLoggingPnp(m, log, (device) => {
      const pnp = new wdf.WDF_DEVICE_PNP_CAPABILITIES();
      wdf.WDF_DEVICE_PNP_CAPABILITIES_INIT(pnp);
      pnp.SurpriseRemovalOK = wdf.WdfTrue;
      wdf.WdfDeviceSetPnpCapabilities(device, pnp);
      const power = new wdf.WDF_DEVICE_POWER_CAPABILITIES();
      wdf.WDF_DEVICE_POWER_CAPABILITIES_INIT(power);
      power.DeviceD1 = wdf.WdfTrue;
      wdf.WdfDeviceSetPowerCapabilities(device, power);
    });
    expect([kit.status, m.halted]).to.deep.equal([0, null]);
    const v = newMachine();
    attachVerifier(v);
    await loadLoggingPnp(v, log, (device) => {
      const pnp = new wdf.WDF_DEVICE_PNP_CAPABILITIES();
      pnp.Size = 40;
      wdf.WdfDeviceSetPnpCapabilities(device, pnp);
    }).catch(() => undefined);
    const h = v.halted;
    expect(h?.kind).to.equal("bugcheck");
    if (h?.kind === "bugcheck") expect([h.bugCheck.record.code, h.bugCheck.record.parameters[0]]).to.deep.equal([0x10d, 0x3]);
  });
});

describe("wdf shutdown notification and the machine's shutdown", () => {
  it("a control device's EvtDeviceShutdownNotification runs when the machine shuts down (IRP_MJ_SHUTDOWN, completed by the framework); last-chance devices after the others, newest registration first", async () => {
    const m = newMachine();
    const log: string[] = [];
    for (const [name, flags] of [["ShutA", wdf.WdfDeviceShutdown], ["ShutB", wdf.WdfDeviceShutdown], ["ShutLast", wdf.WdfDeviceLastChanceShutdown]] as const) {
      const kit = await loadWdfKit(m, {
        name,
        init: (init) => {
          wdf.WdfControlDeviceInitSetShutdownNotification(init, function ShutdownNotify() {
            log.push(name);
          }, flags);
        },
        queue: (c) => {
          c.EvtIoDefault = function Any(_q, R) {
            wdf.WdfRequestComplete(R, wdm.STATUS_SUCCESS);
          };
        },
      });
      expect(kit.status).to.equal(0);
    }
    const r = await shutdownSystem(m);
    expect(log).to.deep.equal(["ShutB", "ShutA", "ShutLast"]);
    expect(r.notified.map((n) => [n.lastChance, n.status])).to.deep.equal([
      [false, "STATUS_SUCCESS"],
      [false, "STATUS_SUCCESS"],
      [true, "STATUS_SUCCESS"],
    ]);
  });

  it("a WDM driver's IoRegisterShutdownNotification gets IRP_MJ_SHUTDOWN; after IoUnregisterShutdownNotification it does not", async () => {
    const m = newMachine();
    const log: string[] = [];
    let device: wdm.DEVICE_OBJECT | null = null;
    await loadDriver(m, "WdmShut", function WdmShutEntry(DriverObject) {
      const d = wdm.IoCreateDevice(DriverObject, null, "\\Device\\WdmShut", wdm.FILE_DEVICE_UNKNOWN, 0, false).DeviceObject as wdm.DEVICE_OBJECT;
      device = d;
      DriverObject.MajorFunction[wdm.IRP_MJ_SHUTDOWN] = function WdmShutdown(_D, Irp) {
        log.push("IRP_MJ_SHUTDOWN");
        Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
        wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
        return wdm.STATUS_SUCCESS;
      };
      return wdm.IoRegisterShutdownNotification(d);
    });
    await shutdownSystem(m);
    expect(log).to.deep.equal(["IRP_MJ_SHUTDOWN"]);
    m.createSystemThread("unregister", () => {
      const token = m.enterActivity("driver thread", "Unregister", "WdmShut");
      wdm.IoUnregisterShutdownNotification(device as wdm.DEVICE_OBJECT);
      m.leaveActivity(token);
    });
    await m.run();
    const r = await shutdownSystem(m);
    expect([log.length, r.notified.length]).to.deep.equal([1, 0]);
  });

  it("WdfControlDeviceInitSetShutdownNotification with flags that are neither value is WDF_VIOLATION 0x3 under the verifier", async () => {
    const m = newMachine();
    attachVerifier(m);
    await loadWdfKit(m, {
      init: (init) => {
        wdf.WdfControlDeviceInitSetShutdownNotification(init, function Never() {
          // not reached
        }, 0);
      },
    }).catch(() => undefined);
    const h = m.halted;
    expect(h?.kind).to.equal("bugcheck");
    if (h?.kind === "bugcheck") expect([h.bugCheck.record.code, h.bugCheck.record.parameters[0]]).to.deep.equal([0x10d, 0x3]);
  });

  it("WdfVerifierDbgBreakPoint records a break in the trace and the machine runs on", async () => {
    const m = newMachine();
    const events: unknown[] = [];
    const sub = m.trace.events$.subscribe((e) => {
      if (e.kind === "WdfVerifierBreak") events.push({ driver: e.driver, routine: e.routine, verifierOn: e.verifierOn });
    });
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDefault = function Any(_q, R) {
          wdf.WdfRequestComplete(R, wdm.STATUS_SUCCESS);
        };
      },
      setup: () => {
        wdf.WdfVerifierDbgBreakPoint();
      },
    });
    sub.unsubscribe();
    expect([kit.status, m.halted]).to.deep.equal([0, null]);
    expect(events).to.deep.equal([{ driver: "WdfTest", routine: "WdfTest", verifierOn: false }]);
  });
});
