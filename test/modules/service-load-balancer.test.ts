import { TerraformVariable } from "cdktf";
import {
  DEFAULT_SSL_POLICY,
  loadBalancerNameFor,
  ServiceLoadBalancer,
  type ServiceLoadBalancerProps,
} from "../../modules/service-load-balancer";
import { CERTIFICATE } from "../support/koaapp";
import {
  blockOf,
  childOf,
  newStack,
  problemLine,
  ref,
  resolved,
  resourcesOf,
  type Synthesized,
  synthStack,
} from "./support";

const BASE: ServiceLoadBalancerProps = {
  defaultName: "koaapp",
  vpcId: "vpc-0123",
  defaultSubnetIds: ["subnet-a", "subnet-b"],
  targetPort: 5000,
};

function synthLb(overrides: Partial<ServiceLoadBalancerProps> = {}): Synthesized<ServiceLoadBalancer> {
  return synthStack((stack) => new ServiceLoadBalancer(stack, "Lb", { ...BASE, ...overrides }));
}

function build(overrides: Partial<ServiceLoadBalancerProps>): ServiceLoadBalancer {
  return new ServiceLoadBalancer(newStack(), "Lb", { ...BASE, ...overrides });
}

describe("ServiceLoadBalancer with defaults (no certificate)", () => {
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
      subnets: ["subnet-a", "subnet-b"],
      idle_timeout: 60,
      drop_invalid_header_fields: true,
      enable_deletion_protection: false,
    });
  });

  it("GIVEN no settings WHEN synthesized THEN an ip target group on the target port checks /health and drains for 15 s", () => {
    expect(block("Targets/Resource")).toEqual({
      vpc_id: "vpc-0123",
      port: 5000,
      protocol: "HTTP",
      target_type: "ip",
      deregistration_delay: "15",
      health_check: {
        enabled: true,
        protocol: "HTTP",
        port: "traffic-port",
        path: "/health",
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

  it("GIVEN a public load balancer WHEN synthesized THEN its group admits the internet on 80 and sends nothing anywhere yet", () => {
    expect(block("SecurityGroup")).toEqual({
      name_prefix: "koaapp-lb-",
      description: "Load balancer of koaapp",
      vpc_id: "vpc-0123",
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

describe("ServiceLoadBalancer with a certificate and every option", () => {
  const synth = synthStack((stack) => {
    const lb = new ServiceLoadBalancer(stack, "Lb", {
      ...BASE,
      name: "orders-front",
      subnetIds: ["subnet-x", "subnet-y", "subnet-z"],
      internal: true,
      certificateArn: CERTIFICATE,
      sslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06",
      ingressCidrs: ["10.0.0.0/8"],
      ingressSecurityGroupIds: ["sg-clients"],
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
      tags: { Team: "platform" },
    });
    lb.allowTargetsIn("sg-tasks");
    return lb;
  });
  const lb = synth.built;
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
    expect(resolved(synth.stack, lb.url)).toBe(`https://${at("Resource", "dns_name")}`);
  });

  it("GIVEN load balancer options WHEN synthesized THEN name, subnets, internal, idle timeout, deletion protection and access logs follow them", () => {
    expect(block("Resource")).toMatchObject({
      name: "orders-front",
      internal: true,
      subnets: ["subnet-x", "subnet-y", "subnet-z"],
      idle_timeout: 30,
      drop_invalid_header_fields: true,
      enable_deletion_protection: true,
      access_logs: { bucket: "acme-lb-logs", prefix: "orders", enabled: true },
      tags: { Team: "platform" },
    });
  });

  it("GIVEN CIDRs and a security group WHEN synthesized THEN each is admitted on both listener ports", () => {
    const rules = resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")
      .map((r) => [r.from_port, r.cidr_ipv4 ?? r.referenced_security_group_id])
      .sort(
        ([portA, fromA], [portB, fromB]) =>
          Number(portA) - Number(portB) || String(fromA).localeCompare(String(fromB)),
      );
    expect(rules).toEqual([
      [80, "10.0.0.0/8"],
      [80, "sg-clients"],
      [443, "10.0.0.0/8"],
      [443, "sg-clients"],
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
        referenced_security_group_id: "sg-tasks",
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

describe("ServiceLoadBalancer defaults that depend on other props", () => {
  it("GIVEN an internal load balancer without CIDRs WHEN synthesized THEN nothing is admitted until told", () => {
    expect(resourcesOf(synthLb({ internal: true }).json, "aws_vpc_security_group_ingress_rule")).toEqual([]);
  });

  it("GIVEN a certificate without a policy WHEN synthesized THEN the TLS 1.3/1.2 policy is used", () => {
    const synth = synthLb({ certificateArn: CERTIFICATE });
    expect(blockOf(synth, childOf(synth.built, "Https")).ssl_policy).toBe(DEFAULT_SSL_POLICY);
    expect(DEFAULT_SSL_POLICY).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
  });

  it.each([
    ["koaapp", "koaapp"],
    ["orders_api", "orders-api"],
    ["_x_", "x"],
    ["a".repeat(40), "a".repeat(32)],
  ])(
    "GIVEN the service name %p WHEN no name is given THEN the load balancer is named %p",
    (service, name) => {
      expect(loadBalancerNameFor(service)).toBe(name);
    },
  );

  it("GIVEN an idle timeout from a variable WHEN synthesized THEN it is passed through unjudged", () => {
    const synth = synthStack((stack) => {
      const idle = new TerraformVariable(stack, "idle", { type: "number" });
      return new ServiceLoadBalancer(stack, "Lb", { ...BASE, idleTimeoutSeconds: idle.numberValue });
    });
    expect(blockOf(synth, childOf(synth.built, "Resource")).idle_timeout).toBe("${var.idle}");
  });

  it("GIVEN a certificate ARN from a variable WHEN synthesized THEN it is passed through unjudged", () => {
    const synth = synthStack((stack) => {
      const certificate = new TerraformVariable(stack, "certificate", { type: "string" });
      return new ServiceLoadBalancer(stack, "Lb", { ...BASE, certificateArn: certificate.stringValue });
    });
    expect(blockOf(synth, childOf(synth.built, "Https")).certificate_arn).toBe("${var.certificate}");
  });
});

describe("ServiceLoadBalancer validation", () => {
  it.each<[string, Partial<ServiceLoadBalancerProps>, string]>([
    [
      "a name with an underscore",
      { name: "orders_front" },
      'name "orders_front" is not a load balancer name; allowed: 1-32 letters, digits and hyphens, not starting or ending with a hyphen or starting with "internal-"',
    ],
    [
      "a name starting with internal-",
      { name: "internal-orders" },
      'name "internal-orders" is not a load balancer name; allowed: 1-32 letters, digits and hyphens, not starting or ending with a hyphen or starting with "internal-"',
    ],
    [
      "one subnet",
      { subnetIds: ["subnet-a"] },
      'subnetIds ["subnet-a"] has 1 subnets; allowed: at least two, in different zones',
    ],
    [
      "a certificate given by name",
      { certificateArn: "my-cert" },
      'certificateArn "my-cert" is not an ACM certificate ARN; allowed: arn:aws:acm:<region>:<account>:certificate/<id>',
    ],
    [
      "a TLS 1.0 policy",
      { certificateArn: CERTIFICATE, sslPolicy: "ELBSecurityPolicy-2016-08" },
      'sslPolicy "ELBSecurityPolicy-2016-08" allows TLS older than 1.2; allowed: an ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-* or -FS-1-2-* policy',
    ],
    [
      "a TLS policy without a certificate",
      { sslPolicy: DEFAULT_SSL_POLICY },
      `sslPolicy "${DEFAULT_SSL_POLICY}" is set without certificateArn; allowed: sslPolicy with a certificate (HTTPS listener) only`,
    ],
    [
      "a CIDR that is none",
      { ingressCidrs: ["10.0.0.0"] },
      'ingressCidrs "10.0.0.0" is not an IPv4 CIDR; allowed: e.g. "203.0.113.0/24"',
    ],
    [
      "an idle timeout of 0",
      { idleTimeoutSeconds: 0 },
      "idleTimeoutSeconds 0 is out of range; allowed: an integer from 1 to 4000",
    ],
    [
      "an access-log bucket with capitals",
      { accessLogs: { bucket: "Acme_Logs" } },
      'accessLogs.bucket "Acme_Logs" is not an S3 bucket name; allowed: 3-63 lowercase letters, digits, dots and hyphens',
    ],
    [
      "a relative health-check path",
      { healthCheck: { path: "health" } },
      'healthCheck.path "health" is not an absolute path; allowed: a path starting with / (at most 1024 characters, no spaces or query string), e.g. "/health"',
    ],
    [
      "a matcher that is no code",
      { healthCheck: { matcher: "ok" } },
      'healthCheck.matcher "ok" is not an HTTP code list; allowed: codes 200-499 as "200", "200-299" or "200,204"',
    ],
    [
      "an interval above 300",
      { healthCheck: { intervalSeconds: 301 } },
      "healthCheck.intervalSeconds 301 is out of range; allowed: an integer from 5 to 300",
    ],
    [
      "a timeout not below the interval",
      { healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } },
      "healthCheck.timeoutSeconds 10 is not below healthCheck.intervalSeconds 10; allowed: a timeout shorter than the interval",
    ],
    [
      "a healthy threshold of 1",
      { healthCheck: { healthyThreshold: 1 } },
      "healthCheck.healthyThreshold 1 is out of range; allowed: an integer from 2 to 10",
    ],
    [
      "an unhealthy threshold of 11",
      { healthCheck: { unhealthyThreshold: 11 } },
      "healthCheck.unhealthyThreshold 11 is out of range; allowed: an integer from 2 to 10",
    ],
    [
      "a deregistration delay above 3600",
      { deregistrationDelaySeconds: 3601 },
      "deregistrationDelaySeconds 3601 is out of range; allowed: an integer from 0 to 3600",
    ],
  ])("GIVEN %s WHEN built THEN it is refused naming the prop", (_case, overrides, message) => {
    expect(() => build(overrides)).toThrow(problemLine(message));
  });

  it("GIVEN several bad props WHEN built THEN one error names the construct and lists each", () => {
    expect(() => build({ subnetIds: ["subnet-a"], idleTimeoutSeconds: 5000 })).toThrow(
      new Error(
        [
          "test/Lb: invalid props:",
          '- subnetIds ["subnet-a"] has 1 subnets; allowed: at least two, in different zones',
          "- idleTimeoutSeconds 5000 is out of range; allowed: an integer from 1 to 4000",
        ].join("\n"),
      ),
    );
  });
});
