/**
 * End to end: the image built from the repository's Dockerfile, run the way the ECS task definition
 * runs it (its user, a read-only root with the task's writable volumes as Fargate creates them, an init
 * process, the same environment variable names), against a real PostgreSQL and a fake CloudWatch agent on
 * loopback.
 *
 * No container registry is reachable, so the Dockerfile's base is replaced (`--build-arg NODE_IMAGE`)
 * by a local stand-in with the same Node.js version (support/standin-image.ts). A Docker engine is
 * started (and docker.io installed) when none answers. With CI=true a missing engine fails the suite;
 * elsewhere the suite is skipped with the reason.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { DIMENSIONS } from "../../contract/metrics";
import type { ContainerDefinition } from "../../modules/container-definition";
import { EmfFargateService } from "../../modules/emf-fargate-service";
import {
  KOAAPP_SECRET_NAMES,
  KOAAPP_STOP_TIMEOUT_SECONDS,
  KOAAPP_USER,
  koaAppEnvironment,
  koaAppHealthCheck,
} from "../../stacks/koaapp-container";
import { type EmfDocument, emfProblems, latencyValues, totalSamples } from "../app/metrics/emf-helpers";
import { FakeAgent, reservePort } from "../support/fake-agent";
import { startPostgres, type TestPostgres } from "../support/postgres";
import {
  APP_IMAGE,
  buildAppImage,
  containerLogs,
  fargateTaskVolume,
  formatBytes,
  type HttpResponse,
  httpRequest,
  type ImageSizes,
  imageSizes,
  removeContainer,
  runUntilResponding,
  type StartedContainer,
  serviceEnvironment,
  type TaskVolume,
} from "./support/app-image";
import {
  type DockerEngine,
  docker,
  dockerResult,
  dockerUnavailableReason,
  ensureDockerEngine,
} from "./support/docker-engine";
import { dockerfileNodeImage, ensureStandinImage, ROOT, type StandinImage } from "./support/standin-image";

const CI = process.env.CI === "true";
const unavailable = dockerUnavailableReason();
if (unavailable && CI) throw new Error(`CI=true and the Docker end-to-end test cannot run: ${unavailable}`);
if (unavailable) process.stderr.write(`\nSKIPPED test/e2e/docker.test.ts: ${unavailable}\n\n`);
const describeWithDocker = unavailable ? describe.skip : describe;

/** The app's deadline for a graceful shutdown in this test (the task definition derives it from stopTimeout). */
const SHUTDOWN_TIMEOUT_MS = 5000;

/** Target for what the app adds to its base image (decimal MB, as `docker images` counts). */
const APP_LAYERS_TARGET_BYTES = 20_000_000;

/** Route templates the service registers; every `Path` dimension must be one of these. */
const ROUTE_TEMPLATES = ["/", "/ready", "/items", "/items/:id"];

/** Packages that belong to the infrastructure, the build or the tests, never to the runtime image. */
const NOT_IN_IMAGE = [
  "cdktf",
  "cdktf-cli",
  "@cdktf/provider-aws",
  "constructs",
  "typescript",
  "jest",
  "esbuild",
  "ajv",
];

const CONTAINER_NAME = `emf-fargate-e2e-${process.pid}`;

/** EMF service name, namespace and log stream of the container; its log group is `/ecs/<name>/emf`. */
const EMF_NAME = "koaapp-e2e";

/** The app container of the task definition the construct renders with the koaapp stack's app settings. */
function taskDefinitionApp(): ContainerDefinition {
  const stack = new TerraformStack(Testing.app(), "e2e");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const service = new EmfFargateService(stack, "Service", {
    serviceName: "koaapp",
    container: {
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/koaapp:0.1.0",
      port: 5000,
      environment: koaAppEnvironment({
        environmentName: "prod",
        metricsMode: "aggregate",
        stopTimeoutSeconds: KOAAPP_STOP_TIMEOUT_SECONDS,
      }),
      stopTimeoutSeconds: KOAAPP_STOP_TIMEOUT_SECONDS,
      user: KOAAPP_USER,
      healthCheck: koaAppHealthCheck(5000),
      secrets: KOAAPP_SECRET_NAMES.map((name) => ({
        name,
        valueFrom: `arn:aws:ssm:eu-west-1:123456789012:parameter/koaapp/${name}`,
        store: "ssm" as const,
      })),
    },
    network: {
      vpcId: "vpc-0123456789abcdef0",
      subnetIds: ["subnet-0123456789abcdef0"],
      outbound: "nat",
    },
  });
  const app = service.containers.find((container) => container.name === "koaapp");
  if (!app) throw new Error(`no koaapp container in ${service.containers.map((c) => c.name).join(", ")}`);
  return app;
}

function report(line: string): void {
  process.stdout.write(`[docker e2e] ${line}\n`);
}

describeWithDocker("the service image", () => {
  const app = taskDefinitionApp();
  let engine: DockerEngine | undefined;
  let standin: StandinImage;
  let sizes: ImageSizes;
  let pg: TestPostgres | undefined;
  let agent: FakeAgent | undefined;
  let port: number;
  let base: string;
  let env: Record<string, string>;
  /** The task volumes the container mounts under its read-only root, as Fargate creates them. */
  const volumes: TaskVolume[] = [];
  let container: StartedContainer | undefined;
  /** Route template of every request the metrics middleware measures, in order. */
  const sent: string[] = [];

  /** Sends a request and records it when the metrics middleware measures it (everything but /health). */
  async function send(method: string, route: string, urlPath: string, json?: unknown): Promise<HttpResponse> {
    const response = await httpRequest(method, `${base}${urlPath}`, json);
    if (route !== "/health") sent.push(route);
    return response;
  }

  async function exec(...command: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    if (!container) throw new Error("the container is not running");
    return dockerResult(["exec", container.id, ...command]);
  }

  beforeAll(async () => {
    engine = await ensureDockerEngine({ log: report });
    const nodeImage = dockerfileNodeImage();
    standin = await ensureStandinImage(nodeImage, { log: report });
    const previous = await dockerResult(["image", "inspect", "--format", "{{.Id}}", APP_IMAGE]);
    await buildAppImage(standin.tag, { log: report });
    const current = await docker(["image", "inspect", "--format", "{{.Id}}", APP_IMAGE]);
    // The image this build replaced would otherwise pile up untagged, a full copy per layer on vfs.
    if (previous.exitCode === 0 && previous.stdout.trim() !== current)
      await dockerResult(["rmi", previous.stdout.trim()]);
    sizes = await imageSizes(APP_IMAGE, standin.tag);

    [pg, agent, port] = await Promise.all([startPostgres(), FakeAgent.start(), reservePort()]);
    base = `http://127.0.0.1:${port}`;
    const values = serviceEnvironment({
      port,
      agentEndpoint: agent.endpoint,
      database: pg.env,
      name: EMF_NAME,
      envType: "e2e",
      shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
    });
    const names = [...(app.environment ?? []), ...(app.secrets ?? [])].map((variable) => variable.name);
    // The container gets exactly the variables the task definition sets, so a renamed or added one fails here.
    expect(Object.keys(values).sort()).toEqual([...names].sort());
    env = values;

    for (const mount of app.mountPoints ?? [])
      volumes.push(await fargateTaskVolume(APP_IMAGE, mount.containerPath));

    await removeContainer(CONTAINER_NAME);
    container = await runUntilResponding({
      image: APP_IMAGE,
      name: CONTAINER_NAME,
      env,
      readOnly: app.readonlyRootFilesystem === true,
      init: app.linuxParameters?.initProcessEnabled === true,
      user: app.user,
      volumes,
      readyUrl: `${base}/health`,
    });

    report(
      `base ${nodeImage.image} stood in by ${standin.tag} (node ${standin.nodeVersion}, npm ${standin.npmVersion})`,
    );
    report(
      `image ${APP_IMAGE}: ${formatBytes(sizes.totalBytes)} total, ${formatBytes(sizes.appBytes)} over the base (${formatBytes(sizes.baseBytes)})`,
    );
    for (const layer of sizes.appLayers)
      report(
        `  ${formatBytes(layer.bytes).padStart(9)}  ${layer.createdBy.replace(/^\/bin\/sh -c #\(nop\)\s*/, "").slice(0, 90)}`,
      );
    for (const volume of volumes)
      report(
        `task volume at ${volume.containerPath} as Fargate creates it for this image: ${volume.mode} ${volume.uid}:${volume.gid}`,
      );
    report(
      `docker run -> first 200 from /health: ${container.runToFirstResponseMs.toFixed(0)} ms (process start -> first 200: ${container.startToFirstResponseMs.toFixed(0)} ms)`,
    );
  }, 900_000);

  afterAll(async () => {
    try {
      await removeContainer(CONTAINER_NAME);
      for (const volume of volumes) await volume.remove();
      await agent?.stop();
      await pg?.destroy();
    } finally {
      await engine?.release();
    }
  }, 120_000);

  test("its base is the stand-in for the Dockerfile's Node.js version", async () => {
    // GIVEN the running container
    // WHEN node reports its version
    const { stdout } = await exec("node", "-p", "process.version");

    // THEN it is the version the Dockerfile's NODE_IMAGE default pins
    const { version } = dockerfileNodeImage();
    expect(stdout.trim()).toBe(`v${standin.nodeVersion}`);
    expect(`${standin.nodeVersion}.`.startsWith(`${version}.`)).toBe(true);
  });

  test("the image's configuration matches the task definition", async () => {
    // GIVEN the built image
    // WHEN its configuration is inspected
    const config = JSON.parse(
      await docker(["image", "inspect", "--format", "{{json .Config}}", APP_IMAGE]),
    ) as {
      User: string;
      Cmd: string[];
      Env: string[];
      ExposedPorts: Record<string, unknown>;
    };

    // THEN it runs node directly as the task definition's user, in production mode, on the default port
    expect(config.User).toBe(app.user);
    expect(config.User).toBe("1000:1000");
    expect(config.Cmd).toEqual(["node", "dist/app/server.js"]);
    expect(config.Env).toContain("NODE_ENV=production");
    expect(Object.keys(config.ExposedPorts)).toEqual(["5000/tcp"]);
  });

  test("the app's layers stay within 20 MB over the base", () => {
    // GIVEN the sizes measured after the build
    // THEN what the app adds to its base is within the target
    expect(sizes.appBytes).toBeGreaterThan(0);
    expect(sizes.appBytes).toBeLessThanOrEqual(APP_LAYERS_TARGET_BYTES);
  });

  test("the image holds the compiled app and production dependencies only, owned by root", async () => {
    // GIVEN the running container
    // WHEN its /app tree is listed from inside, as the container's user
    const script = `
      const fs = require("fs"), path = require("path");
      const packages = [];
      for (const name of fs.readdirSync("/app/node_modules")) {
        if (name.startsWith(".")) continue;
        if (name.startsWith("@")) for (const sub of fs.readdirSync("/app/node_modules/" + name)) packages.push(name + "/" + sub);
        else packages.push(name);
      }
      const foreign = [], writable = [];
      const walk = (p) => {
        const stat = fs.lstatSync(p);
        if (stat.uid !== 0 || stat.gid !== 0 || (!stat.isSymbolicLink() && (stat.mode & 0o022) !== 0)) foreign.push(p);
        try { fs.accessSync(p, fs.constants.W_OK); writable.push(p); } catch {}
        if (stat.isDirectory()) for (const name of fs.readdirSync(p)) walk(path.join(p, name));
      };
      walk("/app");
      console.log(JSON.stringify({
        app: fs.readdirSync("/app").sort(),
        dist: fs.readdirSync("/app/dist").sort(),
        packages: packages.sort(),
        foreign, writable,
      }));`;
    const result = await exec("node", "-e", script);
    expect(result.stderr).toBe("");
    const listing = JSON.parse(result.stdout) as {
      app: string[];
      dist: string[];
      packages: string[];
      foreign: string[];
      writable: string[];
    };

    // THEN only dist, node_modules and package.json are there
    expect(listing.app).toEqual(["dist", "node_modules", "package.json"]);
    expect(listing.dist).toEqual(["app", "contract", "package.json"]);
    // AND node_modules is exactly the lockfile's production tree
    const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const production = Object.entries(lock.packages)
      .filter(([key, entry]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(key) && entry.dev !== true)
      .map(([key]) => key.slice("node_modules/".length))
      .sort();
    expect(listing.packages).toEqual(production);
    for (const dependency of ["koa", "@koa/router", "pg", "pino", "aws-embedded-metrics"]) {
      expect(listing.packages).toContain(dependency);
    }
    for (const excluded of NOT_IN_IMAGE) expect(listing.packages).not.toContain(excluded);
    expect(listing.packages.filter((name) => name.startsWith("@cdktf/"))).toEqual([]);
    // AND nothing is owned by anyone but root, group- or world-writable, or writable by uid 1000
    expect(listing.foreign).toEqual([]);
    expect(listing.writable).toEqual([]);
  });

  test("the server process runs as uid and gid 1000 on a read-only root, writing to no disk", async () => {
    // GIVEN the container started as the task definition starts it: its user, an init process, a read-only root
    // and, at the one path the task definition keeps writable, an empty volume as Fargate creates it
    expect(app.user).toBe("1000:1000");
    expect(app.mountPoints).toEqual([{ sourceVolume: "tmp", containerPath: "/tmp" }]);
    const inspected = JSON.parse(await docker(["inspect", "--format", "{{json .}}", CONTAINER_NAME])) as {
      Config: { User: string };
      HostConfig: { ReadonlyRootfs: boolean; Init: boolean | null };
      Mounts: { Type: string; Source: string; Destination: string; RW: boolean }[];
    };
    expect(inspected.Config.User).toBe(app.user);
    expect(inspected.HostConfig).toMatchObject({ ReadonlyRootfs: true, Init: true });
    expect(inspected.Mounts.map(({ Type, Destination, RW }) => ({ Type, Destination, RW }))).toEqual([
      { Type: "bind", Destination: "/tmp", RW: true },
    ]);

    // WHEN the processes are read from /proc inside it, /tmp is inspected, and a file is written to /app and /tmp
    const script = `
      const fs = require("fs");
      const found = [];
      for (const pid of fs.readdirSync("/proc").filter((p) => /^\\d+$/.test(p))) {
        let cmdline;
        try { cmdline = fs.readFileSync("/proc/" + pid + "/cmdline", "utf8").split("\\0").filter(Boolean); } catch { continue; }
        const status = fs.readFileSync("/proc/" + pid + "/status", "utf8");
        const ids = (name) => status.match(new RegExp("^" + name + ":\\\\s+(.*)$", "m"))[1].split(/\\s+/).map(Number);
        found.push({ cmdline, uid: ids("Uid"), gid: ids("Gid") });
      }
      const probe = (file) => { try { fs.writeFileSync(file, "x"); return "written"; } catch (e) { return e.code; } };
      const stat = fs.statSync("/tmp");
      const tmpDir = { mode: (stat.mode & 0o7777).toString(8).padStart(4, "0"), uid: stat.uid, gid: stat.gid };
      console.log(JSON.stringify({ found, tmp: probe("/tmp/probe"), app: probe("/app/probe"), tmpDir }));`;
    const result = await exec("node", "-e", script);
    const {
      found,
      tmp,
      app: appWrite,
      tmpDir,
    } = JSON.parse(result.stdout) as {
      found: { cmdline: string[]; uid: number[]; gid: number[] }[];
      tmp: string;
      app: string;
      tmpDir: { mode: string; uid: number; gid: number };
    };

    // THEN the server is there, and it and every other process (the init, this probe) run with real,
    // effective, saved and filesystem ids 1000:1000
    expect(found.map((entry) => entry.cmdline)).toContainEqual(["node", "dist/app/server.js"]);
    for (const entry of found) {
      expect(entry).toMatchObject({ uid: [1000, 1000, 1000, 1000], gid: [1000, 1000, 1000, 1000] });
    }
    // AND nothing on the image's filesystem can be written
    expect(appWrite).toBe("EROFS");
    // AND /tmp is the task volume: the image declares no VOLUME /tmp, so Fargate creates it owned by root with
    // mode 0755, and uid 1000 cannot write there either. The server writes to no disk at all (its logs and
    // metrics leave through stdout and the agent's socket); the routes, shutdown and metrics below pass like this.
    expect({ tmpDir, tmp }).toEqual({ tmpDir: { mode: "0755", uid: 0, gid: 0 }, tmp: "EACCES" });
  });

  test("the routes answer, with the database behind /ready and /items", async () => {
    // GIVEN the running service and an empty database
    // WHEN every route is called
    const info = await send("GET", "/", "/");
    const health = await send("GET", "/health", "/health");
    const ready = await send("GET", "/ready", "/ready");
    const created = await send("POST", "/items", "/items", {
      name: "first",
      description: "from the e2e test",
    });
    const id = (created.body as { id: number }).id;
    const listed = await send("GET", "/items", "/items");
    const fetched = await send("GET", "/items/:id", `/items/${id}`);
    const replaced = await send("PUT", "/items/:id", `/items/${id}`, { name: "renamed", description: null });
    const refetched = await send("GET", "/items/:id", `/items/${id}`);
    const deleted = await send("DELETE", "/items/:id", `/items/${id}`);
    const gone = await send("GET", "/items/:id", `/items/${id}`);

    // THEN each answers as the API promises
    const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    expect(info).toMatchObject({ status: 200, body: { service: "koaapp", version, environment: "e2e" } });
    expect(health).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(ready).toMatchObject({ status: 200, body: { status: "ready", database: "ok" } });
    expect(created).toMatchObject({
      status: 201,
      headers: { location: `/items/${id}` },
      body: { id, name: "first", description: "from the e2e test" },
    });
    expect(listed).toMatchObject({ status: 200, body: { items: [{ id, name: "first" }] } });
    expect(fetched).toMatchObject({ status: 200, body: { id, name: "first" } });
    expect(replaced).toMatchObject({ status: 200, body: { id, name: "renamed", description: null } });
    expect(refetched).toMatchObject({ status: 200, body: { id, name: "renamed" } });
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
  });

  test("the task definition's health check command passes inside the container", async () => {
    // GIVEN the health check the koaapp stack gives the task definition, for the port the container listens on
    expect(app.healthCheck).toEqual(koaAppHealthCheck(5000));
    const command = koaAppHealthCheck(port).command;
    expect(command[0]).toBe("CMD");

    // WHEN it is run inside the container, and for contrast against a port nothing listens on
    const healthy = await exec(...command.slice(1));
    const unusedPort = await reservePort();
    const unhealthy = await exec(...koaAppHealthCheck(unusedPort).command.slice(1));

    // THEN it exits 0 against the service and 1 without one
    expect(healthy).toMatchObject({ exitCode: 0, stderr: "" });
    expect(unhealthy.exitCode).toBe(1);
  });

  test("on SIGTERM it exits 0 within the deadline, delivering the buffered metrics", async () => {
    if (!agent || !container) throw new Error("not started");
    const fake = agent;
    const samples = () => totalSamples(fake.documents() as EmfDocument[]);

    // GIVEN a periodic flush has just delivered every sample so far (the request right before it waits
    // for the next flush, which then leaves the aggregator empty for the whole flush interval)
    await send("GET", "/", "/");
    await fake.waitFor(() => samples() === sent.length, `${sent.length} samples before the burst`, 30_000);
    // AND requests since then are held in the aggregator
    await send("GET", "/", "/");
    await send("GET", "/items", "/items");
    await send("GET", "/items/:id", "/items/2147483647");
    await send("GET", "/ready", "/ready");
    const beforeSignal = samples();
    expect(beforeSignal).toBe(sent.length - 4);

    // WHEN ECS's SIGTERM arrives
    const exited = docker(["wait", container.id], { timeoutMs: SHUTDOWN_TIMEOUT_MS + 30_000 });
    const signalled = Date.now();
    await docker(["kill", "--signal", "TERM", container.id]);
    const exitCode = Number(await exited);
    const stopMs = Date.now() - signalled;

    // THEN the process exits 0 before its deadline
    const logs = await containerLogs(container.id);
    report(
      `SIGTERM -> exit ${exitCode} in ${stopMs} ms; samples delivered at shutdown: ${samples() - beforeSignal}`,
    );
    expect({ exitCode, logs }).toMatchObject({ exitCode: 0 });
    expect(stopMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(logs).toContain('"msg":"shutdown complete"');
    // AND the held samples reached the agent: one per request that was not /health
    expect(samples()).toBe(sent.length);
  });

  test("every EMF line the agent received is valid and names the configured log group and routes", () => {
    // GIVEN what the fake agent received over the container's whole life
    const lines = agent?.lines ?? [];
    expect(lines.length).toBeGreaterThan(0);
    expect(agent?.partialLines).toEqual([]);

    // THEN each line validates against the official EMF schema
    expect(
      lines.map((line) => ({ line, problems: emfProblems(line) })).filter((r) => r.problems.length),
    ).toEqual([]);
    const documents = lines.map((line) => JSON.parse(line) as EmfDocument);
    // AND carries the task definition's log group, log stream and namespace
    for (const document of documents) {
      expect(document._aws.LogGroupName).toBe(env.AWS_EMF_LOG_GROUP_NAME);
      expect(document._aws.LogStreamName).toBe(env.AWS_EMF_LOG_STREAM_NAME);
      expect(document._aws.CloudWatchMetrics).toEqual([
        expect.objectContaining({ Namespace: env.AWS_EMF_NAMESPACE }),
      ]);
    }
    // AND Path is the route template: as many samples per template as requests made to it
    const byPath: Record<string, number> = {};
    for (const document of documents) {
      const route = String(document[DIMENSIONS.path]);
      byPath[route] = (byPath[route] ?? 0) + latencyValues(document).length;
    }
    const expected: Record<string, number> = {};
    for (const route of sent) expected[route] = (expected[route] ?? 0) + 1;
    expect(byPath).toEqual(expected);
    expect(Object.keys(byPath).every((route) => ROUTE_TEMPLATES.includes(route))).toBe(true);
  });

  test("the process wrote JSON log lines to stdout only", async () => {
    if (!container) throw new Error("not started");
    // GIVEN the stopped container's output
    const { stdout, stderr } = await dockerResult(["logs", container.id]);

    // THEN stderr is empty and every stdout line is a pino JSON record
    expect(stderr).toBe("");
    const records = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { msg?: string; level?: number });
    expect(records.map((record) => record.msg)).toEqual(
      expect.arrayContaining(["listening", "shutting down"]),
    );
  });
});
