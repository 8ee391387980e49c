/**
 * The roles ECS assumes during a blue/green, linear or canary deployment, judged with the IAM evaluator of
 * test/support/iam-policy.ts: the infrastructure role may do what ECS needs on this service's two target groups, its
 * rules and their listeners, and nothing else; the hooks role may invoke exactly the hooks' functions.
 *
 * What ECS needs: the actions of AWS's managed AmazonECSInfrastructureRolePolicyForLoadBalancers (Describe
 * Listeners/Rules/TargetGroups/TargetHealth on `*`, Register/DeregisterTargets on target groups, ModifyListener,
 * ModifyRule), https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html;
 * the role is the one `load_balancer.advanced_configuration.role_arn` names (hashicorp/terraform-provider-aws
 * website/docs/r/ecs_service.html.markdown, stored copy at 0205d166, `advanced_configuration`: "`role_arn` -
 * (Required) ARN of the IAM role that allows ECS to manage the target groups").
 */
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import type { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { TrafficShiftRoles, type TrafficShiftRolesProps } from "../../modules/traffic-shift-roles";
import { evaluate, type IamRequest, type PolicyStatement } from "../support/iam-policy";
import {
  blockOf,
  childOf,
  type PolicyStatement as SynthesizedStatement,
  statementsOf,
  synthStack,
} from "./support";

const ACCOUNT = "123456789012";
const ELB = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}`;
const OWN = {
  targetGroups: [
    `${ELB}:targetgroup/orders-blue/1111111111111111`,
    `${ELB}:targetgroup/orders-green/2222222222222222`,
  ],
  rules: [
    `${ELB}:listener-rule/app/orders/aaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbb/cccccccccccccccc`,
    `${ELB}:listener-rule/app/orders/aaaaaaaaaaaaaaaa/dddddddddddddddd/eeeeeeeeeeeeeeee`,
  ],
  listeners: [
    `${ELB}:listener/app/orders/aaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbb`,
    `${ELB}:listener/app/orders/aaaaaaaaaaaaaaaa/dddddddddddddddd`,
  ],
};
/** Another service's resources on the same load balancer. */
const OTHER = {
  targetGroup: `${ELB}:targetgroup/billing/3333333333333333`,
  rule: `${ELB}:listener-rule/app/orders/aaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbb/ffffffffffffffff`,
  listener: `${ELB}:listener/app/orders/aaaaaaaaaaaaaaaa/9999999999999999`,
};
const HOOKS = [
  `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:smoke-test`,
  `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:notify`,
];
const PROPS: TrafficShiftRolesProps = {
  serviceName: "orders-service-with-a-long-name",
  accountId: ACCOUNT,
  targetGroupArns: OWN.targetGroups,
  ruleArns: OWN.rules,
  listenerArns: OWN.listeners,
  hookFunctionArns: [...HOOKS, HOOKS[0] as string],
};

function synthRoles(props: Partial<TrafficShiftRolesProps> = {}) {
  return synthStack((stack) => new TrafficShiftRoles(stack, "DeploymentRoles", { ...PROPS, ...props }));
}

/** The statements of a role's inline policy, by the policy's construct id. */
function policyOf(synth: ReturnType<typeof synthRoles>, policyId: string): PolicyStatement[] {
  const policy = blockOf(synth, childOf(synth.built, policyId) as IamRolePolicy);
  return statementsOf(synth.json, policy.policy) as PolicyStatement[];
}

const allowed = (statements: readonly PolicyStatement[], requests: readonly IamRequest[]) =>
  requests.map((r) => `${r.action} ${r.resource} ${evaluate(statements, r)}`);

describe("TrafficShiftRoles: the infrastructure role for load balancers", () => {
  const synth = synthRoles();
  const shift = policyOf(synth, "LoadBalancerRolePolicy");

  it("GIVEN the role WHEN ECS does what a deployment needs on this service's resources THEN every request is allowed", () => {
    const needed: IamRequest[] = [
      ...["DescribeListeners", "DescribeRules", "DescribeTargetGroups", "DescribeTargetHealth"].map((a) => ({
        action: `elasticloadbalancing:${a}`,
        resource: "*",
      })),
      ...OWN.targetGroups.flatMap((tg) =>
        ["RegisterTargets", "DeregisterTargets"].map((a) => ({
          action: `elasticloadbalancing:${a}`,
          resource: tg,
        })),
      ),
      ...OWN.rules.map((rule) => ({ action: "elasticloadbalancing:ModifyRule", resource: rule })),
      ...OWN.listeners.map((listener) => ({
        action: "elasticloadbalancing:ModifyListener",
        resource: listener,
      })),
    ];
    expect(needed.filter((r) => evaluate(shift, r) !== "allowed")).toEqual([]);
  });

  it("GIVEN the role WHEN it acts on another service's target group, rule or listener THEN it is denied", () => {
    expect(
      allowed(shift, [
        { action: "elasticloadbalancing:RegisterTargets", resource: OTHER.targetGroup },
        { action: "elasticloadbalancing:DeregisterTargets", resource: OTHER.targetGroup },
        { action: "elasticloadbalancing:ModifyRule", resource: OTHER.rule },
        { action: "elasticloadbalancing:ModifyListener", resource: OTHER.listener },
      ]),
    ).toEqual([
      `elasticloadbalancing:RegisterTargets ${OTHER.targetGroup} implicitDeny`,
      `elasticloadbalancing:DeregisterTargets ${OTHER.targetGroup} implicitDeny`,
      `elasticloadbalancing:ModifyRule ${OTHER.rule} implicitDeny`,
      `elasticloadbalancing:ModifyListener ${OTHER.listener} implicitDeny`,
    ]);
  });

  it("GIVEN the role WHEN it creates, deletes or reconfigures even its own resources, or acts outside ELB THEN it is denied", () => {
    const [tg, rule, listener] = [OWN.targetGroups[0], OWN.rules[0], OWN.listeners[0]] as string[];
    const beyond: IamRequest[] = [
      { action: "elasticloadbalancing:DeleteRule", resource: rule },
      { action: "elasticloadbalancing:CreateRule", resource: listener },
      { action: "elasticloadbalancing:DeleteListener", resource: listener },
      { action: "elasticloadbalancing:DeleteTargetGroup", resource: tg },
      { action: "elasticloadbalancing:ModifyTargetGroup", resource: tg },
      { action: "elasticloadbalancing:ModifyRule", resource: tg },
      { action: "elasticloadbalancing:AddTags", resource: rule },
      { action: "iam:PassRole", resource: `arn:aws:iam::${ACCOUNT}:role/anything` },
      { action: "lambda:InvokeFunction", resource: HOOKS[0] as string },
      { action: "ecs:UpdateService", resource: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/shared/orders` },
    ];
    expect(beyond.filter((r) => evaluate(shift, r) !== "implicitDeny")).toEqual([]);
  });

  it("GIVEN the role WHEN its trust is read THEN only ECS may assume it, and only for this account (aws:SourceAccount)", () => {
    const role = blockOf(synth, childOf(synth.built, "LoadBalancerRole") as IamRole);
    const [trust, ...more] = statementsOf(synth.json, role.assume_role_policy) as SynthesizedStatement[];
    expect(more).toEqual([]);
    expect(trust).toEqual({
      actions: ["sts:AssumeRole"],
      principals: [{ type: "Service", identifiers: ["ecs.amazonaws.com"] }],
      condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] }],
    });
    // The trust policy's resource is the role itself; the evaluator judges the condition.
    const asResource = [{ ...trust, resources: ["*"] }] as PolicyStatement[];
    const assume = (account: string) =>
      evaluate(asResource, {
        action: "sts:AssumeRole",
        resource: "*",
        context: { "aws:SourceAccount": account },
      });
    expect([assume(ACCOUNT), assume("210987654321")]).toEqual(["allowed", "implicitDeny"]);
  });

  it("GIVEN a long service name, a permissions boundary and tags WHEN synthesized THEN the role's name prefix is cut to 20 characters and both are applied", () => {
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const tagged = synthRoles({ permissionsBoundaryArn: boundary, tags: { team: "orders" } });
    expect(blockOf(tagged, childOf(tagged.built, "LoadBalancerRole") as IamRole)).toMatchObject({
      name_prefix: "orders-service-with--shift-",
      permissions_boundary: boundary,
      tags: { team: "orders" },
    });
  });
});

describe("TrafficShiftRoles: the lifecycle hooks role", () => {
  it("GIVEN hooks (one listed twice) WHEN synthesized THEN the role may invoke exactly those functions, each once", () => {
    const synth = synthRoles();
    const invoke = policyOf(synth, "HooksRolePolicy");
    expect(invoke).toEqual([{ actions: ["lambda:InvokeFunction"], resources: HOOKS }]);
    expect(
      allowed(invoke, [
        { action: "lambda:InvokeFunction", resource: HOOKS[1] as string },
        { action: "lambda:InvokeFunction", resource: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:other` },
        { action: "lambda:UpdateFunctionCode", resource: HOOKS[1] as string },
        { action: "elasticloadbalancing:ModifyRule", resource: OWN.rules[0] as string },
      ]),
    ).toEqual([
      `lambda:InvokeFunction ${HOOKS[1]} allowed`,
      `lambda:InvokeFunction arn:aws:lambda:eu-west-1:${ACCOUNT}:function:other implicitDeny`,
      `lambda:UpdateFunctionCode ${HOOKS[1]} implicitDeny`,
      `elasticloadbalancing:ModifyRule ${OWN.rules[0]} implicitDeny`,
    ]);
    expect(synth.built.grants).toHaveLength(2);
  });

  it("GIVEN no hooks WHEN synthesized THEN there is no hooks role, no ARN for it and one grant", () => {
    const synth = synthRoles({ hookFunctionArns: [] });
    expect(synth.built.hooksRoleArn).toBeUndefined();
    expect(synth.built.node.tryFindChild("HooksRole")).toBeUndefined();
    expect(Object.keys(synth.json.resource?.aws_iam_role ?? {})).toEqual([
      synth.stack.getLogicalId(childOf(synth.built, "LoadBalancerRole")),
    ]);
    expect(synth.built.grants).toHaveLength(1);
  });
});
