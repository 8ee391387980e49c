/**
 * The Docker engine of the end-to-end tests and the image benchmark: the `docker` CLI as a promise, and
 * a daemon started on demand when none answers.
 *
 * A daemon started here uses the vfs storage driver (works on any filesystem, no kernel modules), no
 * iptables rules and no default bridge, so containers and builds use `--network host`. It keeps the
 * default data root (/var/lib/docker), so images and build cache survive between runs.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Default deadline of one `docker` command, in ms. */
const COMMAND_TIMEOUT_MS = 120_000;

/** How long a started daemon may take to answer. */
const DAEMON_START_TIMEOUT_MS = 90_000;

/** How long a started daemon may take to stop before it is killed. */
const DAEMON_STOP_TIMEOUT_MS = 30_000;

/** Arguments of a daemon started here; see the module comment. */
export const DOCKERD_ARGS: readonly string[] = ["--storage-driver=vfs", "--iptables=false", "--bridge=none"];

/** Neither a running engine nor a way to start one. */
export class DockerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DockerUnavailableError";
  }
}

/** A `docker` command that exited non-zero. */
export class DockerCommandError extends Error {
  /** The exit code, or `undefined` when the command was killed (timeout). */
  readonly exitCode: number | undefined;
  /** What the command wrote to stdout. */
  readonly stdout: string;
  /** What the command wrote to stderr. */
  readonly stderr: string;

  constructor(args: readonly string[], exitCode: number | undefined, stdout: string, stderr: string) {
    // The legacy builder prints the steps, and so the failing step's output, to stdout.
    const stdoutTail = stdout.trimEnd().split("\n").slice(-40).join("\n");
    super(`docker ${args.join(" ")} failed (exit ${exitCode ?? "killed"}):\n${stdoutTail}\n${stderr.trim()}`);
    this.name = "DockerCommandError";
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/** Options of {@link docker}. */
export interface DockerCommandOptions {
  /** Kill the command after this many ms. @default 120000 */
  readonly timeoutMs?: number;
  /** Extra environment of the CLI (e.g. values for `--env NAME`). @default - none */
  readonly env?: Readonly<Record<string, string>>;
}

/** What a `docker` command printed and how it exited. */
export interface DockerResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `docker <args>` and resolves with its result whatever the exit code. The legacy builder is
 * selected (`DOCKER_BUILDKIT=0`) so builds behave alike with or without the buildx plugin.
 *
 * @param args - CLI arguments
 * @param options - timeout and extra environment
 */
export function dockerResult(
  args: readonly string[],
  options: DockerCommandOptions = {},
): Promise<DockerResult> {
  const { timeoutMs = COMMAND_TIMEOUT_MS, env = {} } = options;
  return new Promise((resolve, reject) => {
    execFile(
      "docker",
      [...args],
      {
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, DOCKER_BUILDKIT: "0", ...env },
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          reject(err.killed ? new DockerCommandError(args, undefined, stdout, stderr) : err);
          return;
        }
        resolve({ exitCode: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * Runs `docker <args>` and resolves with its stdout, trimmed.
 *
 * @param args - CLI arguments
 * @param options - timeout and extra environment
 * @throws DockerCommandError when it exits non-zero or times out
 */
export async function docker(args: readonly string[], options: DockerCommandOptions = {}): Promise<string> {
  const result = await dockerResult(args, options);
  if (result.exitCode !== 0)
    throw new DockerCommandError(args, result.exitCode, result.stdout, result.stderr);
  return result.stdout.trim();
}

/** A usable engine, and how to give it back. */
export interface DockerEngine {
  /** Whether the daemon was started by {@link ensureDockerEngine} (and is stopped by `release`). */
  readonly startedHere: boolean;
  /** The daemon's log file when started here. */
  readonly logFile: string | undefined;
  /** Stops the daemon if it was started here; otherwise does nothing. Idempotent. */
  release(): Promise<void>;
}

/** Options of {@link ensureDockerEngine}. */
export interface EnsureDockerEngineOptions {
  /** Progress messages. @default - none */
  readonly log?: (message: string) => void;
}

function onPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/bin", "/sbin"];
  for (const dir of dirs) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory; keep looking.
    }
  }
  return undefined;
}

function engineAnswers(): boolean {
  if (!onPath("docker")) return false;
  try {
    execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "pipe", timeout: 20_000 });
    return true;
  } catch {
    // No daemon behind the socket (or no permission): the caller decides what to do.
    return false;
  }
}

/**
 * Why no engine can be had here, or `undefined` when one answers or can be installed and started
 * (root, with dockerd or apt-get). Cheap and synchronous, so a test file can decide at collection
 * time whether to run.
 */
export function dockerUnavailableReason(): string | undefined {
  if (engineAnswers()) return undefined;
  if (process.platform !== "linux")
    return `no Docker engine answers and none can be started on ${process.platform}`;
  if (process.getuid?.() !== 0) return "no Docker engine answers, and starting dockerd needs root";
  if (!onPath("dockerd") && !onPath("apt-get"))
    return "no Docker engine answers, and neither dockerd nor apt-get is installed";
  return undefined;
}

function installDockerIo(log: (message: string) => void): void {
  log("dockerd not found: apt-get install docker.io");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "pipe", env, timeout: 300_000 });
    execFileSync("apt-get", ["install", "-y", "-qq", "docker.io"], { stdio: "pipe", env, timeout: 600_000 });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new DockerUnavailableError(`installing docker.io failed: ${(err as Error).message}\n${stderr}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: the process is gone.
    return false;
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch (err) {
    return `(no log: ${(err as Error).message})`;
  }
}

/**
 * Returns an engine that answers: the running one, or a daemon started here (installing docker.io
 * with apt-get first when dockerd is missing). Call `release()` when done; it stops only a daemon
 * started here.
 *
 * @param options - progress messages
 * @throws DockerUnavailableError when there is no engine and one cannot be started
 */
export async function ensureDockerEngine(options: EnsureDockerEngineOptions = {}): Promise<DockerEngine> {
  const log = options.log ?? (() => undefined);
  if (engineAnswers()) return { startedHere: false, logFile: undefined, release: async () => undefined };

  const reason = dockerUnavailableReason();
  if (reason) throw new DockerUnavailableError(reason);
  if (!onPath("dockerd")) installDockerIo(log);
  const dockerd = onPath("dockerd");
  if (!dockerd) throw new DockerUnavailableError("docker.io was installed but dockerd is not on PATH");
  if (!onPath("docker"))
    throw new DockerUnavailableError("dockerd is installed but the docker CLI is not on PATH");

  const dir = mkdtempSync(path.join(tmpdir(), "dockerd-"));
  const logFile = path.join(dir, "dockerd.log");
  const pidFile = path.join(dir, "dockerd.pid");
  const out = openSync(logFile, "a");
  log(`starting ${dockerd} ${DOCKERD_ARGS.join(" ")} (log: ${logFile})`);
  const child = spawn(dockerd, [...DOCKERD_ARGS, `--pidfile=${pidFile}`], {
    detached: true,
    stdio: ["ignore", out, out],
  });
  child.unref();
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `dockerd exited (${signal ?? `code ${code}`})`;
  });
  const pid = child.pid;
  if (pid === undefined) throw new DockerUnavailableError(`spawning ${dockerd} failed\n${tail(logFile)}`);

  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    if (alive(pid)) {
      process.kill(pid, "SIGTERM");
      const started = Date.now();
      while (alive(pid) && Date.now() - started < DAEMON_STOP_TIMEOUT_MS) await sleep(100);
      if (alive(pid)) process.kill(pid, "SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const started = Date.now();
  while (!engineAnswers()) {
    if (exited !== undefined || Date.now() - started > DAEMON_START_TIMEOUT_MS) {
      const why = exited ?? `dockerd did not answer within ${DAEMON_START_TIMEOUT_MS} ms`;
      const logText = tail(logFile);
      await release();
      throw new DockerUnavailableError(`${why}\n${logText}`);
    }
    await sleep(250);
  }
  log(`dockerd ${pid} answers after ${Date.now() - started} ms`);
  return { startedHere: true, logFile, release };
}
