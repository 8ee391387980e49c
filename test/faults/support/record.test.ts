import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkBenchRun } from "../../../bench/record";
import { checkFaultRun, recordRun } from "./record";
import { RECORDED_RUN_FILE, readRecordedRun } from "./summary";

/** A run file and a record file in a fresh temp directory; the record holds `old record`. */
function files(): { run: string; record: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "record-run-"));
  const record = path.join(dir, "record.md");
  writeFileSync(record, "old record");
  return { run: path.join(dir, "run.md"), record };
}

const COMPLETE_RUN = [
  "# Fault, load and bad-input suite: last run",
  "",
  "```json",
  JSON.stringify({ startedAt: "2026-12-01T15:35:48.853Z", failedScenarios: [], rows: [{ order: 1 }] }),
  "```",
  "",
].join("\n");

describe("recordRun (npm run record:faults, record:bench)", () => {
  it("GIVEN a complete run WHEN recorded THEN the record becomes the run, byte for byte, and the line says what", () => {
    // GIVEN
    const { run, record } = files();
    writeFileSync(run, COMPLETE_RUN);

    // WHEN
    const line = recordRun({ run, record, command: "npm run test:faults", check: checkFaultRun });

    // THEN
    expect(readFileSync(record, "utf8")).toBe(COMPLETE_RUN);
    expect(line).toMatch(
      /^recorded 1 scenarios \(0 failed\) of the run started 2026-12-01T15:35:48\.853Z from .*run\.md into .*record\.md$/,
    );
  });

  it("GIVEN no run yet WHEN recorded THEN it fails naming the command to run, and the record is kept", () => {
    // GIVEN
    const { run, record } = files();

    // WHEN / THEN
    expect(() => recordRun({ run, record, command: "npm run test:faults", check: checkFaultRun })).toThrow(
      /^no run to record: .*run\.md does not exist; run `npm run test:faults` first$/,
    );
    expect(existsSync(run)).toBe(false);
    expect(readFileSync(record, "utf8")).toBe("old record");
  });

  it.each([
    ["no JSON block", "# Fault, load and bad-input suite: last run\n", "it has no ```json block"],
    ["no scenario", COMPLETE_RUN.replace('[{"order":1}]', "[]"), "it has no scenario"],
  ])("GIVEN a run with %s WHEN recorded THEN it fails saying why, and the record is kept", (_, text, why) => {
    // GIVEN
    const { run, record } = files();
    writeFileSync(run, text);

    // WHEN / THEN
    expect(() => recordRun({ run, record, command: "npm run test:faults", check: checkFaultRun })).toThrow(
      new RegExp(`run\\.md is not a complete run: ${why.replace(/[`]/g, "\\$&")}$`),
    );
    expect(readFileSync(record, "utf8")).toBe("old record");
  });

  it("GIVEN the tracked fault record WHEN checked as a run THEN it is a complete one", () => {
    // The record the README shows must stay readable by the same parser that records it.
    const text = readFileSync(RECORDED_RUN_FILE, "utf8");

    expect(checkFaultRun(text)).toMatch(/^\d+ scenarios \(\d+ failed\) of the run started /);
    expect(readRecordedRun(text).rows.length).toBeGreaterThan(0);
  });

  it("GIVEN the bench's report, and a file that is not one WHEN checked THEN the first is summarised and the other refused", () => {
    // GIVEN the tracked bench record, written by the same report
    const report = readFileSync(path.join(__dirname, "../../../bench/last-run.md"), "utf8");

    // WHEN / THEN
    expect(checkBenchRun(report)).toMatch(/^the bench of \d{4}-\d{2}-\d{2}: \d+ rounds × \d+ s, /);
    expect(() => checkBenchRun("# Something else\n")).toThrow(
      "it does not start with # Last `npm run bench`",
    );
    expect(() => checkBenchRun("# Last `npm run bench`\n\nno tables\n")).toThrow("it has no targets");
  });
});
