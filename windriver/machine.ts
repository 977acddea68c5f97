/**
 * The machine side of WinDriver (what a test or scenario uses, not an app or a driver): the
 * generic driver's DriverEntry, installing Kernel PlugIn images and sampling cards, and a look at
 * the loaded driver's state.
 */
export { WdDriverEntry, windriverState, WD_DEVICE_NAME, WD_SYMBOLIC_LINK } from "./driver.js";
export { WD_DRIVER_NAME_BASE } from "./constants.js";
export { installKernelPlugIn, installedKernelPlugIn } from "./kp-registry.js";
export { SamplingCard, installSamplingCard } from "./sampling-card.js";
export type { SamplingCardOptions } from "./sampling-card.js";
export type { WD_DEVICE_EXTENSION, WdDmaBuffer, WdInterrupt, WdKernelPlugInHandle, WdCard, WdFileContext } from "./driver-state.js";
