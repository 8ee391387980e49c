/**
 * `npm run record:bench`: makes the last `npm run bench` the tracked record. The bench writes its tables to
 * artifacts/bench/last-run.md (git-ignored); this copies them to bench/last-run.md, from which the README's
 * middleware benchmark is copied.
 */
import { recordFromCommandLine } from "../test/faults/support/record";
import { RECORDED_RUN_FILE, RUN_FILE, RUN_TITLE } from "./app-report";

/** One line about a bench run: its date and settings; throws when the Markdown is not a whole report. */
export function checkBenchRun(text: string): string {
  if (!text.startsWith(`${RUN_TITLE}\n`)) throw new Error(`it does not start with ${RUN_TITLE}`);
  if (!text.includes("\nTargets:\n")) throw new Error("it has no targets");
  return `the bench of ${(text.split("\n")[2] ?? "").split(". Written by")[0]}`;
}

if (require.main === module)
  recordFromCommandLine(
    { run: RUN_FILE, record: RECORDED_RUN_FILE, command: "npm run bench", check: checkBenchRun },
    "Copy its tables into the README's middleware benchmark.",
  );
