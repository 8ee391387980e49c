import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Construct } from "constructs";
import { AGENT_EMF_PORT } from "../contract/metrics";
import { checkImage } from "./aws-rules";
import type { ContainerDefinition, LogConfiguration } from "./container-definition";
import type { ResolvedSecret } from "./service-secrets";
import { type Checker, isObject, keysOf, validateOwnProps } from "./validation";

/** The agent image this module is tested with. */
export const DEFAULT_AGENT_IMAGE = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300062.0b1304";

/** The agent configuration that turns on the EMF listener (TCP and UDP 25888). */
export const BASE_AGENT_CONFIG = { logs: { metrics_collected: { emf: {} } } } as const;

/** Settings of the CloudWatch agent sidecar: its image, resources and configuration. */
export interface AgentOptions {
  /**
   * Agent image, pinned to a version tag. The default is on public.ecr.aws, which VPC interface endpoints do not
   * serve: tasks without a route to the internet need the image in private ECR (a pull-through cache rule for
   * public.ecr.aws, or a mirrored copy), given here.
   * @default DEFAULT_AGENT_IMAGE
   */
  readonly image?: string;
  /** Accept an image tagged `latest` or untagged. @default false */
  readonly allowLatestImage?: boolean;
  /** Container name. @default "cloudwatch-agent" */
  readonly containerName?: string;
  /** CPU units reserved for the agent. @default 256 */
  readonly cpu?: number;
  /** Hard memory limit of the agent in MiB. @default 256 */
  readonly memoryMiB?: number;
  /**
   * Extra agent configuration, deep-merged over `{"logs":{"metrics_collected":{"emf":{}}}}`,
   * e.g. `{ agent: { debug: true } }` or `{ logs: { force_flush_interval: 5 } }`.
   * @default - EMF listener only
   */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Name of the SSM parameter holding the agent configuration. @default - `/`, the construct path, then `/cw-agent-config` */
  readonly parameterName?: string;
  /**
   * Whether the task stops when the agent stops. Non-essential by default: the app keeps serving and
   * buffers metrics while ECS restarts the agent in place (restart policy), so an agent fault costs
   * metrics latency, not availability.
   * @default false
   */
  readonly essential?: boolean;
}

/** Props of {@link CloudWatchAgentSidecar}. */
export interface CloudWatchAgentSidecarProps extends AgentOptions {
  /** Logging for the agent container (usually the task's awslogs configuration). */
  readonly logConfiguration: LogConfiguration;
  /** Tags for the SSM parameter. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** {@link AgentOptions} with every default resolved. */
export interface ResolvedAgent {
  readonly image: string;
  readonly allowLatestImage: boolean;
  readonly containerName: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly config: Readonly<Record<string, unknown>>;
  readonly parameterName: string;
  readonly essential: boolean;
}

/** Resolves the agent's defaults; `path` is the sidecar's construct path (its parameter's default name). */
export function resolveAgent(options: AgentOptions, path: string): ResolvedAgent {
  return {
    image: options.image ?? DEFAULT_AGENT_IMAGE,
    allowLatestImage: options.allowLatestImage ?? false,
    containerName: options.containerName ?? "cloudwatch-agent",
    cpu: options.cpu ?? 256,
    memoryMiB: options.memoryMiB ?? 256,
    config: deepMerge(BASE_AGENT_CONFIG, isObject(options.config) ? options.config : {}),
    parameterName: options.parameterName ?? `/${path}/cw-agent-config`,
    essential: options.essential ?? false,
  };
}

const AGENT_KEYS = keysOf<AgentOptions>({
  image: true,
  allowLatestImage: true,
  containerName: true,
  cpu: true,
  memoryMiB: true,
  config: true,
  parameterName: true,
  essential: true,
});

/**
 * Checks the agent's options (`raw` as given, `s` resolved); `allowLatestProp` names the prop that accepts
 * `latest` in messages (`agent.allowLatestImage` under the service).
 */
export function checkAgent(
  c: Checker,
  raw: unknown,
  s: ResolvedAgent,
  extraKeys: readonly string[] = [],
): void {
  c.object(
    raw,
    [...AGENT_KEYS, ...extraKeys],
    extraKeys.length > 0 ? "CloudWatchAgentSidecarProps" : "AgentOptions",
  );
  checkImage(
    c.at("image"),
    s.image,
    s.allowLatestImage,
    c.path === "" ? "allowLatestImage" : `${c.path}.allowLatestImage`,
  );
  c.at("allowLatestImage").boolean(s.allowLatestImage);
  c.at("containerName").matches(
    s.containerName,
    /^[A-Za-z0-9_-]{1,255}$/,
    "a container name",
    "1-255 letters, digits, hyphens and underscores",
  );
  c.at("cpu").integer(s.cpu, 0, 16384);
  c.at("memoryMiB").integer(s.memoryMiB, 6, 122880);
  c.at("essential").boolean(s.essential);
  const given = isObject(raw) ? raw.config : undefined;
  if (given !== undefined && !isObject(given))
    c.at("config").fail(given, "is not an object", "agent configuration, e.g. { agent: { debug: true } }");
  const logs = s.config.logs;
  const metricsCollected = isObject(logs) ? logs.metrics_collected : undefined;
  const emf = isObject(metricsCollected) ? metricsCollected.emf : undefined;
  const config = c.at("config");
  config.at("logs").check(!isObject(logs), logs, "would turn off the EMF listener", "an object");
  config
    .at("logs")
    .at("metrics_collected")
    .check(
      isObject(logs) && !isObject(metricsCollected),
      metricsCollected,
      "would turn off the EMF listener",
      "an object",
    );
  config
    .at("logs")
    .at("metrics_collected")
    .at("emf")
    .check(isObject(metricsCollected) && !isObject(emf), emf, "would turn off the EMF listener", "an object");
  c.at("parameterName").matches(
    s.parameterName,
    /^[A-Za-z0-9_.\-/]{1,1011}$/,
    "an SSM parameter name",
    "1-1011 characters of A-Z a-z 0-9 _ . - /",
  );
}

/**
 * The Amazon CloudWatch agent as a sidecar container receiving Embedded Metric Format on
 * 127.0.0.1:25888, configured through `CW_CONFIG_CONTENT` from an SSM parameter this construct creates.
 */
export class CloudWatchAgentSidecar extends Construct {
  /** The SSM parameter holding the agent configuration. */
  readonly parameter: SsmParameter;
  /** ARN of the configuration parameter: the execution role must be allowed to read it. */
  readonly parameterArn: string;
  /** The secrets the agent container reads (`CW_CONFIG_CONTENT`), for the execution role's policy. */
  readonly secrets: readonly ResolvedSecret[];
  /** The agent's container definition, to add to the task. */
  readonly container: ContainerDefinition;
  /** The agent configuration written to the parameter. */
  readonly agentConfig: Readonly<Record<string, unknown>>;

  constructor(scope: Construct, id: string, props: CloudWatchAgentSidecarProps) {
    super(scope, id);
    const agent = resolveAgent(props, this.node.path);
    validateOwnProps(this, props, (c) => {
      checkAgent(c, props, agent, ["logConfiguration", "tags"]);
      c.at("logConfiguration").required(
        props.logConfiguration,
        "a log configuration, e.g. the task's awslogs settings",
      );
    });
    const { image, containerName, cpu, memoryMiB, essential, parameterName } = agent;
    const agentConfig = agent.config;

    this.agentConfig = agentConfig;
    this.parameter = new SsmParameter(this, "Resource", {
      name: parameterName,
      description: "CloudWatch agent configuration (CW_CONFIG_CONTENT): EMF listener",
      type: "String",
      value: JSON.stringify(this.agentConfig),
      tags: props.tags,
    });
    this.parameterArn = this.parameter.arn;
    this.secrets = [
      {
        name: "CW_CONFIG_CONTENT",
        valueFrom: this.parameterArn,
        resourceArn: this.parameterArn,
        store: "ssm",
      },
    ];

    this.container = {
      name: containerName,
      image,
      cpu,
      memory: memoryMiB,
      essential,
      portMappings: [{ containerPort: AGENT_EMF_PORT, hostPort: AGENT_EMF_PORT, protocol: "tcp" }],
      secrets: this.secrets.map(({ name, valueFrom }) => ({ name, valueFrom })),
      logConfiguration: props.logConfiguration,
      ...(essential ? {} : { restartPolicy: { enabled: true, restartAttemptPeriod: 60 } }),
    };
  }
}

/** Merges `extra` into `base` recursively; objects merge, everything else replaces. */
export function deepMerge(
  base: Readonly<Record<string, unknown>>,
  extra: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = merged[key];
    merged[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}
