/**
 * Properties of EmfFargateService over generated props: any valid combination synthesizes what it asked for (and
 * terraform validates a stack of them with the real provider), any single invalid value yields exactly one problem
 * at its path, and several invalid values yield one problem each, in one error.
 *
 * Bounded to run in a few seconds: the generators pick among a few values per prop (the rules themselves are
 * tested value by value in the other files), valid combinations are built 10 times (each ~100 ms of synthesis),
 * invalid ones 100 and 40 times (each fails in validation, ~5 ms), and terraform (init and one validate, which
 * load the AWS provider's schema) runs once, on one stack holding 4 generated services.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import fc from "fast-check";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { TerraformWorkdir, terraformSuite } from "../support/terraform";
import { CONTAINER, containerDefinitionsOf, IDS, IMAGE, newStack, onlyResource, REGION } from "./support";

const { mirror, describe: describeWithTerraform } = terraformSuite("the property test");

const PRIVATE_AGENT_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cloudwatch-agent:1.300062.0b1304";
const TARGET_GROUP =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shared/0123456789abcdef";

/** Valid choices for each concern; the container's size leaves room for the agent in the smallest task. */
const VALID = fc.record({
  serviceName: fc.constantFrom("koaapp", "orders-api", "Svc_2"),
  task: fc.constantFrom(
    { cpu: 512, memoryMiB: 1024 },
    { cpu: 1024, memoryMiB: 4096 },
    { cpu: 4096, memoryMiB: 30720 },
    { cpu: 16384, memoryMiB: 122880, cpuArchitecture: "ARM64" as const },
  ),
  cpu: fc.integer({ min: 0, max: 256 }),
  memoryMiB: fc.integer({ min: 6, max: 512 }),
  port: fc.integer({ min: 1024, max: 65535 }).filter((port) => port !== 25888),
  outbound: fc.constantFrom("publicIp" as const, "nat" as const, "vpcEndpoints" as const),
  healthInterval: fc.option(fc.integer({ min: 10, max: 300 }), { nil: undefined }),
  readonlyRoot: fc.boolean(),
  writablePaths: fc.subarray(["/tmp", "/var/cache/app", "/run/app"]),
  frontDoor: fc.constantFrom("none", "internet-facing", "internal", "existingTargetGroup"),
  scaling: fc.oneof(
    fc.record({ desiredCount: fc.integer({ min: 0, max: 10 }) }),
    fc
      .integer({ min: 1, max: 3 })
      .chain((min) =>
        fc.record({ minCapacity: fc.constant(min), maxCapacity: fc.integer({ min, max: 10 }) }),
      ),
  ),
  spotWeight: fc.integer({ min: 0, max: 4 }),
  retentionDays: fc.constantFrom(1, 7, 30, 365, 3653),
  namespace: fc.constantFrom(undefined, "koaapp", "team/orders"),
  exec: fc.boolean(),
  alarms: fc.boolean(),
});

type Generated = typeof VALID extends fc.Arbitrary<infer T> ? T : never;

function toProps(g: Generated): EmfFargateServiceProps {
  const frontDoor = {
    none: undefined,
    "internet-facing": { create: { scheme: "internet-facing" as const, subnetIds: IDS.publicSubnets } },
    internal: { create: { scheme: "internal" as const, subnetIds: IDS.subnets } },
    existingTargetGroup: {
      existingTargetGroup: { targetGroupArn: TARGET_GROUP, securityGroupId: IDS.securityGroups[0] },
    },
  }[g.frontDoor];
  return {
    serviceName: g.serviceName,
    container: {
      ...CONTAINER,
      cpu: g.cpu,
      memoryMiB: g.memoryMiB,
      port: g.port,
      healthCheck:
        g.healthInterval === undefined
          ? false
          : {
              command: ["CMD-SHELL", "curl -fsS http://127.0.0.1/ || exit 1"],
              interval: g.healthInterval,
              timeout: 5,
            },
      readonlyRootFilesystem: g.readonlyRoot,
      ...(g.readonlyRoot ? { writablePaths: g.writablePaths } : {}),
    },
    network: { vpcId: IDS.vpc, subnetIds: IDS.subnets, outbound: g.outbound },
    task: g.task,
    ...(frontDoor ? { loadBalancer: frontDoor } : {}),
    scaling: g.scaling,
    ...(g.spotWeight > 0 ? { capacity: { spotWeight: g.spotWeight } } : {}),
    logs: { retentionDays: g.retentionDays },
    ...(g.namespace ? { metrics: { namespace: g.namespace } } : {}),
    // Interface endpoints serve private ECR only: the agent image comes from there too.
    ...(g.outbound === "vpcEndpoints" ? { agent: { image: PRIVATE_AGENT_IMAGE } } : {}),
    exec: { enabled: g.exec },
    ...(g.alarms ? {} : { alarms: false as const }),
  };
}

/** An invalid value for a prop, and the path its one problem names. */
interface Mutation {
  readonly path: string;
  /** Mutations of one group interact (a bad task CPU hides the memory check): at most one per group is applied. */
  readonly group: string;
  readonly apply: (props: EmfFargateServiceProps) => EmfFargateServiceProps;
}

/** A mutation setting each of `values` with `set` on a copy of the props. */
function mutation(path: string, values: readonly unknown[], set: (p: any, v: unknown) => void, group = path) {
  return fc.constantFrom(...values).map(
    (value): Mutation => ({
      path,
      group,
      apply: (props) => {
        const copy = JSON.parse(JSON.stringify(props));
        set(copy, value);
        return copy;
      },
    }),
  );
}

/**
 * One invalid value per prop, each chosen to break one rule only. A value that also breaks a relation is refused
 * by both rules at its path (task.cpu 0 is no Fargate value and below the containers' sum; scaling.desiredCount -1
 * with maxCapacity is out of range and outside minCapacity..maxCapacity), so those values are not generated here.
 */
const MUTATION = fc.oneof(
  mutation("serviceName", ["bad name", "-lead", ""], (p, v) => (p.serviceName = v)),
  mutation(
    "container.image",
    // In private ECR, so that outbound "vpcEndpoints" has nothing more to refuse.
    [
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest",
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app",
    ],
    (p, v) => (p.container.image = v),
  ),
  mutation("container.port", [0, 70000, 25888], (p, v) => (p.container.port = v)),
  mutation("container.cpu", [-1, -256], (p, v) => (p.container.cpu = v)),
  mutation("container.memoryMiB", [0, 5], (p, v) => (p.container.memoryMiB = v)),
  mutation("container.stopTimeoutSeconds", [1, 121], (p, v) => (p.container.stopTimeoutSeconds = v)),
  mutation("container.user", ["app user"], (p, v) => (p.container.user = v)),
  mutation("network.vpcId", ["vpc-1"], (p, v) => (p.network.vpcId = v)),
  mutation("network.subnetIds[0]", ["subnet-xyz"], (p, v) => (p.network.subnetIds = [v])),
  mutation(
    "network.ingressCidrs[0]",
    ["10.0.0.0/33", "nope", "0.0.0.0/0"],
    (p, v) => (p.network.ingressCidrs = [v]),
  ),
  mutation("task.cpu", [3000, 100000], (p, v) => (p.task = { cpu: v }), "task size"),
  mutation("task.memoryMiB", [999999], (p, v) => (p.task = { cpu: 512, memoryMiB: v }), "task size"),
  mutation("task.ephemeralStorageGiB", [20, 201], (p, v) => (p.task.ephemeralStorageGiB = v)),
  mutation("scaling.desiredCount", [-1, 5001], (p, v) => (p.scaling = { desiredCount: v })),
  mutation("capacity.spotWeight", [-1, 1001], (p, v) => (p.capacity = { spotWeight: v })),
  mutation("logs.retentionDays", [0, 2, 10000], (p, v) => (p.logs = { retentionDays: v })),
  mutation("metrics.namespace", ["AWS/ECS", "bad*ns", ""], (p, v) => (p.metrics = { namespace: v })),
  mutation("deployment.maximumPercent", [99, 201], (p, v) => (p.deployment = { maximumPercent: v })),
  mutation("alarms.noMetricsMinutes", [7, 4], (p, v) => (p.alarms = { noMetricsMinutes: v })),
  mutation("agent.cpu", [-5], (p, v) => (p.agent = { ...p.agent, cpu: v })),
  mutation("agent.memoryMiB", [5], (p, v) => (p.agent = { ...p.agent, memoryMiB: v })),
  mutation("exec.enabled", ["yes"], (p, v) => (p.exec = { enabled: v })),
  mutation("kmsKeyArn", ["my-key"], (p, v) => (p.kmsKeyArn = v)),
  mutation("tags.Team", [5], (p, v) => (p.tags = { Team: v })),
);

/** The problem lines of the error building `props` throws; fails when nothing is thrown. */
function problemsOf(props: EmfFargateServiceProps): string[] {
  try {
    new EmfFargateService(newStack(), "Service", props);
  } catch (error) {
    const [head, ...lines] = (error as Error).message.split("\n- ");
    expect(head).toBe("test/Service: invalid props:");
    return lines;
  }
  throw new Error(`accepted: ${JSON.stringify(props)}`);
}

const pathOf = (line: string) => line.slice(0, line.indexOf(" "));

describe("EmfFargateService with generated props", () => {
  it("GIVEN any valid combination WHEN synthesized THEN the task, containers and ECS service carry what was asked", () => {
    fc.assert(
      fc.property(VALID, (g) => {
        const stack = newStack();
        new EmfFargateService(stack, "Service", toProps(g));
        const json = JSON.parse(Testing.synth(stack));
        const [app, agent] = containerDefinitionsOf(json);
        const ecs = onlyResource(json, "aws_ecs_service");

        expect(onlyResource(json, "aws_ecs_task_definition")).toMatchObject({
          cpu: String(g.task.cpu),
          memory: String(g.task.memoryMiB),
        });
        expect(app).toMatchObject({
          image: IMAGE,
          cpu: g.cpu,
          memory: g.memoryMiB,
          readonlyRootFilesystem: g.readonlyRoot,
        });
        expect(app?.portMappings).toEqual([{ containerPort: g.port, hostPort: g.port, protocol: "tcp" }]);
        expect(app?.mountPoints?.length ?? 0).toBe(
          g.readonlyRoot ? g.writablePaths.length + (g.exec ? 3 : 0) : 0,
        );
        expect(agent?.name).toBe("cloudwatch-agent");
        expect(ecs.network_configuration).toMatchObject({ assign_public_ip: g.outbound === "publicIp" });
        expect(ecs.desired_count).toBe(
          "desiredCount" in g.scaling ? g.scaling.desiredCount : g.scaling.minCapacity,
        );
        expect(ecs.launch_type).toBe(g.spotWeight > 0 ? undefined : "FARGATE");
        expect(Boolean(ecs.load_balancer)).toBe(g.frontDoor !== "none");
      }),
      { numRuns: 10, seed: 20261125 },
    );
  });

  it("GIVEN a valid combination and one invalid value WHEN built THEN exactly one problem is reported, at that value's path", () => {
    fc.assert(
      fc.property(VALID, MUTATION, (g, m) => {
        const lines = problemsOf(m.apply(toProps(g)));

        expect(lines.map(pathOf)).toEqual([m.path]);
      }),
      { numRuns: 100, seed: 20261125 },
    );
  });

  it("GIVEN a valid combination and several invalid values WHEN built THEN one error reports each once, at its path", () => {
    const mutations = fc.uniqueArray(MUTATION, { minLength: 2, maxLength: 5, selector: (m) => m.group });
    fc.assert(
      fc.property(VALID, mutations, (g, ms) => {
        const props = ms.reduce((p, m) => m.apply(p), toProps(g));
        const lines = problemsOf(props);

        expect(lines.map(pathOf).sort()).toEqual(ms.map((m) => m.path).sort());
        expect(new Set(lines).size).toBe(lines.length);
      }),
      { numRuns: 40, seed: 20261125 },
    );
  });
});

describeWithTerraform("EmfFargateService with generated props, with the real AWS provider", () => {
  const dir = mkdtempSync(join(tmpdir(), "emf-fargate-props-"));
  let workdir: TerraformWorkdir;

  afterAll(() => {
    workdir?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("GIVEN four generated valid services in one stack WHEN terraform validates it THEN the configuration is valid", () => {
    const stack = newStack();
    const samples = fc.sample(VALID, { numRuns: 4, seed: 20261125 });
    samples.forEach((g, i) => {
      new EmfFargateService(stack, `Service${i}`, { ...toProps(g), serviceName: `${g.serviceName}${i}` });
    });
    const tf = JSON.parse(Testing.synth(stack));
    // The test supplies its own offline provider settings.
    delete tf.provider;
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(tf));
    workdir = new TerraformWorkdir({ stack: dir }, "stack", mirror, { region: REGION });
    workdir.runOk(["init", "-input=false", "-no-color", "-backend=false"]);

    expect(Object.keys(tf.resource.aws_ecs_service)).toHaveLength(4);
    expect(workdir.run(["validate", "-no-color"])).toMatchObject({ status: 0, stderr: "" });
  }, 120_000);
});
