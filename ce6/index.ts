/**
 * The CE 6.0 layer's barrel for whatever runs a CE machine (tests, scenarios, the command line):
 * the machine, its configuration and its parts. Apps and drivers import `irpsim/ce6`
 * (coredll.ts) instead.
 */
export { CeMachine, ceMachineOptions, CE_SYSTEM_LAYOUT } from "./ce-machine.js";
export type { CeVersion, CeOptions, CeCreateOptions, ReservedRam } from "./ce-machine.js";
export { defaultOemAddressTable, installStaticMapping, checkOemAddressTable, staticToPhysical, physicalToStatic } from "./oem-address-table.js";
export type { OemAddressEntry } from "./oem-address-table.js";
export { CeRegistry } from "./registry.js";
export type { RegistryValue, RegistryKeyValues } from "./registry.js";
export { CeImageStore } from "./images.js";
export type { CeExports } from "./images.js";
export { CeVm } from "./ce-vm.js";
export type { CeReservation, CeMemoryInfo } from "./ce-vm.js";
export { CeDevice, CeDeviceFile } from "./stream-interface.js";
export type { DeviceWindow, StreamEntryPoints } from "./stream-interface.js";
export { activeProcess, vmProcess, directCaller, currentFrame } from "./ce-thread.js";
export * from "./layout.js";
import "./trace-events.js";
