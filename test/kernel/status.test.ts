import { expect } from "chai";
import { NT_ERROR, NT_INFORMATION, NT_SUCCESS, NT_WARNING, STATUS_ACCESS_VIOLATION, STATUS_BUFFER_OVERFLOW, STATUS_CANCELLED, STATUS_OBJECT_NAME_EXISTS, STATUS_PENDING, STATUS_SUCCESS, ntStatusName } from "../../kernel/status.js";
import { ERROR_INVALID_PARAMETER, ERROR_IO_PENDING, ERROR_MORE_DATA, ERROR_NOACCESS, ERROR_NOT_FOUND, ERROR_OPERATION_ABORTED, RtlNtStatusToDosError } from "../../win32/errors.js";
import { NtStatusError } from "../../kernel/nt-status-error.js";

describe("kernel: NTSTATUS", () => {
  it("NT_SUCCESS is true for success and informational statuses, false for warnings and errors", () => {
    expect(NT_SUCCESS(STATUS_SUCCESS)).to.equal(true);
    expect(NT_SUCCESS(STATUS_PENDING)).to.equal(true);
    expect(NT_SUCCESS(STATUS_OBJECT_NAME_EXISTS)).to.equal(true);
    expect(NT_SUCCESS(STATUS_BUFFER_OVERFLOW)).to.equal(false);
    expect(NT_SUCCESS(STATUS_ACCESS_VIOLATION)).to.equal(false);
  });

  it("NT_INFORMATION, NT_WARNING and NT_ERROR read the two severity bits", () => {
    expect(NT_INFORMATION(STATUS_OBJECT_NAME_EXISTS)).to.equal(true);
    expect(NT_WARNING(STATUS_BUFFER_OVERFLOW)).to.equal(true);
    expect(NT_ERROR(STATUS_BUFFER_OVERFLOW)).to.equal(false);
    expect(NT_ERROR(STATUS_CANCELLED)).to.equal(true);
    expect(NT_ERROR(STATUS_SUCCESS) || NT_WARNING(STATUS_SUCCESS) || NT_INFORMATION(STATUS_SUCCESS)).to.equal(false);
  });

  it("a status keeps its symbolic name, signed or unsigned", () => {
    expect(ntStatusName(0xc0000120)).to.equal("STATUS_CANCELLED");
    expect(ntStatusName(0xc0000120 | 0)).to.equal("STATUS_CANCELLED");
    expect(ntStatusName(0xc0ffee00)).to.equal("0xC0FFEE00");
  });

  it("RtlNtStatusToDosError maps the statuses apps see to their Win32 errors", () => {
    expect(RtlNtStatusToDosError(STATUS_PENDING)).to.equal(ERROR_IO_PENDING);
    expect(RtlNtStatusToDosError(STATUS_CANCELLED)).to.equal(ERROR_OPERATION_ABORTED);
    expect(RtlNtStatusToDosError(STATUS_ACCESS_VIOLATION)).to.equal(ERROR_NOACCESS);
    expect(RtlNtStatusToDosError(STATUS_BUFFER_OVERFLOW)).to.equal(ERROR_MORE_DATA);
    expect(RtlNtStatusToDosError(0xc0000225)).to.equal(ERROR_NOT_FOUND);
    expect(RtlNtStatusToDosError(0xc00000f0)).to.equal(ERROR_INVALID_PARAMETER);
  });

  it("RtlNtStatusToDosError passes customer statuses through and reports unknown ones as ERROR_MR_MID_NOT_FOUND", () => {
    expect(RtlNtStatusToDosError(0xe0001234)).to.equal(0xe0001234);
    expect(RtlNtStatusToDosError(0xc0ffee00)).to.equal(317);
    expect(RtlNtStatusToDosError(0x80070005)).to.equal(5);
  });

  it("an NtStatusError carries its status, name and faulting address", () => {
    const e = new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: 0x1234, write: true });
    expect(e.status).to.equal(STATUS_ACCESS_VIOLATION);
    expect(e.message).to.equal("STATUS_ACCESS_VIOLATION at 0x00001234");
    expect(e.write).to.equal(true);
  });
});
