import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { exemptFromPolicy } from "./security-policy";
import { checkTargetGroupProps, ServiceTargetGroup, type TargetHealthCheck } from "./service-target-group";
import {
  checkIntRange,
  invalidProps,
  isIpv4Cidr,
  isKnown,
  isTls12OrNewerPolicy,
  Problems,
  show,
} from "./validation";

/** TLS policy of HTTPS listeners: TLS 1.3 and 1.2, the ALB's recommended policy. */
export const DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** Load-balancer settings a service chooses; the service supplies VPC, port and tags. */
export interface LoadBalancerOptions {
  /** Name of the load balancer (1-32 letters, digits, hyphens). @default - the service name */
  readonly name?: string;
  /** Subnets of the load balancer, in at least two zones. @default - the service's subnets */
  readonly subnetIds?: readonly string[];
  /** Reachable only inside the VPC. @default false */
  readonly internal?: boolean;
  /**
   * ACM certificate ARN (checked): HTTPS on 443, and HTTP on 80 redirecting to it. Without one, HTTP on 80 only (the
   * security Aspect warns that traffic is unencrypted).
   * @default - none
   */
  readonly certificateArn?: string;
  /** TLS policy of the HTTPS listener (TLS 1.2 or newer). @default DEFAULT_SSL_POLICY */
  readonly sslPolicy?: string;
  /** CIDRs admitted to the listener ports. @default - ["0.0.0.0/0"] for a public load balancer, none for an internal one */
  readonly ingressCidrs?: readonly string[];
  /** Security groups admitted to the listener ports. @default - none */
  readonly ingressSecurityGroupIds?: readonly string[];
  /**
   * Seconds an idle client connection stays open (1-4000). Keep it below the keep-alive timeout of the
   * app behind it, so the load balancer closes idle connections first: otherwise it can reuse one the app
   * just closed and answer 502. Node's default keep-alive is 5 s; the sample app keeps 65 s.
   * @default 60
   */
  readonly idleTimeoutSeconds?: number;
  /** Refuse deletion of the load balancer (turn off before `terraform destroy`). @default false */
  readonly deletionProtection?: boolean;
  /** Access logs to an S3 bucket that allows the regional ELB account to write. @default - none */
  readonly accessLogs?: { readonly bucket: string; readonly prefix?: string };
  /** Health check of the tasks. @default - see TargetHealthCheck */
  readonly healthCheck?: TargetHealthCheck;
  /** Seconds a deregistering task keeps its in-flight requests. @default 15 */
  readonly deregistrationDelaySeconds?: number;
}

/** Props of {@link ServiceLoadBalancer}. */
export interface ServiceLoadBalancerProps extends LoadBalancerOptions {
  /** Name used when `name` is not given. */
  readonly defaultName: string;
  /** VPC of the load balancer and its targets. */
  readonly vpcId: string;
  /** Subnets used when `subnetIds` is not given. */
  readonly defaultSubnetIds: readonly string[];
  /** Port the targets listen on. */
  readonly targetPort: number;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

const LB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

/** The name a load balancer gets from a service name: letters, digits and hyphens, at most 32. */
export function loadBalancerNameFor(serviceName: string): string {
  return isKnown(serviceName)
    ? serviceName
        .replace(/[^A-Za-z0-9-]/g, "-")
        .slice(0, 32)
        .replace(/^-+|-+$/g, "")
    : serviceName;
}

const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;

/** Checks a listener certificate is an ACM certificate ARN, unless it is a token or absent. */
export function checkCertificateArn(problems: Problems, prop: string, arn: string | undefined): void {
  problems.check(
    arn !== undefined && isKnown(arn) && !ACM_CERTIFICATE_ARN.test(arn),
    `${prop} ${show(arn)} is not an ACM certificate ARN; allowed: arn:aws:acm:<region>:<account>:certificate/<id>`,
  );
}

/** Checks load-balancer options, naming them under `prefix` (e.g. "loadBalancer."). */
export function checkLoadBalancerOptions(
  problems: Problems,
  prefix: string,
  options: LoadBalancerOptions,
  resolved: { readonly name: string; readonly subnetIds: readonly string[] },
): void {
  problems.check(
    isKnown(resolved.name) && (!LB_NAME.test(resolved.name) || resolved.name.startsWith("internal-")),
    `${prefix}name ${show(resolved.name)} is not a load balancer name; allowed: 1-32 letters, digits and hyphens, not starting or ending with a hyphen or starting with "internal-"`,
  );
  problems.check(
    resolved.subnetIds.length < 2,
    `${prefix}subnetIds ${show(resolved.subnetIds)} has ${resolved.subnetIds.length} subnets; allowed: at least two, in different zones`,
  );
  checkCertificateArn(problems, `${prefix}certificateArn`, options.certificateArn);
  problems.check(
    options.sslPolicy !== undefined && isKnown(options.sslPolicy) && !isTls12OrNewerPolicy(options.sslPolicy),
    `${prefix}sslPolicy ${show(options.sslPolicy)} allows TLS older than 1.2; allowed: an ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-* or -FS-1-2-* policy`,
  );
  problems.check(
    options.sslPolicy !== undefined && options.certificateArn === undefined,
    `${prefix}sslPolicy ${show(options.sslPolicy)} is set without certificateArn; allowed: sslPolicy with a certificate (HTTPS listener) only`,
  );
  for (const cidr of (options.ingressCidrs ?? []).filter(isKnown)) {
    problems.check(
      !isIpv4Cidr(cidr),
      `${prefix}ingressCidrs ${show(cidr)} is not an IPv4 CIDR; allowed: e.g. "203.0.113.0/24"`,
    );
  }
  checkIntRange(problems, `${prefix}idleTimeoutSeconds`, options.idleTimeoutSeconds, 1, 4000);
  problems.check(
    options.accessLogs !== undefined &&
      isKnown(options.accessLogs.bucket) &&
      !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.accessLogs.bucket),
    `${prefix}accessLogs.bucket ${show(options.accessLogs?.bucket)} is not an S3 bucket name; allowed: 3-63 lowercase letters, digits, dots and hyphens`,
  );
  checkTargetGroupProps(problems, prefix, options);
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
    const name = props.name ?? loadBalancerNameFor(props.defaultName);
    const subnetIds = props.subnetIds ?? props.defaultSubnetIds;
    const internal = props.internal ?? false;
    const ingressCidrs = props.ingressCidrs ?? (internal ? [] : ["0.0.0.0/0"]);
    const ingressSecurityGroupIds = props.ingressSecurityGroupIds ?? [];
    const sslPolicy = props.sslPolicy ?? DEFAULT_SSL_POLICY;
    const idleTimeoutSeconds = props.idleTimeoutSeconds ?? 60;
    const deletionProtection = props.deletionProtection ?? false;
    const certificateArn = props.certificateArn;

    const problems = new Problems();
    checkLoadBalancerOptions(problems, "", props, { name, subnetIds });
    problems.throwIfAny(invalidProps(this));

    this.targetPort = props.targetPort;
    this.securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${name}-lb-`,
      description: `Load balancer of ${name}`,
      vpcId: props.vpcId,
      tags: props.tags,
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = this.securityGroup.id;
    const ports = certificateArn ? [80, 443] : [80];
    for (const port of ports) {
      const rule = {
        securityGroupId: this.securityGroup.id,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
      };
      ingressCidrs.forEach((cidr, i) => {
        new VpcSecurityGroupIngressRule(this, `Ingress${port}Cidr${i}`, {
          ...rule,
          description: `${name} port ${port} from ${cidr}`,
          cidrIpv4: cidr,
        });
      });
      ingressSecurityGroupIds.forEach((groupId, i) => {
        new VpcSecurityGroupIngressRule(this, `Ingress${port}Group${i}`, {
          ...rule,
          description: `${name} port ${port} from a security group`,
          referencedSecurityGroupId: groupId,
        });
      });
    }
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
      idleTimeout: idleTimeoutSeconds,
      dropInvalidHeaderFields: true,
      enableDeletionProtection: deletionProtection,
      accessLogs: props.accessLogs
        ? { bucket: props.accessLogs.bucket, prefix: props.accessLogs.prefix, enabled: true }
        : undefined,
      tags: props.tags,
    });
    this.targetGroup = new ServiceTargetGroup(this, "Targets", {
      vpcId: props.vpcId,
      port: props.targetPort,
      healthCheck: props.healthCheck,
      deregistrationDelaySeconds: props.deregistrationDelaySeconds,
      tags: props.tags,
    });
    const forward = [{ type: "forward", targetGroupArn: this.targetGroup.resource.arn }];
    if (certificateArn) {
      this.listeners.push(
        new LbListener(this, "Https", {
          loadBalancerArn: this.resource.arn,
          port: 443,
          protocol: "HTTPS",
          sslPolicy,
          certificateArn,
          defaultAction: forward,
          tags: props.tags,
        }),
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
      this.listeners.push(
        new LbListener(this, "Http", {
          loadBalancerArn: this.resource.arn,
          port: 80,
          protocol: "HTTP",
          defaultAction: forward,
          tags: props.tags,
        }),
      );
    }

    this.dnsName = this.resource.dnsName;
    this.zoneId = this.resource.zoneId;
    this.url = `${certificateArn ? "https" : "http"}://${this.resource.dnsName}`;
    this.requestCountResourceLabel = `${this.resource.arnSuffix}/${this.targetGroup.resource.arnSuffix}`;
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
