/**
 * The Terraform addresses of a service are part of the public API: a deployed stack that upgrades to a release where
 * an address changed plans that resource replaced (a new load balancer DNS name, a new log group without its
 * history). Issue 18 settled the construct tree for 0.2.0; this test pins it. A change here is a breaking change:
 * review it, and add a CHANGELOG entry (or a `moved` block) in the same commit.
 */
import { EmfFargateService } from "../../modules/emf-fargate-service";
import { PUBLIC_LOAD_BALANCER, SERVICE_PROPS, synthStack, type TerraformJson } from "./support";

/** Every resource and data source address of a synthesized stack ("aws_ecs_service.X", "data.aws_region.Y"). */
function addressesOf(json: TerraformJson): string[] {
  const of = (prefix: string, blocks: Record<string, Record<string, unknown>> | undefined) =>
    Object.entries(blocks ?? {}).flatMap(([type, byName]) =>
      Object.keys(byName).map((n) => `${prefix}${type}.${n}`),
    );
  return [
    ...of("", json.resource as Record<string, Record<string, unknown>>),
    ...of("data.", json.data as Record<string, Record<string, unknown>>),
  ].sort();
}

describe("the Terraform addresses of EmfFargateService 0.2", () => {
  it("GIVEN a load-balanced service with autoscaling WHEN synthesized THEN its addresses are the settled ones", () => {
    const { json } = synthStack(
      (stack) =>
        new EmfFargateService(stack, "Service", {
          ...SERVICE_PROPS,
          loadBalancer: PUBLIC_LOAD_BALANCER,
          scaling: { maxCapacity: 4 },
        }),
    );

    expect(addressesOf(json)).toEqual(EXPECTED);
  });
});

const EXPECTED: string[] = [
  "aws_appautoscaling_policy.Service_Scaling_Cpu_83111B18",
  "aws_appautoscaling_policy.Service_Scaling_LatencyStep_713280F4",
  "aws_appautoscaling_policy.Service_Scaling_Requests_88C85EC2",
  "aws_appautoscaling_target.Service_Scaling_192F6C4A",
  "aws_cloudwatch_dashboard.Service_Dashboard_C24667C9",
  "aws_cloudwatch_log_group.Service_EmfLogs_914BDC72",
  "aws_cloudwatch_log_group.Service_Logs_909A9A4E",
  "aws_cloudwatch_metric_alarm.Service_Alarms_ErrorRate_78E6E76C",
  "aws_cloudwatch_metric_alarm.Service_Alarms_LatencyP99_12BFACD0",
  "aws_cloudwatch_metric_alarm.Service_Alarms_NoMetrics_D69C8813",
  "aws_cloudwatch_metric_alarm.Service_Scaling_LatencyAlarm_87D4BC89",
  "aws_cloudwatch_query_definition.Service_Queries_errors-by-path_9C02E788",
  "aws_cloudwatch_query_definition.Service_Queries_requests-by-status_F4403651",
  "aws_cloudwatch_query_definition.Service_Queries_slowest-requests_1980309E",
  "aws_ecs_cluster.Service_Ecs_Cluster_23206216",
  "aws_ecs_service.Service_Ecs_599290EC",
  "aws_ecs_task_definition.Service_TaskDefinition_55FA0F15",
  "aws_iam_role.Service_Roles_ExecutionRole_4E5C3AA6",
  "aws_iam_role.Service_Roles_TaskRole_294D1E92",
  "aws_iam_role_policy.Service_Roles_ExecutionRoleSecrets_854218E0",
  "aws_iam_role_policy.Service_Roles_TaskRoleEmf_3BBF78E0",
  "aws_iam_role_policy_attachment.Service_Roles_ExecutionRoleManaged_A486E5B4",
  "aws_lb.Service_LoadBalancer_31A7DB79",
  "aws_lb_listener.Service_LoadBalancer_Http_1FA75696",
  "aws_lb_target_group.Service_LoadBalancer_Targets_82181805",
  "aws_security_group.Service_Ecs_SecurityGroup_7595E38B",
  "aws_security_group.Service_LoadBalancer_SecurityGroup_3EAB1CB7",
  "aws_sns_topic.Service_Alarms_Topic_5B749645",
  "aws_ssm_parameter.Service_Agent_94320BBB",
  "aws_vpc_security_group_egress_rule.Service_Ecs_Egress_E579192D",
  "aws_vpc_security_group_egress_rule.Service_LoadBalancer_EgressToTargets_EC970CF8",
  "aws_vpc_security_group_ingress_rule.Service_Ecs_IngressLoadBalancer_48B0F001",
  "aws_vpc_security_group_ingress_rule.Service_LoadBalancer_Ingress80Cidr0_198C4E6C",
  "data.aws_iam_policy_document.Service_Roles_ExecutionRoleTrust_6E56839C",
  "data.aws_iam_policy_document.Service_Roles_ReadSecrets_B2C5CC68",
  "data.aws_iam_policy_document.Service_Roles_TaskRoleTrust_C4A40D36",
  "data.aws_iam_policy_document.Service_Roles_WriteEmf_129BC1BA",
  "data.aws_partition.Service_Roles_Partition_14E37B62",
  "data.aws_region.Service_Region_18DEA33E",
];
