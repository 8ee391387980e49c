import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { TerraformVariable } from "cdktf";
import { checkFrontDoor, type LoadBalancerOptions, resolveFrontDoor } from "../../modules/service-front-door";
import {
  type CreateLoadBalancerOptions,
  checkLoadBalancer,
  DEFAULT_DEREGISTRATION_DELAY_SECONDS,
  DEFAULT_SSL_POLICY,
  resolveLoadBalancer,
  ServiceLoadBalancer,
  type ServiceLoadBalancerProps,
} from "../../modules/service-load-balancer";
import { Checker } from "../../modules/validation";
import { CERTIFICATE } from "../support/koaapp";
import { blockOf, childOf, IDS, ref, resolved, resourcesOf, type Synthesized, synthStack } from "./support";

const PUBLIC: CreateLoadBalancerOptions = { scheme: "internet-facing", subnetIds: IDS.publicSubnets };
const [CLIENTS, TASKS] = IDS.securityGroups;

function propsOf(create: CreateLoadBalancerOptions): ServiceLoadBalancerProps {
  return { options: resolveLoadBalancer(create, "koaapp"), vpcId: IDS.vpc, targetPort: 5000, dependsOn: [] };
}

function synthLb(create: Partial<CreateLoadBalancerOptions> = {}): Synthesized<ServiceLoadBalancer> {
  return synthStack((stack) => new ServiceLoadBalancer(stack, "Lb", propsOf({ ...PUBLIC, ...create })));
}

/** The problems checkLoadBalancer records for `loadBalancer.create`. */
function createProblems(create: CreateLoadBalancerOptions): readonly string[] {
  const c = new Checker().at("loadBalancer").at("create");
  checkLoadBalancer(c, create, resolveLoadBalancer(create, "koaapp"));
  return c.problems.all;
}

describe("ServiceLoadBalancer internet-facing with defaults (no certificate)", () => {
  const synth = synthLb();
  const lb = synth.built;
  const at = (path: string, attribute: string) => ref(synth.stack, childOf(lb, path), attribute);
  const block = (path: string) => blockOf(synth, childOf(lb, path));

  it("GIVEN no settings WHEN synthesized THEN a public, hardened ALB named after the service with a 60 s idle timeout", () => {
    expect(block("Resource")).toEqual({
      name: "koaapp",
      internal: false,
      load_balancer_type: "application",
      security_groups: [at("SecurityGroup", "id")],
      subnets: [...IDS.publicSubnets],
      idle_timeout: 60,
      drop_invalid_header_fields: true,
      enable_deletion_protection: false,
    });
  });

  it("GIVEN no settings WHEN synthesized THEN an ip target group on the target port checks / and drains for 15 s", () => {
    expect(block("Targets/Resource")).toEqual({
      vpc_id: IDS.vpc,
      port: 5000,
      protocol: "HTTP",
      target_type: "ip",
      deregistration_delay: "15",
      health_check: {
        enabled: true,
        protocol: "HTTP",
        port: "traffic-port",
        path: "/",
        matcher: "200",
        interval: 10,
        timeout: 5,
        healthy_threshold: 2,
        unhealthy_threshold: 3,
      },
      lifecycle: { create_before_destroy: true },
    });
  });

  it("GIVEN no certificate WHEN synthesized THEN one HTTP listener on 80 forwards to the targets", () => {
    expect(resourcesOf(synth.json, "aws_lb_listener")).toEqual([
      {
        load_balancer_arn: at("Resource", "arn"),
        port: 80,
        protocol: "HTTP",
        default_action: [{ type: "forward", target_group_arn: at("Targets/Resource", "arn") }],
      },
    ]);
    expect(lb.listeners.map((l) => l.node.id)).toEqual(["Http"]);
  });

  it("GIVEN an internet-facing load balancer WHEN synthesized THEN its group admits the internet on 80 and sends nothing anywhere yet", () => {
    expect(block("SecurityGroup")).toEqual({
      name_prefix: "koaapp-lb-",
      description: "Load balancer of koaapp",
      vpc_id: IDS.vpc,
      lifecycle: { create_before_destroy: true },
    });
    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toEqual([
      {
        security_group_id: at("SecurityGroup", "id"),
        description: "koaapp port 80 from 0.0.0.0/0",
        ip_protocol: "tcp",
        from_port: 80,
        to_port: 80,
        cidr_ipv4: "0.0.0.0/0",
      },
    ]);
    expect(resourcesOf(synth.json, "aws_vpc_security_group_egress_rule")).toEqual([]);
  });

  it("GIVEN the load balancer WHEN read THEN DNS name, zone, http URL and the request-count label are its references", () => {
    expect(resolved(synth.stack, lb.url)).toBe(`http://${at("Resource", "dns_name")}`);
    expect(resolved(synth.stack, lb.dnsName)).toBe(at("Resource", "dns_name"));
    expect(resolved(synth.stack, lb.zoneId)).toBe(at("Resource", "zone_id"));
    expect(resolved(synth.stack, lb.requestCountResourceLabel)).toBe(
      `${at("Resource", "arn_suffix")}/${at("Targets/Resource", "arn_suffix")}`,
    );
  });
});

describe("ServiceLoadBalancer internal, with a certificate and every option", () => {
  const synth = synthStack((stack) => {
    const gateway = new InternetGateway(stack, "Gateway", { vpcId: IDS.vpc });
    const lb = new ServiceLoadBalancer(stack, "Lb", {
      ...propsOf({
        scheme: "internal",
        subnetIds: [...IDS.subnets, "subnet-0123abcd"],
        name: "orders-front",
        certificateArn: CERTIFICATE,
        sslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06",
        ingressCidrs: ["10.0.0.0/8"],
        ingressSecurityGroupIds: [CLIENTS],
        idleTimeoutSeconds: 30,
        deletionProtection: true,
        accessLogs: { bucket: "acme-lb-logs", prefix: "orders" },
        healthCheck: {
          path: "/livez",
          matcher: "200-299",
          intervalSeconds: 20,
          timeoutSeconds: 4,
          healthyThreshold: 3,
          unhealthyThreshold: 4,
        },
        deregistrationDelaySeconds: 300,
      }),
      dependsOn: [gateway],
      tags: { Team: "platform" },
    });
    lb.allowTargetsIn(TASKS);
    return { lb, gateway };
  });
  const { lb, gateway } = synth.built;
  const at = (path: string, attribute: string) => ref(synth.stack, childOf(lb, path), attribute);
  const block = (path: string) => blockOf(synth, childOf(lb, path));

  it("GIVEN a certificate WHEN synthesized THEN HTTPS on 443 with the TLS policy forwards and HTTP on 80 redirects to it", () => {
    expect(block("Https")).toEqual({
      load_balancer_arn: at("Resource", "arn"),
      port: 443,
      protocol: "HTTPS",
      ssl_policy: "ELBSecurityPolicy-TLS13-1-3-2021-06",
      certificate_arn: CERTIFICATE,
      default_action: [{ type: "forward", target_group_arn: at("Targets/Resource", "arn") }],
      tags: { Team: "platform" },
    });
    expect(block("Http")).toEqual({
      load_balancer_arn: at("Resource", "arn"),
      port: 80,
      protocol: "HTTP",
      default_action: [
        { type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } },
      ],
      tags: { Team: "platform" },
    });
    expect(lb.listeners.map((l) => l.node.id)).toEqual(["Https", "Http"]);
    expect(resolved(synth.stack, lb.url)).toBe(`https://${at("Resource", "dns_name")}`);
  });

  it("GIVEN load balancer options WHEN synthesized THEN name, subnets, scheme, idle timeout, deletion protection, access logs and the dependency follow them", () => {
    expect(block("Resource")).toMatchObject({
      name: "orders-front",
      internal: true,
      subnets: [...IDS.subnets, "subnet-0123abcd"],
      idle_timeout: 30,
      drop_invalid_header_fields: true,
      enable_deletion_protection: true,
      access_logs: { bucket: "acme-lb-logs", prefix: "orders", enabled: true },
      tags: { Team: "platform" },
      depends_on: [`aws_internet_gateway.${synth.stack.getLogicalId(gateway)}`],
    });
  });

  it("GIVEN CIDRs and a security group WHEN synthesized THEN each is admitted on both listener ports", () => {
    const rules = resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")
      .map((r) => [r.from_port, r.cidr_ipv4 ?? r.referenced_security_group_id])
      .sort(([a, x], [b, y]) => Number(a) - Number(b) || String(x).localeCompare(String(y)));
    expect(rules).toEqual([
      [80, "10.0.0.0/8"],
      [80, CLIENTS],
      [443, "10.0.0.0/8"],
      [443, CLIENTS],
    ]);
  });

  it("GIVEN the tasks' group WHEN allowed THEN the load balancer may reach the target port there and nothing else", () => {
    expect(resourcesOf(synth.json, "aws_vpc_security_group_egress_rule")).toEqual([
      {
        security_group_id: at("SecurityGroup", "id"),
        description: "Targets on port 5000",
        ip_protocol: "tcp",
        from_port: 5000,
        to_port: 5000,
        referenced_security_group_id: TASKS,
      },
    ]);
  });

  it("GIVEN health-check and draining settings WHEN synthesized THEN the target group carries them", () => {
    expect(block("Targets/Resource")).toMatchObject({
      deregistration_delay: "300",
      health_check: {
        path: "/livez",
        matcher: "200-299",
        interval: 20,
        timeout: 4,
        healthy_threshold: 3,
        unhealthy_threshold: 4,
      },
      tags: { Team: "platform" },
    });
  });
});

describe("resolveLoadBalancer", () => {
  it("GIVEN the required props only WHEN resolved THEN every default is filled in", () => {
    expect(resolveLoadBalancer(PUBLIC, "koaapp")).toEqual({
      ...PUBLIC,
      name: "koaapp",
      sslPolicy: DEFAULT_SSL_POLICY,
      ingressCidrs: ["0.0.0.0/0"],
      ingressSecurityGroupIds: [],
      idleTimeoutSeconds: 60,
      deletionProtection: false,
      healthCheck: {
        path: "/",
        matcher: "200",
        intervalSeconds: 10,
        timeoutSeconds: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      deregistrationDelaySeconds: 15,
    });
    expect(DEFAULT_SSL_POLICY).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
  });

  it("GIVEN an internal load balancer without CIDRs WHEN synthesized THEN nothing is admitted until told", () => {
    expect(resolveLoadBalancer({ ...PUBLIC, scheme: "internal" }, "koaapp").ingressCidrs).toEqual([]);
    expect(resourcesOf(synthLb({ scheme: "internal" }).json, "aws_vpc_security_group_ingress_rule")).toEqual(
      [],
    );
  });

  it.each([
    ["koaapp", "koaapp"],
    ["orders_api", "orders-api"],
    ["_x_", "x"],
    ["a".repeat(40), "a".repeat(32)],
  ])(
    "GIVEN the service name %p WHEN no name is given THEN the load balancer is named %p",
    (service, name) => {
      expect(resolveLoadBalancer(PUBLIC, service).name).toBe(name);
    },
  );

  it("GIVEN an idle timeout and a certificate from variables WHEN synthesized THEN they are passed through unjudged", () => {
    const synth = synthStack((stack) => {
      const idle = new TerraformVariable(stack, "idle", { type: "number" }).numberValue;
      const certificate = new TerraformVariable(stack, "certificate", { type: "string" }).stringValue;
      const options = { ...PUBLIC, idleTimeoutSeconds: idle, certificateArn: certificate };
      expect(createProblems(options)).toEqual([]);
      return new ServiceLoadBalancer(stack, "Lb", propsOf(options));
    });

    expect(blockOf(synth, childOf(synth.built, "Resource")).idle_timeout).toBe("${var.idle}");
    expect(blockOf(synth, childOf(synth.built, "Https")).certificate_arn).toBe("${var.certificate}");
  });
});

describe("checkLoadBalancer", () => {
  const nameRule =
    'allowed: 1-32 letters, digits and hyphens, not starting or ending with a hyphen or starting with "internal-"';

  it("GIVEN the required props WHEN checked THEN there is no problem", () => {
    expect(createProblems(PUBLIC)).toEqual([]);
  });

  it("GIVEN neither scheme nor subnets WHEN checked THEN both are required, saying what each takes", () => {
    expect(createProblems({} as CreateLoadBalancerOptions)).toEqual([
      'loadBalancer.create.scheme undefined is required; allowed: "internet-facing" (public subnets) or "internal"',
      "loadBalancer.create.subnetIds undefined is required; allowed: two or more subnets in different zones: public ones for an internet-facing load balancer",
    ]);
  });

  it.each<[string, Partial<CreateLoadBalancerOptions>, string]>([
    [
      "the 0.1.0 internal flag",
      { internal: true } as Partial<CreateLoadBalancerOptions>,
      'loadBalancer.create.internal true is not a prop of CreateLoadBalancerOptions: in 0.2 it is scheme ("internal" for true, "internet-facing" for false); allowed: scheme, subnetIds, name, certificateArn, sslPolicy, ingressCidrs, ingressSecurityGroupIds, idleTimeoutSeconds, deletionProtection, accessLogs, healthCheck, deregistrationDelaySeconds',
    ],
    [
      "a scheme that is neither",
      { scheme: "public" as "internal" },
      'loadBalancer.create.scheme "public" is not allowed; allowed: "internet-facing", "internal"',
    ],
    [
      "a name with an underscore",
      { name: "orders_front" },
      `loadBalancer.create.name "orders_front" is not a load balancer name; ${nameRule}`,
    ],
    [
      "a name starting with internal-",
      { name: "internal-orders" },
      `loadBalancer.create.name "internal-orders" is not a load balancer name; ${nameRule}`,
    ],
    [
      "one subnet",
      { subnetIds: [IDS.publicSubnets[0]] },
      `loadBalancer.create.subnetIds ["${IDS.publicSubnets[0]}"] has 1 entry; allowed: two or more subnets, in different zones`,
    ],
    [
      "a certificate given by name",
      { certificateArn: "my-cert" },
      'loadBalancer.create.certificateArn "my-cert" is not an ACM certificate ARN; allowed: arn:aws:acm:<region>:<account>:certificate/<id>',
    ],
    [
      "a TLS 1.0 policy",
      { certificateArn: CERTIFICATE, sslPolicy: "ELBSecurityPolicy-2016-08" },
      'loadBalancer.create.sslPolicy "ELBSecurityPolicy-2016-08" allows TLS older than 1.2; allowed: an ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-* or -FS-1-2-* policy',
    ],
    [
      "a TLS policy without a certificate",
      { sslPolicy: DEFAULT_SSL_POLICY },
      `loadBalancer.create.sslPolicy "${DEFAULT_SSL_POLICY}" is set without certificateArn; allowed: sslPolicy with a certificate (HTTPS listener) only`,
    ],
    [
      "a CIDR that is none",
      { ingressCidrs: ["10.0.0.0"] },
      'loadBalancer.create.ingressCidrs[0] "10.0.0.0" is not an IPv4 CIDR; allowed: e.g. "10.0.0.0/16"',
    ],
    [
      "an idle timeout of 0",
      { idleTimeoutSeconds: 0 },
      "loadBalancer.create.idleTimeoutSeconds 0 is out of range; allowed: an integer from 1 to 4000",
    ],
    [
      "an access-log bucket with capitals",
      { accessLogs: { bucket: "Acme_Logs" } },
      'loadBalancer.create.accessLogs.bucket "Acme_Logs" is not an S3 bucket name; allowed: 3-63 lowercase letters, digits, dots and hyphens',
    ],
    [
      "a deregistration delay above 3600",
      { deregistrationDelaySeconds: 3601 },
      "loadBalancer.create.deregistrationDelaySeconds 3601 is out of range; allowed: an integer from 0 to 3600",
    ],
  ])("GIVEN %s WHEN checked THEN it is refused naming the prop", (_case, change, message) => {
    expect(createProblems({ ...PUBLIC, ...change })).toEqual([message]);
  });
});

describe("checkTargetHealthCheck (through checkLoadBalancer)", () => {
  const at = "loadBalancer.create.healthCheck";

  it("GIVEN every health-check prop out of its range WHEN checked THEN each is named with what it takes", () => {
    const healthCheck = {
      path: "health",
      matcher: "ok",
      intervalSeconds: 301,
      timeoutSeconds: 1,
      healthyThreshold: 1,
      unhealthyThreshold: 11,
    };

    expect(createProblems({ ...PUBLIC, healthCheck })).toEqual([
      `${at}.path "health" is not an absolute path; allowed: a path starting with / (at most 1024 characters, no spaces or query string), e.g. "/health"`,
      `${at}.matcher "ok" is not an HTTP code list; allowed: codes 200-499 as "200", "200-299" or "200,204"`,
      `${at}.intervalSeconds 301 is out of range; allowed: an integer from 5 to 300`,
      `${at}.timeoutSeconds 1 is out of range; allowed: an integer from 2 to 120`,
      `${at}.healthyThreshold 1 is out of range; allowed: an integer from 2 to 10`,
      `${at}.unhealthyThreshold 11 is out of range; allowed: an integer from 2 to 10`,
    ]);
  });

  it("GIVEN a timeout not below the interval WHEN checked THEN both props are named", () => {
    expect(createProblems({ ...PUBLIC, healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } })).toEqual([
      `${at}.timeoutSeconds 10 is not below ${at}.intervalSeconds 10; allowed: a timeout shorter than the interval`,
    ]);
  });
});

describe("checkFrontDoor", () => {
  const LISTENER =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/front/0123456789abcdef/fedcba9876543210";
  const TARGET_GROUP =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/koaapp/0123456789abcdef";
  const doorProblems = (door: LoadBalancerOptions) => {
    const c = new Checker().at("loadBalancer");
    checkFrontDoor(c, door, resolveFrontDoor(door, "koaapp"));
    return c.problems.all;
  };
  const listener = {
    listenerArn: LISTENER,
    priority: 10,
    pathPatterns: ["/orders/*"],
    securityGroupId: CLIENTS,
  };

  it.each<[string, LoadBalancerOptions]>([
    ["a created load balancer", { create: PUBLIC }],
    ["a rule on an existing listener", { existingListener: listener }],
    [
      "an existing target group",
      { existingTargetGroup: { targetGroupArn: TARGET_GROUP, securityGroupId: CLIENTS } },
    ],
  ])("GIVEN %s WHEN checked THEN there is no problem", (_case, door) => {
    expect(doorProblems(door)).toEqual([]);
  });

  it("GIVEN no deregistration delay WHEN a created load balancer or an existing listener is resolved THEN both drain for the one default, 15 s", () => {
    const door = resolveFrontDoor({ create: PUBLIC, existingListener: listener }, "koaapp");

    expect([
      door.create?.deregistrationDelaySeconds,
      door.existingListener?.deregistrationDelaySeconds,
    ]).toEqual([DEFAULT_DEREGISTRATION_DELAY_SECONDS, DEFAULT_DEREGISTRATION_DELAY_SECONDS]);
    expect(DEFAULT_DEREGISTRATION_DELAY_SECONDS).toBe(15);
  });

  it("GIVEN no front door or two WHEN checked THEN exactly one is asked for", () => {
    const allowed = "allowed: exactly one of create, existingListener, existingTargetGroup";

    expect(doorProblems({})).toEqual([`loadBalancer [] chooses no front door; ${allowed}`]);
    expect(doorProblems({ create: PUBLIC, existingListener: listener })).toEqual([
      `loadBalancer ["create","existingListener"] sets create and existingListener; ${allowed}`,
    ]);
  });

  it("GIVEN an existing listener rule without a condition, with a bad ARN, priority and group WHEN checked THEN each is named", () => {
    expect(
      doorProblems({ existingListener: { listenerArn: TARGET_GROUP, priority: 0, securityGroupId: "lb" } }),
    ).toEqual([
      `loadBalancer.existingListener.listenerArn "${TARGET_GROUP}" is not a listener ARN; allowed: arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<lb>/<id>/<id>`,
      "loadBalancer.existingListener.priority 0 is out of range; allowed: an integer from 1 to 50000",
      "loadBalancer.existingListener {} has no condition; allowed: pathPatterns, hostHeaders or both",
      'loadBalancer.existingListener.securityGroupId "lb" is not a sg ID; allowed: "sg-" and 8 or 17 hexadecimal digits',
    ]);
  });

  it("GIVEN an existing target group without its group and a health check on a listener WHEN checked THEN both are named", () => {
    expect(
      doorProblems({
        existingTargetGroup: { targetGroupArn: LISTENER } as {
          targetGroupArn: string;
          securityGroupId: string;
        },
      }),
    ).toEqual([
      `loadBalancer.existingTargetGroup.targetGroupArn "${LISTENER}" is not a target group ARN; allowed: arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>`,
      "loadBalancer.existingTargetGroup.securityGroupId undefined is required; allowed: the security group of the target group's load balancer",
    ]);
    expect(doorProblems({ existingListener: { ...listener, healthCheck: { path: "health" } } })).toEqual([
      'loadBalancer.existingListener.healthCheck.path "health" is not an absolute path; allowed: a path starting with / (at most 1024 characters, no spaces or query string), e.g. "/health"',
    ]);
  });
});
