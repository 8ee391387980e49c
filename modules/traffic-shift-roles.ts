import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";
import type { ITerraformDependable } from "./cdktf";

/** Props of {@link TrafficShiftRoles}; every value already resolved and validated by the service. */
export interface TrafficShiftRolesProps {
  /** Service the roles belong to: their name prefixes and descriptions. */
  readonly serviceName: string;
  /** The account the service runs in: the only one whose ECS may assume the roles. */
  readonly accountId: string;
  /** The two target groups ECS moves tasks between. */
  readonly targetGroupArns: readonly string[];
  /** The listener rules ECS rewrites (production, and test if any). */
  readonly ruleArns: readonly string[];
  /** The listeners of those rules. */
  readonly listenerArns: readonly string[];
  /** Lambda functions of the lifecycle hooks. */
  readonly hookFunctionArns: readonly string[];
  /** Permissions boundary of both roles. @default - none */
  readonly permissionsBoundaryArn?: string;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The roles ECS assumes during a blue/green, linear or canary deployment: the infrastructure role for load
 * balancers, which may rewrite this service's listener rules and move targets between its two target groups and
 * nothing else, and (with lifecycle hooks) a role that may invoke exactly the hooks' functions. Both trust
 * `ecs.amazonaws.com` for this account only.
 *
 * Actions from AWS's managed policy AmazonECSInfrastructureRolePolicyForLoadBalancers (v6, 2026-02), scoped to the
 * service's resources; the four Describe actions have no resource-level permissions. ModifyListener stays for an
 * ALB too: AWS's blue/green troubleshooting guide shows an ALB deployment failing without it.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html
 */
export class TrafficShiftRoles extends Construct {
  /** ARN of the infrastructure role for load balancers (`advanced_configuration.role_arn`). */
  readonly loadBalancerRoleArn: string;
  /** ARN of the role ECS invokes the hooks with, when there are hooks. */
  readonly hooksRoleArn?: string;
  /** The roles' policies: the ECS service waits for them. */
  readonly grants: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: TrafficShiftRolesProps) {
    super(scope, id);
    const namePrefix = props.serviceName.slice(0, 20);
    // AWS documents this trust without conditions; aws:SourceAccount is the confused-deputy guard IAM recommends
    // for service principals, and ECS acts for this account only.
    const trust = new DataAwsIamPolicyDocument(this, "Trust", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["ecs.amazonaws.com"] }],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] }],
        },
      ],
    }).json;
    const role = (roleId: string, suffix: string, description: string) =>
      new IamRole(this, roleId, {
        namePrefix: `${namePrefix}-${suffix}-`,
        description,
        assumeRolePolicy: trust,
        permissionsBoundary: props.permissionsBoundaryArn,
        tags: props.tags,
      });

    const loadBalancerRole = role(
      "LoadBalancerRole",
      "shift",
      `ECS infrastructure role of ${props.serviceName}: shifts traffic between its target groups during deployments`,
    );
    const shift = new DataAwsIamPolicyDocument(this, "ShiftTraffic", {
      statement: [
        {
          sid: "Read",
          actions: [
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetHealth",
          ],
          resources: ["*"],
        },
        {
          sid: "MoveTargets",
          actions: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
          resources: [...props.targetGroupArns],
        },
        { sid: "ShiftRules", actions: ["elasticloadbalancing:ModifyRule"], resources: [...props.ruleArns] },
        {
          sid: "ModifyListeners",
          actions: ["elasticloadbalancing:ModifyListener"],
          resources: [...props.listenerArns],
        },
      ],
    });
    this.grants.push(
      new IamRolePolicy(this, "LoadBalancerRolePolicy", {
        name: "shift-traffic",
        role: loadBalancerRole.id,
        policy: shift.json,
      }),
    );
    this.loadBalancerRoleArn = loadBalancerRole.arn;

    if (props.hookFunctionArns.length > 0) {
      const hooksRole = role(
        "HooksRole",
        "hooks",
        `Role ECS invokes the deployment lifecycle hooks of ${props.serviceName} with`,
      );
      const invoke = new DataAwsIamPolicyDocument(this, "InvokeHooks", {
        statement: [{ actions: ["lambda:InvokeFunction"], resources: [...new Set(props.hookFunctionArns)] }],
      });
      this.grants.push(
        new IamRolePolicy(this, "HooksRolePolicy", {
          name: "invoke-hooks",
          role: hooksRole.id,
          policy: invoke.json,
        }),
      );
      this.hooksRoleArn = hooksRole.arn;
    }
  }
}
