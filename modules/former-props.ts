/**
 * Where the props of 0.1 went in 0.2, for the refusal of an unknown prop: code written for 0.1 (from JavaScript, or
 * cast) names the new path instead of getting no hint, since the props moved under other names (`taskCpu` →
 * `task.cpu`) that no edit-distance guess finds. The same mapping is the table in packages/constructs/CHANGELOG.md
 * (0.2.0). Internal to the package.
 */

const MOVED: Readonly<Record<string, string>> = {
  vpcId: "network.vpcId",
  subnetIds: "network.subnetIds",
  assignPublicIp: 'network.outbound ("publicIp" for true; "nat" or "vpcEndpoints" for false)',
  ingressCidrs: "network.ingressCidrs",
  ingressSecurityGroupIds: "network.ingressSecurityGroupIds",
  allowIngressFromAnywhere: "network.allowIngressFromAnywhere",
  extraSecurityGroupIds: "network.extraSecurityGroupIds",
  imageUri: "container.image",
  imageTag: "container.image (ImageRepository's imageUri(tag))",
  repositoryName: "ImageRepository's name (the repository left the service)",
  allowLatestImage: "container.allowLatestImage",
  containerName: "container.name",
  containerPort: "container.port",
  appCpu: "container.cpu",
  appMemoryMiB: "container.memoryMiB",
  healthCheck: "container.healthCheck",
  environment: "container.environment",
  secrets: "container.secrets",
  stopTimeoutSeconds: "container.stopTimeoutSeconds",
  readonlyRootFilesystem: "container.readonlyRootFilesystem",
  user: "container.user",
  healthCheckPath: "loadBalancer.create.healthCheck.path (or loadBalancer.existingListener.healthCheck.path)",
  taskCpu: "task.cpu",
  taskMemoryMiB: "task.memoryMiB",
  ephemeralStorageGiB: "task.ephemeralStorageGiB",
  cpuArchitecture: "task.cpuArchitecture",
  platformVersion: "task.platformVersion",
  existingCluster: "cluster.existing",
  containerInsights: "cluster.containerInsights",
  desiredCount: "scaling.desiredCount",
  autoScaling: "scaling (autoscaling is on when scaling.maxCapacity is set)",
  capacityProviderStrategy: "capacity (spotWeight, onDemandWeight, onDemandBase)",
  circuitBreakerRollback: "deployment.circuitBreakerRollback",
  logGroupName: "logs.logGroupName",
  logRetentionDays: "logs.retentionDays",
  taskRoleStatements: "iam.taskRoleStatements",
  enableExecuteCommand: "exec.enabled",
};

/** The 0.1 top-level props of `EmfFargateServiceProps` that moved, each with `in 0.2 it is <where>`. */
export const MOVED_SERVICE_PROPS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(MOVED).map(([key, now]) => [key, `in 0.2 it is ${now}`]),
);

/** The 0.1 props of a created load balancer (`loadBalancer.create`) that changed, each with where it is in 0.2. */
export const MOVED_CREATE_LOAD_BALANCER_PROPS: Readonly<Record<string, string>> = {
  internal: 'in 0.2 it is scheme ("internal" for true, "internet-facing" for false)',
};
