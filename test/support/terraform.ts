import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

  /**
   * @param sources - directories copied side by side into the work directory, by name
   * @param root - which of them terraform runs in
   */
  constructor(
    sources: Readonly<Record<string, string>>,
    root: string,
    mirror: string,
    provider: OfflineProvider,
  ) {
    this.base = mkdtempSync(join(tmpdir(), "emf-fargate-tf-"));
    for (const [name, from] of Object.entries(sources)) {
      for (const entry of readdirSync(from)) {
        if (entry === ".terraform" || entry.endsWith(".tfstate") || entry === "plan.bin") continue;
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
    };
  }

  /** Runs terraform with `args`; returns exit status and output instead of throwing. */
  run(args: readonly string[]): { status: number; stdout: string; stderr: string } {
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
    const result = this.run(args);
    if (result.status !== 0) {
      throw new Error(
        `terraform ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
      );
    }
    return result.stdout;
  }

  /** Plans with `vars` (and extra plan arguments) and returns the plan as `terraform show -json` prints it. */
  planJson(
    vars: Readonly<Record<string, string>>,
    planFile = "plan.bin",
    args: readonly string[] = [],
  ): TerraformPlan {
    this.runOk([
      "plan",
      "-input=false",
      "-no-color",
      "-lock=false",
      `-out=${planFile}`,
      ...args,
      ...varArgs(vars),
    ]);
    return JSON.parse(this.runOk(["show", "-json", planFile])) as TerraformPlan;
  }

  /** Removes the copy. */
  destroy(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** `-var name=value` arguments. */
export function varArgs(vars: Readonly<Record<string, string>>): string[] {
  return Object.entries(vars).flatMap(([k, v]) => ["-var", `${k}=${v}`]);
}

/** The parts of `terraform show -json` the tests read. */
export interface TerraformPlan {
  readonly resource_changes: readonly {
    readonly address: string;
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

/** Synthesizes the project's stacks the way `npm run synth` does, into `outdir`. */
export function synthProject(outdir: string, env: NodeJS.ProcessEnv = {}): void {
  execFileSync(process.execPath, ["--require", "./scripts/register-ts.cjs", "main.ts"], {
    cwd: join(__dirname, "..", ".."),
    env: { ...process.env, ...env, CDKTF_OUTDIR: outdir },
    stdio: "pipe",
  });
}
