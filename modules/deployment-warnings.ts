/**
 * What the props allow but an operator should hear about at synth time, as warnings (Annotations): a rollout that
 * may stop every task of the service, and a task too small for the Service Connect proxy ECS adds to it.
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

/** Every operations warning of the settings. */
export function operationsWarnings(s: ServiceSettings): string[] {
  const sizes = [s.container.cpu, s.agent.cpu, s.container.memoryMiB, s.agent.memoryMiB];
  const containers = {
    cpu: s.container.cpu + s.agent.cpu,
    memoryMiB: s.container.memoryMiB + s.agent.memoryMiB,
  };
  return [
    ...minimumHealthyWarnings(s),
    ...(s.serviceConnect && sizes.every(isKnown) ? proxyHeadroomWarnings(s.task, containers) : []),
  ];
}
