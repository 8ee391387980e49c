import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import { Fn } from "./cdktf";
import type { ResolvedSecret } from "./service-secrets";
import { invalidProps, isKnown, Problems, show } from "./validation";

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

/** Props of {@link ServiceRoles}. */
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
  /** Let the task role open ECS Exec's Session Manager channels. @default false */
  readonly enableExecuteCommand?: boolean;
  /** Extra statements for the task role, for AWS APIs the app calls. @default - none */
  readonly taskRoleStatements?: readonly TaskRoleStatement[];
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

/** Checks extra task-role statements, naming them as `prop[i]`. */
export function checkTaskRoleStatements(
  problems: Problems,
  prop: string,
  statements: readonly TaskRoleStatement[],
): void {
  statements.forEach((s, i) => {
    const at = `${prop}[${i}]`;
    problems.check(
      s.actions.length === 0,
      `${at}.actions [] is empty; allowed: one or more actions like "s3:GetObject"`,
    );
    for (const action of s.actions.filter(isKnown)) {
      problems.check(
        !ACTION.test(action) || action === "*" || action.endsWith(":*"),
        `${at}.actions ${show(action)} is not a named action; allowed: "<service>:<Action>", wildcards only inside the action name (no "*" or "<service>:*")`,
      );
    }
    problems.check(
      s.resources.length === 0,
      `${at}.resources [] is empty; allowed: one or more ARNs (or "*" for actions without resource-level permissions)`,
    );
    problems.check(
      s.sid !== undefined && isKnown(s.sid) && !/^[A-Za-z0-9]+$/.test(s.sid),
      `${at}.sid ${show(s.sid)} is not a statement id; allowed: letters and digits`,
    );
    problems.check(
      s.effect !== undefined && !["Allow", "Deny"].includes(s.effect),
      `${at}.effect ${show(s.effect)} is not an effect; allowed: Allow, Deny`,
    );
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

  constructor(scope: Construct, id: string, props: ServiceRolesProps) {
    super(scope, id);
    const kmsKeyArn = props.kmsKeyArn;
    const enableExecuteCommand = props.enableExecuteCommand ?? false;
    const taskRoleStatements = props.taskRoleStatements ?? [];
    const namePrefix = props.serviceName.slice(0, 20);

    const problems = new Problems();
    checkTaskRoleStatements(problems, "taskRoleStatements", taskRoleStatements);
    problems.throwIfAny(invalidProps(this));

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
      tags: props.tags,
    });
    new IamRolePolicyAttachment(this, "ExecutionRoleManaged", {
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
    new IamRolePolicy(this, "ExecutionRoleSecrets", {
      name: "read-task-secrets",
      role: this.executionRole.id,
      policy: readSecrets.json,
    });

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
    new IamRolePolicy(this, "TaskRoleEmf", {
      name: "write-emf",
      role: this.taskRole.id,
      policy: writeEmf.json,
    });
    if (enableExecuteCommand) {
      // Session Manager's data channel actions do not support resource-level permissions.
      const exec = new DataAwsIamPolicyDocument(this, "ExecuteCommand", {
        statement: [
          {
            actions: [
              "ssmmessages:CreateControlChannel",
              "ssmmessages:CreateDataChannel",
              "ssmmessages:OpenControlChannel",
              "ssmmessages:OpenDataChannel",
            ],
            resources: ["*"],
          },
        ],
      });
      new IamRolePolicy(this, "TaskRoleExec", {
        name: "ecs-exec",
        role: this.taskRole.id,
        policy: exec.json,
      });
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
      new IamRolePolicy(this, "TaskRoleApp", { name: "app", role: this.taskRole.id, policy: extra.json });
    }
  }
}
