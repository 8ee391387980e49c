import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { CERTIFICATE } from "../support/koaapp";
import {
  blockOf,
  childOf,
  containerDefinitionsOf,
  containerNamed,
  HEALTH_CHECK,
  newStack,
  onlyResource,
  problemLine,
  ref,
  resourcesOf,
  SERVICE_PROPS,
  type Synthesized,
  synthStack,
  type TerraformJson,
} from "./support";

const BASE: EmfFargateServiceProps = SERVICE_PROPS;
const LISTENER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared/0123/4567";
const TARGET_GROUP =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/koaapp/0123456789abcdef";

function synthService(overrides: Partial<EmfFargateServiceProps>): Synthesized<EmfFargateService> {
  return synthStack((stack) => new EmfFargateService(stack, "Service", { ...BASE, ...overrides }));
}

function build(overrides: Partial<EmfFargateServiceProps>): EmfFargateService {
  return new EmfFargateService(newStack(), "Service", { ...BASE, ...overrides });
}

function ecsService(synth: Synthesized<EmfFargateService>) {
  return blockOf(synth, synth.built.service);
}

function typesOf(json: TerraformJson): string[] {
  return Object.keys(json.resource ?? {}).sort();
}

describe("EmfFargateService with a created load balancer", () => {
  const synth = synthService({
    healthCheckPath: "/livez",
    loadBalancer: { create: { certificateArn: CERTIFICATE, healthCheck: { matcher: "200-299" } } },
    deployment: { healthCheckGracePeriodSeconds: 45 },
  });
  const service = synth.built;
  const lb = service.loadBalancer;
  if (!lb) throw new Error("no load balancer was created");
  const at = (path: string, attribute: string) => ref(synth.stack, childOf(service, path), attribute);

  it("GIVEN loadBalancer.create WHEN synthesized THEN the tasks register with its target group after its listeners exist", () => {
    expect(ecsService(synth)).toMatchObject({
      load_balancer: [
        {
          target_group_arn: at("LoadBalancer/Targets/Resource", "arn"),
          container_name: "koaapp",
          container_port: 5000,
        },
      ],
      health_check_grace_period_seconds: 45,
      depends_on: [
        `aws_lb_listener.${synth.stack.getLogicalId(childOf(service, "LoadBalancer/Https"))}`,
        `aws_lb_listener.${synth.stack.getLogicalId(childOf(service, "LoadBalancer/Http"))}`,
      ],
    });
    expect(service.url).toBe(lb.url);
  });

  it("GIVEN healthCheckPath and the caller's container check WHEN synthesized THEN the target group checks the path and the container runs the caller's check unchanged", () => {
    expect(blockOf(synth, lb.targetGroup.resource).health_check).toMatchObject({
      path: "/livez",
      matcher: "200-299",
    });
    expect(containerNamed(containerDefinitionsOf(synth.json), "koaapp").healthCheck).toEqual(HEALTH_CHECK);
  });

  it("GIVEN the load balancer WHEN synthesized THEN the tasks admit the container port from its group only, and it may reach them there", () => {
    const tasks = at("Default/SecurityGroup", "id");
    const ingress = resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule").filter(
      (r) => r.security_group_id === tasks,
    );
    expect(ingress).toEqual([
      {
        security_group_id: tasks,
        description: "koaapp port from its load balancer",
        ip_protocol: "tcp",
        from_port: 5000,
        to_port: 5000,
        referenced_security_group_id: at("LoadBalancer/SecurityGroup", "id"),
      },
    ]);
    expect(blockOf(synth, childOf(service, "LoadBalancer/EgressToTargets"))).toMatchObject({
      from_port: 5000,
      referenced_security_group_id: tasks,
    });
  });
});

describe("EmfFargateService with an existing listener or target group", () => {
  it("GIVEN an existing listener WHEN synthesized THEN a target group and a rule on that listener are created, and its balancer's group is admitted", () => {
    const synth = synthService({
      loadBalancer: {
        existingListener: {
          listenerArn: LISTENER,
          securityGroupId: "sg-shared-lb",
          priority: 120,
          pathPatterns: ["/orders/*"],
          hostHeaders: ["api.example.com"],
          deregistrationDelaySeconds: 30,
        },
      },
    });
    const service = synth.built;
    const at = (path: string, attribute: string) => ref(synth.stack, childOf(service, path), attribute);
    expect(blockOf(synth, childOf(service, "Targets/ListenerRule"))).toEqual({
      listener_arn: LISTENER,
      priority: 120,
      action: [{ type: "forward", target_group_arn: at("Targets/Resource", "arn") }],
      condition: [
        { path_pattern: { values: ["/orders/*"] } },
        { host_header: { values: ["api.example.com"] } },
      ],
    });
    expect(blockOf(synth, childOf(service, "Targets/Resource"))).toMatchObject({
      deregistration_delay: "30",
      health_check: { path: "/health" },
    });
    expect(ecsService(synth)).toMatchObject({
      load_balancer: [
        { target_group_arn: at("Targets/Resource", "arn"), container_name: "koaapp", container_port: 5000 },
      ],
      depends_on: [
        `aws_lb_listener_rule.${synth.stack.getLogicalId(childOf(service, "Targets/ListenerRule"))}`,
      ],
    });
    expect(blockOf(synth, childOf(service, "Default/IngressLoadBalancer")).referenced_security_group_id).toBe(
      "sg-shared-lb",
    );
    expect(resourcesOf(synth.json, "aws_lb")).toEqual([]);
  });

  it("GIVEN an existing target group WHEN synthesized THEN the tasks register with it and nothing of a load balancer is created", () => {
    const synth = synthService({
      loadBalancer: { existingTargetGroup: { targetGroupArn: TARGET_GROUP, securityGroupId: "sg-lb" } },
    });
    expect(ecsService(synth)).toMatchObject({
      load_balancer: [{ target_group_arn: TARGET_GROUP, container_name: "koaapp", container_port: 5000 }],
      health_check_grace_period_seconds: 30,
    });
    expect(ecsService(synth)).not.toHaveProperty("depends_on");
    expect(typesOf(synth.json).filter((t) => t.startsWith("aws_lb"))).toEqual([]);
    expect(synth.built.url).toBeUndefined();
  });
});

describe("EmfFargateService with autoscaling, Spot and the extension points", () => {
  const synth = synthService({
    desiredCount: 2,
    autoScaling: { minCapacity: 2, maxCapacity: 10 },
    capacityProviderStrategy: [
      { capacityProvider: "FARGATE", base: 1, weight: 1 },
      { capacityProvider: "FARGATE_SPOT", weight: 4 },
    ],
    extraSecurityGroupIds: ["sg-shared"],
    ephemeralStorageGiB: 50,
    taskRoleStatements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::uploads/*"] }],
  });
  const service = synth.built;

  it("GIVEN autoScaling WHEN synthesized THEN the service's count is the scalable target and apply no longer resets it", () => {
    expect(blockOf(synth, childOf(service, "Scaling/Resource"))).toMatchObject({
      resource_id: `service/${ref(synth.stack, childOf(service, "Default/Cluster"), "name")}/${ref(synth.stack, service.service, "name")}`,
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
    expect(blockOf(synth, childOf(service, "Scaling/LatencyAlarm")).namespace).toBe("koaapp");
  });

  it("GIVEN a Spot strategy, an extra group, ephemeral storage and a statement WHEN synthesized THEN each reaches its resource", () => {
    expect(ecsService(synth)).toMatchObject({
      capacity_provider_strategy: [
        { capacity_provider: "FARGATE", base: 1, weight: 1 },
        { capacity_provider: "FARGATE_SPOT", weight: 4 },
      ],
      network_configuration: { security_groups: [expect.any(String), "sg-shared"] },
    });
    expect(onlyResource(synth.json, "aws_ecs_cluster_capacity_providers")).toMatchObject({
      capacity_providers: ["FARGATE", "FARGATE_SPOT"],
    });
    expect(onlyResource(synth.json, "aws_ecs_task_definition").ephemeral_storage).toEqual({
      size_in_gib: 50,
    });
    expect(blockOf(synth, childOf(service, "Roles/TaskRoleApp")).name).toBe("app");
  });
});

describe("EmfFargateService addresses", () => {
  it("GIVEN resources that lived directly in the construct WHEN synthesized THEN moved blocks carry them to their new addresses, and the service keeps its own", () => {
    const synth = synthService({ enableExecuteCommand: true });
    const moved = (synth.json as { moved?: { from: string; to: string }[] }).moved;
    const address = (path: string) => {
      const element = childOf(synth.built, path);
      return `${element.terraformResourceType}.${synth.stack.getLogicalId(element)}`;
    };
    // The former addresses are the ones this construct gave these resources before it was split up.
    expect(moved).toEqual([
      { from: "aws_iam_role.Service_ExecutionRole_BE49F39A", to: address("Roles/ExecutionRole") },
      {
        from: "aws_iam_role_policy_attachment.Service_ExecutionRoleManaged_E7FDB02D",
        to: address("Roles/ExecutionRoleManaged"),
      },
      {
        from: "aws_iam_role_policy.Service_ExecutionRoleSecrets_CF9841ED",
        to: address("Roles/ExecutionRoleSecrets"),
      },
      { from: "aws_iam_role.Service_TaskRole_2C0917DF", to: address("Roles/TaskRole") },
      { from: "aws_iam_role_policy.Service_TaskRoleExec_25752694", to: address("Roles/TaskRoleExec") },
      {
        from: "aws_ecs_task_definition.Service_TaskDefinition_4B51B9EA",
        to: address("TaskDefinition/Resource"),
      },
    ]);
    // The service, its security group and cluster never moved: their construct ids hide the "Default" level.
    expect(address("Default/Resource")).toBe("aws_ecs_service.Service_DBC79909");
    expect(address("Default/SecurityGroup")).toBe("aws_security_group.Service_SecurityGroup_263BC618");
    expect(address("Default/Cluster")).toBe("aws_ecs_cluster.Service_Cluster_EC592A3A");
  });
});

describe("EmfFargateService validation of the production props", () => {
  it("GIVEN a relative health-check path, min above max and no capacity weight WHEN built THEN one error lists each", () => {
    expect(
      () =>
        new EmfFargateService(newStack(), "Service", {
          ...BASE,
          healthCheckPath: "health",
          loadBalancer: { create: {} },
          autoScaling: { minCapacity: 5, maxCapacity: 2 },
          capacityProviderStrategy: [
            { capacityProvider: "FARGATE", weight: 0 },
            { capacityProvider: "FARGATE_SPOT", weight: 0 },
          ],
        }),
    ).toThrow(
      new Error(
        [
          "test/Service: invalid props:",
          '- healthCheckPath "health" is not an absolute path; allowed: a path starting with / (at most 1024 characters, no spaces or query string), e.g. "/health"',
          "- autoScaling.minCapacity 5 is above autoScaling.maxCapacity 2; allowed: autoScaling.minCapacity at most autoScaling.maxCapacity",
          "- capacityProviderStrategy weights [0,0] are all 0, so no task is ever placed; allowed: at least one weight above 0",
        ].join("\n"),
      ),
    );
  });

  it.each<[string, Partial<EmfFargateServiceProps>, string]>([
    [
      "two front doors",
      {
        loadBalancer: {
          create: {},
          existingTargetGroup: { targetGroupArn: TARGET_GROUP, securityGroupId: "sg" },
        },
      },
      "loadBalancer sets create and existingTargetGroup; allowed: exactly one of create, existingListener, existingTargetGroup",
    ],
    [
      "load-balancer options named under loadBalancer.create",
      { loadBalancer: { create: { idleTimeoutSeconds: 0 } } },
      "loadBalancer.create.idleTimeoutSeconds 0 is out of range; allowed: an integer from 1 to 4000",
    ],
    [
      "a listener rule without a condition",
      { loadBalancer: { existingListener: { listenerArn: LISTENER, securityGroupId: "sg", priority: 1 } } },
      "loadBalancer.existingListener.listenerRule has no condition; allowed: pathPatterns, hostHeaders or both",
    ],
    [
      "a listener rule priority of 0",
      {
        loadBalancer: {
          existingListener: {
            listenerArn: LISTENER,
            securityGroupId: "sg",
            priority: 0,
            pathPatterns: ["/x"],
          },
        },
      },
      "loadBalancer.existingListener.listenerRule.priority 0 is out of range; allowed: an integer from 1 to 50000",
    ],
    [
      "request tracking without a created load balancer",
      { autoScaling: { minCapacity: 1, maxCapacity: 2, requestsPerTargetPerMinute: 500 } },
      "autoScaling.requestsPerTargetPerMinute 500 needs a created load balancer; allowed: with loadBalancer.create, or false",
    ],
    [
      "ephemeral storage of 10 GiB",
      { ephemeralStorageGiB: 10 },
      "ephemeralStorageGiB 10 is out of range; allowed: an integer from 21 to 200",
    ],
    [
      "a deployment percent out of range",
      { deployment: { maximumPercent: 250 } },
      "deployment.maximumPercent 250 is out of range; allowed: an integer from 100 to 200",
    ],
    [
      "an extra statement with every action",
      { taskRoleStatements: [{ actions: ["*"], resources: ["*"] }] },
      'taskRoleStatements[0].actions "*" is not a named action; allowed: "<service>:<Action>", wildcards only inside the action name (no "*" or "<service>:*")',
    ],
    [
      "five extra security groups",
      { extraSecurityGroupIds: ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5"] },
      "extraSecurityGroupIds has 5 groups; allowed: at most 4 (a task's network interface takes 5, one is the service's own)",
    ],
  ])("GIVEN %s WHEN built THEN it is refused naming the prop", (_case, overrides, message) => {
    expect(() => build(overrides)).toThrow(problemLine(message));
  });
});
