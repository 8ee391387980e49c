import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { FargateService, type FargateServiceProps } from "../../modules/fargate-service";
import { resolveCapacity, resolveDeployment, resolveNetwork } from "../../modules/service-options";
import {
  blockOf,
  childOf,
  IDS,
  NETWORK,
  ref,
  resolved,
  resourcesOf,
  type Synthesized,
  synthStack,
} from "./support";

const TASK_DEFINITION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/koaapp:7";
const TARGET_GROUP =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/koaapp/0123456789abcdef";
const CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/shared";
const [LB_GROUP, SHARED_GROUP] = IDS.securityGroups;

/** Resolved props of a service with every default, as EmfFargateService passes them. */
const BASE: FargateServiceProps = {
  serviceName: "koaapp",
  taskDefinitionArn: TASK_DEFINITION,
  containerPort: 5000,
  network: resolveNetwork(NETWORK),
  cluster: {},
  desiredCount: 1,
  ignoreDesiredCountChanges: false,
  capacityProviderStrategy: resolveCapacity({}),
  platformVersion: "1.4.0",
  deploymentAlarmNames: [],
  deployment: resolveDeployment({}),
  enableExecuteCommand: false,
  dependsOn: [],
};

function synthService(overrides: Partial<FargateServiceProps> = {}): Synthesized<FargateService> {
  return synthStack((stack) => new FargateService(stack, "Service", { ...BASE, ...overrides }));
}

describe("FargateService behind a load balancer, on Spot, left to autoscaling", () => {
  const synth = synthStack((stack) => {
    const listener = new LbListener(stack, "Listener", {
      loadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/lb/1",
      port: 80,
      protocol: "HTTP",
      defaultAction: [{ type: "forward", targetGroupArn: TARGET_GROUP }],
    });
    const grant = new IamRolePolicy(stack, "Grant", { role: "koaapp-task", policy: "{}" });
    const service = new FargateService(stack, "Service", {
      ...BASE,
      network: resolveNetwork({ ...NETWORK, extraSecurityGroupIds: [SHARED_GROUP] }),
      desiredCount: 2,
      ignoreDesiredCountChanges: true,
      loadBalancer: {
        targetGroupArn: TARGET_GROUP,
        containerName: "koaapp",
        containerPort: 5000,
        securityGroupId: LB_GROUP,
        dependsOn: [listener],
      },
      deploymentAlarmNames: ["koaapp-latency-p99", "koaapp-5xx-rate"],
      deployment: resolveDeployment({
        minimumHealthyPercent: 50,
        maximumPercent: 150,
        alarmRollback: false,
        healthCheckGracePeriodSeconds: 90,
      }),
      capacityProviderStrategy: resolveCapacity({ spotWeight: 3 }),
      dependsOn: [grant],
    });
    return { listener, grant, service };
  });
  const { listener, grant, service } = synth.built;
  const at = (path: string, attribute: string) => ref(synth.stack, childOf(service, path), attribute);
  const address = (element: LbListener | IamRolePolicy) =>
    `${element.terraformResourceType}.${synth.stack.getLogicalId(element)}`;
  const resource = blockOf(synth, service.resource);

  it("GIVEN a Spot share WHEN synthesized THEN the strategy replaces the launch type and the created cluster gets both Fargate providers first", () => {
    expect(resource).not.toHaveProperty("launch_type");
    expect(resource.capacity_provider_strategy).toEqual([
      { capacity_provider: "FARGATE", base: 1, weight: 1 },
      { capacity_provider: "FARGATE_SPOT", base: 0, weight: 3 },
    ]);
    expect(blockOf(synth, childOf(service, "CapacityProviders"))).toEqual({
      cluster_name: at("Cluster", "name"),
      capacity_providers: ["FARGATE", "FARGATE_SPOT"],
    });
  });

  it("GIVEN grants, a listener and capacity providers WHEN synthesized THEN the service depends on each, in that order", () => {
    expect(resource.depends_on).toEqual([
      address(grant),
      address(listener),
      `aws_ecs_cluster_capacity_providers.${synth.stack.getLogicalId(childOf(service, "CapacityProviders"))}`,
    ]);
  });

  it("GIVEN a target group WHEN synthesized THEN the service registers the container port with it, after a grace period, and only the load balancer's group reaches the port", () => {
    expect(resource).toMatchObject({
      load_balancer: [{ target_group_arn: TARGET_GROUP, container_name: "koaapp", container_port: 5000 }],
      health_check_grace_period_seconds: 90,
      network_configuration: { security_groups: [at("SecurityGroup", "id"), SHARED_GROUP] },
    });
    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toEqual([
      {
        security_group_id: at("SecurityGroup", "id"),
        description: "koaapp port from its load balancer",
        ip_protocol: "tcp",
        from_port: 5000,
        to_port: 5000,
        referenced_security_group_id: LB_GROUP,
      },
    ]);
  });

  it("GIVEN deployment settings and alarms WHEN synthesized THEN the rollout follows them and the alarms are watched", () => {
    expect(resource).toMatchObject({
      desired_count: 2,
      deployment_minimum_healthy_percent: 50,
      deployment_maximum_percent: 150,
      deployment_circuit_breaker: { enable: true, rollback: true },
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
  const service = synth.built;
  const at = (path: string, attribute: string) => ref(synth.stack, childOf(service, path), attribute);
  const resource = blockOf(synth, service.resource);

  it("GIVEN resolved defaults WHEN synthesized THEN one on-demand task in private subnets, rolled out with the circuit breaker, and apply waits for it", () => {
    expect(resource).toEqual({
      name: "koaapp",
      cluster: at("Cluster", "arn"),
      task_definition: TASK_DEFINITION,
      desired_count: 1,
      launch_type: "FARGATE",
      platform_version: "1.4.0",
      network_configuration: {
        subnets: [...IDS.subnets],
        security_groups: [at("SecurityGroup", "id")],
        assign_public_ip: false,
      },
      deployment_circuit_breaker: { enable: true, rollback: true },
      deployment_minimum_healthy_percent: 100,
      deployment_maximum_percent: 200,
      wait_for_steady_state: true,
      availability_zone_rebalancing: "ENABLED",
      enable_execute_command: false,
      enable_ecs_managed_tags: true,
      propagate_tags: "SERVICE",
      lifecycle: {
        postcondition: [
          {
            condition: `\${(self.task_definition == "${TASK_DEFINITION}")}`,
            error_message:
              "koaapp did not reach a steady state on the task definition this apply registered: ECS rolled the deployment back (circuit breaker or a deployment alarm). See the service's events.",
          },
        ],
      },
    });
  });

  it("GIVEN no strategy, load balancer or alarms WHEN synthesized THEN no capacity providers, dependencies, grace period or alarms block", () => {
    for (const key of ["capacity_provider_strategy", "depends_on", "load_balancer", "alarms"])
      expect(resource).not.toHaveProperty(key);
    expect(resource).not.toHaveProperty("health_check_grace_period_seconds");
    expect(resourcesOf(synth.json, "aws_ecs_cluster_capacity_providers")).toEqual([]);
  });

  it("GIVEN no cluster WHEN synthesized THEN one named after the service is created, without Container Insights", () => {
    expect(blockOf(synth, childOf(service, "Cluster"))).toEqual({
      name: "koaapp",
      setting: [{ name: "containerInsights", value: "disabled" }],
    });
    expect([resolved(synth.stack, service.clusterArn), resolved(synth.stack, service.clusterName)]).toEqual([
      at("Cluster", "arn"),
      at("Cluster", "name"),
    ]);
  });

  it("GIVEN no ingress WHEN synthesized THEN the tasks' group admits nothing and sends anywhere", () => {
    expect(blockOf(synth, childOf(service, "SecurityGroup"))).toEqual({
      name_prefix: "koaapp-",
      description: "Tasks of koaapp",
      vpc_id: IDS.vpc,
      lifecycle: { create_before_destroy: true },
    });
    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toEqual([]);
    expect(resourcesOf(synth.json, "aws_vpc_security_group_egress_rule")).toEqual([
      {
        security_group_id: at("SecurityGroup", "id"),
        description: "All outbound",
        ip_protocol: "-1",
        cidr_ipv4: "0.0.0.0/0",
      },
    ]);
  });
});

describe("FargateService options", () => {
  it("GIVEN outbound publicIp WHEN synthesized THEN each task gets a public IP", () => {
    const synth = synthService({ network: resolveNetwork({ ...NETWORK, outbound: "publicIp" }) });

    expect(blockOf(synth, synth.built.resource).network_configuration).toMatchObject({
      assign_public_ip: true,
    });
  });

  it("GIVEN ingress CIDRs and groups WHEN synthesized THEN each is admitted to the container port", () => {
    const synth = synthService({
      network: resolveNetwork({
        ...NETWORK,
        ingressCidrs: ["10.0.0.0/16"],
        ingressSecurityGroupIds: [SHARED_GROUP],
      }),
    });
    const group = ref(synth.stack, childOf(synth.built, "SecurityGroup"), "id");
    const port = { ip_protocol: "tcp", from_port: 5000, to_port: 5000 };

    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toEqual([
      {
        security_group_id: group,
        description: "koaapp port from 10.0.0.0/16",
        ...port,
        cidr_ipv4: "10.0.0.0/16",
      },
      {
        security_group_id: group,
        description: "koaapp port from a security group",
        ...port,
        referenced_security_group_id: SHARED_GROUP,
      },
    ]);
  });

  it("GIVEN waitForSteadyState off WHEN synthesized THEN no wait and no postcondition", () => {
    const synth = synthService({ deployment: resolveDeployment({ waitForSteadyState: false }) });
    const block = blockOf(synth, synth.built.resource);

    expect(block.wait_for_steady_state).toBe(false);
    expect(block).not.toHaveProperty("lifecycle");
  });

  it("GIVEN circuitBreakerRollback off WHEN synthesized THEN the circuit breaker stops a failing rollout without rolling back", () => {
    const synth = synthService({ deployment: resolveDeployment({ circuitBreakerRollback: false }) });

    expect(blockOf(synth, synth.built.resource).deployment_circuit_breaker).toEqual({
      enable: true,
      rollback: false,
    });
  });

  it("GIVEN an existing cluster and a Spot share WHEN synthesized THEN no cluster or capacity providers are created", () => {
    const synth = synthService({
      cluster: { existing: { arn: CLUSTER_ARN, name: "shared" } },
      capacityProviderStrategy: resolveCapacity({ spotWeight: 1 }),
    });

    expect(resourcesOf(synth.json, "aws_ecs_cluster")).toEqual([]);
    expect(resourcesOf(synth.json, "aws_ecs_cluster_capacity_providers")).toEqual([]);
    expect(blockOf(synth, synth.built.resource).cluster).toBe(CLUSTER_ARN);
    expect([synth.built.clusterArn, synth.built.clusterName]).toEqual([CLUSTER_ARN, "shared"]);
  });

  it("GIVEN Container Insights, ECS Exec, a platform version and tags WHEN synthesized THEN cluster and service carry them", () => {
    const tags = { Team: "platform" };
    const synth = synthService({
      cluster: { containerInsights: true },
      enableExecuteCommand: true,
      platformVersion: "LATEST",
      tags,
    });

    expect(blockOf(synth, childOf(synth.built, "Cluster"))).toEqual({
      name: "koaapp",
      setting: [{ name: "containerInsights", value: "enabled" }],
      tags,
    });
    expect(blockOf(synth, childOf(synth.built, "SecurityGroup")).tags).toEqual(tags);
    expect(blockOf(synth, synth.built.resource)).toMatchObject({
      enable_execute_command: true,
      platform_version: "LATEST",
      tags,
    });
  });
});
