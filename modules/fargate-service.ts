import {
  EcsCluster,
  type EcsClusterConfigurationExecuteCommandConfiguration,
} from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { EcsService, type EcsServiceServiceConnectConfiguration } from "@cdktf/provider-aws/lib/ecs-service";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { type ITerraformDependable, Op, type TerraformResourceLifecycle, TerraformSelf } from "./cdktf";
import type {
  CapacityProviderShare,
  ClusterOptions,
  ResolvedDeployment,
  ResolvedNetwork,
} from "./service-options";

/** The target group a service registers its tasks with. */
export interface LoadBalancerTarget {
  /** ARN of the target group (`ip` targets). */
  readonly targetGroupArn: string;
  /** Container receiving the traffic. */
  readonly containerName: string;
  /** Its port. */
  readonly containerPort: number;
  /** Security group of the load balancer: admitted to the container port. */
  readonly securityGroupId: string;
  /** What must exist before the service (listeners forwarding to the target group). */
  readonly dependsOn: readonly ITerraformDependable[];
  /** With a traffic-shifting strategy: what ECS shifts between. @default - rolling */
  readonly shifting?: {
    readonly alternateTargetGroupArn: string;
    readonly productionRuleArn: string;
    readonly testRuleArn?: string;
    readonly listenerArns: readonly string[];
  };
  /**
   * With a traffic-shifting strategy: ECS's `load_balancer.advanced_configuration` (hashicorp/aws ≥ 6.4, snake_case
   * JSON: alternate target group, production and test listener rules, the infrastructure role).
   * @default - rolling: none
   */
  readonly advancedConfiguration?: Readonly<Record<string, unknown>>;
}

/** Props of {@link FargateService}; every value already resolved and validated by the service. */
export interface FargateServiceProps {
  /** Name of the ECS service. */
  readonly serviceName: string;
  /** ARN of the task definition to run. */
  readonly taskDefinitionArn: string;
  /** Port the tasks listen on. */
  readonly containerPort: number;
  /** Where the tasks run. */
  readonly network: ResolvedNetwork;
  /** The cluster. */
  readonly cluster: ClusterOptions;
  /** Tasks at creation. */
  readonly desiredCount: number;
  /** Leave the running count to autoscaling after creation: later applies do not reset it. */
  readonly ignoreDesiredCountChanges: boolean;
  /** Capacity providers instead of the FARGATE launch type; empty for the launch type. */
  readonly capacityProviderStrategy: readonly CapacityProviderShare[];
  /** Fargate platform version. */
  readonly platformVersion: string;
  /** The load balancer's target group. @default - no load balancer */
  readonly loadBalancer?: LoadBalancerTarget;
  /** Alarms that roll a deployment back. */
  readonly deploymentAlarmNames: readonly string[];
  /** Rollout settings. */
  readonly deployment: ResolvedDeployment;
  /** ECS Exec. */
  readonly enableExecuteCommand: boolean;
  /** How a created cluster logs ECS Exec sessions. @default - no cluster configuration */
  readonly executeCommandConfiguration?: EcsClusterConfigurationExecuteCommandConfiguration;
  /** Service Connect. @default - none */
  readonly serviceConnectConfiguration?: EcsServiceServiceConnectConfiguration;
  /**
   * ECS's `deployment_configuration` block (hashicorp/aws ≥ 6.4, snake_case JSON) and the minutes its traffic
   * shifting adds to a deployment. @default - a rolling update: no block
   */
  readonly deploymentConfiguration?: {
    readonly block: Readonly<Record<string, unknown>>;
    readonly minutes: number;
  };
  /** What must exist before tasks start: the roles' grants, the network's gateways. */
  readonly dependsOn: readonly ITerraformDependable[];
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An ECS service on Fargate with its security group and (unless one is given) its cluster: circuit
 * breaker and deployment alarms roll bad releases back, `terraform apply` waits for the rollout and fails
 * when it was rolled back, and the task count can be left to autoscaling.
 */
export class FargateService extends Construct {
  /** The ECS service. */
  readonly resource: EcsService;
  /** Name of the cluster. */
  readonly clusterName: string;
  /** ARN of the cluster. */
  readonly clusterArn: string;
  /** Security group of the tasks. */
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: FargateServiceProps) {
    super(scope, id);
    const { network, deployment, capacityProviderStrategy: strategy } = props;

    let capacityProviders: EcsClusterCapacityProviders | undefined;
    if (props.cluster.existing) {
      this.clusterArn = props.cluster.existing.arn;
      this.clusterName = props.cluster.existing.name;
    } else {
      const cluster = new EcsCluster(this, "Cluster", {
        name: props.serviceName,
        setting: [
          { name: "containerInsights", value: props.cluster.containerInsights ? "enabled" : "disabled" },
        ],
        ...(props.executeCommandConfiguration
          ? { configuration: { executeCommandConfiguration: props.executeCommandConfiguration } }
          : {}),
        tags: props.tags,
      });
      this.clusterArn = cluster.arn;
      this.clusterName = cluster.name;
      if (strategy.length > 0) {
        // A strategy naming a provider the cluster does not have is refused by ECS.
        capacityProviders = new EcsClusterCapacityProviders(this, "CapacityProviders", {
          clusterName: cluster.name,
          capacityProviders: ["FARGATE", "FARGATE_SPOT"],
        });
      }
    }

    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${props.serviceName}-`,
      description: `Tasks of ${props.serviceName}`,
      vpcId: network.vpcId,
      tags: props.tags,
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = securityGroup.id;
    const port = { ipProtocol: "tcp", fromPort: props.containerPort, toPort: props.containerPort };
    network.ingressCidrs.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `IngressCidr${i}`, {
        securityGroupId: securityGroup.id,
        description: `${props.serviceName} port from ${cidr}`,
        ...port,
        cidrIpv4: cidr,
      });
    });
    // Each group once across these rules and ServiceConnect/Ingress<i> (checked with the service's props): EC2
    // refuses an identical second rule with InvalidPermission.Duplicate.
    network.ingressSecurityGroupIds.forEach((groupId, i) => {
      new VpcSecurityGroupIngressRule(this, `IngressGroup${i}`, {
        securityGroupId: securityGroup.id,
        description: `${props.serviceName} port from a security group`,
        ...port,
        referencedSecurityGroupId: groupId,
      });
    });
    const target = props.loadBalancer;
    if (target) {
      new VpcSecurityGroupIngressRule(this, "IngressLoadBalancer", {
        securityGroupId: securityGroup.id,
        description: `${props.serviceName} port from its load balancer`,
        ...port,
        referencedSecurityGroupId: target.securityGroupId,
      });
    }
    // Tasks pull images and read secrets over HTTPS and reach the database; outbound stays open as in
    // the default security group, inbound is what the props admit.
    new VpcSecurityGroupEgressRule(this, "Egress", {
      securityGroupId: securityGroup.id,
      description: "All outbound",
      ipProtocol: "-1",
      cidrIpv4: "0.0.0.0/0",
    });

    const dependsOn = [
      ...props.dependsOn,
      ...(target?.dependsOn ?? []),
      ...(capacityProviders ? [capacityProviders] : []),
    ];
    const alarmNames = props.deploymentAlarmNames;
    // A pipeline owns the running revision: Terraform must neither revert it (the ignore_changes of
    // hashicorp/terraform-provider-aws#632; the task definition's track_latest would instead replace the pipeline's
    // revision with the configured image, see docs/operations.md) nor judge it.
    const byPipeline = deployment.releasedBy === "pipeline";
    const ignoreChanges = [
      ...(props.ignoreDesiredCountChanges ? ["desired_count"] : []),
      ...(byPipeline ? ["task_definition"] : []),
    ];
    const lifecycle: TerraformResourceLifecycle = {
      ...(ignoreChanges.length > 0 ? { ignoreChanges } : {}),
      // A rolled-back rollout also ends in a steady state, on the previous task definition; the provider
      // reports that as success (hashicorp/terraform-provider-aws#19519), this check does not. A revision a
      // pipeline deployed differs from this configuration's by design, so with a pipeline the check would fail
      // every plan after the first release: that check is the pipeline's.
      ...(deployment.waitForSteadyState && !byPipeline
        ? {
            postcondition: [
              {
                condition: Op.eq(TerraformSelf.getString("task_definition"), props.taskDefinitionArn),
                errorMessage: `${props.serviceName} did not reach a steady state on the task definition this apply registered: ECS rolled the deployment back (circuit breaker or a deployment alarm). See the service's events.`,
              },
            ],
          }
        : {}),
    };
    this.resource = new EcsService(this, "Resource", {
      name: props.serviceName,
      cluster: this.clusterArn,
      taskDefinition: props.taskDefinitionArn,
      desiredCount: props.desiredCount,
      // The launch type and a strategy exclude each other.
      ...(strategy.length > 0
        ? { capacityProviderStrategy: strategy.map((s) => ({ ...s })) }
        : { launchType: "FARGATE" }),
      platformVersion: props.platformVersion,
      networkConfiguration: {
        subnets: [...network.subnetIds],
        securityGroups: [securityGroup.id, ...network.extraSecurityGroupIds],
        assignPublicIp: network.outbound === "publicIp",
      },
      ...(target
        ? {
            // With traffic shifting the whole block is an override below (it has a 6.x-only part).
            ...(target.advancedConfiguration
              ? {}
              : {
                  loadBalancer: [
                    {
                      targetGroupArn: target.targetGroupArn,
                      containerName: target.containerName,
                      containerPort: target.containerPort,
                    },
                  ],
                }),
            healthCheckGracePeriodSeconds: deployment.healthCheckGracePeriodSeconds,
          }
        : {}),
      deploymentCircuitBreaker: { enable: true, rollback: deployment.circuitBreakerRollback },
      ...(alarmNames.length > 0
        ? { alarms: { alarmNames: [...alarmNames], enable: true, rollback: deployment.alarmRollback } }
        : {}),
      deploymentMinimumHealthyPercent: deployment.minimumHealthyPercent,
      deploymentMaximumPercent: deployment.maximumPercent,
      waitForSteadyState: deployment.waitForSteadyState,
      enableExecuteCommand: props.enableExecuteCommand,
      availabilityZoneRebalancing: network.availabilityZoneRebalancing ? "ENABLED" : "DISABLED",
      ...(props.serviceConnectConfiguration
        ? { serviceConnectConfiguration: props.serviceConnectConfiguration }
        : {}),
      enableEcsManagedTags: true,
      propagateTags: "SERVICE",
      tags: props.tags,
      dependsOn: dependsOn.length > 0 ? dependsOn : undefined,
      lifecycle: lifecycle.ignoreChanges || lifecycle.postcondition ? lifecycle : undefined,
    });
    // The blocks of native blue/green, linear and canary deployments exist from hashicorp/aws 6.4 on: written as
    // overrides, they synthesize with any bindings, and the service refuses a strategy the bindings lack.
    if (target?.advancedConfiguration) {
      this.resource.addOverride("load_balancer", [
        {
          target_group_arn: target.targetGroupArn,
          container_name: target.containerName,
          container_port: target.containerPort,
          advanced_configuration: target.advancedConfiguration,
        },
      ]);
    }
    if (props.deploymentConfiguration) {
      this.resource.addOverride("deployment_configuration", props.deploymentConfiguration.block);
      // The provider waits 20 minutes for a steady state by default; traffic steps and bake time come on top.
      const minutes = 20 + props.deploymentConfiguration.minutes;
      this.resource.addOverride("timeouts", { create: `${minutes}m`, update: `${minutes}m` });
    }
  }
}
