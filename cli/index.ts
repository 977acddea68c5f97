/** The command line's entry: registers every command, then exports `main`. */
export { main } from "./main.js";
