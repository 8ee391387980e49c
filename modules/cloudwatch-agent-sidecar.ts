import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Construct } from "constructs";
import { AGENT_EMF_PORT } from "../contract/metrics";
import type { ContainerDefinition, LogConfiguration } from "./container-definition";
import type { ResolvedSecret } from "./service-secrets";
import { checkImagePinned, checkIntRange, invalidProps, isKnown, Problems, show } from "./validation";

/** The agent image this module is tested with. */
export const DEFAULT_AGENT_IMAGE = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300062.0b1304";

/** The agent configuration that turns on the EMF listener (TCP and UDP 25888). */
export const BASE_AGENT_CONFIG = { logs: { metrics_collected: { emf: {} } } } as const;

/** Props of {@link CloudWatchAgentSidecar}. */
export interface CloudWatchAgentSidecarProps {
  /** Logging for the agent container (usually the task's awslogs configuration). */
  readonly logConfiguration: LogConfiguration;
  /** Agent image, pinned to a version tag. @default DEFAULT_AGENT_IMAGE */
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
  /** Name of the SSM parameter holding the agent configuration. @default "/<construct path>/cw-agent-config" */
  readonly parameterName?: string;
  /**
   * Whether the task stops when the agent stops. Non-essential by default: the app keeps serving and
   * buffers metrics while ECS restarts the agent in place (restart policy), so an agent fault costs
   * metrics latency, not availability.
   * @default false
   */
  readonly essential?: boolean;
  /** Tags for the SSM parameter. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
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
    const image = props.image ?? DEFAULT_AGENT_IMAGE;
    const allowLatestImage = props.allowLatestImage ?? false;
    const containerName = props.containerName ?? "cloudwatch-agent";
    const cpu = props.cpu ?? 256;
    const memoryMiB = props.memoryMiB ?? 256;
    const essential = props.essential ?? false;
    const parameterName = props.parameterName ?? `/${this.node.path}/cw-agent-config`;

    const problems = new Problems();
    checkImagePinned(problems, "image", image, allowLatestImage);
    checkIntRange(problems, "cpu", cpu, 0, 16384);
    checkIntRange(problems, "memoryMiB", memoryMiB, 6, 122880);
    const agentConfig = deepMerge(BASE_AGENT_CONFIG, props.config ?? {});
    const logs = agentConfig.logs;
    const metricsCollected = isPlainObject(logs) ? logs.metrics_collected : undefined;
    const emf = isPlainObject(metricsCollected) ? metricsCollected.emf : undefined;
    problems.check(
      !isPlainObject(logs),
      `config.logs ${show(logs)} would turn off the EMF listener; allowed: an object`,
    );
    problems.check(
      isPlainObject(logs) && !isPlainObject(metricsCollected),
      `config.logs.metrics_collected ${show(metricsCollected)} would turn off the EMF listener; allowed: an object`,
    );
    problems.check(
      isPlainObject(metricsCollected) && !isPlainObject(emf),
      `config.logs.metrics_collected.emf ${show(emf)} would turn off the EMF listener; allowed: an object`,
    );
    problems.check(
      isKnown(parameterName) && !/^[A-Za-z0-9_.\-/]{1,1011}$/.test(parameterName),
      `parameterName ${show(parameterName)} is not an SSM parameter name; allowed: 1-1011 characters of A-Z a-z 0-9 _ . - /`,
    );
    problems.throwIfAny(invalidProps(this));

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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Merges `extra` into `base` recursively; objects merge, everything else replaces. */
export function deepMerge(
  base: Readonly<Record<string, unknown>>,
  extra: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}
