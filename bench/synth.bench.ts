/**
 * `npm run bench:synth`: wall time and peak memory of `npm run synth` against a naive baseline measured
 * in the same run — the same stack with `@cdktf/provider-aws` imported from its package root and run
 * through ts-node with type checking. Rounds alternate so machine noise hits both alike.
 *
 * Usage: node --require ./scripts/register-ts.cjs bench/synth.bench.ts [--rounds N]
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..");
const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 3;
const TIME = "/usr/bin/time";

if (!existsSync(TIME)) {
  console.error(`${TIME} (GNU time) is needed for peak memory: apt-get install time`);
  process.exit(1);
}

/** Rewrites deep provider imports to package-root imports, as a project without the deep-path rule has them. */
function toBarrelImports(source: string): string {
  return source.replace(
    /import \{([^}]+)\} from "@cdktf\/provider-aws\/lib\/([\w-]+)";/g,
    (_all, names: string, module: string) => {
      const namespace = module.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
      const values = names
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n !== "" && !n.startsWith("type "));
      const types = names
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n.startsWith("type "))
        .map((n) => n.slice(5));
      // `import X = ns.X` keeps X usable as both a value and a type, like the deep import did.
      return [
        `import { ${namespace} } from "@cdktf/provider-aws";`,
        ...values.map((v) => `import ${v} = ${namespace}.${v};`),
        ...types.map((t) => `type ${t} = ${namespace}.${t};`),
      ].join("\n");
    },
  );
}

function copyRewritten(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    const target = join(to, entry);
    if (statSync(source).isDirectory()) copyRewritten(source, target);
    else if (entry.endsWith(".ts")) writeFileSync(target, toBarrelImports(readFileSync(source, "utf8")));
    else cpSync(source, target);
  }
}

// The baseline lives inside the project so it resolves the same node_modules.
const baselineDir = mkdtempSync(join(root, "bench", ".baseline-"));
for (const dir of ["modules", "stacks", "contract"]) copyRewritten(join(root, dir), join(baselineDir, dir));
cpSync(join(root, "main.ts"), join(baselineDir, "main.ts"));
cpSync(join(root, "cdktf.json"), join(baselineDir, "cdktf.json"));
writeFileSync(
  join(baselineDir, "tsconfig.json"),
  JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      module: "commonjs",
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
    },
    include: ["**/*.ts"],
  }),
);

interface Sample {
  readonly seconds: number;
  readonly peakMiB: number;
  /** The cdk.tf.json written, so the rounds can show both variants synthesized the same stack. */
  readonly stack: string;
}

function measure(command: string[], cwd: string, outdir: string): Sample {
  const report = join(outdir, "time.txt");
  const result = spawnSync(TIME, ["-f", "%e %M", "-o", report, ...command], {
    cwd,
    env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new Error(`${command.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  const written = join(outdir, "stacks", "koaapp", "cdk.tf.json");
  if (!existsSync(written)) throw new Error(`${command.join(" ")} wrote no stack`);
  const [seconds, kib] = readFileSync(report, "utf8").trim().split(/\s+/).slice(-2).map(Number);
  return { seconds, peakMiB: kib / 1024, stack: readFileSync(written, "utf8") };
}

const variants: Record<string, { command: string[]; cwd: string }> = {
  "npm run synth": { command: ["npm", "run", "--silent", "synth"], cwd: root },
  "baseline (root import, ts-node type-check)": {
    command: [process.execPath, "-r", "ts-node/register", "main.ts"],
    cwd: baselineDir,
  },
};
const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));

try {
  for (let round = 1; round <= rounds; round++) {
    for (const [name, { command, cwd }] of Object.entries(variants)) {
      const outdir = mkdtempSync(join(tmpdir(), "bench-synth-"));
      try {
        samples[name].push(measure(command, cwd, outdir));
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    }
    // A ratio means something only if both variants built the same stack from the same sources.
    const stacks = new Set(Object.values(samples).map((s) => s[round - 1]?.stack));
    if (stacks.size !== 1) throw new Error(`round ${round}: the two variants synthesized different stacks`);
  }
} finally {
  rmSync(baselineDir, { recursive: true, force: true });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const [ours, baseline] = Object.keys(variants).map((name) => ({
  name,
  seconds: median(samples[name].map((s) => s.seconds)),
  peakMiB: median(samples[name].map((s) => s.peakMiB)),
}));
const timeRatio = ours.seconds / baseline.seconds;
const memoryRatio = ours.peakMiB / baseline.peakMiB;

console.log(`synth benchmark: ${rounds} alternating rounds, medians (node ${process.version})`);
console.log(`| variant | wall s | peak RSS MiB |`);
console.log(`|---|---:|---:|`);
for (const v of [ours, baseline])
  console.log(`| ${v.name} | ${v.seconds.toFixed(2)} | ${v.peakMiB.toFixed(0)} |`);
console.log(`| ratio (ours / baseline) | ${timeRatio.toFixed(3)} | ${memoryRatio.toFixed(3)} |`);
const target = 0.1;
console.log(
  `target <= ${target}: time ${timeRatio <= target ? "PASS" : "FAIL"}, memory ${memoryRatio <= target ? "PASS" : "FAIL"}`,
);
if (process.argv.includes("--strict") && (timeRatio > target || memoryRatio > target)) process.exit(1);
