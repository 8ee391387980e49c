/**
 * Jest global teardown of the fault suite: writes the scenario table of this run to
 * `artifacts/faults/last-run.md` (as a Markdown table and as JSON in a fenced block; a separate .json file
 * would be reformatted by `biome ci .`), and prints it. It runs whether or not tests failed, so a
 * failing run still leaves its table. The tracked `test/faults/last-run.md` changes only through
 * `npm run record:faults`.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { COMMAND_VARIABLE, STARTED_AT_VARIABLE } from "./global-setup";
import { markdownTable, RUN_FILE, readRows, resultsFile, rowPassed, textTable } from "./summary";

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** See the module comment. */
export default function globalTeardown(): void {
  const file = resultsFile();
  const rows = readRows(file);
  const startedAt = Number(process.env[STARTED_AT_VARIABLE] ?? Date.now());
  const wallMs = Date.now() - startedAt;
  const failed = rows.filter((row) => !rowPassed(row));
  const run = {
    command: process.env[COMMAND_VARIABLE] ?? "jest --config jest.faults.config.js --runInBand",
    startedAt: new Date(startedAt).toISOString(),
    wallTimeMs: wallMs,
    node: process.version,
    cpus: os.cpus().length,
    scenarios: rows.length,
    failedScenarios: failed.map((row) => row.scenario),
    rows,
  };
  const json = JSON.stringify(run, null, 2);
  const markdown = [
    "# Fault, load and bad-input suite: last run",
    "",
    "Written by `test/faults/support/global-teardown.ts` at the end of the run into `artifacts/faults/last-run.md`",
    "and recorded here by `npm run record:faults`; do not edit.",
    "",
    `- command: \`${run.command}\``,
    `- started: ${run.startedAt}, wall time ${duration(wallMs)}, node ${run.node}, ${run.cpus} CPUs`,
    `- scenarios: ${rows.length}, failed: ${failed.length}${failed.length ? ` (${run.failedScenarios.join(", ")})` : ""}`,
    "",
    markdownTable(rows),
    "",
    "Columns: requests sent by the load and failed (non-2xx, errors, timeouts); p99 of the measured",
    "window and its ratio to the healthy run; alive = running at the end and exit code 0 on SIGTERM;",
    "latency samples recorded by the service, received by the fake agent, dropped (counted by the",
    "service) and lost = recorded - received - dropped (negative: duplicates).",
    "",
    "```json",
    json,
    "```",
    "",
  ].join("\n");
  mkdirSync(path.dirname(RUN_FILE), { recursive: true });
  writeFileSync(RUN_FILE, markdown);
  process.stdout.write(
    `\nFault suite table (${rows.length} scenarios, ${failed.length} failed, wall time ${duration(wallMs)}):\n` +
      `${textTable(rows)}\n\nwritten to ${path.relative(process.cwd(), RUN_FILE)}; ` +
      "`npm run record:faults` makes it the tracked record (test/faults/last-run.md)\n",
  );
  rmSync(file, { force: true });
  // Only the directory the global setup made; never a shared one such as the temp dir itself.
  if (path.basename(path.dirname(file)).startsWith("faults-run-")) {
    rmSync(path.dirname(file), { recursive: true, force: true });
  }
}
