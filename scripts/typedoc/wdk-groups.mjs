// @ts-check
// A TypeDoc plugin for irpsim's API reference. It does three things, all by rule so that hundreds
// of routines can land without anyone touching it:
//
// 1. Names each module after the package name a user imports ("irpsim/wdm", not "wdm"), and takes
//    an entry file's leading comment as the module's description when it has no @module tag.
// 2. Documents a constant exported by destructuring a documented `as const` table (the
//    `export const { STATUS_SUCCESS, … } = NtStatus` idiom) from that table: the member's own
//    comment if it has one, else its value and a link to the table. Members of such a table are
//    described by their value. A constant outside any table, or a table without a comment, still
//    fails the build when it is undocumented.
// 3. Takes a member's doc comment written inline in a one-line object type (`{ /** … *\/ irp:
//    string; … }`), which TypeDoc itself skips; and describes the undocumented fields of trace events (TraceEventMap) that mean the same in
//    every event (`irp`, `driver`, `status`…) from one vocabulary, ./trace-fields.mjs.
// 4. Groups every module's exports as a reader looks for them: kernel-mode names by the WDK's
//    routine prefix (Io, Ke, Mm, Ex, Ob, Ps, Rtl, Zw, Nt…; Wdf by KMDF object), then structures,
//    routine types, macros and constants; Win32 names by the SDK header that declares them
//    (./win32-headers.mjs); the `irpsim` entry by the layer each name comes from.
import { Comment, Converter, DeclarationReflection, LiteralType, ReferenceReflection, ReflectionGroup, ReflectionKind, ReflectionType } from "typedoc";
import ts from "typescript";
import path from "node:path";
import { entryPoints, root } from "./entries.mjs";
import { TRACE_FIELDS } from "./trace-fields.mjs";
import { win32HeaderOf } from "./win32-headers.mjs";

/** @param {string} text */
const textPart = (text) => ({ kind: /** @type {const} */ ("text"), text });
/** @param {string} text */
const codePart = (text) => ({ kind: /** @type {const} */ ("code"), text: "`" + text + "`" });

/** @param {import("typedoc").Application} app */
export function load(app) {
  const entries = new Map(entryPoints().map((e) => [path.resolve(e.source), e.name]));
  /** Tables: constants whose value is an object literal (`as const` families, RULES). */
  const tables = new Set();
  /** Constants destructured from a table: reflection → [table symbol, member name]. */
  const destructured = new Map();
  /** The file each reflection is declared in, relative to the root (sources are not kept). */
  const files = new WeakMap();
  sourceFileOf = (r) => files.get(target(r)) ?? "";

  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    const symbol = context.getSymbolFromReflection(reflection);
    const decl = symbol?.declarations?.[0];
    if (!decl) return;
    files.set(reflection, path.relative(root, decl.getSourceFile().fileName).split(path.sep).join("/"));
    if (reflection.kindOf(ReflectionKind.Module)) {
      nameModule(reflection, decl.getSourceFile());
      return;
    }
    if (reflection.kindOf(ReflectionKind.Property) && !reflection.comment) {
      const inline = inlineDocComment(decl);
      if (inline) reflection.comment = new Comment([textPart(inline)]);
    }
    if (!reflection.kindOf(ReflectionKind.Variable)) return;
    if (ts.isVariableDeclaration(decl) && decl.initializer && isConstAssertedObject(decl.initializer)) tables.add(reflection);
    if (ts.isBindingElement(decl) && ts.isObjectBindingPattern(decl.parent) && ts.isVariableDeclaration(decl.parent.parent)) {
      const init = decl.parent.parent.initializer;
      if (init && ts.isIdentifier(init)) {
        const member = decl.propertyName && ts.isIdentifier(decl.propertyName) ? decl.propertyName.text : decl.name.getText();
        const at = context.checker.getSymbolAtLocation(init);
        // An imported table is an alias of the table itself.
        const table = at && at.flags & ts.SymbolFlags.Alias ? context.checker.getAliasedSymbol(at) : at;
        destructured.set(reflection, { table, member, checker: context.checker });
      }
    }
  });

  /**
   * @param {import("typedoc").DeclarationReflection} reflection
   * @param {ts.SourceFile} file
   */
  function nameModule(reflection, file) {
    const name = entries.get(path.resolve(file.fileName));
    if (name) reflection.name = name;
    if (!reflection.comment) {
      const lead = /^\s*\/\*\*([\s\S]*?)\*\//.exec(file.text);
      if (lead?.[1]) {
        const text = lead[1].split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n").trim();
        reflection.comment = new Comment([textPart(text)]);
      }
    }
  }

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const map of context.project.getReflectionsByKind(ReflectionKind.Interface)) {
      if (map.name !== "TraceEventMap" || !(map instanceof DeclarationReflection)) continue;
      for (const event of map.children ?? []) {
        if (!(event.type instanceof ReflectionType)) continue;
        for (const field of event.type.declaration.children ?? []) {
          const text = TRACE_FIELDS[/** @type {keyof typeof TRACE_FIELDS} */ (field.name)];
          if (!field.hasComment() && text) field.comment = new Comment([textPart(text)]);
        }
      }
    }
    // Tables: object literals, and constants built from one (a spread or rest of a table) whose
    // members are all literal values.
    for (const v of context.project.getReflectionsByKind(ReflectionKind.Variable)) {
      if (!(v instanceof DeclarationReflection) || !v.hasComment() || !(v.type instanceof ReflectionType)) continue;
      const members = v.type.declaration.children ?? [];
      const allValues = members.length > 0 && members.every((c) => c.type instanceof LiteralType);
      if (tables.has(v) || allValues) describeMembers(v.type.declaration, v.name);
    }
    for (const [reflection, { table, member, checker }] of destructured) {
      if (reflection.hasComment() || !table) continue;
      const tableReflection = [...tables].find((t) => context.getSymbolFromReflection(t) === table && t.parent === reflection.parent)
        ?? [...tables].find((t) => context.getSymbolFromReflection(t) === table);
      // A table the entry does not export is described by its own comment instead of a link.
      const tableDoc = ts.displayPartsToString(table.getDocumentationComment(checker)).trim();
      if (tableReflection ? !tableReflection.hasComment() : !tableDoc) continue;
      const memberSymbol = checker.getTypeOfSymbol(table).getProperty(member);
      const own = memberSymbol ? ts.displayPartsToString(memberSymbol.getDocumentationComment(checker)).trim() : "";
      const value = reflection.type instanceof LiteralType ? formatValue(reflection.type.value) : "";
      /** @type {import("typedoc").CommentDisplayPart[]} */
      const parts = [];
      if (own) parts.push(textPart(own + (value ? " " : "")));
      if (value) parts.push(codePart(`${member} = ${value}`), textPart(", "));
      const oneOf = parts.length > 0 ? "one of " : "One of ";
      if (tableReflection) {
        parts.push(textPart(oneOf), { kind: "inline-tag", tag: "@link", text: tableReflection.name, target: tableReflection });
        parts.push(textPart("."));
      } else {
        parts.push(textPart(`${oneOf}${table.name}: ${tableDoc}`));
      }
      reflection.comment = new Comment(parts);
    }
  });

  /**
   * Describes the undocumented members of a documented table by their value.
   *
   * @param {import("typedoc").DeclarationReflection} literal
   * @param {string} path
   */
  function describeMembers(literal, path) {
    for (const member of literal.children ?? []) {
      const here = `${path}.${member.name}`;
      const isValue = member.type instanceof LiteralType || (member.type instanceof ReflectionType && !member.type.declaration.signatures?.length);
      // Only values are described by their table; a function in a table still needs its own comment.
      if (!isValue || !member.kindOf(ReflectionKind.Property)) continue;
      if (!member.hasComment()) {
        member.comment = member.type instanceof LiteralType
          ? new Comment([codePart(formatValue(member.type.value))])
          : new Comment([textPart("The "), codePart(member.name), textPart(" entry of "), codePart(path), textPart(".")]);
      }
      if (member.type instanceof ReflectionType) describeMembers(member.type.declaration, here);
    }
  }

  // Before TypeDoc's own GroupPlugin (priority -100), which leaves a reflection's groups alone once set.
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      if (!(module instanceof DeclarationReflection) || !module.children) continue;
      const groupOf = grouperFor(module.name);
      if (!groupOf) continue;
      /** @type {Map<string, (DeclarationReflection)[]>} */
      const byTitle = new Map();
      for (const child of module.children) {
        const title = groupOf(child, app.logger);
        const list = byTitle.get(title) ?? [];
        list.push(child);
        byTitle.set(title, list);
      }
      module.groups = [...byTitle.entries()]
        .sort(([a], [b]) => groupRank(a) - groupRank(b) || a.localeCompare(b))
        .map(([title, children]) => {
          const group = new ReflectionGroup(title, module);
          group.children = children.sort((x, y) => x.name.localeCompare(y.name));
          return group;
        });
    }
  }, 0);
}

/**
 * The doc comment written before a member on the same line as other code
 * (`{ /** the IRP *\/ irp: string; /** its status *\/ status: number }`), which TypeDoc does not
 * take: a one-line object type documents its members this way.
 *
 * @param {ts.Declaration} decl
 * @returns {string | null}
 */
function inlineDocComment(decl) {
  const sf = decl.getSourceFile();
  const trivia = sf.text.slice(decl.pos, decl.getStart(sf));
  const m = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(trivia);
  return m?.[1] ? m[1].replace(/^\s*\*\s?/gm, "").trim() : null;
}

/** @param {string | number | bigint | boolean | null | { negative: boolean; value: string }} value */
function formatValue(value) {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0) return String(value);
    const hex = "0x" + value.toString(16).toUpperCase().padStart(value > 0xffff ? 8 : 2, "0");
    return value < 10 ? String(value) : `${hex} (${value})`;
  }
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/**
 * A table: an object literal, as such or under `as const` / `satisfies`.
 *
 * @param {ts.Expression} node
 * @returns {boolean}
 */
function isConstAssertedObject(node) {
  if (ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) return isConstAssertedObject(node.expression);
  return ts.isObjectLiteralExpression(node);
}

// ---- Grouping ---------------------------------------------------------------------------------

/** Kernel-mode routine prefixes, as the WDK documents them; the longest match wins. */
const KERNEL_PREFIXES = {
  Io: "Io — I/O manager",
  Ke: "Ke — kernel core",
  Mm: "Mm — memory manager",
  Ex: "Ex — executive support",
  Ob: "Ob — object manager",
  Ps: "Ps — processes and threads",
  Rtl: "Rtl — run-time library",
  Zw: "Zw — system services (kernel callers)",
  Nt: "Nt — system services",
  Hal: "Hal — hardware abstraction layer",
  Kd: "Kd, Dbg — debugging",
  Dbg: "Kd, Dbg — debugging",
  Cm: "Cm — configuration manager",
  Po: "Po — power manager",
  Se: "Se — security",
  Wmi: "Wmi — WMI",
  Interlocked: "Interlocked operations",
  Wdf: "Wdf — framework (other)",
};

/** KMDF objects: a Wdf routine is grouped under the object it acts on (WdfRequestComplete → WDFREQUEST). */
const WDF_OBJECTS = ["WdfDriver", "WdfDeviceInit", "WdfDevice", "WdfControlDevice", "WdfFdoInit", "WdfPdoInit", "WdfIoQueue", "WdfIoTarget", "WdfRequest", "WdfFileObject", "WdfMemory", "WdfObject", "WdfCollection", "WdfTimer", "WdfDpc", "WdfWorkItem", "WdfInterrupt", "WdfSpinLock", "WdfWaitLock", "WdfRegistry", "WdfString", "WdfChildList", "WdfDma", "WdfCommonBuffer", "WdfUsb", "WdfVerifier"];

const GROUP_ORDER = [/^Files and devices/, /^Events and waits/, /^I\/O completion/, /^Object attributes/, /^Io /, /^Ke /, /^Mm /, /^Ex /, /^Ob /, /^Ps /, /^Rtl /, /^Zw /, /^Nt /, /^Hal /, /^Wdf/, /^WDF/, /^Kd/, /^Interlocked/, /^Lists/, /^Structures/, /^Routine types/, /^Macros/, /^NTSTATUS/, /^IRP major/, /^Constants/, /^Create dispositions/, /^Access rights/, /^Exceptions/];

/**
 * Where a group goes: the WDK's order first, then the rest alphabetically (Win32 headers), then
 * irpsim's own helpers last.
 *
 * @param {string} title
 */
function groupRank(title) {
  if (/^(Memory access|irpsim|Other)/.test(title)) return 1000;
  const i = GROUP_ORDER.findIndex((r) => r.test(title));
  return i === -1 ? 500 : i;
}

/** @param {string} name */
const isAllCaps = (name) => /^[A-Z][A-Z0-9_]*$/.test(name);

/**
 * The grouping rule for a module, by its package name.
 *
 * @param {string} moduleName
 * @returns {((r: import("typedoc").DeclarationReflection, logger: import("typedoc").Logger) => string) | null}
 */
function grouperFor(moduleName) {
  if (moduleName === "irpsim/ntdll") return ntdllGroup;
  if (moduleName === "irpsim/wdf") return wdfGroup;
  if (moduleName === "irpsim/wdm") return kernelGroup;
  if (moduleName === "irpsim/win32") return win32Group;
  if (moduleName === "irpsim") return (r) => layerGroup(r);
  if (moduleName === "irpsim/ce6") return ce6Group;
  return null; // TypeDoc's own grouping, by kind
}

/** @param {import("typedoc").DeclarationReflection} r */
function target(r) {
  return r instanceof ReferenceReflection ? r.tryGetTargetReflectionDeep() ?? r : r;
}

/** @type {(r: import("typedoc").Reflection) => string} The file a reflection is declared in (set by load). */
let sourceFileOf = () => "";

/** @param {import("typedoc").DeclarationReflection} r */
function sourceFile(r) {
  return sourceFileOf(r);
}

/** @param {import("typedoc").DeclarationReflection} r */
function isFunctionLike(r) {
  const t = /** @type {import("typedoc").DeclarationReflection} */ (target(r));
  if (t.kindOf(ReflectionKind.Function)) return true;
  return t.kindOf(ReflectionKind.Variable) && t.type instanceof ReflectionType && (t.type.declaration.signatures?.length ?? 0) > 0;
}

/** @param {import("typedoc").DeclarationReflection} r */
function isRoutineType(r) {
  const t = /** @type {import("typedoc").DeclarationReflection} */ (target(r));
  if (!t.kindOf(ReflectionKind.TypeAlias | ReflectionKind.Interface)) return false;
  if (t.type instanceof ReflectionType && (t.type.declaration.signatures?.length ?? 0) > 0) return true;
  return (t.signatures?.length ?? 0) > 0;
}

/** The handle type KMDF names each object by, where it is not the routine prefix upper-cased. */
const WDF_HANDLES = { WdfIoQueue: "WDFQUEUE", WdfDeviceInit: "PWDFDEVICE_INIT", WdfControlDevice: "WDFDEVICE", WdfFdoInit: "PWDFDEVICE_INIT", WdfPdoInit: "PWDFDEVICE_INIT" };

/** @param {string} object a WDF_OBJECTS entry */
const wdfTitle = (object) => `${object} — ${WDF_HANDLES[/** @type {keyof typeof WDF_HANDLES} */ (object)] ?? object.replace(/^Wdf/, "WDF").toUpperCase()}`;

/** Handle-type spellings that are not the routine prefix (WDFQUEUE is WdfIoQueue's). */
const WDF_ALIASES = { QUEUE: "WdfIoQueue" };

/**
 * KMDF (irpsim/wdf): every name under the object it belongs to, as the KMDF reference arranges
 * them — routines by prefix (WdfRequestComplete → WdfRequest), and the structures, callbacks and
 * handle types by the object their name carries (WDF_IO_QUEUE_CONFIG, EVT_WDF_IO_QUEUE_IO_READ and
 * WDFQUEUE → WdfIoQueue); what names no object falls back to the kernel-mode grouping.
 *
 * @param {import("typedoc").DeclarationReflection} r
 */
function wdfGroup(r) {
  const name = r.name;
  const prefixed = WDF_OBJECTS.filter((o) => name.startsWith(o) && /^[A-Z]/.test(name.slice(o.length))).sort((a, b) => b.length - a.length)[0];
  if (prefixed) return wdfTitle(prefixed);
  const m = /^(?:PFN_WDF_|EVT_WDF_|WDF_|PWDF|WDF)([A-Z][A-Z0-9_]*)$/.exec(name);
  if (m?.[1]) {
    const rest = m[1].replace(/_/g, "");
    const alias = Object.entries(WDF_ALIASES).find(([k]) => rest.startsWith(k))?.[1];
    const object = alias ?? WDF_OBJECTS.filter((o) => rest.startsWith(o.slice(3).toUpperCase())).sort((a, b) => b.length - a.length)[0];
    if (object) return wdfTitle(object);
  }
  const kernel = kernelGroup(r);
  return kernel.startsWith("Routine types") ? "Callback types (EVT_WDF_…)" : kernel;
}

/**
 * Kernel-mode names (irpsim/wdm, irpsim/ntdll, irpsim/wdf).
 *
 * @param {import("typedoc").DeclarationReflection} r
 */
function kernelGroup(r) {
  const name = r.name;
  const t = target(r);
  if (sourceFile(r) === "kernel/c-struct.ts") return "Structures over memory (CSTRUCT, CUNION, the C data types)";
  if (isFunctionLike(r)) {
    if (/^(InitializeListHead|IsListEmpty|(Insert|Remove)(Head|Tail|Entry)List|(Push|Pop)EntryList)$/.test(name)) return "Lists (doubly and singly linked)";
    // WDK routines without a prefix, where the WDK documents them.
    if (/^ProbeFor(Read|Write)$/.test(name)) return KERNEL_PREFIXES.Mm;
    const wdf = WDF_OBJECTS.filter((o) => name.startsWith(o) && /^[A-Z]/.test(name.slice(o.length))).sort((a, b) => b.length - a.length)[0];
    if (wdf) return wdfTitle(wdf);
    const prefix = Object.keys(KERNEL_PREFIXES).filter((p) => name.startsWith(p) && /^[A-Z_]/.test(name.slice(p.length))).sort((a, b) => b.length - a.length)[0];
    if (prefix) return KERNEL_PREFIXES[/** @type {keyof typeof KERNEL_PREFIXES} */ (prefix)];
    if (isAllCaps(name)) return "Macros (CTL_CODE, NT_SUCCESS, CONTAINING_RECORD…)";
    return "Memory access and other irpsim helpers";
  }
  if (isRoutineType(r)) return "Routine types (DRIVER_DISPATCH, DRIVER_CANCEL…)";
  if (t.kindOf(ReflectionKind.Class | ReflectionKind.Interface)) {
    if (/Error$/.test(name)) return "Exceptions";
    return "Structures and objects";
  }
  if (name.startsWith("STATUS_") || name === "NtStatus" || name === "NTSTATUS" || name === "NtStatusName") return "NTSTATUS values";
  if (name.startsWith("IRP_MJ_") || name === "IrpMajor") return "IRP major functions";
  if (t.kindOf(ReflectionKind.TypeAlias)) return "Structures and objects";
  return "Constants";
}

/** irpsim/ntdll's names by what they are for, as its index.ts arranges them; the file decides. */
const NTDLL_FILES = {
  "ntdll/file": "Files and devices (NtCreateFile, NtDeviceIoControlFile…)",
  "ntdll/types": "Files and devices (NtCreateFile, NtDeviceIoControlFile…)",
  "io-manager/create-options": "Create dispositions, create options, file information classes",
  "ntdll/sync": "Events and waits",
  "kernel/dispatcher": "Events and waits",
  "ntdll/completion": "I/O completion ports",
  "io-manager/completion-port": "I/O completion ports",
  "kernel/object-attributes": "Object attributes (OBJECT_ATTRIBUTES, OBJ_*)",
  "kernel/rtl-string": "Rtl — counted strings (UNICODE_STRING, ANSI_STRING)",
  "kernel/api-rtl": "Rtl — memory, and memory access (a C pointer dereference)",
  "kernel/c-struct": "Structures over memory (CSTRUCT, CUNION, the C data types)",
  "kernel/debug-print": "Kd, Dbg — debugging",
  "ntdll/dos-error": "NTSTATUS values and their Win32 errors",
  "kernel/status": "NTSTATUS values and their Win32 errors",
  "kernel/nt-status-error": "Exceptions",
  "kernel/sync-objects": "Access rights",
  "kernel/access-rights": "Access rights",
  "io-manager/constants": "Access rights, sharing and IOCTL codes",
};

/**
 * irpsim/ntdll: by the part of the native API a name belongs to; a name from a file not listed
 * falls back to the kernel-mode grouping (by routine prefix).
 *
 * @param {import("typedoc").DeclarationReflection} r
 */
function ntdllGroup(r) {
  const file = sourceFile(r).replace(/\.ts$/, "");
  return NTDLL_FILES[/** @type {keyof typeof NTDLL_FILES} */ (file)] ?? kernelGroup(r);
}

/**
 * Win32 names by the SDK header that declares them.
 *
 * @param {import("typedoc").DeclarationReflection} r
 * @param {import("typedoc").Logger} logger
 */
function win32Group(r, logger) {
  const header = win32HeaderOf(r.name, sourceFile(r));
  if (header) return header;
  logger.warn(`${r.name} (${sourceFile(r)}): which Win32 header declares it? Add it to scripts/typedoc/win32-headers.mjs`);
  return "unassigned";
}

/** Where the `irpsim` entry's names come from, by folder. */
const LAYERS = {
  kernel: "The machine",
  "io-manager": "Drivers and the I/O manager",
  scenario: "Scenarios",
  report: "Reports",
  explore: "Exploring schedules",
  verifier: "The verifier",
  ce6: "Windows CE 6.0",
  windriver: "WinDriver",
  win32: "The machine",
};

/** @param {import("typedoc").DeclarationReflection} r */
function layerGroup(r) {
  const file = sourceFile(r);
  if (file.startsWith("scenario/inspect")) return "Inspecting the machine";
  const folder = file.split("/")[0] ?? "";
  return LAYERS[/** @type {keyof typeof LAYERS} */ (folder)] ?? "Other";
}

/** CE 6.0 names by the part of coredll (or CEDDK, or the kernel) they come from. */
const CE_FILES = {
  "ce6/coredll/processes": "Processes, threads and callers",
  "ce6/coredll/sync": "Synchronization",
  "ce6/coredll/memory": "Virtual memory",
  "ce6/coredll/ceddk": "CEDDK",
  "ce6/coredll/files": "Devices and files",
  "ce6/coredll/marshal": "Caller buffers and marshalling",
  "ce6/coredll/kernel-library": "Kernel libraries",
  "ce6/kernel-library": "Kernel libraries",
  "ce6/coredll/interrupts": "Interrupts",
  "ce6/coredll/time": "Time",
  "ce6/coredll/debug": "Debug output",
  "ce6/coredll/errors": "Errors",
  "ce6/stream-interface": "Stream driver interface (XXX_ entry points)",
  "ce6/images": "Stream driver interface (XXX_ entry points)",
  "ce6/constants": "Constants",
  "ce6/layout": "Address layout",
  "kernel/api-rtl": "Memory access (a C pointer dereference)",
};

/** @param {import("typedoc").DeclarationReflection} r */
function ce6Group(r) {
  const file = sourceFile(r).replace(/\.ts$/, "");
  return CE_FILES[/** @type {keyof typeof CE_FILES} */ (file)] ?? "Other";
}
