/**
 * What the service's props allow but a reviewer should hear about at synth time, as warnings (Annotations): a
 * traffic shift the alarms cannot stop, a load balancer nobody can reach, ECS Exec without the endpoint its sessions
 * need. The rollout and task-size warnings are in deployment-warnings.ts.
 */
import { show } from "../contract/problems";
import type { ServiceSettings } from "./emf-fargate-service-settings";
import { deploymentAlarmTimeToFire } from "./metric-math";
import { isKnown } from "./validation";

/** The known (resolved) strings of a list; unresolved tokens and a list that is itself a token are skipped. */
export function knownIds(list: unknown): string[] {
  return Array.isArray(list) ? list.filter((id): id is string => typeof id === "string" && isKnown(id)) : [];
}

/**
 * A traffic shift without its gate, a canary share too small to breach the error-rate alarm on its own, and a bake
 * time shorter than the alarms need to fire.
 */
export function trafficShiftWarnings(s: ServiceSettings): string[] {
  const shift = s.deployment.trafficShift;
  if (!shift) return [];
  const strategy = `deployment.strategy ${show(shift.type)}`;
  if (s.alarms === false)
    return [
      `${strategy} runs with alarms: false: no p99-latency or 5xx-rate alarm watches the shift or the bake, so a release that answers slowly or with errors takes all the traffic and stays; allowed: alarms (the default), or deployment.strategy { type: "rolling" } when nothing should gate the release`,
    ];
  if (!s.deployment.alarmRollback)
    return [
      `${strategy} runs with deployment.alarmRollback false: the p99-latency and 5xx-rate alarms notify but do not shift the traffic back, so a release that answers slowly or with errors takes all the traffic and stays; allowed: alarmRollback true (the default)`,
    ];
  const warnings: string[] = [];
  const { errorRateThresholdPercent } = s.alarms;
  if (
    shift.type === "canary" &&
    isKnown(errorRateThresholdPercent) &&
    shift.canaryPercent <= errorRateThresholdPercent
  )
    warnings.push(
      `deployment.strategy.canaryPercent ${shift.canaryPercent} is not above alarms.errorRateThresholdPercent ${errorRateThresholdPercent}: a canary that fails every request moves the service-wide 5xx rate to ${shift.canaryPercent}% only, so the error-rate alarm cannot stop it before the full shift`,
    );
  const toFire = deploymentAlarmTimeToFire(s.metrics.highResolution);
  if (shift.bakeTimeMinutes < toFire.minutes)
    warnings.push(
      `deployment.strategy.bakeTimeMinutes ${shift.bakeTimeMinutes} is shorter than the ${toFire.text} the deployment alarms need to fire after the last shift: a regression found later is not rolled back by traffic shift`,
    );
  return warnings;
}

/**
 * An internet-facing load balancer in subnets `network.outbound` declares private. With `"nat"` their default route
 * is the NAT gateway and with `"vpcEndpoints"` they have none, so the load balancer's answers to internet clients
 * never reach them. A warning, not an error: the construct sees the declaration, not the route tables, and a load
 * balancer with other, public subnets still answers from those zones.
 */
export function unreachableLoadBalancerWarnings(s: ServiceSettings): string[] {
  const created = s.frontDoor.create;
  const outbound = s.network.outbound;
  if (created?.scheme !== "internet-facing" || (outbound !== "nat" && outbound !== "vpcEndpoints")) return [];
  const taskSubnets = new Set(knownIds(s.network.subnetIds));
  const shared = knownIds(created.subnetIds).filter((id) => taskSubnets.has(id));
  if (shared.length === 0) return [];
  return [
    `loadBalancer.create.subnetIds ${show(shared)} ${shared.length === 1 ? "is" : "are"} also in network.subnetIds, which network.outbound ${show(outbound)} declares private (${outbound === "nat" ? "their default route is a NAT gateway" : "no route out"}): an internet-facing load balancer there cannot answer internet clients, and requests to it time out; allowed: public subnets (a route to an internet gateway) in loadBalancer.create.subnetIds, or loadBalancer.create.scheme "internal"`,
  ];
}

/**
 * ECS Exec in subnets without a route out: the SSM agent in the task opens the session channels through Session
 * Manager's `ssmmessages` endpoint (and decrypts with KMS when a key is given), which an endpoints-only VPC must
 * serve. The ECS developer guide, "Using Amazon ECS Exec for debugging", Considerations: "If you are using interface
 * Amazon VPC endpoints with Amazon ECS, you must create the interface Amazon VPC endpoints for Systems Manager Session
 * Manager" (awsdocs/amazon-ecs-developer-guide doc_source/ecs-exec.md at 021abe8ca185a054dea7bab21e631f9461e05bd6).
 * A warning: the construct cannot see the VPC's endpoints.
 */
export function execEndpointWarnings(s: ServiceSettings): string[] {
  if (!s.exec.enabled || s.network.outbound !== "vpcEndpoints") return [];
  const kms = s.exec.kmsKeyArn !== undefined;
  return [
    `exec.enabled with network.outbound "vpcEndpoints" needs the VPC's interface endpoint${kms ? "s" : ""} for ssmmessages (com.amazonaws.<region>.ssmmessages)${kms ? " and kms (com.amazonaws.<region>.kms, for exec.kmsKeyArn)" : ""}, which the construct cannot see: without ${kms ? "them" : "it"} the SSM agent in the task cannot open the session channels, and aws ecs execute-command fails although the tasks run normally`,
  ];
}

/** Every warning of this file, for the service to record. */
export function settingsWarnings(s: ServiceSettings): string[] {
  return [...trafficShiftWarnings(s), ...unreachableLoadBalancerWarnings(s), ...execEndpointWarnings(s)];
}
