/** The shape of what the koaapp stack is given: the typed, validated configuration loadKoaAppConfig returns. */
import type { MetricsMode } from "../contract/metrics";
import type { SecretReference } from "../modules";

/** Where the stack's network comes from. */
export type NetworkConfig =
  | {
      /** The stack creates a VPC with public and private subnets. */
      readonly create: true;
      /** CIDR of the created VPC. */
      readonly cidrBlock: string;
      /** Zones of the created subnets. */
      readonly availabilityZones: readonly string[];
    }
  | {
      /** An existing network. */
      readonly create: false;
      /** Existing VPC. */
      readonly vpcId: string;
      /** Subnets for the tasks. */
      readonly subnetIds: readonly string[];
      /** Private subnets for a created database. */
      readonly databaseSubnetIds: readonly string[];
      /** How the tasks in `subnetIds` reach AWS (EmfFargateService's network.outbound). */
      readonly outbound: "publicIp" | "nat" | "vpcEndpoints";
    };

/** Where the database comes from. */
export type DatabaseConfig =
  | {
      /** The stack creates an RDS PostgreSQL instance and wires it into the parameters. */
      readonly create: true;
      /** Instance class. */
      readonly instanceClass: string;
      /** Keep the instance from being deleted. */
      readonly deletionProtection: boolean;
    }
  | {
      /** An existing database: its parameters are referenced by name or ARN. */
      readonly create: false;
      /**
       * Existing parameters or secrets for some of RDS_USERNAME, RDS_PASSWORD, RDS_DB_NAME, RDS_HOSTNAME,
       * RDS_PORT, APP_SECRET: an SSM name or ARN, a Secrets Manager ARN, or a reference with a JSON key.
       */
      readonly parameters: Readonly<Record<string, string | SecretReference>>;
    };

/** The front door of the stack. */
export type LoadBalancerConfig =
  | {
      /** No load balancer: the tasks admit `ingressCidrs` on the container port. */
      readonly type: "none";
    }
  | {
      /** A load balancer reachable from the internet, or only inside the VPC. */
      readonly type: "public" | "internal";
      /** ACM certificate for HTTPS. */
      readonly certificateArn?: string;
      /** Subnets of the load balancer; empty for the task subnets. */
      readonly subnetIds: readonly string[];
      /** Idle timeout (s), below the app's keep-alive. */
      readonly idleTimeoutSeconds: number;
      /** Deregistration delay (s). */
      readonly deregistrationDelaySeconds: number;
      /** Deletion protection. */
      readonly deletionProtection: boolean;
      /** Access-log bucket. */
      readonly accessLogsBucket?: string;
    };

/** Autoscaling and capacity of the stack. */
export interface ScalingConfig {
  /** Default of the min_count variable. */
  readonly minCount: number;
  /** Default of the max_count variable. */
  readonly maxCount: number;
  /** CPU target (percent). */
  readonly cpuTargetPercent: number;
  /** Requests per task per minute (target tracking, with a load balancer). */
  readonly requestsPerTarget: number;
  /** Default of the scale_out_latency_p99_ms variable. */
  readonly scaleOutLatencyP99Ms: number;
  /** With Spot: tasks on on-demand Fargate before weights apply. */
  readonly onDemandBase: number;
  /** Weight of on-demand Fargate. */
  readonly onDemandWeight: number;
  /** Weight of Fargate Spot. */
  readonly spotWeight: number;
}

/** Where Terraform keeps the state. */
export type BackendConfig =
  | { readonly type: "local" }
  | { readonly type: "none" }
  | { readonly type: "s3"; readonly bucket: string; readonly key: string; readonly region: string };

/** The typed, validated configuration of the `koaapp` stack. */
export interface KoaAppConfig {
  /**
   * What the stack deploys: `registry` only the ECR repository (the first deploy of a created repository: the
   * image must be in it before the service starts tasks), `service` everything.
   */
  readonly phase: "registry" | "service";
  /** AWS region. */
  readonly region: string;
  /** The CloudWatch agent image, when not the construct's default. */
  readonly agentImage?: string;
  /** Service name: ECS service, task family, repository, log groups. */
  readonly serviceName: string;
  /** Environment name (`ENV_TYPE`). */
  readonly environmentName: string;
  /** Tag of the image in the created ECR repository (unless imageUri). */
  readonly imageTag?: string;
  /** Full image URI instead of the created repository. */
  readonly imageUri?: string;
  /** Number of tasks. */
  readonly desiredCount: number;
  /** Task CPU units. */
  readonly taskCpu: number;
  /** Task memory (MiB). */
  readonly taskMemoryMiB: number;
  /** App container CPU units. */
  readonly appCpu: number;
  /** App container memory (MiB). */
  readonly appMemoryMiB: number;
  /** CloudWatch namespace of the metrics. */
  readonly namespace: string;
  /** How the app publishes metrics. */
  readonly metricsMode: MetricsMode;
  /** Days to keep logs. */
  readonly logRetentionDays: number;
  /** CIDR blocks admitted to the load balancer's listeners (or, without one, to the app port). */
  readonly ingressCidrs: readonly string[];
  /** The front door. */
  readonly loadBalancer: LoadBalancerConfig;
  /** Path of the health checks. */
  readonly healthCheckPath: string;
  /** Autoscaling and capacity. */
  readonly scaling: ScalingConfig;
  /** Apply waits for the rollout and fails when it was rolled back. */
  readonly waitForSteadyState: boolean;
  /** Who rolls out new task definition revisions: the service's `deployment.releasedBy`. */
  readonly releasedBy: "terraform" | "pipeline";
  /** Network. */
  readonly network: NetworkConfig;
  /** Database. */
  readonly database: DatabaseConfig;
  /** State backend. */
  readonly backend: BackendConfig;
  /** Default p99 latency alarm threshold (ms). */
  readonly latencyP99ThresholdMs: number;
  /** Default 5xx-rate alarm threshold (percent). */
  readonly errorRateThresholdPercent: number;
  /** Existing SNS topic for alarm notifications. */
  readonly alarmTopicArn?: string;
}
