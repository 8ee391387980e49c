/**
 * The network rules of {@link ReliabilityChecks}: what a load balancer and the tasks need from subnets created in the
 * same stack, and the order Terraform must create it in. Internal to the package.
 *
 * Only what the stack itself declares can be seen: subnets given as plain IDs, variables or another stack's outputs,
 * route tables and endpoints created elsewhere are out of reach, and those subnets are not judged
 * (docs/networking.md says what they must provide).
 */
import type { IConstruct } from "constructs";
import type { ReliabilityRule } from "./reliability-checks";
import { type Block, type Element, mentions, refersTo, type StackGraph } from "./reliability-graph";

/** Records a finding. */
type Report = (node: IConstruct, rule: ReliabilityRule, message: string) => void;

/** Arguments of a route (`aws_route`, or an inline `route` of a route table) that send traffic somewhere else. */
const OTHER_TARGETS = [
  "transit_gateway_id",
  "network_interface_id",
  "vpc_endpoint_id",
  "vpc_peering_connection_id",
  "core_network_arn",
  "local_gateway_id",
  "carrier_gateway_id",
  "gateway_id",
] as const;

/** A default route (0.0.0.0/0) and where it goes. */
interface DefaultRoute {
  /** The resource that creates it: the `aws_route`, or the route table that declares it inline. */
  readonly source: string;
  readonly target: "internet gateway" | "NAT gateway" | "other";
  /** What it goes through, as a message names it. */
  readonly via: string;
  /** Other resources the route only works after (an internet gateway's VPC attachment). */
  readonly after: readonly string[];
}

/** A route table a subnet uses, as far as the stack shows it. */
interface RouteTableView {
  /** How a message names it. */
  readonly name: string;
  /** Whether a value refers to this table (a route's `route_table_id`, an endpoint's `route_table_ids`). */
  readonly isReferredBy: (value: unknown) => boolean;
  /** The resources that declare its inline routes (`aws_route_table`, `aws_default_route_table`). */
  readonly inline: readonly Element[];
  /** The resources that make the subnet use it: its association, or the VPC's main route table association. */
  readonly associations: readonly string[];
}

const set = (value: unknown) => value !== undefined && value !== null && value !== "";
const isToken = (value: unknown) => typeof value === "string" && value.includes("${");
/** A route's destination is 0.0.0.0/0, or a token that may be. */
const isDefault = (cidr: unknown) => cidr === "0.0.0.0/0" || isToken(cidr);

/**
 * The endpoints tasks without a route out need, each with its endpoint type: images from private ECR (`ecr.api`,
 * `ecr.dkr`, and the S3 **gateway** endpoint for the layers, "The interface endpoints for Amazon S3 can't be used
 * with Amazon ECR") and `awslogs` (`logs`), per "Considerations for Amazon ECS VPC endpoints for the Fargate launch
 * type" in https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html and
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html. Secrets add `ssm` or `secretsmanager`
 * (https://repost.aws/knowledge-center/ecs-fargate-docker-timeout-error).
 */
const ENDPOINTS = {
  "ecr.api": "Interface",
  "ecr.dkr": "Interface",
  logs: "Interface",
  s3: "Gateway",
  ssm: "Interface",
  secretsmanager: "Interface",
} as const;

type EndpointService = keyof typeof ENDPOINTS;

/** The network rules over one stack's graph. */
export class NetworkChecks {
  constructor(
    private readonly graph: StackGraph,
    private readonly report: Report,
  ) {}

  /** Runs every network rule. */
  run(): void {
    for (const lb of this.graph.ofType("aws_lb")) this.loadBalancerAfterGateway(lb);
    for (const service of this.graph.ofType("aws_ecs_service")) this.tasksWithAWayOut(service);
  }

  /** The VPC of the stack a resource's `vpc_id` refers to. */
  private vpcOf(block: Block): Element | undefined {
    return this.graph.ofType("aws_vpc").find((vpc) => refersTo(block.vpc_id, vpc.address));
  }

  /** The internet gateways of a VPC: created in it, or attached to it by `aws_internet_gateway_attachment`. */
  private gatewaysOf(vpc: string): Element[] {
    const attached = this.graph
      .ofType("aws_internet_gateway_attachment")
      .filter((a) => refersTo(a.block.vpc_id, vpc));
    return this.graph
      .ofType("aws_internet_gateway")
      .filter(
        (g) =>
          refersTo(g.block.vpc_id, vpc) ||
          attached.some((a) => refersTo(a.block.internet_gateway_id, g.address)),
      );
  }

  /** The attachments of an internet gateway. */
  private attachmentsOf(gateway: string): string[] {
    return this.graph
      .ofType("aws_internet_gateway_attachment")
      .filter((a) => refersTo(a.block.internet_gateway_id, gateway))
      .map((a) => a.address);
  }

  /** The inline routes a route table resource declares. */
  private static inlineRoutes(table: Element): Block[] {
    const routes = table.block.route;
    return Array.isArray(routes) ? (routes as Block[]) : [];
  }

  private loadBalancerAfterGateway(lb: Element): void {
    if (lb.block.internal === true) return;
    const vpcs = new Set(
      this.graph
        .ofType("aws_subnet")
        .filter((subnet) => refersTo(lb.block.subnets, subnet.address))
        .flatMap((subnet) => {
          const vpc = this.vpcOf(subnet.block);
          return vpc ? [vpc.address] : [];
        }),
    );
    for (const gateway of [...vpcs].flatMap((vpc) => this.gatewaysOf(vpc))) {
      const routes = [
        ...this.graph.ofType("aws_route").filter((r) => refersTo(r.block.gateway_id, gateway.address)),
        ...this.routeTables().filter((t) =>
          NetworkChecks.inlineRoutes(t).some((r) => refersTo(r.gateway_id, gateway.address)),
        ),
      ].map((r) => r.address);
      const missing = [gateway.address, ...this.attachmentsOf(gateway.address), ...routes].filter(
        (needed) => !this.graph.reaches(lb.address, needed),
      );
      if (missing.length > 0)
        this.report(
          lb.construct,
          "load-balancer-after-gateway",
          `${lb.address} is internet-facing in subnets of the VPC of ${gateway.address} but does not depend on ${missing.join(", ")}: Terraform may create it before the gateway is attached (InvalidSubnet); allowed: depends_on them (EmfFargateService: network.dependsOn)`,
        );
    }
  }

  /** The route tables of the stack that can declare routes inline. */
  private routeTables(): Element[] {
    return [...this.graph.ofType("aws_route_table"), ...this.graph.ofType("aws_default_route_table")];
  }

  /** Whether `value` names the main route table AWS creates with `vpc` (its `main_route_table_id`, `default_route_table_id`). */
  private static namesMainTable(vpc: Element, value: unknown): boolean {
    return (
      mentions(value, `${vpc.address}.main_route_table_id`) ||
      mentions(value, `${vpc.address}.default_route_table_id`)
    );
  }

  /** The route table an association (of a subnet, or the VPC's main one) makes its subnets use. */
  private tableAssociatedBy(association: Element): RouteTableView | undefined {
    const table = this.tableReferredBy(association.block.route_table_id);
    return table && { ...table, associations: [association.address] };
  }

  /** A route table of the stack a value refers to (an association's `route_table_id`), when it can be seen. */
  private tableReferredBy(value: unknown): RouteTableView | undefined {
    const table = this.routeTables().find((t) => refersTo(value, t.address));
    if (table)
      return {
        name: table.address,
        isReferredBy: (v) => refersTo(v, table.address),
        inline: [table],
        associations: [],
      };
    const vpc = this.graph.ofType("aws_vpc").find((v) => NetworkChecks.namesMainTable(v, value));
    return vpc ? this.mainTableOf(vpc, false) : undefined;
  }

  /**
   * The main route table of a VPC of the stack, which subnets without an association use: the table an
   * `aws_main_route_table_association` makes main, else the VPC's own (its `main_route_table_id`, managed by routes
   * that refer to it or by `aws_default_route_table`).
   */
  private mainTableOf(vpc: Element, associated = true): RouteTableView | undefined {
    const association = associated
      ? this.graph
          .ofType("aws_main_route_table_association")
          .find((a) => refersTo(a.block.vpc_id, vpc.address))
      : undefined;
    if (association) return this.tableAssociatedBy(association);
    const own = (v: unknown) => NetworkChecks.namesMainTable(vpc, v);
    const defaults = this.graph
      .ofType("aws_default_route_table")
      .filter((d) => own(d.block.default_route_table_id));
    return {
      name: `the main route table of ${vpc.address}`,
      isReferredBy: (v) => own(v) || defaults.some((d) => refersTo(v, d.address)),
      inline: defaults,
      associations: [],
    };
  }

  /** The route table a subnet of the stack uses, or undefined when it is out of reach. */
  private tableOf(subnet: Element, vpc: Element): RouteTableView | undefined {
    const association = this.graph
      .ofType("aws_route_table_association")
      .find((a) => refersTo(a.block.subnet_id, subnet.address));
    return association ? this.tableAssociatedBy(association) : this.mainTableOf(vpc);
  }

  /** Where a route goes, or undefined when it sends nothing out (no target, or an IPv6-only gateway). */
  private classify(route: Block, source: string): DefaultRoute | undefined {
    const gateway = this.graph
      .ofType("aws_internet_gateway")
      .find((g) => refersTo(route.gateway_id, g.address));
    if (gateway)
      return {
        source,
        target: "internet gateway",
        via: gateway.address,
        after: this.attachmentsOf(gateway.address),
      };
    if (typeof route.gateway_id === "string" && route.gateway_id.startsWith("igw-"))
      return { source, target: "internet gateway", via: route.gateway_id, after: [] };
    if (set(route.nat_gateway_id)) {
      const nat = this.graph.ofType("aws_nat_gateway").find((n) => refersTo(route.nat_gateway_id, n.address));
      return { source, target: "NAT gateway", via: nat?.address ?? String(route.nat_gateway_id), after: [] };
    }
    const other = OTHER_TARGETS.find((key) => set(route[key]));
    return other ? { source, target: "other", via: other, after: [] } : undefined;
  }

  /** The default routes of a route table: `aws_route` resources and inline routes. */
  private defaultRoutes(table: RouteTableView): DefaultRoute[] {
    const routes = this.graph
      .ofType("aws_route")
      .filter((r) => table.isReferredBy(r.block.route_table_id) && isDefault(r.block.destination_cidr_block))
      .map((r) => this.classify(r.block, r.address));
    const inline = table.inline.flatMap((t) =>
      NetworkChecks.inlineRoutes(t)
        .filter((r) => isDefault(r.cidr_block))
        .map((r) => this.classify(r, t.address)),
    );
    return [...routes, ...inline].filter((r): r is DefaultRoute => r !== undefined);
  }

  /**
   * The endpoints of `vpc` that `services` need, for tasks whose subnets use `table`: what is wrong, and the
   * resources the service must depend on when nothing is.
   */
  private endpoints(
    vpc: Element,
    table: RouteTableView,
    services: readonly EndpointService[],
  ): { problems: string[]; after: string[] } {
    const ofVpc = this.graph.ofType("aws_vpc_endpoint").filter((e) => refersTo(e.block.vpc_id, vpc.address));
    const missing: string[] = [];
    const problems: string[] = [];
    const after: string[] = [];
    for (const service of services) {
      const candidates = ofVpc.filter(
        (e) => typeof e.block.service_name === "string" && e.block.service_name.endsWith(`.${service}`),
      );
      const wanted = ENDPOINTS[service];
      // The provider's defaults: vpc_endpoint_type "Gateway", private_dns_enabled false
      // (hashicorp/terraform-provider-aws v5.100.0, website/docs/r/vpc_endpoint.html.markdown).
      const typeOf = (e: Element) => e.block.vpc_endpoint_type ?? "Gateway";
      const routeAssociation = (e: Element) =>
        this.graph
          .ofType("aws_vpc_endpoint_route_table_association")
          .find(
            (a) => refersTo(a.block.vpc_endpoint_id, e.address) && table.isReferredBy(a.block.route_table_id),
          );
      const fine = candidates.find((e) =>
        wanted === "Interface"
          ? (typeOf(e) === "Interface" || isToken(typeOf(e))) &&
            (e.block.private_dns_enabled === true || isToken(e.block.private_dns_enabled))
          : (typeOf(e) === "Gateway" || isToken(typeOf(e))) &&
            (table.isReferredBy(e.block.route_table_ids) || routeAssociation(e) !== undefined),
      );
      if (fine) {
        after.push(fine.address);
        const association = routeAssociation(fine);
        if (association) after.push(association.address);
        continue;
      }
      const [first] = candidates;
      if (!first) missing.push(service === "s3" ? "no S3 gateway endpoint" : `no ${service} endpoint`);
      else if (typeOf(first) !== wanted)
        problems.push(`${first.address} (${service}) is not of type ${wanted}`);
      else if (wanted === "Interface") problems.push(`${first.address} (${service}) has no private DNS`);
      else problems.push(`${first.address} (${service}) is not on ${table.name}`);
    }
    return { problems: [...missing, ...problems], after };
  }

  /** The endpoints the tasks of a service need: the four ECS always uses, and those its secrets come from. */
  private servicesFor(service: Element): EndpointService[] {
    const definitions = this.graph
      .ofType("aws_ecs_task_definition")
      .filter((t) => refersTo(service.block.task_definition, t.address))
      .map((t) => t.block.container_definitions);
    // Only where secrets come from counts; an environment value may name a parameter the task never reads.
    const sources = definitions.map((text) => {
      try {
        const containers = JSON.parse(String(text)) as {
          secrets?: unknown;
          repositoryCredentials?: unknown;
        }[];
        return JSON.stringify(containers.map((c) => [c.secrets, c.repositoryCredentials]));
      } catch {
        return String(text);
      }
    });
    const all = sources.join("\n");
    return [
      "ecr.api",
      "ecr.dkr",
      "logs",
      "s3",
      ...(/aws_ssm_parameter\.|:ssm:|:parameter\//.test(all) ? (["ssm"] as const) : []),
      ...(/aws_secretsmanager_secret|:secretsmanager:/.test(all) ? (["secretsmanager"] as const) : []),
    ];
  }

  private tasksWithAWayOut(service: Element): void {
    const raw = service.block.network_configuration;
    const network = (Array.isArray(raw) ? raw[0] : raw) as Block | undefined;
    if (!network) return;
    const publicIp = network.assign_public_ip === true || isToken(network.assign_public_ip);
    // Subnets that share a route table share its way out; each has its own association.
    const groups = new Map<
      string,
      { table: RouteTableView; vpc: Element; subnets: string[]; associations: string[] }
    >();
    for (const subnet of this.graph
      .ofType("aws_subnet")
      .filter((s) => refersTo(network.subnets, s.address))) {
      const vpc = this.vpcOf(subnet.block);
      const table = vpc && this.tableOf(subnet, vpc);
      if (!vpc || !table) continue;
      const group = groups.get(table.name) ?? { table, vpc, subnets: [], associations: [] };
      group.subnets.push(subnet.address);
      for (const association of table.associations)
        if (!group.associations.includes(association)) group.associations.push(association);
      groups.set(table.name, group);
    }
    const after = new Set<string>();
    for (const { table, vpc, subnets, associations } of groups.values()) {
      const routes = this.defaultRoutes(table);
      const internet = routes.find((r) => r.target === "internet gateway");
      const other = routes.find((r) => r.target !== "internet gateway");
      const viaRoute = publicIp ? (internet ?? other) : other;
      if (viaRoute) {
        for (const needed of [...associations, viaRoute.source, ...viaRoute.after]) after.add(needed);
        continue;
      }
      const endpoints = this.endpoints(vpc, table, this.servicesFor(service));
      if (endpoints.problems.length === 0) {
        for (const needed of [...associations, ...endpoints.after]) after.add(needed);
        continue;
      }
      const route = internet
        ? `${table.name} routes 0.0.0.0/0 to ${internet.via}, which tasks without a public IP (assign_public_ip is not true) cannot use`
        : `${table.name} has no default route (0.0.0.0/0)`;
      this.report(
        service.construct,
        "tasks-with-a-way-out",
        `${service.address} runs tasks in ${subnets.join(", ")} without a way out to ECR and CloudWatch Logs: ${route}, and in ${vpc.address}: ${endpoints.problems.join(", ")}; tasks cannot pull their images (CannotPullContainerError); allowed: a public IP with a default route to an internet gateway (network.outbound "publicIp"), a default route to a NAT gateway ("nat"), or the interface endpoints ecr.api, ecr.dkr, logs (and ssm or secretsmanager for secrets) with private DNS and the S3 gateway endpoint on that route table ("vpcEndpoints")`,
      );
    }
    const missing = [...after].filter((needed) => !this.graph.reaches(service.address, needed));
    if (missing.length > 0)
      this.report(
        service.construct,
        "tasks-after-network",
        `${service.address} does not depend on ${missing.join(", ")}, which give its subnets their way out: ECS may start tasks before they exist (CannotPullContainerError); allowed: depends_on them (EmfFargateService: network.dependsOn)`,
      );
  }
}
