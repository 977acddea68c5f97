// @ts-check
// The trace events' vocabulary: a field that means the same thing in every event of
// TraceEventMap is described once here instead of on each of the dozens of events that carry it.
// The docs plugin gives an undocumented field of a TraceEventMap event the description below;
// a field not named here, or one whose meaning is the event's own, needs its own doc comment.
export const TRACE_FIELDS = {
  driver: "The driver whose code is involved, by the name it was loaded under (null when unknown).",
  irp: "The IRP's label (`irp#N`), the same in every run of the same schedule.",
  mdl: "The MDL's label (`mdl#N`).",
  file: "The file object's label (`file#N`).",
  port: "The I/O completion port's label.",
  dpc: "The DPC's label.",
  apc: "The APC's label.",
  timer: "The timer's label (the name given to its KTIMER).",
  lock: "The spin lock's label (the name given to its KSPIN_LOCK).",
  interrupt: "The interrupt object's label.",
  routine: "The routine's name: the driver's (or the app's) function name.",
  device: "The device object's name (`\\Device\\…`).",
  process: "The process id.",
  thread: "The thread id.",
  handle: "The handle's value, as its process sees it.",
  status: "The status the step reported (an NTSTATUS, in its unsigned 32-bit form, unless the event says otherwise).",
  statusName: "`status` by its symbolic name (STATUS_PENDING), or in hex when it has none.",
  resultName: "`result` by its symbolic name.",
  lastErrorName: "`lastError` by its symbolic name (ERROR_IO_PENDING).",
  errorName: "`error` by its symbolic name.",
  information: "IoStatus.Information: the bytes transferred, or the request's own value.",
  irql: "An IRQL: 0 PASSIVE_LEVEL, 1 APC_LEVEL, 2 DISPATCH_LEVEL, higher for device interrupts.",
  mode: "The processor mode: KernelMode or UserMode.",
  va: "A virtual address.",
  mappedVa: "The virtual address the pages are mapped at.",
  frames: "Physical page frame numbers, in the order of the pages.",
  api: "The API's name.",
  detail: "The step as the text timeline prints it.",
};
