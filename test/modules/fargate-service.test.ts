import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { FargateService, type FargateServiceProps } from "../../modules/fargate-service";
import {
  blockOf,
  childOf,
  newStack,
  problemLine,
  ref,
  resourcesOf,
  type Synthesized,
  synthStack,
} from "./support";

const TASK_DEFINITION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/koaapp:7";
const TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/0123456789abcdef";

const BASE: FargateServiceProps = {
  serviceName: "koaapp",
  taskDefinitionArn: TASK_DEFINITION,
  vpcId: "vpc-0123",
  subnetIds: ["subnet-a", "subnet-b"],
  containerPort: 5000,
};

function synthService(overrides: Partial<FargateServiceProps> = {}): Synthesized<FargateService> {
  return synthStack((stack) => new FargateService(stack, "Service", { ...BASE, ...overrides }));
}

function build(overrides: Partial<FargateServiceProps>): FargateService {
  return new FargateService(newStack(), "Service", { ...BASE, ...overrides });
}

describe("FargateService behind a load balancer, on Spot, left to autoscaling", () => {
  const synth = synthStack((stack) => {
    const listener = new LbListener(stack, "Listener", {
      loadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/lb/1",
      port: 80,
      protocol: "HTTP",
      defaultAction: [
        { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
      ],
    });
    const service = new FargateService(stack, "Service", {
      ...BASE,
      desiredCount: 2,
      ignoreDesiredCountChanges: true,
      loadBalancer: {
        targetGroupArn: TARGET_GROUP,
        containerName: "koaapp",
        containerPort: 5000,
        securityGroupId: "sg-lb",
        dependsOn: [listener],
      },
      deploymentAlarmNames: ["koaapp-latency-p99", "koaapp-5xx-rate"],
      deployment: {
        waitForSteadyState: true,
        minimumHealthyPercent: 50,
        maximumPercent: 150,
        alarmRollback: false,
        healthCheckGracePeriodSeconds: 90,
      },
      capacityProviderStrategy: [
        { capacityProvider: "FARGATE", base: 1, weight: 1 },
        { capacityProvider: "FARGATE_SPOT", weight: 3 },
      ],
      extraSecurityGroupIds: ["sg-shared"],
    });
    return { listener, service };
  });
  const { listener, service } = synth.built;
  const at = (path: string, attribute: string) => ref(synth.stack, childOf(service, path), attribute);
  const resource = blockOf(synth, service.resource);

  it("GIVEN a capacity provider strategy WHEN synthesized THEN it replaces the launch type and the created cluster gets both Fargate providers first", () => {
    expect(resource).not.toHaveProperty("launch_type");
    expect(resource.capacity_provider_strategy).toEqual([
      { capacity_provider: "FARGATE", base: 1, weight: 1 },
      { capacity_provider: "FARGATE_SPOT", weight: 3 },
    ]);
    expect(blockOf(synth, childOf(service, "CapacityProviders"))).toEqual({
      cluster_name: at("Cluster", "name"),
      capacity_providers: ["FARGATE", "FARGATE_SPOT"],
    });
    expect(resource.depends_on).toEqual([
      `aws_lb_listener.${synth.stack.getLogicalId(listener)}`,
      `aws_ecs_cluster_capacity_providers.${synth.stack.getLogicalId(childOf(service, "CapacityProviders"))}`,
    ]);
  });

  it("GIVEN a target group WHEN synthesized THEN the service registers the container port with it, after a grace period, and only the load balancer's group reaches the port", () => {
    expect(resource).toMatchObject({
      load_balancer: [{ target_group_arn: TARGET_GROUP, container_name: "koaapp", container_port: 5000 }],
      health_check_grace_period_seconds: 90,
      network_configuration: { security_groups: [at("SecurityGroup", "id"), "sg-shared"] },
    });
    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toEqual([
      {
        security_group_id: at("SecurityGroup", "id"),
        description: "koaapp port from its load balancer",
        ip_protocol: "tcp",
        from_port: 5000,
        to_port: 5000,
        referenced_security_group_id: "sg-lb",
      },
    ]);
  });

  it("GIVEN deployment settings and alarms WHEN synthesized THEN the rollout follows them and the alarms are watched", () => {
    expect(resource).toMatchObject({
      desired_count: 2,
      deployment_minimum_healthy_percent: 50,
      deployment_maximum_percent: 150,
      alarms: { alarm_names: ["koaapp-latency-p99", "koaapp-5xx-rate"], enable: true, rollback: false },
      wait_for_steady_state: true,
    });
  });

  it("GIVEN autoscaling owns the count WHEN synthesized THEN later changes of desired_count are ignored", () => {
    expect(resource.lifecycle).toMatchObject({ ignore_changes: ["desired_count"] });
  });
});

describe("FargateService with defaults", () => {
  const synth = synthService();
  const resource = blockOf(synth, synth.built.resource);

  it("GIVEN no capacity strategy WHEN synthesized THEN the FARGATE launch type, no capacity providers resource and no dependencies", () => {
    expect(resource).toMatchObject({ launch_type: "FARGATE" });
    expect(resource).not.toHaveProperty("capacity_provider_strategy");
    expect(resource).not.toHaveProperty("depends_on");
    expect(resourcesOf(synth.json, "aws_ecs_cluster_capacity_providers")).toEqual([]);
  });

  it("GIVEN no load balancer and no alarms WHEN synthesized THEN no grace period, no alarms block, and the count is managed", () => {
    for (const key of ["load_balancer", "health_check_grace_period_seconds", "alarms"])
      expect(resource).not.toHaveProperty(key);
    expect(resource.lifecycle).not.toHaveProperty("ignore_changes");
  });

  it("GIVEN waitForSteadyState off WHEN synthesized THEN no wait and no postcondition", () => {
    const off = synthService({ deployment: { waitForSteadyState: false } });
    const block = blockOf(off, off.built.resource);
    expect(block.wait_for_steady_state).toBe(false);
    expect(block).not.toHaveProperty("lifecycle");
  });

  it("GIVEN an existing cluster and a Spot strategy WHEN synthesized THEN no cluster or capacity providers are created", () => {
    const existing = synthService({
      existingCluster: { arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/shared", name: "shared" },
      capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
    });
    expect(resourcesOf(existing.json, "aws_ecs_cluster")).toEqual([]);
    expect(resourcesOf(existing.json, "aws_ecs_cluster_capacity_providers")).toEqual([]);
    expect(blockOf(existing, existing.built.resource).cluster).toBe(
      "arn:aws:ecs:eu-west-1:123456789012:cluster/shared",
    );
  });
});

describe("FargateService validation", () => {
  it.each<[string, Partial<FargateServiceProps>, string]>([
    [
      "a weight of 0 for every provider",
      {
        capacityProviderStrategy: [
          { capacityProvider: "FARGATE", weight: 0 },
          { capacityProvider: "FARGATE_SPOT", weight: 0 },
        ],
      },
      "capacityProviderStrategy weights [0,0] are all 0, so no task is ever placed; allowed: at least one weight above 0",
    ],
    [
      "a provider twice",
      {
        capacityProviderStrategy: [
          { capacityProvider: "FARGATE_SPOT", weight: 1 },
          { capacityProvider: "FARGATE_SPOT", weight: 2 },
        ],
      },
      "capacityProviderStrategy names a provider twice (FARGATE_SPOT, FARGATE_SPOT); allowed: each provider once",
    ],
    [
      "an EC2 provider",
      { capacityProviderStrategy: [{ capacityProvider: "EC2" as "FARGATE", weight: 1 }] },
      'capacityProviderStrategy capacityProvider "EC2" is not a Fargate capacity provider; allowed: FARGATE, FARGATE_SPOT',
    ],
    [
      "a base on both providers",
      {
        capacityProviderStrategy: [
          { capacityProvider: "FARGATE", base: 1, weight: 1 },
          { capacityProvider: "FARGATE_SPOT", base: 1, weight: 1 },
        ],
      },
      "capacityProviderStrategy sets base on more than one provider; allowed: a base on one provider only",
    ],
    [
      "a weight above 1000",
      { capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1001 }] },
      "capacityProviderStrategy[0].weight 1001 is out of range; allowed: an integer from 0 to 1000",
    ],
    [
      "a minimum healthy percent above 100",
      { deployment: { minimumHealthyPercent: 101 } },
      "deployment.minimumHealthyPercent 101 is out of range; allowed: an integer from 0 to 100",
    ],
    [
      "a maximum percent below 100",
      { deployment: { maximumPercent: 99 } },
      "deployment.maximumPercent 99 is out of range; allowed: an integer from 100 to 200",
    ],
    [
      "a grace period above an hour",
      { deployment: { healthCheckGracePeriodSeconds: 3601 } },
      "deployment.healthCheckGracePeriodSeconds 3601 is out of range; allowed: an integer from 0 to 3600",
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
