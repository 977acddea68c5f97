/**
 * When the command line colours its output: on a terminal only, and never when the NO_COLOR
 * environment variable is set to anything but the empty string (the no-color.org convention).
 */

/** Whether text written to a stream should carry ANSI colours. */
export function wantsColor(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  const noColor = env.NO_COLOR;
  if (noColor !== undefined && noColor !== "") return false;
  return isTTY === true;
}
