import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import { ARN, checkArn } from "./aws-rules";
import { Fn, type ITerraformDependable } from "./cdktf";
import { execStatements } from "./service-exec";
import type { ResolvedSecret } from "./service-secrets";
import { type Checker, isKnown, keysOf } from "./validation";

/** An IAM policy statement for the task role: what the app itself may call. */
export interface TaskRoleStatement {
  /** Statement id (letters and digits). @default - none */
  readonly sid?: string;
  /** Allow or Deny. @default "Allow" */
  readonly effect?: "Allow" | "Deny";
  /** Actions, e.g. `s3:GetObject`; `*` is refused. */
  readonly actions: readonly string[];
  /** Resource ARNs. */
  readonly resources: readonly string[];
  /** Conditions. @default - none */
  readonly conditions?: readonly {
    readonly test: string;
    readonly variable: string;
    readonly values: readonly string[];
  }[];
}

/** IAM settings of the service's roles. */
export interface IamOptions {
  /** Extra statements for the task role, for the AWS APIs the app calls. @default - none: the role writes EMF documents only */
  readonly taskRoleStatements?: readonly TaskRoleStatement[];
  /** Permissions boundary of both roles, where the account requires one. @default - none */
  readonly permissionsBoundaryArn?: string;
}

const IAM_KEYS = keysOf<IamOptions>({ taskRoleStatements: true, permissionsBoundaryArn: true });
const STATEMENT_KEYS = keysOf<TaskRoleStatement>({
  sid: true,
  effect: true,
  actions: true,
  resources: true,
  conditions: true,
});

/** Props of {@link ServiceRoles}; every value already resolved and validated by the service. */
export interface ServiceRolesProps {
  /** Service the roles belong to: their name prefixes and descriptions. */
  readonly serviceName: string;
  /**
   * ARN of the EMF log group (`arn:<partition>:logs:<region>:<account>:log-group:<name>`): the one log group
   * the task role may write to. Its account and region scope both trust policies, so no data source has to
   * ask AWS for the account id at plan time.
   */
  readonly emfLogGroupArn: string;
  /** Every secret the task's containers read: the execution role may read exactly their `resourceArn`s. */
  readonly secrets: readonly ResolvedSecret[];
  /** Customer-managed KMS key the execution role may decrypt with. @default - AWS-managed keys only */
  readonly kmsKeyArn?: string;
  /** Let the task role open ECS Exec's Session Manager channels. */
  readonly enableExecuteCommand: boolean;
  /**
   * With ECS Exec, where sessions are logged: the task role may write there (by the group's ARN, or by its name in
   * this account and region) and decrypt with the sessions' KMS key.
   * @default - sessions are not logged by the task role: channels only
   */
  readonly execSessionLog?: {
    readonly logGroupArn?: string;
    readonly logGroupName?: string;
    readonly kmsKeyArn?: string;
  };
  /** Extra statements for the task role. */
  readonly taskRoleStatements: readonly TaskRoleStatement[];
  /** Permissions boundary of both roles. @default - none */
  readonly permissionsBoundaryArn?: string;
  /** Tags of the roles. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * CloudWatch Logs actions the agent's EMF pipeline calls (CloudWatch agent 1.300062, whose EMF output is
 * the OpenTelemetry `awscloudwatchlogs` exporter): `CreateLogStream` before the first write to a stream
 * (an existing stream is fine), then `PutLogEvents`. CloudWatch extracts the metrics from the documents,
 * so no `cloudwatch:PutMetricData`; the group exists, so the exporter's `CreateLogGroup` fallback (and
 * `PutRetentionPolicy` after it) never runs; sequence tokens are gone, so no `DescribeLogStreams`.
 */
export const EMF_AGENT_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"] as const;

const ACTION = /^[a-z0-9-]+:[A-Za-z0-9*]+$/;

/** Checks the IAM options (`c` is the `iam` prop's checker). */
export function checkIam(c: Checker, raw: unknown, options: IamOptions): void {
  c.object(raw, IAM_KEYS, "IamOptions");
  checkArn(c.at("permissionsBoundaryArn"), options.permissionsBoundaryArn, ARN.policy, "IAM policy ARN");
  const statements = c.at("taskRoleStatements");
  statements
    .list(options.taskRoleStatements, "a list of { actions, resources, sid?, effect?, conditions? }")
    .forEach((item, i) => {
      const at = statements.at(i);
      const s = at.object(item, STATEMENT_KEYS, "TaskRoleStatement") as Partial<TaskRoleStatement>;
      const allowed = 'one or more actions like "s3:GetObject"';
      const actions = at.at("actions").list(s.actions, allowed);
      at.at("actions").check(s.actions !== undefined && actions.length === 0, s.actions, "is empty", allowed);
      at.at("actions").required(s.actions, allowed);
      actions.forEach((action, k) => {
        if (!isKnown(action)) return;
        at.at("actions")
          .at(k)
          .check(
            typeof action !== "string" || !ACTION.test(action) || action === "*" || action.endsWith(":*"),
            action,
            "is not a named action",
            '"<service>:<Action>", wildcards only inside the action name (no "*" or "<service>:*")',
          );
      });
      const resourcesAllowed = 'one or more ARNs (or "*" for actions without resource-level permissions)';
      const resources = at.at("resources").list(s.resources, resourcesAllowed);
      at.at("resources").required(s.resources, resourcesAllowed);
      at.at("resources").check(
        s.resources !== undefined && resources.length === 0,
        s.resources,
        "is empty",
        resourcesAllowed,
      );
      at.at("sid").matches(s.sid, /^[A-Za-z0-9]+$/, "a statement id", "letters and digits");
      at.at("effect").oneOf(s.effect, ["Allow", "Deny"], "is not an effect");
    });
}

/**
 * The two IAM roles of a Fargate task with the CloudWatch agent as sidecar: the execution role (image pull,
 * awslogs, the task's secrets) and the task role (the app and the agent). Both trust `ecs-tasks` only for
 * this account; the task role may write EMF documents to one log group and do nothing else unless told.
 */
export class ServiceRoles extends Construct {
  /** The execution role. */
  readonly executionRole: IamRole;
  /** The task role. */
  readonly taskRole: IamRole;
  /** The account id, as a Terraform expression over the EMF log group's ARN. */
  readonly accountId: string;
  /**
   * Every policy and attachment of both roles: what the ECS service must wait for, so that no task starts before
   * the permissions it runs with exist (a task started early fails with ResourceInitializationError).
   */
  readonly grants: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: ServiceRolesProps) {
    super(scope, id);
    const { kmsKeyArn, enableExecuteCommand, taskRoleStatements, permissionsBoundaryArn } = props;
    const namePrefix = props.serviceName.slice(0, 20);

    // arn:<partition>:logs:<region>:<account>:log-group:<name>
    const arnPart = (index: number) => Fn.element(Fn.split(":", props.emfLogGroupArn), index);
    this.accountId = arnPart(4);
    const region = arnPart(3);
    const partition = new DataAwsPartition(this, "Partition").partition;
    const fromThisAccount = { test: "StringEquals", variable: "aws:SourceAccount", values: [this.accountId] };
    const trust = (id: string, conditions: DataAwsIamPolicyDocumentStatement["condition"]) =>
      new DataAwsIamPolicyDocument(this, id, {
        statement: [
          {
            actions: ["sts:AssumeRole"],
            principals: [{ type: "Service", identifiers: ["ecs-tasks.amazonaws.com"] }],
            condition: conditions,
          },
        ],
      }).json;

    this.executionRole = new IamRole(this, "ExecutionRole", {
      namePrefix: `${namePrefix}-exec-`,
      description: `ECS execution role of ${props.serviceName}: image pull, logs, secrets`,
      // AWS documents aws:SourceArn for task roles only; the account condition keeps other accounts' tasks out.
      assumeRolePolicy: trust("ExecutionRoleTrust", [fromThisAccount]),
      permissionsBoundary: permissionsBoundaryArn,
      tags: props.tags,
    });
    const managed = new IamRolePolicyAttachment(this, "ExecutionRoleManaged", {
      role: this.executionRole.name,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`,
    });
    const resourcesIn = (store: ResolvedSecret["store"]) => [
      ...new Set(props.secrets.filter((s) => s.store === store).map((s) => s.resourceArn)),
    ];
    const ssmArns = resourcesIn("ssm");
    const secretsManagerArns = resourcesIn("secretsmanager");
    const readSecrets = new DataAwsIamPolicyDocument(this, "ReadSecrets", {
      statement: [
        { sid: "ReadParameters", actions: ["ssm:GetParameters"], resources: ssmArns },
        ...(secretsManagerArns.length > 0
          ? [
              {
                sid: "ReadSecrets",
                actions: ["secretsmanager:GetSecretValue"],
                resources: secretsManagerArns,
              },
            ]
          : []),
        ...(kmsKeyArn ? [{ sid: "DecryptWithKey", actions: ["kms:Decrypt"], resources: [kmsKeyArn] }] : []),
      ],
    });
    const secrets = new IamRolePolicy(this, "ExecutionRoleSecrets", {
      name: "read-task-secrets",
      role: this.executionRole.id,
      policy: readSecrets.json,
    });
    this.grants.push(managed, secrets);

    this.taskRole = new IamRole(this, "TaskRole", {
      namePrefix: `${namePrefix}-task-`,
      description: `ECS task role of ${props.serviceName}: the CloudWatch agent publishes EMF`,
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html (confused deputy)
      assumeRolePolicy: trust("TaskRoleTrust", [
        fromThisAccount,
        {
          test: "ArnLike",
          variable: "aws:SourceArn",
          values: [Fn.join(":", ["arn", partition, "ecs", region, this.accountId, "*"])],
        },
      ]),
      permissionsBoundary: permissionsBoundaryArn,
      tags: props.tags,
    });
    const writeEmf = new DataAwsIamPolicyDocument(this, "WriteEmf", {
      statement: [
        {
          sid: "WriteEmfDocuments",
          actions: [...EMF_AGENT_ACTIONS],
          // CreateLogStream is authorized on the group, PutLogEvents on its streams.
          resources: [props.emfLogGroupArn, `${props.emfLogGroupArn}:log-stream:*`],
        },
      ],
    });
    const emf = new IamRolePolicy(this, "TaskRoleEmf", {
      name: "write-emf",
      role: this.taskRole.id,
      policy: writeEmf.json,
    });
    this.grants.push(emf);
    if (enableExecuteCommand) {
      const log = props.execSessionLog;
      const logGroupArn =
        log?.logGroupArn ??
        (log?.logGroupName
          ? Fn.join(":", ["arn", partition, "logs", region, this.accountId, "log-group", log.logGroupName])
          : undefined);
      const exec = new DataAwsIamPolicyDocument(this, "ExecuteCommand", {
        statement: execStatements(logGroupArn ? { logGroupArn, kmsKeyArn: log?.kmsKeyArn } : undefined),
      });
      this.grants.push(
        new IamRolePolicy(this, "TaskRoleExec", {
          name: "ecs-exec",
          role: this.taskRole.id,
          policy: exec.json,
        }),
      );
    }
    if (taskRoleStatements.length > 0) {
      const extra = new DataAwsIamPolicyDocument(this, "AppStatements", {
        statement: taskRoleStatements.map((s) => ({
          sid: s.sid,
          effect: s.effect,
          actions: [...s.actions],
          resources: [...s.resources],
          condition: s.conditions?.map((c) => ({
            test: c.test,
            variable: c.variable,
            values: [...c.values],
          })),
        })),
      });
      this.grants.push(
        new IamRolePolicy(this, "TaskRoleApp", { name: "app", role: this.taskRole.id, policy: extra.json }),
      );
    }
  }
}
