import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";

/** The provider version @cdktf/provider-aws 20.1.0 binds. */
export const AWS_PROVIDER_VERSION = "5.100.0";

const MIRROR_SUFFIX = join("registry.terraform.io", "hashicorp", "aws", AWS_PROVIDER_VERSION);

/**
 * Finds a filesystem mirror holding hashicorp/aws 5.100.0: `TF_PROVIDER_MIRROR` when set (CI sets it),
 * else a bounded search of the usual roots. No registry is reachable here, so without a mirror
 * `terraform init` cannot get the provider.
 */
export function findProviderMirror(): string | undefined {
  const fromEnv = process.env.TF_PROVIDER_MIRROR;
  if (fromEnv) return existsSync(join(fromEnv, MIRROR_SUFFIX)) ? fromEnv : undefined;
  const search = spawnSync(
    "find",
    [
      "/opt",
      "/usr/local/share",
      "/usr/share",
      process.env.HOME ?? "/root",
      "-maxdepth",
      "6",
      "-type",
      "d",
      "-path",
      `*/${MIRROR_SUFFIX}`,
    ],
    { encoding: "utf8", timeout: 20_000 },
  );
  const hit = search.stdout.split("\n").find((line) => line.endsWith(MIRROR_SUFFIX));
  return hit ? hit.slice(0, -MIRROR_SUFFIX.length - 1) : undefined;
}

/** True when a terraform binary is on PATH. */
export function hasTerraform(): boolean {
  return spawnSync("terraform", ["version"], { encoding: "utf8" }).status === 0;
}

/**
 * The provider mirror and a `describe` that runs when terraform and the mirror are here, skips outside
 * CI when they are not, and fails in CI (`CI=true`), where a missing terraform is a broken machine.
 */
export function terraformSuite(what: string): { mirror: string; describe: jest.Describe } {
  const mirror = findProviderMirror();
  const terraform = hasTerraform();
  if ((!terraform || mirror === undefined) && process.env.CI === "true") {
    throw new Error(
      `${what} cannot run: terraform ${terraform ? "found" : "missing"}, provider mirror ${mirror ?? "missing"} (set TF_PROVIDER_MIRROR)`,
    );
  }
  return { mirror: mirror ?? "", describe: terraform && mirror !== undefined ? describe : describe.skip };
}

/** A finished process: exit status (-1 when killed) and its output. */
export interface ProcessResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * At most this many at once per test file, whatever the cores: terraform and its provider take ~0.7 GB
 * together, and jest runs a file per core.
 */
const MAX_PROCESS_SLOTS = 4;

/**
 * How many processes this test file runs at once. Each terraform command keeps one core busy for 2-4 s:
 * it hashes the 700 MB provider against the lock file (hashicorp/terraform
 * internal/command/meta_providers.go, providerFactoriesFromLocks, commit 000a1625), starts the provider
 * for its schema and again for the walk. The jest worker only waits for it, so with one slot a second core
 * stays idle.
 */
const PROCESS_SLOTS = Math.max(1, Math.min(availableParallelism(), MAX_PROCESS_SLOTS));
let freeSlots = PROCESS_SLOTS;
const waitingForSlot: (() => void)[] = [];

/** Runs `work` once a process slot is free, first come first served. */
async function inSlot<T>(work: () => Promise<T>): Promise<T> {
  if (freeSlots > 0) freeSlots -= 1;
  else await new Promise<void>((resolve) => waitingForSlot.push(resolve));
  try {
    return await work();
  } finally {
    const next = waitingForSlot.shift();
    if (next) next();
    else freeSlots += 1;
  }
}

/** Runs a process in a slot and collects its output; never rejects for a failing exit status. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<ProcessResult> {
  return inSlot(
    () =>
      new Promise<ProcessResult>((resolve, reject) => {
        const child = spawn(command, [...args], {
          cwd: options.cwd,
          env: options.env,
          stdio: ["ignore", "pipe", "pipe"],
          timeout: options.timeoutMs ?? 300_000,
        });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        child.on("error", reject);
        child.on("close", (code) =>
          resolve({
            status: code ?? -1,
            stdout: Buffer.concat(stdout).toString("utf8"),
            stderr: Buffer.concat(stderr).toString("utf8"),
          }),
        );
      }),
  );
}

/**
 * `promise`, marked as handled so that it may reject before a test awaits it: a test started in
 * `beforeAll` and awaited in its own `it` fails that test only, with its own error.
 */
export function started<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Provider settings that let a plan run offline with fake credentials. Written into the test's copy of
 * the configuration only, never into the user's stack.
 */
export const OFFLINE_PROVIDER_SETTINGS = {
  access_key: "AKIAIOSFODNN7EXAMPLE",
  secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  skip_region_validation: true,
};

/** How the test gives the configuration its offline provider. */
export type OfflineProvider =
  /** The configuration has no provider block (the synthesized stack): add one for `region`. */
  | { readonly region: string }
  /** The configuration declares `provider "aws" { alias = ... }`: merge the settings into it. */
  | { readonly overrideAlias: string }
  /** The configuration declares its own default `provider "aws"` (a user's stack): merge the settings into it. */
  | { readonly overrideDefault: true };

/** A copy of Terraform configurations in a temporary directory, run against the provider mirror. */
export class TerraformWorkdir {
  /** Where terraform runs. */
  readonly dir: string;
  private readonly base: string;
  /** The environment terraform runs with (CLI config pointing at the mirror). */
  readonly env: NodeJS.ProcessEnv;
  private readonly sourceNames: readonly string[];

  /**
   * @param sources - directories copied side by side into the work directory, by name
   * @param root - which of them terraform runs in
   */
  constructor(
    sources: Readonly<Record<string, string>>,
    private readonly root: string,
    private readonly mirror: string,
    private readonly provider: OfflineProvider,
  ) {
    this.base = mkdtempSync(join(tmpdir(), "emf-fargate-tf-"));
    this.sourceNames = Object.keys(sources);
    for (const [name, from] of Object.entries(sources)) {
      for (const entry of readdirSync(from)) {
        if (entry === ".terraform" || entry.endsWith(".tfstate") || entry.endsWith(".bin")) continue;
        const source = join(from, entry);
        cpSync(source, join(this.base, name, entry), { recursive: statSync(source).isDirectory() });
      }
    }
    this.dir = join(this.base, root);
    if ("region" in provider) {
      writeFileSync(
        join(this.dir, "zz_test_provider.tf.json"),
        JSON.stringify({ provider: { aws: { region: provider.region, ...OFFLINE_PROVIDER_SETTINGS } } }),
      );
    } else {
      // An override file merges into the provider block of the same name (and alias) instead of adding one.
      const alias = "overrideAlias" in provider ? { alias: provider.overrideAlias } : {};
      writeFileSync(
        join(this.dir, "zz_test_override.tf.json"),
        JSON.stringify({ provider: { aws: { ...alias, ...OFFLINE_PROVIDER_SETTINGS } } }),
      );
    }
    const cliConfig = join(this.base, ".terraformrc");
    writeFileSync(
      cliConfig,
      `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`,
    );
    this.env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: cliConfig,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      TF_DATA_DIR: join(this.dir, ".terraform"),
      AWS_EC2_METADATA_DISABLED: "true",
      // Terraform and the provider it starts (go-plugin passes the environment on) are short-lived Go
      // processes that build the provider's whole schema: collecting garbage a quarter as often cuts their
      // CPU time by about a fifth (plan + show + validate of koaapp: 10.4 → 8.3 CPU-s, peak RSS ~650 MB)
      // and changes nothing they compute (checked: the provider's /proc/<pid>/environ carries it). An
      // explicit GOGC wins.
      GOGC: process.env.GOGC ?? "400",
    };
  }

  /**
   * Another work directory with this one's current files and its initialised `.terraform`, so it plans
   * without a `terraform init` of its own. Init from an unpacked mirror only links the provider directory
   * (hashicorp/terraform internal/providercache/package_install.go, installFromLocalDir, commit 040b56bf;
   * here `.terraform/providers/.../linux_amd64` is a symlink into the mirror),
   * so what the copy saves is init's ~0.5 s, and the copy runs the same provider, checked against the same
   * `.terraform.lock.hcl` (copied with the files).
   *
   * @param options.state - also start from this directory's terraform.tfstate
   */
  fork(options: { readonly state?: boolean } = {}): TerraformWorkdir {
    const data = join(this.dir, ".terraform");
    if (!existsSync(data))
      throw new Error(`${this.dir} is not initialised: run terraform init before fork()`);
    const copy = new TerraformWorkdir(
      Object.fromEntries(this.sourceNames.map((name) => [name, join(this.base, name)])),
      this.root,
      this.mirror,
      this.provider,
    );
    cpSync(data, join(copy.dir, ".terraform"), { recursive: true, verbatimSymlinks: true });
    if (options.state) cpSync(join(this.dir, "terraform.tfstate"), join(copy.dir, "terraform.tfstate"));
    return copy;
  }

  /** Runs terraform with `args`; returns exit status and output instead of throwing. */
  run(args: readonly string[]): ProcessResult {
    const result = spawnSync("terraform", [...args], {
      cwd: this.dir,
      env: this.env,
      encoding: "utf8",
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /** Runs terraform and throws with its output when it fails. */
  runOk(args: readonly string[]): string {
    return succeeded(args, this.run(args));
  }

  /** Plans with `vars` (and extra plan arguments) and returns the plan as `terraform show -json` prints it. */
  planJson(
    vars: Readonly<Record<string, string>>,
    planFile = "plan.bin",
    args: readonly string[] = [],
  ): TerraformPlan {
    this.runOk(planArgs(vars, planFile, args));
    return JSON.parse(this.runOk(["show", "-json", planFile])) as TerraformPlan;
  }

  /** {@link run} in a process slot, without blocking the jest worker. */
  runAsync(args: readonly string[]): Promise<ProcessResult> {
    return runProcess("terraform", args, { cwd: this.dir, env: this.env });
  }

  /** {@link runOk} in a process slot, without blocking the jest worker. */
  async runOkAsync(args: readonly string[]): Promise<string> {
    return succeeded(args, await this.runAsync(args));
  }

  /**
   * {@link planJson} in process slots. Plans of one directory may run at once: `-lock=false` and a plan
   * file of their own each, and a plan writes no state.
   */
  async planJsonAsync(
    vars: Readonly<Record<string, string>>,
    planFile = "plan.bin",
    args: readonly string[] = [],
  ): Promise<TerraformPlan> {
    await this.runOkAsync(planArgs(vars, planFile, args));
    return JSON.parse(await this.runOkAsync(["show", "-json", planFile])) as TerraformPlan;
  }

  /** Removes the copy. */
  destroy(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** The output of a terraform run that exited 0; throws with all its output otherwise. */
function succeeded(args: readonly string[], result: ProcessResult): string {
  if (result.status !== 0) {
    throw new Error(
      `terraform ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** `terraform plan` arguments that save the plan to `planFile`. */
function planArgs(
  vars: Readonly<Record<string, string>>,
  planFile: string,
  args: readonly string[],
): string[] {
  return ["plan", "-input=false", "-no-color", "-lock=false", `-out=${planFile}`, ...args, ...varArgs(vars)];
}

/** `-var name=value` arguments. */
export function varArgs(vars: Readonly<Record<string, string>>): string[] {
  return Object.entries(vars).flatMap(([k, v]) => ["-var", `${k}=${v}`]);
}

/** The parts of `terraform show -json` the tests read. */
export interface TerraformPlan {
  readonly resource_changes: readonly {
    readonly address: string;
    readonly mode?: string;
    readonly type: string;
    readonly change: {
      readonly actions: readonly string[];
      readonly after: Record<string, unknown> | null;
      readonly after_unknown?: Record<string, unknown>;
    };
  }[];
  readonly planned_values: unknown;
  readonly configuration: {
    readonly root_module: TerraformModuleConfig;
  };
  readonly variables?: Record<string, { value: unknown }>;
}

/** A module in `configuration` of `terraform show -json`. */
export interface TerraformModuleConfig {
  readonly resources?: readonly {
    readonly address: string;
    readonly expressions?: Record<string, unknown>;
    readonly depends_on?: readonly string[];
  }[];
  readonly module_calls?: Record<
    string,
    { readonly module: TerraformModuleConfig; readonly expressions?: Record<string, unknown> }
  >;
}

const PROJECT_ROOT = join(__dirname, "..", "..");
const SYNTH_ARGS = ["--require", "./scripts/register-ts.cjs", "main.ts"];

/** Synthesizes the project's stacks the way `npm run synth` does, into `outdir`. */
export function synthProject(outdir: string, env: NodeJS.ProcessEnv = {}): void {
  execFileSync(process.execPath, SYNTH_ARGS, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, CDKTF_OUTDIR: outdir },
    stdio: "pipe",
  });
}

/** {@link synthProject} in a process slot; resolves to the koaapp stack's directory. */
export async function synthProjectAsync(outdir: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const result = await runProcess(process.execPath, SYNTH_ARGS, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, CDKTF_OUTDIR: outdir },
  });
  if (result.status !== 0)
    throw new Error(`synth into ${outdir} failed (${result.status}):\n${result.stderr}`);
  return join(outdir, "stacks", "koaapp");
}

/**
 * The address of the one managed resource of `type` in a plan. Tests name a resource by what it is, not by
 * the construct ids its address is made of, so a change to the construct tree does not break them.
 */
export function addressOf(
  plan: { readonly resource_changes: readonly { address: string; type: string; mode?: string }[] },
  type: string,
): string {
  const found = plan.resource_changes.filter((r) => r.type === type && r.mode !== "data");
  const [only] = found;
  if (!only || found.length > 1) {
    throw new Error(
      `expected one ${type} in the plan, found ${found.length}: ${found.map((r) => r.address).join(", ")}`,
    );
  }
  return only.address;
}
