/**
 * ReliabilityChecks' network rules on subnets created in the stack: the tasks' way out (tasks-with-a-way-out), the
 * service's order after it (tasks-after-network), and the load balancer's order after the internet gateway in the
 * layouts the first tests do not build (a gateway attachment, routes declared inline).
 */
import { DefaultRouteTable } from "@cdktf/provider-aws/lib/default-route-table";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { InternetGatewayAttachment } from "@cdktf/provider-aws/lib/internet-gateway-attachment";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { MainRouteTableAssociation } from "@cdktf/provider-aws/lib/main-route-table-association";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint, type VpcEndpointConfig } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcEndpointRouteTableAssociation } from "@cdktf/provider-aws/lib/vpc-endpoint-route-table-association";
import type { ITerraformDependable, TerraformStack } from "cdktf";
import { EmfFargateService } from "../../modules/emf-fargate-service";
import { check, error } from "./reliability-support";
import { IDS, IMAGE, SERVICE_PROPS } from "./support";

/** A VPC of the stack with an internet gateway, a route table and two subnets; what a test adds goes in `network`. */
class Network {
  readonly vpc: Vpc;
  readonly gateway: InternetGateway;
  readonly table: RouteTable;
  readonly subnets: Subnet[];
  /** Everything the tasks' way out is made of, for a service that depends on all of it. */
  readonly network: ITerraformDependable[] = [];

  constructor(
    private readonly s: TerraformStack,
    options: { associated?: boolean; inlineNat?: boolean } = {},
  ) {
    this.vpc = new Vpc(s, "Vpc", { cidrBlock: "10.0.0.0/16" });
    this.gateway = new InternetGateway(s, "Gateway", { vpcId: this.vpc.id });
    const route = options.inlineNat ? [{ cidrBlock: "0.0.0.0/0", natGatewayId: this.nat().id }] : undefined;
    this.table = this.add(new RouteTable(s, "Private", { vpcId: this.vpc.id, route }));
    this.subnets = [0, 1].map(
      (i) => new Subnet(s, `Private${i}`, { vpcId: this.vpc.id, cidrBlock: `10.0.${i}.0/24` }),
    );
    if (options.associated ?? true)
      for (const [i, subnet] of this.subnets.entries())
        this.add(
          new RouteTableAssociation(s, `Private${i}Routes`, {
            subnetId: subnet.id,
            routeTableId: this.table.id,
          }),
        );
    this.network.push(this.gateway);
  }

  /** Records a resource the service should depend on. */
  add<T extends ITerraformDependable>(made: T): T {
    this.network.push(made);
    return made;
  }

  /** A NAT gateway in a subnet of its own. */
  nat(): NatGateway {
    const subnet = new Subnet(this.s, "NatSubnet", { vpcId: this.vpc.id, cidrBlock: "10.0.9.0/24" });
    const eip = new Eip(this.s, "NatIp", { domain: "vpc" });
    return this.add(new NatGateway(this.s, "Nat", { subnetId: subnet.id, allocationId: eip.allocationId }));
  }

  /** A default route in the subnets' table. */
  defaultRoute(target: { gatewayId?: string; natGatewayId?: string; transitGatewayId?: string }): Route {
    return this.add(
      new Route(this.s, "DefaultRoute", {
        routeTableId: this.table.id,
        destinationCidrBlock: "0.0.0.0/0",
        ...target,
      }),
    );
  }

  /** A VPC endpoint for `service` (`com.amazonaws.eu-west-1.<service>`). */
  endpoint(id: string, service: string, config: Partial<VpcEndpointConfig> = {}): VpcEndpoint {
    return this.add(
      new VpcEndpoint(this.s, id, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.eu-west-1.${service}`,
        ...config,
      }),
    );
  }

  /** The endpoints tasks without a route out need, all right. */
  endpoints(): VpcEndpoint[] {
    const interfaceEndpoint = { vpcEndpointType: "Interface", privateDnsEnabled: true };
    return [
      this.endpoint("EcrApi", "ecr.api", interfaceEndpoint),
      this.endpoint("EcrDkr", "ecr.dkr", interfaceEndpoint),
      this.endpoint("Logs", "logs", interfaceEndpoint),
      this.endpoint("S3", "s3", { routeTableIds: [this.table.id] }),
    ];
  }

  /** The ECS service, its tasks in the two subnets. */
  service(
    options: {
      publicIp?: boolean;
      dependsOn?: ITerraformDependable[];
      taskDefinition?: string;
      subnets?: string[];
    } = {},
  ): EcsService {
    return new EcsService(this.s, "Service", {
      name: "koaapp",
      taskDefinition: options.taskDefinition,
      networkConfiguration: {
        subnets: options.subnets ?? this.subnets.map((subnet) => subnet.id),
        assignPublicIp: options.publicIp ?? false,
      },
      dependsOn: options.dependsOn ?? this.network,
    });
  }
}

const ALLOWED =
  'allowed: a public IP with a default route to an internet gateway (network.outbound "publicIp"), a default route to a NAT gateway ("nat"), or the interface endpoints ecr.api, ecr.dkr, logs (and ssm or secretsmanager for secrets) with private DNS and the S3 gateway endpoint on that route table ("vpcEndpoints")';
const noWayOut = (subnets: string, problem: string) =>
  error(
    `[tasks-with-a-way-out] test/Service: aws_ecs_service.Service runs tasks in ${subnets} without a way out to ECR and CloudWatch Logs: ${problem}; tasks cannot pull their images (CannotPullContainerError); ${ALLOWED}`,
  );
const BOTH_SUBNETS = "aws_subnet.Private0, aws_subnet.Private1";
const NO_ENDPOINTS = "no ecr.api endpoint, no ecr.dkr endpoint, no logs endpoint, no S3 gateway endpoint";

describe("ReliabilityChecks tasks-with-a-way-out", () => {
  it("GIVEN tasks without a public IP in subnets whose route table has no default route and a VPC without endpoints WHEN synthesized THEN an error names the subnets, the table and every missing endpoint", () => {
    const { annotations, findings } = check((s) => new Network(s).service());

    expect(annotations).toEqual([
      noWayOut(
        BOTH_SUBNETS,
        `aws_route_table.Private has no default route (0.0.0.0/0), and in aws_vpc.Vpc: ${NO_ENDPOINTS}`,
      ),
    ]);
    expect(findings.map((f) => [f.rule, f.path, f.exempted])).toEqual([
      ["tasks-with-a-way-out", "test/Service", false],
    ]);
  });

  // An internet gateway translates only addresses that have a public IP: tasks without one reach nothing through it
  // (https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html).
  it("GIVEN tasks without a public IP in subnets whose default route goes to the internet gateway WHEN synthesized THEN an error says they cannot use it", () => {
    const { annotations } = check((s) => {
      const net = new Network(s);
      net.defaultRoute({ gatewayId: net.gateway.id });
      net.service({ publicIp: false });
    });

    expect(annotations).toEqual([
      noWayOut(
        BOTH_SUBNETS,
        `aws_route_table.Private routes 0.0.0.0/0 to aws_internet_gateway.Gateway, which tasks without a public IP (assign_public_ip is not true) cannot use, and in aws_vpc.Vpc: ${NO_ENDPOINTS}`,
      ),
    ]);
  });

  it("GIVEN tasks with a public IP in subnets without an association, in a VPC whose main route table has no routes WHEN synthesized THEN an error names the main route table", () => {
    const { annotations } = check((s) => new Network(s, { associated: false }).service({ publicIp: true }));

    expect(annotations).toEqual([
      noWayOut(
        BOTH_SUBNETS,
        `the main route table of aws_vpc.Vpc has no default route (0.0.0.0/0), and in aws_vpc.Vpc: ${NO_ENDPOINTS}`,
      ),
    ]);
  });

  it("GIVEN endpoints of the wrong type, without private DNS, or on another route table WHEN synthesized THEN an error names each", () => {
    const { annotations } = check((s) => {
      const net = new Network(s);
      const other = new RouteTable(s, "Other", { vpcId: net.vpc.id });
      net.endpoint("EcrApi", "ecr.api", { vpcEndpointType: "Interface", privateDnsEnabled: true });
      net.endpoint("EcrDkr", "ecr.dkr", { vpcEndpointType: "Interface" });
      // vpc_endpoint_type defaults to Gateway, which logs does not offer.
      net.endpoint("Logs", "logs", { privateDnsEnabled: true });
      net.endpoint("S3", "s3", { routeTableIds: [other.id] });
      net.service();
    });

    expect(annotations).toEqual([
      noWayOut(
        BOTH_SUBNETS,
        "aws_route_table.Private has no default route (0.0.0.0/0), and in aws_vpc.Vpc: aws_vpc_endpoint.EcrDkr (ecr.dkr) has no private DNS, aws_vpc_endpoint.Logs (logs) is not of type Interface, aws_vpc_endpoint.S3 (s3) is not on aws_route_table.Private",
      ),
    ]);
  });

  it("GIVEN the four endpoints and a task whose secrets come from SSM WHEN synthesized THEN an error asks for the ssm endpoint too", () => {
    const { annotations } = check((s) => {
      const net = new Network(s);
      net.endpoints();
      const secret = new SsmParameter(s, "Secret", {
        name: "/koaapp/secret",
        type: "SecureString",
        value: "x",
      });
      const task = new EcsTaskDefinition(s, "Task", {
        family: "koaapp",
        containerDefinitions: JSON.stringify([
          { name: "app", image: "app", secrets: [{ name: "APP_SECRET", valueFrom: secret.arn }] },
        ]),
      });
      net.service({ taskDefinition: task.arn });
    });

    expect(annotations).toEqual([
      noWayOut(
        BOTH_SUBNETS,
        "aws_route_table.Private has no default route (0.0.0.0/0), and in aws_vpc.Vpc: no ssm endpoint",
      ),
    ]);
  });

  it("GIVEN an environment value that names an SSM parameter the task never reads as a secret WHEN synthesized THEN no ssm endpoint is asked for", () => {
    const { annotations } = check((s) => {
      const net = new Network(s);
      net.endpoints();
      const parameter = new SsmParameter(s, "Config", { name: "/koaapp/config", type: "String", value: "x" });
      const task = new EcsTaskDefinition(s, "Task", {
        family: "koaapp",
        containerDefinitions: JSON.stringify([
          { name: "app", image: "app", environment: [{ name: "CONFIG_NAME", value: parameter.name }] },
        ]),
      });
      net.service({ taskDefinition: task.arn });
    });

    expect(annotations).toEqual([]);
  });

  it.each<[string, (net: Network, s: TerraformStack) => { publicIp?: boolean }]>([
    [
      "a public IP and a default route to the internet gateway",
      (net) => {
        net.defaultRoute({ gatewayId: net.gateway.id });
        return { publicIp: true };
      },
    ],
    [
      "a default route to a NAT gateway",
      (net) => {
        net.defaultRoute({ natGatewayId: net.nat().id });
        return {};
      },
    ],
    [
      "a public IP and a default route to a NAT gateway",
      (net) => {
        net.defaultRoute({ natGatewayId: net.nat().id });
        return { publicIp: true };
      },
    ],
    [
      "a default route to a transit gateway, which the check cannot follow",
      (net) => {
        net.defaultRoute({ transitGatewayId: "tgw-0123456789abcdef0" });
        return {};
      },
    ],
    [
      "the four endpoints, S3 on the subnets' route table",
      (net) => {
        net.endpoints();
        return {};
      },
    ],
    [
      "the four endpoints, S3 on the subnets' route table by aws_vpc_endpoint_route_table_association",
      (net, s) => {
        const s3 = net.endpoint("S3", "s3");
        net.add(
          new VpcEndpointRouteTableAssociation(s, "S3Routes", {
            vpcEndpointId: s3.id,
            routeTableId: net.table.id,
          }),
        );
        const interfaceEndpoint = { vpcEndpointType: "Interface", privateDnsEnabled: true };
        for (const service of ["ecr.api", "ecr.dkr", "logs"])
          net.endpoint(service.replace(".", ""), service, interfaceEndpoint);
        return {};
      },
    ],
  ])("GIVEN %s WHEN synthesized THEN there is no finding", (_case, build) => {
    const { annotations } = check((s) => {
      const net = new Network(s);
      net.service(build(net, s));
    });

    expect(annotations).toEqual([]);
  });

  it.each<[string, (s: TerraformStack) => void]>([
    [
      "a NAT route declared inline in the subnets' route table",
      (s) => new Network(s, { inlineNat: true }).service(),
    ],
    [
      "subnets without an association and a main route table set by aws_main_route_table_association, with a NAT route",
      (s) => {
        const net = new Network(s, { associated: false });
        net.defaultRoute({ natGatewayId: net.nat().id });
        net.add(new MainRouteTableAssociation(s, "Main", { vpcId: net.vpc.id, routeTableId: net.table.id }));
        net.service();
      },
    ],
    [
      "subnets without an association and a NAT route on the VPC's own main route table",
      (s) => {
        const net = new Network(s, { associated: false });
        const nat = net.nat();
        net.add(
          new Route(s, "MainDefault", {
            routeTableId: net.vpc.mainRouteTableId,
            destinationCidrBlock: "0.0.0.0/0",
            natGatewayId: nat.id,
          }),
        );
        net.service();
      },
    ],
    [
      "subnets without an association and aws_default_route_table with an inline NAT route",
      (s) => {
        const net = new Network(s, { associated: false });
        const nat = net.nat();
        net.add(
          new DefaultRouteTable(s, "MainTable", {
            defaultRouteTableId: net.vpc.defaultRouteTableId,
            route: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
          }),
        );
        net.service();
      },
    ],
  ])("GIVEN %s WHEN synthesized THEN there is no finding", (_case, build) => {
    expect(check(build).annotations).toEqual([]);
  });

  it.each<[string, (s: TerraformStack) => void]>([
    ["subnets given as IDs", (s) => new Network(s).service({ subnets: [...IDS.subnets] })],
    [
      "subnets created in an existing VPC (vpc_id given as an ID), whose main route table and endpoints cannot be seen",
      (s) => {
        const subnet = new Subnet(s, "Elsewhere", { vpcId: IDS.vpc, cidrBlock: "10.1.0.0/24" });
        new EcsService(s, "Service", { name: "koaapp", networkConfiguration: { subnets: [subnet.id] } });
      },
    ],
  ])("GIVEN %s WHEN synthesized THEN they are out of reach: no finding", (_case, build) => {
    expect(check(build).annotations).toEqual([]);
  });
});

describe("ReliabilityChecks tasks-after-network", () => {
  const message = (missing: string) =>
    error(
      `[tasks-after-network] test/Service: aws_ecs_service.Service does not depend on ${missing}, which give its subnets their way out: ECS may start tasks before they exist (CannotPullContainerError); allowed: depends_on them (EmfFargateService: network.dependsOn)`,
    );

  it("GIVEN a NAT route and a service that depends on nothing WHEN synthesized THEN an error names the associations and the route", () => {
    const { annotations } = check((s) => {
      const net = new Network(s);
      net.defaultRoute({ natGatewayId: net.nat().id });
      net.service({ dependsOn: [] });
    });

    expect(annotations).toEqual([
      message(
        "aws_route_table_association.Private0Routes, aws_route_table_association.Private1Routes, aws_route.DefaultRoute",
      ),
    ]);
  });

  it("GIVEN an inline NAT route and a service that depends on nothing WHEN synthesized THEN the route table declaring the route is named", () => {
    const { annotations } = check((s) => new Network(s, { inlineNat: true }).service({ dependsOn: [] }));

    expect(annotations).toEqual([
      message(
        "aws_route_table_association.Private0Routes, aws_route_table_association.Private1Routes, aws_route_table.Private",
      ),
    ]);
  });

  it("GIVEN endpoints and a service that depends on the associations only WHEN synthesized THEN each endpoint is named", () => {
    const { annotations } = check((s) => {
      const net = new Network(s);
      net.endpoints();
      net.service({ dependsOn: net.network.filter((r) => r instanceof RouteTableAssociation) });
    });

    expect(annotations).toEqual([
      message("aws_vpc_endpoint.EcrApi, aws_vpc_endpoint.EcrDkr, aws_vpc_endpoint.Logs, aws_vpc_endpoint.S3"),
    ]);
  });

  it("GIVEN a public IP, a gateway attached by aws_internet_gateway_attachment and a service that does not depend on the attachment WHEN synthesized THEN the attachment is named", () => {
    const { annotations } = check((s) => {
      const net = new Network(s);
      const detached = new InternetGateway(s, "Detached", {});
      new InternetGatewayAttachment(s, "Attachment", { internetGatewayId: detached.id, vpcId: net.vpc.id });
      net.defaultRoute({ gatewayId: detached.id });
      net.service({ publicIp: true });
    });

    expect(annotations).toEqual([message("aws_internet_gateway_attachment.Attachment")]);
  });
});

describe("ReliabilityChecks load-balancer-after-gateway, other layouts", () => {
  const lbMessage = (gateway: string, missing: string) =>
    error(
      `[load-balancer-after-gateway] test/Lb: aws_lb.Lb is internet-facing in subnets of the VPC of ${gateway} but does not depend on ${missing}: Terraform may create it before the gateway is attached (InvalidSubnet); allowed: depends_on them (EmfFargateService: network.dependsOn)`,
    );

  it("GIVEN a gateway attached by aws_internet_gateway_attachment and a load balancer that depends on the gateway and the route WHEN synthesized THEN the attachment is named", () => {
    const { annotations } = check((s) => {
      const vpc = new Vpc(s, "Vpc", { cidrBlock: "10.0.0.0/16" });
      const gateway = new InternetGateway(s, "Gateway", {});
      new InternetGatewayAttachment(s, "Attachment", { internetGatewayId: gateway.id, vpcId: vpc.id });
      const table = new RouteTable(s, "Public", { vpcId: vpc.id });
      const route = new Route(s, "DefaultRoute", {
        routeTableId: table.id,
        destinationCidrBlock: "0.0.0.0/0",
        gatewayId: gateway.id,
      });
      const subnets = [0, 1].map(
        (i) => new Subnet(s, `Public${i}`, { vpcId: vpc.id, cidrBlock: `10.0.${i}.0/24` }),
      );
      new Lb(s, "Lb", { subnets: subnets.map((x) => x.id), dependsOn: [gateway, route] });
    });

    expect(annotations).toEqual([
      lbMessage("aws_internet_gateway.Gateway", "aws_internet_gateway_attachment.Attachment"),
    ]);
  });

  it("GIVEN a route to the gateway declared inline in a route table and a load balancer that depends on the gateway only WHEN synthesized THEN the route table is named", () => {
    const { annotations } = check((s) => {
      const vpc = new Vpc(s, "Vpc", { cidrBlock: "10.0.0.0/16" });
      const gateway = new InternetGateway(s, "Gateway", { vpcId: vpc.id });
      new RouteTable(s, "Public", {
        vpcId: vpc.id,
        route: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }],
      });
      const subnets = [0, 1].map(
        (i) => new Subnet(s, `Public${i}`, { vpcId: vpc.id, cidrBlock: `10.0.${i}.0/24` }),
      );
      new Lb(s, "Lb", { subnets: subnets.map((x) => x.id), dependsOn: [gateway] });
    });

    expect(annotations).toEqual([lbMessage("aws_internet_gateway.Gateway", "aws_route_table.Public")]);
  });
});

describe("ReliabilityChecks with EmfFargateService, network.outbound vpcEndpoints in a VPC of the stack", () => {
  /** The service in the network's private subnets, both images in private ECR, its secrets in SSM. */
  const inPrivateSubnets = (withSsm: boolean, dependsOn: (net: Network) => ITerraformDependable[]) => {
    let address = "";
    const checked = check((s) => {
      const net = new Network(s);
      net.endpoints();
      if (withSsm) net.endpoint("Ssm", "ssm", { vpcEndpointType: "Interface", privateDnsEnabled: true });
      const service = new EmfFargateService(s, "Service", {
        ...SERVICE_PROPS,
        agent: { image: `${IMAGE.split("/")[0]}/cloudwatch-agent/cloudwatch-agent:1.300062.0b1304` },
        network: {
          vpcId: net.vpc.id,
          subnetIds: net.subnets.map((subnet) => subnet.id),
          outbound: "vpcEndpoints",
          dependsOn: dependsOn(net),
        },
      });
      address = `aws_ecs_service.${s.getLogicalId(service.service)}`;
    });
    return { ...checked, address };
  };

  it("GIVEN the endpoints its SSM secrets need, in network.dependsOn WHEN synthesized THEN no rule finds anything", () => {
    expect(inPrivateSubnets(true, (net) => net.network).findings).toEqual([]);
  });

  it("GIVEN no ssm endpoint WHEN synthesized THEN an error says the secrets need one", () => {
    const { annotations, address } = inPrivateSubnets(false, (net) => net.network);

    expect(annotations).toEqual([
      error(
        `[tasks-with-a-way-out] test/Service/Ecs/Resource: ${address} runs tasks in ${BOTH_SUBNETS} without a way out to ECR and CloudWatch Logs: aws_route_table.Private has no default route (0.0.0.0/0), and in aws_vpc.Vpc: no ssm endpoint; tasks cannot pull their images (CannotPullContainerError); ${ALLOWED}`,
      ),
    ]);
  });

  it("GIVEN the endpoints left out of network.dependsOn WHEN synthesized THEN an error names each", () => {
    const { annotations, address } = inPrivateSubnets(true, (net) =>
      net.network.filter((r) => r instanceof RouteTableAssociation),
    );

    expect(annotations).toEqual([
      error(
        `[tasks-after-network] test/Service/Ecs/Resource: ${address} does not depend on aws_vpc_endpoint.EcrApi, aws_vpc_endpoint.EcrDkr, aws_vpc_endpoint.Logs, aws_vpc_endpoint.S3, aws_vpc_endpoint.Ssm, which give its subnets their way out: ECS may start tasks before they exist (CannotPullContainerError); allowed: depends_on them (EmfFargateService: network.dependsOn)`,
      ),
    ]);
  });
});
