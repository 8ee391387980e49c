/**
 * Jest global setup of the fault suite: a fresh rows file for the scenario table, and what the
 * teardown needs to say how the table was produced.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { RESULTS_FILE_VARIABLE } from "./summary";

/** Holds the run's start time (ms since the epoch) for the teardown. */
export const STARTED_AT_VARIABLE = "FAULTS_STARTED_AT";

/** Holds the command line that started the run. */
export const COMMAND_VARIABLE = "FAULTS_COMMAND";

/** See the module comment. */
export default function globalSetup(): void {
  const dir = mkdtempSync(path.join(tmpdir(), "faults-run-"));
  process.env[RESULTS_FILE_VARIABLE] = path.join(dir, "rows.jsonl");
  process.env[STARTED_AT_VARIABLE] = String(Date.now());
  const jest = process.argv
    .slice(1)
    .map((arg) => path.relative(process.cwd(), arg) || arg)
    .map((arg) => (arg.startsWith("node_modules/") ? path.basename(arg) : arg))
    .join(" ");
  // `npm run <script>` sets npm_command=run-script; npx sets it to exec with the event "npx".
  const script = process.env.npm_command === "run-script" ? process.env.npm_lifecycle_event : undefined;
  process.env[COMMAND_VARIABLE] = script ? `npm run ${script} (${jest})` : jest;
}
