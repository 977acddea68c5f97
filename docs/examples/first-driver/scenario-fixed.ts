/**
 * The Ticker scenario on the fixed driver (driver-fixed.ts), under the same name as scenario.ts's,
 * so that a replay string found on the driver as first written replays here.
 */
// #region fixed
import * as fixed from "./driver-fixed.js";
import { makeTickerScenario } from "./scenario.js";

export default makeTickerScenario(fixed.FixedTickerDriverEntry, fixed);
// #endregion fixed
