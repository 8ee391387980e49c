import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import type { ITerraformDependable } from "./cdktf";
import type { ResolvedTrafficShift } from "./deployment-strategy";
import type { ResolvedLoadBalancer } from "./load-balancer-options";
import { exemptFromPolicy } from "./policy-exemptions";
import { ServiceTargetGroup, type ShiftedRules, shiftedRules } from "./service-target-group";

export {
  type CreateLoadBalancerOptions,
  checkLoadBalancer,
  DEFAULT_DEREGISTRATION_DELAY_SECONDS,
  DEFAULT_SSL_POLICY,
  type ResolvedLoadBalancer,
  resolveLoadBalancer,
} from "./load-balancer-options";

/** Props of {@link ServiceLoadBalancer}; every value already resolved and validated by the service. */
export interface ServiceLoadBalancerProps {
  /** The load balancer's settings. */
  readonly options: ResolvedLoadBalancer;
  /** VPC of the load balancer and its targets. */
  readonly vpcId: string;
  /** Port the targets listen on. */
  readonly targetPort: number;
  /** What must exist before the load balancer (the VPC's internet gateway and its routes). */
  readonly dependsOn: readonly ITerraformDependable[];
  /** A traffic-shifting deployment: two target groups and the listener rules ECS rewrites. @default - rolling */
  readonly trafficShift?: ResolvedTrafficShift;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The front door of a service: an Application Load Balancer with its security group, listeners (HTTPS
 * with a certificate, HTTP redirecting to it; or HTTP only) and an `ip` target group for the tasks.
 * Hardened: invalid header fields dropped, TLS 1.2+, deletion protection and access logs as options.
 */
export class ServiceLoadBalancer extends Construct {
  /** The load balancer. */
  readonly resource: Lb;
  /** The tasks' target group. */
  readonly targetGroup: ServiceTargetGroup;
  /** The listeners; the service depends on them (a target group must belong to a load balancer first). */
  readonly listeners: LbListener[] = [];
  /** With traffic shifting: the second target group, the production rule and the test rule, if any. */
  readonly shifting?: ShiftedRules & { readonly alternateTargetGroup: ServiceTargetGroup };
  /** Security group of the load balancer. */
  readonly securityGroupId: string;
  /** DNS name of the load balancer. */
  readonly dnsName: string;
  /** Route 53 zone of the DNS name, for an alias record. */
  readonly zoneId: string;
  /** URL of the service: https with a certificate, else http. */
  readonly url: string;
  /** `app/<name>/<id>/targetgroup/<name>/<id>`: the ALBRequestCountPerTarget resource label. */
  readonly requestCountResourceLabel: string;
  private readonly targetPort: number;
  private readonly securityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: ServiceLoadBalancerProps) {
    super(scope, id);
    const { name, subnetIds, ingressCidrs, ingressSecurityGroupIds, sslPolicy, certificateArn } =
      props.options;
    const internal = props.options.scheme === "internal";

    this.targetPort = props.targetPort;
    this.securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${name}-lb-`,
      description: `Load balancer of ${name}`,
      vpcId: props.vpcId,
      tags: props.tags,
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = this.securityGroup.id;
    for (const port of certificateArn ? [80, 443] : [80])
      this.admit(port, ingressCidrs, ingressSecurityGroupIds, name);
    if (!internal && ingressCidrs.includes("0.0.0.0/0")) {
      exemptFromPolicy(
        this,
        "no-open-ingress",
        "a public load balancer admits its listener ports from the internet",
      );
    }

    this.resource = new Lb(this, "Resource", {
      name,
      internal,
      loadBalancerType: "application",
      securityGroups: [this.securityGroup.id],
      subnets: [...subnetIds],
      idleTimeout: props.options.idleTimeoutSeconds,
      dropInvalidHeaderFields: true,
      enableDeletionProtection: props.options.deletionProtection,
      accessLogs: props.options.accessLogs
        ? { bucket: props.options.accessLogs.bucket, prefix: props.options.accessLogs.prefix, enabled: true }
        : undefined,
      tags: props.tags,
      // A load balancer created before the VPC's internet gateway is attached fails with InvalidSubnet.
      dependsOn: props.dependsOn.length > 0 ? [...props.dependsOn] : undefined,
    });
    this.targetGroup = new ServiceTargetGroup(this, "Targets", {
      vpcId: props.vpcId,
      port: props.targetPort,
      healthCheck: props.options.healthCheck,
      deregistrationDelaySeconds: props.options.deregistrationDelaySeconds,
      tags: props.tags,
    });
    const shift = props.trafficShift;
    // With traffic shifting, a rule that ECS rewrites carries the traffic; the listener itself answers only what
    // no rule matches (nothing: the rule matches every path).
    const defaultAction = shift
      ? [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404" } }]
      : [{ type: "forward", targetGroupArn: this.targetGroup.resource.arn }];
    const listener = (listenerId: string, port: number, action = defaultAction) =>
      new LbListener(this, listenerId, {
        loadBalancerArn: this.resource.arn,
        port,
        protocol: certificateArn ? "HTTPS" : "HTTP",
        ...(certificateArn ? { sslPolicy, certificateArn } : {}),
        defaultAction: action,
        tags: props.tags,
      });
    let production: LbListener;
    if (certificateArn) {
      production = listener("Https", 443);
      this.listeners.push(
        production,
        new LbListener(this, "Http", {
          loadBalancerArn: this.resource.arn,
          port: 80,
          protocol: "HTTP",
          defaultAction: [
            { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
          ],
          tags: props.tags,
        }),
      );
    } else {
      exemptFromPolicy(
        this,
        "encrypted-listeners",
        "no certificateArn was given, so the load balancer serves HTTP only",
      );
      production = listener("Http", 80);
      this.listeners.push(production);
    }
    if (shift) {
      const alternateTargetGroup = new ServiceTargetGroup(this, "AlternateTargets", {
        vpcId: props.vpcId,
        port: props.targetPort,
        healthCheck: props.options.healthCheck,
        deregistrationDelaySeconds: props.options.deregistrationDelaySeconds,
        tags: props.tags,
      });
      // Every path of each listener: the rules replace the listeners' forward.
      const everything = (listenerArn: string) => ({ listenerArn, priority: 1, pathPatterns: ["/*"] });
      let test: LbListener | undefined;
      if (shift.testListener) {
        const { port, ingressCidrs: testCidrs } = shift.testListener;
        test = listener("TestListener", port);
        this.listeners.push(test);
        this.admit(port, testCidrs, ingressSecurityGroupIds, name);
      }
      const rules = shiftedRules(this, {
        targets: { primary: this.targetGroup.resource, alternate: alternateTargetGroup.resource },
        production: everything(production.arn),
        test: test && everything(test.arn),
        tags: props.tags,
      });
      this.shifting = { alternateTargetGroup, ...rules };
    }

    this.dnsName = this.resource.dnsName;
    this.zoneId = this.resource.zoneId;
    this.url = `${certificateArn ? "https" : "http"}://${this.resource.dnsName}`;
    this.requestCountResourceLabel = `${this.resource.arnSuffix}/${this.targetGroup.resource.arnSuffix}`;
  }

  /** Admits `cidrs` and security groups to a listener port. */
  private admit(port: number, cidrs: readonly string[], groupIds: readonly string[], name: string): void {
    const rule = { securityGroupId: this.securityGroup.id, ipProtocol: "tcp", fromPort: port, toPort: port };
    cidrs.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `Ingress${port}Cidr${i}`, {
        ...rule,
        description: `${name} port ${port} from ${cidr}`,
        cidrIpv4: cidr,
      });
    });
    groupIds.forEach((groupId, i) => {
      new VpcSecurityGroupIngressRule(this, `Ingress${port}Group${i}`, {
        ...rule,
        description: `${name} port ${port} from a security group`,
        referencedSecurityGroupId: groupId,
      });
    });
  }

  /** Lets the load balancer reach the targets' port in `securityGroupId` (the tasks' group). */
  allowTargetsIn(securityGroupId: string): void {
    new VpcSecurityGroupEgressRule(this, "EgressToTargets", {
      securityGroupId: this.securityGroup.id,
      description: `Targets on port ${this.targetPort}`,
      ipProtocol: "tcp",
      fromPort: this.targetPort,
      toPort: this.targetPort,
      referencedSecurityGroupId: securityGroupId,
    });
  }
}
