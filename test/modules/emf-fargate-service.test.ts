import { TerraformVariable } from "cdktf";
import { AppParameters } from "../../modules/app-parameters";
import { DEFAULT_AGENT_IMAGE } from "../../modules/cloudwatch-agent-sidecar";
import type { ContainerDefinition } from "../../modules/container-definition";
import {
  EmfFargateService,
  type EmfFargateServiceProps,
  LOG_RETENTION_DAYS,
} from "../../modules/emf-fargate-service";
import {
  blockOf,
  childOf,
  containerDefinitionsOf,
  containerNamed,
  environmentOf,
  HEALTH_CHECK,
  newStack,
  onlyResource,
  problemLine,
  ref,
  resolved,
  resourcesOf,
  SECRET_NAMES,
  SERVICE_PROPS,
  SSM_SECRETS,
  secretsOf,
  statementsOf,
  synthStack,
} from "./support";

const KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SUBNETS = SERVICE_PROPS.subnetIds;

const BASE: EmfFargateServiceProps = SERVICE_PROPS;

function build(overrides: Partial<EmfFargateServiceProps>): EmfFargateService {
  return new EmfFargateService(newStack(), "Service", { ...BASE, ...overrides });
}

/** Splits a container into the parts asserted separately. */
function partsOf(container: ContainerDefinition) {
  const { environment, secrets, healthCheck, ...rest } = container;
  return { environment, secrets, healthCheck, rest };
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
      serviceName: "koaapp",
      vpcId: "vpc-0123",
      subnetIds: SUBNETS,
      secrets: parameters.secrets,
      healthCheck: HEALTH_CHECK,
      imageTag: "1.2.3",
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
  const agentParameterArn = ref(synth.stack, service.agent.parameter, "arn");
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

  it("GIVEN no size WHEN synthesized THEN the task is a 512 CPU / 1024 MiB awsvpc Fargate task on Linux X86_64 with both roles", () => {
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
    });
  });

  it("GIVEN the containers WHEN synthesized THEN container_definitions parses as JSON (references only inside strings), app first, agent second", () => {
    expect(containers.map((c) => c.name)).toEqual(["koaapp", "cloudwatch-agent"]);
    expect(String(block("TaskDefinition/Resource").container_definitions)).toContain("${");
  });

  it("GIVEN defaults WHEN synthesized THEN the app container runs the repository image at the tag with 256 CPU, 512 MiB and port 5000", () => {
    expect(partsOf(app).rest).toEqual({
      name: "koaapp",
      image: `${at("Repository", "repository_url")}:1.2.3`,
      cpu: 256,
      memory: 512,
      essential: true,
      portMappings: [{ containerPort: 5000, hostPort: 5000, protocol: "tcp" }],
      logConfiguration,
      dependsOn: [{ containerName: "cloudwatch-agent", condition: "START" }],
      linuxParameters: { initProcessEnabled: true },
      stopTimeout: 30,
      readonlyRootFilesystem: true,
      user: "1000:1000",
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
    expect(app.healthCheck).toEqual({
      command: ["CMD-SHELL", "curl -fsS http://127.0.0.1:5000/health || exit 1"],
      interval: 15,
      timeout: 5,
      retries: 3,
      startPeriod: 10,
    });
  });

  it("GIVEN no agent props WHEN synthesized THEN the agent is the pinned image on 25888/tcp, 256 CPU / 256 MiB, configured from its parameter", () => {
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
    expect(blockOf(synth, service.agent.parameter)).toMatchObject({
      name: "/test/Service/Agent/cw-agent-config",
      type: "String",
      value: '{"logs":{"metrics_collected":{"emf":{}}}}',
    });
  });

  it("GIVEN defaults WHEN synthesized THEN both log groups exist with 30 days' retention and no KMS key", () => {
    expect(block("Logs")).toEqual({ name: "/ecs/koaapp", retention_in_days: 30 });
    expect(block("EmfLogs")).toEqual({ name: "/ecs/koaapp/emf", retention_in_days: 30 });
  });

  it("GIVEN an image tag WHEN synthesized THEN an immutable, scanned-on-push ECR repository named after the service is created", () => {
    expect(onlyResource(synth.json, "aws_ecr_repository")).toEqual({
      name: "koaapp",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "AES256" }],
    });
  });

  it("GIVEN no existing cluster WHEN synthesized THEN a cluster named after the service is created, Container Insights off", () => {
    expect(onlyResource(synth.json, "aws_ecs_cluster")).toEqual({
      name: "koaapp",
      setting: [{ name: "containerInsights", value: "disabled" }],
    });
  });

  it("GIVEN defaults WHEN synthesized THEN the service runs one Fargate task, the circuit breaker and the p99 and 5xx alarms rolling back, apply failing on a rolled-back rollout", () => {
    expect(block("Default/Resource")).toEqual({
      name: "koaapp",
      cluster: at("Default/Cluster", "arn"),
      task_definition: at("TaskDefinition/Resource", "arn"),
      desired_count: 1,
      launch_type: "FARGATE",
      platform_version: "1.4.0",
      network_configuration: {
        subnets: SUBNETS,
        security_groups: [at("Default/SecurityGroup", "id")],
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
      enable_execute_command: false,
      enable_ecs_managed_tags: true,
      propagate_tags: "SERVICE",
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
    expect(block("Default/SecurityGroup")).toEqual({
      name_prefix: "koaapp-",
      description: "Tasks of koaapp",
      vpc_id: "vpc-0123",
      lifecycle: { create_before_destroy: true },
    });
    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toEqual([]);
    expect(resourcesOf(synth.json, "aws_vpc_security_group_egress_rule")).toEqual([
      {
        security_group_id: at("Default/SecurityGroup", "id"),
        description: "All outbound",
        ip_protocol: "-1",
        cidr_ipv4: "0.0.0.0/0",
      },
    ]);
  });

  it("GIVEN both roles WHEN synthesized THEN only ECS tasks of this account may assume them, the task role only from this region's ECS", () => {
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

  it("GIVEN the resources WHEN read THEN the attributes are their references and emf mirrors the container environment", () => {
    expect(resolved(synth.stack, service.emf)).toEqual({
      namespace: "koaapp",
      logGroupName: at("EmfLogs", "name"),
      logStreamName: "koaapp",
      serviceName: "koaapp",
      agentEndpoint: "tcp://127.0.0.1:25888",
    });
    expect(
      resolved(synth.stack, {
        clusterName: service.clusterName,
        clusterArn: service.clusterArn,
        serviceName: service.serviceName,
        taskDefinitionFamily: service.taskDefinitionFamily,
        logGroupName: service.logGroupName,
        emfLogGroupName: service.emfLogGroupName,
        repositoryUrl: service.repositoryUrl,
        image: service.image,
        securityGroupId: service.securityGroupId,
      }),
    ).toEqual({
      clusterName: at("Default/Cluster", "name"),
      clusterArn: at("Default/Cluster", "arn"),
      serviceName: at("Default/Resource", "name"),
      taskDefinitionFamily: at("TaskDefinition/Resource", "family"),
      logGroupName: at("Logs", "name"),
      emfLogGroupName: at("EmfLogs", "name"),
      repositoryUrl: at("Repository", "repository_url"),
      image: `${at("Repository", "repository_url")}:1.2.3`,
      securityGroupId: at("Default/SecurityGroup", "id"),
    });
  });
});

describe("EmfFargateService with every optional prop", () => {
  const secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:koaapp/api-key-AbCdEf";
  const synth = synthStack(
    (stack) =>
      new EmfFargateService(stack, "Service", {
        ...BASE,
        secrets: [...SSM_SECRETS, { name: "API_KEY", valueFrom: secretArn, store: "secretsmanager" }],
        imageTag: "2024.06.01",
        repositoryName: "acme/koaapp",
        existingCluster: { arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/shared", name: "shared" },
        desiredCount: 3,
        taskCpu: 1024,
        taskMemoryMiB: 2048,
        cpuArchitecture: "ARM64",
        containerName: "web",
        appCpu: 512,
        appMemoryMiB: 1024,
        containerPort: 8080,
        environment: { FEATURE_X: "on", ENV_TYPE: "staging" },
        healthCheck: {
          command: ["CMD-SHELL", "wget -qO- http://127.0.0.1:8080/health"],
          interval: 30,
          timeout: 5,
        },
        stopTimeoutSeconds: 60,
        readonlyRootFilesystem: true,
        user: "node",
        metrics: {
          namespace: "KoaApp/Staging",
          logGroupName: "/custom/emf",
          logStreamName: "web-stream",
        },
        logGroupName: "/custom/logs",
        logRetentionDays: 90,
        kmsKeyArn: KMS_KEY,
        agent: {
          containerName: "cwagent",
          memoryMiB: 512,
          parameterName: "/koaapp/staging/cw-agent-config",
          config: { agent: { debug: true } },
        },
        ingressCidrs: ["10.0.0.0/16", "192.168.1.0/24"],
        ingressSecurityGroupIds: ["sg-0alb"],
        assignPublicIp: true,
        enableExecuteCommand: true,
        circuitBreakerRollback: false,
        platformVersion: "LATEST",
        tags: { Team: "platform" },
      }),
  );
  const service = synth.built;
  const at = (id: string, attribute: string) => ref(synth.stack, childOf(service, id), attribute);
  const block = (id: string) => blockOf(synth, childOf(service, id));
  const containers = containerDefinitionsOf(synth.json);
  const app = containerNamed(containers, "web");
  const agent = containerNamed(containers, "cwagent");
  const execVolumes = ["exec-managed-agents", "exec-var-lib-amazon-ssm", "exec-var-log-amazon-ssm"];

  it("GIVEN a size, architecture, tags and ECS Exec on a read-only root WHEN synthesized THEN the task carries them and three exec volumes", () => {
    expect(block("TaskDefinition/Resource")).toMatchObject({
      cpu: "1024",
      memory: "2048",
      runtime_platform: { operating_system_family: "LINUX", cpu_architecture: "ARM64" },
      volume: execVolumes.map((name) => ({ name })),
      tags: { Team: "platform" },
    });
  });

  it("GIVEN app props WHEN synthesized THEN the app container carries each of them and mounts the exec volumes", () => {
    expect(partsOf(app).rest).toEqual({
      name: "web",
      image: `${at("Repository", "repository_url")}:2024.06.01`,
      cpu: 512,
      memory: 1024,
      essential: true,
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
      logConfiguration: expect.objectContaining({
        options: expect.objectContaining({ "awslogs-group": at("Logs", "name") }),
      }),
      dependsOn: [{ containerName: "cwagent", condition: "START" }],
      linuxParameters: { initProcessEnabled: true },
      stopTimeout: 60,
      readonlyRootFilesystem: true,
      user: "node",
      mountPoints: [
        { sourceVolume: "exec-managed-agents", containerPath: "/managed-agents" },
        { sourceVolume: "exec-var-lib-amazon-ssm", containerPath: "/var/lib/amazon/ssm" },
        { sourceVolume: "exec-var-log-amazon-ssm", containerPath: "/var/log/amazon/ssm" },
      ],
    });
    expect(app.healthCheck).toEqual({
      command: ["CMD-SHELL", "wget -qO- http://127.0.0.1:8080/health"],
      interval: 30,
      timeout: 5,
    });
  });

  it("GIVEN metric settings and the app's environment WHEN synthesized THEN the app gets PORT, its own variables in order, then the EMF settings", () => {
    expect(app.environment?.map((v) => v.name).slice(0, 3)).toEqual(["PORT", "FEATURE_X", "ENV_TYPE"]);
    expect(environmentOf(app)).toEqual({
      PORT: "8080",
      FEATURE_X: "on",
      ENV_TYPE: "staging",
      AWS_EMF_AGENT_ENDPOINT: "tcp://127.0.0.1:25888",
      AWS_EMF_SERVICE_NAME: "koaapp",
      AWS_EMF_SERVICE_TYPE: "AWS::ECS::Container",
      AWS_EMF_LOG_GROUP_NAME: at("EmfLogs", "name"),
      AWS_EMF_LOG_STREAM_NAME: "web-stream",
      AWS_EMF_NAMESPACE: "KoaApp/Staging",
    });
    expect(secretsOf(app)).toMatchObject({ API_KEY: secretArn });
  });

  it("GIVEN agent props WHEN synthesized THEN the agent container and its tagged parameter follow them", () => {
    expect(agent).toMatchObject({ name: "cwagent", cpu: 256, memory: 512, essential: false });
    expect(blockOf(synth, service.agent.parameter)).toMatchObject({
      name: "/koaapp/staging/cw-agent-config",
      tags: { Team: "platform" },
    });
    expect(JSON.parse(blockOf(synth, service.agent.parameter).value as string)).toEqual({
      logs: { metrics_collected: { emf: {} } },
      agent: { debug: true },
    });
  });

  it("GIVEN log group names, retention and a KMS key WHEN synthesized THEN both log groups use them", () => {
    expect(block("Logs")).toEqual({
      name: "/custom/logs",
      retention_in_days: 90,
      kms_key_id: KMS_KEY,
      tags: { Team: "platform" },
    });
    expect(block("EmfLogs")).toEqual({
      name: "/custom/emf",
      retention_in_days: 90,
      kms_key_id: KMS_KEY,
      tags: { Team: "platform" },
    });
  });

  it("GIVEN a repository name and a KMS key WHEN synthesized THEN the repository uses both", () => {
    expect(onlyResource(synth.json, "aws_ecr_repository")).toEqual({
      name: "acme/koaapp",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "KMS", kms_key: KMS_KEY }],
      tags: { Team: "platform" },
    });
  });

  it("GIVEN an existing cluster WHEN synthesized THEN no cluster is created and the service runs in the given one", () => {
    expect(resourcesOf(synth.json, "aws_ecs_cluster")).toEqual([]);
    expect(block("Default/Resource").cluster).toBe("arn:aws:ecs:eu-west-1:123456789012:cluster/shared");
    expect(service.clusterName).toBe("shared");
    expect(service.clusterArn).toBe("arn:aws:ecs:eu-west-1:123456789012:cluster/shared");
  });

  it("GIVEN service props WHEN synthesized THEN count, platform, public IP, rollback off and ECS Exec follow them", () => {
    expect(block("Default/Resource")).toMatchObject({
      desired_count: 3,
      platform_version: "LATEST",
      network_configuration: { assign_public_ip: true },
      deployment_circuit_breaker: { enable: true, rollback: false },
      enable_execute_command: true,
      tags: { Team: "platform" },
    });
  });

  it("GIVEN ingress CIDRs and a security group WHEN synthesized THEN each is admitted on the container port only", () => {
    const group = at("Default/SecurityGroup", "id");
    const rule = { security_group_id: group, ip_protocol: "tcp", from_port: 8080, to_port: 8080 };

    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toHaveLength(3);
    expect(block("Default/IngressCidr0")).toEqual({
      ...rule,
      description: "koaapp port from 10.0.0.0/16",
      cidr_ipv4: "10.0.0.0/16",
    });
    expect(block("Default/IngressCidr1")).toEqual({
      ...rule,
      description: "koaapp port from 192.168.1.0/24",
      cidr_ipv4: "192.168.1.0/24",
    });
    expect(block("Default/IngressGroup0")).toEqual({
      ...rule,
      description: "koaapp port from a security group",
      referenced_security_group_id: "sg-0alb",
    });
  });

  it("GIVEN SSM and Secrets Manager secrets and a KMS key WHEN synthesized THEN the execution role reads exactly those and decrypts with the key", () => {
    expect(statementsOf(synth.json, block("Roles/ExecutionRoleSecrets").policy)).toEqual([
      {
        sid: "ReadParameters",
        actions: ["ssm:GetParameters"],
        resources: [...SSM_SECRETS.map((s) => s.valueFrom), ref(synth.stack, service.agent.parameter, "arn")],
      },
      { sid: "ReadSecrets", actions: ["secretsmanager:GetSecretValue"], resources: [secretArn] },
      { sid: "DecryptWithKey", actions: ["kms:Decrypt"], resources: [KMS_KEY] },
    ]);
  });

  it("GIVEN ECS Exec WHEN synthesized THEN the task role may open SSM message channels", () => {
    const policy = block("Roles/TaskRoleExec");

    expect(policy).toEqual({
      name: "ecs-exec",
      role: ref(synth.stack, service.taskRole, "id"),
      policy: at("Roles/ExecuteCommand", "json"),
    });
    expect(statementsOf(synth.json, policy.policy)).toEqual([
      {
        actions: [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ],
        resources: ["*"],
      },
    ]);
  });

  it("GIVEN tags WHEN synthesized THEN the roles and the security group carry them", () => {
    expect(blockOf(synth, service.executionRole).tags).toEqual({ Team: "platform" });
    expect(blockOf(synth, service.taskRole).tags).toEqual({ Team: "platform" });
    expect(block("Default/SecurityGroup").tags).toEqual({ Team: "platform" });
  });
});

describe("EmfFargateService with an image URI", () => {
  const synth = synthStack(
    (stack) =>
      new EmfFargateService(stack, "Service", {
        ...BASE,
        imageTag: undefined,
        imageUri: "public.ecr.aws/acme/koaapp:1.2.3",
        containerInsights: true,
        enableExecuteCommand: true,
        readonlyRootFilesystem: false,
        ingressCidrs: ["0.0.0.0/0"],
        allowIngressFromAnywhere: true,
      }),
  );
  const service = synth.built;
  const app = containerNamed(containerDefinitionsOf(synth.json), "koaapp");

  it("GIVEN imageUri WHEN synthesized THEN no repository is created and the app runs the URI as given", () => {
    expect(resourcesOf(synth.json, "aws_ecr_repository")).toEqual([]);
    expect(service.repositoryUrl).toBeUndefined();
    expect(app.image).toBe("public.ecr.aws/acme/koaapp:1.2.3");
    expect(service.image).toBe("public.ecr.aws/acme/koaapp:1.2.3");
  });

  it("GIVEN containerInsights on a created cluster WHEN synthesized THEN the setting is enabled", () => {
    expect(onlyResource(synth.json, "aws_ecs_cluster").setting).toEqual([
      { name: "containerInsights", value: "enabled" },
    ]);
  });

  it("GIVEN ECS Exec with a writable root WHEN synthesized THEN the exec policy exists but no volumes or mount points", () => {
    expect(blockOf(synth, childOf(service, "Roles/TaskRoleExec")).name).toBe("ecs-exec");
    expect(resourcesOf(synth.json, "aws_iam_role_policy").map((p) => p.name)).toEqual([
      "read-task-secrets",
      "write-emf",
      "ecs-exec",
    ]);
    expect(Object.keys(onlyResource(synth.json, "aws_ecs_task_definition"))).not.toContain("volume");
    expect(app).toMatchObject({ readonlyRootFilesystem: false });
    expect(Object.keys(app)).not.toContain("mountPoints");
  });

  it("GIVEN 0.0.0.0/0 with allowIngressFromAnywhere WHEN synthesized THEN the port is open to it", () => {
    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toEqual([
      expect.objectContaining({ cidr_ipv4: "0.0.0.0/0", from_port: 5000, to_port: 5000 }),
    ]);
  });
});

describe("EmfFargateService with token inputs", () => {
  const synth = synthStack((stack) => {
    const taskCpu = new TerraformVariable(stack, "task_cpu", { type: "number" });
    const desiredCount = new TerraformVariable(stack, "desired_count", { type: "number" });
    const imageTag = new TerraformVariable(stack, "image_tag", { type: "string" });
    const secretArn = new TerraformVariable(stack, "secret_arn", { type: "string" });
    return new EmfFargateService(stack, "Service", {
      ...BASE,
      taskCpu: taskCpu.numberValue,
      desiredCount: desiredCount.numberValue,
      imageTag: imageTag.stringValue,
      secrets: [
        ...SSM_SECRETS.slice(1),
        { name: "RDS_USERNAME", valueFrom: secretArn.stringValue, store: "ssm" },
      ],
    });
  });
  const service = synth.built;
  const app = containerNamed(containerDefinitionsOf(synth.json), "koaapp");

  it("GIVEN task CPU and desired count from variables WHEN synthesized THEN they are not judged and appear as references", () => {
    expect(onlyResource(synth.json, "aws_ecs_task_definition")).toMatchObject({
      cpu: "${var.task_cpu}",
      memory: "1024",
    });
    expect(blockOf(synth, service.service).desired_count).toBe("${var.desired_count}");
  });

  it("GIVEN an image tag and a secret ARN from variables WHEN synthesized THEN the container and the policy reference them", () => {
    expect(app.image).toBe(
      `${ref(synth.stack, childOf(service, "Repository"), "repository_url")}:\${var.image_tag}`,
    );
    expect(secretsOf(app).RDS_USERNAME).toBe("${var.secret_arn}");
    expect(
      statementsOf(synth.json, blockOf(synth, childOf(service, "Roles/ExecutionRoleSecrets")).policy)[0]
        ?.resources,
    ).toContain("${var.secret_arn}");
  });
});

describe("EmfFargateService with the largest Fargate sizes", () => {
  it.each([
    [8192, 16384],
    [8192, 61440],
    [16384, 32768],
    [16384, 122880],
  ])(
    "GIVEN taskCpu %p and taskMemoryMiB %p WHEN synthesized THEN the task has that size",
    (taskCpu, taskMemoryMiB) => {
      const synth = synthStack(
        (stack) => new EmfFargateService(stack, "Service", { ...BASE, taskCpu, taskMemoryMiB }),
      );

      expect(onlyResource(synth.json, "aws_ecs_task_definition")).toMatchObject({
        cpu: String(taskCpu),
        memory: String(taskMemoryMiB),
      });
    },
  );
});

describe("EmfFargateService validation", () => {
  const notPinned = (prop: string, image: string) =>
    `${prop} "${image}" is not pinned; allowed: an image with a version tag or @sha256 digest (set allowLatestImage to accept "latest")`;

  it("GIVEN several invalid props WHEN built THEN one error lists them all", () => {
    expect(() => build({ taskCpu: 3000, containerPort: 25888, logRetentionDays: 10, subnetIds: [] })).toThrow(
      new Error(
        [
          "test/Service: invalid props:",
          "- taskCpu 3000 is not a Fargate task CPU value; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384",
          "- containerPort 25888 is the agent's EMF port; allowed: any port but 25888",
          `- logRetentionDays 10 is not a CloudWatch Logs retention; allowed: ${LOG_RETENTION_DAYS.join(", ")}`,
          "- subnetIds [] is empty; allowed: at least one subnet",
        ].join("\n"),
      ),
    );
  });

  it("GIVEN the retention list WHEN read THEN it is the set CloudWatch Logs accepts", () => {
    expect([...LOG_RETENTION_DAYS]).toEqual([
      1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
    ]);
  });

  it.each(["-koaapp", "koa app", "k".repeat(256)])(
    "GIVEN serviceName %p WHEN built THEN it is refused",
    (serviceName) => {
      expect(() => build({ serviceName })).toThrow(
        problemLine(
          `serviceName "${serviceName}" is not an ECS service name; allowed: 1-255 letters, digits, hyphens and underscores, starting with a letter or digit`,
        ),
      );
    },
  );

  it("GIVEN both imageUri and imageTag WHEN built THEN exactly one is required", () => {
    expect(() => build({ imageUri: "public.ecr.aws/acme/koaapp:1.2.3", imageTag: "1.2.3" })).toThrow(
      problemLine(
        'imageUri "public.ecr.aws/acme/koaapp:1.2.3" and imageTag "1.2.3": allowed: exactly one of them',
      ),
    );
  });

  it("GIVEN neither imageUri nor imageTag WHEN built THEN exactly one is required", () => {
    expect(() => build({ imageTag: undefined })).toThrow(
      problemLine("imageUri undefined and imageTag undefined: allowed: exactly one of them"),
    );
  });

  it.each(["public.ecr.aws/acme/koaapp:latest", "public.ecr.aws/acme/koaapp"])(
    "GIVEN the unpinned imageUri %p WHEN built THEN it is refused",
    (imageUri) => {
      expect(() => build({ imageTag: undefined, imageUri })).toThrow(
        problemLine(notPinned("imageUri", imageUri)),
      );
    },
  );

  it("GIVEN imageTag latest WHEN built THEN it is refused", () => {
    expect(() => build({ imageTag: "latest" })).toThrow(
      problemLine(
        'imageTag "latest" is not pinned; allowed: a version tag (set allowLatestImage to accept "latest")',
      ),
    );
  });

  it.each([".hidden", "-dash", "v1 2", "t".repeat(129)])(
    "GIVEN imageTag %p WHEN built THEN it is refused",
    (imageTag) => {
      expect(() => build({ imageTag })).toThrow(
        problemLine(
          `imageTag "${imageTag}" is not an image tag; allowed: up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -`,
        ),
      );
    },
  );

  it("GIVEN allowLatestImage WHEN latest is used as tag or URI THEN the service synthesizes with it", () => {
    const byTag = synthStack(
      (stack) =>
        new EmfFargateService(stack, "Service", { ...BASE, imageTag: "latest", allowLatestImage: true }),
    );
    const byUri = synthStack(
      (stack) =>
        new EmfFargateService(stack, "Service", {
          ...BASE,
          imageTag: undefined,
          imageUri: "public.ecr.aws/acme/koaapp:latest",
          allowLatestImage: true,
        }),
    );

    expect(containerNamed(containerDefinitionsOf(byTag.json), "koaapp").image).toMatch(/:latest$/);
    expect(containerNamed(containerDefinitionsOf(byUri.json), "koaapp").image).toBe(
      "public.ecr.aws/acme/koaapp:latest",
    );
  });

  it("GIVEN an image URI pinned by digest WHEN synthesized THEN it is accepted as given", () => {
    const imageUri = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/koaapp@sha256:${"0123456789abcdef".repeat(4)}`;
    const synth = synthStack(
      (stack) => new EmfFargateService(stack, "Service", { ...BASE, imageTag: undefined, imageUri }),
    );

    expect(containerNamed(containerDefinitionsOf(synth.json), "koaapp").image).toBe(imageUri);
  });

  it("GIVEN a memory size the CPU does not allow WHEN built THEN the allowed sizes are listed", () => {
    expect(() => build({ taskCpu: 512, taskMemoryMiB: 512 })).toThrow(
      problemLine("taskMemoryMiB 512 is not valid with taskCpu 512; allowed: 1024, 2048, 3072, 4096"),
    );
  });

  it.each([-1, 5001, 1.5])("GIVEN desiredCount %p WHEN built THEN it is refused", (desiredCount) => {
    expect(() => build({ desiredCount })).toThrow(
      problemLine(`desiredCount ${desiredCount} is out of range; allowed: an integer from 0 to 5000`),
    );
  });

  it.each([0, 65536])("GIVEN containerPort %p WHEN built THEN it is refused", (containerPort) => {
    expect(() => build({ containerPort })).toThrow(
      problemLine(`containerPort ${containerPort} is out of range; allowed: an integer from 1 to 65535`),
    );
  });

  it("GIVEN the agent's port as containerPort WHEN built THEN it is refused", () => {
    expect(() => build({ containerPort: 25888 })).toThrow(
      problemLine("containerPort 25888 is the agent's EMF port; allowed: any port but 25888"),
    );
  });

  it.each([0, 2, 10, 4000])("GIVEN logRetentionDays %p WHEN built THEN it is refused", (logRetentionDays) => {
    expect(() => build({ logRetentionDays })).toThrow(
      problemLine(
        `logRetentionDays ${logRetentionDays} is not a CloudWatch Logs retention; allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653`,
      ),
    );
  });

  it("GIVEN bad log group names WHEN built THEN each prop is named", () => {
    const build2 = () => build({ logGroupName: "/ecs/koa app", metrics: { logGroupName: "/ecs/koa:emf" } });
    const allowed = "allowed: 1-512 characters of A-Z a-z 0-9 . - _ / #";

    expect(build2).toThrow(problemLine(`logGroupName "/ecs/koa app" is not a log group name; ${allowed}`));
    expect(build2).toThrow(
      problemLine(`metrics.logGroupName "/ecs/koa:emf" is not a log group name; ${allowed}`),
    );
  });

  it.each(["AWS/ECS", "koa$app", " ", ":koaapp"])(
    "GIVEN metrics.namespace %p WHEN built THEN it is refused",
    (namespace) => {
      expect(() => build({ metrics: { namespace } })).toThrow(
        problemLine(
          `metrics.namespace "${namespace}" is not a CloudWatch namespace; allowed: 1-255 characters of 0-9 A-Z a-z . - _ / # : and space, at least one not a space, not starting with ":" or "AWS/"`,
        ),
      );
    },
  );

  it("GIVEN metrics.logStreamName with a colon WHEN built THEN it is refused at synth, as the middleware would refuse AWS_EMF_LOG_STREAM_NAME at start", () => {
    expect(() => build({ metrics: { logStreamName: "koaapp:1" } })).toThrow(
      problemLine(
        'metrics.logStreamName "koaapp:1" is not a log stream name; allowed: 1-512 characters, none of them : or *',
      ),
    );
  });

  it.each(["10.0.0/8", "10.0.0.0", "any", "300.0.0.0/8"])(
    "GIVEN ingress CIDR %p WHEN built THEN it is refused",
    (cidr) => {
      expect(() => build({ ingressCidrs: [cidr] })).toThrow(
        problemLine(`ingressCidrs "${cidr}" is not an IPv4 CIDR; allowed: e.g. "10.0.0.0/16"`),
      );
    },
  );

  it("GIVEN 0.0.0.0/0 without allowIngressFromAnywhere WHEN built THEN it is refused naming the port", () => {
    expect(() => build({ ingressCidrs: ["10.0.0.0/8", "0.0.0.0/0"], containerPort: 8080 })).toThrow(
      problemLine(
        'ingressCidrs "0.0.0.0/0" opens port 8080 to the internet; allowed: narrower CIDRs, or set allowIngressFromAnywhere',
      ),
    );
  });

  it("GIVEN no subnet WHEN built THEN it is refused", () => {
    expect(() => build({ subnetIds: [] })).toThrow(
      problemLine("subnetIds [] is empty; allowed: at least one subnet"),
    );
  });

  it("GIVEN environment.PORT WHEN built THEN it is refused as set by the construct from containerPort", () => {
    expect(() => build({ environment: { PORT: "8080" } })).toThrow(
      problemLine("environment.PORT is set by the construct; allowed: the containerPort prop"),
    );
  });

  it("GIVEN an app's own variables, HOST among them, WHEN synthesized THEN they reach the container as given: what they mean is the image's business", () => {
    const environment = { HOST: "127.0.0.1", ENV_TYPE: "x", METRICS_MODE: "x", PGSSLMODE: "x" };
    const synth = synthStack((stack) => new EmfFargateService(stack, "Service", { ...BASE, environment }));

    expect(environmentOf(containerNamed(containerDefinitionsOf(synth.json), "koaapp"))).toMatchObject(
      environment,
    );
  });

  it("GIVEN a secret named like a variable the construct sets WHEN built THEN it is refused", () => {
    const secrets = [...SSM_SECRETS, { name: "AWS_EMF_NAMESPACE", valueFrom: "/x", store: "ssm" as const }];

    expect(() => build({ secrets })).toThrow(
      problemLine(
        'secrets[6].name "AWS_EMF_NAMESPACE" is set by the construct; allowed: any name but PORT and AWS_EMF_*',
      ),
    );
  });

  it("GIVEN no health check (plain JavaScript) WHEN built THEN the choice is asked for", () => {
    const healthCheck = undefined as unknown as EmfFargateServiceProps["healthCheck"];

    expect(() => build({ healthCheck })).toThrow(
      problemLine(
        "healthCheck undefined is not set; allowed: a container health check ({ command, interval?, timeout?, retries?, startPeriod? }), or false for none",
      ),
    );
  });

  it("GIVEN an AWS_EMF_ variable in environment WHEN built THEN it is refused in favour of the metrics prop", () => {
    expect(() => build({ environment: { AWS_EMF_NAMESPACE: "other" } })).toThrow(
      problemLine(
        "environment.AWS_EMF_NAMESPACE would disagree with the stack's metric settings; allowed: the metrics prop",
      ),
    );
  });

  it("GIVEN an environment variable that is also a secret WHEN built THEN it is refused", () => {
    expect(() => build({ environment: { RDS_HOSTNAME: "db.internal" } })).toThrow(
      problemLine("environment.RDS_HOSTNAME is also a secret; allowed: each variable once"),
    );
  });

  it("GIVEN app CPU above what the task leaves beside the agent WHEN built THEN the sum is reported", () => {
    expect(() => build({ appCpu: 512 })).toThrow(
      problemLine(
        "containers cpu adds up to 768, more than the task's cpu 512; allowed: a sum of at most 512",
      ),
    );
  });

  it("GIVEN app memory above what the task leaves beside the agent WHEN built THEN the sum is reported", () => {
    expect(() => build({ appMemoryMiB: 1024 })).toThrow(
      problemLine(
        "containers memory adds up to 1280 MiB, more than the task's memoryMiB 1024; allowed: a sum of at most 1024",
      ),
    );
  });

  it("GIVEN stopTimeoutSeconds above Fargate's 120 WHEN built THEN it is refused", () => {
    expect(() => build({ stopTimeoutSeconds: 121 })).toThrow(
      problemLine("containers[koaapp].stopTimeout 121 is out of range; allowed: an integer from 2 to 120"),
    );
  });

  it("GIVEN a health check out of range WHEN built THEN the field is named", () => {
    expect(() => build({ healthCheck: { command: ["CMD", "true"], interval: 301 } })).toThrow(
      problemLine(
        "containers[koaapp].healthCheck.interval 301 is out of range; allowed: an integer from 5 to 300",
      ),
    );
  });

  it("GIVEN a container name with a space WHEN built THEN the pattern is reported", () => {
    expect(() => build({ containerName: "web app" })).toThrow(
      problemLine(
        'containers[web app].name "web app" is not a container name; allowed: 1-255 letters, digits, hyphens and underscores',
      ),
    );
  });

  it("GIVEN the agent named like the app WHEN built THEN the duplicate name is reported", () => {
    expect(() => build({ agent: { containerName: "koaapp" } })).toThrow(
      problemLine('containers name "koaapp" is used 2 times; allowed: unique container names'),
    );
  });

  it("GIVEN a secret that is no SSM parameter WHEN built THEN the prop is named with the accepted forms", () => {
    const secrets = [
      ...SSM_SECRETS.slice(1),
      { name: "RDS_USERNAME", valueFrom: "s3://x", store: "ssm" as const },
    ];

    expect(() => build({ secrets })).toThrow(
      problemLine(
        'secrets[5].valueFrom "s3://x" is not an SSM parameter name or ARN; allowed: a name like "/orders/db-url" or "db-url" (at most 1011 characters of A-Z a-z 0-9 _ . -, "/" before each path level), or arn:<partition>:ssm:<region>:<account>:parameter/<name>',
      ),
    );
  });

  it("GIVEN an invalid agent prop WHEN built THEN the agent's own error names its path", () => {
    expect(() => build({ agent: { memoryMiB: 5 } })).toThrow(
      new Error(
        "test/Service/Agent: invalid props:\n- memoryMiB 5 is out of range; allowed: an integer from 6 to 122880",
      ),
    );
  });
});

describe("EmfFargateService edge cases", () => {
  it("GIVEN two JSON keys of one Secrets Manager secret by complete ARN WHEN synthesized THEN ECS selects each key and GetSecretValue is granted once, on the secret's ARN", () => {
    const secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:koaapp/db-AbCdEf";
    const synth = synthStack(
      (stack) =>
        new EmfFargateService(stack, "Service", {
          ...BASE,
          secrets: [
            ...SSM_SECRETS.slice(2),
            { name: "RDS_USERNAME", valueFrom: secret, store: "secretsmanager", jsonKey: "username" },
            { name: "RDS_PASSWORD", valueFrom: secret, store: "secretsmanager", jsonKey: "password" },
          ],
        }),
    );
    const policy = blockOf(synth, childOf(synth.built, "Roles/ExecutionRoleSecrets")).policy;

    expect(secretsOf(containerNamed(containerDefinitionsOf(synth.json), "koaapp"))).toMatchObject({
      RDS_USERNAME: `${secret}:username::`,
      RDS_PASSWORD: `${secret}:password::`,
    });
    expect(statementsOf(synth.json, policy).find((s) => s.sid === "ReadSecrets")).toEqual({
      sid: "ReadSecrets",
      actions: ["secretsmanager:GetSecretValue"],
      resources: [secret],
    });
  });

  it("GIVEN healthCheck false WHEN synthesized THEN the app container has no health check and the service still synthesizes", () => {
    const synth = synthStack(
      (stack) => new EmfFargateService(stack, "Service", { ...BASE, healthCheck: false }),
    );
    const app = containerNamed(containerDefinitionsOf(synth.json), "koaapp");

    expect(Object.keys(app)).not.toContain("healthCheck");
    expect(app.name).toBe("koaapp");
  });

  it("GIVEN stopTimeoutSeconds from a variable WHEN synthesized THEN the app's stopTimeout is the variable", () => {
    const synth = synthStack((stack) => {
      const stop = new TerraformVariable(stack, "stop_timeout", { type: "number" });
      return new EmfFargateService(stack, "Service", { ...BASE, stopTimeoutSeconds: stop.numberValue });
    });
    const app = resolved(synth.stack, synth.built.containers[0]) as ContainerDefinition;

    expect(app.stopTimeout).toBe("${var.stop_timeout}");
  });

  it("GIVEN a repository name ECR refuses (capitals) WHEN built THEN it is reported as invalid props", () => {
    expect(() => build({ repositoryName: "KoaApp" })).toThrow(
      /: invalid props:\n(?:- .*\n)*- repositoryName "KoaApp" /,
    );
  });

  it("GIVEN agent.allowLatestImage with a latest agent image WHEN built THEN the service accepts the agent image", () => {
    const service = build({ agent: { image: "amazon/cloudwatch-agent:latest", allowLatestImage: true } });

    expect(service.agent.container.image).toBe("amazon/cloudwatch-agent:latest");
  });
});
