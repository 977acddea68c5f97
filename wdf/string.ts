/**
 * WDFSTRING (wdfstring.h): a UNICODE_STRING the framework owns — its characters in paged pool,
 * freed with the object (deleted by WdfObjectDelete or with its parent). WdfRegistryQueryString
 * and WdfRegistryQueryMultiString fill them; WdfStringGetUnicodeString describes one for a
 * routine that takes a PUNICODE_STRING.
 */
import { PASSIVE_LEVEL } from "../kernel/irql.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import type { NameArgument } from "../kernel/name-argument.js";
import { nameArgumentText } from "../kernel/name-argument.js";
import { UNICODE_STRING } from "../kernel/rtl-string.js";
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { badPointer } from "../kernel/bad-pointer.js";
import { fxEnter, fxIrqlOk, fxMachine, type FxDriverGlobals } from "./globals.js";
import { WdfHandleBrand, type WDFSTRING } from "./handles.js";
import { FxObject, defaultParent, fxObject, fxParent, fxRequired, type WDF_OBJECT_ATTRIBUTES } from "./object.js";

/** 'WdfS': the pool tag of a framework string's characters. */
const STRING_TAG = 0x53666457;

/** A framework string object. */
export class FxString extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFSTRING";
  /** The characters' pool block (0 for an empty string). */
  buffer = 0;
  /** The length in bytes (no NUL counted). */
  length = 0;
  /** The room in bytes. */
  maximum = 0;
  /** The text, as the host sees it. */
  text = "";

  constructor(g: FxDriverGlobals, parent: FxObject | null) {
    super(g, "WDFSTRING", parent);
  }

  /** Replaces the string's characters (a new pool block when the old one is too small); false when the pool is out. */
  assign(text: string): boolean {
    const m = this.machine;
    const bytes = text.length * 2;
    if (bytes + 2 > 0xfffe) return false;
    if (bytes + 2 > this.maximum) {
      let va: number;
      try {
        va = m.pagedPool.allocate(bytes + 2, STRING_TAG, 1, null);
      } catch (e) {
        if (e instanceof NtStatusError) return false;
        throw e;
      }
      if (va === 0) return false;
      if (this.buffer !== 0) m.pagedPool.free(this.buffer, null);
      this.buffer = va;
      this.maximum = bytes + 2;
    }
    m.mmu.writeWideString(this.buffer, text);
    this.length = bytes;
    this.text = text;
    return true;
  }

  protected override onDestroyed(): void {
    if (this.buffer !== 0) this.machine.pagedPool.free(this.buffer, null);
    this.buffer = 0;
  }
}

/**
 * A PCUNICODE_STRING parameter as the framework checks it: NULL is the required-parameter rule
 * (WDF_VIOLATION under the verifier, STATUS_INVALID_PARAMETER otherwise) unless `allowNull`;
 * anything that is neither a UNICODE_STRING nor a literal, or an odd Length, is
 * STATUS_INVALID_PARAMETER. Returns the text, or the status.
 */
export function fxName(t: KThread, g: FxDriverGlobals | null, value: unknown, api: string, parameter: string, allowNull = false): string | NTSTATUS {
  if (value === null || value === undefined) {
    if (allowNull) return "";
    fxRequired(t, g, value, api, parameter);
    return STATUS_INVALID_PARAMETER;
  }
  if (typeof value !== "string" && !(value instanceof UNICODE_STRING)) return STATUS_INVALID_PARAMETER;
  const text = nameArgumentText(api, parameter, value);
  return typeof text === "number" ? STATUS_INVALID_PARAMETER : text;
}

/** Looks a WDFSTRING up (the framework's handle check). */
export function fxString(t: KThread, h: unknown, api: string): FxString | null {
  return fxObject(t, h, FxString, "WDFSTRING", api);
}

/** Makes a framework string with `text` (the routines that fill strings use it too). */
export function createFxString(g: FxDriverGlobals, parent: FxObject | null, attributes: WDF_OBJECT_ATTRIBUTES | null, text: string): FxString | null {
  const s = new FxString(g, parent);
  s.applyAttributes(attributes);
  if (!s.assign(text)) {
    s.deleteObject();
    return null;
  }
  s.traceCreated();
  return s;
}

/**
 * WdfStringCreate: a string object holding a copy of UnicodeString (NULL: an empty string), its
 * parent the driver unless StringAttributes names one. PASSIVE_LEVEL.
 */
export function WdfStringCreate(UnicodeString: NameArgument | null, StringAttributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS, or why not. */ status: NTSTATUS; /** The new string (null on failure). */ String: WDFSTRING | null } {
  const t = fxEnter("WdfStringCreate");
  const g = fxMachine(t.machine).currentGlobals();
  if (!g) return { status: STATUS_INVALID_PARAMETER, String: null };
  if (!fxIrqlOk(t, g, "WdfStringCreate", PASSIVE_LEVEL)) return { status: STATUS_INVALID_PARAMETER, String: null };
  const text = fxName(t, g, UnicodeString, "WdfStringCreate", "UnicodeString", true);
  if (typeof text === "number") return { status: text, String: null };
  const parent = StringAttributes?.ParentObject ? fxParent(t, StringAttributes.ParentObject, "WdfStringCreate") : defaultParent(g);
  if (StringAttributes?.ParentObject && !parent) return { status: STATUS_INVALID_HANDLE, String: null };
  const s = createFxString(g, parent, StringAttributes, text);
  if (!s) return { status: STATUS_INSUFFICIENT_RESOURCES, String: null };
  return { status: STATUS_SUCCESS, String: s };
}

/**
 * WdfStringGetUnicodeString: points UnicodeString at the string object's characters (Length,
 * MaximumLength, Buffer); valid while the object lives.
 */
export function WdfStringGetUnicodeString(String: WDFSTRING, UnicodeString: UNICODE_STRING): void {
  const t = fxEnter("WdfStringGetUnicodeString");
  const s = fxString(t, String, "WdfStringGetUnicodeString");
  if (!s) return;
  if (!((UnicodeString as unknown) instanceof UNICODE_STRING)) badPointer("WdfStringGetUnicodeString", "UnicodeString", UnicodeString, "a UNICODE_STRING");
  UnicodeString.Buffer = s.buffer;
  UnicodeString.Length = s.length;
  UnicodeString.MaximumLength = s.maximum;
}
