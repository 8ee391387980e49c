import { countsWithoutRoom, maximumTasks, minimumHealthyTasks } from "../../modules/deployment-warnings";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import {
  blockOf,
  containerDefinitionsOf,
  containerNamed,
  newStack,
  problemLine,
  SERVICE_PROPS,
  synthStack,
} from "./support";

function synth(overrides: Partial<EmfFargateServiceProps>) {
  return synthStack((stack) => new EmfFargateService(stack, "Service", { ...SERVICE_PROPS, ...overrides }));
}

function warningsOf(overrides: Partial<EmfFargateServiceProps>): string[] {
  const service = new EmfFargateService(newStack(), "Service", { ...SERVICE_PROPS, ...overrides });
  return service.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
}

describe("Availability Zone rebalancing", () => {
  it("GIVEN no setting WHEN synthesized THEN it is stated ENABLED, so an existing service gets it too", () => {
    const s = synth({});
    expect(blockOf(s, s.built.service).availability_zone_rebalancing).toBe("ENABLED");
  });

  it("GIVEN network.availabilityZoneRebalancing false WHEN synthesized THEN it is stated DISABLED", () => {
    const s = synth({ network: { ...SERVICE_PROPS.network, availabilityZoneRebalancing: false } });
    expect(blockOf(s, s.built.service).availability_zone_rebalancing).toBe("DISABLED");
  });

  it("GIVEN a value that is not a boolean WHEN built THEN it is refused", () => {
    expect(
      () =>
        new EmfFargateService(newStack(), "Service", {
          ...SERVICE_PROPS,
          network: { ...SERVICE_PROPS.network, availabilityZoneRebalancing: "ENABLED" as unknown as boolean },
        }),
    ).toThrow(
      problemLine('network.availabilityZoneRebalancing "ENABLED" is not a boolean; allowed: true or false'),
    );
  });
});

describe("image version consistency", () => {
  it("GIVEN no setting WHEN synthesized THEN the app container states ECS's default: its tag resolves to one digest per deployment", () => {
    expect(containerNamed(containerDefinitionsOf(synth({}).json), "koaapp").versionConsistency).toBe(
      "enabled",
    );
  });

  it("GIVEN container.versionConsistency false WHEN synthesized THEN the app container opts out, the agent keeps ECS's default", () => {
    const containers = containerDefinitionsOf(
      synth({ container: { ...SERVICE_PROPS.container, versionConsistency: false } }).json,
    );
    expect(containerNamed(containers, "koaapp").versionConsistency).toBe("disabled");
    expect(containerNamed(containers, "cloudwatch-agent").versionConsistency).toBeUndefined();
  });
});

describe("a deployment that may stop every task", () => {
  // ECS API reference, DeploymentConfiguration: the minimum is desiredCount × minimumHealthyPercent / 100 rounded
  // up; the developer guide's examples are 50% of 4 tasks → 2 and 75% of 2 tasks → 2.
  it.each([
    [4, 50, 2],
    [2, 75, 2],
    [1, 50, 1],
    [1, 1, 1],
    [3, 0, 0],
    [1, 0, 0],
  ])("GIVEN %i tasks at %i%% WHEN rounded as ECS does THEN %i stay running", (count, percent, kept) => {
    expect(minimumHealthyTasks(count, percent)).toBe(kept);
  });

  it("GIVEN one task and minimumHealthyPercent 0 WHEN built THEN a warning says the service goes down at every deployment", () => {
    expect(warningsOf({ deployment: { minimumHealthyPercent: 0 } })).toEqual([
      "deployment.minimumHealthyPercent 0 with scaling.desiredCount 1 lets ECS stop the only task before its replacement is healthy (ECS keeps ceil(1 × 0 / 100) = 0 running): the service is down during every deployment; allowed: a minimumHealthyPercent above 0 (100, the default, keeps every task until its replacement runs)",
    ]);
  });

  it("GIVEN autoscaling down to one task and minimumHealthyPercent 0 WHEN built THEN the warning names minCapacity", () => {
    expect(
      warningsOf({
        scaling: { desiredCount: 3, minCapacity: 1, maxCapacity: 4, requestsPerTargetPerMinute: false },
        deployment: { minimumHealthyPercent: 0 },
      }),
    ).toEqual([
      "deployment.minimumHealthyPercent 0 with scaling.minCapacity 1 lets ECS stop the only task before its replacement is healthy (ECS keeps ceil(1 × 0 / 100) = 0 running): the service is down during every deployment; allowed: a minimumHealthyPercent above 0 (100, the default, keeps every task until its replacement runs)",
    ]);
  });

  it("GIVEN three tasks and minimumHealthyPercent 0 WHEN built THEN the warning says all three may stop", () => {
    expect(warningsOf({ scaling: { desiredCount: 3 }, deployment: { minimumHealthyPercent: 0 } })).toEqual([
      expect.stringContaining("lets ECS stop all 3 tasks before their replacements are healthy"),
    ]);
  });

  it.each<[string, Partial<EmfFargateServiceProps>]>([
    ["one task at 50% (rounded up to 1)", { deployment: { minimumHealthyPercent: 50 } }],
    ["the default 100%", {}],
    ["a service scaled to zero", { scaling: { desiredCount: 0 }, deployment: { minimumHealthyPercent: 0 } }],
  ])("GIVEN %s WHEN built THEN no warning", (_case, overrides) => {
    expect(warningsOf(overrides)).toEqual([]);
  });
});

describe("a rolling deployment with no room to replace a task", () => {
  // ECS API reference, DeploymentConfiguration: the most tasks is desiredCount × maximumPercent / 100 rounded down,
  // the fewest desiredCount × minimumHealthyPercent / 100 rounded up; when they meet, nothing can start or stop.
  it.each([
    [4, 200, 8],
    [1, 150, 1],
    [3, 120, 3],
    [5, 120, 6],
  ])(
    "GIVEN %i tasks at maximumPercent %i WHEN rounded as ECS does THEN at most %i run",
    (count, percent, most) => {
      expect(maximumTasks(count, percent)).toBe(most);
    },
  );

  it("GIVEN 100/150 WHEN counted THEN 1 task has no room (1.5 rounds down) and 2 or more do", () => {
    expect(countsWithoutRoom(1, 4, 100, 150)).toEqual([1]);
  });

  it("GIVEN 50/100 WHEN counted THEN 1 task has no room (0.5 rounds up) and 2 or more do", () => {
    expect(countsWithoutRoom(1, 3, 50, 100)).toEqual([1]);
  });

  it("GIVEN one task at 100/150 WHEN built THEN a warning says the release never completes", () => {
    expect(warningsOf({ deployment: { maximumPercent: 150 } })).toEqual([
      "deployment.minimumHealthyPercent 100 and maximumPercent 150 with scaling.desiredCount 1 leave a rolling deployment of 1 task no room (ECS may run floor(1 × 150 / 100) = 1 and must keep ceil(1 × 100 / 100) = 1): it can neither start a replacement nor stop an old task, and the release never completes; allowed: a maximumPercent that adds a task (200, the default) or a lower minimumHealthyPercent",
    ]);
  });

  it("GIVEN autoscaling from 1 to 4 at 100/120 WHEN built THEN the warning names the range and the other counts", () => {
    expect(
      warningsOf({
        scaling: { minCapacity: 1, maxCapacity: 4, requestsPerTargetPerMinute: false },
        deployment: { maximumPercent: 120 },
      }),
    ).toEqual([
      "deployment.minimumHealthyPercent 100 and maximumPercent 120 with scaling.minCapacity 1 to maxCapacity 4 leave a rolling deployment of e.g. 1 task no room (ECS may run floor(1 × 120 / 100) = 1 and must keep ceil(1 × 100 / 100) = 1; also at 3 other counts): it can neither start a replacement nor stop an old task, and the release never completes; allowed: a maximumPercent that adds a task (200, the default) or a lower minimumHealthyPercent",
    ]);
  });

  it.each<[string, Partial<EmfFargateServiceProps>]>([
    ["the defaults 100/200", {}],
    ["two tasks at 100/150", { scaling: { desiredCount: 2 }, deployment: { maximumPercent: 150 } }],
    [
      "two tasks at 50/100",
      { scaling: { desiredCount: 2 }, deployment: { minimumHealthyPercent: 50, maximumPercent: 100 } },
    ],
  ])("GIVEN %s WHEN built THEN no warning", (_case, overrides) => {
    expect(warningsOf(overrides)).toEqual([]);
  });
});
