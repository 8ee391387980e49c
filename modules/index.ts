export * from "./app-parameters";
export * from "./cloudwatch-agent-sidecar";
export * from "./container-definition";
export * from "./emf-fargate-service";
export * from "./postgres-database";
export * from "./service-network";
export * from "./validation";
