/**
 * `npm run bench:profile`: where a variant's CPU per request goes. Runs the bench's server child for
 * `off` and for the variant under the same autocannon load, each with `node --cpu-prof`, and prints the
 * self time per request of every file whose share grew, and of the middleware's own functions.
 *
 * Profiles are sampled (100 µs) and include start-up, so a figure below ~10 ns/request is noise; run it
 * on a quiet machine and compare the two runs' totals with the bench's, not absolute values.
 *
 * Usage: node --require ./scripts/register-ts.cjs bench/profile.ts [variant=aggregate] [seconds=10]
 */
import { fork } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { FakeAgent } from "../test/support/fake-agent";
import { TYPESCRIPT_EXEC_ARGV } from "../test/support/typescript";
import type { Variant } from "./app-server";
import { nextMessage, REQUESTS } from "./support";

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Runs one variant under load with the profiler; returns its self time per request by file and function. */
async function profile(variant: Variant, seconds: number, agent: FakeAgent) {
  const dir = mkdtempSync(join(tmpdir(), `profile-${variant}-`));
  const child = fork(join(__dirname, "app-server.ts"), [variant, agent.endpoint], {
    execArgv: [...TYPESCRIPT_EXEC_ARGV, "--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval", "100"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const { port } = await nextMessage(child, "ready");
  const load = (duration: number) =>
    autocannon({ url: `http://127.0.0.1:${port}`, connections: 32, duration, requests: REQUESTS });
  await load(2);
  const started = nextMessage(child, "started");
  child.send({ type: "start" });
  await started;
  await load(seconds);
  const stopped = nextMessage(child, "stopped");
  child.send({ type: "stop" });
  const { cpuMicros, requests, totalRequests } = await stopped;
  await exited;
  // The largest profile is the main thread's (the loader's worker writes its own).
  const file = readdirSync(dir)
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0] as string;
  const data = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(data.nodes.map((node) => [node.id, node.callFrame]));
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  data.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const us = data.timeDeltas[i] ?? 0;
    if (!frame) return;
    const url =
      frame.url.replace(/^file:\/\/.*?\/(node_modules\/|app\/|bench\/)/, "$1") || "(native, GC, idle)";
    byFile.set(url, (byFile.get(url) ?? 0) + us);
    if (url.startsWith("app/")) {
      const name = `${frame.functionName || "(anonymous)"} ${url}:${frame.lineNumber + 1}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    }
  });
  // Per request over the whole process life (start-up included), in ns.
  const perRequest = (us: number) => (us * 1000) / totalRequests;
  return { cpuPerRequest: cpuMicros / requests, byFile, byFunction, perRequest };
}

async function main(): Promise<void> {
  const variant = (process.argv[2] ?? "aggregate") as Variant;
  const seconds = Number(process.argv[3] ?? 10);
  const agent = await FakeAgent.start({ collect: false });
  try {
    const off = await profile("off", seconds, agent);
    const mine = await profile(variant, seconds, agent);
    console.log(
      `CPU per request: off ${off.cpuPerRequest.toFixed(2)} µs, ${variant} ${mine.cpuPerRequest.toFixed(2)} µs ` +
        `(+${((mine.cpuPerRequest - off.cpuPerRequest) * 1000).toFixed(0)} ns)`,
    );
    console.log("\nself time per request by file, where it grew by 10 ns or more (ns):");
    const files = new Set([...off.byFile.keys(), ...mine.byFile.keys()]);
    const grown = [...files]
      .map((file) => ({
        file,
        off: off.perRequest(off.byFile.get(file) ?? 0),
        mine: mine.perRequest(mine.byFile.get(file) ?? 0),
      }))
      .filter((row) => row.mine - row.off >= 10)
      .sort((a, b) => b.mine - b.off - (a.mine - a.off));
    for (const row of grown) {
      console.log(
        `  +${(row.mine - row.off).toFixed(0).padStart(5)}  ${row.file} (${row.off.toFixed(0)} → ${row.mine.toFixed(0)})`,
      );
    }
    console.log(`\nthe middleware's own functions in ${variant} (ns per request):`);
    for (const [name, us] of [...mine.byFunction].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
      console.log(`  ${mine.perRequest(us).toFixed(1).padStart(6)}  ${name}`);
    }
  } finally {
    await agent.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
