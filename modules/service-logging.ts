import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import type { Construct } from "constructs";
import type { EmfSettings } from "./app-container";
import { CloudWatchAgentSidecar, type CloudWatchAgentSidecarProps } from "./cloudwatch-agent-sidecar";
import type { LogConfiguration } from "./container-definition";
import { exemptFromPolicy } from "./security-policy";

/** Props of {@link createServiceLogging}; every value already resolved by the caller. */
export interface ServiceLoggingProps {
  /** Log group of the containers' stdout/stderr (created). */
  readonly logGroupName: string;
  /** The metric settings, with the EMF log group still by name (created). */
  readonly emf: EmfSettings;
  /** Days to keep both log groups. */
  readonly retentionDays: number;
  /** Customer-managed KMS key of both log groups. @default - AWS-managed keys */
  readonly kmsKeyArn?: string;
  /** CloudWatch agent sidecar settings. @default - see CloudWatchAgentSidecarProps */
  readonly agent?: Omit<CloudWatchAgentSidecarProps, "logConfiguration" | "tags">;
  /** Tags of the log groups and the agent's parameter. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** What {@link createServiceLogging} created. */
export interface ServiceLogging {
  /** The region the provider deploys to (the awslogs region). */
  readonly region: DataAwsRegion;
  /** Log group of the containers' output. */
  readonly logGroup: CloudwatchLogGroup;
  /** Log group of the EMF documents. */
  readonly emfLogGroup: CloudwatchLogGroup;
  /** The metric settings with the EMF log group as the created group's name reference. */
  readonly emf: EmfSettings;
  /** awslogs to the containers' log group, non-blocking: every container of the task logs with it. */
  readonly logConfiguration: LogConfiguration;
  /** The CloudWatch agent sidecar receiving EMF. */
  readonly agent: CloudWatchAgentSidecar;
}

/**
 * What EMF needs in any task, created in `scope`: the containers' log group and awslogs settings, the EMF log
 * group and the CloudWatch agent sidecar, whose image's needs (and a chosen `agent.allowLatestImage`) become
 * SecurityPolicyChecks warnings for `scope`. The children keep the ids (`Region`, `Logs`, `EmfLogs`, `Agent`)
 * they had when this code lived in EmfFargateService, so their Terraform addresses stay where they were.
 */
export function createServiceLogging(scope: Construct, props: ServiceLoggingProps): ServiceLogging {
  const region = new DataAwsRegion(scope, "Region");
  const logGroup = new CloudwatchLogGroup(scope, "Logs", {
    name: props.logGroupName,
    retentionInDays: props.retentionDays,
    kmsKeyId: props.kmsKeyArn,
    tags: props.tags,
  });
  const emfLogGroup = new CloudwatchLogGroup(scope, "EmfLogs", {
    name: props.emf.logGroupName,
    retentionInDays: props.retentionDays,
    kmsKeyId: props.kmsKeyArn,
    tags: props.tags,
  });
  const logConfiguration: LogConfiguration = {
    logDriver: "awslogs",
    options: {
      "awslogs-group": logGroup.name,
      "awslogs-region": region.name,
      "awslogs-stream-prefix": "ecs",
      mode: "non-blocking",
      "max-buffer-size": "4m",
    },
  };
  const agent = new CloudWatchAgentSidecar(scope, "Agent", {
    ...props.agent,
    logConfiguration,
    tags: props.tags,
  });
  const container = { container: agent.container.name };
  exemptFromPolicy(
    scope,
    "read-only-root",
    "the CloudWatch agent image writes its generated configuration",
    container,
  );
  exemptFromPolicy(scope, "non-root-user", "the CloudWatch agent image runs as root", container);
  if (props.agent?.allowLatestImage)
    exemptFromPolicy(scope, "pinned-images", "agent.allowLatestImage was set", container);
  // The app and the infrastructure read the metric settings from here only, so the log group and
  // namespace in the environment cannot disagree with the ones alarms and queries use.
  const emf = { ...props.emf, logGroupName: emfLogGroup.name };
  return { region, logGroup, emfLogGroup, emf, logConfiguration, agent };
}
