/**
 * The verifier's checks of the WDK macros: PAGED_CODE above APC_LEVEL.
 */
import type { Verifier } from "./verifier.js";

/** Installs the WDK-macro rules. */
export function installWdkRules(v: Verifier): void {
  const m = v.machine;
  v.addKernelHooks({
    pagedCodeAtRaisedIrql(t, irql) {
      const driver = v.verifiedDriver();
      if (driver === null) return;
      v.finding("PagedCodeAtRaisedIrql", {
        driver,
        routine: m.currentActivity()?.name ?? null,
        text: `${driver} ran PAGED_CODE() at IRQL ${irql} on ${t.label}: code marked pageable may be paged out, and touching it above APC_LEVEL is a page fault the kernel cannot take (IRQL_NOT_LESS_OR_EQUAL).`,
      });
    },
  });
}
