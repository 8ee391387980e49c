/**
 * What the props allow but an operator should hear about at synth time, as warnings (Annotations): a rollout that
 * may stop every task of the service, a rollout with no room to replace a task, and a task too small for the Service
 * Connect proxy ECS adds to it.
 */
import type { ServiceSettings } from "./emf-fargate-service-settings";
import { proxyHeadroomWarnings } from "./service-connect";
import { isKnown } from "./validation";

/**
 * The fewest tasks ECS keeps running during a rolling deployment of `count` tasks: the count times
 * `minimumHealthyPercent` / 100, rounded up ("rounded up to the nearest integer", ECS API reference,
 * DeploymentConfiguration.minimumHealthyPercent; the developer guide's "Deploy Amazon ECS services by replacing
 * tasks" gives 75% of 2 tasks as 2).
 */
export function minimumHealthyTasks(count: number, minimumHealthyPercent: number): number {
  return Math.ceil((count * minimumHealthyPercent) / 100);
}

/**
 * A warning when `deployment.minimumHealthyPercent` lets a rollout stop every task: the smallest count the service
 * runs with (desiredCount, or minCapacity with autoscaling) rounds to a minimum of zero healthy tasks.
 */
export function minimumHealthyWarnings(s: ServiceSettings): string[] {
  const percent = s.deployment.minimumHealthyPercent;
  const auto = s.scaling.auto;
  const count = auto ? auto.minCapacity : s.scaling.desiredCount;
  if (![percent, count].every(isKnown) || count < 1 || minimumHealthyTasks(count, percent) > 0) return [];
  const at = auto ? `scaling.minCapacity ${count}` : `scaling.desiredCount ${count}`;
  return [
    `deployment.minimumHealthyPercent ${percent} with ${at} lets ECS stop ${count === 1 ? "the only task before its replacement is" : `all ${count} tasks before their replacements are`} healthy (ECS keeps ceil(${count} × ${percent} / 100) = 0 running): the service is down during every deployment; allowed: a minimumHealthyPercent above 0 (100, the default, keeps every task until its replacement runs)`,
  ];
}

/**
 * The most tasks ECS runs during a rolling deployment of `count` tasks: the count times `maximumPercent` / 100,
 * rounded down ("rounded down to the nearest integer", ECS API reference, DeploymentConfiguration.maximumPercent).
 */
export function maximumTasks(count: number, maximumPercent: number): number {
  return Math.floor((count * maximumPercent) / 100);
}

/**
 * The task counts between `from` and `to` at which a rolling deployment has no room: ECS may neither start a task
 * (the count is already {@link maximumTasks}) nor stop one (it is already {@link minimumHealthyTasks}), so the
 * rollout cannot replace any. 1 task at 100/150 is one (1.5 rounds down to 1), as is every count at 100/100.
 */
export function countsWithoutRoom(
  from: number,
  to: number,
  minimumHealthyPercent: number,
  maximumPercent: number,
): number[] {
  const counts: number[] = [];
  for (let n = Math.max(from, 1); n <= Math.min(to, from + 1000); n++)
    if (maximumTasks(n, maximumPercent) <= minimumHealthyTasks(n, minimumHealthyPercent)) counts.push(n);
  return counts;
}

/**
 * A warning when a rolling deployment of some count the service runs with has no room to replace a task. At
 * 100/100 no count has room: that is refused with the other props' problems (checkRolloutRoom), not warned.
 */
export function rolloutRoomWarnings(s: ServiceSettings): string[] {
  const { minimumHealthyPercent: min, maximumPercent: max, trafficShift } = s.deployment;
  const auto = s.scaling.auto;
  const [from, to] = auto
    ? [auto.minCapacity, auto.maxCapacity]
    : [s.scaling.desiredCount, s.scaling.desiredCount];
  if (trafficShift || ![min, max, from, to].every(isKnown) || min >= max) return [];
  const stuck = countsWithoutRoom(from, to, min, max);
  if (stuck.length === 0) return [];
  const n = stuck[0] as number;
  const at = auto ? `scaling.minCapacity ${from} to maxCapacity ${to}` : `scaling.desiredCount ${n}`;
  return [
    `deployment.minimumHealthyPercent ${min} and maximumPercent ${max} with ${at} leave a rolling deployment of ${stuck.length === 1 ? "" : "e.g. "}${n} task${n === 1 ? "" : "s"} no room (ECS may run floor(${n} × ${max} / 100) = ${maximumTasks(n, max)} and must keep ceil(${n} × ${min} / 100) = ${minimumHealthyTasks(n, min)}${stuck.length > 1 ? `; also at ${stuck.length - 1} other count${stuck.length === 2 ? "" : "s"}` : ""}): it can neither start a replacement nor stop an old task, and the release never completes; allowed: a maximumPercent that adds a task (200, the default) or a lower minimumHealthyPercent`,
  ];
}

/** Every operations warning of the settings. */
export function operationsWarnings(s: ServiceSettings): string[] {
  const sizes = [s.container.cpu, s.agent.cpu, s.container.memoryMiB, s.agent.memoryMiB];
  const containers = {
    cpu: s.container.cpu + s.agent.cpu,
    memoryMiB: s.container.memoryMiB + s.agent.memoryMiB,
  };
  return [
    ...minimumHealthyWarnings(s),
    ...rolloutRoomWarnings(s),
    ...(s.serviceConnect && sizes.every(isKnown) ? proxyHeadroomWarnings(s.task, containers) : []),
  ];
}
