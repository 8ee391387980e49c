/**
 * A created load balancer's options: what `loadBalancer.create` takes, its defaults, and its checks. The load
 * balancer itself is built in service-load-balancer.ts.
 */
import { ARN, checkArn, checkCidrs, checkResourceIds, isTls12OrNewerPolicy } from "./aws-rules";
import { MOVED_CREATE_LOAD_BALANCER_PROPS } from "./former-props";
import {
  checkDeregistrationDelay,
  checkTargetHealthCheck,
  type ResolvedHealthCheck,
  resolveTargetHealthCheck,
  type TargetHealthCheck,
} from "./service-target-group";
import { type Checker, isKnown, isObject, keysOf } from "./validation";

/** TLS policy of HTTPS listeners: TLS 1.3 and 1.2, the ALB's recommended policy. */
export const DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/**
 * Seconds a deregistering task keeps its in-flight requests, for a created load balancer and an existing listener
 * alike. Shorter than the target group's own 300 s (hashicorp/aws docs, aws_lb_target_group `deregistration_delay`:
 * "The default value is 300 seconds"), which every rollout and scale-in would wait per task.
 */
export const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 15;

/** An Application Load Balancer created for the service. */
export interface CreateLoadBalancerOptions {
  /**
   * Reachable from the internet (`"internet-facing"`: `subnetIds` must be public subnets, with a route to an
   * internet gateway) or only inside the VPC and networks connected to it (`"internal"`). Stated explicitly: a
   * load balancer in the wrong kind of subnet is unreachable, and nothing says so until clients time out.
   */
  readonly scheme: "internet-facing" | "internal";
  /** Subnets of the load balancer, in at least two availability zones: public ones for `"internet-facing"`. */
  readonly subnetIds: readonly string[];
  /** Name of the load balancer (1-32 letters, digits, hyphens). @default - the service name, shortened to 32 */
  readonly name?: string;
  /**
   * ACM certificate ARN: HTTPS on 443, and HTTP on 80 redirecting to it. Without one, HTTP on 80 only (the
   * security Aspect warns that traffic is unencrypted).
   * @default - none
   */
  readonly certificateArn?: string;
  /** TLS policy of the HTTPS listener (TLS 1.2 or newer; with `certificateArn`). @default DEFAULT_SSL_POLICY */
  readonly sslPolicy?: string;
  /** CIDRs admitted to the listener ports. @default - ["0.0.0.0/0"] when internet-facing, none when internal */
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
  readonly accessLogs?: {
    /** Name of the bucket. */
    readonly bucket: string;
    /**
     * Key prefix of the log objects, before `AWSLogs/<account>/elasticloadbalancing/…`.
     * @default - none: the objects start at the bucket's root with `AWSLogs/`
     */
    readonly prefix?: string;
  };
  /** Health check of the tasks. @default - see TargetHealthCheck */
  readonly healthCheck?: TargetHealthCheck;
  /**
   * Seconds a deregistering task keeps its in-flight requests (0-3600). ECS sends SIGTERM only after it, so
   * every rollout and scale-in waits this long per task: short for sub-second requests, longer for uploads
   * or streaming responses that must not be cut.
   * @default 15
   */
  readonly deregistrationDelaySeconds?: number;
}

/** {@link CreateLoadBalancerOptions} with every default resolved. */
export interface ResolvedLoadBalancer {
  readonly scheme: "internet-facing" | "internal";
  readonly subnetIds: readonly string[];
  readonly name: string;
  readonly certificateArn?: string;
  readonly sslPolicy: string;
  readonly ingressCidrs: readonly string[];
  readonly ingressSecurityGroupIds: readonly string[];
  readonly idleTimeoutSeconds: number;
  readonly deletionProtection: boolean;
  readonly accessLogs?: { readonly bucket: string; readonly prefix?: string };
  readonly healthCheck: ResolvedHealthCheck;
  readonly deregistrationDelaySeconds: number;
}

const CREATE_KEYS = keysOf<CreateLoadBalancerOptions>({
  scheme: true,
  subnetIds: true,
  name: true,
  certificateArn: true,
  sslPolicy: true,
  ingressCidrs: true,
  ingressSecurityGroupIds: true,
  idleTimeoutSeconds: true,
  deletionProtection: true,
  accessLogs: true,
  healthCheck: true,
  deregistrationDelaySeconds: true,
});

const LB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

/** The name a load balancer gets from a service name: letters, digits and hyphens, at most 32. */
function loadBalancerNameFor(serviceName: string): string {
  return isKnown(serviceName)
    ? serviceName
        .replace(/[^A-Za-z0-9-]/g, "-")
        .slice(0, 32)
        .replace(/^-+|-+$/g, "")
    : serviceName;
}

/** Resolves a created load balancer's defaults; `serviceName` names it unless `name` is given. */
export function resolveLoadBalancer(
  options: CreateLoadBalancerOptions,
  serviceName: string,
): ResolvedLoadBalancer {
  return {
    ...options,
    name: options.name ?? loadBalancerNameFor(serviceName),
    sslPolicy: options.sslPolicy ?? DEFAULT_SSL_POLICY,
    ingressCidrs: options.ingressCidrs ?? (options.scheme === "internal" ? [] : ["0.0.0.0/0"]),
    ingressSecurityGroupIds: options.ingressSecurityGroupIds ?? [],
    idleTimeoutSeconds: options.idleTimeoutSeconds ?? 60,
    deletionProtection: options.deletionProtection ?? false,
    healthCheck: resolveTargetHealthCheck(isObject(options.healthCheck) ? options.healthCheck : {}),
    deregistrationDelaySeconds: options.deregistrationDelaySeconds ?? DEFAULT_DEREGISTRATION_DELAY_SECONDS,
  };
}

/** Checks a created load balancer's options (`c` is the `loadBalancer.create` prop's checker). */
export function checkLoadBalancer(c: Checker, raw: CreateLoadBalancerOptions, s: ResolvedLoadBalancer): void {
  c.object(raw, CREATE_KEYS, "CreateLoadBalancerOptions", MOVED_CREATE_LOAD_BALANCER_PROPS);
  if (c.at("scheme").required(s.scheme, '"internet-facing" (public subnets) or "internal"'))
    c.at("scheme").oneOf(s.scheme, ["internet-facing", "internal"]);
  if (
    c
      .at("subnetIds")
      .required(
        s.subnetIds,
        "two or more subnets in different zones: public ones for an internet-facing load balancer",
      )
  )
    checkResourceIds(c.at("subnetIds"), s.subnetIds, "subnet", 2, "two or more subnets, in different zones");
  // An empty default name comes from an invalid serviceName, which is reported there.
  c.at("name").check(
    (raw.name !== undefined || s.name !== "") &&
      isKnown(s.name) &&
      (typeof s.name !== "string" || !LB_NAME.test(s.name) || s.name.startsWith("internal-")),
    s.name,
    "is not a load balancer name",
    '1-32 letters, digits and hyphens, not starting or ending with a hyphen or starting with "internal-"',
  );
  checkArn(c.at("certificateArn"), s.certificateArn, ARN.certificate, "ACM certificate ARN");
  c.at("sslPolicy").check(
    isKnown(s.sslPolicy) && (typeof s.sslPolicy !== "string" || !isTls12OrNewerPolicy(s.sslPolicy)),
    s.sslPolicy,
    "allows TLS older than 1.2",
    "an ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-* or -FS-1-2-* policy",
  );
  c.at("sslPolicy").check(
    raw.sslPolicy !== undefined && s.certificateArn === undefined,
    raw.sslPolicy,
    "is set without certificateArn",
    "sslPolicy with a certificate (HTTPS listener) only",
  );
  checkCidrs(c.at("ingressCidrs"), c.at("ingressCidrs").list(s.ingressCidrs, "a list of CIDRs"));
  checkResourceIds(
    c.at("ingressSecurityGroupIds"),
    s.ingressSecurityGroupIds,
    "securityGroup",
    0,
    "security group IDs",
  );
  c.at("idleTimeoutSeconds").integer(s.idleTimeoutSeconds, 1, 4000);
  c.at("deletionProtection").boolean(s.deletionProtection);
  if (s.accessLogs !== undefined) {
    const logs = c.at("accessLogs").object(s.accessLogs, ["bucket", "prefix"], "{ bucket, prefix? }");
    if (c.at("accessLogs").at("bucket").required(logs.bucket, "an S3 bucket name"))
      c.at("accessLogs")
        .at("bucket")
        .matches(
          logs.bucket,
          /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
          "an S3 bucket name",
          "3-63 lowercase letters, digits, dots and hyphens",
        );
  }
  checkTargetHealthCheck(c.at("healthCheck"), raw.healthCheck, s.healthCheck);
  checkDeregistrationDelay(c.at("deregistrationDelaySeconds"), s.deregistrationDelaySeconds);
}
