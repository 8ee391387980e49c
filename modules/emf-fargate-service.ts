import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import type { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import type { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Construct } from "constructs";
import { appContainer, type ContainerOptions } from "./app-container";
import { Annotations } from "./cdktf";
import { type AgentOptions, CloudWatchAgentSidecar } from "./cloudwatch-agent-sidecar";
import type { ContainerDefinition } from "./container-definition";
import { deploymentConfiguration, shiftMinutes } from "./deployment-strategy";
import { operationsWarnings } from "./deployment-warnings";
import {
  checkServiceSettings,
  type ExecOptions,
  exemptChosenOptOuts,
  resolveServiceSettings,
  settingsWarnings,
} from "./emf-fargate-service-settings";
import { EmfQueryDefinitions } from "./emf-query-definitions";
import { FargateService } from "./fargate-service";
import { awsProviderVersion } from "./provider-bindings";
import {
  type AlarmSummary,
  type AlarmsOptions,
  DEFAULT_MIN_REQUESTS_PER_MINUTE,
  ServiceAlarms,
} from "./service-alarms";
import { ServiceConnect, type ServiceConnectOptions } from "./service-connect";
import { ServiceDashboard } from "./service-dashboard";
import { createExecLogging } from "./service-exec";
import { createFrontDoor, type LoadBalancerOptions } from "./service-front-door";
import {
  createServiceLogging,
  type EmfSettings,
  type LogsOptions,
  type MetricsOptions,
} from "./service-logging";
import type { CapacityOptions, ClusterOptions, DeploymentOptions, NetworkOptions } from "./service-options";
import { type IamOptions, ServiceRoles } from "./service-roles";
import { type ScalingOptions, ServiceScaling } from "./service-scaling";
import { resolveSecrets } from "./service-secrets";
import { ServiceTaskDefinition, type TaskOptions } from "./service-task-definition";
import { TrafficShiftRoles } from "./traffic-shift-roles";
import { validatedBy, validateProps } from "./validation";

/**
 * Paths ECS Exec's SSM agent writes to, mounted as writable task volumes when the root filesystem is read-only. AWS
 * does not support ECS Exec with a read-only root filesystem ("making the root file system read-only using the
 * `readonlyRootFilesystem` task definition parameter, or any other method, isn't supported": ECS developer guide,
 * "Using Amazon ECS Exec for debugging", Considerations; aws-containers/amazon-ecs-exec-checker#21, which made it a
 * red check in #24). These three paths are a community workaround AWS does not document: aws/containers-roadmap#1359
 * (open; the paths are its reporter's) and aws/containers-roadmap#2824 (asking AWS to document them). Not verified on
 * real ECS here; if sessions fail, set `container.readonlyRootFilesystem: false` (see docs/operations.md).
 */
const EXEC_PATHS = ["/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"];

/** Props of {@link EmfFargateService}, grouped by concern. */
export interface EmfFargateServiceProps {
  /**
   * Name of the ECS service: also the task family, a created cluster's name, the app container's default name, the
   * prefix of alarms and dashboard, and the EMF `ServiceName`.
   */
  readonly serviceName: string;
  /** The app container: image, port, health check, environment, secrets. */
  readonly container: ContainerOptions;
  /** Where the tasks run, how they reach AWS, and what may reach them. */
  readonly network: NetworkOptions;
  /** Size and platform of the tasks. @default - 512 CPU units, 1024 MiB, X86_64, platform 1.4.0 */
  readonly task?: TaskOptions;
  /** The cluster. @default - a cluster named after the service is created */
  readonly cluster?: ClusterOptions;
  /** The front door: a created load balancer, or an existing listener or target group. @default - none */
  readonly loadBalancer?: LoadBalancerOptions;
  /** How many tasks run: a fixed count or autoscaling. @default - one task, no autoscaling */
  readonly scaling?: ScalingOptions;
  /** On-demand and Spot capacity. @default - on-demand only */
  readonly capacity?: CapacityOptions;
  /** How releases roll out and roll back. @default - see DeploymentOptions */
  readonly deployment?: DeploymentOptions;
  /** The EMF metrics: namespace, log group and stream. @default - see MetricsOptions */
  readonly metrics?: MetricsOptions;
  /** The containers' logs. @default - see LogsOptions */
  readonly logs?: LogsOptions;
  /** The CloudWatch agent sidecar. @default - see AgentOptions */
  readonly agent?: AgentOptions;
  /** IAM: what the app may call, a permissions boundary. @default - the task role writes EMF documents only */
  readonly iam?: IamOptions;
  /**
   * Alarms on the EMF metrics, notifying an SNS topic; the latency and 5xx-rate alarms also roll deployments
   * back. `false` for none.
   * @default - latency, 5xx rate and no-metrics alarms with AlarmsOptions' defaults, to a created topic
   */
  readonly alarms?: AlarmsOptions | false;
  /** Create the CloudWatch dashboard. @default true */
  readonly dashboard?: boolean;
  /** Create the saved Logs Insights queries on the EMF log group. @default true */
  readonly queryDefinitions?: boolean;
  /** ECS Exec, audited: sessions logged to their own log group. @default - off */
  readonly exec?: ExecOptions;
  /**
   * ECS Service Connect: the service joins a Cloud Map namespace as a client, and optionally serves its port to the
   * namespace's other services. Needs nothing new of the EMF sidecar (see docs/operations.md).
   * @default - none
   */
  readonly serviceConnect?: ServiceConnectOptions;
  /** Customer-managed KMS key: the log groups and a created alarm topic use it, the execution role may decrypt with it. @default - AWS-managed keys */
  readonly kmsKeyArn?: string;
  /** Tags of every resource. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An HTTP service of any image on ECS Fargate with the CloudWatch agent as a sidecar receiving Embedded
 * Metric Format: log groups, roles, task definition, the ECS service, optionally a load balancer and
 * autoscaling, and alarms, dashboard and queries read from the same metric contract. The app container gets
 * `PORT`, the `AWS_EMF_*` variables, its `environment` and its `secrets`; everything else about the app
 * (its own settings, its health check) is the caller's.
 *
 * The props are validated once, as a whole, when the construct is created: one error lists every problem, each
 * with its path (`agent.cpu`), the value and what is allowed. Unknown props are refused.
 */
export class EmfFargateService extends Construct {
  /** Name of the ECS service. */
  readonly serviceName: string;
  /** ARN of the ECS service. */
  readonly serviceArn: string;
  /** Name of the cluster the service runs in. */
  readonly clusterName: string;
  /** ARN of the cluster. */
  readonly clusterArn: string;
  /** ARN of the task definition revision this configuration registers. */
  readonly taskDefinitionArn: string;
  /** Family of the task definition. */
  readonly taskDefinitionFamily: string;
  /** Security group of the tasks: admit it where the service must connect (a database). */
  readonly securityGroupId: string;
  /** ARN of the task role (the app's and the agent's credentials). */
  readonly taskRoleArn: string;
  /** ARN of the execution role (image pull, logs, secrets). */
  readonly executionRoleArn: string;
  /** Log group of the containers' output. */
  readonly logGroupName: string;
  /** Log group of the EMF documents. */
  readonly emfLogGroupName: string;
  /** The metric settings the app container was given (`AWS_EMF_*`). */
  readonly metrics: EmfSettings;
  /** Name of the SSM parameter holding the agent's configuration. */
  readonly agentConfigParameterName: string;
  /** The container definitions of the task, as rendered. */
  readonly containers: readonly ContainerDefinition[];
  /** URL of the service through the created load balancer (`https://` with a certificate), if one was created. */
  readonly url?: string;
  /** DNS name of the created load balancer, if any. */
  readonly loadBalancerDnsName?: string;
  /** Route 53 zone of the load balancer's DNS name (for an alias record), if one was created. */
  readonly loadBalancerZoneId?: string;
  /** ARN of the topic the alarms notify, unless alarms are off. */
  readonly alarmTopicArn?: string;
  /** Names of the alarms that roll a deployment back. */
  readonly deploymentAlarmNames: readonly string[];
  /** What each alarm watches, for documentation. */
  readonly alarmSummaries: readonly AlarmSummary[];
  /** Name of the dashboard, unless turned off. */
  readonly dashboardName?: string;
  /** ARN of the Cloud Map namespace the service joined with Service Connect (created or given), if any. */
  readonly serviceConnectNamespaceArn?: string;
  /** The ECS service resource, for what the props do not cover. */
  readonly service: EcsService;
  /** The task definition resource. */
  readonly taskDefinition: EcsTaskDefinition;
  /** The task role. */
  readonly taskRole: IamRole;
  /** The execution role. */
  readonly executionRole: IamRole;

  constructor(scope: Construct, id: string, props: EmfFargateServiceProps) {
    super(scope, id);
    const s = resolveServiceSettings(props, this.node.path);
    // The bindings' provider version decides which deployment strategies exist, so the first element of the
    // bindings is created before the props are judged.
    const region = new DataAwsRegion(this, "Region");
    validateProps(this, (c) => checkServiceSettings(c, props, s, awsProviderVersion(region)));
    for (const warning of [...settingsWarnings(s), ...operationsWarnings(s)])
      Annotations.of(this).addWarning(warning);
    const { serviceName, container: app, task } = s;
    const shift = s.deployment.trafficShift;
    // Minutes with fewer requests are not judged, by the alarms nor by the latency step nor on the dashboard.
    const minRequestsPerMinute =
      s.alarms === false ? DEFAULT_MIN_REQUESTS_PER_MINUTE : s.alarms.minRequestsPerMinute;

    const logging = createServiceLogging(this, {
      region,
      logs: s.logs,
      emf: s.metrics,
      kmsKeyArn: s.kmsKeyArn,
      tags: s.tags,
    });
    const { regionName, logGroup, emfLogGroup, logConfiguration } = logging;
    this.metrics = logging.emf;
    const agent = new CloudWatchAgentSidecar(
      this,
      "Agent",
      validatedBy({ ...s.agent, logConfiguration, tags: s.tags }),
    );
    this.agentConfigParameterName = agent.parameter.name;

    const { exec } = s;
    const execLogging = createExecLogging(this, exec, s.tags);
    const server = s.serviceConnect?.server;

    const secrets = resolveSecrets(this, { secrets: app.secrets, sameAccountArn: emfLogGroup.arn });
    const rendered = appContainer(app, {
      emf: this.metrics,
      secrets,
      logConfiguration,
      startsAfter: agent.container.name,
      execPaths: exec.enabled ? EXEC_PATHS : [],
      portMapping: server && { name: server.portName, appProtocol: server.appProtocol },
    });
    this.containers = [rendered.container, agent.container];
    exemptChosenOptOuts(this, s);

    const roles = new ServiceRoles(this, "Roles", {
      serviceName,
      emfLogGroupArn: emfLogGroup.arn,
      secrets: [...secrets, ...agent.secrets],
      kmsKeyArn: s.kmsKeyArn,
      enableExecuteCommand: exec.enabled,
      execSessionLog: exec.enabled
        ? {
            logGroupArn: execLogging?.logGroupArn,
            logGroupName: exec.sessionLogGroupName,
            kmsKeyArn: exec.kmsKeyArn,
          }
        : undefined,
      taskRoleStatements: s.iam.taskRoleStatements,
      permissionsBoundaryArn: s.iam.permissionsBoundaryArn,
      tags: s.tags,
    });
    this.executionRole = roles.executionRole;
    this.taskRole = roles.taskRole;
    this.executionRoleArn = roles.executionRole.arn;
    this.taskRoleArn = roles.taskRole.arn;
    const taskDefinition = new ServiceTaskDefinition(this, "TaskDefinition", {
      family: serviceName,
      containers: this.containers,
      executionRoleArn: roles.executionRole.arn,
      taskRoleArn: roles.taskRole.arn,
      task,
      volumes: rendered.volumes,
      tags: s.tags,
    });
    this.taskDefinition = taskDefinition.resource;
    this.taskDefinitionArn = taskDefinition.resource.arn;
    this.taskDefinitionFamily = taskDefinition.resource.family;

    const { loadBalancer, target } = createFrontDoor(this, s.frontDoor, {
      vpcId: s.network.vpcId,
      containerName: app.name,
      containerPort: app.port,
      dependsOn: s.network.dependsOn,
      trafficShift: shift,
      tags: s.tags,
    });
    const shifting = target?.shifting;
    const shiftRoles =
      shift && shifting
        ? new TrafficShiftRoles(this, "DeploymentRoles", {
            serviceName,
            accountId: roles.accountId,
            targetGroupArns: [target.targetGroupArn, shifting.alternateTargetGroupArn],
            ruleArns: [shifting.productionRuleArn, ...(shifting.testRuleArn ? [shifting.testRuleArn] : [])],
            listenerArns: shifting.listenerArns,
            hookFunctionArns: shift.lifecycleHooks.map((hook) => hook.functionArn),
            permissionsBoundaryArn: s.iam.permissionsBoundaryArn,
            tags: s.tags,
          })
        : undefined;
    this.url = loadBalancer?.url;
    this.loadBalancerDnsName = loadBalancer?.dnsName;
    this.loadBalancerZoneId = loadBalancer?.zoneId;

    const alarms =
      s.alarms === false
        ? undefined
        : new ServiceAlarms(this, "Alarms", {
            ...s.alarms,
            name: serviceName,
            namespace: this.metrics.namespace,
            highResolution: this.metrics.highResolution,
            tags: s.tags,
          });
    this.alarmTopicArn = alarms?.topicArn;
    this.alarmSummaries = alarms?.summaries ?? [];
    this.deploymentAlarmNames = [alarms?.latencyP99, alarms?.latencyP99Minutes, alarms?.errorRate].flatMap(
      (a) => (a ? [a.alarmName] : []),
    );

    const connect = s.serviceConnect
      ? new ServiceConnect(this, "ServiceConnect", {
          options: s.serviceConnect,
          serviceName,
          logConfiguration,
          tags: s.tags,
        })
      : undefined;
    const service = new FargateService(this, "Ecs", {
      serviceName,
      taskDefinitionArn: taskDefinition.resource.arn,
      containerPort: app.port,
      network: s.network,
      cluster: s.cluster,
      desiredCount: s.scaling.desiredCount,
      ignoreDesiredCountChanges: s.scaling.auto !== undefined,
      capacityProviderStrategy: s.capacity,
      platformVersion: task.platformVersion,
      loadBalancer:
        target && shifting && shiftRoles
          ? {
              ...target,
              advancedConfiguration: {
                alternate_target_group_arn: shifting.alternateTargetGroupArn,
                production_listener_rule: shifting.productionRuleArn,
                ...(shifting.testRuleArn ? { test_listener_rule: shifting.testRuleArn } : {}),
                role_arn: shiftRoles.loadBalancerRoleArn,
              },
            }
          : target,
      deploymentConfiguration:
        shift && shiftRoles
          ? { block: deploymentConfiguration(shift, shiftRoles.hooksRoleArn), minutes: shiftMinutes(shift) }
          : undefined,
      deploymentAlarmNames: this.deploymentAlarmNames,
      deployment: s.deployment,
      enableExecuteCommand: exec.enabled,
      executeCommandConfiguration: execLogging?.clusterConfiguration,
      serviceConnectConfiguration: connect?.configuration,
      // No task may start before the permissions it runs with exist, nor before the network can reach AWS.
      dependsOn: [...roles.grants, ...(shiftRoles?.grants ?? []), ...s.network.dependsOn],
      tags: s.tags,
    });
    loadBalancer?.allowTargetsIn(service.securityGroupId);
    connect?.allowClientsIn(service.securityGroupId, app.port);
    this.serviceConnectNamespaceArn = connect?.namespaceArn;
    this.service = service.resource;
    this.serviceName = service.resource.name;
    this.serviceArn = service.resource.id;
    this.clusterArn = service.clusterArn;
    this.clusterName = service.clusterName;
    this.securityGroupId = service.securityGroupId;
    this.logGroupName = logGroup.name;
    this.emfLogGroupName = emfLogGroup.name;

    if (s.scaling.auto) {
      new ServiceScaling(this, "Scaling", {
        ...s.scaling.auto,
        clusterName: this.clusterName,
        serviceName: this.serviceName,
        name: serviceName,
        namespace: this.metrics.namespace,
        requestCountResourceLabel: loadBalancer?.requestCountResourceLabel,
        minRequestsPerMinute,
        tags: s.tags,
      });
    }
    if (s.dashboard) {
      const dashboard = new ServiceDashboard(this, "Dashboard", {
        name: serviceName,
        namespace: this.metrics.namespace,
        region: regionName,
        clusterName: this.clusterName,
        // The name, not the service resource: a new image must not touch the dashboard.
        serviceName,
        minRequestsPerMinute,
        alarmArns: alarms?.alarms.map((alarm) => alarm.arn) ?? [],
      });
      this.dashboardName = dashboard.dashboard.dashboardName;
    }
    if (s.queryDefinitions) {
      new EmfQueryDefinitions(this, "Queries", { folder: serviceName, logGroupName: emfLogGroup.name });
    }
  }
}
