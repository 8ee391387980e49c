/**
 * The suite's scenario table: each scenario appends one row to a JSON-lines file shared by the test
 * files of one run (jest gives them separate module registries), prints its one-line summary, and the
 * global teardown turns the rows into {@link RUN_FILE}, which `npm run record:faults` copies to
 * {@link RECORDED_RUN_FILE}.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Set by the global setup to the rows file of the current run. */
export const RESULTS_FILE_VARIABLE = "FAULTS_RESULTS_FILE";

/** Where each run writes its table: git-ignored, so running the suite changes no tracked file. */
export const RUN_FILE = path.resolve(__dirname, "../../../artifacts/faults/last-run.md");

/** The tracked record of a run, which the README's Reliability table shows (test/readme.test.ts). */
export const RECORDED_RUN_FILE = path.resolve(__dirname, "../last-run.md");

/** The JSON block of a run's Markdown: how the run was made, and its rows. */
export interface RecordedRun {
  /** The command line that ran the suite. */
  readonly command: string;
  /** When the run started, ISO 8601. */
  readonly startedAt: string;
  /** Wall time of the whole run. */
  readonly wallTimeMs: number;
  /** `process.version` of the run. */
  readonly node: string;
  /** CPUs of the machine. */
  readonly cpus: number;
  /** Number of scenarios that recorded a row. */
  readonly scenarios: number;
  /** Names of the scenarios with a failed target. */
  readonly failedScenarios: readonly string[];
  /** One row per scenario, in the order they were recorded. */
  readonly rows: readonly SummaryRow[];
}

/** The JSON block of a run's Markdown ({@link RUN_FILE} or {@link RECORDED_RUN_FILE}); throws when there is none. */
export function readRecordedRun(markdown: string): RecordedRun {
  const start = markdown.indexOf("```json\n");
  const end = markdown.lastIndexOf("```");
  if (start === -1 || end <= start) throw new Error("it has no ```json block");
  const run = JSON.parse(markdown.slice(start + "```json\n".length, end)) as RecordedRun;
  if (!Array.isArray(run.rows)) throw new Error("its JSON block has no rows");
  return run;
}

/** One checked target of a scenario. */
export interface TargetResult {
  /** What is required, e.g. `failed requests == 0`. */
  readonly name: string;
  /** Whether the run met it. */
  readonly pass: boolean;
  /** The measured value(s). */
  readonly actual: string;
}

/** One row of the table; `null` where a column does not apply to the scenario. */
export interface SummaryRow {
  /** Sort key: section number, then position within it. */
  readonly order: number;
  /** Short name, e.g. `1b agent resets every connection`. */
  readonly scenario: string;
  /** Requests sent by the load (warm-up included). */
  readonly requests: number | null;
  /** Non-2xx responses plus connection errors and timeouts. */
  readonly failed: number | null;
  /** p99 latency of the measured window, in ms. */
  readonly p99Ms: number | null;
  /** `p99Ms` over the healthy reference's (section 1: the control service in the same window). */
  readonly p99Ratio: number | null;
  /** The service process was running at the end and exited 0 on SIGTERM. */
  readonly alive: boolean | null;
  /** Latency samples the service recorded (its own counter, after close). */
  readonly recorded: number | null;
  /** Latency samples in the EMF lines the fake agent received. */
  readonly received: number | null;
  /** Samples the service counted as dropped. */
  readonly dropped: number | null;
  /** `recorded - received - dropped`: silently lost (positive) or duplicated (negative). */
  readonly lost: number | null;
  /** Everything else worth a glance. */
  readonly notes: string;
  /** The targets checked, each with its measured value. */
  readonly targets: readonly TargetResult[];
}

/** The rows file of this run (a per-process temp file when the global setup did not run). */
export function resultsFile(): string {
  return process.env[RESULTS_FILE_VARIABLE] ?? path.join(tmpdir(), `faults-results-${process.pid}.jsonl`);
}

/** Whether every target of `row` passed. */
export function rowPassed(row: SummaryRow): boolean {
  return row.targets.every((target) => target.pass);
}

/** The row of a scenario that could not be measured at all. */
export function errorRow(order: number, scenario: string, err: unknown): SummaryRow {
  return {
    order,
    scenario,
    requests: null,
    failed: null,
    p99Ms: null,
    p99Ratio: null,
    alive: null,
    recorded: null,
    received: null,
    dropped: null,
    lost: null,
    notes: `could not run: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
    targets: [{ name: "scenario ran", pass: false, actual: "error" }],
  };
}

/** Appends `row` to the run's table and prints its one-line summary. */
export function recordRow(row: SummaryRow): void {
  appendFileSync(resultsFile(), `${JSON.stringify(row)}\n`);
  // Straight to the terminal: console.log inside jest adds a stack location to every line.
  process.stdout.write(`\n[faults] ${formatLine(row)}\n`);
}

/** Every row recorded so far in this run, in table order. */
export function readRows(file = resultsFile()): SummaryRow[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as SummaryRow)
    .sort((a, b) => a.order - b.order);
}

const count = (value: number | null): string => (value === null ? "—" : value.toLocaleString("en-US"));

/** The p99 cell: `4.8 ms (1.06× healthy)`. */
function p99Cell(row: SummaryRow): string {
  if (row.p99Ms === null) return "—";
  const ratio = row.p99Ratio === null ? "" : ` (${row.p99Ratio.toFixed(2)}× healthy)`;
  return `${row.p99Ms.toFixed(1)} ms${ratio}`;
}

function aliveCell(row: SummaryRow): string {
  return row.alive === null ? "—" : row.alive ? "yes" : "NO";
}

function resultCell(row: SummaryRow): string {
  const failed = row.targets.filter((target) => !target.pass);
  return failed.length === 0 ? "PASS" : `FAIL: ${failed.map((t) => `${t.name} (${t.actual})`).join("; ")}`;
}

/** The one-line summary of a scenario. */
export function formatLine(row: SummaryRow): string {
  return (
    `${row.scenario}: requests ${count(row.requests)} sent / ${count(row.failed)} failed, ` +
    `p99 ${p99Cell(row)}, alive ${aliveCell(row)}, ` +
    `samples recorded ${count(row.recorded)} / received ${count(row.received)} / dropped ${count(row.dropped)} / ` +
    `lost ${count(row.lost)}${row.notes ? ` — ${row.notes}` : ""} → ${resultCell(row)}`
  );
}

const COLUMNS = [
  "scenario",
  "requests",
  "failed",
  "p99 (× healthy)",
  "alive",
  "recorded",
  "received",
  "dropped",
  "lost",
  "result",
  "notes",
] as const;

function cells(row: SummaryRow): string[] {
  return [
    row.scenario,
    count(row.requests),
    count(row.failed),
    p99Cell(row),
    aliveCell(row),
    count(row.recorded),
    count(row.received),
    count(row.dropped),
    count(row.lost),
    resultCell(row),
    row.notes,
  ].map((cell) => cell.replace(/\|/g, "\\|"));
}

/** The rows as a Markdown table. */
export function markdownTable(rows: readonly SummaryRow[]): string {
  return [
    `| ${COLUMNS.join(" | ")} |`,
    `|${COLUMNS.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${cells(row).join(" | ")} |`),
  ].join("\n");
}

/** The rows as a fixed-width text table for the terminal. */
export function textTable(rows: readonly SummaryRow[]): string {
  const table = [[...COLUMNS], ...rows.map(cells)];
  const widths = COLUMNS.map((_, i) =>
    Math.min(i === COLUMNS.length - 1 ? 200 : 90, Math.max(...table.map((r) => (r[i] ?? "").length))),
  );
  return table
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
