import { DbInstance, type DbInstanceConfig } from "@cdktf/provider-aws/lib/db-instance";
import { EcsService, type EcsServiceConfig } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import {
  Fn,
  type ITerraformDependable,
  TerraformResource,
  type TerraformStack,
  TerraformVariable,
} from "cdktf";
import type { Construct } from "constructs";
import { EmfFargateService } from "../../modules/emf-fargate-service";
import { RELIABILITY_RULES } from "../../modules/reliability-checks";
import { SampleNetwork } from "../../stacks/sample-network";
import { check, error } from "./reliability-support";
import { childOf, IDS, PUBLIC_LOAD_BALANCER, SERVICE_PROPS } from "./support";

/** A VPC with an internet gateway, a default route to it and two public subnets; returns what an LB needs. */
function publicNetwork(s: TerraformStack) {
  const vpc = new Vpc(s, "Vpc", { cidrBlock: "10.0.0.0/16" });
  const gateway = new InternetGateway(s, "Gateway", { vpcId: vpc.id });
  const routes = new RouteTable(s, "Routes", { vpcId: vpc.id });
  const route = new Route(s, "DefaultRoute", {
    routeTableId: routes.id,
    destinationCidrBlock: "0.0.0.0/0",
    gatewayId: gateway.id,
  });
  const subnets = ["a", "b"].map(
    (zone, i) =>
      new Subnet(s, `Public${i}`, {
        vpcId: vpc.id,
        cidrBlock: `10.0.${i}.0/24`,
        availabilityZone: `eu-west-1${zone}`,
      }),
  );
  return { gateway, route, subnetIds: subnets.map((subnet) => subnet.id) };
}

describe("ReliabilityChecks", () => {
  it("GIVEN the rules WHEN listed THEN there are exactly six", () => {
    expect([...RELIABILITY_RULES]).toEqual([
      "load-balancer-after-gateway",
      "tasks-with-a-way-out",
      "tasks-after-network",
      "tasks-after-grants",
      "unique-final-snapshot",
      "spot-with-on-demand-base",
    ]);
  });
});

describe("ReliabilityChecks load-balancer-after-gateway", () => {
  const lbIn = (
    dependsOn: (net: ReturnType<typeof publicNetwork>) => ITerraformDependable[],
    internal = false,
  ) =>
    check((s) => {
      const net = publicNetwork(s);
      new Lb(s, "Lb", { internal, subnets: net.subnetIds, dependsOn: dependsOn(net) });
    });

  it("GIVEN an internet-facing load balancer in the created VPC's subnets and no depends_on WHEN synthesized THEN an error names the gateway and the route", () => {
    const { annotations, findings } = lbIn(() => []);

    expect(annotations).toEqual([
      error(
        "[load-balancer-after-gateway] test/Lb: aws_lb.Lb is internet-facing in subnets of the VPC of aws_internet_gateway.Gateway but does not depend on aws_internet_gateway.Gateway, aws_route.DefaultRoute: Terraform may create it before the gateway is attached (InvalidSubnet); allowed: depends_on them (EmfFargateService: network.dependsOn)",
      ),
    ]);
    expect(findings).toEqual([
      expect.objectContaining({ rule: "load-balancer-after-gateway", path: "test/Lb", exempted: false }),
    ]);
  });

  it("GIVEN a load balancer that depends on the gateway only WHEN synthesized THEN the route is still missing", () => {
    expect(lbIn((net) => [net.gateway]).annotations.map((a) => a.message)).toEqual([
      expect.stringContaining("but does not depend on aws_route.DefaultRoute: Terraform may create it"),
    ]);
  });

  it.each<[string, (net: ReturnType<typeof publicNetwork>) => ITerraformDependable[], boolean]>([
    ["depends on the gateway and the route", (net) => [net.gateway, net.route], false],
    ["is internal", () => [], true],
  ])(
    "GIVEN a load balancer that %s WHEN synthesized THEN there is no finding",
    (_case, dependsOn, internal) => {
      expect(lbIn(dependsOn, internal).annotations).toEqual([]);
    },
  );

  it("GIVEN a load balancer in subnets of an existing VPC WHEN synthesized THEN there is no finding", () => {
    const { annotations } = check((s) => {
      publicNetwork(s);
      new Lb(s, "Lb", { subnets: [...IDS.publicSubnets] });
    });

    expect(annotations).toEqual([]);
  });
});

describe("ReliabilityChecks tasks-after-grants", () => {
  /** A task definition whose task role has a policy and whose execution role has a managed policy attached. */
  const service = (dependsOn: (grants: ITerraformDependable[]) => ITerraformDependable[]) =>
    check((s) => {
      const role = (id: string) => new IamRole(s, id, { assumeRolePolicy: "{}" });
      const taskRole = role("TaskRole");
      const executionRole = role("ExecutionRole");
      const grants = [
        new IamRolePolicy(s, "TaskPolicy", { role: taskRole.id, policy: "{}" }),
        new IamRolePolicyAttachment(s, "ExecutionManaged", {
          role: executionRole.name,
          policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        }),
      ];
      new IamRolePolicy(s, "OtherPolicy", { role: role("OtherRole").id, policy: "{}" });
      const task = new EcsTaskDefinition(s, "Task", {
        family: "koaapp",
        containerDefinitions: "[]",
        taskRoleArn: taskRole.arn,
        executionRoleArn: executionRole.arn,
      });
      new EcsService(s, "Service", {
        name: "koaapp",
        taskDefinition: task.arn,
        dependsOn: dependsOn(grants),
      });
    });

  it("GIVEN a service that depends on none of its roles' grants WHEN synthesized THEN an error names each, and no grant of another role", () => {
    expect(service(() => []).annotations).toEqual([
      error(
        "[tasks-after-grants] test/Service: aws_ecs_service.Service does not depend on aws_iam_role_policy.TaskPolicy, aws_iam_role_policy_attachment.ExecutionManaged: tasks can start before those permissions exist (ResourceInitializationError); allowed: depends_on every policy and attachment of the task's roles",
      ),
    ]);
  });

  it("GIVEN a service that depends on one of two grants WHEN synthesized THEN only the other is named", () => {
    expect(service(([policy]) => [policy as ITerraformDependable]).annotations.map((a) => a.message)).toEqual(
      [
        expect.stringContaining(
          "does not depend on aws_iam_role_policy_attachment.ExecutionManaged: tasks can start",
        ),
      ],
    );
  });

  it("GIVEN a service that depends on every grant WHEN synthesized THEN there is no finding", () => {
    expect(service((grants) => grants).annotations).toEqual([]);
  });
});

describe("ReliabilityChecks unique-final-snapshot", () => {
  const database = (config: Partial<DbInstanceConfig>) =>
    check((s) => {
      new DbInstance(s, "Db", {
        identifier: "orders",
        instanceClass: "db.t4g.micro",
        engine: "postgres",
        allocatedStorage: 20,
        ...config,
      });
    });
  const unique = `orders-final-${Fn.formatdate("YYYYMMDDhhmmss", Fn.timestamp())}`;

  it("GIVEN a fixed final snapshot name WHEN synthesized THEN an error says the second destroy fails", () => {
    expect(database({ finalSnapshotIdentifier: "orders-final" }).annotations).toEqual([
      error(
        '[unique-final-snapshot] test/Db: aws_db_instance.Db names its final snapshot "orders-final", the same for every deletion: the second destroy or a replacement fails with DBSnapshotAlreadyExists; allowed: a name with the creation time, e.g. "<id>-final-${formatdate("YYYYMMDDhhmmss", timestamp())}", kept with ignore_changes, or with a random_* resource\'s value',
      ),
    ]);
  });

  it("GIVEN a name made of a variable and fixed text WHEN synthesized THEN it is as fixed as a literal: an error", () => {
    const { annotations } = check((s) => {
      const env = new TerraformVariable(s, "env", { type: "string" });
      new DbInstance(s, "Db", {
        identifier: "orders",
        instanceClass: "db.t4g.micro",
        engine: "postgres",
        allocatedStorage: 20,
        finalSnapshotIdentifier: `${env.stringValue}-final`,
        lifecycle: { ignoreChanges: ["final_snapshot_identifier"] },
      });
    });

    expect(annotations).toEqual([
      error(
        '[unique-final-snapshot] test/Db: aws_db_instance.Db names its final snapshot "${var.env}-final", the same for every deletion: the second destroy or a replacement fails with DBSnapshotAlreadyExists; allowed: a name with the creation time, e.g. "<id>-final-${formatdate("YYYYMMDDhhmmss", timestamp())}", kept with ignore_changes, or with a random_* resource\'s value',
      ),
    ]);
  });

  it("GIVEN a name with uuid() but no ignore_changes WHEN synthesized THEN an error says every plan changes it", () => {
    expect(database({ finalSnapshotIdentifier: `orders-final-${Fn.uuid()}` }).annotations).toEqual([
      error(
        "[unique-final-snapshot] test/Db: aws_db_instance.Db names its final snapshot with uuid() without ignore_changes: every plan changes it; allowed: lifecycle ignore_changes = [final_snapshot_identifier]",
      ),
    ]);
  });

  it("GIVEN a name with a random_id resource's value WHEN synthesized THEN there is no finding: the value is stable until that resource is replaced", () => {
    const { annotations } = check((s) => {
      const suffix = new TerraformResource(s, "Suffix", { terraformResourceType: "random_id" });
      suffix.addOverride("byte_length", 4);
      new DbInstance(s, "Db", {
        identifier: "orders",
        instanceClass: "db.t4g.micro",
        engine: "postgres",
        allocatedStorage: 20,
        finalSnapshotIdentifier: `orders-final-${suffix.getStringAttribute("hex")}`,
      });
    });

    expect(annotations).toEqual([]);
  });

  // The provider refuses the destroy: "final_snapshot_identifier is required when skip_final_snapshot is false"
  // (hashicorp/terraform-provider-aws#9849, mitodl/ol-infrastructure#1576).
  it("GIVEN a final snapshot without a name WHEN synthesized THEN an error says destroy fails, not that a name repeats", () => {
    expect(database({}).annotations).toEqual([
      error(
        '[unique-final-snapshot] test/Db: aws_db_instance.Db takes a final snapshot (skip_final_snapshot is not true) but names none: destroy fails with "final_snapshot_identifier is required when skip_final_snapshot is false"; allowed: a name with the creation time, e.g. "<id>-final-${formatdate("YYYYMMDDhhmmss", timestamp())}", kept with ignore_changes, or skip_final_snapshot = true',
      ),
    ]);
  });

  it("GIVEN a name with timestamp() but no ignore_changes WHEN synthesized THEN an error says every plan changes it", () => {
    expect(database({ finalSnapshotIdentifier: unique }).annotations).toEqual([
      error(
        "[unique-final-snapshot] test/Db: aws_db_instance.Db names its final snapshot with timestamp() without ignore_changes: every plan changes it; allowed: lifecycle ignore_changes = [final_snapshot_identifier]",
      ),
    ]);
  });

  it.each<[string, Partial<DbInstanceConfig>]>([
    [
      "a name with timestamp() kept by ignore_changes",
      { finalSnapshotIdentifier: unique, lifecycle: { ignoreChanges: ["final_snapshot_identifier"] } },
    ],
    ["no final snapshot", { skipFinalSnapshot: true }],
  ])("GIVEN %s WHEN synthesized THEN there is no finding", (_case, config) => {
    expect(database(config).annotations).toEqual([]);
  });
});

describe("ReliabilityChecks spot-with-on-demand-base", () => {
  const service = (strategy: EcsServiceConfig["capacityProviderStrategy"]) =>
    check((s) => {
      new EcsService(s, "Service", { name: "koaapp", capacityProviderStrategy: strategy });
    });
  const message = (base: string) =>
    `[spot-with-on-demand-base] test/Service: aws_ecs_service.Service places tasks on FARGATE_SPOT with an on-demand base of ${base}: one interruption can stop every task; allowed: a FARGATE share with base 1 or more`;

  it.each<[string, EcsServiceConfig["capacityProviderStrategy"], string]>([
    [
      "Spot and an on-demand base of 0",
      [
        { capacityProvider: "FARGATE", base: 0, weight: 1 },
        { capacityProvider: "FARGATE_SPOT", weight: 3 },
      ],
      "0",
    ],
    ["Spot only", [{ capacityProvider: "FARGATE_SPOT", weight: 1 }], "0"],
  ])(
    "GIVEN %s WHEN synthesized THEN an error says one interruption can stop every task",
    (_case, strategy, base) => {
      expect(service(strategy).annotations).toEqual([error(message(base))]);
    },
  );

  it("GIVEN an on-demand base of 1 WHEN synthesized THEN there is no finding", () => {
    const strategy = [
      { capacityProvider: "FARGATE", base: 1, weight: 1 },
      { capacityProvider: "FARGATE_SPOT", weight: 3 },
    ];

    expect(service(strategy).annotations).toEqual([]);
  });

  it("GIVEN an on-demand base from a variable WHEN synthesized THEN it is not judged", () => {
    const { annotations } = check((s) => {
      const base = new TerraformVariable(s, "base", { type: "number" }).numberValue;
      new EcsService(s, "Service", {
        name: "koaapp",
        capacityProviderStrategy: [
          { capacityProvider: "FARGATE", base, weight: 1 },
          { capacityProvider: "FARGATE_SPOT", weight: 1 },
        ],
      });
    });

    expect(annotations).toEqual([]);
  });
});

describe("ReliabilityChecks with EmfFargateService", () => {
  it("GIVEN the service in an existing VPC WHEN synthesized THEN no rule finds anything: its tasks wait for every grant", () => {
    const { findings } = check((s) => {
      new EmfFargateService(s, "Service", { ...SERVICE_PROPS, loadBalancer: PUBLIC_LOAD_BALANCER });
    });

    expect(findings).toEqual([]);
  });

  it("GIVEN allowSpotOnly WHEN synthesized THEN the Spot-only service is a warning giving the reason", () => {
    let address = "";
    const { annotations, findings } = check((s) => {
      const service = new EmfFargateService(s, "Service", {
        ...SERVICE_PROPS,
        capacity: { spotWeight: 1, onDemandBase: 0, allowSpotOnly: true },
      });
      address = `aws_ecs_service.${s.getLogicalId(service.service)}`;
    });

    expect(annotations).toEqual([
      {
        level: "@cdktf/warn",
        message: `[spot-with-on-demand-base] test/Service/Ecs/Resource: ${address} places tasks on FARGATE_SPOT with an on-demand base of 0: one interruption can stop every task; allowed: a FARGATE share with base 1 or more (exempted: capacity.allowSpotOnly was set)`,
      },
    ]);
    expect(findings.map((f) => [f.rule, f.exempted])).toEqual([["spot-with-on-demand-base", true]]);
  });

  describe("GIVEN the service behind a public load balancer in a SampleNetwork created in the stack", () => {
    const inSampleNetwork = (withDependsOn: boolean) => {
      const addresses: Record<string, string> = {};
      const checked = check((s) => {
        const network = new SampleNetwork(s, "Network", { availabilityZones: ["eu-west-1a", "eu-west-1b"] });
        const service = new EmfFargateService(s, "Service", {
          ...SERVICE_PROPS,
          network: {
            vpcId: network.vpcId,
            subnetIds: network.publicSubnetIds,
            outbound: "publicIp",
            ...(withDependsOn ? { dependsOn: network.internetAccess } : {}),
          },
          loadBalancer: { create: { scheme: "internet-facing", subnetIds: network.publicSubnetIds } },
        });
        const address = (scope: Construct, path: string) => {
          const element = childOf(scope, path);
          return `${element.terraformResourceType}.${s.getLogicalId(element)}`;
        };
        addresses.lb = address(service, "LoadBalancer/Resource");
        addresses.gateway = address(network, "InternetGateway");
        addresses.route = address(network, "DefaultRoute");
        addresses.service = address(service, "Ecs/Resource");
        addresses.routes0 = address(network, "Public0Routes");
        addresses.routes1 = address(network, "Public1Routes");
      });
      return { ...checked, addresses };
    };

    // The sample network's public subnets, tasks with public IPs (network.outbound "publicIp"): a way out through
    // the internet gateway, which the service waits for through network.dependsOn.
    it("WHEN network.dependsOn is the network's internetAccess THEN no rule finds anything", () => {
      expect(inSampleNetwork(true).annotations).toEqual([]);
    });

    it("WHEN network.dependsOn is left out THEN the load balancer and the tasks are errors naming what they must wait for", () => {
      const { annotations, findings, addresses } = inSampleNetwork(false);
      const { lb, gateway, route, service, routes0, routes1 } = addresses;

      expect(annotations).toEqual([
        error(
          `[load-balancer-after-gateway] test/Service/LoadBalancer/Resource: ${lb} is internet-facing in subnets of the VPC of ${gateway} but does not depend on ${gateway}, ${route}: Terraform may create it before the gateway is attached (InvalidSubnet); allowed: depends_on them (EmfFargateService: network.dependsOn)`,
        ),
        error(
          `[tasks-after-network] test/Service/Ecs/Resource: ${service} does not depend on ${routes0}, ${routes1}, ${route}, which give its subnets their way out: ECS may start tasks before they exist (CannotPullContainerError); allowed: depends_on them (EmfFargateService: network.dependsOn)`,
        ),
      ]);
      expect(findings.map((f) => f.rule)).toEqual(["load-balancer-after-gateway", "tasks-after-network"]);
    });
  });
});
