/**
 * The report of `npm run bench`: the console tables, the targets of the latency middleware (issue 12)
 * with PASS/FAIL, and the same figures as Markdown in artifacts/bench/last-run.md (git-ignored), which
 * `npm run record:bench` copies to the tracked bench/last-run.md, from which the README's benchmark
 * table is copied.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type { Variant } from "./app-server";

/** Where each run writes its Markdown: git-ignored, so a run changes no tracked file. */
export const RUN_FILE = resolve(__dirname, "../artifacts/bench/last-run.md");

/** The tracked record of a run, from which the README's benchmark tables are copied. */
export const RECORDED_RUN_FILE = resolve(__dirname, "last-run.md");

/** The first line of a run's Markdown. */
export const RUN_TITLE = "# Last `npm run bench`";

/** One variant over the separate-process rounds: medians, and medians of each round's ratio to `off`. */
export interface SummaryRow {
  rps: number;
  rpsRatio: number;
  p99: number;
  p99Ratio: number;
  cpu: number;
  cpuRatio: number;
  bytesPerRequest: number;
  documentsPerRequest: number;
}

/** One variant in the interleaved phase. */
export interface Interleaved {
  variant: Variant;
  requestsPerSecond: number;
  cpuMicrosPerRequest: number;
}

interface Target {
  name: string;
  actual: number;
  limit: number;
  atLeast: boolean;
}

const LABELS: Record<Variant, string> = {
  off: "off",
  floor: "floor",
  aggregate: "aggregate",
  request: "request",
  seed: "seed pattern",
  prom: "prom-client",
};

/** Left-pads to `width`. */
export function pad(text: string, width: number): string {
  return text.length >= width ? text : " ".repeat(width - text.length) + text;
}

const times = (ratio: number): string => `${ratio.toFixed(2)}×`;

function targets(
  summary: ReadonlyMap<Variant, SummaryRow>,
  interleaved: readonly Interleaved[],
  aggregateCpuVsProm: number | undefined,
): Target[] {
  const list: Target[] = [];
  const add = (name: string, actual: number | undefined, limit: number | undefined, atLeast: boolean) => {
    if (actual !== undefined && limit !== undefined) list.push({ name, actual, limit, atLeast });
  };
  const aggregate = summary.get("aggregate");
  const request = summary.get("request");
  const prom = summary.get("prom");
  const seed = summary.get("seed");
  const row = (variant: Variant) => interleaved.find((r) => r.variant === variant);
  const off = row("off");
  const ratio = (variant: Variant, pick: (r: Interleaved) => number) => {
    const mine = row(variant);
    return mine && off ? pick(mine) / pick(off) : undefined;
  };
  add(
    "aggregate CPU/req ÷ prom-client's in the same round (separate processes)",
    aggregateCpuVsProm,
    prom ? 1 : undefined,
    false,
  );
  add(
    "aggregate CPU/req ÷ off ≤ prom-client's (interleaved)",
    ratio("aggregate", (r) => r.cpuMicrosPerRequest),
    ratio("prom", (r) => r.cpuMicrosPerRequest),
    false,
  );
  add("aggregate throughput ÷ off (separate processes)", aggregate?.rpsRatio, 0.95, true);
  add(
    "aggregate throughput ÷ off (interleaved)",
    ratio("aggregate", (r) => r.requestsPerSecond),
    0.95,
    true,
  );
  add("request throughput ÷ off (separate processes)", request?.rpsRatio, 0.8, true);
  add(
    "request throughput ÷ off (interleaved)",
    ratio("request", (r) => r.requestsPerSecond),
    0.8,
    true,
  );
  if (aggregate && seed && seed.bytesPerRequest > 0) {
    add("aggregate EMF bytes ÷ seed's", aggregate.bytesPerRequest / seed.bytesPerRequest, 1 / 20, false);
  }
  return list;
}

/** Prints the tables and targets, writes `outputFile`; returns the number of targets missed. */
export function report(input: {
  summary: ReadonlyMap<Variant, SummaryRow>;
  /** Median over rounds of aggregate's CPU per request divided by prom-client's in the same round. */
  aggregateCpuVsProm: number | undefined;
  interleaved: readonly Interleaved[];
  interleavedSeconds: number;
  run: string;
  outputFile: string;
}): number {
  const { summary, interleaved } = input;
  const seed = summary.get("seed");
  const separate = [...summary].map(([variant, row]) => [
    LABELS[variant],
    row.rps.toFixed(0),
    times(row.rpsRatio),
    row.p99.toFixed(1),
    times(row.p99Ratio),
    row.cpu.toFixed(1),
    times(row.cpuRatio),
    row.bytesPerRequest.toFixed(1),
    seed && seed.bytesPerRequest > 0 ? times(row.bytesPerRequest / seed.bytesPerRequest) : "–",
  ]);
  const off = interleaved.find((row) => row.variant === "off");
  const together = off
    ? interleaved.map((row) => [
        LABELS[row.variant],
        row.requestsPerSecond.toFixed(0),
        times(row.requestsPerSecond / off.requestsPerSecond),
        row.cpuMicrosPerRequest.toFixed(1),
        times(row.cpuMicrosPerRequest / off.cpuMicrosPerRequest),
      ])
    : [];
  const separateHead = [
    "variant",
    "req/s",
    "vs off",
    "p99 ms",
    "vs off",
    "CPU µs/req",
    "vs off",
    "EMF B/req",
    "vs seed",
  ];
  const togetherHead = ["variant", "req/s", "vs off", "CPU µs/req", "vs off"];
  const console_ = (head: string[], rows: string[][]) => {
    console.log(head.map((h, i) => pad(h, i === 0 ? 12 : 10)).join(" "));
    for (const row of rows) console.log(row.map((c, i) => pad(c, i === 0 ? 12 : 10)).join(" "));
  };
  console.log(
    "\nseparate processes (medians of rounds; ratios are medians of each round's ratio to its off run)",
  );
  console_(separateHead, separate);
  if (together.length > 0) {
    console.log(
      `\ninterleaved in one server process: ${input.interleavedSeconds} s per variant in 500 ms turns`,
    );
    console_(togetherHead, together);
  }

  const checked = targets(summary, interleaved, input.aggregateCpuVsProm).map((t) => ({
    ...t,
    pass: t.atLeast ? t.actual >= t.limit : t.actual <= t.limit,
  }));
  const lines = checked.map(
    (t) =>
      `${t.pass ? "PASS" : "FAIL"} ${t.name}: ${t.actual.toFixed(3)} (target ${t.atLeast ? "≥" : "≤"} ${t.limit.toFixed(3)})`,
  );
  console.log(`\n${lines.join("\n")}`);

  const markdown = (head: string[], rows: string[][]) =>
    [
      `| ${head.join(" | ")} |`,
      `| ${head.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
      ...rows.map((row) => `| ${row.join(" | ")} |`),
    ].join("\n");
  mkdirSync(dirname(input.outputFile), { recursive: true });
  writeFileSync(
    input.outputFile,
    [
      RUN_TITLE,
      "",
      `${new Date().toISOString().slice(0, 10)}: ${input.run}. Written by bench/app.bench.ts into artifacts/bench/last-run.md and recorded here by \`npm run record:bench\`; copy into the README's middleware benchmark.`,
      "",
      "Separate processes (medians of rounds; ratios are medians of each round's ratio to its `off` run):",
      "",
      markdown(separateHead, separate),
      "",
      `Interleaved in one server process (${input.interleavedSeconds} s per variant in 500 ms turns):`,
      "",
      together.length > 0 ? markdown(togetherHead, together) : "(skipped)",
      "",
      "Targets:",
      "",
      ...lines.map((line) => `- ${line}`),
      "",
    ].join("\n"),
  );
  console.log(
    `\nwritten to ${relative(process.cwd(), input.outputFile)}; \`npm run record:bench\` makes it the tracked record (bench/last-run.md)`,
  );
  return checked.filter((t) => !t.pass).length;
}
