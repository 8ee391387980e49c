/**
 * The parent side of `server-child.ts`: spawns the service in its own process (so a crash is observed
 * as a crash, and the load generator does not share its event loop), asks it for counters over IPC,
 * sends it SIGTERM, and always kills it on cleanup.
 */
import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import type { LatencyMetricsOptions } from "../../../app/metrics";
import { TYPESCRIPT_EXEC_ARGV } from "../../support/typescript";
import type { ChildMessage, ChildSnapshot, ParentMessage } from "./server-child";

/** Options of {@link startServerProcess}. */
export interface ServerProcessOptions {
  /** Environment variables of the service; it listens on a free loopback port whatever `PORT` says. */
  readonly env: Readonly<Record<string, string>>;
  /** Metrics options layered over the ones `startServer` derives from the environment. @default {} */
  readonly metrics?: Partial<LatencyMetricsOptions>;
  /** Runs the child with `--expose-gc` so {@link ServerProcess.gc} works. @default false */
  readonly exposeGc?: boolean;
  /** How long the child may take to listen. @default 30000 */
  readonly startTimeoutMs?: number;
  /** Which parsed stdout log lines {@link ServerProcess.logLines} keeps. @default - none */
  readonly keepLogLines?: (line: Record<string, unknown>) => boolean;
}

/** What the child reported when it exited after a signal. */
export interface ServerExit {
  /** The process exit code (`null` when it died of a signal). */
  readonly exitCode: number | null;
  /** The signal that killed it, if any. */
  readonly signal: NodeJS.Signals | null;
  /** What `shutdown()` resolved to, when the child got that far. */
  readonly shutdownCode: number | undefined;
  /** Time from sending the signal to the process's exit, in ms. */
  readonly elapsedMs: number;
  /** The final counters, after the metrics were closed. */
  readonly snapshot: ChildSnapshot | undefined;
}

/** A running service child. */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The child's pid. */
  readonly pid: number;
  /** Whether the process is still running. */
  alive(): boolean;
  /** The child's counters and memory now. */
  snapshot(timeoutMs?: number): Promise<ChildSnapshot>;
  /** A full garbage collection in the child (needs `exposeGc`). */
  gc(): void;
  /** Sends `signal` and waits for the exit; kills the child after `timeoutMs`. */
  terminate(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ServerExit>;
  /** Kills the child if it is still running. Never throws. */
  kill(): Promise<void>;
  /** The last lines the child wrote to stdout and stderr, for failure messages. */
  output(): string;
  /** How many log lines carried each `msg`. */
  logCounts(): ReadonlyMap<string, number>;
  /** The log lines `keepLogLines` selected. */
  logLines(): readonly Record<string, unknown>[];
}

const CHILD = path.join(__dirname, "server-child.ts");
const ROOT = path.resolve(__dirname, "..", "..", "..");
/** Output kept for diagnostics: enough for the last warnings, bounded under a flood of log lines. */
const OUTPUT_TAIL_CHARS = 16 * 1024;

/**
 * Starts `server-child.ts` with `options.env` (plus PATH) as its whole environment and waits until it
 * listens.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child = fork(CHILD, [], {
    cwd: ROOT,
    execArgv: [...TYPESCRIPT_EXEC_ARGV, ...(options.exposeGc ? ["--expose-gc"] : [])],
    env: {
      PATH: process.env.PATH ?? "",
      ...options.env,
      FAULTS_METRICS_OPTIONS: JSON.stringify(options.metrics ?? {}),
    },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let tail = "";
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  const messages = new Map<string, number>();
  const logLines: Record<string, unknown>[] = [];
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    keep(chunk);
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        // Not a log line (the service writes only JSON lines to stdout); the tail keeps it for messages.
        continue;
      }
      const msg = String(parsed.msg);
      messages.set(msg, (messages.get(msg) ?? 0) + 1);
      if (options.keepLogLines?.(parsed)) logLines.push(parsed);
    }
  });
  child.stderr?.on("data", keep);
  // 'close' rather than 'exit': it comes after the IPC channel is drained, so "closed" is never missed.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  let closed: Extract<ChildMessage, { type: "closed" }> | undefined;
  const pending = new Map<number, (snapshot: ChildSnapshot) => void>();
  let nextId = 0;
  child.on("message", (message: ChildMessage) => {
    if (message.type === "closed") closed = message;
    else if (message.type === "stats") {
      pending.get(message.id)?.(message.snapshot);
      pending.delete(message.id);
    }
  });

  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await exited;
  };

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`server child did not start in time:\n${tail}`));
    }, options.startTimeoutMs ?? 30_000);
    child.on("message", (message: ChildMessage) => {
      if (message.type !== "ready") return;
      clearTimeout(timer);
      resolve(message.url);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server child exited (${code ?? signal}) before listening:\n${tail}`));
    });
  }).catch(async (err: unknown) => {
    await kill();
    throw err;
  });

  return {
    url,
    pid: child.pid as number,
    alive: () => child.exitCode === null && child.signalCode === null,
    snapshot(timeoutMs = 10_000): Promise<ChildSnapshot> {
      const id = nextId++;
      return new Promise<ChildSnapshot>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`server child did not report its counters within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, (snapshot) => {
          clearTimeout(timer);
          resolve(snapshot);
        });
        sendTo(child, { type: "stats", id });
      });
    },
    gc: () => sendTo(child, { type: "gc" }),
    async terminate(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 60_000): Promise<ServerExit> {
      const started = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const { code, signal: killedBy } = await exited;
      clearTimeout(timer);
      return {
        exitCode: code,
        signal: killedBy,
        shutdownCode: closed?.code,
        elapsedMs: Date.now() - started,
        snapshot: closed?.snapshot,
      };
    },
    kill,
    output: () => tail,
    logCounts: () => messages,
    logLines: () => logLines,
  };
}

function sendTo(child: ChildProcess, message: ParentMessage): void {
  if (child.connected) child.send(message);
}
