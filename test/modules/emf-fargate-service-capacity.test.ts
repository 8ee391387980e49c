/**
 * EmfFargateService's scaling, capacity, deployment and IAM props: what they synthesize to and the exact message
 * of each refusal.
 */
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import {
  blockOf,
  childOf,
  IDS,
  NETWORK,
  newStack,
  onlyResource,
  PUBLIC_LOAD_BALANCER,
  problemLine,
  ref,
  resourcesOf,
  SERVICE_PROPS,
  type Synthesized,
  synthStack,
} from "./support";

const BOUNDARY = "arn:aws:iam::123456789012:policy/team-boundary";

function synthService(overrides: Partial<EmfFargateServiceProps>): Synthesized<EmfFargateService> {
  return synthStack((stack) => new EmfFargateService(stack, "Service", { ...SERVICE_PROPS, ...overrides }));
}

function build(overrides: Partial<EmfFargateServiceProps>): EmfFargateService {
  return new EmfFargateService(newStack(), "Service", { ...SERVICE_PROPS, ...overrides });
}

/** `<type>.<logical id>` of the element at `path` below the service, as depends_on lists it. */
function addressOf(synth: Synthesized<EmfFargateService>, path: string): string {
  const element = childOf(synth.built, path);
  return `${element.terraformResourceType}.${synth.stack.getLogicalId(element)}`;
}

function ecsService(synth: Synthesized<EmfFargateService>) {
  return blockOf(synth, synth.built.service);
}

describe("EmfFargateService with autoscaling, Spot and the extension points", () => {
  const synth = synthService({
    scaling: { minCapacity: 2, maxCapacity: 10 },
    capacity: { spotWeight: 4 },
    network: { ...NETWORK, extraSecurityGroupIds: [IDS.securityGroups[1]] },
    task: { ephemeralStorageGiB: 50 },
    iam: {
      taskRoleStatements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::uploads/*"] }],
      permissionsBoundaryArn: BOUNDARY,
    },
    exec: { enabled: true },
  });
  const service = synth.built;

  it("GIVEN maxCapacity WHEN synthesized THEN the service starts at minCapacity, its count is the scalable target and apply no longer resets it", () => {
    expect(blockOf(synth, childOf(service, "Scaling/Resource"))).toMatchObject({
      resource_id: `service/${ref(synth.stack, childOf(service, "Ecs/Cluster"), "name")}/${ref(synth.stack, service.service, "name")}`,
      min_capacity: 2,
      max_capacity: 10,
    });
    expect(ecsService(synth)).toMatchObject({
      desired_count: 2,
      lifecycle: { ignore_changes: ["desired_count"] },
    });
    // No load balancer, so no request tracking; CPU and the EMF latency step remain.
    expect(resourcesOf(synth.json, "aws_appautoscaling_policy").map((p) => p.name)).toEqual([
      "koaapp-cpu",
      "koaapp-latency-step",
    ]);
    const latencyAlarm = blockOf(synth, childOf(service, "Scaling/LatencyAlarm")) as {
      metric_query: { metric?: { namespace: string } }[];
    };
    expect(latencyAlarm.metric_query.flatMap((q) => (q.metric ? [q.metric.namespace] : []))).toEqual([
      "koaapp",
      "koaapp",
    ]);
  });

  it("GIVEN spotWeight alone WHEN synthesized THEN one on-demand task comes first and the rest is weighted, through capacity providers the created cluster gets", () => {
    expect(ecsService(synth)).toMatchObject({
      capacity_provider_strategy: [
        { capacity_provider: "FARGATE", base: 1, weight: 1 },
        { capacity_provider: "FARGATE_SPOT", base: 0, weight: 4 },
      ],
    });
    expect(ecsService(synth)).not.toHaveProperty("launch_type");
    expect(onlyResource(synth.json, "aws_ecs_cluster_capacity_providers")).toMatchObject({
      capacity_providers: ["FARGATE", "FARGATE_SPOT"],
    });
  });

  it("GIVEN ECS Exec, task role statements and Spot WHEN synthesized THEN the ECS service depends on every role policy and attachment, and on the capacity providers", () => {
    expect(ecsService(synth).depends_on).toEqual(
      [
        "Roles/ExecutionRoleManaged",
        "Roles/ExecutionRoleSecrets",
        "Roles/TaskRoleEmf",
        "Roles/TaskRoleExec",
        "Roles/TaskRoleApp",
        "Ecs/CapacityProviders",
      ].map((path) => addressOf(synth, path)),
    );
    expect(
      resourcesOf(synth.json, "aws_iam_role_policy").length +
        resourcesOf(synth.json, "aws_iam_role_policy_attachment").length,
    ).toBe(5);
  });

  it("GIVEN a permissions boundary WHEN synthesized THEN both roles carry it", () => {
    expect(blockOf(synth, service.executionRole).permissions_boundary).toBe(BOUNDARY);
    expect(blockOf(synth, service.taskRole).permissions_boundary).toBe(BOUNDARY);
  });

  it("GIVEN an extra group, ephemeral storage and a statement WHEN synthesized THEN each reaches its resource", () => {
    expect(ecsService(synth).network_configuration).toMatchObject({
      security_groups: [ref(synth.stack, childOf(service, "Ecs/SecurityGroup"), "id"), IDS.securityGroups[1]],
    });
    expect(onlyResource(synth.json, "aws_ecs_task_definition").ephemeral_storage).toEqual({
      size_in_gib: 50,
    });
    expect(blockOf(synth, childOf(service, "Roles/TaskRoleApp")).name).toBe("app");
  });
});

describe("EmfFargateService scaling and capacity choices", () => {
  it("GIVEN no capacity props WHEN synthesized THEN the FARGATE launch type is used and no capacity providers are created", () => {
    const synth = synthService({});

    expect(ecsService(synth)).toMatchObject({ launch_type: "FARGATE" });
    expect(ecsService(synth)).not.toHaveProperty("capacity_provider_strategy");
    expect(resourcesOf(synth.json, "aws_ecs_cluster_capacity_providers")).toEqual([]);
  });

  it("GIVEN Spot only, explicitly allowed WHEN synthesized THEN no task is kept on on-demand Fargate", () => {
    const synth = synthService({
      capacity: { spotWeight: 1, onDemandWeight: 0, onDemandBase: 0, allowSpotOnly: true },
    });

    expect(ecsService(synth).capacity_provider_strategy).toEqual([
      { capacity_provider: "FARGATE", base: 0, weight: 0 },
      { capacity_provider: "FARGATE_SPOT", base: 0, weight: 1 },
    ]);
  });

  it("GIVEN an explicit desired count within the autoscaling range WHEN synthesized THEN the service starts with it", () => {
    expect(
      ecsService(synthService({ scaling: { desiredCount: 3, minCapacity: 2, maxCapacity: 4 } })),
    ).toMatchObject({
      desired_count: 3,
    });
  });

  it("GIVEN autoscaling with a created load balancer WHEN synthesized THEN requests per task are tracked at 1000 a minute", () => {
    const synth = synthService({ loadBalancer: PUBLIC_LOAD_BALANCER, scaling: { maxCapacity: 4 } });
    const requests = blockOf(synth, childOf(synth.built, "Scaling/Requests"));

    expect(requests).toMatchObject({
      name: "koaapp-requests",
      target_tracking_scaling_policy_configuration: {
        target_value: 1000,
        predefined_metric_specification: { predefined_metric_type: "ALBRequestCountPerTarget" },
      },
    });
  });

  it("GIVEN no scaling props WHEN synthesized THEN one task runs, with no scalable target and desired_count kept by apply", () => {
    const synth = synthService({});

    expect(ecsService(synth)).toMatchObject({ desired_count: 1 });
    expect(ecsService(synth).lifecycle).not.toHaveProperty("ignore_changes");
    expect(resourcesOf(synth.json, "aws_appautoscaling_target")).toEqual([]);
  });
});

describe("EmfFargateService validation of scaling, capacity, deployment and IAM", () => {
  it("GIVEN minCapacity above maxCapacity, Spot on no base and a relative health-check path WHEN built THEN one error lists each", () => {
    expect(() =>
      build({
        loadBalancer: {
          create: { scheme: "internal", subnetIds: IDS.subnets, healthCheck: { path: "health" } },
        },
        scaling: { minCapacity: 5, maxCapacity: 2 },
        capacity: { spotWeight: 2, onDemandBase: 0 },
      }),
    ).toThrow(
      new Error(
        [
          "test/Service: invalid props:",
          '- loadBalancer.create.healthCheck.path "health" is not an absolute path; allowed: a path starting with / (at most 1024 characters, no spaces or query string), e.g. "/health"',
          "- scaling.minCapacity 5 is above scaling.maxCapacity 2; allowed: minCapacity at most maxCapacity",
          "- capacity.onDemandBase 0 leaves no task on on-demand Fargate: one Spot interruption can stop every task, and deployments wait while Spot capacity is short; allowed: 1 or more, or set capacity.allowSpotOnly",
        ].join("\n"),
      ),
    );
  });

  const WITHOUT_SPOT =
    "is set without Spot; allowed: this prop with capacity.spotWeight above 0 (without Spot every task is on-demand)";
  const WITHOUT_AUTOSCALING =
    "is set without autoscaling; allowed: this prop with scaling.maxCapacity, which turns autoscaling on";

  it.each<[string, Partial<EmfFargateServiceProps>, string]>([
    [
      "an on-demand weight without Spot",
      { capacity: { onDemandWeight: 2 } },
      `capacity.onDemandWeight 2 ${WITHOUT_SPOT}`,
    ],
    [
      "an on-demand base with Spot weight 0",
      { capacity: { spotWeight: 0, onDemandBase: 2 } },
      `capacity.onDemandBase 2 ${WITHOUT_SPOT}`,
    ],
    [
      "allowSpotOnly without Spot",
      { capacity: { allowSpotOnly: true } },
      `capacity.allowSpotOnly true ${WITHOUT_SPOT}`,
    ],
    [
      "a negative Spot weight",
      { capacity: { spotWeight: -1 } },
      "capacity.spotWeight -1 is out of range; allowed: an integer from 0 to 1000",
    ],
    [
      "a CPU target without maxCapacity",
      { scaling: { cpuTargetPercent: 50 } },
      `scaling.cpuTargetPercent 50 ${WITHOUT_AUTOSCALING}`,
    ],
    [
      "minCapacity without maxCapacity",
      { scaling: { minCapacity: 2 } },
      `scaling.minCapacity 2 ${WITHOUT_AUTOSCALING}`,
    ],
    [
      "request tracking without a created load balancer",
      { scaling: { maxCapacity: 2, requestsPerTargetPerMinute: 500 } },
      "scaling.requestsPerTargetPerMinute 500 needs a created load balancer; allowed: with loadBalancer.create, or false",
    ],
    [
      "a desired count outside the autoscaling range",
      { scaling: { desiredCount: 5, maxCapacity: 4 } },
      "scaling.desiredCount 5 is outside scaling.minCapacity 1 to scaling.maxCapacity 4; allowed: a count between them (autoscaling would move it there at once)",
    ],
    [
      "a scale-in cooldown shorter than the scale-out one",
      { scaling: { maxCapacity: 4, scaleInCooldownSeconds: 60, scaleOutCooldownSeconds: 120 } },
      "scaling.scaleInCooldownSeconds 60 is shorter than scaling.scaleOutCooldownSeconds 120; allowed: a scale-in cooldown at least as long, so the service adds capacity faster than it sheds it",
    ],
    [
      "a grace period without a load balancer",
      { deployment: { healthCheckGracePeriodSeconds: 45 } },
      "deployment.healthCheckGracePeriodSeconds 45 is set without a load balancer; allowed: a grace period only with loadBalancer (ECS accepts it only for services behind one)",
    ],
    [
      "a deployment percent out of range",
      { deployment: { maximumPercent: 250 } },
      "deployment.maximumPercent 250 is out of range; allowed: an integer from 100 to 200",
    ],
    [
      "ephemeral storage of 10 GiB",
      { task: { ephemeralStorageGiB: 10 } },
      "task.ephemeralStorageGiB 10 is out of range; allowed: an integer from 21 to 200",
    ],
    [
      "an extra statement with every action",
      { iam: { taskRoleStatements: [{ actions: ["*"], resources: ["*"] }] } },
      'iam.taskRoleStatements[0].actions[0] "*" is not a named action; allowed: "<service>:<Action>", wildcards only inside the action name (no "*" or "<service>:*")',
    ],
    [
      "a permissions boundary that is no policy ARN",
      { iam: { permissionsBoundaryArn: "team-boundary" } },
      'iam.permissionsBoundaryArn "team-boundary" is not an IAM policy ARN; allowed: arn:aws:iam::<account>:policy/<path><name>',
    ],
    [
      "Container Insights for an existing cluster",
      {
        cluster: {
          existing: { arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/shared", name: "shared" },
          containerInsights: true,
        },
      },
      "cluster.containerInsights true is set for an existing cluster; allowed: containerInsights only for a created cluster (an existing one keeps its own setting)",
    ],
  ])("GIVEN %s WHEN built THEN it is refused naming the prop", (_case, overrides, message) => {
    expect(() => build(overrides)).toThrow(problemLine(message));
  });
});
