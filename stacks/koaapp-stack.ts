import { Aspects, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { AppParameters, EmfFargateService, ReliabilityChecks, SecurityPolicyChecks } from "../modules";
import type { KoaAppConfig } from "./koaapp-config";
import {
  KOAAPP_SECRETS,
  KOAAPP_STOP_TIMEOUT_SECONDS,
  KOAAPP_USER,
  koaAppEnvironment,
  koaAppHealthCheck,
} from "./koaapp-container";
import { configureTerraform, koaAppRepository, koaAppTags } from "./koaapp-foundation";
import { KoaAppVariables } from "./koaapp-variables";
import { PostgresDatabase } from "./postgres-database";
import { SampleNetwork } from "./sample-network";

/**
 * The sample stack: the Koa service with its CloudWatch agent sidecar, a VPC and a PostgreSQL
 * database unless existing ones are configured — the flaskapp of the seed, on Fargate. It gives
 * EmfFargateService what is particular to the Koa app: its variables, its six secrets and its health check.
 */
export class KoaAppStack extends TerraformStack {
  /** The per-deploy Terraform variables. */
  readonly variables: KoaAppVariables;
  /** The service. */
  readonly service: EmfFargateService;

  constructor(scope: Construct, id: string, config: KoaAppConfig) {
    super(scope, id);
    Aspects.of(this).add(new SecurityPolicyChecks({ production: config.environmentName === "prod" }));
    Aspects.of(this).add(new ReliabilityChecks());
    const tags = koaAppTags(config);
    configureTerraform(this, id, config);

    const existing = config.database.create ? {} : config.database.parameters;
    const variables = new KoaAppVariables(this, "Variables", {
      ...(config.imageUri ? { imageUri: config.imageUri } : { imageTag: config.imageTag }),
      desiredCount: config.desiredCount,
      minCount: config.scaling.minCount,
      maxCount: config.scaling.maxCount,
      scaleOutLatencyP99Ms: config.scaling.scaleOutLatencyP99Ms,
      dbPassword: config.database.create || existing.RDS_PASSWORD === undefined,
      appSecret: existing.APP_SECRET === undefined,
      latencyP99ThresholdMs: config.latencyP99ThresholdMs,
      errorRateThresholdPercent: config.errorRateThresholdPercent,
    });
    this.variables = variables;

    const network = config.network.create
      ? new SampleNetwork(this, "Network", {
          cidrBlock: config.network.cidrBlock,
          availabilityZones: config.network.availabilityZones,
          region: config.region,
          name: config.serviceName,
          tags,
        })
      : undefined;
    const vpcId = network?.vpcId ?? (config.network.create ? "" : config.network.vpcId);
    const taskSubnetIds =
      network?.publicSubnetIds ?? (config.network.create ? [] : [...config.network.subnetIds]);
    const databaseSubnetIds =
      network?.privateSubnetIds ?? (config.network.create ? [] : [...config.network.databaseSubnetIds]);

    const database = config.database.create
      ? new PostgresDatabase(this, "Database", {
          vpcId,
          subnetIds: databaseSubnetIds,
          passwordWriteOnly: variables.dbPassword as string,
          passwordVersion: variables.secretsVersion,
          identifier: `${config.serviceName}-db`,
          databaseName: "koaapp",
          username: "koaapp",
          instanceClass: config.database.instanceClass,
          deletionProtection: config.database.deletionProtection,
          tags,
        })
      : undefined;

    const parameters = new AppParameters(this, "Parameters", {
      required: KOAAPP_SECRETS,
      prefix: `/${config.serviceName}/${config.environmentName}`,
      values: database
        ? {
            RDS_USERNAME: database.username,
            RDS_DB_NAME: database.databaseName,
            RDS_HOSTNAME: database.address,
            RDS_PORT: database.port,
          }
        : {},
      writeOnlyValues: {
        ...(variables.dbPassword ? { RDS_PASSWORD: variables.dbPassword } : {}),
        ...(variables.appSecret ? { APP_SECRET: variables.appSecret } : {}),
      },
      writeOnlyVersion: variables.secretsVersion,
      existing,
      tags,
    });

    // The repository holds the image the service runs; it is created unless the image lives elsewhere.
    const repository = koaAppRepository(this, config);
    const image = variables.imageUri ?? repository?.imageUri(variables.imageTag as string);

    const lb = config.loadBalancer;
    const containerPort = 5000;
    const service = new EmfFargateService(this, "Service", {
      serviceName: config.serviceName,
      container: {
        image: image as string,
        port: containerPort,
        cpu: config.appCpu,
        memoryMiB: config.appMemoryMiB,
        environment: koaAppEnvironment({
          environmentName: config.environmentName,
          metricsMode: config.metricsMode,
          stopTimeoutSeconds: KOAAPP_STOP_TIMEOUT_SECONDS,
        }),
        secrets: parameters.secrets,
        stopTimeoutSeconds: KOAAPP_STOP_TIMEOUT_SECONDS,
        user: KOAAPP_USER,
        // The container's check and the load balancer's request the same path.
        healthCheck: koaAppHealthCheck(containerPort, config.healthCheckPath),
      },
      network: {
        vpcId,
        subnetIds: taskSubnetIds,
        // The created VPC has no NAT gateway: its tasks run in the public subnets with public IPs.
        outbound: config.network.create ? "publicIp" : config.network.outbound,
        dependsOn: network?.internetAccess,
        ...(lb.type === "none"
          ? {
              ingressCidrs:
                config.ingressCidrs.length > 0 ? config.ingressCidrs : network ? [network.cidrBlock] : [],
            }
          : {}),
      },
      task: { cpu: config.taskCpu, memoryMiB: config.taskMemoryMiB },
      ...(lb.type === "none"
        ? {}
        : {
            loadBalancer: {
              create: {
                scheme: lb.type === "internal" ? "internal" : "internet-facing",
                // A created VPC's load balancer goes into its public subnets; an existing VPC's into the
                // subnets the configuration names (required there).
                subnetIds: network ? network.publicSubnetIds : lb.subnetIds,
                certificateArn: lb.certificateArn,
                // A public load balancer admits the internet unless told otherwise, an internal one its VPC.
                ingressCidrs:
                  config.ingressCidrs.length > 0
                    ? config.ingressCidrs
                    : lb.type === "internal" && network
                      ? [network.cidrBlock]
                      : undefined,
                idleTimeoutSeconds: lb.idleTimeoutSeconds,
                deregistrationDelaySeconds: lb.deregistrationDelaySeconds,
                deletionProtection: lb.deletionProtection,
                accessLogs: lb.accessLogsBucket
                  ? { bucket: lb.accessLogsBucket, prefix: config.serviceName }
                  : undefined,
                healthCheck: { path: config.healthCheckPath },
              },
            },
          }),
      scaling: {
        desiredCount: variables.desiredCount,
        minCapacity: variables.minCount,
        maxCapacity: variables.maxCount,
        cpuTargetPercent: config.scaling.cpuTargetPercent,
        requestsPerTargetPerMinute: lb.type === "none" ? false : config.scaling.requestsPerTarget,
        latencyP99ScaleOutMs: variables.scaleOutLatencyP99Ms,
      },
      ...(config.scaling.spotWeight > 0
        ? {
            capacity: {
              spotWeight: config.scaling.spotWeight,
              onDemandWeight: config.scaling.onDemandWeight,
              onDemandBase: config.scaling.onDemandBase,
            },
          }
        : {}),
      deployment: { waitForSteadyState: config.waitForSteadyState, releasedBy: config.releasedBy },
      metrics: { namespace: config.namespace },
      logs: { retentionDays: config.logRetentionDays },
      alarms: {
        latencyP99ThresholdMs: variables.latencyP99ThresholdMs,
        errorRateThresholdPercent: variables.errorRateThresholdPercent,
        ...(config.alarmTopicArn ? { topicArn: config.alarmTopicArn } : {}),
      },
      agent: {
        parameterName: `/${config.serviceName}/${config.environmentName}/cw-agent-config`,
        ...(config.agentImage ? { image: config.agentImage } : {}),
      },
      tags,
    });
    database?.allowFrom(service.securityGroupId);
    this.service = service;

    new TerraformOutput(this, "cluster_name", { value: service.clusterName });
    new TerraformOutput(this, "service_name", { value: service.serviceName });
    new TerraformOutput(this, "task_definition_family", { value: service.taskDefinitionFamily });
    new TerraformOutput(this, "log_group_name", { value: service.logGroupName });
    new TerraformOutput(this, "emf_log_group_name", { value: service.emfLogGroupName });
    new TerraformOutput(this, "metrics_namespace", { value: service.metrics.namespace });
    new TerraformOutput(this, "ecr_repository_url", { value: repository?.repositoryUrl ?? "" });
    new TerraformOutput(this, "parameter_names", { value: parameters.createdParameterNames });
    new TerraformOutput(this, "agent_config_parameter_name", { value: service.agentConfigParameterName });
    if (database) new TerraformOutput(this, "database_address", { value: database.address });
    new TerraformOutput(this, "alarm_topic_arn", { value: service.alarmTopicArn ?? "" });
    new TerraformOutput(this, "dashboard_name", { value: service.dashboardName ?? "" });
    new TerraformOutput(this, "load_balancer_dns_name", { value: service.loadBalancerDnsName ?? "" });
    new TerraformOutput(this, "load_balancer_zone_id", { value: service.loadBalancerZoneId ?? "" });
    new TerraformOutput(this, "service_url", { value: service.url ?? "" });
  }
}
