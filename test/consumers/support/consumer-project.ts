import { execFileSync, spawnSync } from "node:child_process";
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
import { dirname, join, relative } from "node:path";

/** The repository root. */
export const REPO_ROOT = join(__dirname, "..", "..", "..");

/** Where `npm run pack` writes the tarballs. */
export const ARTIFACTS_DIR = join(REPO_ROOT, "artifacts");

/** The version of `name` this repository's lockfile installs (so consumers test what we test). */
export function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new Error(`package-lock.json installs no ${name}`);
  return version;
}

/** The one tarball of `packageDir` (e.g. "packages/koa-latency") in artifacts/, as `npm run pack` wrote it. */
export function artifactOf(packageDir: string): string {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, packageDir, "package.json"), "utf8")) as {
    name: string;
    version: string;
  };
  const file = `${manifest.name.replace(/^@/, "").replace("/", "-")}-${manifest.version}.tgz`;
  if (!readdirSync(ARTIFACTS_DIR, { withFileTypes: true }).some((e) => e.name === file)) {
    throw new Error(`${join(ARTIFACTS_DIR, file)} is missing: run npm run pack first`);
  }
  return join(ARTIFACTS_DIR, file);
}

/**
 * The environment a child npm or node runs with: the parent's without the `npm_*` variables `npm run`
 * sets, so the consumer's npm reads its own project, not this repository's configuration.
 */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== "NODE_OPTIONS" && key !== "INIT_CWD") env[key] = value;
  }
  return {
    ...env,
    NPM_CONFIG_UPDATE_NOTIFIER: "false",
    NPM_CONFIG_FUND: "false",
    NPM_CONFIG_AUDIT: "false",
    ...extra,
  };
}

/**
 * A fresh npm project in a temporary directory, outside this repository so that Node's resolution can
 * never fall back to this repository's node_modules: what it has, it installed itself from the npm
 * registry or from a tarball in artifacts/.
 */
export class ConsumerProject {
  /** The project directory. */
  readonly dir: string;

  constructor(name: string, manifest: Record<string, unknown> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), `emf-fargate-consumer-${name}-`));
    this.write(
      "package.json",
      `${JSON.stringify({ name, version: "0.0.0", private: true, ...manifest }, null, 2)}\n`,
    );
  }

  /** Writes `content` to `file` (relative to the project). */
  write(file: string, content: string): void {
    const path = join(this.dir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }

  /** Copies files or directories of this repository into the project, at the same relative paths. */
  copyFromRepo(paths: readonly string[]): void {
    for (const path of paths) {
      const from = join(REPO_ROOT, path);
      cpSync(from, join(this.dir, path), { recursive: statSync(from).isDirectory() });
    }
  }

  /** Copies the files of a directory of this repository (a fixture) into the project's root. */
  copyDirFromRepo(dir: string): void {
    cpSync(join(REPO_ROOT, dir), this.dir, { recursive: true });
  }

  /**
   * `npm install` of `specs` (registry names with versions, or tarball paths), install scripts off and
   * nothing else: no `--legacy-peer-deps`, no `--force`, so a peer conflict fails it (ERESOLVE). Returns
   * what npm printed on stdout and stderr (its warnings).
   */
  install(specs: readonly string[] = []): string {
    const { stdout, stderr } = this.runWithOutput("npm", [
      "install",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      ...specs,
    ]);
    return `${stdout}${stderr}`;
  }

  /** Runs a command in the project; throws with its output when it fails. Returns its stdout. */
  run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
    return this.runWithOutput(command, args, env).stdout;
  }

  /** Runs a command in the project; throws with its output when it fails. Returns its stdout and stderr. */
  runWithOutput(
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
  ): { stdout: string; stderr: string } {
    const result = spawnSync(command, [...args], {
      cwd: this.dir,
      env: cleanEnv(env),
      encoding: "utf8",
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) {
      throw new Error(
        `${command} ${args.join(" ")} failed in ${this.dir} (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
      );
    }
    return { stdout: result.stdout, stderr: result.stderr };
  }

  /** The environment a process started in this project runs with. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return cleanEnv(extra);
  }

  /** Bytes on disk under node_modules (`du`, so what the install really costs). */
  nodeModulesBytes(): number {
    const out = execFileSync("du", ["-sb", join(this.dir, "node_modules")], { encoding: "utf8" });
    return Number(out.split("\t")[0]);
  }

  /** Names of the packages installed in node_modules (scoped ones as @scope/name). */
  installedPackages(): string[] {
    const root = join(this.dir, "node_modules");
    const names: string[] = [];
    for (const entry of readdirSync(root)) {
      if (entry.startsWith(".")) continue;
      if (entry.startsWith("@"))
        for (const sub of readdirSync(join(root, entry))) names.push(`${entry}/${sub}`);
      else names.push(entry);
    }
    return names.sort();
  }

  /**
   * Every package installed anywhere in the tree (nested node_modules included), as `name@version` at its
   * path relative to the project, sorted: what `require` can reach, whatever the lockfile says.
   */
  installedTree(): { name: string; version: string; path: string }[] {
    const found: { name: string; version: string; path: string }[] = [];
    const visit = (modules: string): void => {
      if (!existsSync(modules)) return;
      for (const entry of readdirSync(modules)) {
        if (entry.startsWith(".")) continue;
        const dirs = entry.startsWith("@")
          ? readdirSync(join(modules, entry)).map((sub) => join(modules, entry, sub))
          : [join(modules, entry)];
        for (const dir of dirs) {
          const manifest = join(dir, "package.json");
          if (!existsSync(manifest)) continue;
          const { name, version } = JSON.parse(readFileSync(manifest, "utf8")) as {
            name: string;
            version: string;
          };
          found.push({ name, version, path: relative(this.dir, dir) });
          visit(join(dir, "node_modules"));
        }
      }
    };
    visit(join(this.dir, "node_modules"));
    return found.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** Removes the project. */
  destroy(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
