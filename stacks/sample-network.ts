import { isIPv4 } from "node:net";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Fn, type ITerraformDependable, Op, Token } from "cdktf";
import { Construct } from "constructs";
import { Problems, show } from "../contract/problems";

/** True when a value is known at synth time (not a Terraform token). */
function isKnown(value: unknown): boolean {
  return value !== undefined && !Token.isUnresolved(value);
}

/** True for an IPv4 CIDR whose prefix is from /16 to /20: room for the /24 subnets in up to six zones. */
function isVpcCidr(value: string): boolean {
  const [address = "", bits = ""] = value.split("/");
  return isIPv4(address) && /^\d{2}$/.test(bits) && Number(bits) >= 16 && Number(bits) <= 20;
}

/** Props of {@link SampleNetwork}. */
export interface SampleNetworkProps {
  /** Availability zones, one public and one private subnet in each (at least two: RDS needs two). */
  readonly availabilityZones: readonly string[];
  /**
   * Region the zones belong to. When given, a plan against a provider configured for another region
   * fails on a precondition instead of at apply with an unknown-zone error.
   * @default - not checked
   */
  readonly region?: string;
  /** The VPC's IPv4 CIDR block, split into /24 subnets. @default "10.0.0.0/16" */
  readonly cidrBlock?: string;
  /** Name tag prefix. @default - the construct path */
  readonly name?: string;
  /** Tags for every resource. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The sample stack's VPC: public subnets (tasks with public IPs reach ECR, SSM and CloudWatch
 * through the internet gateway, so no NAT gateway is paid for) and private subnets with no route out,
 * for the database.
 */
export class SampleNetwork extends Construct {
  /** The VPC. */
  readonly vpc: Vpc;
  /** ID of the VPC. */
  readonly vpcId: string;
  /** CIDR block of the VPC. */
  readonly cidrBlock: string;
  /** Public subnet IDs, one per zone. */
  readonly publicSubnetIds: string[];
  /** Private subnet IDs (no route to the internet), one per zone. */
  readonly privateSubnetIds: string[];
  /**
   * What makes the public subnets public: the internet gateway, the default route to it and the subnets' route
   * table associations. A load balancer or task in those subnets must be created after them.
   */
  readonly internetAccess: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: SampleNetworkProps) {
    super(scope, id);
    const cidrBlock = props.cidrBlock ?? "10.0.0.0/16";
    const name = props.name ?? this.node.path.replace(/\//g, "-");
    const zones = props.availabilityZones;

    const problems = new Problems();
    problems.check(
      zones.length < 2 || zones.length > 6,
      `availabilityZones ${show(zones)} has ${zones.length} zones; allowed: 2 to 6 zones`,
    );
    problems.check(
      isKnown(cidrBlock) && !isVpcCidr(cidrBlock),
      `cidrBlock ${show(cidrBlock)} is not an IPv4 CIDR from /16 to /20; allowed: e.g. "10.0.0.0/16"`,
    );
    problems.throwIfAny(`${this.node.path}: invalid props`);

    const tags = (suffix: string) => ({ ...props.tags, Name: `${name}-${suffix}` });
    const currentRegion = props.region === undefined ? undefined : new DataAwsRegion(this, "Region");
    this.vpc = new Vpc(this, "Resource", {
      cidrBlock,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: tags("vpc"),
      lifecycle: currentRegion
        ? {
            precondition: [
              {
                condition: Token.asAny(Op.eq(currentRegion.name, props.region)),
                errorMessage: `The network was synthesized for ${props.region} (zones ${zones.join(", ")}); configure the AWS provider for ${props.region}, e.g. AWS_REGION=${props.region}, or synthesize again for your region.`,
              },
            ],
          }
        : undefined,
    });
    this.vpcId = this.vpc.id;
    this.cidrBlock = this.vpc.cidrBlock;

    const gateway = new InternetGateway(this, "InternetGateway", { vpcId: this.vpc.id, tags: tags("igw") });
    const publicRoutes = new RouteTable(this, "PublicRoutes", { vpcId: this.vpc.id, tags: tags("public") });
    const defaultRoute = new Route(this, "DefaultRoute", {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: gateway.id,
    });
    this.internetAccess.push(gateway, defaultRoute);
    const privateRoutes = new RouteTable(this, "PrivateRoutes", {
      vpcId: this.vpc.id,
      tags: tags("private"),
    });

    // Public subnets take /24 numbers from the bottom of the range, private ones from its upper half.
    const newBits = isKnown(cidrBlock)
      ? 24 - Number(cidrBlock.split("/")[1])
      : Token.asNumber(Op.sub(24, Fn.tonumber(Fn.element(Fn.split("/", cidrBlock), 1))));
    const privateBase = isKnown(newBits) ? 2 ** (newBits - 1) : Token.asNumber(Fn.pow(2, Op.sub(newBits, 1)));
    const privateNumber = (i: number) =>
      isKnown(privateBase) ? privateBase + i : Token.asNumber(Op.add(privateBase, i));
    this.publicSubnetIds = [];
    this.privateSubnetIds = [];
    zones.forEach((zone, i) => {
      const publicSubnet = new Subnet(this, `Public${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: zone,
        cidrBlock: Fn.cidrsubnet(this.vpc.cidrBlock, newBits, i),
        tags: tags(`public-${zone}`),
      });
      this.internetAccess.push(
        new RouteTableAssociation(this, `Public${i}Routes`, {
          subnetId: publicSubnet.id,
          routeTableId: publicRoutes.id,
        }),
      );
      const privateSubnet = new Subnet(this, `Private${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: zone,
        cidrBlock: Fn.cidrsubnet(this.vpc.cidrBlock, newBits, privateNumber(i)),
        tags: tags(`private-${zone}`),
      });
      new RouteTableAssociation(this, `Private${i}Routes`, {
        subnetId: privateSubnet.id,
        routeTableId: privateRoutes.id,
      });
      this.publicSubnetIds.push(publicSubnet.id);
      this.privateSubnetIds.push(privateSubnet.id);
    });
  }
}
