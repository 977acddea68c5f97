/** The pseudo-handles GetCurrentProcess and GetCurrentThread return, as kernel32 and ntdll treat them. */
import { expect } from "chai";
import * as nt from "../../ntdll/index.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";

describe("win32: pseudo-handles", () => {
  it("CloseHandle on GetCurrentProcess() or GetCurrentThread() has no effect and succeeds (NtClose of a pseudo-handle is STATUS_SUCCESS); the pseudo-handle still works after it", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      w.SetLastError(1234);
      const process = await w.CloseHandle(w.GetCurrentProcess());
      const thread = await w.CloseHandle(w.GetCurrentThread());
      const status = await nt.NtClose(0xfffffffa);
      const still = await w.WaitForSingleObject(w.GetCurrentProcess(), 0);
      return { process, thread, status, lastError: w.GetLastError(), still };
    });
    expect(ok(r)).to.deep.equal({ process: true, thread: true, status: 0, lastError: 1234, still: w.WAIT_TIMEOUT });
  });

  it("a handle value that was never opened still fails CloseHandle with ERROR_INVALID_HANDLE", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => [await w.CloseHandle(0x1234), w.GetLastError(), await w.CloseHandle(0), w.GetLastError()]);
    expect(ok(r)).to.deep.equal([false, w.ERROR_INVALID_HANDLE, false, w.ERROR_INVALID_HANDLE]);
  });
});
