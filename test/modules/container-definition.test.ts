import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { type ContainerDefinition, renderContainerDefinitions } from "../../modules/container-definition";
import { containerDefinitionsOf, ref, synthStack } from "./support";

const web: ContainerDefinition = {
  name: "web",
  image: "public.ecr.aws/acme/web:1.0.0",
  cpu: 256,
  memory: 512,
  essential: true,
  portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
  environment: [{ name: "PORT", value: "8080" }],
  dependsOn: [{ containerName: "sidecar", condition: "START" }],
  healthCheck: { command: ["CMD-SHELL", "true"], interval: 10, timeout: 2, retries: 3, startPeriod: 0 },
  linuxParameters: { initProcessEnabled: true },
  stopTimeout: 30,
  readonlyRootFilesystem: true,
  user: "1000:1000",
};

describe("renderContainerDefinitions", () => {
  it("GIVEN containers in the ECS shape WHEN rendered THEN the JSON parses back to the same definitions, field names unchanged", () => {
    const rendered = renderContainerDefinitions([
      web,
      { name: "sidecar", image: "acme/sidecar:2", essential: false },
    ]);

    expect(JSON.parse(rendered)).toEqual([
      web,
      { name: "sidecar", image: "acme/sidecar:2", essential: false },
    ]);
  });

  it("GIVEN fields left undefined WHEN rendered THEN they are absent from the JSON, not null", () => {
    const rendered = renderContainerDefinitions([{ ...web, command: undefined, cpu: undefined }]);
    const [parsed] = JSON.parse(rendered) as Record<string, unknown>[];

    expect(Object.keys(parsed ?? {})).not.toContain("command");
    expect(Object.keys(parsed ?? {})).not.toContain("cpu");
    expect(rendered).not.toMatch(/null|undefined/);
  });

  describe("GIVEN a secret and an environment value that are references to another resource", () => {
    const synth = synthStack((stack) => {
      const parameter = new SsmParameter(stack, "Secret", {
        name: "/app/secret",
        type: "String",
        value: "v",
      });
      const container: ContainerDefinition = {
        ...web,
        environment: [{ name: "SECRET_NAME", value: parameter.name }],
        secrets: [{ name: "SECRET", valueFrom: parameter.arn }],
      };
      new EcsTaskDefinition(stack, "Task", {
        family: "web",
        containerDefinitions: renderContainerDefinitions([container]),
      });
      return { parameter };
    });

    it("WHEN synthesized THEN container_definitions is still valid JSON, so every reference sits inside a string value", () => {
      const [container] = containerDefinitionsOf(synth.json);

      expect(container?.secrets).toEqual([
        { name: "SECRET", valueFrom: ref(synth.stack, synth.built.parameter, "arn") },
      ]);
      expect(container?.environment).toEqual([
        { name: "SECRET_NAME", value: ref(synth.stack, synth.built.parameter, "name") },
      ]);
    });
  });
});
