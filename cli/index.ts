/** The command line's entry: registers every command, then exports `main`. */
import "./run-command.js";
export { main } from "./main.js";
