/**
 * The public API of `@emf-fargate/constructs`: the constructs, their props, the Aspects, and the metric contract
 * a service publishes for the alarms, scaling and dashboard to work. Everything else in this directory is internal.
 */

export {
  type ExpectedDocument,
  latencyDocumentProblems,
  METRIC_CONTRACT,
} from "../contract/metric-contract";
export type { ContainerOptions } from "./app-container";
export { AppParameters, type AppParametersProps, type ParameterKind } from "./app-parameters";
export {
  type AgentOptions,
  BASE_AGENT_CONFIG,
  CloudWatchAgentSidecar,
  type CloudWatchAgentSidecarProps,
  DEFAULT_AGENT_IMAGE,
} from "./cloudwatch-agent-sidecar";
export type {
  ContainerDefinition,
  ContainerDependency,
  ContainerSecret,
  EnvironmentVariable,
  HealthCheck,
  LinuxParameters,
  LogConfiguration,
  MountPoint,
  PortMapping,
  RestartPolicy,
} from "./container-definition";
export {
  type BlueGreenStrategy,
  type CanaryStrategy,
  type DeploymentStrategy,
  LIFECYCLE_STAGES,
  type LifecycleHook,
  type LifecycleStage,
  type LinearStrategy,
  type RollingStrategy,
  type TestListenerOptions,
  type TrafficShiftOptions,
} from "./deployment-strategy";
export { EmfFargateService, type EmfFargateServiceProps } from "./emf-fargate-service";
export { ImageRepository, type ImageRepositoryProps } from "./image-repository";
export type { Finding } from "./policy-exemptions";
export { RELIABILITY_RULES, ReliabilityChecks, type ReliabilityRule } from "./reliability-checks";
export {
  POLICY_RULES,
  type PolicyRule,
  PRODUCTION_ENVIRONMENTS,
  SecurityPolicyChecks,
  type SecurityPolicyChecksOptions,
} from "./security-policy";
export type { AlarmSummary, AlarmsOptions } from "./service-alarms";
export type {
  CreateNamespaceOptions,
  ServiceConnectNamespace,
  ServiceConnectOptions,
  ServiceConnectServer,
} from "./service-connect";
export type { ExecOptions } from "./service-exec";
export type {
  ExistingListenerOptions,
  ExistingTargetGroupOptions,
  LoadBalancerOptions,
} from "./service-front-door";
export { type CreateLoadBalancerOptions, DEFAULT_SSL_POLICY } from "./service-load-balancer";
export type { EmfSettings, LogsOptions, MetricsOptions } from "./service-logging";
export type {
  CapacityOptions,
  ClusterOptions,
  DeploymentOptions,
  NetworkOptions,
  Outbound,
} from "./service-options";
export type { IamOptions, TaskRoleStatement } from "./service-roles";
export type { ScalingOptions } from "./service-scaling";
export type { ResolvedSecret, SecretReference, ServiceSecret } from "./service-secrets";
export type { ListenerRuleOptions, TargetHealthCheck } from "./service-target-group";
export type { TaskOptions } from "./service-task-definition";
