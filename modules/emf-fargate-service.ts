import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import type { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import type { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import type { TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { movedFrom } from "./addresses";
import { appContainer, type EmfSettings, type MetricsMode } from "./app-container";
import type { ServiceSecret } from "./app-parameters";
import { CloudWatchAgentSidecar, type CloudWatchAgentSidecarProps } from "./cloudwatch-agent-sidecar";
import type { ContainerDefinition, HealthCheck, LogConfiguration } from "./container-definition";
import {
  checkEmfFargateServiceProps,
  type ResolvedServiceSettings,
  resolveServiceSettings,
} from "./emf-fargate-service-settings";
import { EmfQueryDefinitions } from "./emf-query-definitions";
import {
  type CapacityProviderShare,
  type DeploymentOptions,
  FargateService,
  type LoadBalancerTarget,
} from "./fargate-service";
import { exemptFromPolicy } from "./security-policy";
import { ServiceAlarms, type ServiceAlarmsProps } from "./service-alarms";
import { ServiceDashboard } from "./service-dashboard";
import { type LoadBalancerOptions, ServiceLoadBalancer } from "./service-load-balancer";
import { ServiceRoles, type TaskRoleStatement } from "./service-roles";
import { type ScalingOptions, ServiceScaling } from "./service-scaling";
import { type ListenerRuleOptions, ServiceTargetGroup, type TargetHealthCheck } from "./service-target-group";
import { ServiceTaskDefinition } from "./service-task-definition";
import { checkContainers, Problems } from "./validation";

export { defaultHealthCheck, type EmfSettings, type MetricsMode } from "./app-container";
export { LOG_RETENTION_DAYS } from "./emf-fargate-service-settings";
export { secretArnOf } from "./service-roles";

/** Where the service's traffic comes from: exactly one of the three. */
export interface FrontDoorOptions {
  /** Create an Application Load Balancer for the service. @default - not created */
  readonly create?: Omit<LoadBalancerOptions, "healthCheck"> & {
    readonly healthCheck?: Omit<TargetHealthCheck, "path">;
  };
  /** Create a target group and a rule on an existing listener. @default - none */
  readonly existingListener?: ListenerRuleOptions & {
    /** Security group of that listener's load balancer (admitted to the container port). */
    readonly securityGroupId: string;
    /** Health check of the target group (its path is `healthCheckPath`). @default - see TargetHealthCheck */
    readonly healthCheck?: Omit<TargetHealthCheck, "path">;
    /** Seconds a deregistering task keeps its in-flight requests. @default 15 */
    readonly deregistrationDelaySeconds?: number;
  };
  /** Register the tasks with an existing `ip` target group. @default - none */
  readonly existingTargetGroup?: {
    /** ARN of the target group. */
    readonly targetGroupArn: string;
    /** Security group of its load balancer (admitted to the container port). */
    readonly securityGroupId: string;
  };
}

/** Props of {@link EmfFargateService}. */
export interface EmfFargateServiceProps {
  /** Name of the ECS service; also the task family, the app container's default name and the EMF service name. */
  readonly serviceName: string;
  /** VPC of the service. */
  readonly vpcId: string;
  /** Subnets the tasks run in. */
  readonly subnetIds: string[];
  /** The secrets the app container reads (e.g. `AppParameters.secrets`). */
  readonly secrets: readonly ServiceSecret[];
  /** Environment name, passed as `ENV_TYPE`. @default "prod" */
  readonly environmentName?: string;
  /** Full image URI to run; when given no repository is created. @default - an ECR repository is created and `imageTag` is used */
  readonly imageUri?: string;
  /** Tag of the image in the created ECR repository. Required unless `imageUri` is given. @default - none */
  readonly imageTag?: string;
  /** Name of the created ECR repository (lowercase). @default serviceName in lowercase */
  readonly repositoryName?: string;
  /** Accept images tagged `latest` or untagged. @default false */
  readonly allowLatestImage?: boolean;
  /** Existing cluster to run in (with FARGATE_SPOT among its providers, for a Spot strategy). @default - a cluster named after the service is created */
  readonly existingCluster?: { readonly arn: string; readonly name: string };
  /** Turn on Container Insights for a created cluster. @default false */
  readonly containerInsights?: boolean;
  /** Tasks at creation; with `autoScaling`, later changes are ignored (autoscaling owns the count). @default 1 */
  readonly desiredCount?: number;
  /** Task CPU units (Fargate table). @default 512 */
  readonly taskCpu?: number;
  /** Task memory in MiB (Fargate table). @default 1024 */
  readonly taskMemoryMiB?: number;
  /** Ephemeral storage of the task in GiB (21-200). @default - Fargate's 20 GiB */
  readonly ephemeralStorageGiB?: number;
  /** CPU architecture of the image. @default "X86_64" */
  readonly cpuArchitecture?: "X86_64" | "ARM64";
  /** App container name. @default serviceName */
  readonly containerName?: string;
  /** CPU units of the app container. @default 256 */
  readonly appCpu?: number;
  /** Memory limit of the app container in MiB. @default 512 */
  readonly appMemoryMiB?: number;
  /** Port the app listens on (also `PORT`). @default 5000 */
  readonly containerPort?: number;
  /**
   * `PGSSLMODE` of the app's PostgreSQL client (node-postgres reads it). RDS PostgreSQL 15+ refuses
   * unencrypted connections; `no-verify` encrypts without checking the server certificate, `verify-full`
   * also needs the RDS CA bundle in the image (`NODE_EXTRA_CA_CERTS`).
   * @default "no-verify"
   */
  readonly databaseSslMode?: "disable" | "no-verify" | "require" | "verify-full";
  /** Extra plain environment variables for the app. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Liveness path of the app: the load balancer's health check and the default container health check request it. @default "/health" */
  readonly healthCheckPath?: string;
  /** App container health check. @default - `node` fetches http://127.0.0.1:<port><healthCheckPath> (no curl needed in the image) */
  readonly healthCheck?: HealthCheck;
  /**
   * Seconds between SIGTERM and SIGKILL for the app. The app's `SHUTDOWN_TIMEOUT_MS` is set 5 s below
   * it so buffered metrics are flushed before the kill.
   * @default 30
   */
  readonly stopTimeoutSeconds?: number;
  /** Mount the app's root filesystem read-only. @default true */
  readonly readonlyRootFilesystem?: boolean;
  /** User the app runs as; the image's non-root user. @default "1000:1000" */
  readonly user?: string;
  /** Metric settings. @default - see EmfSettings: namespace = serviceName, log group "/ecs/<serviceName>/emf" */
  readonly metrics?: {
    /** CloudWatch namespace. @default serviceName */
    readonly namespace?: string;
    /** EMF log group (created here). @default "/ecs/<serviceName>/emf" */
    readonly logGroupName?: string;
    /** EMF log stream. @default serviceName */
    readonly logStreamName?: string;
    /** How the app publishes. @default "aggregate" */
    readonly mode?: MetricsMode;
  };
  /** Log group of the containers' stdout/stderr (created here). @default "/ecs/<serviceName>" */
  readonly logGroupName?: string;
  /** Days to keep logs and EMF documents. @default 30 */
  readonly logRetentionDays?: number;
  /** Customer-managed KMS key: log groups and the ECR repository use it, the execution role may decrypt with it. @default - AWS-managed keys */
  readonly kmsKeyArn?: string;
  /** CloudWatch agent sidecar settings. @default - see CloudWatchAgentSidecarProps */
  readonly agent?: Omit<CloudWatchAgentSidecarProps, "logConfiguration" | "tags">;
  /** Extra statements for the task role, for AWS APIs the app calls. @default - none: the role writes EMF documents only */
  readonly taskRoleStatements?: readonly TaskRoleStatement[];
  /** The front door: a created load balancer, or an existing listener or target group. @default - none */
  readonly loadBalancer?: FrontDoorOptions;
  /** CIDR blocks admitted to the container port. @default - none */
  readonly ingressCidrs?: readonly string[];
  /** Security groups admitted to the container port. @default - none */
  readonly ingressSecurityGroupIds?: readonly string[];
  /** Accept 0.0.0.0/0 in `ingressCidrs`. @default false */
  readonly allowIngressFromAnywhere?: boolean;
  /** More security groups for the tasks (at most 4), e.g. to reach shared resources. @default - none */
  readonly extraSecurityGroupIds?: readonly string[];
  /** Give tasks public IPs (needed in public subnets without NAT). @default false */
  readonly assignPublicIp?: boolean;
  /** Turn on ECS Exec; with a read-only root, writable volumes are mounted for the SSM agent. @default false */
  readonly enableExecuteCommand?: boolean;
  /** Autoscaling of the task count. @default - none: the service runs desiredCount tasks */
  readonly autoScaling?: ScalingOptions;
  /** Rollout settings: steady-state wait, healthy percentages, alarm rollback, grace period. @default - see DeploymentOptions */
  readonly deployment?: DeploymentOptions;
  /** Roll back deployments whose tasks fail to start. @default true */
  readonly circuitBreakerRollback?: boolean;
  /** FARGATE / FARGATE_SPOT shares instead of the FARGATE launch type. @default - on-demand only (launch type FARGATE) */
  readonly capacityProviderStrategy?: readonly CapacityProviderShare[];
  /** Fargate platform version. @default "1.4.0" */
  readonly platformVersion?: string;
  /**
   * Alarms on the EMF metrics, notifying an SNS topic; the p99 latency and 5xx-rate alarms also roll
   * deployments back. `false` for none.
   * @default - p99 latency, 5xx rate and no-metrics alarms with ServiceAlarms' defaults, to a created topic
   */
  readonly alarms?: Omit<ServiceAlarmsProps, "name" | "namespace" | "tags"> | false;
  /** Create the CloudWatch dashboard. @default true */
  readonly dashboard?: boolean;
  /** Create the saved Logs Insights queries on the EMF log group. @default true */
  readonly queryDefinitions?: boolean;
  /** Tags for every resource. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A Koa (or any HTTP) service on ECS Fargate with the CloudWatch agent as a sidecar receiving
 * Embedded Metric Format: log groups, image, roles, task definition, the ECS service, optionally a load
 * balancer and autoscaling, and alarms, dashboard and queries read from the same metric contract.
 */
export class EmfFargateService extends Construct {
  /** The metric settings the app container was given. */
  readonly emf: EmfSettings;
  /** Name of the cluster the service runs in. */
  readonly clusterName: string;
  /** ARN of the cluster. */
  readonly clusterArn: string;
  /** The ECS service. */
  readonly service: EcsService;
  /** Name of the ECS service. */
  readonly serviceName: string;
  /** The task definition. */
  readonly taskDefinition: EcsTaskDefinition;
  /** Family of the task definition. */
  readonly taskDefinitionFamily: string;
  /** The container definitions of the task, as rendered. */
  readonly containers: readonly ContainerDefinition[];
  /** Log group of the containers' output. */
  readonly logGroupName: string;
  /** Log group of the EMF documents. */
  readonly emfLogGroupName: string;
  /** URL of the created ECR repository, when one was created. */
  readonly repositoryUrl?: string;
  /** Image the app container runs. */
  readonly image: string;
  /** Security group of the tasks. */
  readonly securityGroupId: string;
  /** The task role (app and agent credentials). */
  readonly taskRole: IamRole;
  /** The execution role (image pull, logs, secrets). */
  readonly executionRole: IamRole;
  /** The agent sidecar. */
  readonly agent: CloudWatchAgentSidecar;
  /** The created load balancer, if any. */
  readonly loadBalancer?: ServiceLoadBalancer;
  /** URL of the service through the created load balancer, if any. */
  readonly url?: string;
  /** Autoscaling, if configured. */
  readonly scaling?: ServiceScaling;
  /** The alarms, unless turned off. */
  readonly alarms?: ServiceAlarms;
  /** The dashboard, unless turned off. */
  readonly dashboard?: ServiceDashboard;
  /** The saved Logs Insights queries, unless turned off. */
  readonly queryDefinitions?: EmfQueryDefinitions;

  constructor(scope: Construct, id: string, props: EmfFargateServiceProps) {
    super(scope, id);
    const settings = resolveServiceSettings(props);
    const { serviceName, containerPort, taskCpu, taskMemoryMiB, enableExecuteCommand } = settings;

    const problems = new Problems();
    checkEmfFargateServiceProps(problems, settings);

    const region = new DataAwsRegion(this, "Region");
    const logGroup = new CloudwatchLogGroup(this, "Logs", {
      name: settings.logGroupName,
      retentionInDays: settings.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
      tags: props.tags,
    });
    const emfLogGroup = new CloudwatchLogGroup(this, "EmfLogs", {
      name: settings.emf.logGroupName,
      retentionInDays: settings.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
      tags: props.tags,
    });
    const logConfiguration: LogConfiguration = {
      logDriver: "awslogs",
      options: {
        "awslogs-group": logGroup.name,
        "awslogs-region": region.name,
        "awslogs-stream-prefix": "ecs",
        mode: "non-blocking",
        "max-buffer-size": "4m",
      },
    };
    this.agent = new CloudWatchAgentSidecar(this, "Agent", {
      ...props.agent,
      logConfiguration,
      tags: props.tags,
    });

    let image = props.imageUri ?? "";
    if (props.imageTag !== undefined) {
      const repository = new EcrRepository(this, "Repository", {
        name: settings.repositoryName,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: props.kmsKeyArn
          ? [{ encryptionType: "KMS", kmsKey: props.kmsKeyArn }]
          : [{ encryptionType: "AES256" }],
        tags: props.tags,
      });
      this.repositoryUrl = repository.repositoryUrl;
      image = `${repository.repositoryUrl}:${props.imageTag}`;
    }
    this.image = image;

    // The app and the infrastructure read the metric settings from here only, so the log group and
    // namespace in the environment cannot disagree with the ones alarms and queries use.
    this.emf = { ...settings.emf, logGroupName: emfLogGroup.name };
    const app = appContainer({
      ...settings,
      name: settings.containerName,
      image,
      cpu: settings.appCpu,
      memoryMiB: settings.appMemoryMiB,
      port: containerPort,
      emf: this.emf,
      logConfiguration,
      startsAfter: this.agent.container.name,
      execVolumes: enableExecuteCommand && settings.readonlyRootFilesystem,
    });
    this.containers = [app.container, this.agent.container];
    this.exemptChosenOptOuts(settings, app.container);
    // The app image was judged as imageUri/imageTag above and the agent's by the sidecar, each with its own flag.
    checkContainers(problems, this.containers, {
      cpu: taskCpu,
      memoryMiB: taskMemoryMiB,
      allowLatestImage: settings.allowLatestImage,
      imagesChecked: this.containers.map((c) => c.name),
    });
    problems.throwIfAny(this.node.path);

    const roles = new ServiceRoles(this, "Roles", {
      serviceName,
      emfLogGroupArn: emfLogGroup.arn,
      secrets: [
        ...props.secrets,
        { name: "CW_CONFIG_CONTENT", valueFrom: this.agent.parameterArn, store: "ssm" },
      ],
      kmsKeyArn: props.kmsKeyArn,
      enableExecuteCommand,
      taskRoleStatements: props.taskRoleStatements,
      tags: props.tags,
    });
    this.executionRole = roles.executionRole;
    this.taskRole = roles.taskRole;
    const task = new ServiceTaskDefinition(this, "TaskDefinition", {
      family: serviceName,
      containers: this.containers,
      executionRoleArn: roles.executionRole.arn,
      taskRoleArn: roles.taskRole.arn,
      cpu: taskCpu,
      memoryMiB: taskMemoryMiB,
      cpuArchitecture: props.cpuArchitecture,
      volumes: app.volumes,
      ephemeralStorageGiB: props.ephemeralStorageGiB,
      imagesChecked: this.containers.map((c) => c.name),
      allowLatestImage: settings.allowLatestImage,
      tags: props.tags,
    });
    this.taskDefinition = task.resource;
    this.taskDefinitionFamily = task.resource.family;
    this.keepFormerAddresses(roles, task.resource);

    const { loadBalancer, target } = this.createFrontDoor(settings);
    this.loadBalancer = loadBalancer;
    this.url = loadBalancer?.url;

    if (props.alarms !== false) {
      this.alarms = new ServiceAlarms(this, "Alarms", {
        ...props.alarms,
        name: serviceName,
        namespace: this.emf.namespace,
        topicKmsKeyArn: props.alarms?.topicKmsKeyArn ?? props.kmsKeyArn,
        tags: props.tags,
      });
    }
    // Id "Default" keeps the service, its security group and cluster at the addresses they had when
    // they were children of this construct.
    const service = new FargateService(this, "Default", {
      serviceName,
      taskDefinitionArn: task.resource.arn,
      vpcId: props.vpcId,
      subnetIds: props.subnetIds,
      containerPort,
      existingCluster: props.existingCluster,
      containerInsights: props.containerInsights,
      desiredCount: settings.desiredCount,
      ignoreDesiredCountChanges: props.autoScaling !== undefined,
      assignPublicIp: props.assignPublicIp,
      ingressCidrs: settings.ingressCidrs,
      ingressSecurityGroupIds: props.ingressSecurityGroupIds,
      extraSecurityGroupIds: props.extraSecurityGroupIds,
      loadBalancer: target,
      deploymentAlarmNames: [this.alarms?.latencyP99, this.alarms?.errorRate].flatMap((a) =>
        a ? [a.alarmName] : [],
      ),
      deployment: props.deployment,
      circuitBreakerRollback: props.circuitBreakerRollback,
      capacityProviderStrategy: props.capacityProviderStrategy,
      enableExecuteCommand,
      platformVersion: props.platformVersion,
      tags: props.tags,
    });
    this.loadBalancer?.allowTargetsIn(service.securityGroupId);
    this.service = service.resource;
    this.serviceName = service.resource.name;
    this.clusterArn = service.clusterArn;
    this.clusterName = service.clusterName;
    this.securityGroupId = service.securityGroupId;
    this.logGroupName = logGroup.name;
    this.emfLogGroupName = emfLogGroup.name;

    if (props.autoScaling) {
      this.scaling = new ServiceScaling(this, "Scaling", {
        ...props.autoScaling,
        clusterName: this.clusterName,
        serviceName: this.serviceName,
        name: serviceName,
        namespace: this.emf.namespace,
        requestCountResourceLabel: this.loadBalancer?.requestCountResourceLabel,
        tags: props.tags,
      });
    }
    if (props.dashboard ?? true) {
      this.dashboard = new ServiceDashboard(this, "Dashboard", {
        name: serviceName,
        namespace: this.emf.namespace,
        region: region.name,
        clusterName: this.clusterName,
        // The name, not the service resource: a new image must not touch the dashboard.
        serviceName,
        errorRateMinRequests: props.alarms ? props.alarms.errorRateMinRequests : undefined,
        alarmArns: this.alarms?.alarms.map((alarm) => alarm.arn),
      });
    }
    if (props.queryDefinitions ?? true) {
      this.queryDefinitions = new EmfQueryDefinitions(this, "Queries", {
        folder: serviceName,
        logGroupName: emfLogGroup.name,
      });
    }
  }

  /** The front door the props ask for, and the target group the service registers with. */
  private createFrontDoor(props: ResolvedServiceSettings): {
    loadBalancer?: ServiceLoadBalancer;
    target?: LoadBalancerTarget;
  } {
    const { healthCheckPath, containerName, containerPort } = props;
    const door = props.loadBalancer ?? {};
    if (door.create) {
      const loadBalancer = new ServiceLoadBalancer(this, "LoadBalancer", {
        ...door.create,
        healthCheck: { ...door.create.healthCheck, path: healthCheckPath },
        defaultName: props.serviceName,
        defaultSubnetIds: props.subnetIds,
        vpcId: props.vpcId,
        targetPort: containerPort,
        tags: props.tags,
      });
      const target = {
        targetGroupArn: loadBalancer.targetGroup.resource.arn,
        securityGroupId: loadBalancer.securityGroupId,
        dependsOn: loadBalancer.listeners,
        containerName,
        containerPort,
      };
      return { loadBalancer, target };
    }
    if (door.existingListener) {
      const { securityGroupId, healthCheck, deregistrationDelaySeconds, ...rule } = door.existingListener;
      const targets = new ServiceTargetGroup(this, "Targets", {
        vpcId: props.vpcId,
        port: containerPort,
        healthCheck: { ...healthCheck, path: healthCheckPath },
        deregistrationDelaySeconds,
        listenerRule: rule,
        tags: props.tags,
      });
      const dependsOn = targets.listenerRule ? [targets.listenerRule] : [];
      return {
        target: {
          targetGroupArn: targets.resource.arn,
          securityGroupId,
          dependsOn,
          containerName,
          containerPort,
        },
      };
    }
    if (door.existingTargetGroup)
      return { target: { ...door.existingTargetGroup, containerName, containerPort } };
    return {};
  }

  /** Resources that lived directly in this construct before it was split up keep their state. */
  private keepFormerAddresses(roles: ServiceRoles, taskDefinition: EcsTaskDefinition): void {
    for (const [resource, formerId] of [
      [roles.executionRole, "ExecutionRole"],
      [roles.node.findChild("ExecutionRoleManaged"), "ExecutionRoleManaged"],
      [roles.node.findChild("ExecutionRoleSecrets"), "ExecutionRoleSecrets"],
      [roles.taskRole, "TaskRole"],
      [roles.node.tryFindChild("TaskRoleExec"), "TaskRoleExec"],
      [taskDefinition, "TaskDefinition"],
    ] as const) {
      if (resource) movedFrom(resource as TerraformResource, this, formerId);
    }
  }

  /** Opt-outs the user chose, and the agent image's own needs, are warnings under SecurityPolicyChecks. */
  private exemptChosenOptOuts(
    options: {
      readonly allowLatestImage: boolean;
      readonly allowIngressFromAnywhere: boolean;
      readonly agent?: { readonly allowLatestImage?: boolean };
    },
    app: ContainerDefinition,
  ): void {
    const agent = { container: this.agent.container.name };
    exemptFromPolicy(
      this,
      "read-only-root",
      "the CloudWatch agent image writes its generated configuration",
      agent,
    );
    exemptFromPolicy(this, "non-root-user", "the CloudWatch agent image runs as root", agent);
    if (!app.readonlyRootFilesystem)
      exemptFromPolicy(this, "read-only-root", "readonlyRootFilesystem: false was set", {
        container: app.name,
      });
    if (options.allowIngressFromAnywhere)
      exemptFromPolicy(this, "no-open-ingress", "allowIngressFromAnywhere was set");
    if (options.allowLatestImage)
      exemptFromPolicy(this, "pinned-images", "allowLatestImage was set", { container: app.name });
    if (options.agent?.allowLatestImage)
      exemptFromPolicy(this, "pinned-images", "agent.allowLatestImage was set", agent);
  }
}
