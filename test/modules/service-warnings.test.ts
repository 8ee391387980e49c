/**
 * The synth-time warnings of service-warnings.ts: a traffic shift without its gate, an internet-facing load balancer
 * in subnets the props declare private, ECS Exec in a VPC reached only through endpoints.
 */
import { type TerraformStack, TerraformVariable } from "cdktf";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { resolveServiceSettings } from "../../modules/emf-fargate-service-settings";
import { settingsWarnings } from "../../modules/service-warnings";
import { IDS, IMAGE, NETWORK, newStack, PUBLIC_LOAD_BALANCER, SERVICE_PROPS } from "./support";

function warningsOf(overrides: Partial<EmfFargateServiceProps>): string[] {
  const service = new EmfFargateService(newStack(), "Service", { ...SERVICE_PROPS, ...overrides });
  return service.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
}

/** The warnings of resolved props: traffic shifting needs 6.x bindings to build, so these read the settings. */
function settingsWarningsOf(overrides: Partial<EmfFargateServiceProps>): string[] {
  return settingsWarnings(resolveServiceSettings({ ...SERVICE_PROPS, ...overrides }, "test/Service"));
}

describe("a traffic shift without its gate", () => {
  const canary = {
    loadBalancer: PUBLIC_LOAD_BALANCER,
    deployment: { strategy: { type: "canary", canaryPercent: 20, bakeTimeMinutes: 10 } },
  } as const;

  it("GIVEN a canary with alarms: false WHEN judged THEN a warning says nothing gates the release", () => {
    expect(settingsWarningsOf({ ...canary, alarms: false })).toEqual([
      'deployment.strategy "canary" runs with alarms: false: no p99-latency or 5xx-rate alarm watches the shift or the bake, so a release that answers slowly or with errors takes all the traffic and stays; allowed: alarms (the default), or deployment.strategy { type: "rolling" } when nothing should gate the release',
    ]);
  });

  it.each(["blueGreen", "linear"] as const)(
    "GIVEN %s with deployment.alarmRollback false WHEN judged THEN a warning says the alarms do not shift back",
    (type) => {
      expect(
        settingsWarningsOf({
          loadBalancer: PUBLIC_LOAD_BALANCER,
          deployment: { strategy: { type, bakeTimeMinutes: 10 }, alarmRollback: false },
        }),
      ).toEqual([
        `deployment.strategy "${type}" runs with deployment.alarmRollback false: the p99-latency and 5xx-rate alarms notify but do not shift the traffic back, so a release that answers slowly or with errors takes all the traffic and stays; allowed: alarmRollback true (the default)`,
      ]);
    },
  );

  it("GIVEN a gated canary WHEN judged THEN no warning", () => {
    expect(settingsWarningsOf(canary)).toEqual([]);
  });

  it("GIVEN a rolling update with alarms: false WHEN built THEN no gate warning (nothing shifts)", () => {
    expect(warningsOf({ alarms: false })).toEqual([]);
  });
});

describe("an internet-facing load balancer in the tasks' private subnets", () => {
  const [privateA, privateB] = IDS.subnets;
  const [publicA] = IDS.publicSubnets;

  it('GIVEN outbound "nat" and the load balancer in the task subnets WHEN built THEN a warning says it is unreachable', () => {
    expect(
      warningsOf({ loadBalancer: { create: { scheme: "internet-facing", subnetIds: IDS.subnets } } }),
    ).toEqual([
      `loadBalancer.create.subnetIds ["${privateA}","${privateB}"] are also in network.subnetIds, which network.outbound "nat" declares private (their default route is a NAT gateway): an internet-facing load balancer there cannot answer internet clients, and requests to it time out; allowed: public subnets (a route to an internet gateway) in loadBalancer.create.subnetIds, or loadBalancer.create.scheme "internal"`,
    ]);
  });

  it('GIVEN outbound "vpcEndpoints" and one shared subnet WHEN built THEN the warning names that subnet', () => {
    expect(
      warningsOf({
        network: { ...NETWORK, outbound: "vpcEndpoints" },
        agent: { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cloudwatch-agent:1.300058.0b1161" },
        container: { ...SERVICE_PROPS.container, image: IMAGE },
        loadBalancer: {
          create: { scheme: "internet-facing", subnetIds: [publicA as string, privateB as string] },
        },
      }),
    ).toEqual([
      `loadBalancer.create.subnetIds ["${privateB}"] is also in network.subnetIds, which network.outbound "vpcEndpoints" declares private (no route out): an internet-facing load balancer there cannot answer internet clients, and requests to it time out; allowed: public subnets (a route to an internet gateway) in loadBalancer.create.subnetIds, or loadBalancer.create.scheme "internal"`,
    ]);
  });

  it.each<[string, Partial<EmfFargateServiceProps>]>([
    ["public load balancer subnets", { loadBalancer: PUBLIC_LOAD_BALANCER }],
    [
      "an internal load balancer in the task subnets",
      { loadBalancer: { create: { scheme: "internal", subnetIds: IDS.subnets } } },
    ],
    [
      'outbound "publicIp" (public task subnets)',
      {
        network: { ...NETWORK, outbound: "publicIp" },
        loadBalancer: { create: { scheme: "internet-facing", subnetIds: IDS.subnets } },
      },
    ],
  ])("GIVEN %s WHEN built THEN no warning", (_case, overrides) => {
    expect(warningsOf(overrides)).toEqual([]);
  });

  it.each([
    [
      "task subnets from a list variable",
      (stack: TerraformStack) => {
        const subnets = new TerraformVariable(stack, "subnets", { type: "list(string)" }).listValue;
        return { tasks: subnets, loadBalancer: [...IDS.subnets] };
      },
    ],
    [
      "one subnet variable in both lists",
      (stack: TerraformStack) => {
        const subnet = new TerraformVariable(stack, "subnet", { type: "string" }).stringValue;
        return { tasks: [subnet], loadBalancer: [subnet, publicA as string] };
      },
    ],
  ])("GIVEN %s WHEN built THEN unresolved subnets are not compared", (_case, subnetsOf) => {
    const stack = newStack();
    const subnets = subnetsOf(stack);
    const service = new EmfFargateService(stack, "Service", {
      ...SERVICE_PROPS,
      network: { ...NETWORK, subnetIds: subnets.tasks },
      loadBalancer: { create: { scheme: "internet-facing", subnetIds: subnets.loadBalancer } },
    });
    expect(service.node.metadata.filter((m) => m.type === "@cdktf/warn")).toEqual([]);
  });
});

describe("ECS Exec through VPC endpoints", () => {
  const endpoints = {
    network: { ...NETWORK, outbound: "vpcEndpoints" },
    agent: { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cloudwatch-agent:1.300058.0b1161" },
  } as const;

  it('GIVEN exec with outbound "vpcEndpoints" WHEN built THEN a warning names the ssmmessages endpoint', () => {
    expect(warningsOf({ ...endpoints, exec: { enabled: true } })).toEqual([
      'exec.enabled with network.outbound "vpcEndpoints" needs the VPC\'s interface endpoint for ssmmessages (com.amazonaws.<region>.ssmmessages), which the construct cannot see: without it the SSM agent in the task cannot open the session channels, and aws ecs execute-command fails although the tasks run normally',
    ]);
  });

  it("GIVEN exec with a KMS key WHEN built THEN the warning names the kms endpoint too", () => {
    expect(
      warningsOf({
        ...endpoints,
        kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        exec: { enabled: true },
      }),
    ).toEqual([
      'exec.enabled with network.outbound "vpcEndpoints" needs the VPC\'s interface endpoints for ssmmessages (com.amazonaws.<region>.ssmmessages) and kms (com.amazonaws.<region>.kms, for exec.kmsKeyArn), which the construct cannot see: without them the SSM agent in the task cannot open the session channels, and aws ecs execute-command fails although the tasks run normally',
    ]);
  });

  it.each<[string, Partial<EmfFargateServiceProps>]>([
    ['exec with outbound "nat"', { exec: { enabled: true } }],
    ['outbound "vpcEndpoints" without exec', endpoints],
  ])("GIVEN %s WHEN built THEN no warning", (_case, overrides) => {
    expect(warningsOf(overrides)).toEqual([]);
  });
});
