/**
 * A closed-loop HTTP load made of Node's own client, keeping the outcome of every single request
 * (route, status or error code, whether it went out on a reused keep-alive socket, when it started and
 * ended). Slower than autocannon, but it tells a refused connection from a request that failed in
 * flight, and gives per-route timelines. Runs in the load process (`load-child.ts`).
 */
import http from "node:http";
import type { LoadRequest } from "./load";

/** The outcome of one request. */
export interface RequestRecord {
  /** `METHOD path`. */
  readonly route: string;
  /** The response status, when a complete response arrived. */
  readonly status: number | undefined;
  /** The error code (`ECONNREFUSED`, `ECONNRESET`, `TIMEOUT`…) when none did. */
  readonly error: string | undefined;
  /** The request was written to a keep-alive socket that had carried an earlier request. */
  readonly reusedSocket: boolean;
  /** The response's `Connection` header. */
  readonly connection: string | undefined;
  /** When it was sent, in ms since the epoch (sub-ms precision; the parent process shares the clock). */
  readonly startMs: number;
  /** When its outcome was known, in ms since the epoch. */
  readonly endMs: number;
}

/** Options of {@link startHttpLoop}. */
export interface HttpLoopOptions {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Request shapes; worker `i` starts at shape `i` and cycles through them. */
  readonly requests: readonly LoadRequest[];
  /** Concurrent requests (one keep-alive connection each). */
  readonly workers: number;
  /** A request without a complete response after this long is destroyed and recorded as `TIMEOUT`. @default 10000 */
  readonly timeoutMs?: number;
  /** Pause of a worker after an error, so a refused port is not hammered in a tight loop. @default 20 */
  readonly pauseAfterErrorMs?: number;
  /** Stop by itself after this long. @default - only through stop() */
  readonly maxDurationMs?: number;
}

/** A running loop. */
export interface HttpLoop {
  /** Resolves with every record once the loop has ended (maxDurationMs, or stop()). */
  readonly done: Promise<RequestRecord[]>;
  /** Lets each worker finish its current request; then `done` resolves. */
  stop(): void;
}

/** Now, in ms since the epoch with sub-ms precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Starts the loop; see {@link HttpLoopOptions}. */
export function startHttpLoop(options: HttpLoopOptions): HttpLoop {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.workers });
  const records: RequestRecord[] = [];
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pauseMs = options.pauseAfterErrorMs ?? 20;
  let running = true;
  const limit =
    options.maxDurationMs === undefined
      ? undefined
      : setTimeout(() => {
          running = false;
        }, options.maxDurationMs);

  const once = (request: LoadRequest): Promise<RequestRecord> =>
    new Promise((resolve) => {
      const method = request.method ?? "GET";
      const startMs = epochMs();
      let settled = false;
      let reusedSocket = false;
      const finish = (fields: Pick<RequestRecord, "status" | "error" | "connection">): void => {
        if (settled) return;
        settled = true;
        resolve({ route: `${method} ${request.path}`, reusedSocket, startMs, endMs: epochMs(), ...fields });
      };
      const req = http.request(`${options.url}${request.path}`, {
        method,
        agent,
        headers: {
          ...(request.body === undefined
            ? {}
            : { "content-length": String(Buffer.byteLength(request.body)) }),
          ...request.headers,
        },
      });
      req.setTimeout(timeoutMs, () => {
        req.destroy(Object.assign(new Error("no response in time"), { code: "TIMEOUT" }));
      });
      req.on("socket", () => {
        reusedSocket = req.reusedSocket;
      });
      req.on("response", (res) => {
        res.resume();
        res.on("end", () =>
          finish({ status: res.statusCode, error: undefined, connection: res.headers.connection }),
        );
        res.on("error", (err: NodeJS.ErrnoException) =>
          finish({ status: undefined, error: err.code ?? err.message, connection: undefined }),
        );
      });
      req.on("error", (err: NodeJS.ErrnoException) =>
        finish({ status: undefined, error: err.code ?? err.message, connection: undefined }),
      );
      req.end(request.body);
    });

  const worker = async (index: number): Promise<void> => {
    for (let i = index; running; i++) {
      const record = await once(options.requests[i % options.requests.length] as LoadRequest);
      records.push(record);
      if (record.error !== undefined) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  const done = Promise.all(Array.from({ length: options.workers }, (_, i) => worker(i))).then(() => {
    clearTimeout(limit);
    agent.destroy();
    return records;
  });

  return {
    done,
    stop() {
      running = false;
    },
  };
}
