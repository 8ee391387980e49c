/**
 * The service image under test: building it from the repository's Dockerfile on a given base, its
 * sizes, running it, and timing the first successful response.
 */

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { EMF_SERVICE_TYPE } from "../../../contract/metrics";
import { docker, dockerResult } from "./docker-engine";
import { ROOT } from "./standin-image";

/** Tag of the image the end-to-end test and the benchmark build. */
export const APP_IMAGE = "emf-fargate:e2e";

/** Proxy variables Docker passes to builds without an ARG in the Dockerfile. */
const PROXY_BUILD_ARGS = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"];

/** Options of {@link buildAppImage}. */
export interface BuildAppImageOptions {
  /** Tag of the result. @default APP_IMAGE */
  readonly tag?: string;
  /** Progress messages. @default - none */
  readonly log?: (message: string) => void;
  /** Build context holding the Dockerfile (e.g. an older revision exported by the benchmark). @default - the repository */
  readonly context?: string;
  /** Build every step again (`--no-cache`), as a machine with no layer cache does. @default false */
  readonly noCache?: boolean;
}

/**
 * Builds the repository's Dockerfile (or the one in `options.context`) unchanged except for
 * `--build-arg NODE_IMAGE=<baseImage>`, with host networking (npm ci reaches the registry through the host).
 *
 * @param baseImage - the base image for every stage
 * @param options - tag and progress messages
 * @returns the tag and the build's wall time
 */
export async function buildAppImage(
  baseImage: string,
  options: BuildAppImageOptions = {},
): Promise<{ tag: string; buildMs: number }> {
  const { tag = APP_IMAGE, log = () => undefined, context = ROOT, noCache = false } = options;
  const proxies = PROXY_BUILD_ARGS.filter((name) => process.env[name]).flatMap((name) => [
    "--build-arg",
    name,
  ]);
  log(
    `building ${tag} from ${path.join(context, "Dockerfile")} on ${baseImage}${noCache ? " (no cache)" : ""}`,
  );
  const started = performance.now();
  await docker(
    [
      "build",
      "--network",
      "host",
      ...(noCache ? ["--no-cache"] : []),
      "--build-arg",
      `NODE_IMAGE=${baseImage}`,
      ...proxies,
      "-t",
      tag,
      "-f",
      path.join(context, "Dockerfile"),
      context,
    ],
    { timeoutMs: 900_000 },
  );
  const buildMs = performance.now() - started;
  log(`built ${tag} in ${(buildMs / 1000).toFixed(1)} s`);
  return { tag, buildMs };
}

/** One layer of an image's history. */
export interface Layer {
  /** Bytes the layer adds. */
  readonly bytes: number;
  /** The instruction that made it. */
  readonly createdBy: string;
}

/** Sizes of an image and of what it adds to its base. */
export interface ImageSizes {
  /** The whole image, base included. */
  readonly totalBytes: number;
  /** The base image. */
  readonly baseBytes: number;
  /** The layers over the base: totalBytes - baseBytes. */
  readonly appBytes: number;
  /** The layers over the base with their sizes, newest first (metadata-only steps left out). */
  readonly appLayers: readonly Layer[];
}

async function history(image: string): Promise<Layer[]> {
  const out = await docker([
    "history",
    "--no-trunc",
    "--human=false",
    "--format",
    "{{.Size}}\t{{.CreatedBy}}",
    image,
  ]);
  return out.split("\n").map((line) => {
    const [bytes = "0", ...rest] = line.split("\t");
    return { bytes: Number(bytes), createdBy: rest.join("\t") };
  });
}

/**
 * Sizes of `image` and of the layers it adds to `baseImage`, which must be its base.
 *
 * @param image - the built image
 * @param baseImage - the image its last stage starts from
 */
export async function imageSizes(image: string, baseImage: string): Promise<ImageSizes> {
  const size = async (ref: string) =>
    Number(await docker(["image", "inspect", "--format", "{{.Size}}", ref]));
  const [totalBytes, baseBytes, layers, baseLayers] = await Promise.all([
    size(image),
    size(baseImage),
    history(image),
    history(baseImage),
  ]);
  const appLayers = layers.slice(0, layers.length - baseLayers.length).filter((layer) => layer.bytes > 0);
  return { totalBytes, baseBytes, appBytes: totalBytes - baseBytes, appLayers };
}

/** `1234567` as `1.23 MB` (decimal units, as `docker images` prints them). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(2)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

/** A response read whole. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body parsed as JSON when it is JSON, else the text. */
  readonly body: unknown;
}

/**
 * One HTTP request on a fresh connection (no keep-alive, so nothing lingers after the test).
 *
 * @param method - HTTP method
 * @param url - absolute URL
 * @param json - a body to send as JSON
 * @param timeoutMs - abort after this long
 */
export function httpRequest(
  method: string,
  url: string,
  json?: unknown,
  timeoutMs = 10_000,
): Promise<HttpResponse> {
  const payload = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: false,
        timeout: timeoutMs,
        headers: payload ? { "content-type": "application/json", "content-length": payload.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const isJson = /json/.test(res.headers["content-type"] ?? "");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: isJson ? JSON.parse(text) : text,
          });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** Options of {@link serviceEnvironment}. */
export interface ServiceEnvironmentOptions {
  /** `PORT`. */
  readonly port: number;
  /** `AWS_EMF_AGENT_ENDPOINT`, e.g. a fake agent's endpoint. */
  readonly agentEndpoint: string;
  /** The `RDS_*` variables (e.g. `TestPostgres.env`). */
  readonly database: Readonly<Record<string, string>>;
  /** EMF service name, namespace and log stream; the log group is `/ecs/<name>/emf`. */
  readonly name: string;
  /** `ENV_TYPE`. */
  readonly envType: string;
  /** `SHUTDOWN_TIMEOUT_MS`. @default 5000 */
  readonly shutdownTimeoutMs?: number;
}

/**
 * The environment the task definition gives the app container (plain variables and secrets), with
 * values for a local run: aggregate metrics to the given agent, a database without TLS.
 *
 * @param options - port, agent, database and names
 */
export function serviceEnvironment(options: ServiceEnvironmentOptions): Record<string, string> {
  const { name, shutdownTimeoutMs = 5000 } = options;
  return {
    PORT: String(options.port),
    ENV_TYPE: options.envType,
    METRICS_MODE: "aggregate",
    SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    // A throwaway cluster has no TLS; on ECS the task definition sets the mode RDS needs.
    PGSSLMODE: "disable",
    AWS_EMF_AGENT_ENDPOINT: options.agentEndpoint,
    AWS_EMF_SERVICE_NAME: name,
    AWS_EMF_SERVICE_TYPE: EMF_SERVICE_TYPE,
    AWS_EMF_LOG_GROUP_NAME: `/ecs/${name}/emf`,
    AWS_EMF_LOG_STREAM_NAME: name,
    AWS_EMF_NAMESPACE: name,
    ...options.database,
    APP_SECRET: randomBytes(16).toString("hex"),
  };
}

/** How to run the image, mirroring the task definition. */
export interface RunOptions {
  /** Image to run. */
  readonly image: string;
  /** Container name. */
  readonly name: string;
  /** Environment of the container; values are passed through the CLI's environment, not its arguments. */
  readonly env: Readonly<Record<string, string>>;
  /** `--read-only` (readonlyRootFilesystem). */
  readonly readOnly: boolean;
  /** `--init` (linuxParameters.initProcessEnabled). */
  readonly init: boolean;
  /** `--user` (the container definition's `user`). @default - the image's USER */
  readonly user?: string;
  /** Task volumes, bind-mounted writable at their paths (see {@link fargateTaskVolume}). @default - none */
  readonly volumes?: readonly TaskVolume[];
  /** URL that answers 200 once the service is up. */
  readonly readyUrl: string;
  /** Give up waiting for `readyUrl` after this long. @default 60000 */
  readonly timeoutMs?: number;
  /** Replaces the image's command. @default - the image's CMD */
  readonly command?: readonly string[];
}

/** A container started by {@link runUntilResponding}. */
export interface StartedContainer {
  /** Container id. */
  readonly id: string;
  /** From invoking `docker run` to the first 200 from `readyUrl`. */
  readonly runToFirstResponseMs: number;
  /** From the engine's start of the process (State.StartedAt) to that response: the app's own start-up. */
  readonly startToFirstResponseMs: number;
}

function answers200(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

/**
 * `docker run -d --network host` the image and poll `readyUrl` every 5 ms until it answers 200.
 *
 * @param options - image, name, environment, read-only root, init, user, task volumes, readiness URL
 * @throws Error with the container's logs when it exits or does not answer in time
 */
export async function runUntilResponding(options: RunOptions): Promise<StartedContainer> {
  const { timeoutMs = 60_000 } = options;
  const args = [
    "run",
    "-d",
    "--name",
    options.name,
    "--network",
    "host",
    ...(options.readOnly ? ["--read-only"] : []),
    ...(options.init ? ["--init"] : []),
    ...(options.user ? ["--user", options.user] : []),
    ...(options.volumes ?? []).flatMap((volume) => [
      "--mount",
      `type=bind,source=${volume.hostPath},target=${volume.containerPath}`,
    ]),
    ...Object.keys(options.env).flatMap((name) => ["--env", name]),
    options.image,
    ...(options.command ?? []),
  ];
  const started = performance.now();
  let runError: unknown;
  let id: string | undefined;
  const run = docker(args, { env: options.env }).then(
    (out) => {
      id = out;
    },
    (err: unknown) => {
      runError = err;
    },
  );
  let respondedAt: number | undefined;
  let wallClockAt = 0;
  while (respondedAt === undefined) {
    if (runError) throw runError;
    if (performance.now() - started > timeoutMs) break;
    if (await answers200(options.readyUrl)) {
      respondedAt = performance.now();
      wallClockAt = Date.now();
      break;
    }
    if (id !== undefined) {
      const state = await docker(["inspect", "--format", "{{.State.Status}}", id]);
      if (state === "exited" || state === "dead") break;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await run;
  if (runError) throw runError;
  if (respondedAt === undefined || id === undefined) {
    const logs = id ? await containerLogs(id) : "";
    throw new Error(
      `${options.image} did not answer 200 at ${options.readyUrl} within ${timeoutMs} ms\n${logs}`,
    );
  }
  const startedAt = Date.parse(await docker(["inspect", "--format", "{{.State.StartedAt}}", id]));
  return {
    id,
    runToFirstResponseMs: respondedAt - started,
    startToFirstResponseMs: wallClockAt - startedAt,
  };
}

/** An empty task volume for one mount point: a host directory owned and moded as Fargate creates it. */
export interface TaskVolume {
  /** Where the container mounts it. */
  readonly containerPath: string;
  /** The directory on the Docker host. */
  readonly hostPath: string;
  /** Its mode, in octal (`0755`). */
  readonly mode: string;
  /** Its owner. */
  readonly uid: number;
  /** Its group. */
  readonly gid: number;
  /** Empties and removes the directory (through a container: what a container wrote may belong to another user). */
  readonly remove: () => Promise<void>;
}

/** Runs a script of node inside `image` as root, with `hostPath` bind-mounted at /volume. */
function asRootOn(image: string, hostPath: string, script: string, ...args: string[]): Promise<string> {
  return docker([
    "run",
    "--rm",
    "--network",
    "none",
    "--user",
    "0:0",
    "--mount",
    `type=bind,source=${hostPath},target=/volume`,
    "--entrypoint",
    "node",
    image,
    "-e",
    script,
    ...args,
  ]);
}

/**
 * The empty task volume Fargate mounts at `containerPath` for `image`, as a host directory to bind-mount there:
 * owned by root with mode 0755, unless the image declares the path a VOLUME, whose owner and mode the volume then
 * takes ("By default, the volume permissions are set to 0755 and the owner as root. You can customize these
 * permissions in the Dockerfile", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html;
 * a non-root user on platform 1.4.0: aws/containers-roadmap#938, #863). A `--tmpfs` cannot stand in for it: runc
 * gives a tmpfs mounted over a directory of the image that directory's mode (/tmp: 1777), whatever the options.
 * The Docker engine must run on this machine (the bind source is a local directory).
 *
 * @param image - the image the task runs
 * @param containerPath - where the container definition mounts the task volume
 */
export async function fargateTaskVolume(image: string, containerPath: string): Promise<TaskVolume> {
  const volumes = JSON.parse(
    await docker(["image", "inspect", "--format", "{{json .Config.Volumes}}", image]),
  ) as Record<string, unknown> | null;
  const hostPath = mkdtempSync(path.join(tmpdir(), "emf-fargate-task-volume-"));
  const remove = async () => {
    // Emptied and handed back as root, so whoever runs the tests can remove it from the sticky tmpdir.
    await asRootOn(
      image,
      hostPath,
      'const fs = require("fs"); for (const e of fs.readdirSync("/volume")) fs.rmSync("/volume/" + e, { recursive: true, force: true }); fs.chownSync("/volume", Number(process.argv[1]), Number(process.argv[2]));',
      String(process.getuid?.() ?? 0),
      String(process.getgid?.() ?? 0),
    );
    rmSync(hostPath, { recursive: true, force: true });
  };
  try {
    const owner =
      volumes && containerPath in volumes
        ? (JSON.parse(
            await docker([
              "run",
              "--rm",
              "--network",
              "none",
              "--user",
              "0:0",
              "--entrypoint",
              "node",
              image,
              "-e",
              'const s = require("fs").statSync(process.argv[1]); console.log(JSON.stringify({ mode: (s.mode & 0o7777).toString(8).padStart(4, "0"), uid: s.uid, gid: s.gid }))',
              containerPath,
            ]),
          ) as { mode: string; uid: number; gid: number })
        : { mode: "0755", uid: 0, gid: 0 };
    await asRootOn(
      image,
      hostPath,
      'const fs = require("fs"); fs.chownSync("/volume", Number(process.argv[1]), Number(process.argv[2])); fs.chmodSync("/volume", parseInt(process.argv[3], 8));',
      String(owner.uid),
      String(owner.gid),
      owner.mode,
    );
    return { containerPath, hostPath, ...owner, remove };
  } catch (error) {
    rmSync(hostPath, { recursive: true, force: true });
    throw error;
  }
}

/** Both output streams of a container, labelled, for failure messages. */
export async function containerLogs(id: string): Promise<string> {
  const result = await dockerResult(["logs", id]);
  return `--- stdout of ${id.slice(0, 12)}\n${result.stdout}--- stderr\n${result.stderr}`;
}

/** Removes a container whatever its state; a missing one is not an error. */
export async function removeContainer(nameOrId: string): Promise<void> {
  await dockerResult(["rm", "-f", "-v", nameOrId]);
}
