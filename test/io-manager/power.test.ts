import { expect } from "chai";
import { attachVerifier, createRootDevice, devicePowerState, loadDriver, setSystemPowerState, systemPowerState, wake, type DeviceNode, type Machine } from "../../index.js";
import { newMachine, ok, runKernel } from "../helpers.js";
import * as wdm from "../../wdm.js";
import { formatTextTimeline } from "../../report/text.js";

interface WdmPowerOptions {
  /** IRP_MN_QUERY_POWER for a system state fails with this status. */
  readonly vetoQuery?: wdm.NTSTATUS;
  /** IRP_MN_SET_POWER for a device Dx state is completed with this failure (a bug). */
  readonly failDeviceSetPower?: wdm.NTSTATUS;
  /** The driver sets no IRP_MJ_POWER routine at all. */
  readonly noPowerDispatch?: boolean;
}

class WDM_POWER_EXTENSION {
  Lower: wdm.DEVICE_OBJECT | null = null;
  Pdo: wdm.DEVICE_OBJECT | null = null;
  DevicePowerState: number = wdm.PowerDeviceD0;
}

interface WdmPower {
  readonly log: string[];
  fdo: wdm.DEVICE_OBJECT | null;
  pdo: wdm.DEVICE_OBJECT | null;
}

const sName = (s: number): string => `S${s - 1}`;
const dName = (s: number): string => `D${s - 1}`;

/**
 * Loads "WdmPower": a WDM function driver that owns its stack's power policy, written the WDK way —
 * an S-IRP goes down with a completion routine that requests the matching D-IRP with
 * PoRequestPowerIrp, whose PowerCompletion completes the S-IRP; a D-IRP for D0 goes down first and
 * the device is powered up on the way back, a D-IRP for D3 powers down first and then goes down.
 */
async function loadWdmPower(m: Machine, o: WdmPowerOptions = {}): Promise<WdmPower> {
  const seen: WdmPower = { log: [], fdo: null, pdo: null };
  const ext = (d: wdm.DEVICE_OBJECT): WDM_POWER_EXTENSION => d.DeviceExtension as WDM_POWER_EXTENSION;
  const r = await loadDriver(m, "WdmPower", function WdmPowerDriverEntry(DriverObject: wdm.DRIVER_OBJECT) {
    DriverObject.DriverExtension.AddDevice = function WdmPowerAddDevice(Driver: wdm.DRIVER_OBJECT, Pdo: wdm.DEVICE_OBJECT): wdm.NTSTATUS {
      const created = wdm.IoCreateDevice(Driver, new WDM_POWER_EXTENSION(), null, wdm.FILE_DEVICE_UNKNOWN, 0, false);
      const fdo = created.DeviceObject;
      if (!fdo) return created.status;
      const e = ext(fdo);
      e.Pdo = Pdo;
      e.Lower = wdm.IoAttachDeviceToDeviceStack(fdo, Pdo);
      fdo.Flags |= wdm.DO_POWER_PAGABLE;
      fdo.Flags &= ~wdm.DO_DEVICE_INITIALIZING;
      seen.fdo = fdo;
      seen.pdo = Pdo;
      return wdm.STATUS_SUCCESS;
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_PNP] = function WdmPowerDispatchPnp(DeviceObject, Irp) {
      // The bus driver finishes every PnP IRP this test sends; nothing to do on the way.
      Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
      wdm.IoSkipCurrentIrpStackLocation(Irp);
      return wdm.IoCallDriver(ext(DeviceObject).Lower as wdm.DEVICE_OBJECT, Irp);
    };
    if (o.noPowerDispatch) return wdm.STATUS_SUCCESS;
    DriverObject.MajorFunction[wdm.IRP_MJ_POWER] = function WdmPowerDispatchPower(DeviceObject, Irp) {
      const e = ext(DeviceObject);
      const lower = e.Lower as wdm.DEVICE_OBJECT;
      const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
      const system = sl.Parameters.Power.Type === wdm.SystemPowerState;
      const state = sl.Parameters.Power.State.SystemState;
      const minorName = sl.MinorFunction === wdm.IRP_MN_SET_POWER ? "SET_POWER" : sl.MinorFunction === wdm.IRP_MN_QUERY_POWER ? "QUERY_POWER" : `minor ${sl.MinorFunction}`;
      seen.log.push(`${minorName} ${system ? sName(state) : dName(state)}`);
      if (sl.MinorFunction === wdm.IRP_MN_QUERY_POWER && system && o.vetoQuery !== undefined) {
        wdm.PoStartNextPowerIrp(Irp);
        Irp.IoStatus.Status = o.vetoQuery;
        wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
        return o.vetoQuery;
      }
      if (sl.MinorFunction === wdm.IRP_MN_SET_POWER && system) {
        // The power policy owner: the S-IRP goes down; on its way back, ask for the D-IRP.
        wdm.IoMarkIrpPending(Irp);
        wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
        wdm.IoSetCompletionRoutine(
          Irp,
          function WdmPowerSystemIrpCompletion(_Device, SIrp): wdm.NTSTATUS {
            const ds = new wdm.POWER_STATE();
            ds.DeviceState = state === wdm.PowerSystemWorking ? wdm.PowerDeviceD0 : wdm.PowerDeviceD3;
            const st = wdm.PoRequestPowerIrp(
              e.Pdo as wdm.DEVICE_OBJECT,
              wdm.IRP_MN_SET_POWER,
              ds,
              function WdmPowerDeviceIrpDone(_d, _minor, PowerState, Context, IoStatus) {
                seen.log.push(`D-IRP ${dName(PowerState.DeviceState)} done: ${wdm.ntStatusName(IoStatus.Status)}`);
                const s = Context as wdm.IRP;
                s.IoStatus.Status = IoStatus.Status;
                wdm.PoStartNextPowerIrp(s);
                wdm.IoCompleteRequest(s, wdm.IO_NO_INCREMENT);
              },
              SIrp,
              null,
            );
            seen.log.push(`PoRequestPowerIrp(${dName(ds.DeviceState)}) → ${wdm.ntStatusName(st)}`);
            if (st !== wdm.STATUS_PENDING) {
              SIrp.IoStatus.Status = st;
              wdm.PoStartNextPowerIrp(SIrp);
              return wdm.STATUS_SUCCESS;
            }
            return wdm.STATUS_MORE_PROCESSING_REQUIRED;
          },
          null,
          true,
          true,
          true,
        );
        void wdm.PoCallDriver(lower, Irp);
        return wdm.STATUS_PENDING;
      }
      if (sl.MinorFunction === wdm.IRP_MN_SET_POWER && !system && state === wdm.PowerDeviceD0) {
        // Powering up: the bus driver first, then the device is restored on the way back.
        wdm.IoCopyCurrentIrpStackLocationToNext(Irp);
        wdm.IoSetCompletionRoutine(
          Irp,
          function WdmPowerD0Completion(Device, DIrp): wdm.NTSTATUS {
            if (DIrp.PendingReturned) wdm.IoMarkIrpPending(DIrp);
            const prev = wdm.PoSetPowerState(Device as wdm.DEVICE_OBJECT, wdm.DevicePowerState, new wdm.POWER_STATE(wdm.PowerDeviceD0));
            e.DevicePowerState = wdm.PowerDeviceD0;
            seen.log.push(`device restored (was ${dName(prev.DeviceState)})`);
            wdm.PoStartNextPowerIrp(DIrp);
            return wdm.STATUS_SUCCESS;
          },
          null,
          true,
          true,
          true,
        );
        return wdm.PoCallDriver(lower, Irp);
      }
      if (sl.MinorFunction === wdm.IRP_MN_SET_POWER && !system) {
        if (o.failDeviceSetPower !== undefined) {
          wdm.PoStartNextPowerIrp(Irp);
          Irp.IoStatus.Status = o.failDeviceSetPower;
          wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
          return o.failDeviceSetPower;
        }
        // Powering down: save the device's state first, then tell the bus driver.
        seen.log.push("device state saved");
        wdm.PoSetPowerState(DeviceObject, wdm.DevicePowerState, sl.Parameters.Power.State);
        e.DevicePowerState = state;
      }
      wdm.PoStartNextPowerIrp(Irp);
      Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
      wdm.IoSkipCurrentIrpStackLocation(Irp);
      return wdm.PoCallDriver(lower, Irp);
    };
    return wdm.STATUS_SUCCESS;
  });
  expect(r.status).to.equal(0);
  return seen;
}

async function report(m: Machine): Promise<DeviceNode> {
  const r = await createRootDevice(m, { service: "WdmPower", hardwareId: "Root\\WdmPower" });
  expect(r.status).to.equal(wdm.STATUS_SUCCESS);
  return r.node as DeviceNode;
}

describe("io-manager/power: WDM power IRPs (IRP_MJ_POWER, PoRequestPowerIrp, PoCallDriver) and the power manager's sleep and wake", () => {
  it("on system sleep the power manager sends IRP_MN_QUERY_POWER then IRP_MN_SET_POWER (S3); the power policy owner requests IRP_MN_SET_POWER (D3) with PoRequestPowerIrp, and the D-IRP's PowerCompletion completes the S-IRP", async () => {
    const m = newMachine();
    const seen = await loadWdmPower(m);
    const node = await report(m);
    const r = await setSystemPowerState(m, wdm.PowerSystemSleeping3);
    expect(r).to.deep.equal({ status: wdm.STATUS_SUCCESS, vetoedBy: null, state: wdm.PowerSystemSleeping3 });
    expect(seen.log).to.deep.equal(["QUERY_POWER S3", "SET_POWER S3", "PoRequestPowerIrp(D3) → STATUS_PENDING", "SET_POWER D3", "device state saved", "D-IRP D3 done: STATUS_SUCCESS"]);
    expect(node.history.slice(-2)).to.deep.equal(["IRP_MN_QUERY_POWER S3 → STATUS_SUCCESS", "IRP_MN_SET_POWER S3 → STATUS_SUCCESS"]);
    expect(systemPowerState(m)).to.equal(wdm.PowerSystemSleeping3);
    // The bus driver recorded D3 for the PDO when the D-IRP reached it.
    expect(devicePowerState(node)).to.equal(wdm.PowerDeviceD3);
  });

  it("on wake the power manager sends IRP_MN_SET_POWER (S0); the D0 D-IRP reaches the bus driver first and the function driver restores the device on the way back up", async () => {
    const m = newMachine();
    const seen = await loadWdmPower(m);
    const node = await report(m);
    await setSystemPowerState(m, wdm.PowerSystemSleeping3);
    seen.log.length = 0;
    const r = await wake(m);
    expect(r).to.deep.equal({ status: wdm.STATUS_SUCCESS, vetoedBy: null, state: wdm.PowerSystemWorking });
    expect(seen.log).to.deep.equal(["SET_POWER S0", "PoRequestPowerIrp(D0) → STATUS_PENDING", "SET_POWER D0", "device restored (was D3)", "D-IRP D0 done: STATUS_SUCCESS"]);
    expect(devicePowerState(node)).to.equal(wdm.PowerDeviceD0);
    expect(systemPowerState(m)).to.equal(wdm.PowerSystemWorking);
    // Waking a working system sends nothing.
    seen.log.length = 0;
    expect((await wake(m)).status).to.equal(wdm.STATUS_SUCCESS);
    expect(seen.log).to.deep.equal([]);
  });

  it("a driver that fails IRP_MN_QUERY_POWER vetoes the sleep: no IRP_MN_SET_POWER for S3 is sent, the devices already queried get IRP_MN_SET_POWER for S0, and the system stays working", async () => {
    const m = newMachine();
    const seen = await loadWdmPower(m, { vetoQuery: wdm.STATUS_DEVICE_BUSY });
    const node = await report(m);
    const r = await setSystemPowerState(m, wdm.PowerSystemSleeping3);
    expect(r).to.deep.equal({ status: wdm.STATUS_DEVICE_BUSY, vetoedBy: "ROOT\\WDMPOWER\\0000", state: wdm.PowerSystemWorking });
    expect(node.history.slice(-2)).to.deep.equal(["IRP_MN_QUERY_POWER S3 → STATUS_DEVICE_BUSY", "IRP_MN_SET_POWER S0 → STATUS_SUCCESS"]);
    expect(seen.log).to.deep.equal(["QUERY_POWER S3", "SET_POWER S0", "PoRequestPowerIrp(D0) → STATUS_PENDING", "SET_POWER D0", "device restored (was D0)", "D-IRP D0 done: STATUS_SUCCESS"]);
    expect(systemPowerState(m)).to.equal(wdm.PowerSystemWorking);
  });

  it("a function driver that sets no IRP_MJ_POWER routine gets the I/O manager's default: every power IRP fails with STATUS_INVALID_DEVICE_REQUEST, so its stack vetoes the sleep", async () => {
    const m = newMachine();
    await loadWdmPower(m, { noPowerDispatch: true });
    const node = await report(m);
    const r = await setSystemPowerState(m, wdm.PowerSystemSleeping3);
    expect(r.status).to.equal(wdm.STATUS_INVALID_DEVICE_REQUEST);
    expect(r.vetoedBy).to.equal(node.instanceId);
    expect(node.history.slice(-2)).to.deep.equal(["IRP_MN_QUERY_POWER S3 → STATUS_INVALID_DEVICE_REQUEST", "IRP_MN_SET_POWER S0 → STATUS_INVALID_DEVICE_REQUEST"]);
  });

  it("the root bus driver completes power IRPs for its PDOs as a bus driver does: IRP_MN_POWER_SEQUENCE counts the device's entries into D1/D2/D3, IRP_MN_WAIT_WAKE is STATUS_NOT_SUPPORTED (a root device cannot wake the system)", async () => {
    const m = newMachine();
    const seen = await loadWdmPower(m);
    await report(m);
    await setSystemPowerState(m, wdm.PowerSystemSleeping3);
    await wake(m);
    const ran = await runKernel(m, async () => {
      const pdo = seen.pdo as wdm.DEVICE_OBJECT;
      const irp = wdm.IoAllocateIrp(pdo.StackSize, false) as wdm.IRP;
      const sl = wdm.IoGetNextIrpStackLocation(irp);
      sl.MajorFunction = wdm.IRP_MJ_POWER;
      sl.MinorFunction = wdm.IRP_MN_POWER_SEQUENCE;
      const seq = new wdm.POWER_SEQUENCE();
      sl.Parameters.PowerSequence.PowerSequence = seq;
      irp.IoStatus.Status = wdm.STATUS_NOT_SUPPORTED;
      const event = new wdm.KEVENT(wdm.NotificationEvent, false);
      wdm.IoSetCompletionRoutine(
        irp,
        function SequenceDone(): wdm.NTSTATUS {
          wdm.KeSetEvent(event, 0, false);
          return wdm.STATUS_MORE_PROCESSING_REQUIRED;
        },
        null,
        true,
        true,
        true,
      );
      await wdm.PoCallDriver(pdo, irp);
      await wdm.KeWaitForSingleObject(event, wdm.Executive, wdm.KernelMode, false, null);
      const sequenceStatus = irp.IoStatus.Status;
      wdm.IoFreeIrp(irp);
      let wakeStatus = -1;
      const woke = new wdm.KEVENT(wdm.NotificationEvent, false);
      const st = wdm.PoRequestPowerIrp(pdo, wdm.IRP_MN_WAIT_WAKE, new wdm.POWER_STATE(wdm.PowerSystemSleeping3), function WaitWakeDone(_d, _mn, _ps, _c, IoStatus) {
        wakeStatus = IoStatus.Status;
        wdm.KeSetEvent(woke, 0, false);
      }, null, null);
      expect(st).to.equal(wdm.STATUS_PENDING);
      await wdm.KeWaitForSingleObject(woke, wdm.Executive, wdm.KernelMode, false, null);
      return { sequenceStatus, seq: [seq.SequenceD1, seq.SequenceD2, seq.SequenceD3], wakeStatus };
    });
    expect(ok(ran)).to.deep.equal({ sequenceStatus: wdm.STATUS_SUCCESS, seq: [1, 1, 1], wakeStatus: wdm.STATUS_NOT_SUPPORTED });
  });

  it("PoRequestPowerIrp answers bad input as NT does: a minor code other than SET_POWER/QUERY_POWER/WAIT_WAKE is STATUS_INVALID_PARAMETER_2, a device object that is none is an access violation; PoCallDriver dispatches a non-power IRP as IoCallDriver does (Windows 8 and later)", async () => {
    const m = newMachine();
    const seen = await loadWdmPower(m);
    await report(m);
    const ran = await runKernel(m, async () => {
      const pdo = seen.pdo as wdm.DEVICE_OBJECT;
      const sequence = wdm.PoRequestPowerIrp(pdo, wdm.IRP_MN_POWER_SEQUENCE, new wdm.POWER_STATE(wdm.PowerDeviceD0), null, null, null);
      const badState = wdm.PoRequestPowerIrp(pdo, wdm.IRP_MN_SET_POWER, new wdm.POWER_STATE(9), null, null, null);
      let garbage = "";
      try {
        wdm.PoRequestPowerIrp(0x1234 as never, wdm.IRP_MN_SET_POWER, new wdm.POWER_STATE(wdm.PowerDeviceD3), null, null, null);
      } catch (e) {
        garbage = e instanceof wdm.NtStatusError ? wdm.ntStatusName(e.status) : String(e);
      }
      // A device control sent with PoCallDriver reaches the PDO's default handling.
      const irp = wdm.IoAllocateIrp(pdo.StackSize, false) as wdm.IRP;
      const sl = wdm.IoGetNextIrpStackLocation(irp);
      sl.MajorFunction = wdm.IRP_MJ_DEVICE_CONTROL;
      irp.IoStatus.Status = wdm.STATUS_NOT_SUPPORTED;
      wdm.IoSetCompletionRoutine(irp, () => wdm.STATUS_MORE_PROCESSING_REQUIRED, null, true, true, true);
      const nonPower = await wdm.PoCallDriver(pdo, irp);
      wdm.IoFreeIrp(irp);
      const prev = wdm.PoSetPowerState(pdo, wdm.DevicePowerState, new wdm.POWER_STATE(wdm.PowerDeviceD2));
      const back = wdm.PoSetPowerState(pdo, wdm.DevicePowerState, prev);
      return { sequence, badState, garbage, nonPower, prev: prev.DeviceState, back: back.DeviceState };
    });
    expect(ok(ran)).to.deep.equal({
      sequence: wdm.STATUS_INVALID_PARAMETER_2,
      badState: wdm.STATUS_INVALID_PARAMETER_3,
      garbage: "STATUS_ACCESS_VIOLATION",
      nonPower: wdm.STATUS_INVALID_DEVICE_REQUEST,
      prev: wdm.PowerDeviceD0,
      back: wdm.PowerDeviceD2,
    });
  });

  it("setSystemPowerState refuses a state that is no sleep, hibernate or shutdown state (STATUS_INVALID_PARAMETER) and a second sleep while asleep (STATUS_INVALID_DEVICE_STATE)", async () => {
    const m = newMachine();
    await loadWdmPower(m);
    await report(m);
    expect((await setSystemPowerState(m, wdm.PowerSystemWorking)).status).to.equal(wdm.STATUS_INVALID_PARAMETER);
    expect((await setSystemPowerState(m, 42 as never)).status).to.equal(wdm.STATUS_INVALID_PARAMETER);
    await setSystemPowerState(m, wdm.PowerSystemSleeping3);
    expect((await setSystemPowerState(m, wdm.PowerSystemHibernate)).status).to.equal(wdm.STATUS_INVALID_DEVICE_STATE);
  });

  it("the text timeline shows the power transitions: the system state requested and entered, each S-IRP and D-IRP sent and completed, and each PoSetPowerState", async () => {
    const m = newMachine();
    await loadWdmPower(m);
    await report(m);
    const rec = m.trace.record();
    await setSystemPowerState(m, wdm.PowerSystemSleeping3);
    rec.stop();
    const text = formatTextTimeline(rec.events);
    expect(text).to.include("power manager: system S3 requested");
    expect(text).to.include("power manager: IRP_MJ_POWER IRP_MN_QUERY_POWER S3 → ROOT\\WDMPOWER\\0000");
    expect(text).to.include("power manager: IRP_MN_SET_POWER D3 of");
    expect(text).to.match(/power manager: .* D0 → D3/);
    expect(text).to.include("power manager: system S3 entered");
  });

  it("under the verifier, a driver that fails IRP_MN_SET_POWER is a finding (SetPowerFailed): set-power IRPs must not fail — a driver vetoes in IRP_MN_QUERY_POWER", async () => {
    const m = newMachine();
    attachVerifier(m);
    await loadWdmPower(m, { failDeviceSetPower: wdm.STATUS_UNSUCCESSFUL });
    await report(m);
    await setSystemPowerState(m, wdm.PowerSystemSleeping3);
    // The D-IRP the driver failed, and the S-IRP its PowerCompletion then completed with that status.
    expect(m.findings.map((f) => f.rule)).to.deep.equal(["SetPowerFailed", "SetPowerFailed"]);
    expect(m.findings[0]?.driver).to.equal("WdmPower");
  });

  it("Parameters.Power overlays the stack location's Parameters union as in wdm.h: State is a POWER_STATE whose SystemState and DeviceState are one value, stored in the slot IoControlCode uses (reading it changes nothing)", () => {
    const sl = new wdm.IO_STACK_LOCATION();
    sl.Parameters.DeviceIoControl.IoControlCode = 0x222003;
    expect(sl.Parameters.Power.State.DeviceState).to.equal(0x222003);
    expect(sl.Parameters.DeviceIoControl.IoControlCode).to.equal(0x222003);
    sl.Parameters.Power.Type = wdm.DevicePowerState;
    sl.Parameters.Power.State.DeviceState = wdm.PowerDeviceD3;
    expect(sl.Parameters.Power.State.SystemState).to.equal(wdm.PowerDeviceD3);
    const copy = new wdm.IO_STACK_LOCATION();
    copy.Parameters.copyFrom(sl.Parameters);
    copy.Parameters.Power.State.DeviceState = wdm.PowerDeviceD0;
    expect([sl.Parameters.Power.State.DeviceState, copy.Parameters.Power.State.DeviceState, copy.Parameters.Power.Type]).to.deep.equal([wdm.PowerDeviceD3, wdm.PowerDeviceD0, wdm.DevicePowerState]);
  });
});
