/**
 * ECS Exec, audited: the options, their checks, the session log group and the cluster's
 * `execute_command_configuration` that logs every session to it, and the task role's statements for it.
 *
 * What ECS Exec needs, from the ECS developer guide's "Using Amazon ECS Exec for debugging" (awsdocs/
 * amazon-ecs-developer-guide doc_source/ecs-exec.md at 021abe8ca185a054dea7bab21e631f9461e05bd6, "IAM permissions
 * required for ECS Exec", "IAM permissions required for Amazon CloudWatch Logs or Amazon S3 Logging", "IAM
 * permissions required for encryption using your own AWS KMS key"): the task role opens the four `ssmmessages`
 * channels (no resource-level permissions, so on "*"); with session logging to CloudWatch Logs it may also list log
 * groups (`logs:DescribeLogGroups` on "*", which the SSM agent calls to find the group) and create streams in,
 * describe the streams of and write to that one group; with a customer-managed key it may `kms:Decrypt` with that
 * key (the data channel is encrypted with it on top of TLS). A log group encrypted with KMS needs no KMS permission
 * of the writer: CloudWatch Logs uses the key under its own service principal (the key policy must allow it).
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { EcsClusterConfigurationExecuteCommandConfiguration } from "@cdktf/provider-aws/lib/ecs-cluster";
import type { Construct } from "constructs";
import { ARN, checkArn, checkName, LOG_GROUP_NAME, LOG_RETENTION_DAYS } from "./aws-rules";
import { type Checker, keysOf } from "./validation";

/**
 * ECS Exec: an interactive shell or command in a running task, through Session Manager. Off by default: a shell in
 * a running task is reach nobody should have without asking for it, and {@link SecurityPolicyChecks} reports it on
 * a production stack. On, every session's commands and output are logged to a log group, and the task role gets
 * exactly what the session channels and that log need.
 */
export interface ExecOptions {
  /** Turn on ECS Exec for the service's tasks (new tasks only: ECS starts the agent at task start). @default false */
  readonly enabled?: boolean;
  /**
   * Log group every session is logged to. With a created cluster it is created here and the cluster's
   * `execute_command_configuration` logs every session to it (`logging = "OVERRIDE"`). With `cluster.existing` it is
   * required: the group that cluster already logs sessions to (its `execute_command_configuration` must have
   * `logging = "OVERRIDE"` and `log_configuration.cloud_watch_log_group_name` = this name; the construct can
   * neither see nor change another owner's cluster), and the task role may write to it.
   * The image needs `script` and `cat` for ECS to upload a session's log.
   * @default "/ecs/<serviceName>/exec" with a created cluster; required with cluster.existing
   */
  readonly sessionLogGroupName?: string;
  /** Days CloudWatch Logs keeps the sessions of a created session log group (an audit trail). @default 365 */
  readonly sessionLogRetentionDays?: number;
  /**
   * Customer-managed KMS key that encrypts the sessions' data channel on top of TLS (the task role may decrypt with
   * it; whoever runs `aws ecs execute-command` needs `kms:GenerateDataKey` on it) and a created session log group.
   * With `cluster.existing`, the key its `execute_command_configuration.kms_key_id` names, if any.
   * @default - the service's kmsKeyArn with a created cluster, none with cluster.existing: TLS only
   */
  readonly kmsKeyArn?: string;
}

/** {@link ExecOptions} with every default resolved. */
export interface ResolvedExec {
  readonly enabled: boolean;
  /** The session log group's name; undefined only when it is missing with an existing cluster (a reported problem). */
  readonly sessionLogGroupName?: string;
  readonly sessionLogRetentionDays: number;
  readonly kmsKeyArn?: string;
  /** The construct creates the session log group and the cluster's configuration (a created cluster). */
  readonly createsLogGroup: boolean;
}

const EXEC_KEYS = keysOf<ExecOptions>({
  enabled: true,
  sessionLogGroupName: true,
  sessionLogRetentionDays: true,
  kmsKeyArn: true,
});

/** Session Manager's channel actions the SSM agent in the task calls. */
export const EXEC_CHANNEL_ACTIONS = [
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
] as const;

/** What the SSM agent calls on the session log group to log a session. */
export const EXEC_SESSION_LOG_ACTIONS = [
  "logs:CreateLogStream",
  "logs:DescribeLogStreams",
  "logs:PutLogEvents",
] as const;

/** Resolves the exec options; `existingCluster` says whether the service runs in a cluster it does not create. */
export function resolveExec(
  options: ExecOptions,
  context: { readonly serviceName: string; readonly kmsKeyArn?: string; readonly existingCluster: boolean },
): ResolvedExec {
  const { existingCluster } = context;
  return {
    enabled: options.enabled ?? false,
    sessionLogGroupName:
      options.sessionLogGroupName ?? (existingCluster ? undefined : `/ecs/${context.serviceName}/exec`),
    sessionLogRetentionDays: options.sessionLogRetentionDays ?? 365,
    kmsKeyArn: options.kmsKeyArn ?? (existingCluster ? undefined : context.kmsKeyArn),
    createsLogGroup: !existingCluster,
  };
}

/** Checks the exec options (`c` is the `exec` prop's checker); `raw` is the prop as given. */
export function checkExec(c: Checker, raw: unknown, s: ResolvedExec): void {
  const given = c.object(raw, EXEC_KEYS, "ExecOptions");
  c.at("enabled").boolean(s.enabled);
  if (s.enabled !== true) {
    c.setWithout(
      given,
      EXEC_KEYS.filter((k) => k !== "enabled"),
      "exec.enabled",
      "this prop with exec.enabled true (without ECS Exec there are no sessions to log or encrypt)",
    );
    return;
  }
  // Judged only as given: the default derives from serviceName, which is judged (once) at its own path.
  checkName(c.at("sessionLogGroupName"), LOG_GROUP_NAME, given.sessionLogGroupName);
  c.at("sessionLogRetentionDays").oneOf(
    s.sessionLogRetentionDays,
    LOG_RETENTION_DAYS,
    "is not a CloudWatch Logs retention",
  );
  // Judged only as given: the default is the service's kmsKeyArn, which is judged (once) at its own path.
  checkArn(c.at("kmsKeyArn"), given.kmsKeyArn, ARN.kmsKey, "KMS key ARN");
  if (s.createsLogGroup) return;
  c.at("sessionLogGroupName").required(
    given.sessionLogGroupName,
    'with cluster.existing, the log group that cluster\'s execute_command_configuration logs sessions to (logging "OVERRIDE", cloud_watch_log_group_name)',
  );
  c.at("sessionLogRetentionDays").check(
    given.sessionLogRetentionDays !== undefined,
    given.sessionLogRetentionDays,
    "is set with cluster.existing",
    "no retention: the existing cluster's session log group is not created here, its owner sets its retention",
  );
}

/** What {@link createExecLogging} created: the log group's ARN and the cluster's configuration block. */
export interface ExecLogging {
  /** The session log group's ARN. */
  readonly logGroupArn: string;
  /** `configuration.execute_command_configuration` of a created cluster. */
  readonly clusterConfiguration: EcsClusterConfigurationExecuteCommandConfiguration;
}

/**
 * The session log group `ExecLogs` in `scope` and the cluster configuration that logs every session to it, when exec
 * is on in a cluster the service creates (undefined otherwise). With a KMS key, the group is encrypted with it and
 * the cluster asks for encrypted logs (`cloud_watch_encryption_enabled`, which ECS accepts only for a group with a
 * customer-managed key).
 */
export function createExecLogging(
  scope: Construct,
  s: ResolvedExec,
  tags?: Readonly<Record<string, string>>,
): ExecLogging | undefined {
  if (!s.enabled || !s.createsLogGroup || s.sessionLogGroupName === undefined) return undefined;
  const group = new CloudwatchLogGroup(scope, "ExecLogs", {
    name: s.sessionLogGroupName,
    retentionInDays: s.sessionLogRetentionDays,
    kmsKeyId: s.kmsKeyArn,
    tags,
  });
  return {
    logGroupArn: group.arn,
    clusterConfiguration: {
      ...(s.kmsKeyArn ? { kmsKeyId: s.kmsKeyArn } : {}),
      logging: "OVERRIDE",
      logConfiguration: {
        cloudWatchLogGroupName: group.name,
        cloudWatchEncryptionEnabled: s.kmsKeyArn !== undefined,
      },
    },
  };
}

/** A statement of the task role's ECS Exec policy, as `aws_iam_policy_document` takes it. */
export interface ExecStatement {
  readonly sid: string;
  readonly actions: string[];
  readonly resources: string[];
}

/**
 * The task role's statements for ECS Exec: the channels, and with a session log group (its ARN) the log, and with
 * a key the decryption. Nothing else: no `ssm:*`, no other log group, no other key.
 */
export function execStatements(sessionLog?: {
  readonly logGroupArn: string;
  readonly kmsKeyArn?: string;
}): ExecStatement[] {
  const statements: ExecStatement[] = [
    // Session Manager's channel actions do not support resource-level permissions.
    { sid: "OpenSessionChannels", actions: [...EXEC_CHANNEL_ACTIONS], resources: ["*"] },
  ];
  if (!sessionLog) return statements;
  statements.push(
    // A list action without resource-level permissions: the agent looks the group up before it logs.
    { sid: "FindSessionLogGroup", actions: ["logs:DescribeLogGroups"], resources: ["*"] },
    // The `:*` form covers the group's streams, as the CloudWatch Logs guide says to write it for these actions.
    {
      sid: "WriteSessionLogs",
      actions: [...EXEC_SESSION_LOG_ACTIONS],
      resources: [`${sessionLog.logGroupArn}:*`],
    },
  );
  if (sessionLog.kmsKeyArn)
    statements.push({ sid: "DecryptSessions", actions: ["kms:Decrypt"], resources: [sessionLog.kmsKeyArn] });
  return statements;
}
