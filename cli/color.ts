/**
 * When the command line colours its output, by the conventions terminals and CI systems share:
 * FORCE_COLOR set to anything but "0" or "false" turns colour on even when the output is not a
 * terminal (and wins over the rest, as in Node itself); FORCE_COLOR=0 turns it off; NO_COLOR set
 * to anything but the empty string turns it off (no-color.org); TERM=dumb means a terminal that
 * cannot show colour (or redraw a line). Otherwise: colour on a terminal only.
 */

/** The environment variables {@link wantsColor} reads. */
export type ColorEnv = Readonly<Record<string, string | undefined>>;

/** Whether text written to a stream should carry ANSI colours. */
export function wantsColor(isTTY: boolean | undefined, env: ColorEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    const f = force.trim().toLowerCase();
    if (f === "0" || f === "false") return false;
    // FORCE_COLOR= (empty), 1, 2, 3, true: on.
    return true;
  }
  const noColor = env.NO_COLOR;
  if (noColor !== undefined && noColor !== "") return false;
  if (env.TERM === "dumb") return false;
  return isTTY === true;
}

/** Whether a stream can redraw a line in place (a progress bar): a terminal that is not TERM=dumb. */
export function canRedraw(isTTY: boolean | undefined, env: ColorEnv): boolean {
  return isTTY === true && env.TERM !== "dumb";
}
