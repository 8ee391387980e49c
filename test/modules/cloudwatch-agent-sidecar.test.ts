import { TerraformVariable } from "cdktf";
import {
  type AgentOptions,
  BASE_AGENT_CONFIG,
  CloudWatchAgentSidecar,
  type CloudWatchAgentSidecarProps,
  checkAgent,
  DEFAULT_AGENT_IMAGE,
  deepMerge,
  resolveAgent,
} from "../../modules/cloudwatch-agent-sidecar";
import type { LogConfiguration } from "../../modules/container-definition";
import { Checker, validatedBy } from "../../modules/validation";
import { blockOf, newStack, onlyResource, problemLine, ref, resolved, synthStack } from "./support";

const logConfiguration: LogConfiguration = {
  logDriver: "awslogs",
  options: { "awslogs-group": "/ecs/app", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "ecs" },
};

function build(props: Partial<CloudWatchAgentSidecarProps> = {}): CloudWatchAgentSidecar {
  return new CloudWatchAgentSidecar(newStack(), "Agent", { logConfiguration, ...props });
}

describe("CloudWatchAgentSidecar with defaults", () => {
  const synth = synthStack((stack) => new CloudWatchAgentSidecar(stack, "Agent", { logConfiguration }));
  const agent = synth.built;

  it("GIVEN no config WHEN synthesized THEN one String parameter under the construct path holds the EMF-only agent config", () => {
    const parameter = onlyResource(synth.json, "aws_ssm_parameter");

    expect(parameter).toEqual({
      name: "/test/Agent/cw-agent-config",
      description: "CloudWatch agent configuration (CW_CONFIG_CONTENT): EMF listener",
      type: "String",
      value: '{"logs":{"metrics_collected":{"emf":{}}}}',
    });
    expect(blockOf(synth, agent.parameter)).toBe(parameter);
    expect(agent.agentConfig).toEqual({ logs: { metrics_collected: { emf: {} } } });
  });

  it("GIVEN no image WHEN built THEN the container runs the pinned default image, not latest", () => {
    expect(agent.container.image).toBe(DEFAULT_AGENT_IMAGE);
    expect(DEFAULT_AGENT_IMAGE).toBe("public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300062.0b1304");
    expect(DEFAULT_AGENT_IMAGE).not.toMatch(/:latest$/);
  });

  it("GIVEN defaults WHEN built THEN the container is a non-essential 256 CPU / 256 MiB agent on 25888/tcp, restarted in place", () => {
    expect(agent.container).toEqual({
      name: "cloudwatch-agent",
      image: DEFAULT_AGENT_IMAGE,
      cpu: 256,
      memory: 256,
      essential: false,
      portMappings: [{ containerPort: 25888, hostPort: 25888, protocol: "tcp" }],
      secrets: [{ name: "CW_CONFIG_CONTENT", valueFrom: agent.parameterArn }],
      logConfiguration,
      restartPolicy: { enabled: true, restartAttemptPeriod: 60 },
    });
  });

  it("GIVEN defaults WHEN built THEN CW_CONFIG_CONTENT reads the created parameter's ARN", () => {
    expect(resolved(synth.stack, agent.container.secrets)).toEqual([
      { name: "CW_CONFIG_CONTENT", valueFrom: ref(synth.stack, agent.parameter, "arn") },
    ]);
    expect(resolved(synth.stack, agent.parameterArn)).toBe(ref(synth.stack, agent.parameter, "arn"));
  });
});

describe("CloudWatchAgentSidecar with every prop", () => {
  const synth = synthStack(
    (stack) =>
      new CloudWatchAgentSidecar(stack, "Agent", {
        logConfiguration,
        image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cwagent:1.300050.0",
        containerName: "cwagent",
        cpu: 128,
        memoryMiB: 192,
        essential: true,
        parameterName: "/koaapp/prod/cw-agent-config",
        config: {
          agent: { debug: true },
          logs: {
            force_flush_interval: 5,
            metrics_collected: { emf: { service_address: "tcp://0.0.0.0:25888" } },
          },
        },
        tags: { Team: "platform" },
      }),
  );
  const agent = synth.built;

  it("GIVEN extra config WHEN synthesized THEN it is deep-merged over the EMF listener config in the parameter", () => {
    const parameter = onlyResource(synth.json, "aws_ssm_parameter");

    expect(JSON.parse(parameter.value as string)).toEqual({
      logs: {
        metrics_collected: { emf: { service_address: "tcp://0.0.0.0:25888" } },
        force_flush_interval: 5,
      },
      agent: { debug: true },
    });
    expect(parameter).toMatchObject({ name: "/koaapp/prod/cw-agent-config", tags: { Team: "platform" } });
  });

  it("GIVEN image, name, cpu, memory and essential WHEN built THEN the container carries them and no restart policy", () => {
    expect(agent.container).toEqual({
      name: "cwagent",
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cwagent:1.300050.0",
      cpu: 128,
      memory: 192,
      essential: true,
      portMappings: [{ containerPort: 25888, hostPort: 25888, protocol: "tcp" }],
      secrets: [{ name: "CW_CONFIG_CONTENT", valueFrom: agent.parameterArn }],
      logConfiguration,
    });
  });
});

describe("deepMerge", () => {
  it("GIVEN nested objects, arrays and scalars WHEN merged THEN objects merge, the rest replaces, the inputs stay unchanged", () => {
    const base = { a: { b: 1, c: [1, 2] }, d: "x" };
    const extra = { a: { c: [3], e: null }, d: { f: 1 } };

    expect(deepMerge(base, extra)).toEqual({ a: { b: 1, c: [3], e: null }, d: { f: 1 } });
    expect(base).toEqual({ a: { b: 1, c: [1, 2] }, d: "x" });
    expect(BASE_AGENT_CONFIG).toEqual({ logs: { metrics_collected: { emf: {} } } });
  });
});

describe("CloudWatchAgentSidecar validation", () => {
  it.each([
    "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest",
    "public.ecr.aws/cloudwatch-agent/cloudwatch-agent",
  ])("GIVEN the unpinned image %p WHEN built THEN it is refused", (image) => {
    expect(() => build({ image })).toThrow(
      problemLine(
        `image "${image}" is not pinned; allowed: an image with a version tag or @sha256 digest (set allowLatestImage to accept "latest")`,
      ),
    );
  });

  it("GIVEN latest and allowLatestImage WHEN built THEN the image is used", () => {
    const agent = build({ image: "amazon/cloudwatch-agent:latest", allowLatestImage: true });

    expect(agent.container.image).toBe("amazon/cloudwatch-agent:latest");
  });

  it.each([
    [-1, "cpu -1 is out of range; allowed: an integer from 0 to 16384"],
    [16385, "cpu 16385 is out of range; allowed: an integer from 0 to 16384"],
    [0.5, "cpu 0.5 is out of range; allowed: an integer from 0 to 16384"],
  ])("GIVEN cpu %p WHEN built THEN it is refused", (cpu, line) => {
    expect(() => build({ cpu })).toThrow(problemLine(line));
  });

  it.each([
    [5, "memoryMiB 5 is out of range; allowed: an integer from 6 to 122880"],
    [122881, "memoryMiB 122881 is out of range; allowed: an integer from 6 to 122880"],
  ])("GIVEN memoryMiB %p WHEN built THEN it is refused", (memoryMiB, line) => {
    expect(() => build({ memoryMiB })).toThrow(problemLine(line));
  });

  it.each([
    [null, "null"],
    [false, "false"],
    ["on", '"on"'],
  ])("GIVEN config emf %p WHEN built THEN it is refused as turning off the listener", (emf, shown) => {
    expect(() => build({ config: { logs: { metrics_collected: { emf } } } })).toThrow(
      problemLine(
        `config.logs.metrics_collected.emf ${shown} would turn off the EMF listener; allowed: an object`,
      ),
    );
  });

  it.each([
    ["logs replaced by a string", { logs: "off" }],
    ["logs replaced by null", { logs: null }],
    ["metrics_collected replaced by null", { logs: { metrics_collected: null } }],
  ])(
    "GIVEN config with %s WHEN built THEN it is refused as invalid props rather than dropping the EMF listener",
    (_case, config) => {
      expect(() => build({ config })).toThrow(/^test\/Agent: invalid props:\n- config\.logs/);
    },
  );

  it.each(["cw agent config", "/koaapp/prod/config!", ""])(
    "GIVEN parameterName %p WHEN built THEN it is refused",
    (parameterName) => {
      expect(() => build({ parameterName })).toThrow(
        problemLine(
          `parameterName ${JSON.stringify(parameterName)} is not an SSM parameter name; allowed: 1-1011 characters of A-Z a-z 0-9 _ . - /`,
        ),
      );
    },
  );

  it("GIVEN several invalid props WHEN built THEN one error lists them all", () => {
    expect(() => build({ image: "agent:latest", cpu: -1, memoryMiB: 5, parameterName: "bad name" })).toThrow(
      new Error(
        [
          "test/Agent: invalid props:",
          '- image "agent:latest" is not pinned; allowed: an image with a version tag or @sha256 digest (set allowLatestImage to accept "latest")',
          "- cpu -1 is out of range; allowed: an integer from 0 to 16384",
          "- memoryMiB 5 is out of range; allowed: an integer from 6 to 122880",
          '- parameterName "bad name" is not an SSM parameter name; allowed: 1-1011 characters of A-Z a-z 0-9 _ . - /',
        ].join("\n"),
      ),
    );
  });

  it("GIVEN token image, cpu, memory and parameter name WHEN built THEN they are not judged and flow through as references", () => {
    const synth = synthStack((stack) => {
      const image = new TerraformVariable(stack, "agent_image", { type: "string" });
      const cpu = new TerraformVariable(stack, "agent_cpu", { type: "number" });
      const name = new TerraformVariable(stack, "agent_parameter", { type: "string" });
      return new CloudWatchAgentSidecar(stack, "Agent", {
        logConfiguration,
        image: image.stringValue,
        cpu: cpu.numberValue,
        memoryMiB: cpu.numberValue,
        parameterName: name.stringValue,
      });
    });

    expect(onlyResource(synth.json, "aws_ssm_parameter").name).toBe("${var.agent_parameter}");
    expect(resolved(synth.stack, synth.built.container.image)).toBe("${var.agent_image}");
    expect(resolved(synth.stack, synth.built.container.cpu)).toBe("${var.agent_cpu}");
  });
});

describe("checkAgent under the service", () => {
  const agentProblems = (agent: AgentOptions) => {
    const c = new Checker().at("agent");
    checkAgent(c, agent, resolveAgent(agent, "test/Service/Agent"));
    return c.problems.all;
  };

  it("GIVEN no options WHEN resolved THEN the defaults, with the parameter under the sidecar's path", () => {
    expect(resolveAgent({}, "test/Service/Agent")).toEqual({
      image: DEFAULT_AGENT_IMAGE,
      allowLatestImage: false,
      containerName: "cloudwatch-agent",
      cpu: 256,
      memoryMiB: 256,
      config: BASE_AGENT_CONFIG,
      parameterName: "/test/Service/Agent/cw-agent-config",
      essential: false,
    });
    expect(agentProblems({})).toEqual([]);
  });

  it("GIVEN bad options WHEN checked at agent THEN each problem names agent.<prop>, and latest points at agent.allowLatestImage", () => {
    expect(
      agentProblems({
        image: "agent:latest",
        containerName: "cloudwatch agent",
        cpu: -1,
        config: { logs: { metrics_collected: { emf: false } } },
        essential: "no" as unknown as boolean,
      }),
    ).toEqual([
      'agent.image "agent:latest" is not pinned; allowed: an image with a version tag or @sha256 digest (set agent.allowLatestImage to accept "latest")',
      'agent.containerName "cloudwatch agent" is not a container name; allowed: 1-255 letters, digits, hyphens and underscores',
      "agent.cpu -1 is out of range; allowed: an integer from 0 to 16384",
      'agent.essential "no" is not a boolean; allowed: true or false',
      "agent.config.logs.metrics_collected.emf false would turn off the EMF listener; allowed: an object",
    ]);
  });

  it("GIVEN a sidecar-only prop or a typo under the service WHEN checked THEN it is no prop of AgentOptions", () => {
    const options = { logConfiguration, memory: 256 } as unknown as AgentOptions;

    expect(agentProblems(options)).toEqual([
      `agent.logConfiguration ${JSON.stringify(logConfiguration)} is not a prop of AgentOptions; allowed: image, allowLatestImage, containerName, cpu, memoryMiB, config, parameterName, essential`,
      "agent.memory 256 is not a prop of AgentOptions; allowed: image, allowLatestImage, containerName, cpu, memoryMiB, config, parameterName, essential",
    ]);
  });

  it("GIVEN a config that is no object WHEN checked THEN it is refused and the EMF listener stays configured", () => {
    const config = "debug" as unknown as Record<string, unknown>;

    expect(agentProblems({ config })).toEqual([
      'agent.config "debug" is not an object; allowed: agent configuration, e.g. { agent: { debug: true } }',
    ]);
    expect(resolveAgent({ config }, "x").config).toEqual(BASE_AGENT_CONFIG);
  });
});

describe("CloudWatchAgentSidecar standalone validation of its own props", () => {
  it("GIVEN no log configuration and a misspelt prop WHEN built THEN both are named in one error", () => {
    const props = { containerNmae: "agent" } as unknown as CloudWatchAgentSidecarProps;

    expect(() => new CloudWatchAgentSidecar(newStack(), "Agent", props)).toThrow(
      new Error(
        [
          "test/Agent: invalid props:",
          '- containerNmae "agent" is not a prop of CloudWatchAgentSidecarProps (did you mean containerName?); allowed: image, allowLatestImage, containerName, cpu, memoryMiB, config, parameterName, essential, logConfiguration, tags',
          "- logConfiguration undefined is required; allowed: a log configuration, e.g. the task's awslogs settings",
        ].join("\n"),
      ),
    );
  });

  it("GIVEN props the service already validated WHEN built THEN they are not judged again", () => {
    const agent = new CloudWatchAgentSidecar(
      newStack(),
      "Agent",
      validatedBy({ logConfiguration, cpu: 100000 }),
    );

    expect(agent.container.cpu).toBe(100000);
  });
});
