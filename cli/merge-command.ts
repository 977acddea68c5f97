/**
 * `irpsim merge <shard.json…>`: merges the `--json` reports of `irpsim explore --shard i/n` runs
 * (a CI matrix, say) into the report the whole search gives.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { MergeError, mergeShardReports, readShardReport, type ShardReport } from "../explore/merge.js";
import { exploreJson, formatExploreText } from "../explore/report.js";
import { commands, type OptionValues } from "./commands.js";

commands.set("merge", {
  summary: "merge the --json reports of 'irpsim explore --shard i/n' into one report",
  help: [
    "irpsim merge <shard.json>... [options]",
    "",
    "Reads the reports 'irpsim explore <scenario> --shard i/n --json' wrote, one per shard, and",
    "prints the report the whole search would have given: schedules, distinct schedules and end",
    "states, failures by cause with each cause's earliest schedule, shrunk and explained, and",
    "'all schedules up to bound B explored' only when every shard is there and finished.",
    "",
    "  --json              print the merged report as JSON",
    "  --out <file>        write the report to a file instead of standard output",
    "",
    "Exit status: 0 when no schedule failed, 1 when one did, 2 on bad usage: a file that is not a",
    "shard report, shards of different searches, a shard given twice, or a shard missing (the",
    "report of the shards given is still printed, marked INCOMPLETE).",
  ].join("\n"),
  options: {
    json: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
  // Reads files and merges: nothing here needs to wait, but commands are asynchronous.
  // eslint-disable-next-line @typescript-eslint/require-await
  async run(values: OptionValues, positionals: string[]): Promise<number> {
    const fail = (message: string): number => {
      console.error(`irpsim merge: ${message}`);
      return 2;
    };
    if (positionals.length === 0) return fail("give the shard reports to merge (the --json output of 'irpsim explore --shard i/n')");
    const shards: ShardReport[] = [];
    for (const file of positionals) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        return fail(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return fail(`${file} is not JSON (was it written by 'irpsim explore --json'?)`);
      }
      try {
        shards.push(readShardReport(json, file));
      } catch (e) {
        return fail(e instanceof MergeError ? e.message : String(e));
      }
    }
    let merged;
    try {
      merged = mergeShardReports(shards);
    } catch (e) {
      return fail(e instanceof MergeError ? e.message : String(e));
    }
    const { report, missing, count } = merged;
    const output = values.json === true ? JSON.stringify(exploreJson(report), null, 2) + "\n" : formatExploreText(report) + "\n";
    const out = typeof values.out === "string" ? values.out : null;
    if (out) writeFileSync(out, output);
    else process.stdout.write(output);
    if (missing.length > 0) return fail(`shard${missing.length === 1 ? "" : "s"} ${missing.map((i) => `${i}/${count}`).join(", ")} missing: the report covers only the shards given and claims no bound`);
    return report.failures.length > 0 ? 1 : 0;
  },
});
