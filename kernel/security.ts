/**
 * The minimum of NT security that makes a device's SDDL mean something: a process has a token (a
 * user SID and group SIDs), a device object can have a security descriptor whose DACL is written in
 * SDDL ("D:P(A;;GA;;;SY)(A;;GR;;;WD)"), and an open from user mode is checked against it as
 * SeAccessCheck does.
 *
 * What is modelled: the DACL's allow (A) and deny (D) ACEs in order, the SIDs by SDDL alias (SY,
 * BA, BU, WD, AU, IU, RC, NS, LS, BG, AN, CO, PU) or as S-1-… strings, rights as generic letters
 * (GA GR GW GX), the standard and file letters (RC SD WD WO FA FR FW FX, CC DC LC SW RP WP DT LO CR)
 * or a hexadecimal mask, generic rights mapped with the file object's generic mapping, and
 * restricted tokens (an ACE for RC then also has to grant the access). A NULL DACL grants
 * everything; an empty one ("D:P") nothing. Not modelled: owners and groups (O:, G:), SACLs and
 * integrity levels, privileges, inheritance, object ACEs, conditional ACEs.
 */
import type { KProcess } from "./process.js";

/** The SDDL aliases of the well-known SIDs the emulator knows. */
export const WellKnownSid: Record<string, string> = {
  SY: "S-1-5-18",
  BA: "S-1-5-32-544",
  BU: "S-1-5-32-545",
  BG: "S-1-5-32-546",
  PU: "S-1-5-32-547",
  WD: "S-1-1-0",
  AU: "S-1-5-11",
  IU: "S-1-5-4",
  RC: "S-1-5-12",
  NS: "S-1-5-20",
  LS: "S-1-5-19",
  AN: "S-1-5-7",
  CO: "S-1-3-0",
};

/** A process's token: who it runs as and which groups it is in (all enabled). */
export interface ProcessToken {
  /** The user's SID ("S-1-5-21-…-1001"). */
  readonly user: string;
  /** Group SIDs (Everyone, Authenticated Users, Administrators when elevated …). */
  readonly groups: readonly string[];
  /** A restricted token (its restricting SID is RESTRICTED, RC): access must also be granted to RC. */
  readonly restricted?: boolean;
}

const MACHINE = "S-1-5-21-1004336348-1177238915-682003330";

/** A standard user's token: Everyone, Authenticated Users, Users, Interactive. What app processes get by default. */
export const STANDARD_USER_TOKEN: ProcessToken = { user: `${MACHINE}-1001`, groups: ["S-1-1-0", "S-1-5-11", "S-1-5-32-545", "S-1-5-4"] };
/** An elevated administrator's token: a standard user's groups plus Administrators. */
export const ADMINISTRATOR_TOKEN: ProcessToken = { user: `${MACHINE}-1000`, groups: ["S-1-1-0", "S-1-5-11", "S-1-5-32-545", "S-1-5-4", "S-1-5-32-544"] };
/** LocalSystem: what the System process and services run as. */
export const LOCAL_SYSTEM_TOKEN: ProcessToken = { user: "S-1-5-18", groups: ["S-1-5-32-544", "S-1-1-0", "S-1-5-11"] };

const TOKEN_SLOT = "security.token";

/** The process's token (STANDARD_USER_TOKEN unless one was set; LOCAL_SYSTEM_TOKEN for the System process). */
export function processToken(p: KProcess): ProcessToken {
  const t = p.slots.get(TOKEN_SLOT) as ProcessToken | undefined;
  if (t) return t;
  return p === p.machine.systemProcess ? LOCAL_SYSTEM_TOKEN : STANDARD_USER_TOKEN;
}

/**
 * Gives a process the token it runs with (before it opens anything): STANDARD_USER_TOKEN,
 * ADMINISTRATOR_TOKEN, LOCAL_SYSTEM_TOKEN, or one of your own.
 */
export function setProcessToken(p: KProcess, token: ProcessToken): void {
  p.slots.set(TOKEN_SLOT, token);
}

// ---- Access masks ----

export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_ALL = 0x10000000;
export const MAXIMUM_ALLOWED = 0x02000000;

/** The file object type's GENERIC_MAPPING (device objects use it too). */
const FILE_GENERIC_READ = 0x00120089;
const FILE_GENERIC_WRITE = 0x00120116;
const FILE_GENERIC_EXECUTE = 0x001200a0;
const FILE_ALL_ACCESS = 0x001f01ff;

/** Maps the generic bits of a mask with the file generic mapping. */
export function mapFileGeneric(mask: number): number {
  let m = mask & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);
  if (mask & GENERIC_READ) m |= FILE_GENERIC_READ;
  if (mask & GENERIC_WRITE) m |= FILE_GENERIC_WRITE;
  if (mask & GENERIC_EXECUTE) m |= FILE_GENERIC_EXECUTE;
  if (mask & GENERIC_ALL) m |= FILE_ALL_ACCESS;
  return m >>> 0;
}

const RIGHTS: Record<string, number> = {
  GA: GENERIC_ALL,
  GR: GENERIC_READ,
  GW: GENERIC_WRITE,
  GX: GENERIC_EXECUTE,
  RC: 0x00020000,
  SD: 0x00010000,
  WD: 0x00040000,
  WO: 0x00080000,
  FA: FILE_ALL_ACCESS,
  FR: FILE_GENERIC_READ,
  FW: FILE_GENERIC_WRITE,
  FX: FILE_GENERIC_EXECUTE,
  CC: 0x1,
  DC: 0x2,
  LC: 0x4,
  SW: 0x8,
  RP: 0x10,
  WP: 0x20,
  DT: 0x40,
  LO: 0x80,
  CR: 0x100,
};

// ---- Security descriptors ----

/** One ACE of a DACL. */
export interface Ace {
  readonly allow: boolean;
  /** The access mask, generic bits already mapped. */
  readonly mask: number;
  readonly sid: string;
}

/** A security descriptor as irpsim keeps it: its DACL (null: no DACL, everyone allowed) and the SDDL it came from. */
export interface SecurityDescriptor {
  readonly dacl: readonly Ace[] | null;
  readonly protectedDacl: boolean;
  readonly sddl: string;
}

function parseSid(text: string): string | null {
  const alias = WellKnownSid[text];
  if (alias !== undefined) return alias;
  return /^S-1-\d+(-\d+)*$/.test(text) ? text : null;
}

function parseRights(text: string): number | null {
  if (/^0x[0-9a-fA-F]+$/.test(text)) return Number.parseInt(text, 16) >>> 0;
  if (text.length % 2 !== 0) return null;
  let mask = 0;
  for (let i = 0; i < text.length; i += 2) {
    const r = RIGHTS[text.slice(i, i + 2)];
    if (r === undefined) return null;
    mask |= r;
  }
  return mask >>> 0;
}

/**
 * Parses the subset of SDDL a device object's descriptor may use (IoCreateDeviceSecure's): a DACL
 * only — "D:" with optional flags (P, AI, AR) and ACEs "(A|D;flags;rights;;;sid)" with no
 * inheritance flags or object GUIDs. Returns null for anything else (the caller's
 * STATUS_INVALID_PARAMETER).
 */
export function parseDeviceSddl(sddl: string): SecurityDescriptor | null {
  const m = /^D:((?:P|AI|AR|NO_ACCESS_CONTROL)*)((?:\([^()]*\))*)$/.exec(sddl.replace(/\s+/g, ""));
  if (!m) return null;
  const flags = m[1] ?? "";
  if (flags.includes("NO_ACCESS_CONTROL")) return { dacl: null, protectedDacl: false, sddl };
  const aces: Ace[] = [];
  for (const raw of (m[2] ?? "").match(/\([^()]*\)/g) ?? []) {
    const parts = raw.slice(1, -1).split(";");
    if (parts.length !== 6) return null;
    const [type, aceFlags, rights, objectGuid, inheritGuid, account] = parts as [string, string, string, string, string, string];
    if ((type !== "A" && type !== "D") || aceFlags !== "" || objectGuid !== "" || inheritGuid !== "") return null;
    const mask = parseRights(rights);
    const sid = parseSid(account);
    if (mask === null || sid === null) return null;
    aces.push({ allow: type === "A", mask: mapFileGeneric(mask), sid });
  }
  return { dacl: aces, protectedDacl: flags.includes("P"), sddl };
}

function grants(dacl: readonly Ace[], sids: ReadonlySet<string>, desired: number): number {
  // In order: a deny ACE takes away what no earlier ACE granted; an allow ACE grants what no
  // earlier ACE denied.
  let granted = 0;
  let denied = 0;
  for (const ace of dacl) {
    if (!sids.has(ace.sid)) continue;
    if (ace.allow) granted |= ace.mask & desired & ~denied;
    else denied |= ace.mask & desired & ~granted;
  }
  return granted >>> 0;
}

/**
 * SeAccessCheck for a token against a descriptor: the access granted (generic bits mapped), or null
 * when some of `desiredAccess` is not granted (STATUS_ACCESS_DENIED). MAXIMUM_ALLOWED asks for
 * everything the DACL allows.
 */
export function accessCheck(token: ProcessToken, sd: SecurityDescriptor, desiredAccess: number): number | null {
  const wantMax = (desiredAccess & MAXIMUM_ALLOWED) !== 0;
  const desired = mapFileGeneric(desiredAccess & ~MAXIMUM_ALLOWED);
  if (sd.dacl === null) return wantMax ? FILE_ALL_ACCESS : desired;
  const asked = wantMax ? (FILE_ALL_ACCESS | desired) >>> 0 : desired;
  const sids = new Set<string>([token.user, ...token.groups]);
  let granted = grants(sd.dacl, sids, asked);
  if (token.restricted) granted &= grants(sd.dacl, new Set([WellKnownSid.RC ?? "S-1-5-12"]), asked);
  granted >>>= 0;
  if ((granted & desired) !== desired) return null;
  if (wantMax) return granted === 0 ? null : granted;
  return desired;
}
