/**
 * The parent side of `load-child.ts`: one load process per test file, runs started and stopped over
 * IPC, results sent back whole. Killed on close (and when the parent dies, since it exits on disconnect).
 */
import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { TYPESCRIPT_EXEC_ARGV } from "../../support/typescript";
import type { HttpLoopOptions, RequestRecord } from "./http-loop";
import type { LoadOptions, LoadResult } from "./load";
import type { LoadCommand, LoadReply } from "./load-child";

/** A run in the load process. */
export interface RemoteRun<T> {
  /** Resolves once the load process has started it. */
  readonly started: Promise<void>;
  /** Resolves with the run's result once it ended. */
  readonly done: Promise<T>;
  /** Ends it early. */
  stop(): void;
}

const CHILD = path.join(__dirname, "load-child.ts");

/** See the module comment. */
export class LoadGenerator {
  private nextId = 0;
  private readonly waiting = new Map<
    number,
    { started(): void; result(value: unknown): void; failed(err: Error): void }
  >();
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (reply: LoadReply) => {
      const run = this.waiting.get(reply.id);
      if (!run) return;
      if (reply.type === "started") run.started();
      else if (reply.type === "result") {
        this.waiting.delete(reply.id);
        run.result(reply.result);
      } else {
        this.waiting.delete(reply.id);
        run.failed(new Error(`load run failed: ${reply.message}`));
      }
    });
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        for (const run of this.waiting.values()) {
          run.failed(new Error(`the load process exited (${code ?? signal}) during a run`));
        }
        this.waiting.clear();
        resolve();
      }),
    );
  }

  /** Starts the load process. */
  static async start(): Promise<LoadGenerator> {
    const child = fork(CHILD, [], {
      execArgv: [...TYPESCRIPT_EXEC_ARGV],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    return new LoadGenerator(child);
  }

  /** An autocannon run. */
  autocannon(options: LoadOptions): RemoteRun<LoadResult> {
    return this.run((id) => ({ type: "autocannon", id, options }));
  }

  /** A Node-client loop that keeps every request's outcome. */
  httpLoop(options: HttpLoopOptions): RemoteRun<RequestRecord[]> {
    return this.run((id) => ({ type: "http-loop", id, options }));
  }

  /** Kills the load process. Never throws. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }

  private run<T>(command: (id: number) => LoadCommand): RemoteRun<T> {
    const id = this.nextId++;
    let markStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const done = new Promise<T>((resolve, reject) => {
      this.waiting.set(id, {
        started: markStarted,
        result: (value) => resolve(value as T),
        failed: reject,
      });
    });
    // A run that fails before it starts must not leave `started` pending forever.
    done.catch(() => markStarted());
    this.child.send(command(id));
    return {
      started,
      done,
      stop: () => {
        if (this.child.connected) this.child.send({ type: "stop", id } satisfies LoadCommand);
      },
    };
  }
}
