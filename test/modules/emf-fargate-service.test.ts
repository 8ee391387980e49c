/**
 * EmfFargateService with the smallest props: what every default synthesizes to, and the attributes. Every
 * optional prop: emf-fargate-service-options.test.ts; validation and tokens: emf-fargate-service-validation.test.ts.
 */
import { TerraformVariable } from "cdktf";
import { AppParameters } from "../../modules/app-parameters";
import { DEFAULT_AGENT_IMAGE } from "../../modules/cloudwatch-agent-sidecar";
import type { ContainerDefinition } from "../../modules/container-definition";
import { EmfFargateService } from "../../modules/emf-fargate-service";
import {
  blockOf,
  CONTAINER,
  childOf,
  containerDefinitionsOf,
  containerNamed,
  environmentOf,
  HEALTH_CHECK,
  IDS,
  IMAGE,
  onlyResource,
  ref,
  resolved,
  resourcesOf,
  SECRET_NAMES,
  SERVICE_PROPS,
  type Synthesized,
  secretsOf,
  statementsOf,
  synthStack,
} from "./support";

/** Splits a container into the parts asserted separately. */
function partsOf(container: ContainerDefinition) {
  const { environment, secrets, healthCheck, ...rest } = container;
  return { environment, secrets, healthCheck, rest };
}

/** `<type>.<logical id>` of the element at `path` below the service, as depends_on lists it. */
function addressOf(synth: Synthesized<{ service: EmfFargateService }>, path: string): string {
  const element = childOf(synth.built.service, path);
  return `${element.terraformResourceType}.${synth.stack.getLogicalId(element)}`;
}

describe("EmfFargateService with defaults and a health check, reading the secrets AppParameters creates", () => {
  const synth = synthStack((stack) => {
    const password = new TerraformVariable(stack, "db_password", { type: "string", sensitive: true });
    const appSecret = new TerraformVariable(stack, "app_secret", { type: "string", sensitive: true });
    const parameters = new AppParameters(stack, "Params", {
      required: Object.fromEntries(SECRET_NAMES.map((name) => [name, "plain"])),
      values: { RDS_USERNAME: "app", RDS_DB_NAME: "app", RDS_HOSTNAME: "db.internal", RDS_PORT: "5432" },
      writeOnlyValues: { RDS_PASSWORD: password.stringValue, APP_SECRET: appSecret.stringValue },
    });
    const service = new EmfFargateService(stack, "Service", {
      ...SERVICE_PROPS,
      container: { ...CONTAINER, secrets: parameters.secrets },
    });
    return { parameters, service };
  });
  const { parameters, service } = synth.built;
  const at = (id: string, attribute: string) => ref(synth.stack, childOf(service, id), attribute);
  const block = (id: string) => blockOf(synth, childOf(service, id));
  const containers = containerDefinitionsOf(synth.json);
  const app = containerNamed(containers, "koaapp");
  const agent = containerNamed(containers, "cloudwatch-agent");
  const parameterArns = SECRET_NAMES.map((name) => ref(synth.stack, childOf(parameters, name), "arn"));
  const agentParameterArn = at("Agent/Resource", "arn");
  const logConfiguration = {
    logDriver: "awslogs",
    options: {
      "awslogs-group": at("Logs", "name"),
      "awslogs-region": at("Region", "name"),
      "awslogs-stream-prefix": "ecs",
      mode: "non-blocking",
      "max-buffer-size": "4m",
    },
  };

  it("GIVEN no size WHEN synthesized THEN the task is a 512 CPU / 1024 MiB awsvpc Fargate task on Linux X86_64 with both roles and the /tmp volume", () => {
    const { container_definitions: _, ...task } = block("TaskDefinition/Resource");

    expect(task).toEqual({
      family: "koaapp",
      requires_compatibilities: ["FARGATE"],
      network_mode: "awsvpc",
      cpu: "512",
      memory: "1024",
      execution_role_arn: ref(synth.stack, service.executionRole, "arn"),
      task_role_arn: ref(synth.stack, service.taskRole, "arn"),
      runtime_platform: { operating_system_family: "LINUX", cpu_architecture: "X86_64" },
      volume: [{ name: "tmp" }],
    });
  });

  it("GIVEN the containers WHEN synthesized THEN container_definitions parses as JSON (references only inside strings), app first, agent second", () => {
    expect(containers.map((c) => c.name)).toEqual(["koaapp", "cloudwatch-agent"]);
    expect(String(block("TaskDefinition/Resource").container_definitions)).toContain("${");
  });

  it("GIVEN defaults WHEN synthesized THEN the app runs the image as given with 256 CPU, 512 MiB, its port, a read-only root and /tmp writable, as the image's user", () => {
    expect(partsOf(app).rest).toEqual({
      name: "koaapp",
      image: IMAGE,
      cpu: 256,
      memory: 512,
      essential: true,
      portMappings: [{ containerPort: 5000, hostPort: 5000, protocol: "tcp" }],
      logConfiguration,
      dependsOn: [{ containerName: "cloudwatch-agent", condition: "START" }],
      linuxParameters: { initProcessEnabled: true },
      stopTimeout: 30,
      readonlyRootFilesystem: true,
      mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp" }],
      // ECS resolves the tag to a digest once per deployment, so every task of it runs the same build.
      versionConsistency: "enabled",
    });
  });

  it("GIVEN no environment WHEN synthesized THEN the app gets PORT and the EMF settings only, the log group as the EMF log group's name reference", () => {
    expect(environmentOf(app)).toEqual({
      PORT: "5000",
      AWS_EMF_AGENT_ENDPOINT: "tcp://127.0.0.1:25888",
      AWS_EMF_SERVICE_NAME: "koaapp",
      AWS_EMF_SERVICE_TYPE: "AWS::ECS::Container",
      AWS_EMF_LOG_GROUP_NAME: at("EmfLogs", "name"),
      AWS_EMF_LOG_STREAM_NAME: "koaapp",
      AWS_EMF_NAMESPACE: "koaapp",
    });
    expect(app.environment).toHaveLength(7);
  });

  it("GIVEN AppParameters' secrets WHEN synthesized THEN the app reads the six variables from the created parameters' ARNs", () => {
    expect(secretsOf(app)).toEqual(
      Object.fromEntries(SECRET_NAMES.map((name, i) => [name, parameterArns[i]])),
    );
    expect(app.secrets).toHaveLength(6);
  });

  it("GIVEN a health check WHEN synthesized THEN the app container runs exactly it", () => {
    expect(app.healthCheck).toEqual(HEALTH_CHECK);
  });

  it("GIVEN no agent props WHEN synthesized THEN the agent is the pinned image on 25888/tcp, 256 CPU / 256 MiB, restarted in place, configured from its parameter", () => {
    expect(agent).toEqual({
      name: "cloudwatch-agent",
      image: DEFAULT_AGENT_IMAGE,
      cpu: 256,
      memory: 256,
      essential: false,
      portMappings: [{ containerPort: 25888, hostPort: 25888, protocol: "tcp" }],
      secrets: [{ name: "CW_CONFIG_CONTENT", valueFrom: agentParameterArn }],
      logConfiguration,
      restartPolicy: { enabled: true, restartAttemptPeriod: 60 },
    });
    expect(agent.image).toMatch(/:\d+\.\d+\.\w+$/);
  });

  it("GIVEN no agent config WHEN synthesized THEN the agent parameter holds the EMF listener config", () => {
    expect(block("Agent/Resource")).toMatchObject({
      name: "/test/Service/Agent/cw-agent-config",
      type: "String",
      value: '{"logs":{"metrics_collected":{"emf":{}}}}',
    });
  });

  it("GIVEN defaults WHEN synthesized THEN both log groups exist with 30 days' retention and no KMS key", () => {
    expect(block("Logs")).toEqual({ name: "/ecs/koaapp", retention_in_days: 30 });
    expect(block("EmfLogs")).toEqual({ name: "/ecs/koaapp/emf", retention_in_days: 30 });
  });

  it("GIVEN an image as given WHEN synthesized THEN the service creates no image repository (ImageRepository does)", () => {
    expect(resourcesOf(synth.json, "aws_ecr_repository")).toEqual([]);
  });

  it("GIVEN no cluster props WHEN synthesized THEN a cluster named after the service is created, Container Insights off", () => {
    expect(onlyResource(synth.json, "aws_ecs_cluster")).toEqual({
      name: "koaapp",
      setting: [{ name: "containerInsights", value: "disabled" }],
    });
  });

  it("GIVEN defaults WHEN synthesized THEN one Fargate task runs without a public IP, after every role grant, the circuit breaker and the p99 and 5xx alarms rolling back, apply failing on a rolled-back rollout", () => {
    expect(block("Ecs/Resource")).toEqual({
      name: "koaapp",
      cluster: at("Ecs/Cluster", "arn"),
      task_definition: at("TaskDefinition/Resource", "arn"),
      desired_count: 1,
      launch_type: "FARGATE",
      platform_version: "1.4.0",
      network_configuration: {
        subnets: [...IDS.subnets],
        security_groups: [at("Ecs/SecurityGroup", "id")],
        assign_public_ip: false,
      },
      deployment_circuit_breaker: { enable: true, rollback: true },
      alarms: {
        alarm_names: [at("Alarms/LatencyP99", "alarm_name"), at("Alarms/ErrorRate", "alarm_name")],
        enable: true,
        rollback: true,
      },
      deployment_minimum_healthy_percent: 100,
      deployment_maximum_percent: 200,
      wait_for_steady_state: true,
      availability_zone_rebalancing: "ENABLED",
      enable_execute_command: false,
      enable_ecs_managed_tags: true,
      propagate_tags: "SERVICE",
      depends_on: ["Roles/ExecutionRoleManaged", "Roles/ExecutionRoleSecrets", "Roles/TaskRoleEmf"].map(
        (path) => addressOf(synth, path),
      ),
      lifecycle: {
        postcondition: [
          {
            condition: `\${(self.task_definition == ${at("TaskDefinition/Resource", "arn").slice(2, -1)})}`,
            error_message:
              "koaapp did not reach a steady state on the task definition this apply registered: ECS rolled the deployment back (circuit breaker or a deployment alarm). See the service's events.",
          },
        ],
      },
    });
  });

  it("GIVEN no ingress props WHEN synthesized THEN the security group admits nothing and allows all egress", () => {
    expect(block("Ecs/SecurityGroup")).toEqual({
      name_prefix: "koaapp-",
      description: "Tasks of koaapp",
      vpc_id: IDS.vpc,
      lifecycle: { create_before_destroy: true },
    });
    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toEqual([]);
    expect(resourcesOf(synth.json, "aws_vpc_security_group_egress_rule")).toEqual([
      {
        security_group_id: at("Ecs/SecurityGroup", "id"),
        description: "All outbound",
        ip_protocol: "-1",
        cidr_ipv4: "0.0.0.0/0",
      },
    ]);
  });

  it("GIVEN both roles WHEN synthesized THEN only ECS tasks of this account may assume them, the task role only from this region's ECS, with no permissions boundary", () => {
    const emfArn = at("EmfLogs", "arn");
    const account = `\${element(split(":", ${emfArn.slice(2, -1)}), 4)}`;
    const region = `\${element(split(":", ${emfArn.slice(2, -1)}), 3)}`;
    const assumedByTasks = {
      actions: ["sts:AssumeRole"],
      principals: [{ type: "Service", identifiers: ["ecs-tasks.amazonaws.com"] }],
    };
    const fromThisAccount = { test: "StringEquals", variable: "aws:SourceAccount", values: [account] };

    expect(blockOf(synth, service.executionRole)).toMatchObject({
      name_prefix: "koaapp-exec-",
      assume_role_policy: at("Roles/ExecutionRoleTrust", "json"),
    });
    expect(blockOf(synth, service.taskRole)).toMatchObject({
      name_prefix: "koaapp-task-",
      assume_role_policy: at("Roles/TaskRoleTrust", "json"),
    });
    expect(resourcesOf(synth.json, "aws_iam_role").map((role) => role.permissions_boundary)).toEqual([
      undefined,
      undefined,
    ]);
    expect(statementsOf(synth.json, at("Roles/ExecutionRoleTrust", "json"))).toEqual([
      { ...assumedByTasks, condition: [fromThisAccount] },
    ]);
    expect(statementsOf(synth.json, at("Roles/TaskRoleTrust", "json"))).toEqual([
      {
        ...assumedByTasks,
        condition: [
          fromThisAccount,
          {
            test: "ArnLike",
            variable: "aws:SourceArn",
            values: [
              `\${join(":", ["arn", ${at("Roles/Partition", "partition").slice(2, -1)}, "ecs", ${region.slice(2, -1)}, ${account.slice(2, -1)}, "*"])}`,
            ],
          },
        ],
      },
    ]);
    // The account comes from a resource the stack creates: no data source has to call AWS at plan time.
    expect(synth.json.data?.aws_caller_identity).toBeUndefined();
  });

  it("GIVEN the roles WHEN synthesized THEN the execution role has AmazonECSTaskExecutionRolePolicy and the task role may only create streams in and write to the EMF log group", () => {
    const partition = at("Roles/Partition", "partition");
    const emfArn = at("EmfLogs", "arn");

    expect(resourcesOf(synth.json, "aws_iam_role_policy_attachment")).toEqual([
      {
        role: ref(synth.stack, service.executionRole, "name"),
        policy_arn: `arn:${partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`,
      },
    ]);
    expect(block("Roles/TaskRoleEmf")).toEqual({
      name: "write-emf",
      role: ref(synth.stack, service.taskRole, "id"),
      policy: at("Roles/WriteEmf", "json"),
    });
    expect(statementsOf(synth.json, at("Roles/WriteEmf", "json"))).toEqual([
      {
        sid: "WriteEmfDocuments",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [emfArn, `${emfArn}:log-stream:*`],
      },
    ]);
  });

  it("GIVEN SSM secrets only WHEN synthesized THEN the execution role may ssm:GetParameters on exactly the referenced parameters, nothing else", () => {
    const policy = block("Roles/ExecutionRoleSecrets");

    expect(policy).toEqual({
      name: "read-task-secrets",
      role: ref(synth.stack, service.executionRole, "id"),
      policy: at("Roles/ReadSecrets", "json"),
    });
    expect(statementsOf(synth.json, policy.policy)).toEqual([
      {
        sid: "ReadParameters",
        actions: ["ssm:GetParameters"],
        resources: [...parameterArns, agentParameterArn],
      },
    ]);
  });

  it("GIVEN ECS Exec off and no extra statements WHEN synthesized THEN the task role has only its EMF policy", () => {
    expect(resourcesOf(synth.json, "aws_iam_role_policy").map((p) => p.name)).toEqual([
      "read-task-secrets",
      "write-emf",
    ]);
    const roles = service.node.findChild("Roles");
    expect(roles.node.tryFindChild("TaskRoleExec")).toBeUndefined();
    expect(roles.node.tryFindChild("TaskRoleApp")).toBeUndefined();
  });

  it("GIVEN the resources WHEN read THEN the attributes are their references and metrics mirrors the container environment", () => {
    expect(resolved(synth.stack, service.metrics)).toEqual({
      namespace: "koaapp",
      logGroupName: at("EmfLogs", "name"),
      logStreamName: "koaapp",
      serviceName: "koaapp",
      agentEndpoint: "tcp://127.0.0.1:25888",
      highResolution: false,
    });
    expect(
      resolved(synth.stack, {
        serviceName: service.serviceName,
        serviceArn: service.serviceArn,
        clusterName: service.clusterName,
        clusterArn: service.clusterArn,
        taskDefinitionArn: service.taskDefinitionArn,
        taskDefinitionFamily: service.taskDefinitionFamily,
        securityGroupId: service.securityGroupId,
        taskRoleArn: service.taskRoleArn,
        executionRoleArn: service.executionRoleArn,
        logGroupName: service.logGroupName,
        emfLogGroupName: service.emfLogGroupName,
        agentConfigParameterName: service.agentConfigParameterName,
        alarmTopicArn: service.alarmTopicArn,
        deploymentAlarmNames: service.deploymentAlarmNames,
        dashboardName: service.dashboardName,
      }),
    ).toEqual({
      serviceName: at("Ecs/Resource", "name"),
      serviceArn: at("Ecs/Resource", "id"),
      clusterName: at("Ecs/Cluster", "name"),
      clusterArn: at("Ecs/Cluster", "arn"),
      taskDefinitionArn: at("TaskDefinition/Resource", "arn"),
      taskDefinitionFamily: at("TaskDefinition/Resource", "family"),
      securityGroupId: at("Ecs/SecurityGroup", "id"),
      taskRoleArn: ref(synth.stack, service.taskRole, "arn"),
      executionRoleArn: ref(synth.stack, service.executionRole, "arn"),
      logGroupName: at("Logs", "name"),
      emfLogGroupName: at("EmfLogs", "name"),
      agentConfigParameterName: at("Agent/Resource", "name"),
      alarmTopicArn: at("Alarms/Topic", "arn"),
      deploymentAlarmNames: [at("Alarms/LatencyP99", "alarm_name"), at("Alarms/ErrorRate", "alarm_name")],
      dashboardName: at("Dashboard/Resource", "dashboard_name"),
    });
    expect(resolved(synth.stack, service.containers)).toEqual(containers);
  });

  it("GIVEN no load balancer WHEN read THEN the front-door attributes are unset", () => {
    expect([service.url, service.loadBalancerDnsName, service.loadBalancerZoneId]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});
