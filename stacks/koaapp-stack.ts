import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { AppParameters, type AppSecretName } from "../modules/app-parameters";
import { EmfFargateService } from "../modules/emf-fargate-service";
import { PostgresDatabase } from "../modules/postgres-database";
import { ServiceNetwork } from "../modules/service-network";
import type { KoaAppConfig } from "./koaapp-config";

/**
 * The sample stack: the Koa service with its CloudWatch agent sidecar, a VPC and a PostgreSQL
 * database unless existing ones are configured — the flaskapp of the seed, on Fargate.
 */
export class KoaAppStack extends TerraformStack {
  constructor(scope: Construct, id: string, config: KoaAppConfig) {
    super(scope, id);
    const tags = { Project: config.serviceName, Environment: config.environmentName, ManagedBy: "cdktf" };

    new AwsProvider(this, "aws", { region: config.region, defaultTags: [{ tags }] });
    if (config.backend.type === "s3") {
      const backend = new S3Backend(this, {
        bucket: config.backend.bucket,
        key: config.backend.key,
        region: config.backend.region,
        encrypt: true,
      });
      backend.addOverride("use_lockfile", true);
    } else {
      // Relative to cdktf.out/stacks/<stack>, where cdktf and pipelines run terraform: the state lands
      // in the project root, survives re-synthesis, and no machine's absolute path is written.
      new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    }

    const existing = config.database.create
      ? {}
      : (config.database.parameters as Partial<Record<AppSecretName, string>>);
    const secretsVersion = new TerraformVariable(this, "secrets_version", {
      type: "number",
      default: 1,
      description: "Increase to write new db_password / app_secret values",
    });
    const dbPassword =
      config.database.create || existing.RDS_PASSWORD === undefined
        ? writeOnlyVariable(
            this,
            "db_password",
            "Master password of the created database, also written to the RDS_PASSWORD parameter",
          )
        : undefined;
    const appSecret =
      existing.APP_SECRET === undefined
        ? writeOnlyVariable(this, "app_secret", "Value of the APP_SECRET parameter")
        : undefined;

    const network = config.network.create
      ? new ServiceNetwork(this, "Network", {
          cidrBlock: config.network.cidrBlock,
          availabilityZones: config.network.availabilityZones,
          name: config.serviceName,
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
          passwordWriteOnly: (dbPassword as TerraformVariable).stringValue,
          passwordVersion: secretsVersion.numberValue,
          identifier: `${config.serviceName}-db`,
          databaseName: "koaapp",
          username: "koaapp",
          instanceClass: config.database.instanceClass,
          deletionProtection: config.database.deletionProtection,
        })
      : undefined;

    const parameters = new AppParameters(this, "Parameters", {
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
        ...(dbPassword ? { RDS_PASSWORD: dbPassword.stringValue } : {}),
        ...(appSecret ? { APP_SECRET: appSecret.stringValue } : {}),
      },
      writeOnlyVersion: secretsVersion.numberValue,
      existing,
    });

    const service = new EmfFargateService(this, "Service", {
      serviceName: config.serviceName,
      environmentName: config.environmentName,
      vpcId,
      subnetIds: taskSubnetIds,
      assignPublicIp: network !== undefined,
      ingressCidrs: config.ingressCidrs.length > 0 ? config.ingressCidrs : network ? [network.cidrBlock] : [],
      secrets: parameters.secrets,
      ...(config.imageUri ? { imageUri: config.imageUri } : { imageTag: config.imageTag }),
      desiredCount: config.desiredCount,
      taskCpu: config.taskCpu,
      taskMemoryMiB: config.taskMemoryMiB,
      appCpu: config.appCpu,
      appMemoryMiB: config.appMemoryMiB,
      logRetentionDays: config.logRetentionDays,
      metrics: { namespace: config.namespace, mode: config.metricsMode },
      agent: { parameterName: `/${config.serviceName}/${config.environmentName}/cw-agent-config` },
    });
    database?.allowFrom(service.securityGroupId);

    new TerraformOutput(this, "cluster_name", { value: service.clusterName });
    new TerraformOutput(this, "service_name", { value: service.serviceName });
    new TerraformOutput(this, "task_definition_family", { value: service.taskDefinitionFamily });
    new TerraformOutput(this, "log_group_name", { value: service.logGroupName });
    new TerraformOutput(this, "emf_log_group_name", { value: service.emfLogGroupName });
    new TerraformOutput(this, "metrics_namespace", { value: service.emf.namespace });
    new TerraformOutput(this, "ecr_repository_url", { value: service.repositoryUrl ?? "" });
    new TerraformOutput(this, "parameter_names", { value: parameters.createdParameterNames });
    new TerraformOutput(this, "agent_config_parameter_name", { value: service.agent.parameter.name });
    if (database) new TerraformOutput(this, "database_address", { value: database.address });
  }
}

/**
 * A sensitive, ephemeral string variable: its value reaches write-only arguments only, so it is in
 * neither the plan file nor the state.
 */
function writeOnlyVariable(scope: Construct, name: string, description: string): TerraformVariable {
  const variable = new TerraformVariable(scope, name, {
    type: "string",
    sensitive: true,
    nullable: false,
    description,
  });
  // cdktf 0.21 predates Terraform 1.10's ephemeral variables.
  variable.addOverride("ephemeral", true);
  return variable;
}
