import { EMF_AGENT_ACTIONS, ServiceRoles, type ServiceRolesProps } from "../../modules/service-roles";
import { blockOf, childOf, newStack, problemLine, ref, statementsOf, synthStack } from "./support";

const EMF_LOG_GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/koaapp/emf";
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
};

function build(overrides: Partial<ServiceRolesProps>): ServiceRoles {
  return new ServiceRoles(newStack(), "Roles", { ...BASE, ...overrides });
}

describe("ServiceRoles", () => {
  it("GIVEN the agent's EMF pipeline WHEN read THEN it needs exactly CreateLogStream and PutLogEvents", () => {
    expect([...EMF_AGENT_ACTIONS]).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
  });

  it("GIVEN a literal log group ARN WHEN synthesized THEN the trust policies take the account and region from it", () => {
    const synth = synthStack((stack) => new ServiceRoles(stack, "Roles", BASE));
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

  it.each<[string, ServiceRolesProps["taskRoleStatements"], string]>([
    [
      "every action",
      [{ actions: ["*"], resources: ["*"] }],
      'taskRoleStatements[0].actions "*" is not a named action; allowed: "<service>:<Action>", wildcards only inside the action name (no "*" or "<service>:*")',
    ],
    [
      "every action of a service",
      [{ actions: ["s3:*"], resources: ["arn:aws:s3:::b"] }],
      'taskRoleStatements[0].actions "s3:*" is not a named action; allowed: "<service>:<Action>", wildcards only inside the action name (no "*" or "<service>:*")',
    ],
    [
      "no action",
      [{ actions: [], resources: ["arn:aws:s3:::b"] }],
      'taskRoleStatements[0].actions [] is empty; allowed: one or more actions like "s3:GetObject"',
    ],
    [
      "no resource",
      [{ actions: ["s3:GetObject"], resources: [] }],
      'taskRoleStatements[0].resources [] is empty; allowed: one or more ARNs (or "*" for actions without resource-level permissions)',
    ],
    [
      "a sid with a hyphen",
      [{ sid: "read-uploads", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b"] }],
      'taskRoleStatements[0].sid "read-uploads" is not a statement id; allowed: letters and digits',
    ],
    [
      "an unknown effect",
      [{ effect: "Maybe" as "Allow", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b"] }],
      'taskRoleStatements[0].effect "Maybe" is not an effect; allowed: Allow, Deny',
    ],
  ])("GIVEN a statement with %s WHEN built THEN it is refused", (_case, taskRoleStatements, message) => {
    expect(() => build({ taskRoleStatements })).toThrow(problemLine(message));
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
