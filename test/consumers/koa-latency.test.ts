import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { join } from "node:path";
import { type EmfDocument, emfProblems, latencyValues } from "../app/metrics/emf-helpers";
import { FakeAgent, reservePort } from "../support/fake-agent";
import { artifactOf, ConsumerProject, lockedVersion } from "./support/consumer-project";
import { againstDocumented, documentedSizes } from "./support/documented-sizes";

/** The goal for what the middleware adds to a Koa app's node_modules. */
const ADDED_BYTES_GOAL = 10_000_000;

/** The settings a task definition of EmfFargateService gives the container, and nothing else. */
function emfEnvironment(agent: FakeAgent, port: number): NodeJS.ProcessEnv {
  return {
    PORT: String(port),
    AWS_EMF_AGENT_ENDPOINT: agent.endpoint,
    AWS_EMF_NAMESPACE: "ConsumerTest",
    AWS_EMF_SERVICE_NAME: "orders",
    AWS_EMF_SERVICE_TYPE: "AWS::ECS::Container",
    AWS_EMF_LOG_GROUP_NAME: "/ecs/orders/emf",
    AWS_EMF_LOG_STREAM_NAME: "orders",
  };
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      })
      .on("error", reject);
  });
}

/** Polls the excluded /health route until the app answers (the middleware never measures it). */
async function waitUntilListening(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode} before listening`);
    try {
      if ((await get(port, "/health")) === 200) return;
    } catch {
      // not listening yet: ECONNREFUSED until app.listen() has bound the port
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the app did not listen on ${port}`);
}

describe("a Koa app using @emf-fargate/koa-latency from its tarball, configured only by AWS_EMF_* variables", () => {
  let project: ConsumerProject;
  let koaOnly: { bytes: number; packages: string[] };
  let withMiddleware: { bytes: number; packages: string[] };

  beforeAll(() => {
    // GIVEN a fresh project with Koa, then the middleware's tarball (and only what it declares)
    project = new ConsumerProject("koa-latency", { dependencies: { koa: lockedVersion("koa") } });
    project.copyDirFromRepo("test/consumers/fixtures/koa-cjs");
    project.copyDirFromRepo("test/consumers/fixtures/koa-esm");
    project.install();
    koaOnly = { bytes: project.nodeModulesBytes(), packages: project.installedPackages() };
    project.install([artifactOf("packages/koa-latency")]);
    withMiddleware = { bytes: project.nodeModulesBytes(), packages: project.installedPackages() };
    process.stdout.write(
      `middleware consumer: node_modules ${(koaOnly.bytes / 1e6).toFixed(2)} MB with koa, ` +
        `+${((withMiddleware.bytes - koaOnly.bytes) / 1e6).toFixed(2)} MB with the middleware ` +
        `(${withMiddleware.packages.filter((name) => !koaOnly.packages.includes(name)).length} packages)\n`,
    );
  }, 600_000);

  afterAll(() => project?.destroy());

  it(`adds under ${ADDED_BYTES_GOAL / 1e6} MB and nothing of cdktf to the app's node_modules`, () => {
    const added = withMiddleware.packages.filter((name) => !koaOnly.packages.includes(name));
    expect(withMiddleware.bytes - koaOnly.bytes).toBeLessThan(ADDED_BYTES_GOAL);
    expect(added).toContain("@emf-fargate/koa-latency");
    expect(added.filter((name) => /cdktf|cdktn|constructs|terraform/.test(name))).toEqual([]);
  });

  it("adds what docs/toolkits.md states, to an app of the size it states (within 25%)", () => {
    // GIVEN the sizes table's Koa row WHEN compared with what was just measured THEN both figures hold
    const documented = documentedSizes(`koa ${lockedVersion("koa")}`);
    expect([
      againstDocumented("node_modules with koa", koaOnly.bytes, documented.before),
      againstDocumented("added by the middleware", withMiddleware.bytes - koaOnly.bytes, documented.added),
    ]).toEqual([
      expect.objectContaining({ withinTolerance: true }),
      expect.objectContaining({ withinTolerance: true }),
    ]);
  });

  it("type-checks in TypeScript projects, as an ES module and as CommonJS (strict, skipLibCheck false)", () => {
    // GIVEN TypeScript and Koa's types added after the size was measured
    project.copyDirFromRepo("test/consumers/fixtures/koa-ts");
    project.install([
      `typescript@${lockedVersion("typescript")}`,
      `@types/koa@${lockedVersion("@types/koa")}`,
      `@types/node@${lockedVersion("@types/node")}`,
    ]);
    // WHEN tsc checks typed.mts (import) and typed.cts (require) THEN it reports nothing
    expect(project.run(join(project.dir, "node_modules", ".bin", "tsc"), ["-p", "."])).toBe("");
  });

  describe.each([
    { format: "CommonJS (require)", file: "app.cjs", paths: ["(unmatched)"] },
    { format: "ES module (import)", file: "app.mjs", paths: ["/orders/:id", "(unmatched)"] },
  ])("as $format", ({ file, paths }) => {
    let agent: FakeAgent;
    let documents: EmfDocument[];
    let problems: string[];
    let exitCode: number | null;
    const requests = 40;

    beforeAll(async () => {
      agent = await FakeAgent.start();
      const port = await reservePort();
      const child = spawn(process.execPath, [file], {
        cwd: project.dir,
        env: project.env(emfEnvironment(agent, port)),
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr?.on("data", (chunk) => {
        stderr += chunk;
      });
      try {
        await waitUntilListening(port, child);
        // WHEN it serves requests and is stopped as ECS stops a task
        for (let i = 0; i < requests; i++) await get(port, i % 4 === 3 ? `/other/${i}` : `/orders/${i}`);
        child.kill("SIGTERM");
        [exitCode] = (await once(child, "exit")) as [number | null];
      } catch (err) {
        child.kill("SIGKILL");
        throw new Error(`${(err as Error).message}\n${stderr}`);
      }
      problems = agent.lines.flatMap((line) => emfProblems(line));
      documents = agent.documents() as EmfDocument[];
    }, 60_000);

    afterAll(async () => agent?.stop());

    it("exits cleanly after delivering every request's latency as schema-valid EMF to the agent", () => {
      expect(exitCode).toBe(0);
      expect(problems).toEqual([]);
      expect(documents.reduce((sum, d) => sum + latencyValues(d).length, 0)).toBe(requests);
    });

    it("takes namespace, log group and log stream from the AWS_EMF_* variables", () => {
      const aws = documents.map((d) => ({
        namespaces: (d._aws.CloudWatchMetrics as { Namespace: string }[]).map((m) => m.Namespace),
        logGroup: d._aws.LogGroupName,
        logStream: d._aws.LogStreamName,
      }));
      expect(new Set(aws.map((a) => JSON.stringify(a)))).toEqual(
        new Set([
          JSON.stringify({ namespaces: ["ConsumerTest"], logGroup: "/ecs/orders/emf", logStream: "orders" }),
        ]),
      );
    });

    it("keeps Path bounded: route templates, never raw URLs", () => {
      expect([...new Set(documents.map((d) => d.Path))].sort()).toEqual([...paths].sort());
    });
  });
});
