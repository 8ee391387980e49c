import type { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import type { Route } from "@cdktf/provider-aws/lib/route";
import type { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import type { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import type { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { TerraformVariable } from "cdktf";
import { SampleNetwork, type SampleNetworkProps } from "../../stacks/sample-network";
import {
  blockOf,
  newStack,
  onlyResource,
  problemLine,
  ref,
  resolved,
  resourcesOf,
  synthStack,
} from "../modules/support";

const ZONES = ["eu-west-1a", "eu-west-1b"];

function build(props: Partial<SampleNetworkProps>): SampleNetwork {
  return new SampleNetwork(newStack(), "Network", { availabilityZones: ZONES, ...props });
}

/** The `(newbits, netnum)` of a subnet's `${cidrsubnet(<vpc cidr>, newbits, netnum)}` expression. */
function cidrsubnetArgs(cidrBlock: unknown): { newBits: number; netNum: number } {
  const match = /^\$\{cidrsubnet\(aws_vpc\.[^.]+\.cidr_block, ([^,]+), ([^)]+)\)\}$/.exec(String(cidrBlock));
  if (!match) throw new Error(`not a cidrsubnet of the VPC: ${String(cidrBlock)}`);
  return { newBits: Number(match[1]), netNum: Number(match[2]) };
}

describe("SampleNetwork with defaults in two zones", () => {
  const synth = synthStack((stack) => new SampleNetwork(stack, "Network", { availabilityZones: ZONES }));
  const network = synth.built;
  const subnet = (id: string) => blockOf(synth, network.node.findChild(id) as Subnet);
  const vpcRef = (attribute: string) => ref(synth.stack, network.vpc, attribute);

  it("GIVEN no cidrBlock WHEN synthesized THEN the VPC is 10.0.0.0/16 with DNS on, named after the construct path", () => {
    expect(onlyResource(synth.json, "aws_vpc")).toEqual({
      cidr_block: "10.0.0.0/16",
      enable_dns_hostnames: true,
      enable_dns_support: true,
      tags: { Name: "test-Network-vpc" },
    });
    expect(blockOf(synth, network.vpc)).toBe(onlyResource(synth.json, "aws_vpc"));
  });

  it("GIVEN two zones WHEN synthesized THEN there are two public and two private subnets, one of each per zone", () => {
    expect(resourcesOf(synth.json, "aws_subnet")).toHaveLength(4);
    ZONES.forEach((zone, i) => {
      expect(subnet(`Public${i}`)).toEqual({
        vpc_id: vpcRef("id"),
        availability_zone: zone,
        cidr_block: `\${cidrsubnet(${vpcRef("cidr_block").slice(2, -1)}, 8, ${i})}`,
        tags: { Name: `test-Network-public-${zone}` },
      });
      expect(subnet(`Private${i}`)).toEqual({
        vpc_id: vpcRef("id"),
        availability_zone: zone,
        cidr_block: `\${cidrsubnet(${vpcRef("cidr_block").slice(2, -1)}, 8, ${128 + i})}`,
        tags: { Name: `test-Network-private-${zone}` },
      });
    });
  });

  it("GIVEN the subnets WHEN read THEN the public and private id lists follow the zone order", () => {
    expect(resolved(synth.stack, network.publicSubnetIds)).toEqual(
      ZONES.map((_, i) => ref(synth.stack, network.node.findChild(`Public${i}`) as Subnet, "id")),
    );
    expect(resolved(synth.stack, network.privateSubnetIds)).toEqual(
      ZONES.map((_, i) => ref(synth.stack, network.node.findChild(`Private${i}`) as Subnet, "id")),
    );
    expect(resolved(synth.stack, network.vpcId)).toBe(vpcRef("id"));
    expect(resolved(synth.stack, network.cidrBlock)).toBe(vpcRef("cidr_block"));
  });

  it("GIVEN the route tables WHEN synthesized THEN only the public one has a route, 0.0.0.0/0 to the internet gateway", () => {
    const gateway = onlyResource(synth.json, "aws_internet_gateway");
    const publicRoutes = network.node.findChild("PublicRoutes") as RouteTable;
    const privateRoutes = network.node.findChild("PrivateRoutes") as RouteTable;

    expect(gateway).toEqual({ vpc_id: vpcRef("id"), tags: { Name: "test-Network-igw" } });
    expect(resourcesOf(synth.json, "aws_route")).toEqual([
      {
        route_table_id: ref(synth.stack, publicRoutes, "id"),
        destination_cidr_block: "0.0.0.0/0",
        gateway_id: ref(synth.stack, network.node.findChild("InternetGateway") as InternetGateway, "id"),
      },
    ]);
    expect(blockOf(synth, publicRoutes)).toEqual({
      vpc_id: vpcRef("id"),
      tags: { Name: "test-Network-public" },
    });
    expect(blockOf(synth, privateRoutes)).toEqual({
      vpc_id: vpcRef("id"),
      tags: { Name: "test-Network-private" },
    });
  });

  it("GIVEN the subnets WHEN synthesized THEN public subnets use the public table and private subnets the private one", () => {
    const idOf = (id: string) => ref(synth.stack, network.node.findChild(id) as Subnet | RouteTable, "id");

    expect(resourcesOf(synth.json, "aws_route_table_association")).toHaveLength(4);
    ZONES.forEach((_, i) => {
      expect(blockOf(synth, network.node.findChild(`Public${i}Routes`) as RouteTableAssociation)).toEqual({
        subnet_id: idOf(`Public${i}`),
        route_table_id: idOf("PublicRoutes"),
      });
      expect(blockOf(synth, network.node.findChild(`Private${i}Routes`) as RouteTableAssociation)).toEqual({
        subnet_id: idOf(`Private${i}`),
        route_table_id: idOf("PrivateRoutes"),
      });
    });
  });
});

describe("SampleNetwork's internet access", () => {
  const synth = synthStack((stack) => {
    const network = new SampleNetwork(stack, "Network", { availabilityZones: ZONES });
    const lb = new Lb(stack, "Lb", { subnets: network.publicSubnetIds, dependsOn: network.internetAccess });
    return { network, lb };
  });
  const { network, lb } = synth.built;
  const child = (id: string) => network.node.findChild(id) as InternetGateway | Route | RouteTableAssociation;

  it("GIVEN two zones WHEN read THEN internetAccess is the gateway, the default route and each public subnet's association", () => {
    expect(network.internetAccess).toEqual([
      child("InternetGateway"),
      child("DefaultRoute"),
      child("Public0Routes"),
      child("Public1Routes"),
    ]);
  });

  it("GIVEN a load balancer that depends on internetAccess WHEN synthesized THEN it waits for exactly those resources, not the private routes", () => {
    const address = (id: string) =>
      `${child(id).terraformResourceType}.${synth.stack.getLogicalId(child(id))}`;
    expect(blockOf(synth, lb).depends_on).toEqual(
      ["InternetGateway", "DefaultRoute", "Public0Routes", "Public1Routes"].map(address),
    );
  });

  it("GIVEN three zones WHEN read THEN internetAccess holds three public associations", () => {
    const three = synthStack(
      (stack) =>
        new SampleNetwork(stack, "Network", {
          availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        }),
    ).built;
    expect(three.internetAccess.map((element) => (element as RouteTableAssociation).node.id)).toEqual([
      "InternetGateway",
      "DefaultRoute",
      "Public0Routes",
      "Public1Routes",
      "Public2Routes",
    ]);
  });
});

describe("SampleNetwork with name, tags, CIDR and three zones", () => {
  const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
  const synth = synthStack(
    (stack) =>
      new SampleNetwork(stack, "Network", {
        availabilityZones: zones,
        cidrBlock: "172.16.0.0/17",
        name: "koaapp",
        tags: { Team: "platform" },
      }),
  );

  it("GIVEN a CIDR and tags WHEN synthesized THEN the VPC uses them and the Name tag uses the given name", () => {
    expect(onlyResource(synth.json, "aws_vpc")).toMatchObject({
      cidr_block: "172.16.0.0/17",
      tags: { Team: "platform", Name: "koaapp-vpc" },
    });
  });

  it("GIVEN three zones and a /17 WHEN synthesized THEN six /24 subnets are cut, public and private in every zone", () => {
    const subnets = resourcesOf(synth.json, "aws_subnet");

    expect(subnets).toHaveLength(6);
    expect(subnets.map((s) => cidrsubnetArgs(s.cidr_block).newBits)).toEqual([7, 7, 7, 7, 7, 7]);
    expect(subnets.map((s) => (s.tags as Record<string, string>).Name).sort()).toEqual(
      zones.flatMap((z) => [`koaapp-private-${z}`, `koaapp-public-${z}`]).sort(),
    );
    for (const s of subnets) expect(s.tags).toMatchObject({ Team: "platform" });
  });

  it("GIVEN tags WHEN synthesized THEN the gateway and both route tables carry them", () => {
    for (const type of ["aws_internet_gateway", "aws_route_table"]) {
      for (const block of resourcesOf(synth.json, type))
        expect(block.tags).toMatchObject({ Team: "platform" });
    }
  });
});

describe("SampleNetwork subnet numbering", () => {
  it.each(["10.0.0.0/18", "10.0.0.0/19", "10.0.0.0/20"])(
    "GIVEN the accepted cidrBlock %p WHEN synthesized THEN every subnet number fits in the new bits",
    (cidrBlock) => {
      const synth = synthStack(
        (stack) => new SampleNetwork(stack, "Network", { availabilityZones: ZONES, cidrBlock }),
      );

      for (const subnet of resourcesOf(synth.json, "aws_subnet")) {
        const { newBits, netNum } = cidrsubnetArgs(subnet.cidr_block);
        expect(netNum).toBeLessThan(2 ** newBits);
      }
    },
  );

  it("GIVEN a cidrBlock from a variable WHEN synthesized THEN it is accepted and every subnet is cut with a numeric prefix extension", () => {
    const synth = synthStack((stack) => {
      const cidr = new TerraformVariable(stack, "vpc_cidr", { type: "string" });
      return new SampleNetwork(stack, "Network", { availabilityZones: ZONES, cidrBlock: cidr.stringValue });
    });

    expect(onlyResource(synth.json, "aws_vpc").cidr_block).toBe("${var.vpc_cidr}");
    for (const subnet of resourcesOf(synth.json, "aws_subnet")) expect(subnet.cidr_block).not.toMatch(/NaN/);
  });
});

describe("SampleNetwork validation", () => {
  it.each([
    [["eu-west-1a"], '["eu-west-1a"] has 1 zones'],
    [[], "[] has 0 zones"],
    [["a", "b", "c", "d", "e", "f", "g"], '["a","b","c","d","e","f","g"] has 7 zones'],
  ])("GIVEN availabilityZones %j WHEN built THEN it is refused", (availabilityZones, received) => {
    expect(() => build({ availabilityZones })).toThrow(
      problemLine(`availabilityZones ${received}; allowed: 2 to 6 zones`),
    );
  });

  it.each(["10.0.0.0/24", "10.0.0.0/15", "10.0.0.0", "vpc-cidr", "10.256.0.0/16"])(
    "GIVEN cidrBlock %p WHEN built THEN it is refused",
    (cidrBlock) => {
      expect(() => build({ cidrBlock })).toThrow(
        problemLine(
          `cidrBlock "${cidrBlock}" is not an IPv4 CIDR from /16 to /20; allowed: e.g. "10.0.0.0/16"`,
        ),
      );
    },
  );

  it("GIVEN one zone and a bad CIDR WHEN built THEN one error lists both", () => {
    expect(() => build({ availabilityZones: ["eu-west-1a"], cidrBlock: "10.0.0.0/8" })).toThrow(
      new Error(
        [
          "test/Network: invalid props:",
          '- availabilityZones ["eu-west-1a"] has 1 zones; allowed: 2 to 6 zones',
          '- cidrBlock "10.0.0.0/8" is not an IPv4 CIDR from /16 to /20; allowed: e.g. "10.0.0.0/16"',
        ].join("\n"),
      ),
    );
  });
});
