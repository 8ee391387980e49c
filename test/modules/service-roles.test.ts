import { TerraformVariable } from "cdktf";
import type { IConstruct } from "constructs";
import {
  checkIam,
  EMF_AGENT_ACTIONS,
  type IamOptions,
  ServiceRoles,
  type ServiceRolesProps,
} from "../../modules/service-roles";
import { Checker } from "../../modules/validation";
import { blockOf, childOf, newStack, ref, statementsOf, synthStack } from "./support";

const EMF_LOG_GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/koaapp/emf";
const KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const BOUNDARY = "arn:aws:iam::123456789012:policy/boundaries/service";
const BASE: ServiceRolesProps = {
  serviceName: "koaapp",
  emfLogGroupArn: EMF_LOG_GROUP,
  secrets: [
    {
      name: "APP_SECRET",
      valueFrom: "arn:aws:ssm:eu-west-1:123456789012:parameter/app",
      resourceArn: "arn:aws:ssm:eu-west-1:123456789012:parameter/app",
      store: "ssm",
    },
  ],
  enableExecuteCommand: false,
  taskRoleStatements: [],
};

function synthRoles(overrides: Partial<ServiceRolesProps> = {}) {
  return synthStack((stack) => new ServiceRoles(stack, "Roles", { ...BASE, ...overrides }));
}

/** The problems checkIam records at `iam`. */
function iamProblems(iam: IamOptions): readonly string[] {
  const c = new Checker().at("iam");
  checkIam(c, iam, iam);
  return c.problems.all;
}

describe("ServiceRoles", () => {
  it("GIVEN the agent's EMF pipeline WHEN read THEN it needs exactly CreateLogStream and PutLogEvents", () => {
    expect([...EMF_AGENT_ACTIONS]).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
  });

  it("GIVEN a literal log group ARN WHEN synthesized THEN the trust policies take the account and region from it", () => {
    const synth = synthRoles();
    const at = (path: string, attribute: string) => ref(synth.stack, childOf(synth.built, path), attribute);
    const [statement] = statementsOf(synth.json, at("TaskRoleTrust", "json"));
    expect(statement?.condition).toEqual([
      {
        test: "StringEquals",
        variable: "aws:SourceAccount",
        values: [`\${element(split(":", "${EMF_LOG_GROUP}"), 4)}`],
      },
      {
        test: "ArnLike",
        variable: "aws:SourceArn",
        values: [
          `\${join(":", ["arn", ${at("Partition", "partition").slice(2, -1)}, "ecs", element(split(":", "${EMF_LOG_GROUP}"), 3), element(split(":", "${EMF_LOG_GROUP}"), 4), "*"])}`,
        ],
      },
    ]);
  });

  it("GIVEN resolved secrets WHEN synthesized THEN the execution role may read each resource ARN once, by the store's action", () => {
    const partial = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/db";
    const parameter = "arn:aws:ssm:eu-west-1:123456789012:parameter/orders/url";
    const synth = synthStack(
      (stack) =>
        new ServiceRoles(stack, "Roles", {
          ...BASE,
          secrets: [
            { name: "URL", valueFrom: parameter, resourceArn: parameter, store: "ssm" },
            { name: "URL_AGAIN", valueFrom: parameter, resourceArn: parameter, store: "ssm" },
            {
              name: "USER",
              valueFrom: `${partial}:user::`,
              resourceArn: `${partial}-??????`,
              store: "secretsmanager",
            },
            {
              name: "PASS",
              valueFrom: `${partial}:pass::`,
              resourceArn: `${partial}-??????`,
              store: "secretsmanager",
            },
          ],
        }),
    );
    const policy = blockOf(synth, childOf(synth.built, "ExecutionRoleSecrets")).policy;

    expect(statementsOf(synth.json, policy)).toEqual([
      { sid: "ReadParameters", actions: ["ssm:GetParameters"], resources: [parameter] },
      { sid: "ReadSecrets", actions: ["secretsmanager:GetSecretValue"], resources: [`${partial}-??????`] },
    ]);
  });

  it("GIVEN extra statements WHEN synthesized THEN the task role gets them in their own policy, beside the EMF one", () => {
    const synth = synthStack(
      (stack) =>
        new ServiceRoles(stack, "Roles", {
          ...BASE,
          taskRoleStatements: [
            { sid: "ReadUploads", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::uploads/*"] },
            {
              effect: "Deny",
              actions: ["s3:DeleteObject"],
              resources: ["arn:aws:s3:::uploads/*"],
              conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
            },
          ],
        }),
    );
    const roles = synth.built;
    const policy = blockOf(synth, childOf(roles, "TaskRoleApp"));
    expect(policy).toEqual({
      name: "app",
      role: ref(synth.stack, roles.taskRole, "id"),
      policy: ref(synth.stack, childOf(roles, "AppStatements"), "json"),
    });
    expect(statementsOf(synth.json, policy.policy)).toEqual([
      { sid: "ReadUploads", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::uploads/*"] },
      {
        effect: "Deny",
        actions: ["s3:DeleteObject"],
        resources: ["arn:aws:s3:::uploads/*"],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ]);
  });

  it.each<[string, IamOptions["taskRoleStatements"], string]>([
    [
      "every action",
      [{ actions: ["*"], resources: ["*"] }],
      'iam.taskRoleStatements[0].actions[0] "*" is not a named action; allowed: "<service>:<Action>", wildcards only inside the action name (no "*" or "<service>:*")',
    ],
    [
      "every action of a service",
      [{ actions: ["s3:*"], resources: ["arn:aws:s3:::b"] }],
      'iam.taskRoleStatements[0].actions[0] "s3:*" is not a named action; allowed: "<service>:<Action>", wildcards only inside the action name (no "*" or "<service>:*")',
    ],
    [
      "no action",
      [{ actions: [], resources: ["arn:aws:s3:::b"] }],
      'iam.taskRoleStatements[0].actions [] is empty; allowed: one or more actions like "s3:GetObject"',
    ],
    [
      "no resource",
      [{ actions: ["s3:GetObject"], resources: [] }],
      'iam.taskRoleStatements[0].resources [] is empty; allowed: one or more ARNs (or "*" for actions without resource-level permissions)',
    ],
    [
      "a sid with a hyphen",
      [{ sid: "read-uploads", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b"] }],
      'iam.taskRoleStatements[0].sid "read-uploads" is not a statement id; allowed: letters and digits',
    ],
    [
      "an unknown effect",
      [{ effect: "Maybe" as "Allow", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b"] }],
      'iam.taskRoleStatements[0].effect "Maybe" is not an effect; allowed: "Allow", "Deny"',
    ],
  ])("GIVEN a statement with %s WHEN checked THEN it is refused", (_case, taskRoleStatements, message) => {
    expect(iamProblems({ taskRoleStatements })).toEqual([message]);
  });

  it("GIVEN a wildcard inside an action name WHEN synthesized THEN it is accepted as given", () => {
    const synth = synthStack(
      (stack) =>
        new ServiceRoles(stack, "Roles", {
          ...BASE,
          taskRoleStatements: [{ actions: ["s3:Get*"], resources: ["arn:aws:s3:::b/*"] }],
        }),
    );
    const policy = blockOf(synth, childOf(synth.built, "TaskRoleApp")).policy;
    expect(statementsOf(synth.json, policy)).toEqual([
      { actions: ["s3:Get*"], resources: ["arn:aws:s3:::b/*"] },
    ]);
  });
});

describe("ServiceRoles grants and options", () => {
  const grantIds = (roles: ServiceRoles) =>
    roles.grants.map((grant) => (grant as unknown as IConstruct).node.path);

  it("GIVEN defaults WHEN built THEN the grants are the managed policy, the secrets policy and the EMF policy, and nothing else is attached", () => {
    const synth = synthRoles();

    expect(grantIds(synth.built)).toEqual([
      "test/Roles/ExecutionRoleManaged",
      "test/Roles/ExecutionRoleSecrets",
      "test/Roles/TaskRoleEmf",
    ]);
    expect(blockOf(synth, childOf(synth.built, "ExecutionRoleManaged")).policy_arn).toBe(
      `arn:${ref(synth.stack, childOf(synth.built, "Partition"), "partition")}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`,
    );
    expect(synth.built.node.tryFindChild("TaskRoleExec")).toBeUndefined();
    expect(synth.built.node.tryFindChild("TaskRoleApp")).toBeUndefined();
  });

  it("GIVEN the EMF log group WHEN synthesized THEN the task role may create streams and put events in it only", () => {
    const synth = synthRoles();
    const policy = blockOf(synth, childOf(synth.built, "TaskRoleEmf"));

    expect(policy).toMatchObject({ name: "write-emf", role: ref(synth.stack, synth.built.taskRole, "id") });
    expect(statementsOf(synth.json, policy.policy)).toEqual([
      {
        sid: "WriteEmfDocuments",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [EMF_LOG_GROUP, `${EMF_LOG_GROUP}:log-stream:*`],
      },
    ]);
  });

  it("GIVEN ECS Exec, app statements, a KMS key, a boundary and tags WHEN synthesized THEN each shows up where it belongs", () => {
    const synth = synthRoles({
      enableExecuteCommand: true,
      taskRoleStatements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::uploads/*"] }],
      kmsKeyArn: KMS_KEY,
      permissionsBoundaryArn: BOUNDARY,
      tags: { Team: "platform" },
    });
    const roles = synth.built;
    const exec = blockOf(synth, childOf(roles, "TaskRoleExec"));

    expect(grantIds(roles)).toEqual(
      ["ExecutionRoleManaged", "ExecutionRoleSecrets", "TaskRoleEmf", "TaskRoleExec", "TaskRoleApp"].map(
        (id) => `test/Roles/${id}`,
      ),
    );
    expect(statementsOf(synth.json, exec.policy)).toEqual([
      {
        sid: "OpenSessionChannels",
        actions: [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ],
        resources: ["*"],
      },
    ]);
    expect(
      statementsOf(synth.json, blockOf(synth, childOf(roles, "ExecutionRoleSecrets")).policy),
    ).toContainEqual({
      sid: "DecryptWithKey",
      actions: ["kms:Decrypt"],
      resources: [KMS_KEY],
    });
    for (const role of [roles.executionRole, roles.taskRole])
      expect(blockOf(synth, role)).toMatchObject({
        permissions_boundary: BOUNDARY,
        tags: { Team: "platform" },
      });
  });

  it("GIVEN a service name WHEN synthesized THEN the roles are prefixed with its first 20 characters", () => {
    const synth = synthRoles({ serviceName: "a-very-long-service-name-for-orders" });

    expect(blockOf(synth, synth.built.executionRole).name_prefix).toBe("a-very-long-service--exec-");
    expect(blockOf(synth, synth.built.taskRole).name_prefix).toBe("a-very-long-service--task-");
  });
});

describe("checkIam", () => {
  it("GIVEN no options and a valid boundary WHEN checked THEN there is no problem", () => {
    expect(iamProblems({})).toEqual([]);
    expect(iamProblems({ permissionsBoundaryArn: BOUNDARY })).toEqual([]);
  });

  it("GIVEN a boundary that is no policy ARN WHEN checked THEN the form is named", () => {
    expect(iamProblems({ permissionsBoundaryArn: "arn:aws:iam::123456789012:role/boundary" })).toEqual([
      'iam.permissionsBoundaryArn "arn:aws:iam::123456789012:role/boundary" is not an IAM policy ARN; allowed: arn:aws:iam::<account>:policy/<path><name>',
    ]);
  });

  it("GIVEN a statement without actions or resources and a misspelt key WHEN checked THEN each is named", () => {
    const statement = { action: ["s3:GetObject"] } as unknown as NonNullable<
      IamOptions["taskRoleStatements"]
    >[0];

    expect(iamProblems({ taskRoleStatements: [statement] })).toEqual([
      'iam.taskRoleStatements[0].action ["s3:GetObject"] is not a prop of TaskRoleStatement (did you mean actions?); allowed: sid, effect, actions, resources, conditions',
      'iam.taskRoleStatements[0].actions undefined is required; allowed: one or more actions like "s3:GetObject"',
      'iam.taskRoleStatements[0].resources undefined is required; allowed: one or more ARNs (or "*" for actions without resource-level permissions)',
    ]);
  });

  it("GIVEN the 0.1.0 top-level statements key and statements that are no list WHEN checked THEN both are named", () => {
    expect(iamProblems({ taskRoleStatement: [] } as IamOptions)).toEqual([
      "iam.taskRoleStatement [] is not a prop of IamOptions (did you mean taskRoleStatements?); allowed: taskRoleStatements, permissionsBoundaryArn",
    ]);
    expect(iamProblems({ taskRoleStatements: "s3:GetObject" as unknown as [] })).toEqual([
      'iam.taskRoleStatements "s3:GetObject" is not a list; allowed: a list of { actions, resources, sid?, effect?, conditions? }',
    ]);
  });

  it("GIVEN actions and a boundary from variables WHEN checked THEN they are not judged", () => {
    const text = (id: string) => new TerraformVariable(newStack(), id, { type: "string" }).stringValue;

    expect(
      iamProblems({
        permissionsBoundaryArn: text("boundary"),
        taskRoleStatements: [{ actions: [text("action")], resources: ["*"] }],
      }),
    ).toEqual([]);
  });
});
