/**
 * `irpsim/windriver/kp`: what a Kernel PlugIn includes (wd_kp.h and kpstdlib.h): the KP_INIT and
 * KP_OPEN_CALL structures, the callback types, the kernel copy of WD_KERNEL_PLUGIN_CALL, and
 * COPY_FROM_USER / COPY_TO_USER. KP code also uses `irpsim/wdm` for kernel routines.
 */
export { KP_INIT, KP_OPEN_CALL, WD_KERNEL_PLUGIN_CALL, COPY_FROM_USER, COPY_TO_USER } from "./kernel-plugin.js";
export type { KernelPlugIn, Out, KP_FUNC_OPEN, KP_FUNC_CLOSE, KP_FUNC_CALL, KP_FUNC_INT_ENABLE, KP_FUNC_INT_DISABLE, KP_FUNC_INT_AT_IRQL, KP_FUNC_INT_AT_DPC } from "./kernel-plugin.js";
export { WD_VER, WD_STATUS_SUCCESS, WD_INVALID_PARAMETER } from "./constants.js";
