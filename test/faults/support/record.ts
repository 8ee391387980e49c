/**
 * `npm run record:faults`: makes the last fault-suite run the tracked record. `npm run test:faults` writes its
 * table to `artifacts/faults/last-run.md` (git-ignored, so a run leaves the work tree as it found it); this
 * copies it to `test/faults/last-run.md`, the record the README's Reliability table must match
 * (test/readme.test.ts compares them). `recordRun` is the same step for `npm run record:bench`.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RECORDED_RUN_FILE, RUN_FILE, readRecordedRun } from "./summary";

/** What {@link recordRun} copies and how it checks the run first. */
export interface RecordOptions {
  /** The run's file, in artifacts/. */
  readonly run: string;
  /** The tracked record it replaces. */
  readonly record: string;
  /** The command that writes `run`, for the message when there is none. */
  readonly command: string;
  /** Throws when `text` is not a complete run; returns a one-line summary of it. */
  readonly check: (text: string) => string;
}

/**
 * Copies the run to the record after checking it.
 *
 * @returns the line printed: what was recorded, from where, to where
 * @throws Error when there is no run yet, or it is not complete (the record is then left as it was)
 */
export function recordRun(options: RecordOptions): string {
  const root = path.resolve(__dirname, "../../..");
  const relative = (file: string) => path.relative(root, file);
  if (!existsSync(options.run)) {
    throw new Error(
      `no run to record: ${relative(options.run)} does not exist; run \`${options.command}\` first`,
    );
  }
  const text = readFileSync(options.run, "utf8");
  let summary: string;
  try {
    summary = options.check(text);
  } catch (error) {
    throw new Error(`${relative(options.run)} is not a complete run: ${(error as Error).message}`);
  }
  writeFileSync(options.record, text);
  return `recorded ${summary} from ${relative(options.run)} into ${relative(options.record)}`;
}

/**
 * A `record:*` command's body: records the run and prints what was recorded and `next` (what to do with it), or
 * prints why not and sets a failing exit code.
 */
export function recordFromCommandLine(options: RecordOptions, next: string): void {
  try {
    process.stdout.write(`${recordRun(options)}\n${next}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

/** One line about a fault-suite run: its scenarios, failures and start; throws when the JSON block is missing. */
export function checkFaultRun(text: string): string {
  const run = readRecordedRun(text);
  if (run.rows.length === 0) throw new Error("it has no scenario");
  return `${run.rows.length} scenarios (${run.failedScenarios.length} failed) of the run started ${run.startedAt}`;
}

if (require.main === module)
  recordFromCommandLine(
    { run: RUN_FILE, record: RECORDED_RUN_FILE, command: "npm run test:faults", check: checkFaultRun },
    "Copy its figures into the README's Reliability table: npm test checks they match.",
  );
