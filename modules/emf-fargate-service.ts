import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import type { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import type { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Construct } from "constructs";
import { keepFormerServiceAddresses } from "./addresses";
import { appContainer, type EmfSettings } from "./app-container";
import type { CloudWatchAgentSidecar, CloudWatchAgentSidecarProps } from "./cloudwatch-agent-sidecar";
import type { ContainerDefinition, HealthCheck } from "./container-definition";
import { checkEmfFargateServiceProps, resolveServiceSettings } from "./emf-fargate-service-settings";
import { EmfQueryDefinitions } from "./emf-query-definitions";
import { type CapacityProviderShare, type DeploymentOptions, FargateService } from "./fargate-service";
import { exemptFromPolicy } from "./security-policy";
import { ServiceAlarms, type ServiceAlarmsProps } from "./service-alarms";
import { ServiceDashboard } from "./service-dashboard";
import { createFrontDoor, type FrontDoorOptions } from "./service-front-door";
import type { ServiceLoadBalancer } from "./service-load-balancer";
import { createServiceLogging } from "./service-logging";
import { ServiceRoles, type TaskRoleStatement } from "./service-roles";
import { type ScalingOptions, ServiceScaling } from "./service-scaling";
import { resolveSecrets, type ServiceSecret } from "./service-secrets";
import { ServiceTaskDefinition } from "./service-task-definition";
import { checkContainers, invalidProps, Problems } from "./validation";

export type { EmfSettings } from "./app-container";
export { LOG_RETENTION_DAYS } from "./emf-fargate-service-settings";
export type { FrontDoorOptions } from "./service-front-door";
export type { SecretReference, ServiceSecret } from "./service-secrets";

/** Props of {@link EmfFargateService}. */
export interface EmfFargateServiceProps {
  /** Name of the ECS service; also the task family, the app container's default name and the EMF service name. */
  readonly serviceName: string;
  /** VPC of the service. */
  readonly vpcId: string;
  /** Subnets the tasks run in. */
  readonly subnetIds: string[];
  /**
   * The app container's health check, run by ECS inside the container: the image must contain what the
   * command runs. `false` for none (ECS ignores a HEALTHCHECK in the image): ECS then reports the container's
   * health as UNKNOWN and replaces a task only when an essential container exits; with a load balancer, its
   * target-group check on `healthCheckPath` still takes failing tasks out of service and has ECS replace them;
   * without one, nothing notices a hung process.
   */
  readonly healthCheck: HealthCheck | false;
  /**
   * Variables the app container reads from SSM parameters or Secrets Manager secrets (created or existing,
   * by name or ARN; see ServiceSecret), e.g. `AppParameters.secrets`. Names become exact ARNs, the same in
   * the task definition and in the execution role's policy.
   * @default - none
   */
  readonly secrets?: readonly ServiceSecret[];
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
  /** Port the app listens on; also passed as `PORT`, a convention images that ignore it are unaffected by. @default 5000 */
  readonly containerPort?: number;
  /**
   * The app's own plain variables (configuration the image reads). The construct sets `PORT` and the
   * `AWS_EMF_*` variables itself; neither may be set here.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Path the load balancer's target-group health check requests (with a front door). @default "/health" */
  readonly healthCheckPath?: string;
  /** Seconds between SIGTERM and SIGKILL for the app: its deadline to finish requests and flush metrics. @default 30 */
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
 * An HTTP service of any image on ECS Fargate with the CloudWatch agent as a sidecar receiving Embedded
 * Metric Format: log groups, image, roles, task definition, the ECS service, optionally a load balancer and
 * autoscaling, and alarms, dashboard and queries read from the same metric contract. The app container gets
 * `PORT`, the `AWS_EMF_*` variables, its `environment` and its `secrets`; everything else about the app
 * (its own settings, its health check) is the caller's.
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

    const logging = createServiceLogging(this, {
      logGroupName: settings.logGroupName,
      emf: settings.emf,
      retentionDays: settings.logRetentionDays,
      kmsKeyArn: props.kmsKeyArn,
      agent: props.agent,
      tags: props.tags,
    });
    const { region, logGroup, emfLogGroup, logConfiguration } = logging;
    this.agent = logging.agent;
    this.emf = logging.emf;

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

    const secrets = resolveSecrets(this, { secrets: settings.secrets, sameAccountArn: emfLogGroup.arn });
    const app = appContainer({
      ...settings,
      secrets,
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
    problems.throwIfAny(invalidProps(this));

    const roles = new ServiceRoles(this, "Roles", {
      serviceName,
      emfLogGroupArn: emfLogGroup.arn,
      secrets: [...secrets, ...this.agent.secrets],
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
    keepFormerServiceAddresses(this, roles, task.resource);

    const { loadBalancer, target } = createFrontDoor(this, {
      ...settings,
      options: settings.loadBalancer ?? {},
    });
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

  /** Opt-outs the user chose are warnings under SecurityPolicyChecks. */
  private exemptChosenOptOuts(
    options: { readonly allowLatestImage: boolean; readonly allowIngressFromAnywhere: boolean },
    app: ContainerDefinition,
  ): void {
    if (!app.readonlyRootFilesystem)
      exemptFromPolicy(this, "read-only-root", "readonlyRootFilesystem: false was set", {
        container: app.name,
      });
    if (options.allowIngressFromAnywhere)
      exemptFromPolicy(this, "no-open-ingress", "allowIngressFromAnywhere was set");
    if (options.allowLatestImage)
      exemptFromPolicy(this, "pinned-images", "allowLatestImage was set", { container: app.name });
  }
}
