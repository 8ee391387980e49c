import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Construct } from "constructs";
import { type Checker, isKnown, keysOf } from "./validation";

/** The load balancer's health check of each task. */
export interface TargetHealthCheck {
  /** Path requested (absolute, no query string). @default "/" (as the load balancer's own default) */
  readonly path?: string;
  /** HTTP codes that count as healthy, e.g. "200" or "200-299". @default "200" */
  readonly matcher?: string;
  /** Seconds between checks (5-300). @default 10 */
  readonly intervalSeconds?: number;
  /** Seconds before a check counts as failed (2-120, below the interval). @default 5 */
  readonly timeoutSeconds?: number;
  /** Consecutive passes before a task receives traffic (2-10). @default 2 */
  readonly healthyThreshold?: number;
  /** Consecutive failures before a task stops receiving traffic (2-10). @default 3 */
  readonly unhealthyThreshold?: number;
}

/** {@link TargetHealthCheck} with every default resolved. */
export type ResolvedHealthCheck = Required<TargetHealthCheck>;

const HEALTH_CHECK_KEYS = keysOf<TargetHealthCheck>({
  path: true,
  matcher: true,
  intervalSeconds: true,
  timeoutSeconds: true,
  healthyThreshold: true,
  unhealthyThreshold: true,
});

/** Resolves the health check's defaults. */
export function resolveTargetHealthCheck(hc: TargetHealthCheck): ResolvedHealthCheck {
  return {
    path: hc.path ?? "/",
    matcher: hc.matcher ?? "200",
    intervalSeconds: hc.intervalSeconds ?? 10,
    timeoutSeconds: hc.timeoutSeconds ?? 5,
    healthyThreshold: hc.healthyThreshold ?? 2,
    unhealthyThreshold: hc.unhealthyThreshold ?? 3,
  };
}

const MATCHER = /^([2-4]\d\d(-[2-4]\d\d)?)(,[2-4]\d\d(-[2-4]\d\d)?)*$/;

/** Checks a target health check (`c` is its checker); `raw` is the options as given. */
export function checkTargetHealthCheck(c: Checker, raw: unknown, hc: ResolvedHealthCheck): void {
  c.object(raw, HEALTH_CHECK_KEYS, "TargetHealthCheck");
  c.at("path").matches(
    hc.path,
    /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,1023}$/,
    "an absolute path",
    'a path starting with / (at most 1024 characters, no spaces or query string), e.g. "/health"',
  );
  c.at("matcher").matches(
    hc.matcher,
    MATCHER,
    "an HTTP code list",
    'codes 200-499 as "200", "200-299" or "200,204"',
  );
  c.at("intervalSeconds").integer(hc.intervalSeconds, 5, 300);
  c.at("timeoutSeconds").integer(hc.timeoutSeconds, 2, 120);
  c.at("healthyThreshold").integer(hc.healthyThreshold, 2, 10);
  c.at("unhealthyThreshold").integer(hc.unhealthyThreshold, 2, 10);
  if (isKnown(hc.intervalSeconds) && isKnown(hc.timeoutSeconds))
    c.at("timeoutSeconds").check(
      hc.timeoutSeconds >= hc.intervalSeconds,
      hc.timeoutSeconds,
      `is not below ${c.path}.intervalSeconds ${hc.intervalSeconds}`,
      "a timeout shorter than the interval",
    );
}

/** Checks a deregistration delay (0-3600 s). */
export function checkDeregistrationDelay(c: Checker, seconds: unknown): void {
  c.integer(seconds, 0, 3600);
}

/** A rule on an existing listener that forwards to the target group. */
export interface ListenerRuleOptions {
  /** ARN of the existing HTTP or HTTPS listener. */
  readonly listenerArn: string;
  /** Rule priority on that listener (1-50000, unique there). */
  readonly priority: number;
  /** Path patterns, e.g. ["/orders/*"]. @default - none (hostHeaders then required) */
  readonly pathPatterns?: readonly string[];
  /** Host headers, e.g. ["orders.example.com"]. @default - none (pathPatterns then required) */
  readonly hostHeaders?: readonly string[];
}

/** Props of {@link ServiceTargetGroup}; every value already resolved and validated by the service. */
export interface ServiceTargetGroupProps {
  /** VPC of the targets. */
  readonly vpcId: string;
  /** Port the targets (task IPs) listen on. */
  readonly port: number;
  /** Health check. */
  readonly healthCheck: ResolvedHealthCheck;
  /**
   * Seconds a deregistering target keeps its in-flight requests. ECS sends SIGTERM only after it, so every
   * rollout and scale-in waits this long per task.
   */
  readonly deregistrationDelaySeconds: number;
  /** Attach to an existing listener with a rule. @default - none (a listener of the caller forwards here) */
  readonly listenerRule?: ListenerRuleOptions;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An `ip` target group for Fargate tasks with an HTTP health check and a short deregistration delay,
 * optionally attached to an existing listener by a rule.
 */
export class ServiceTargetGroup extends Construct {
  /** The target group. */
  readonly resource: LbTargetGroup;
  /** The listener rule, when one was asked for. */
  readonly listenerRule?: LbListenerRule;

  constructor(scope: Construct, id: string, props: ServiceTargetGroupProps) {
    super(scope, id);
    const hc = props.healthCheck;
    const rule = props.listenerRule;
    this.resource = new LbTargetGroup(this, "Resource", {
      vpcId: props.vpcId,
      port: props.port,
      protocol: "HTTP",
      targetType: "ip",
      deregistrationDelay: String(props.deregistrationDelaySeconds),
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        port: "traffic-port",
        path: hc.path,
        matcher: hc.matcher,
        interval: hc.intervalSeconds,
        timeout: hc.timeoutSeconds,
        healthyThreshold: hc.healthyThreshold,
        unhealthyThreshold: hc.unhealthyThreshold,
      },
      tags: props.tags,
      // A change of port or VPC replaces the group; the new one must exist before listeners move to it.
      lifecycle: { createBeforeDestroy: true },
    });
    if (rule) {
      const pathPatterns = rule.pathPatterns ?? [];
      const hostHeaders = rule.hostHeaders ?? [];
      this.listenerRule = new LbListenerRule(this, "ListenerRule", {
        listenerArn: rule.listenerArn,
        priority: rule.priority,
        action: [{ type: "forward", targetGroupArn: this.resource.arn }],
        condition: [
          ...(pathPatterns.length > 0 ? [{ pathPattern: { values: [...pathPatterns] } }] : []),
          ...(hostHeaders.length > 0 ? [{ hostHeader: { values: [...hostHeaders] } }] : []),
        ],
        tags: props.tags,
      });
    }
  }
}
