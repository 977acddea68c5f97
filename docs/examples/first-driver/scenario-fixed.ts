/**
 * The Ticker scenario on the fixed driver (driver-fixed.ts), under the same name as scenario.ts's,
 * so that a replay string found on the driver as first written replays here.
 */
// #region fixed
import { FixedTickerDriverEntry } from "./driver-fixed.js";
import { makeTickerScenario } from "./scenario.js";

export default makeTickerScenario(FixedTickerDriverEntry);
// #endregion fixed
