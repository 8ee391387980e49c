import { TerraformVariable } from "cdktf";
import type { StrategyContext } from "../../modules/deployment-strategy";
import {
  type CapacityOptions,
  type ClusterOptions,
  checkCapacity,
  checkCluster,
  checkDeployment,
  checkNetwork,
  type DeploymentOptions,
  type NetworkOptions,
  resolveCapacity,
  resolveDeployment,
  resolveNetwork,
} from "../../modules/service-options";
import { Checker } from "../../modules/validation";
import { IDS, NETWORK, newStack } from "./support";

const CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/shared";
const NETWORK_KEYS =
  "vpcId, subnetIds, outbound, ingressCidrs, ingressSecurityGroupIds, allowIngressFromAnywhere, extraSecurityGroupIds, dependsOn, availabilityZoneRebalancing";

/** The problems a check records for a prop at `path` of the service's props. */
function problemsAt(path: string, check: (c: Checker) => void): readonly string[] {
  const c = new Checker().at(path);
  check(c);
  return c.problems.all;
}

const networkProblems = (network: NetworkOptions) =>
  problemsAt("network", (c) => checkNetwork(c, network, resolveNetwork(network), 5000));
const clusterProblems = (cluster: ClusterOptions) =>
  problemsAt("cluster", (c) => checkCluster(c, cluster, cluster));
const capacityProblems = (capacity: CapacityOptions) =>
  problemsAt("capacity", (c) => checkCapacity(c, capacity, capacity));
const deploymentProblems = (
  deployment: DeploymentOptions,
  frontDoor: StrategyContext["frontDoor"] = "create",
) =>
  problemsAt("deployment", (c) =>
    checkDeployment(c, deployment, deployment, resolveDeployment(deployment), {
      providerVersion: "5.100.0",
      frontDoor,
    }),
  );

describe("network options", () => {
  it("GIVEN only the required props WHEN resolved THEN nothing is admitted, no extra group, no dependency", () => {
    expect(resolveNetwork(NETWORK)).toEqual({
      ...NETWORK,
      ingressCidrs: [],
      ingressSecurityGroupIds: [],
      allowIngressFromAnywhere: false,
      extraSecurityGroupIds: [],
      dependsOn: [],
      availabilityZoneRebalancing: true,
    });
  });

  it.each<[string, NetworkOptions]>([
    ["private subnets behind a NAT gateway", NETWORK],
    ["public subnets", { ...NETWORK, outbound: "publicIp" }],
    [
      "interface endpoints, 8-digit IDs and narrow ingress",
      {
        vpcId: "vpc-0a1b2c3d",
        subnetIds: ["subnet-0a1b2c3d"],
        outbound: "vpcEndpoints",
        ingressCidrs: ["10.0.0.0/16"],
        ingressSecurityGroupIds: [IDS.securityGroups[0]],
        extraSecurityGroupIds: [...IDS.securityGroups],
      },
    ],
    [
      "0.0.0.0/0 with allowIngressFromAnywhere",
      { ...NETWORK, ingressCidrs: ["0.0.0.0/0"], allowIngressFromAnywhere: true },
    ],
  ])("GIVEN %s WHEN checked THEN there is no problem", (_case, network) => {
    expect(networkProblems(network)).toEqual([]);
  });

  it("GIVEN none of the required props WHEN checked THEN each is named with what it takes", () => {
    expect(networkProblems({} as NetworkOptions)).toEqual([
      "network.vpcId undefined is required; allowed: the ID of the service's VPC",
      "network.subnetIds undefined is required; allowed: one or more subnet IDs",
      'network.outbound undefined is required; allowed: "publicIp", "nat" or "vpcEndpoints" (see NetworkOptions.outbound)',
    ]);
  });

  it("GIVEN the 0.1.0 assignPublicIp WHEN checked THEN it is refused as no prop of NetworkOptions, listing the props", () => {
    const old = { ...NETWORK, assignPublicIp: true } as NetworkOptions;

    expect(networkProblems(old)).toEqual([
      `network.assignPublicIp true is not a prop of NetworkOptions; allowed: ${NETWORK_KEYS}`,
    ]);
  });

  it.each<[string, Partial<NetworkOptions>, string]>([
    [
      "an outbound that is none of the three",
      { outbound: "public" as "publicIp" },
      'network.outbound "public" is not allowed; allowed: "publicIp", "nat", "vpcEndpoints"',
    ],
    [
      "a VPC ID of 3 digits",
      { vpcId: "vpc-123" },
      'network.vpcId "vpc-123" is not a vpc ID; allowed: "vpc-" and 8 or 17 hexadecimal digits',
    ],
    [
      "a subnet ID given as a name",
      { subnetIds: ["private-a"] },
      'network.subnetIds[0] "private-a" is not a subnet ID; allowed: "subnet-" and 8 or 17 hexadecimal digits',
    ],
    ["no subnet", { subnetIds: [] }, "network.subnetIds [] has 0 entries; allowed: one or more subnet IDs"],
    [
      "a CIDR without a prefix",
      { ingressCidrs: ["10.0.0.0"] },
      'network.ingressCidrs[0] "10.0.0.0" is not an IPv4 CIDR; allowed: e.g. "10.0.0.0/16"',
    ],
    [
      "0.0.0.0/0 without allowIngressFromAnywhere",
      { ingressCidrs: ["10.0.0.0/8", "0.0.0.0/0"] },
      'network.ingressCidrs[1] "0.0.0.0/0" opens port 5000 to the internet; allowed: narrower CIDRs, or set network.allowIngressFromAnywhere',
    ],
    [
      "allowIngressFromAnywhere as a string",
      { allowIngressFromAnywhere: "yes" as unknown as boolean },
      'network.allowIngressFromAnywhere "yes" is not a boolean; allowed: true or false',
    ],
    [
      "an ingress group that is no group ID",
      { ingressSecurityGroupIds: ["default"] },
      'network.ingressSecurityGroupIds[0] "default" is not a sg ID; allowed: "sg-" and 8 or 17 hexadecimal digits',
    ],
    [
      "dependsOn that is no list",
      { dependsOn: "igw" as unknown as [] },
      'network.dependsOn "igw" is not a list; allowed: a list of resources (ITerraformDependable)',
    ],
  ])("GIVEN %s WHEN checked THEN it is refused naming the prop", (_case, change, message) => {
    expect(networkProblems({ ...NETWORK, ...change })).toEqual([message]);
  });

  it("GIVEN five extra security groups WHEN checked THEN the limit of the task's network interface is named", () => {
    const groups = ["sg-0000000a", "sg-0000000b", "sg-0000000c", "sg-0000000d", "sg-0000000e"];

    expect(networkProblems({ ...NETWORK, extraSecurityGroupIds: groups })).toEqual([
      `network.extraSecurityGroupIds ${JSON.stringify(groups)} has 5 groups; allowed: at most 4 (a task's network interface takes 5, one is the service's own)`,
    ]);
    expect(networkProblems({ ...NETWORK, extraSecurityGroupIds: groups.slice(0, 4) })).toEqual([]);
  });

  it("GIVEN the VPC, subnets and a CIDR from variables WHEN checked THEN they are not judged", () => {
    const stack = newStack();
    const text = (name: string) => new TerraformVariable(stack, name, { type: "string" }).stringValue;
    const subnets = new TerraformVariable(stack, "subnets", { type: "list(string)" }).listValue;

    expect(
      networkProblems({
        vpcId: text("vpc"),
        subnetIds: subnets,
        outbound: "nat",
        ingressCidrs: [text("cidr")],
      }),
    ).toEqual([]);
  });
});

describe("cluster options", () => {
  it.each<[string, ClusterOptions]>([
    ["a created cluster", {}],
    ["Container Insights on a created cluster", { containerInsights: true }],
    ["an existing cluster", { existing: { arn: CLUSTER_ARN, name: "shared" } }],
  ])("GIVEN %s WHEN checked THEN there is no problem", (_case, cluster) => {
    expect(clusterProblems(cluster)).toEqual([]);
  });

  it.each<[string, ClusterOptions, string[]]>([
    [
      "an existing cluster given by name as its ARN",
      { existing: { arn: "shared", name: "shared" } },
      [
        'cluster.existing.arn "shared" is not an ECS cluster ARN; allowed: arn:aws:ecs:<region>:<account>:cluster/<name>',
      ],
    ],
    [
      "an existing cluster without a name",
      { existing: { arn: CLUSTER_ARN } as { arn: string; name: string } },
      ["cluster.existing.name undefined is required; allowed: the cluster's name"],
    ],
    [
      "an existing cluster name with a space",
      { existing: { arn: CLUSTER_ARN, name: "shared cluster" } },
      [
        'cluster.existing.name "shared cluster" is not a cluster name; allowed: 1-255 letters, digits, hyphens and underscores',
      ],
    ],
    [
      "a misspelt key of the existing cluster",
      { existing: { arn: CLUSTER_ARN, name: "shared", nmae: "x" } as ClusterOptions["existing"] },
      [
        'cluster.existing.nmae "x" is not a prop of { arn, name } of an existing cluster (did you mean name?); allowed: arn, name',
      ],
    ],
    [
      "Container Insights for an existing cluster",
      { existing: { arn: CLUSTER_ARN, name: "shared" }, containerInsights: true },
      [
        "cluster.containerInsights true is set for an existing cluster; allowed: containerInsights only for a created cluster (an existing one keeps its own setting)",
      ],
    ],
    [
      "Container Insights as a string",
      { containerInsights: "enabled" as unknown as boolean },
      ['cluster.containerInsights "enabled" is not a boolean; allowed: true or false'],
    ],
  ])("GIVEN %s WHEN checked THEN it is refused naming the prop", (_case, cluster, messages) => {
    expect(clusterProblems(cluster)).toEqual(messages);
  });
});

describe("capacity options", () => {
  it("GIVEN no Spot weight WHEN resolved THEN there is no strategy: the FARGATE launch type", () => {
    expect(resolveCapacity({})).toEqual([]);
    expect(resolveCapacity({ spotWeight: 0 })).toEqual([]);
  });

  it("GIVEN a Spot weight WHEN resolved THEN one on-demand task is the base and the rest is shared by weight", () => {
    expect(resolveCapacity({ spotWeight: 3 })).toEqual([
      { capacityProvider: "FARGATE", base: 1, weight: 1 },
      { capacityProvider: "FARGATE_SPOT", base: 0, weight: 3 },
    ]);
    expect(resolveCapacity({ spotWeight: 1, onDemandWeight: 2, onDemandBase: 3 })).toEqual([
      { capacityProvider: "FARGATE", base: 3, weight: 2 },
      { capacityProvider: "FARGATE_SPOT", base: 0, weight: 1 },
    ]);
  });

  it.each<[string, CapacityOptions]>([
    ["on-demand only", {}],
    ["Spot with the default base", { spotWeight: 3 }],
    ["Spot only, accepted explicitly", { spotWeight: 1, onDemandBase: 0, allowSpotOnly: true }],
  ])("GIVEN %s WHEN checked THEN there is no problem", (_case, capacity) => {
    expect(capacityProblems(capacity)).toEqual([]);
  });

  it.each<[string, CapacityOptions, string[]]>([
    [
      "a Spot weight above 1000",
      { spotWeight: 1001 },
      ["capacity.spotWeight 1001 is out of range; allowed: an integer from 0 to 1000"],
    ],
    [
      "a fractional on-demand weight",
      { spotWeight: 1, onDemandWeight: 0.5 },
      ["capacity.onDemandWeight 0.5 is out of range; allowed: an integer from 0 to 1000"],
    ],
    [
      "Spot with an on-demand base of 0",
      { spotWeight: 1, onDemandBase: 0 },
      [
        "capacity.onDemandBase 0 leaves no task on on-demand Fargate: one Spot interruption can stop every task, and deployments wait while Spot capacity is short; allowed: 1 or more, or set capacity.allowSpotOnly",
      ],
    ],
    [
      "on-demand props without Spot",
      { onDemandWeight: 2, onDemandBase: 2, allowSpotOnly: true },
      ["onDemandWeight 2", "onDemandBase 2", "allowSpotOnly true"].map(
        (prop) =>
          `capacity.${prop} is set without Spot; allowed: this prop with capacity.spotWeight above 0 (without Spot every task is on-demand)`,
      ),
    ],
    [
      "the 0.1.0 strategy list",
      { capacityProviderStrategy: [] } as CapacityOptions,
      [
        "capacity.capacityProviderStrategy [] is not a prop of CapacityOptions; allowed: spotWeight, onDemandWeight, onDemandBase, allowSpotOnly",
      ],
    ],
  ])("GIVEN %s WHEN checked THEN it is refused naming the prop", (_case, capacity, messages) => {
    expect(capacityProblems(capacity)).toEqual(messages);
  });

  it("GIVEN a Spot weight from a variable and base 0 WHEN checked THEN the weight is not judged but the base still is", () => {
    const weight = new TerraformVariable(newStack(), "spot", { type: "number" }).numberValue;

    expect(capacityProblems({ spotWeight: weight })).toEqual([]);
    expect(capacityProblems({ spotWeight: weight, onDemandBase: 0 })).toEqual([
      expect.stringMatching(/^capacity\.onDemandBase 0 leaves no task on on-demand Fargate/),
    ]);
  });
});

describe("deployment options", () => {
  it("GIVEN nothing WHEN resolved THEN apply waits, keeps every task, doubles at most, rolls back on both signals, 30 s grace", () => {
    expect(resolveDeployment({})).toEqual({
      trafficShift: undefined,
      releasedBy: "terraform",
      waitForSteadyState: true,
      minimumHealthyPercent: 100,
      maximumPercent: 200,
      circuitBreakerRollback: true,
      alarmRollback: true,
      healthCheckGracePeriodSeconds: 30,
    });
  });

  it("GIVEN the bounds WHEN checked THEN they are accepted", () => {
    expect(
      deploymentProblems({ minimumHealthyPercent: 0, maximumPercent: 100, healthCheckGracePeriodSeconds: 0 }),
    ).toEqual([]);
    expect(
      deploymentProblems({
        minimumHealthyPercent: 100,
        maximumPercent: 200,
        healthCheckGracePeriodSeconds: 3600,
      }),
    ).toEqual([]);
  });

  it.each<[string, DeploymentOptions, string]>([
    [
      "a minimum healthy percent above 100",
      { minimumHealthyPercent: 101 },
      "deployment.minimumHealthyPercent 101 is out of range; allowed: an integer from 0 to 100",
    ],
    [
      "a maximum percent below 100",
      { maximumPercent: 99 },
      "deployment.maximumPercent 99 is out of range; allowed: an integer from 100 to 200",
    ],
    [
      "a maximum percent above 200",
      { maximumPercent: 201 },
      "deployment.maximumPercent 201 is out of range; allowed: an integer from 100 to 200",
    ],
    [
      "a grace period above an hour",
      { healthCheckGracePeriodSeconds: 3601 },
      "deployment.healthCheckGracePeriodSeconds 3601 is out of range; allowed: an integer from 0 to 3600",
    ],
    [
      "a rollback flag as a string",
      { alarmRollback: "false" as unknown as boolean },
      'deployment.alarmRollback "false" is not a boolean; allowed: true or false',
    ],
  ])("GIVEN %s WHEN checked THEN it is refused naming the prop", (_case, deployment, message) => {
    expect(deploymentProblems(deployment)).toEqual([message]);
  });

  it("GIVEN a grace period without a load balancer WHEN checked THEN it is refused; the default is not", () => {
    expect(deploymentProblems({ healthCheckGracePeriodSeconds: 60 }, "none")).toEqual([
      "deployment.healthCheckGracePeriodSeconds 60 is set without a load balancer; allowed: a grace period only with loadBalancer (ECS accepts it only for services behind one)",
    ]);
    expect(deploymentProblems({}, "none")).toEqual([]);
    expect(deploymentProblems({ healthCheckGracePeriodSeconds: 60 }, "existingTargetGroup")).toEqual([]);
  });
});
