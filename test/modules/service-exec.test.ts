import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { Aspects, type TerraformStack, Testing } from "cdktf";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { SecurityPolicyChecks, type SecurityPolicyChecksOptions } from "../../modules/security-policy";
import { EXEC_CHANNEL_ACTIONS } from "../../modules/service-exec";
import {
  allowedRequests,
  evaluate,
  type IamRequest,
  type PolicyStatement,
  substituted,
} from "../support/iam-policy";
import {
  blockOf,
  childOf,
  newStack,
  onlyResource,
  problemLine,
  ref,
  resourcesById,
  SERVICE_PROPS,
  type Synthesized,
  statementsOf,
  synthStack,
} from "./support";

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a1b2c3d-4e5f-6789-0abc-def012345678`;
const OTHER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/99999999-4e5f-6789-0abc-def012345678`;
const CLUSTER = { arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/shared`, name: "shared" };
const group = (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;
const TASK = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/koaapp/0123456789abcdef0123456789abcdef`;

function synthService(overrides: Partial<EmfFargateServiceProps>): Synthesized<EmfFargateService> {
  return synthStack((stack) => new EmfFargateService(stack, "Service", { ...SERVICE_PROPS, ...overrides }));
}

function build(overrides: Partial<EmfFargateServiceProps>): EmfFargateService {
  return new EmfFargateService(newStack(), "Service", { ...SERVICE_PROPS, ...overrides });
}

/**
 * Every statement of every policy on the task role, with the log groups' ARN references replaced by the ARNs an
 * apply gives them (`/ecs/koaapp/emf`, and the session log group's name), so the evaluator can judge them.
 */
function taskRoleStatements(synth: Synthesized<EmfFargateService>): PolicyStatement[] {
  const service = synth.built;
  const role = ref(synth.stack, service.taskRole, "id");
  const policies = Object.values(resourcesById(synth.json, "aws_iam_role_policy")).filter(
    (p) => p.role === role,
  );
  const references: Record<string, string> = {
    [ref(synth.stack, childOf(service, "EmfLogs"), "arn")]: group("/ecs/koaapp/emf"),
  };
  const execLogs = service.node.tryFindChild("ExecLogs");
  if (execLogs) references[ref(synth.stack, childOf(service, "ExecLogs"), "arn")] = group("/ecs/koaapp/exec");
  return substituted(
    policies.flatMap((p) => statementsOf(synth.json, p.policy)),
    references,
  );
}

/**
 * Requests a task role could make, and the resource forms this model assumes IAM evaluates for them: a log
 * stream's ARN for the stream actions, `log-stream:` with no name for DescribeLogStreams, `*` for list actions
 * and Session Manager's channels.
 */
const stream = (name: string) => `${group(name)}:log-stream:ecs-execute-command-0123`;
const PROBES: readonly IamRequest[] = [
  ...EXEC_CHANNEL_ACTIONS.map((action) => ({ action, resource: "*" })),
  { action: "logs:DescribeLogGroups", resource: "*" },
  ...["/ecs/koaapp/exec", "/ecs/koaapp", "/ecs/koaapp/emf", "/aws/other"].flatMap((name) => [
    { action: "logs:CreateLogStream", resource: stream(name) },
    { action: "logs:PutLogEvents", resource: stream(name) },
    { action: "logs:DescribeLogStreams", resource: `${group(name)}:log-stream:` },
    { action: "logs:GetLogEvents", resource: stream(name) },
    { action: "logs:DeleteLogGroup", resource: group(name) },
    { action: "logs:PutRetentionPolicy", resource: group(name) },
  ]),
  { action: "logs:CreateLogGroup", resource: group("/ecs/koaapp/exec2") },
  { action: "kms:Decrypt", resource: KEY },
  { action: "kms:Decrypt", resource: OTHER_KEY },
  { action: "kms:GenerateDataKey", resource: KEY },
  { action: "kms:Encrypt", resource: KEY },
  { action: "ssm:StartSession", resource: TASK },
  { action: "ssm:SendCommand", resource: "*" },
  { action: "ssm:GetParameters", resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/koaapp/DB_PASSWORD` },
  { action: "ecs:ExecuteCommand", resource: TASK },
  { action: "iam:PassRole", resource: `arn:aws:iam::${ACCOUNT}:role/admin` },
  { action: "s3:PutObject", resource: "arn:aws:s3:::session-logs/koaapp/1" },
];

const key = (r: IamRequest) => `${r.action} ${r.resource}`;

describe("ECS Exec, audited", () => {
  const off = synthService({ kmsKeyArn: KEY });
  const on = synthService({ kmsKeyArn: KEY, exec: { enabled: true } });

  it("GIVEN exec off (the default) WHEN synthesized THEN the service, cluster and task role have nothing of it", () => {
    expect(blockOf(off, off.built.service).enable_execute_command).toBe(false);
    expect(onlyResource(off.json, "aws_ecs_cluster").configuration).toBeUndefined();
    expect(off.built.node.tryFindChild("ExecLogs")).toBeUndefined();
    const statements = taskRoleStatements(off);
    for (const action of EXEC_CHANNEL_ACTIONS)
      expect(evaluate(statements, { action, resource: "*" })).toBe("implicitDeny");
  });

  it("GIVEN exec on WHEN the task role is evaluated THEN it may open the four channels and log sessions to its own group, and nothing more than without exec", () => {
    // GIVEN the task role's statements with exec off and on WHEN every probe is evaluated against both
    const before = new Set(allowedRequests(taskRoleStatements(off), PROBES).map(key));
    const gained = allowedRequests(taskRoleStatements(on), PROBES).filter((r) => !before.has(key(r)));
    // THEN exec adds exactly the channels, the group lookup, the session log group's streams and the key
    expect(gained.map(key).sort()).toEqual(
      [
        ...EXEC_CHANNEL_ACTIONS.map((action) => `${action} *`),
        "logs:DescribeLogGroups *",
        `logs:CreateLogStream ${stream("/ecs/koaapp/exec")}`,
        `logs:PutLogEvents ${stream("/ecs/koaapp/exec")}`,
        `logs:DescribeLogStreams ${group("/ecs/koaapp/exec")}:log-stream:`,
        `kms:Decrypt ${KEY}`,
      ].sort(),
    );
    // AND the agent may still write EMF documents only to its own group, exec or not
    expect(
      evaluate(taskRoleStatements(on), { action: "logs:PutLogEvents", resource: stream("/ecs/koaapp") }),
    ).toBe("implicitDeny");
  });

  it("GIVEN exec on WHEN synthesized THEN the service enables it and the created cluster logs every session, encrypted, to the created group", () => {
    const logs = childOf(on.built, "ExecLogs");
    expect(blockOf(on, logs)).toMatchObject({
      name: "/ecs/koaapp/exec",
      retention_in_days: 365,
      kms_key_id: KEY,
    });
    expect(blockOf(on, on.built.service).enable_execute_command).toBe(true);
    expect(onlyResource(on.json, "aws_ecs_cluster").configuration).toEqual({
      execute_command_configuration: {
        kms_key_id: KEY,
        logging: "OVERRIDE",
        log_configuration: {
          cloud_watch_log_group_name: ref(on.stack, logs, "name"),
          cloud_watch_encryption_enabled: true,
        },
      },
    });
  });

  it("GIVEN exec on without a KMS key WHEN synthesized THEN sessions are logged unencrypted by a key and the role decrypts nothing", () => {
    const plain = synthService({ exec: { enabled: true, sessionLogRetentionDays: 90 } });
    expect(onlyResource(plain.json, "aws_ecs_cluster").configuration).toEqual({
      execute_command_configuration: {
        logging: "OVERRIDE",
        log_configuration: {
          cloud_watch_log_group_name: ref(plain.stack, childOf(plain.built, "ExecLogs"), "name"),
          cloud_watch_encryption_enabled: false,
        },
      },
    });
    expect(blockOf(plain, childOf(plain.built, "ExecLogs")).retention_in_days).toBe(90);
    expect(taskRoleStatements(plain).flatMap((s) => s.actions ?? [])).not.toContain("kms:Decrypt");
  });

  it("GIVEN an existing cluster and its session log group WHEN synthesized THEN nothing is created for it and the role may write to that group by name in this account", () => {
    const synth = synthService({
      cluster: { existing: CLUSTER },
      exec: { enabled: true, sessionLogGroupName: "/shared/exec-sessions", kmsKeyArn: KEY },
    });
    expect(resourcesById(synth.json, "aws_ecs_cluster")).toEqual({});
    expect(synth.built.node.tryFindChild("ExecLogs")).toBeUndefined();
    const exec = statementsOf(synth.json, blockOf(synth, childOf(synth.built, "Roles/TaskRoleExec")).policy);
    const partition = ref(synth.stack, childOf(synth.built, "Roles/Partition"), "partition").slice(2, -1);
    const emfArn = ref(synth.stack, childOf(synth.built, "EmfLogs"), "arn").slice(2, -1);
    expect(exec.find((s) => s.sid === "WriteSessionLogs")?.resources).toEqual([
      `\${join(":", ["arn", ${partition}, "logs", element(split(":", ${emfArn}), 3), element(split(":", ${emfArn}), 4), "log-group", "/shared/exec-sessions"])}:*`,
    ]);
    expect(exec.find((s) => s.sid === "DecryptSessions")?.resources).toEqual([KEY]);
  });

  it.each<[string, Partial<EmfFargateServiceProps>, string]>([
    [
      "a session setting without exec",
      { exec: { sessionLogRetentionDays: 30 } },
      "exec.sessionLogRetentionDays 30 is set without exec.enabled; allowed: this prop with exec.enabled true (without ECS Exec there are no sessions to log or encrypt)",
    ],
    [
      "an existing cluster without its session log group",
      { cluster: { existing: CLUSTER }, exec: { enabled: true } },
      'exec.sessionLogGroupName undefined is required; allowed: with cluster.existing, the log group that cluster\'s execute_command_configuration logs sessions to (logging "OVERRIDE", cloud_watch_log_group_name)',
    ],
    [
      "a retention for an existing cluster's group",
      {
        cluster: { existing: CLUSTER },
        exec: { enabled: true, sessionLogGroupName: "/x", sessionLogRetentionDays: 7 },
      },
      "exec.sessionLogRetentionDays 7 is set with cluster.existing; allowed: no retention: the existing cluster's session log group is not created here, its owner sets its retention",
    ],
    [
      "a retention CloudWatch Logs does not offer",
      { exec: { enabled: true, sessionLogRetentionDays: 366 } },
      "exec.sessionLogRetentionDays 366 is not a CloudWatch Logs retention; allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
    ],
    [
      "a log group name with a space",
      { exec: { enabled: true, sessionLogGroupName: "/ecs/my sessions" } },
      'exec.sessionLogGroupName "/ecs/my sessions" is not a log group name; allowed: 1-512 characters of A-Z a-z 0-9 . - _ / #',
    ],
    [
      "a key that is no KMS key ARN",
      { exec: { enabled: true, kmsKeyArn: "alias/exec" } },
      'exec.kmsKeyArn "alias/exec" is not a KMS key ARN; allowed: arn:aws:kms:<region>:<account>:key/<id> or arn:aws:kms:<region>:<account>:alias/<name>',
    ],
    [
      "a misspelt prop",
      { exec: { enabled: true, sesionLogGroupName: "/x" } as never },
      'exec.sesionLogGroupName "/x" is not a prop of ExecOptions (did you mean sessionLogGroupName?); allowed: enabled, sessionLogGroupName, sessionLogRetentionDays, kmsKeyArn',
    ],
  ])("GIVEN %s WHEN built THEN it is refused with its path", (_case, overrides, message) => {
    expect(() => build(overrides)).toThrow(problemLine(message));
  });
});

describe("SecurityPolicyChecks and ECS Exec in production", () => {
  /** Synthesizes `build` under the checks and returns the `[no-exec-in-production]` annotations by level. */
  function findings(options: SecurityPolicyChecksOptions, build: (stack: TerraformStack) => void) {
    const stack = newStack();
    Aspects.of(stack).add(new SecurityPolicyChecks(options));
    build(stack);
    Testing.synth(stack);
    return stack.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => String(m.data).startsWith("[no-exec-in-production]"))
      .map((m) => `${m.type} ${String(m.data)}`);
  }
  const service = (tags: Record<string, string> | undefined, exec: boolean) => (stack: TerraformStack) =>
    new EmfFargateService(stack, "Service", { ...SERVICE_PROPS, tags, exec: { enabled: exec } });
  const warning = (why: string) =>
    `@cdktf/warn [no-exec-in-production] test/Service/Ecs/Resource: ECS Exec is on in production (${why}): anyone allowed ecs:ExecuteCommand gets a root shell in a running task; allowed: enable_execute_command false, or on only while an incident needs it (exempted: exec.enabled was set)`;

  it("GIVEN the sample stack's tag Environment=prod and exec on WHEN checked THEN it is a warning naming the opt-out", () => {
    expect(findings({}, service({ Environment: "prod" }, true))).toEqual([
      warning('the Environment tag is "prod"'),
    ]);
  });

  it("GIVEN production stated to the checks WHEN exec is on without a tag THEN it warns; stated non-production overrides the tag", () => {
    expect(findings({ production: true }, service(undefined, true))).toEqual([
      warning("SecurityPolicyChecks was told production: true"),
    ]);
    expect(findings({ production: false }, service({ Environment: "PRODUCTION" }, true))).toEqual([]);
  });

  it("GIVEN exec off in production, or on in staging WHEN checked THEN nothing is reported", () => {
    expect(findings({}, service({ Environment: "prod" }, false))).toEqual([]);
    expect(findings({}, service({ Environment: "staging" }, true))).toEqual([]);
  });

  it("GIVEN a hand-written ECS service with exec on in production WHEN checked THEN it is an error: nobody opted out", () => {
    const raw = findings({ production: true }, (stack) => {
      new EcsService(stack, "Raw", { name: "raw", enableExecuteCommand: true });
    });
    expect(raw).toEqual([
      "@cdktf/error [no-exec-in-production] test/Raw: ECS Exec is on in production (SecurityPolicyChecks was told production: true): anyone allowed ecs:ExecuteCommand gets a root shell in a running task; allowed: enable_execute_command false, or on only while an incident needs it",
    ]);
  });
});
