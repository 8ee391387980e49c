import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition, type EcsTaskDefinitionVolume } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Fn, Op, Token } from "cdktf";
import { Construct } from "constructs";
import { AGENT_EMF_PORT, EMF_SERVICE_TYPE } from "../contract/metrics";
import type { ServiceSecret } from "./app-parameters";
import { CloudWatchAgentSidecar, type CloudWatchAgentSidecarProps } from "./cloudwatch-agent-sidecar";
import {
  type ContainerDefinition,
  type HealthCheck,
  type LogConfiguration,
  type MountPoint,
  renderContainerDefinitions,
} from "./container-definition";
import { EmfQueryDefinitions } from "./emf-query-definitions";
import { exemptFromPolicy } from "./security-policy";
import { ServiceAlarms, type ServiceAlarmsProps } from "./service-alarms";
import { ServiceDashboard } from "./service-dashboard";
import {
  checkContainers,
  checkFargateSize,
  checkImagePinned,
  checkIntRange,
  checkLogGroupName,
  checkNamespace,
  isIpv4Cidr,
  isKnown,
  Problems,
  show,
} from "./validation";

/** Retention values CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** How the app publishes metrics: `off` installs no middleware. */
export type MetricsMode = "off" | "aggregate" | "request";

/** The metric settings the app container and the rest of the stack share. */
export interface EmfSettings {
  /** CloudWatch namespace of the service's metrics. */
  readonly namespace: string;
  /** Log group the agent writes EMF documents to (`_aws.LogGroupName`). */
  readonly logGroupName: string;
  /** Log stream of the EMF documents. */
  readonly logStreamName: string;
  /** `ServiceName` the documents carry. */
  readonly serviceName: string;
  /** Agent endpoint as the app sees it. */
  readonly agentEndpoint: string;
  /** How the app publishes. */
  readonly mode: MetricsMode;
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
  /** Existing cluster to run in. @default - a cluster named after the service is created */
  readonly existingCluster?: { readonly arn: string; readonly name: string };
  /** Turn on Container Insights for a created cluster. @default false */
  readonly containerInsights?: boolean;
  /** Number of tasks. @default 1 */
  readonly desiredCount?: number;
  /** Task CPU units (Fargate table). @default 512 */
  readonly taskCpu?: number;
  /** Task memory in MiB (Fargate table). @default 1024 */
  readonly taskMemoryMiB?: number;
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
  /**
   * App container health check.
   * @default - `node` fetches http://127.0.0.1:<port>/health (no curl needed in the image)
   */
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
  /** CIDR blocks admitted to the container port. @default - none */
  readonly ingressCidrs?: readonly string[];
  /** Security groups admitted to the container port (e.g. a load balancer's). @default - none */
  readonly ingressSecurityGroupIds?: readonly string[];
  /** Accept 0.0.0.0/0 in `ingressCidrs`. @default false */
  readonly allowIngressFromAnywhere?: boolean;
  /** Give tasks public IPs (needed in public subnets without NAT). @default false */
  readonly assignPublicIp?: boolean;
  /** Turn on ECS Exec; with a read-only root, writable volumes are mounted for the SSM agent. @default false */
  readonly enableExecuteCommand?: boolean;
  /** Roll back deployments whose tasks fail to start. @default true */
  readonly circuitBreakerRollback?: boolean;
  /** Fargate platform version. @default "1.4.0" */
  readonly platformVersion?: string;
  /**
   * Alarms on the EMF metrics, notifying an SNS topic; `false` for none.
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

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const EXEC_PATHS = ["/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"];

/**
 * A Koa (or any HTTP) service on ECS Fargate with the CloudWatch agent as a sidecar receiving
 * Embedded Metric Format: task definition, roles, log groups, ECR repository, cluster, security group
 * and service, with the app's EMF environment derived from one {@link EmfSettings}.
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
  /** The alarms, unless turned off. */
  readonly alarms?: ServiceAlarms;
  /** The dashboard, unless turned off. */
  readonly dashboard?: ServiceDashboard;
  /** The saved Logs Insights queries, unless turned off. */
  readonly queryDefinitions?: EmfQueryDefinitions;

  constructor(scope: Construct, id: string, props: EmfFargateServiceProps) {
    super(scope, id);
    const serviceName = props.serviceName;
    const environmentName = props.environmentName ?? "prod";
    const allowLatestImage = props.allowLatestImage ?? false;
    const repositoryName = props.repositoryName ?? serviceName.toLowerCase();
    const desiredCount = props.desiredCount ?? 1;
    const taskCpu = props.taskCpu ?? 512;
    const taskMemoryMiB = props.taskMemoryMiB ?? 1024;
    const cpuArchitecture = props.cpuArchitecture ?? "X86_64";
    const containerName = props.containerName ?? serviceName;
    const appCpu = props.appCpu ?? 256;
    const appMemoryMiB = props.appMemoryMiB ?? 512;
    const containerPort = props.containerPort ?? 5000;
    const stopTimeoutSeconds = props.stopTimeoutSeconds ?? 30;
    const readonlyRootFilesystem = props.readonlyRootFilesystem ?? true;
    const user = props.user ?? "1000:1000";
    const logGroupName = props.logGroupName ?? `/ecs/${serviceName}`;
    const logRetentionDays = props.logRetentionDays ?? 30;
    const ingressCidrs = props.ingressCidrs ?? [];
    const ingressSecurityGroupIds = props.ingressSecurityGroupIds ?? [];
    const allowIngressFromAnywhere = props.allowIngressFromAnywhere ?? false;
    const assignPublicIp = props.assignPublicIp ?? false;
    const enableExecuteCommand = props.enableExecuteCommand ?? false;
    const circuitBreakerRollback = props.circuitBreakerRollback ?? true;
    const platformVersion = props.platformVersion ?? "1.4.0";
    const containerInsights = props.containerInsights ?? false;
    const healthCheck = props.healthCheck ?? defaultHealthCheck(containerPort);
    const databaseSslMode = props.databaseSslMode ?? "no-verify";
    const emfSettings: EmfSettings = {
      namespace: props.metrics?.namespace ?? serviceName,
      logGroupName: props.metrics?.logGroupName ?? `/ecs/${serviceName}/emf`,
      logStreamName: props.metrics?.logStreamName ?? serviceName,
      serviceName,
      agentEndpoint: `tcp://127.0.0.1:${AGENT_EMF_PORT}`,
      mode: props.metrics?.mode ?? "aggregate",
    };

    const problems = new Problems();
    problems.check(
      isKnown(serviceName) && !SERVICE_NAME.test(serviceName),
      `serviceName ${show(serviceName)} is not an ECS service name; allowed: 1-255 letters, digits, hyphens and underscores, starting with a letter or digit`,
    );
    problems.check(
      (props.imageUri === undefined) === (props.imageTag === undefined),
      `imageUri ${show(props.imageUri)} and imageTag ${show(props.imageTag)}: allowed: exactly one of them`,
    );
    if (props.imageUri !== undefined)
      checkImagePinned(problems, "imageUri", props.imageUri, allowLatestImage);
    if (props.imageTag !== undefined) {
      problems.check(
        isKnown(repositoryName) &&
          (!ECR_REPOSITORY.test(repositoryName) || repositoryName.length < 2 || repositoryName.length > 256),
        `repositoryName ${show(repositoryName)} is not an ECR repository name; allowed: 2-256 lowercase letters, digits and . _ - separators, with / between path parts`,
      );
    }
    if (props.imageTag !== undefined && isKnown(props.imageTag)) {
      problems.check(
        !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(props.imageTag),
        `imageTag ${show(props.imageTag)} is not an image tag; allowed: up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -`,
      );
      problems.check(
        props.imageTag === "latest" && !allowLatestImage,
        `imageTag "latest" is not pinned; allowed: a version tag (set allowLatestImage to accept "latest")`,
      );
    }
    checkFargateSize(problems, "taskCpu", taskCpu, "taskMemoryMiB", taskMemoryMiB);
    checkIntRange(problems, "desiredCount", desiredCount, 0, 5000);
    checkIntRange(problems, "containerPort", containerPort, 1, 65535);
    problems.check(
      containerPort === AGENT_EMF_PORT,
      `containerPort ${containerPort} is the agent's EMF port; allowed: any port but ${AGENT_EMF_PORT}`,
    );
    problems.check(
      isKnown(logRetentionDays) && !(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays),
      `logRetentionDays ${show(logRetentionDays)} is not a CloudWatch Logs retention; allowed: ${LOG_RETENTION_DAYS.join(", ")}`,
    );
    checkLogGroupName(problems, "logGroupName", logGroupName);
    checkLogGroupName(problems, "metrics.logGroupName", emfSettings.logGroupName);
    checkNamespace(problems, "metrics.namespace", emfSettings.namespace);
    problems.check(
      !["disable", "no-verify", "require", "verify-full"].includes(databaseSslMode),
      `databaseSslMode ${show(databaseSslMode)} is not a PGSSLMODE; allowed: disable, no-verify, require, verify-full`,
    );
    problems.check(
      !["off", "aggregate", "request"].includes(emfSettings.mode),
      `metrics.mode ${show(emfSettings.mode)} is not a metrics mode; allowed: off, aggregate, request`,
    );
    for (const cidr of ingressCidrs) {
      if (!isKnown(cidr)) continue;
      problems.check(
        !isIpv4Cidr(cidr),
        `ingressCidrs ${show(cidr)} is not an IPv4 CIDR; allowed: e.g. "10.0.0.0/16"`,
      );
      problems.check(
        cidr === "0.0.0.0/0" && !allowIngressFromAnywhere,
        `ingressCidrs "0.0.0.0/0" opens port ${containerPort} to the internet; allowed: narrower CIDRs, or set allowIngressFromAnywhere`,
      );
    }
    problems.check(props.subnetIds.length === 0, `subnetIds [] is empty; allowed: at least one subnet`);
    const names = new Set(props.secrets.map((s) => s.name));
    for (const reserved of ["PORT", "ENV_TYPE", "METRICS_MODE", "SHUTDOWN_TIMEOUT_MS", "PGSSLMODE"]) {
      problems.check(
        props.environment?.[reserved] !== undefined,
        `environment.${reserved} is set by the construct; allowed: the construct's own prop for it`,
      );
    }
    const host = props.environment?.HOST;
    problems.check(
      isKnown(host) && host !== "0.0.0.0" && host !== "::",
      `environment.HOST ${show(host)} would hide the app from ingress on the task's address and from its health check; allowed: unset, "0.0.0.0" or "::" (all interfaces)`,
    );
    for (const name of Object.keys(props.environment ?? {})) {
      problems.check(
        name.startsWith("AWS_EMF_"),
        `environment.${name} would disagree with the stack's metric settings; allowed: the metrics prop`,
      );
      problems.check(names.has(name), `environment.${name} is also a secret; allowed: each variable once`);
    }

    const partition = new DataAwsPartition(this, "Partition");
    const region = new DataAwsRegion(this, "Region");

    const logGroup = new CloudwatchLogGroup(this, "Logs", {
      name: logGroupName,
      retentionInDays: logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
      tags: props.tags,
    });
    const emfLogGroup = new CloudwatchLogGroup(this, "EmfLogs", {
      name: emfSettings.logGroupName,
      retentionInDays: logRetentionDays,
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

    const agent = new CloudWatchAgentSidecar(this, "Agent", {
      ...props.agent,
      logConfiguration,
      tags: props.tags,
    });
    this.agent = agent;

    let image = props.imageUri ?? "";
    if (props.imageTag !== undefined) {
      const repository = new EcrRepository(this, "Repository", {
        name: repositoryName,
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
    const emf: EmfSettings = { ...emfSettings, logGroupName: emfLogGroup.name };
    this.emf = emf;
    // The app must finish before ECS's SIGKILL: its deadline is the stop timeout less 5 s (at least 1 s).
    const shutdownTimeoutMs = isKnown(stopTimeoutSeconds)
      ? String(Math.max(1000, stopTimeoutSeconds * 1000 - 5000))
      : Token.asString(Fn.max([1000, Op.sub(Op.mul(stopTimeoutSeconds, 1000), 5000)]));
    const environment: Record<string, string> = {
      PORT: String(containerPort),
      ENV_TYPE: environmentName,
      METRICS_MODE: emf.mode,
      SHUTDOWN_TIMEOUT_MS: shutdownTimeoutMs,
      PGSSLMODE: databaseSslMode,
      AWS_EMF_AGENT_ENDPOINT: emf.agentEndpoint,
      AWS_EMF_SERVICE_NAME: emf.serviceName,
      AWS_EMF_SERVICE_TYPE: EMF_SERVICE_TYPE,
      AWS_EMF_LOG_GROUP_NAME: emf.logGroupName,
      AWS_EMF_LOG_STREAM_NAME: emf.logStreamName,
      AWS_EMF_NAMESPACE: emf.namespace,
      ...props.environment,
    };

    const execVolumes = enableExecuteCommand && readonlyRootFilesystem;
    const mountPoints: MountPoint[] = execVolumes
      ? EXEC_PATHS.map((containerPath) => ({ sourceVolume: volumeName(containerPath), containerPath }))
      : [];
    const app: ContainerDefinition = {
      name: containerName,
      image,
      cpu: appCpu,
      memory: appMemoryMiB,
      essential: true,
      portMappings: [{ containerPort, hostPort: containerPort, protocol: "tcp" }],
      environment: Object.entries(environment).map(([name, value]) => ({ name, value })),
      secrets: props.secrets.map(({ name, valueFrom }) => ({ name, valueFrom })),
      logConfiguration,
      dependsOn: [{ containerName: agent.container.name, condition: "START" }],
      healthCheck,
      linuxParameters: { initProcessEnabled: true },
      stopTimeout: stopTimeoutSeconds,
      readonlyRootFilesystem,
      user,
      ...(mountPoints.length > 0 ? { mountPoints } : {}),
    };
    this.containers = [app, agent.container];
    // Opt-outs the user chose, and the agent image's own needs, are warnings under SecurityPolicyChecks.
    exemptFromPolicy(
      this,
      "read-only-root",
      "the CloudWatch agent image writes its generated configuration",
      {
        container: agent.container.name,
      },
    );
    exemptFromPolicy(this, "non-root-user", "the CloudWatch agent image runs as root", {
      container: agent.container.name,
    });
    if (!readonlyRootFilesystem) {
      exemptFromPolicy(this, "read-only-root", "readonlyRootFilesystem: false was set", {
        container: app.name,
      });
    }
    if (allowIngressFromAnywhere)
      exemptFromPolicy(this, "no-open-ingress", "allowIngressFromAnywhere was set");
    if (allowLatestImage)
      exemptFromPolicy(this, "pinned-images", "allowLatestImage was set", { container: app.name });
    if (props.agent?.allowLatestImage) {
      exemptFromPolicy(this, "pinned-images", "agent.allowLatestImage was set", {
        container: agent.container.name,
      });
    }
    // The app image was judged as imageUri/imageTag above and the agent's by the sidecar, each with its own flag.
    checkContainers(problems, this.containers, {
      cpu: taskCpu,
      memoryMiB: taskMemoryMiB,
      allowLatestImage,
      imagesChecked: [app.name, agent.container.name],
    });
    problems.throwIfAny(this.node.path);

    const assumeByEcsTasks = new DataAwsIamPolicyDocument(this, "AssumeByEcsTasks", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["ecs-tasks.amazonaws.com"] }],
        },
      ],
    });
    const managedPolicy = (name: string) => `arn:${partition.partition}:iam::aws:policy/${name}`;

    this.executionRole = new IamRole(this, "ExecutionRole", {
      namePrefix: `${serviceName.slice(0, 20)}-exec-`,
      description: `ECS execution role of ${serviceName}: image pull, logs, secrets`,
      assumeRolePolicy: assumeByEcsTasks.json,
      tags: props.tags,
    });
    new IamRolePolicyAttachment(this, "ExecutionRoleManaged", {
      role: this.executionRole.name,
      policyArn: managedPolicy("service-role/AmazonECSTaskExecutionRolePolicy"),
    });
    const allSecrets = [
      ...props.secrets,
      { name: "CW_CONFIG_CONTENT", valueFrom: agent.parameterArn, store: "ssm" },
    ];
    const ssmArns = allSecrets.filter((s) => s.store === "ssm").map((s) => s.valueFrom);
    const secretsManagerArns = [
      ...new Set(allSecrets.filter((s) => s.store === "secretsmanager").map((s) => secretArnOf(s.valueFrom))),
    ];
    const readSecrets = new DataAwsIamPolicyDocument(this, "ReadSecrets", {
      statement: [
        { sid: "ReadParameters", actions: ["ssm:GetParameters"], resources: ssmArns },
        ...(secretsManagerArns.length > 0
          ? [
              {
                sid: "ReadSecrets",
                actions: ["secretsmanager:GetSecretValue"],
                resources: secretsManagerArns,
              },
            ]
          : []),
        ...(props.kmsKeyArn
          ? [{ sid: "DecryptWithKey", actions: ["kms:Decrypt"], resources: [props.kmsKeyArn] }]
          : []),
      ],
    });
    new IamRolePolicy(this, "ExecutionRoleSecrets", {
      name: "read-task-secrets",
      role: this.executionRole.id,
      policy: readSecrets.json,
    });

    this.taskRole = new IamRole(this, "TaskRole", {
      namePrefix: `${serviceName.slice(0, 20)}-task-`,
      description: `ECS task role of ${serviceName}: the CloudWatch agent publishes EMF`,
      assumeRolePolicy: assumeByEcsTasks.json,
      tags: props.tags,
    });
    new IamRolePolicyAttachment(this, "TaskRoleAgent", {
      role: this.taskRole.name,
      policyArn: managedPolicy("CloudWatchAgentServerPolicy"),
    });
    if (enableExecuteCommand) {
      // Session Manager's data channel actions do not support resource-level permissions.
      const exec = new DataAwsIamPolicyDocument(this, "ExecuteCommand", {
        statement: [
          {
            actions: [
              "ssmmessages:CreateControlChannel",
              "ssmmessages:CreateDataChannel",
              "ssmmessages:OpenControlChannel",
              "ssmmessages:OpenDataChannel",
            ],
            resources: ["*"],
          },
        ],
      });
      new IamRolePolicy(this, "TaskRoleExec", {
        name: "ecs-exec",
        role: this.taskRole.id,
        policy: exec.json,
      });
    }

    const volumes: EcsTaskDefinitionVolume[] = mountPoints.map((m) => ({ name: m.sourceVolume }));
    this.taskDefinition = new EcsTaskDefinition(this, "TaskDefinition", {
      family: serviceName,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(taskCpu),
      memory: String(taskMemoryMiB),
      executionRoleArn: this.executionRole.arn,
      taskRoleArn: this.taskRole.arn,
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture },
      containerDefinitions: renderContainerDefinitions(this.containers),
      volume: volumes.length > 0 ? volumes : undefined,
      tags: props.tags,
    });
    this.taskDefinitionFamily = this.taskDefinition.family;

    if (props.existingCluster) {
      this.clusterArn = props.existingCluster.arn;
      this.clusterName = props.existingCluster.name;
    } else {
      const cluster = new EcsCluster(this, "Cluster", {
        name: serviceName,
        setting: [{ name: "containerInsights", value: containerInsights ? "enabled" : "disabled" }],
        tags: props.tags,
      });
      this.clusterArn = cluster.arn;
      this.clusterName = cluster.name;
    }

    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${serviceName}-`,
      description: `Tasks of ${serviceName}`,
      vpcId: props.vpcId,
      tags: props.tags,
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = securityGroup.id;
    ingressCidrs.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `IngressCidr${i}`, {
        securityGroupId: securityGroup.id,
        description: `${serviceName} port from ${cidr}`,
        ipProtocol: "tcp",
        fromPort: containerPort,
        toPort: containerPort,
        cidrIpv4: cidr,
      });
    });
    ingressSecurityGroupIds.forEach((groupId, i) => {
      new VpcSecurityGroupIngressRule(this, `IngressGroup${i}`, {
        securityGroupId: securityGroup.id,
        description: `${serviceName} port from a security group`,
        ipProtocol: "tcp",
        fromPort: containerPort,
        toPort: containerPort,
        referencedSecurityGroupId: groupId,
      });
    });
    // Tasks pull images and read secrets over HTTPS and reach the database; outbound stays open as in
    // the default security group, inbound is what the props admit.
    new VpcSecurityGroupEgressRule(this, "Egress", {
      securityGroupId: securityGroup.id,
      description: "All outbound",
      ipProtocol: "-1",
      cidrIpv4: "0.0.0.0/0",
    });

    this.service = new EcsService(this, "Resource", {
      name: serviceName,
      cluster: this.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount,
      launchType: "FARGATE",
      platformVersion,
      networkConfiguration: {
        subnets: props.subnetIds,
        securityGroups: [securityGroup.id],
        assignPublicIp,
      },
      deploymentCircuitBreaker: { enable: true, rollback: circuitBreakerRollback },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      enableExecuteCommand,
      enableEcsManagedTags: true,
      propagateTags: "SERVICE",
      tags: props.tags,
    });
    this.serviceName = this.service.name;
    this.logGroupName = logGroup.name;
    this.emfLogGroupName = emfLogGroup.name;

    if (props.alarms !== false) {
      this.alarms = new ServiceAlarms(this, "Alarms", {
        ...props.alarms,
        name: serviceName,
        namespace: emf.namespace,
        topicKmsKeyArn: props.alarms?.topicKmsKeyArn ?? props.kmsKeyArn,
        tags: props.tags,
      });
    }
    if (props.dashboard ?? true) {
      this.dashboard = new ServiceDashboard(this, "Dashboard", {
        name: serviceName,
        namespace: emf.namespace,
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
}

/**
 * The secret's own ARN for IAM: ECS `valueFrom` may append `:json-key:version-stage:version-id`, which
 * no IAM resource matches.
 */
export function secretArnOf(valueFrom: string): string {
  if (!isKnown(valueFrom)) return valueFrom;
  return /^(arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:[^:]+)/.exec(valueFrom)?.[1] ?? valueFrom;
}

function volumeName(path: string): string {
  return `exec${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

/** A health check that needs only `node` in the image. */
export function defaultHealthCheck(port: number): HealthCheck {
  return {
    command: [
      "CMD",
      "node",
      "-e",
      `require("http").get("http://127.0.0.1:${port}/health",r=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))`,
    ],
    interval: 15,
    timeout: 5,
    retries: 3,
    startPeriod: 10,
  };
}
