/**
 * What a scenario lets an explorer inject into its runs, and how many of each per run (the
 * budget): "at most one process death and one cancel", say.
 */

/** The kinds of asynchronous event an explorer can inject. */
export const INJECTION_KINDS = ["cancel", "death", "close", "timer", "fault", "forcePending", "surpriseRemove", "sleep"] as const;

/** One kind of injected event. */
export type InjectionKind = (typeof INJECTION_KINDS)[number];

/**
 * How many events of each kind one run may receive. Missing kinds get none.
 *
 * - `cancel`: CancelIoEx of one pending request, from another thread of the requesting process;
 * - `death`: TerminateProcess of an app ("the process dies");
 * - `close`: CloseHandle of an open file handle, from another thread of its process;
 * - `timer`: the earliest set KTIMER fires early, its DPC on another processor;
 * - `fault`: one allocation fails (ExAllocatePoolWithTag, IoAllocateIrp, IoAllocateMdl, …);
 * - `forcePending`: a driver's IoCallDriver returns STATUS_PENDING (Driver Verifier's Force
 *   Pending I/O Requests);
 * - `surpriseRemove`: a started PnP device with requests in flight is unplugged (the PnP manager's
 *   IRP_MN_SURPRISE_REMOVAL, then IRP_MN_REMOVE_DEVICE once its handles close);
 * - `sleep`: while a started PnP device has requests in flight, the system sleeps (S3: query, then
 *   set) and wakes straight back to S0 — the power manager's S-IRPs and the drivers' D-IRPs race the
 *   requests.
 */
export type InjectionBudget = { readonly [K in InjectionKind]?: number };

/** Total injections a budget allows per run. */
export function budgetTotal(b: InjectionBudget): number {
  let n = 0;
  for (const k of INJECTION_KINDS) n += b[k] ?? 0;
  return n;
}
