import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import type { DeploymentOptions } from "../../modules/service-options";
import { blockOf, newStack, problemLine, SERVICE_PROPS, type Synthesized, synthStack } from "./support";

function ecsService(overrides: Partial<EmfFargateServiceProps>): Record<string, unknown> {
  const synth: Synthesized<EmfFargateService> = synthStack(
    (stack) => new EmfFargateService(stack, "Service", { ...SERVICE_PROPS, ...overrides }),
  );
  return blockOf(synth, synth.built.service) as Record<string, unknown>;
}

const postconditionOf = (service: Record<string, unknown>) =>
  (service.lifecycle as { postcondition?: { condition: string }[] } | undefined)?.postcondition;

describe("who releases new revisions: deployment.releasedBy", () => {
  it('GIVEN the default ("terraform") WHEN synthesized THEN the service runs the configured revision and an apply fails on a rollback', () => {
    const service = ecsService({});
    expect(service.lifecycle).toEqual({
      postcondition: [
        {
          condition: expect.stringMatching(
            /^\$\{\(self\.task_definition == aws_ecs_task_definition\.Service_TaskDefinition_\w+\.arn\)\}$/,
          ),
          error_message:
            "koaapp did not reach a steady state on the task definition this apply registered: ECS rolled the deployment back (circuit breaker or a deployment alarm). See the service's events.",
        },
      ],
    });
  });

  it('GIVEN "pipeline" WHEN synthesized THEN Terraform ignores the running revision and does not judge it, still waiting for a stable service', () => {
    const service = ecsService({ deployment: { releasedBy: "pipeline" } });
    expect(service.lifecycle).toEqual({ ignore_changes: ["task_definition"] });
    expect(postconditionOf(service)).toBeUndefined();
    expect(service.wait_for_steady_state).toBe(true);
    // The first apply still creates the service on the revision this configuration registers.
    expect(service.task_definition).toMatch(/^\$\{aws_ecs_task_definition\.\w+\.arn\}$/);
  });

  it('GIVEN "pipeline" with autoscaling WHEN synthesized THEN both the count and the revision are left to their owners', () => {
    const service = ecsService({
      deployment: { releasedBy: "pipeline" },
      scaling: { minCapacity: 2, maxCapacity: 4, requestsPerTargetPerMinute: false },
    });
    expect(service.lifecycle).toEqual({ ignore_changes: ["desired_count", "task_definition"] });
  });

  it('GIVEN "terraform" without waiting for a steady state WHEN synthesized THEN there is nothing to check after the apply', () => {
    expect(
      ecsService({ deployment: { releasedBy: "terraform", waitForSteadyState: false } }).lifecycle,
    ).toBeUndefined();
  });

  it("GIVEN an unknown owner WHEN built THEN it is refused with what is allowed", () => {
    expect(
      () =>
        new EmfFargateService(newStack(), "Service", {
          ...SERVICE_PROPS,
          deployment: { releasedBy: "codedeploy" } as unknown as DeploymentOptions,
        }),
    ).toThrow(
      problemLine(
        'deployment.releasedBy "codedeploy" is not who releases revisions; allowed: "terraform", "pipeline"',
      ),
    );
  });
});
