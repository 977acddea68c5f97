/**
 * WDFFILEOBJECT (wdffileobject.h): the framework's object for each FILE_OBJECT opened on a device,
 * made at IRP_MJ_CREATE and deleted at IRP_MJ_CLOSE, with the driver's EvtDeviceFileCreate,
 * EvtFileCleanup and EvtFileClose.
 */
import { WdfHandleBrand } from "./handles.js";
import type { MaybePromise } from "../kernel/objects.js";
import type { FILE_OBJECT } from "../io-manager/file-object.js";
import { fxEnter } from "./globals.js";
import type { WDFDEVICE, WDFFILEOBJECT, WDFREQUEST } from "./handles.js";
import { FxObject, fxObject } from "./object.js";
import type { FxDevice } from "./device.js";
import type { WDF_TRI_STATE } from "./queue.js";

/** EVT_WDF_DEVICE_FILE_CREATE: an app opened the device; complete `Request` to accept or refuse the open. */
export type EVT_WDF_DEVICE_FILE_CREATE = (Device: WDFDEVICE, Request: WDFREQUEST, FileObject: WDFFILEOBJECT) => MaybePromise<void>;
/** EVT_WDF_FILE_CLEANUP: the last handle to the file object was closed (in the closer's context). */
export type EVT_WDF_FILE_CLEANUP = (FileObject: WDFFILEOBJECT) => MaybePromise<void>;
/** EVT_WDF_FILE_CLOSE: the file object's last reference went. */
export type EVT_WDF_FILE_CLOSE = (FileObject: WDFFILEOBJECT) => MaybePromise<void>;

/** WDF_FILEOBJECT_CLASS. */
export const WDF_FILEOBJECT_CLASS = {
  WdfFileObjectInvalid: 0,
  WdfFileObjectNotRequired: 1,
  WdfFileObjectWdfCanUseFsContext: 2,
  WdfFileObjectWdfCanUseFsContext2: 3,
  WdfFileObjectWdfCannotUseFsContexts: 4,
} as const;
export const { WdfFileObjectNotRequired, WdfFileObjectWdfCanUseFsContext, WdfFileObjectWdfCanUseFsContext2, WdfFileObjectWdfCannotUseFsContexts } = WDF_FILEOBJECT_CLASS;

/** WDF_FILEOBJECT_CONFIG. Initialise with WDF_FILEOBJECT_CONFIG_INIT. */
export class WDF_FILEOBJECT_CONFIG {
  /** Size: the structure's size, set by WDF_FILEOBJECT_CONFIG_INIT. */
  Size = 40;
  /** EvtDeviceFileCreate: an application opened the device (IRP_MJ_CREATE); the driver completes the request to accept or refuse the open. Without it the framework accepts every open. */
  EvtDeviceFileCreate: EVT_WDF_DEVICE_FILE_CREATE | null = null;
  /** EvtFileClose: the file object's last reference is gone (IRP_MJ_CLOSE); the framework completes the close itself. */
  EvtFileClose: EVT_WDF_FILE_CLOSE | null = null;
  /** EvtFileCleanup: the last handle to the file object was closed (IRP_MJ_CLEANUP); the framework then cancels that file object's requests still waiting in the device's queues. */
  EvtFileCleanup: EVT_WDF_FILE_CLEANUP | null = null;
  /** AutoForwardCleanupClose: whether the framework sends create, cleanup and close on to the lower driver rather than completing them (WdfUseDefault: only for a filter). A create goes down only when the driver has no EvtDeviceFileCreate; with one, the driver forwards or completes it itself. */
  AutoForwardCleanupClose: WDF_TRI_STATE = 2;
  /** FileObjectClass: whether the driver needs a framework file object for each open and where the framework may keep it (FsContext, FsContext2, or neither); every open gets one here. */
  FileObjectClass: number = WdfFileObjectWdfCannotUseFsContexts;
}

/** WDF_FILEOBJECT_CONFIG_INIT. */
export function WDF_FILEOBJECT_CONFIG_INIT(FileEventCallbacks: WDF_FILEOBJECT_CONFIG, EvtDeviceFileCreate: EVT_WDF_DEVICE_FILE_CREATE | null, EvtFileClose: EVT_WDF_FILE_CLOSE | null, EvtFileCleanup: EVT_WDF_FILE_CLEANUP | null): void {
  FileEventCallbacks.Size = 40;
  FileEventCallbacks.EvtDeviceFileCreate = EvtDeviceFileCreate;
  FileEventCallbacks.EvtFileClose = EvtFileClose;
  FileEventCallbacks.EvtFileCleanup = EvtFileCleanup;
  FileEventCallbacks.AutoForwardCleanupClose = 2;
  FileEventCallbacks.FileObjectClass = WdfFileObjectWdfCannotUseFsContexts;
}

/** A framework file object. */
export class FxFileObject extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFFILEOBJECT";
  constructor(
    readonly device: FxDevice,
    readonly wdmFileObject: FILE_OBJECT,
  ) {
    super(device.globals, "WDFFILEOBJECT", device);
    this.noDeleteDdi = true;
  }
}

/** WdfFileObjectWdmGetFileObject: the FILE_OBJECT behind it. */
export function WdfFileObjectWdmGetFileObject(FileObject: WDFFILEOBJECT): FILE_OBJECT | null {
  const t = fxEnter("WdfFileObjectWdmGetFileObject");
  const fo = fxObject(t, FileObject, FxFileObject, "WDFFILEOBJECT", "WdfFileObjectWdmGetFileObject");
  return fo ? fo.wdmFileObject : null;
}

/** WdfFileObjectGetDevice: the device it was opened on. */
export function WdfFileObjectGetDevice(FileObject: WDFFILEOBJECT): WDFDEVICE | null {
  const t = fxEnter("WdfFileObjectGetDevice");
  const fo = fxObject(t, FileObject, FxFileObject, "WDFFILEOBJECT", "WdfFileObjectGetDevice");
  return fo ? fo.device : null;
}

/** WdfFileObjectGetFileName: the rest of the path after the device's name ("" for a plain open). */
export function WdfFileObjectGetFileName(FileObject: WDFFILEOBJECT): string | null {
  const t = fxEnter("WdfFileObjectGetFileName");
  const fo = fxObject(t, FileObject, FxFileObject, "WDFFILEOBJECT", "WdfFileObjectGetFileName");
  return fo ? fo.wdmFileObject.FileName : null;
}
