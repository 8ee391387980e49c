/**
 * The settings of the koaapp stack: context key, environment variable, default and meaning of each, in the
 * order of the README's configuration table (the README test checks it against this list).
 */

import { DEFAULT_METRICS_MODE, DEFAULT_NAMESPACE, METRICS_MODES } from "../contract/metrics";

/** Most tasks the stack's task-count variables admit: a bound against typos, not an ECS limit. */
export const MAX_TASK_COUNT = 100;

/**
 * Ranges of the settings that are defaults of Terraform variables (`KoaAppVariables`). The constructs receive the
 * variables, which they cannot judge, so the configuration checks the defaults against the same ranges as the
 * variables' validation conditions; every other setting's range is the constructs' to check.
 */
export const VARIABLE_DEFAULT_RANGES = {
  desiredCount: { min: 0, max: MAX_TASK_COUNT },
  minCount: { min: 0, max: MAX_TASK_COUNT },
  maxCount: { min: 1, max: MAX_TASK_COUNT },
  scaleOutLatencyP99Ms: { min: 1, max: 60_000 },
  latencyP99ThresholdMs: { min: 1, max: 60_000 },
  errorRateThresholdPercent: { min: 0.01, max: 100 },
} as const;

/** One configuration setting: its context key, environment variable, and default. */
export interface Setting {
  readonly key: keyof Sources;
  readonly env: string;
  readonly description: string;
  readonly default: string;
}

/** Raw values of the settings, by key, as read from context or the environment. */
export type Sources = {
  region: string;
  serviceName: string;
  environmentName: string;
  imageTag: string;
  imageUri: string;
  desiredCount: string;
  taskCpu: string;
  taskMemoryMiB: string;
  appCpu: string;
  appMemoryMiB: string;
  namespace: string;
  metricsMode: string;
  logRetentionDays: string;
  ingressCidrs: string;
  vpcCidr: string;
  availabilityZones: string;
  vpcId: string;
  subnetIds: string;
  databaseSubnetIds: string;
  outbound: string;
  database: string;
  databaseInstanceClass: string;
  databaseDeletionProtection: string;
  existingParameters: string;
  backend: string;
  stateBucket: string;
  stateKey: string;
  stateRegion: string;
  latencyP99ThresholdMs: string;
  errorRateThresholdPercent: string;
  alarmTopicArn: string;
  loadBalancer: string;
  certificateArn: string;
  loadBalancerSubnetIds: string;
  healthCheckPath: string;
  idleTimeoutSeconds: string;
  deregistrationDelaySeconds: string;
  loadBalancerDeletionProtection: string;
  accessLogsBucket: string;
  minCount: string;
  maxCount: string;
  cpuTargetPercent: string;
  requestsPerTarget: string;
  scaleOutLatencyP99Ms: string;
  onDemandBase: string;
  onDemandWeight: string;
  spotWeight: string;
  waitForSteadyState: string;
  releasedBy: string;
  phase: string;
  agentImage: string;
};

/**
 * Every setting, in the order of the README's configuration table. Context keys go in cdktf.json's
 * `context`; environment variables win over context.
 */
export const SETTINGS: readonly Setting[] = [
  { key: "region", env: "KOAAPP_REGION", default: "eu-west-2", description: "AWS region" },
  {
    key: "serviceName",
    env: "KOAAPP_SERVICE_NAME",
    default: "koaapp",
    description: "ECS service, task family, ECR repository and log group names",
  },
  {
    key: "environmentName",
    env: "KOAAPP_ENVIRONMENT",
    default: "prod",
    description: "Environment name, passed to the app as ENV_TYPE",
  },
  {
    key: "imageTag",
    env: "KOAAPP_IMAGE_TAG",
    default: "0.1.0",
    description: "Default of the image_tag variable (ignored when imageUri is set)",
  },
  {
    key: "imageUri",
    env: "KOAAPP_IMAGE_URI",
    default: "",
    description: "Run this image instead of a created repository: default of the image_uri variable",
  },
  {
    key: "desiredCount",
    env: "KOAAPP_DESIRED_COUNT",
    default: "1",
    description: "Default of the desired_count variable",
  },
  { key: "taskCpu", env: "KOAAPP_TASK_CPU", default: "512", description: "Task CPU units (Fargate table)" },
  {
    key: "taskMemoryMiB",
    env: "KOAAPP_TASK_MEMORY_MIB",
    default: "1024",
    description: "Task memory in MiB (Fargate table)",
  },
  { key: "appCpu", env: "KOAAPP_APP_CPU", default: "256", description: "App container CPU units" },
  {
    key: "appMemoryMiB",
    env: "KOAAPP_APP_MEMORY_MIB",
    default: "512",
    description: "App container memory limit in MiB",
  },
  {
    key: "namespace",
    env: "KOAAPP_NAMESPACE",
    default: DEFAULT_NAMESPACE,
    description: "CloudWatch namespace of the metrics",
  },
  {
    key: "metricsMode",
    env: "KOAAPP_METRICS_MODE",
    default: DEFAULT_METRICS_MODE,
    description: `${METRICS_MODES.slice(0, -1).join(", ")} or ${METRICS_MODES.at(-1)}`,
  },
  {
    key: "logRetentionDays",
    env: "KOAAPP_LOG_RETENTION_DAYS",
    default: "30",
    description: "Days to keep container logs and EMF documents",
  },
  {
    key: "ingressCidrs",
    env: "KOAAPP_INGRESS_CIDRS",
    default: "",
    description:
      "Comma-separated CIDRs admitted to the load balancer's listeners (default: the internet for public, the VPC for internal); with loadBalancer=none, to port 5000 (default: the VPC)",
  },
  { key: "vpcCidr", env: "KOAAPP_VPC_CIDR", default: "10.0.0.0/16", description: "CIDR of the created VPC" },
  {
    key: "availabilityZones",
    env: "KOAAPP_AZS",
    default: "",
    description: "Comma-separated zones of the created VPC (default: <region>a,<region>b)",
  },
  { key: "vpcId", env: "KOAAPP_VPC_ID", default: "", description: "Existing VPC: no VPC is created" },
  {
    key: "subnetIds",
    env: "KOAAPP_SUBNET_IDS",
    default: "",
    description: "Existing subnets for the tasks (with vpcId)",
  },
  {
    key: "databaseSubnetIds",
    env: "KOAAPP_DB_SUBNET_IDS",
    default: "",
    description: "Existing private subnets for a created database (with vpcId)",
  },
  {
    key: "outbound",
    env: "KOAAPP_OUTBOUND",
    default: "",
    description:
      "With vpcId: how the tasks reach AWS — publicIp (public subnets), nat (private subnets with a NAT gateway) or vpcEndpoints (private subnets with VPC endpoints; images in private ECR)",
  },
  {
    key: "database",
    env: "KOAAPP_DATABASE",
    default: "create",
    description: "create (RDS PostgreSQL) or existing",
  },
  {
    key: "databaseInstanceClass",
    env: "KOAAPP_DB_INSTANCE_CLASS",
    default: "db.t4g.micro",
    description: "Instance class of a created database",
  },
  {
    key: "databaseDeletionProtection",
    env: "KOAAPP_DB_DELETION_PROTECTION",
    default: "true",
    description: "Deletion protection of a created database",
  },
  {
    key: "existingParameters",
    env: "KOAAPP_EXISTING_PARAMETERS",
    default: "",
    description:
      "With database=existing: JSON object from the app's RDS_* / APP_SECRET variables to SSM names or ARNs, Secrets Manager ARNs or {valueFrom, store, jsonKey}",
  },
  {
    key: "backend",
    env: "KOAAPP_BACKEND",
    default: "local",
    description: "local, s3, or none (no backend block: for use as a child module)",
  },
  {
    key: "stateBucket",
    env: "KOAAPP_STATE_BUCKET",
    default: "",
    description: "S3 bucket of the state (backend=s3)",
  },
  {
    key: "stateKey",
    env: "KOAAPP_STATE_KEY",
    default: "koaapp/terraform.tfstate",
    description: "S3 key of the state (backend=s3)",
  },
  {
    key: "latencyP99ThresholdMs",
    env: "KOAAPP_LATENCY_P99_THRESHOLD_MS",
    default: "1000",
    description: "Default of the latency_p99_threshold_ms variable",
  },
  {
    key: "errorRateThresholdPercent",
    env: "KOAAPP_ERROR_RATE_THRESHOLD_PERCENT",
    default: "5",
    description: "Default of the error_rate_threshold_percent variable",
  },
  {
    key: "alarmTopicArn",
    env: "KOAAPP_ALARM_TOPIC_ARN",
    default: "",
    description: "Existing SNS topic for alarm notifications (default: a topic is created)",
  },
  {
    key: "loadBalancer",
    env: "KOAAPP_LOAD_BALANCER",
    default: "public",
    description: "public, internal or none (the tasks then admit ingressCidrs directly)",
  },
  {
    key: "certificateArn",
    env: "KOAAPP_CERTIFICATE_ARN",
    default: "",
    description: "ACM certificate: HTTPS on 443 and HTTP redirecting to it (default: HTTP on 80 only)",
  },
  {
    key: "loadBalancerSubnetIds",
    env: "KOAAPP_LB_SUBNET_IDS",
    default: "",
    description:
      "Existing subnets of the load balancer, two zones or more: public ones for a public load balancer (required with vpcId and a load balancer)",
  },
  {
    key: "healthCheckPath",
    env: "KOAAPP_HEALTH_CHECK_PATH",
    default: "/health",
    description: "Path of the load balancer's and the container's health checks",
  },
  {
    key: "idleTimeoutSeconds",
    env: "KOAAPP_IDLE_TIMEOUT_SECONDS",
    default: "60",
    description: "Idle timeout of the load balancer; must stay below the app's keep-alive (65 s)",
  },
  {
    key: "deregistrationDelaySeconds",
    env: "KOAAPP_DEREGISTRATION_DELAY_SECONDS",
    default: "15",
    description: "Seconds a stopping task keeps its in-flight requests before SIGTERM",
  },
  {
    key: "loadBalancerDeletionProtection",
    env: "KOAAPP_LB_DELETION_PROTECTION",
    default: "",
    description: "Deletion protection of the load balancer (default: true when environmentName is prod)",
  },
  {
    key: "accessLogsBucket",
    env: "KOAAPP_ACCESS_LOGS_BUCKET",
    default: "",
    description: "S3 bucket for the load balancer's access logs (default: none)",
  },
  {
    key: "minCount",
    env: "KOAAPP_MIN_COUNT",
    default: "1",
    description: "Default of the min_count variable",
  },
  {
    key: "maxCount",
    env: "KOAAPP_MAX_COUNT",
    default: "4",
    description: "Default of the max_count variable",
  },
  {
    key: "cpuTargetPercent",
    env: "KOAAPP_CPU_TARGET_PERCENT",
    default: "60",
    description: "Average CPU that target tracking holds, in percent",
  },
  {
    key: "requestsPerTarget",
    env: "KOAAPP_REQUESTS_PER_TARGET",
    default: "1000",
    description: "Requests per task per minute that target tracking holds (with a load balancer)",
  },
  {
    key: "scaleOutLatencyP99Ms",
    env: "KOAAPP_SCALE_OUT_LATENCY_P99_MS",
    default: "500",
    description: "Default of the scale_out_latency_p99_ms variable",
  },
  {
    key: "onDemandBase",
    env: "KOAAPP_ON_DEMAND_BASE",
    default: "1",
    description:
      "With Spot: tasks always on on-demand Fargate before the weights apply (at least 1: an all-Spot service is down at the first interruption)",
  },
  {
    key: "onDemandWeight",
    env: "KOAAPP_ON_DEMAND_WEIGHT",
    default: "1",
    description: "With Spot: weight of on-demand Fargate beyond the base",
  },
  {
    key: "spotWeight",
    env: "KOAAPP_SPOT_WEIGHT",
    default: "0",
    description: "Weight of Fargate Spot (0: on-demand only, with the FARGATE launch type)",
  },
  {
    key: "waitForSteadyState",
    env: "KOAAPP_WAIT_FOR_STEADY_STATE",
    default: "true",
    description: "terraform apply waits for the rollout and fails when ECS rolled it back",
  },
  {
    key: "releasedBy",
    env: "KOAAPP_RELEASED_BY",
    default: "terraform",
    description:
      "Who rolls out new task definition revisions: terraform (apply rolls out image_tag) or pipeline (Terraform never reverts the running revision; see operations.md)",
  },
  {
    key: "agentImage",
    env: "KOAAPP_AGENT_IMAGE",
    default: "",
    description:
      "CloudWatch agent image (default: the construct's, on public.ecr.aws); with outbound=vpcEndpoints, a copy in private ECR",
  },
  {
    key: "phase",
    env: "KOAAPP_PHASE",
    default: "service",
    description:
      "registry for the first deploy: only the ECR repository, so the image can be pushed before any task starts; service for everything",
  },
  {
    key: "stateRegion",
    env: "KOAAPP_STATE_REGION",
    default: "",
    description: "Region of the state bucket (default: region)",
  },
];
