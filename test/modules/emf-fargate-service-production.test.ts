/**
 * EmfFargateService's front door and network in production shape: a created load balancer, an existing listener
 * or target group, how tasks reach AWS (network.outbound) and what they wait for (network.dependsOn). Scaling,
 * capacity, deployment and IAM: emf-fargate-service-capacity.test.ts.
 */
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import type { TerraformStack } from "cdktf";
import { DEFAULT_AGENT_IMAGE } from "../../modules/cloudwatch-agent-sidecar";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import type { LoadBalancerOptions } from "../../modules/service-front-door";
import type { Outbound } from "../../modules/service-options";
import { CERTIFICATE } from "../support/koaapp";
import {
  blockOf,
  CONTAINER,
  childOf,
  containerDefinitionsOf,
  containerNamed,
  HEALTH_CHECK,
  IDS,
  NETWORK,
  newStack,
  onlyResource,
  PUBLIC_LOAD_BALANCER,
  problemLine,
  ref,
  resolved,
  resourcesOf,
  SERVICE_PROPS,
  type Synthesized,
  synthStack,
  type TerraformJson,
} from "./support";

const LISTENER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared/0123/4567";
const TARGET_GROUP =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/koaapp/0123456789abcdef";
const [LB_GROUP, OTHER_GROUP] = IDS.securityGroups;

function synthService(
  overrides: Partial<EmfFargateServiceProps>,
  build: (stack: TerraformStack) => Partial<EmfFargateServiceProps> = () => ({}),
): Synthesized<EmfFargateService> {
  return synthStack(
    (stack) => new EmfFargateService(stack, "Service", { ...SERVICE_PROPS, ...overrides, ...build(stack) }),
  );
}

function build(overrides: Partial<EmfFargateServiceProps>): EmfFargateService {
  return new EmfFargateService(newStack(), "Service", { ...SERVICE_PROPS, ...overrides });
}

/** `<type>.<logical id>` of the element at `path` below the service, as depends_on lists it. */
function addressOf(synth: Synthesized<EmfFargateService>, path: string): string {
  const element = childOf(synth.built, path);
  return `${element.terraformResourceType}.${synth.stack.getLogicalId(element)}`;
}

/** The problem lines of the error a build throws (none when it throws none). */
function problemsOf(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    return (error as Error).message.split("\n- ").slice(1);
  }
  return [];
}

function ecsService(synth: Synthesized<EmfFargateService>) {
  return blockOf(synth, synth.built.service);
}

function typesOf(json: TerraformJson): string[] {
  return Object.keys(json.resource ?? {}).sort();
}

const GRANTS = ["Roles/ExecutionRoleManaged", "Roles/ExecutionRoleSecrets", "Roles/TaskRoleEmf"];

describe("EmfFargateService with a created load balancer", () => {
  const synth = synthService({
    loadBalancer: {
      create: {
        ...PUBLIC_LOAD_BALANCER.create,
        scheme: "internet-facing",
        subnetIds: IDS.publicSubnets,
        certificateArn: CERTIFICATE,
        healthCheck: { path: "/livez", matcher: "200-299" },
      },
    },
    deployment: { healthCheckGracePeriodSeconds: 45 },
  });
  const service = synth.built;
  const at = (path: string, attribute: string) => ref(synth.stack, childOf(service, path), attribute);

  it("GIVEN loadBalancer.create WHEN synthesized THEN the tasks register with its target group after the role grants and its listeners", () => {
    expect(ecsService(synth)).toMatchObject({
      load_balancer: [
        {
          target_group_arn: at("LoadBalancer/Targets/Resource", "arn"),
          container_name: "koaapp",
          container_port: 5000,
        },
      ],
      health_check_grace_period_seconds: 45,
      depends_on: [...GRANTS, "LoadBalancer/Https", "LoadBalancer/Http"].map((path) =>
        addressOf(synth, path),
      ),
    });
  });

  it("GIVEN scheme internet-facing and the public subnets WHEN synthesized THEN the load balancer is public, in exactly those subnets", () => {
    expect(blockOf(synth, childOf(service, "LoadBalancer/Resource"))).toMatchObject({
      internal: false,
      load_balancer_type: "application",
      subnets: [...IDS.publicSubnets],
    });
    expect(ecsService(synth).network_configuration).toMatchObject({ subnets: [...IDS.subnets] });
  });

  it("GIVEN a certificate WHEN read THEN url, DNS name and zone are the load balancer's references, the url https", () => {
    const dnsName = at("LoadBalancer/Resource", "dns_name");

    expect(
      resolved(synth.stack, {
        url: service.url,
        loadBalancerDnsName: service.loadBalancerDnsName,
        loadBalancerZoneId: service.loadBalancerZoneId,
      }),
    ).toEqual({
      url: `https://${dnsName}`,
      loadBalancerDnsName: dnsName,
      loadBalancerZoneId: at("LoadBalancer/Resource", "zone_id"),
    });
  });

  it("GIVEN a target health check and the caller's container check WHEN synthesized THEN the target group checks the path and the container runs the caller's check unchanged", () => {
    expect(blockOf(synth, childOf(service, "LoadBalancer/Targets/Resource")).health_check).toMatchObject({
      path: "/livez",
      matcher: "200-299",
    });
    expect(containerNamed(containerDefinitionsOf(synth.json), "koaapp").healthCheck).toEqual(HEALTH_CHECK);
  });

  it("GIVEN the load balancer WHEN synthesized THEN the tasks admit the container port from its group only, and it may reach them there", () => {
    const tasks = at("Ecs/SecurityGroup", "id");
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

describe("EmfFargateService with an internal load balancer", () => {
  const synth = synthService({ loadBalancer: { create: { scheme: "internal", subnetIds: IDS.subnets } } });

  it("GIVEN scheme internal WHEN synthesized THEN the load balancer is internal, in the given subnets, admits nobody by default and serves http", () => {
    expect(blockOf(synth, childOf(synth.built, "LoadBalancer/Resource"))).toMatchObject({
      internal: true,
      subnets: [...IDS.subnets],
    });
    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule").map((r) => r.description)).toEqual([
      "koaapp port from its load balancer",
    ]);
    expect(resolved(synth.stack, synth.built.url)).toMatch(/^http:\/\/\$\{aws_lb\./);
  });

  it("GIVEN no target health check WHEN synthesized THEN the target group checks / (the load balancer's own default)", () => {
    expect(blockOf(synth, childOf(synth.built, "LoadBalancer/Targets/Resource")).health_check).toMatchObject({
      path: "/",
      matcher: "200",
    });
  });
});

describe("EmfFargateService with an existing listener or target group", () => {
  it("GIVEN an existing listener WHEN synthesized THEN a target group and a rule on that listener are created, and its balancer's group is admitted", () => {
    const synth = synthService({
      loadBalancer: {
        existingListener: {
          listenerArn: LISTENER,
          securityGroupId: LB_GROUP,
          priority: 120,
          pathPatterns: ["/orders/*"],
          hostHeaders: ["api.example.com"],
          healthCheck: { path: "/health" },
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
      depends_on: [...GRANTS, "Targets/ListenerRule"].map((path) => addressOf(synth, path)),
    });
    expect(blockOf(synth, childOf(service, "Ecs/IngressLoadBalancer")).referenced_security_group_id).toBe(
      LB_GROUP,
    );
    expect(resourcesOf(synth.json, "aws_lb")).toEqual([]);
  });

  it("GIVEN an existing target group WHEN synthesized THEN the tasks register with it and nothing of a load balancer is created", () => {
    const synth = synthService({
      loadBalancer: { existingTargetGroup: { targetGroupArn: TARGET_GROUP, securityGroupId: LB_GROUP } },
    });

    expect(ecsService(synth)).toMatchObject({
      load_balancer: [{ target_group_arn: TARGET_GROUP, container_name: "koaapp", container_port: 5000 }],
      health_check_grace_period_seconds: 30,
      depends_on: GRANTS.map((path) => addressOf(synth, path)),
    });
    expect(typesOf(synth.json).filter((t) => t.startsWith("aws_lb"))).toEqual([]);
    expect(synth.built.url).toBeUndefined();
  });
});

describe("EmfFargateService network", () => {
  it.each<[Outbound, boolean]>([
    ["publicIp", true],
    ["nat", false],
    ["vpcEndpoints", false],
  ])("GIVEN outbound %p WHEN synthesized THEN assign_public_ip is %p", (outbound, assignPublicIp) => {
    const privateEcr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    const synth = synthService({
      network: { ...NETWORK, outbound },
      // Endpoints serve private ECR only: both images come from there.
      agent: { image: `${privateEcr}/cloudwatch-agent:1.300062.0b1304` },
    });

    expect(ecsService(synth).network_configuration).toMatchObject({ assign_public_ip: assignPublicIp });
  });

  it("GIVEN network.dependsOn (a gateway and its route) WHEN synthesized THEN the load balancer and the ECS service wait for them", () => {
    const synth = synthService({ loadBalancer: PUBLIC_LOAD_BALANCER }, (stack) => {
      const gateway = new InternetGateway(stack, "Gateway", { vpcId: IDS.vpc });
      const route = new Route(stack, "DefaultRoute", {
        routeTableId: "rtb-0a1b2c3d4e5f67890",
        destinationCidrBlock: "0.0.0.0/0",
        gatewayId: gateway.id,
      });
      return { network: { ...NETWORK, dependsOn: [gateway, route] } };
    });
    const network = ["aws_internet_gateway.Gateway", "aws_route.DefaultRoute"];

    expect(blockOf(synth, childOf(synth.built, "LoadBalancer/Resource")).depends_on).toEqual(network);
    expect(ecsService(synth).depends_on).toEqual([
      ...GRANTS.map((path) => addressOf(synth, path)),
      ...network,
      addressOf(synth, "LoadBalancer/Http"),
    ]);
  });

  it("GIVEN subnet lists typed readonly string[] WHEN synthesized THEN the tasks and the load balancer run in them", () => {
    const taskSubnets: readonly string[] = IDS.subnets;
    const lbSubnets: readonly string[] = IDS.publicSubnets;
    const loadBalancer: LoadBalancerOptions = { create: { scheme: "internet-facing", subnetIds: lbSubnets } };
    const synth = synthService({ network: { ...NETWORK, subnetIds: taskSubnets }, loadBalancer });

    expect(ecsService(synth).network_configuration).toMatchObject({ subnets: [...taskSubnets] });
    expect(onlyResource(synth.json, "aws_lb").subnets).toEqual([...lbSubnets]);
  });

  it("GIVEN outbound vpcEndpoints with the default agent image and an image outside ECR WHEN built THEN both images are refused, each at its path", () => {
    const why =
      'is not in private ECR, which network.outbound "vpcEndpoints" needs: interface endpoints serve no other registry, public.ecr.aws included; allowed: an image in <account>.dkr.ecr.<region>.amazonaws.com (a mirrored copy, or an ECR pull-through cache rule for public.ecr.aws)';

    expect(
      problemsOf(() =>
        build({
          container: { ...CONTAINER, image: "ghcr.io/acme/koaapp:1.2.3" },
          network: { ...NETWORK, outbound: "vpcEndpoints" },
        }),
      ),
    ).toEqual([
      `container.image "ghcr.io/acme/koaapp:1.2.3" ${why}`,
      `agent.image "${DEFAULT_AGENT_IMAGE}" ${why}`,
    ]);
  });
});

describe("EmfFargateService validation of the front door", () => {
  it.each<[string, LoadBalancerOptions, string]>([
    [
      "two front doors",
      {
        create: { scheme: "internal", subnetIds: IDS.subnets },
        existingTargetGroup: { targetGroupArn: TARGET_GROUP, securityGroupId: LB_GROUP },
      },
      'loadBalancer ["create","existingTargetGroup"] sets create and existingTargetGroup; allowed: exactly one of create, existingListener, existingTargetGroup',
    ],
    [
      "no front door",
      {},
      "loadBalancer [] chooses no front door; allowed: exactly one of create, existingListener, existingTargetGroup",
    ],
    [
      "an unknown scheme",
      { create: { scheme: "public" as "internal", subnetIds: IDS.publicSubnets } },
      'loadBalancer.create.scheme "public" is not allowed; allowed: "internet-facing", "internal"',
    ],
    [
      "one subnet",
      { create: { scheme: "internet-facing", subnetIds: [IDS.publicSubnets[0]] } },
      `loadBalancer.create.subnetIds ["${IDS.publicSubnets[0]}"] has 1 entry; allowed: two or more subnets, in different zones`,
    ],
    [
      "an idle timeout of 0",
      {
        create: {
          ...PUBLIC_LOAD_BALANCER.create,
          scheme: "internal",
          subnetIds: IDS.subnets,
          idleTimeoutSeconds: 0,
        },
      },
      "loadBalancer.create.idleTimeoutSeconds 0 is out of range; allowed: an integer from 1 to 4000",
    ],
    [
      "a relative health-check path",
      { create: { scheme: "internal", subnetIds: IDS.subnets, healthCheck: { path: "health" } } },
      'loadBalancer.create.healthCheck.path "health" is not an absolute path; allowed: a path starting with / (at most 1024 characters, no spaces or query string), e.g. "/health"',
    ],
    [
      "a listener rule without a condition",
      { existingListener: { listenerArn: LISTENER, securityGroupId: LB_GROUP, priority: 1 } },
      "loadBalancer.existingListener {} has no condition; allowed: pathPatterns, hostHeaders or both",
    ],
    [
      "a listener rule priority of 0",
      {
        existingListener: {
          listenerArn: LISTENER,
          securityGroupId: LB_GROUP,
          priority: 0,
          pathPatterns: ["/x"],
        },
      },
      "loadBalancer.existingListener.priority 0 is out of range; allowed: an integer from 1 to 50000",
    ],
    [
      "a target group ARN of another kind",
      { existingTargetGroup: { targetGroupArn: LISTENER, securityGroupId: OTHER_GROUP as string } },
      `loadBalancer.existingTargetGroup.targetGroupArn "${LISTENER}" is not a target group ARN; allowed: arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>`,
    ],
  ])("GIVEN %s WHEN built THEN it is refused naming the prop", (_case, loadBalancer, message) => {
    expect(() => build({ loadBalancer })).toThrow(problemLine(message));
  });
});
