import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Construct } from "constructs";
import { ARN, checkArn } from "./aws-rules";
import { dependable } from "./cdktf";
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

/** The props of {@link ListenerRuleOptions}. */
export const LISTENER_RULE_KEYS = keysOf<ListenerRuleOptions>({
  listenerArn: true,
  priority: true,
  pathPatterns: true,
  hostHeaders: true,
});

/** Checks a rule on an existing listener (`c` is its checker, `given` the options as given). */
export function checkListenerRule(c: Checker, given: Partial<ListenerRuleOptions>): void {
  if (c.at("listenerArn").required(given.listenerArn, "the ARN of an HTTP or HTTPS listener"))
    checkArn(c.at("listenerArn"), given.listenerArn, ARN.listener, "listener ARN");
  if (c.at("priority").required(given.priority, "a rule priority from 1 to 50000, unique on the listener"))
    c.at("priority").integer(given.priority, 1, 50000);
  const paths = c.at("pathPatterns").list(given.pathPatterns, 'path patterns, e.g. ["/orders/*"]');
  const hosts = c.at("hostHeaders").list(given.hostHeaders, 'host names, e.g. ["orders.example.com"]');
  const unresolved = [given.pathPatterns, given.hostHeaders].some(
    (list) => list !== undefined && !isKnown(list),
  );
  c.check(
    paths.length === 0 && hosts.length === 0 && !unresolved,
    { pathPatterns: given.pathPatterns, hostHeaders: given.hostHeaders },
    "has no condition",
    "pathPatterns, hostHeaders or both",
  );
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

/** The two target groups a traffic-shifting deployment moves traffic between. */
export interface ShiftedTargets {
  /** The target group the service registers its tasks with first ("blue"). */
  readonly primary: LbTargetGroup;
  /** The other one ("green"): a deployment starts the new tasks there. */
  readonly alternate: LbTargetGroup;
}

/**
 * A listener rule whose action ECS owns: it forwards to both target groups with `weights` (primary, alternate) at
 * creation, and ECS rewrites the weights at every deployment. Terraform keeps the rule, its listener, priority and
 * conditions, and ignores its action: otherwise the next plan after a completed deployment would send production
 * traffic back to the target group whose tasks were just stopped. Ignoring only the weights is not possible, because
 * the provider keeps the forward targets as a set (hashicorp/terraform-provider-aws#43905).
 *
 * Because the action is ignored, a target group replaced by Terraform (a new container port or VPC) would leave the
 * rule forwarding to the old one, whose deletion then fails while the rule uses it ("You can delete a target group if
 * it is not referenced by any actions", ELB API DeleteTargetGroup). So the rule is replaced with
 * either target group (`replace_triggered_by` on their `id`, which changes only on replacement; an in-place change
 * such as a health check leaves the rule alone): the new rule forwards to the new groups at `weights`, and the
 * service's `load_balancer` names the new groups and rule, which starts an ECS deployment onto them. The listener
 * answers with its default action for the seconds between the old rule's deletion and the new one's creation (two
 * rules cannot share a priority, so the new one cannot come first).
 */
export function shiftedRule(
  scope: Construct,
  id: string,
  props: {
    readonly listenerArn: string;
    readonly priority: number;
    readonly pathPatterns: readonly string[];
    readonly hostHeaders: readonly string[];
    readonly targets: ShiftedTargets;
    readonly weights: readonly [number, number];
    readonly tags?: Readonly<Record<string, string>>;
  },
): LbListenerRule {
  return new LbListenerRule(scope, id, {
    listenerArn: props.listenerArn,
    priority: props.priority,
    action: [
      {
        type: "forward",
        forward: {
          targetGroup: [
            { arn: props.targets.primary.arn, weight: props.weights[0] },
            { arn: props.targets.alternate.arn, weight: props.weights[1] },
          ],
        },
      },
    ],
    condition: conditionsOf(props.pathPatterns, props.hostHeaders),
    tags: props.tags,
    lifecycle: {
      ignoreChanges: ["action"],
      // Bare addresses: the toolkit writes a construct given here as "${aws_lb_target_group.X}", which Terraform 1.11
      // refuses in replace_triggered_by ("Invalid character"); dependable() writes "aws_lb_target_group.X".
      replaceTriggeredBy: [props.targets.primary, props.targets.alternate].map(
        (group) => `${dependable(group)}.id`,
      ),
    },
  });
}

/** The listener rules of a traffic-shifting deployment, and the listeners ECS modifies to swing them. */
export interface ShiftedRules {
  /** The rule production traffic takes: all of it to the primary target group at creation (100/0). */
  readonly productionRule: LbListenerRule;
  /** The rule test traffic takes, when asked for: all of it to the alternate target group (0/100). */
  readonly testRule?: LbListenerRule;
  /** The listeners of those rules, each once. */
  readonly listenerArns: readonly string[];
}

/**
 * The production rule (`ProductionRule`, 100/0) and, with `test`, the test rule (`TestRule`, 0/100) over `targets`:
 * the same {@link shiftedRule} whether the construct created the listeners or was given one.
 */
export function shiftedRules(
  scope: Construct,
  props: {
    readonly targets: ShiftedTargets;
    readonly production: ListenerRuleOptions;
    readonly test?: ListenerRuleOptions;
    readonly tags?: Readonly<Record<string, string>>;
  },
): ShiftedRules {
  const ruleOn = (id: string, on: ListenerRuleOptions, weights: [number, number]) =>
    shiftedRule(scope, id, {
      listenerArn: on.listenerArn,
      priority: on.priority,
      pathPatterns: on.pathPatterns ?? [],
      hostHeaders: on.hostHeaders ?? [],
      targets: props.targets,
      weights,
      tags: props.tags,
    });
  const { production, test } = props;
  return {
    productionRule: ruleOn("ProductionRule", production, [100, 0]),
    testRule: test ? ruleOn("TestRule", test, [0, 100]) : undefined,
    listenerArns: [...new Set([production.listenerArn, ...(test ? [test.listenerArn] : [])])],
  };
}

function conditionsOf(pathPatterns: readonly string[], hostHeaders: readonly string[]) {
  return [
    ...(pathPatterns.length > 0 ? [{ pathPattern: { values: [...pathPatterns] } }] : []),
    ...(hostHeaders.length > 0 ? [{ hostHeader: { values: [...hostHeaders] } }] : []),
  ];
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
      this.listenerRule = new LbListenerRule(this, "ListenerRule", {
        listenerArn: rule.listenerArn,
        priority: rule.priority,
        action: [{ type: "forward", targetGroupArn: this.resource.arn }],
        condition: conditionsOf(rule.pathPatterns ?? [], rule.hostHeaders ?? []),
        tags: props.tags,
      });
    }
  }
}
