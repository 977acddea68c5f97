/** The command line's entry: registers every command, then exports `main`. */
import "./run-command.js";
import "./explore-command.js";
import "./replay-command.js";
import "./merge-command.js";
export { main } from "./main.js";
