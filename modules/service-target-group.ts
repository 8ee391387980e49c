import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Construct } from "constructs";
import { checkIntRange, invalidProps, isKnown, Problems, show } from "./validation";

/** The load balancer's health check of each task. */
export interface TargetHealthCheck {
  /** Path requested; the container health check requests the same path. @default "/health" */
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

/** Props of {@link ServiceTargetGroup}. */
export interface ServiceTargetGroupProps {
  /** VPC of the targets. */
  readonly vpcId: string;
  /** Port the targets (task IPs) listen on. */
  readonly port: number;
  /** Health check. @default - see TargetHealthCheck */
  readonly healthCheck?: TargetHealthCheck;
  /**
   * Seconds a deregistering target keeps its in-flight requests (0-3600). ECS sends SIGTERM only after
   * it, so every rollout and scale-in waits this long per task: short for sub-second requests, longer for
   * uploads or streaming responses that must not be cut.
   * @default 15
   */
  readonly deregistrationDelaySeconds?: number;
  /** Attach to an existing listener with a rule. @default - none (a listener of the caller forwards here) */
  readonly listenerRule?: ListenerRuleOptions;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The default health-check path, also the container health check's. */
export const DEFAULT_HEALTH_CHECK_PATH = "/health";

const MATCHER = /^([2-4]\d\d(-[2-4]\d\d)?)(,[2-4]\d\d(-[2-4]\d\d)?)*$/;

/** Checks a health-check path: absolute, at most 1024 characters, no spaces or query. */
export function checkHealthCheckPath(problems: Problems, prop: string, path: string): void {
  if (!isKnown(path)) return;
  problems.check(
    !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,1023}$/.test(path),
    `${prop} ${show(path)} is not an absolute path; allowed: a path starting with / (at most 1024 characters, no spaces or query string), e.g. "/health"`,
  );
}

/** Checks health-check settings, naming them under `prefix` (e.g. "loadBalancer.healthCheck."). */
export function checkTargetHealthCheck(problems: Problems, prefix: string, hc: TargetHealthCheck): void {
  if (hc.path !== undefined) checkHealthCheckPath(problems, `${prefix}path`, hc.path);
  problems.check(
    hc.matcher !== undefined && isKnown(hc.matcher) && !MATCHER.test(hc.matcher),
    `${prefix}matcher ${show(hc.matcher)} is not an HTTP code list; allowed: codes 200-499 as "200", "200-299" or "200,204"`,
  );
  checkIntRange(problems, `${prefix}intervalSeconds`, hc.intervalSeconds, 5, 300);
  checkIntRange(problems, `${prefix}timeoutSeconds`, hc.timeoutSeconds, 2, 120);
  checkIntRange(problems, `${prefix}healthyThreshold`, hc.healthyThreshold, 2, 10);
  checkIntRange(problems, `${prefix}unhealthyThreshold`, hc.unhealthyThreshold, 2, 10);
  const interval = hc.intervalSeconds ?? 10;
  const timeout = hc.timeoutSeconds ?? 5;
  problems.check(
    isKnown(interval) && isKnown(timeout) && timeout >= interval,
    `${prefix}timeoutSeconds ${timeout} is not below ${prefix}intervalSeconds ${interval}; allowed: a timeout shorter than the interval`,
  );
}

/** Checks target-group props, naming them under `prefix`. */
export function checkTargetGroupProps(
  problems: Problems,
  prefix: string,
  props: Omit<ServiceTargetGroupProps, "vpcId" | "port">,
): void {
  checkTargetHealthCheck(problems, `${prefix}healthCheck.`, props.healthCheck ?? {});
  checkIntRange(problems, `${prefix}deregistrationDelaySeconds`, props.deregistrationDelaySeconds, 0, 3600);
  const rule = props.listenerRule;
  if (rule) {
    checkIntRange(problems, `${prefix}listenerRule.priority`, rule.priority, 1, 50000);
    problems.check(
      (rule.pathPatterns ?? []).length === 0 && (rule.hostHeaders ?? []).length === 0,
      `${prefix}listenerRule has no condition; allowed: pathPatterns, hostHeaders or both`,
    );
  }
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
  /** The health-check path in use. */
  readonly healthCheckPath: string;

  constructor(scope: Construct, id: string, props: ServiceTargetGroupProps) {
    super(scope, id);
    const hc = props.healthCheck ?? {};
    const path = hc.path ?? DEFAULT_HEALTH_CHECK_PATH;
    const matcher = hc.matcher ?? "200";
    const intervalSeconds = hc.intervalSeconds ?? 10;
    const timeoutSeconds = hc.timeoutSeconds ?? 5;
    const healthyThreshold = hc.healthyThreshold ?? 2;
    const unhealthyThreshold = hc.unhealthyThreshold ?? 3;
    const deregistrationDelaySeconds = props.deregistrationDelaySeconds ?? 15;
    const rule = props.listenerRule;
    const pathPatterns = rule?.pathPatterns ?? [];
    const hostHeaders = rule?.hostHeaders ?? [];

    const problems = new Problems();
    checkTargetGroupProps(problems, "", props);
    problems.throwIfAny(invalidProps(this));

    this.healthCheckPath = path;
    this.resource = new LbTargetGroup(this, "Resource", {
      vpcId: props.vpcId,
      port: props.port,
      protocol: "HTTP",
      targetType: "ip",
      deregistrationDelay: String(deregistrationDelaySeconds),
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        port: "traffic-port",
        path,
        matcher,
        interval: intervalSeconds,
        timeout: timeoutSeconds,
        healthyThreshold,
        unhealthyThreshold,
      },
      tags: props.tags,
      // A change of port or VPC replaces the group; the new one must exist before listeners move to it.
      lifecycle: { createBeforeDestroy: true },
    });
    if (rule) {
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
