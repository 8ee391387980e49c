/**
 * EmfFargateService with every optional prop of the container, network, task, cluster, metrics, logs, agent and
 * exec concerns set, with a writable root, and with an image from ImageRepository; each prop must reach its
 * resource. The front door and network: emf-fargate-service-production.test.ts; scaling, capacity, deployment
 * and IAM: emf-fargate-service-capacity.test.ts.
 */
import { TerraformVariable } from "cdktf";
import type { ContainerDefinition } from "../../modules/container-definition";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { ImageRepository } from "../../modules/image-repository";
import {
  blockOf,
  CONTAINER,
  childOf,
  containerDefinitionsOf,
  containerNamed,
  environmentOf,
  IDS,
  onlyResource,
  ref,
  resolved,
  resourcesOf,
  SERVICE_PROPS,
  SSM_SECRETS,
  secretsOf,
  statementsOf,
  synthStack,
} from "./support";

const KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:koaapp/api-key-AbCdEf";
const CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/shared";
const WEB_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/koaapp:2024.06.01";

const EVERY_OPTION: EmfFargateServiceProps = {
  serviceName: "koaapp",
  container: {
    image: WEB_IMAGE,
    name: "web",
    cpu: 512,
    memoryMiB: 1024,
    port: 8080,
    environment: { FEATURE_X: "on", ENV_TYPE: "staging" },
    healthCheck: {
      command: ["CMD-SHELL", "wget -qO- http://127.0.0.1:8080/health"],
      interval: 30,
      timeout: 5,
    },
    secrets: [...SSM_SECRETS, { name: "API_KEY", valueFrom: SECRET_ARN, store: "secretsmanager" }],
    command: ["node", "dist/server.js"],
    stopTimeoutSeconds: 60,
    readonlyRootFilesystem: true,
    writablePaths: ["/tmp", "/var/cache/app"],
    user: "node",
  },
  network: {
    vpcId: IDS.vpc,
    subnetIds: IDS.publicSubnets,
    outbound: "publicIp",
    ingressCidrs: ["10.0.0.0/16", "192.168.1.0/24"],
    ingressSecurityGroupIds: [IDS.securityGroups[0]],
  },
  task: { cpu: 1024, memoryMiB: 2048, cpuArchitecture: "ARM64", platformVersion: "LATEST" },
  cluster: { existing: { arn: CLUSTER_ARN, name: "shared" } },
  scaling: { desiredCount: 3 },
  deployment: { circuitBreakerRollback: false },
  metrics: { namespace: "KoaApp/Staging", logGroupName: "/custom/emf", logStreamName: "web-stream" },
  logs: { logGroupName: "/custom/logs", retentionDays: 90 },
  kmsKeyArn: KMS_KEY,
  agent: {
    containerName: "cwagent",
    memoryMiB: 512,
    parameterName: "/koaapp/staging/cw-agent-config",
    config: { agent: { debug: true } },
  },
  exec: { enabled: true, sessionLogGroupName: "/shared/exec-sessions" },
  tags: { Team: "platform" },
};

describe("EmfFargateService with every optional prop", () => {
  const synth = synthStack((stack) => new EmfFargateService(stack, "Service", EVERY_OPTION));
  const service = synth.built;
  const at = (id: string, attribute: string) => ref(synth.stack, childOf(service, id), attribute);
  const block = (id: string) => blockOf(synth, childOf(service, id));
  const containers = containerDefinitionsOf(synth.json);
  const app = containerNamed(containers, "web");
  const agent = containerNamed(containers, "cwagent");
  const volumes = ["tmp", "var-cache-app", "managed-agents", "var-lib-amazon-ssm", "var-log-amazon-ssm"];

  it("GIVEN a size, architecture, tags, writable paths and ECS Exec on a read-only root WHEN synthesized THEN the task carries them and one volume per writable path", () => {
    expect(block("TaskDefinition/Resource")).toMatchObject({
      cpu: "1024",
      memory: "2048",
      runtime_platform: { operating_system_family: "LINUX", cpu_architecture: "ARM64" },
      volume: volumes.map((name) => ({ name })),
      tags: { Team: "platform" },
    });
  });

  it("GIVEN container props WHEN synthesized THEN the app container carries each of them and mounts the writable paths, then the exec paths", () => {
    const { environment: _e, secrets: _s, healthCheck: _h, ...rest } = app;
    expect(rest).toEqual({
      name: "web",
      image: WEB_IMAGE,
      cpu: 512,
      memory: 1024,
      essential: true,
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
      logConfiguration: expect.objectContaining({
        options: expect.objectContaining({ "awslogs-group": at("Logs", "name") }),
      }),
      dependsOn: [{ containerName: "cwagent", condition: "START" }],
      command: ["node", "dist/server.js"],
      linuxParameters: { initProcessEnabled: true },
      stopTimeout: 60,
      readonlyRootFilesystem: true,
      user: "node",
      versionConsistency: "enabled",
      mountPoints: [
        { sourceVolume: "tmp", containerPath: "/tmp" },
        { sourceVolume: "var-cache-app", containerPath: "/var/cache/app" },
        { sourceVolume: "managed-agents", containerPath: "/managed-agents" },
        { sourceVolume: "var-lib-amazon-ssm", containerPath: "/var/lib/amazon/ssm" },
        { sourceVolume: "var-log-amazon-ssm", containerPath: "/var/log/amazon/ssm" },
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
    expect(secretsOf(app)).toMatchObject({ API_KEY: SECRET_ARN });
  });

  it("GIVEN agent props WHEN synthesized THEN the agent container and its tagged parameter follow them", () => {
    expect(agent).toMatchObject({ name: "cwagent", cpu: 256, memory: 512, essential: false });
    expect(block("Agent/Resource")).toMatchObject({
      name: "/koaapp/staging/cw-agent-config",
      tags: { Team: "platform" },
    });
    expect(JSON.parse(block("Agent/Resource").value as string)).toEqual({
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

  it("GIVEN an existing cluster WHEN synthesized THEN no cluster is created and the service runs in the given one", () => {
    expect(resourcesOf(synth.json, "aws_ecs_cluster")).toEqual([]);
    expect(block("Ecs/Resource").cluster).toBe(CLUSTER_ARN);
    expect([service.clusterName, service.clusterArn]).toEqual(["shared", CLUSTER_ARN]);
  });

  it("GIVEN service props WHEN synthesized THEN count, platform, public IP, rollback off and ECS Exec follow them", () => {
    expect(block("Ecs/Resource")).toMatchObject({
      desired_count: 3,
      platform_version: "LATEST",
      network_configuration: { subnets: [...IDS.publicSubnets], assign_public_ip: true },
      deployment_circuit_breaker: { enable: true, rollback: false },
      enable_execute_command: true,
      tags: { Team: "platform" },
    });
  });

  it("GIVEN ingress CIDRs and a security group WHEN synthesized THEN each is admitted on the container port only", () => {
    const group = at("Ecs/SecurityGroup", "id");
    const rule = { security_group_id: group, ip_protocol: "tcp", from_port: 8080, to_port: 8080 };

    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toHaveLength(3);
    expect(block("Ecs/IngressCidr0")).toEqual({
      ...rule,
      description: "koaapp port from 10.0.0.0/16",
      cidr_ipv4: "10.0.0.0/16",
    });
    expect(block("Ecs/IngressCidr1")).toEqual({
      ...rule,
      description: "koaapp port from 192.168.1.0/24",
      cidr_ipv4: "192.168.1.0/24",
    });
    expect(block("Ecs/IngressGroup0")).toEqual({
      ...rule,
      description: "koaapp port from a security group",
      referenced_security_group_id: IDS.securityGroups[0],
    });
  });

  it("GIVEN SSM and Secrets Manager secrets and a KMS key WHEN synthesized THEN the execution role reads exactly those and decrypts with the key", () => {
    expect(statementsOf(synth.json, block("Roles/ExecutionRoleSecrets").policy)).toEqual([
      {
        sid: "ReadParameters",
        actions: ["ssm:GetParameters"],
        resources: [...SSM_SECRETS.map((s) => s.valueFrom), at("Agent/Resource", "arn")],
      },
      { sid: "ReadSecrets", actions: ["secretsmanager:GetSecretValue"], resources: [SECRET_ARN] },
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
    const statements = statementsOf(synth.json, policy.policy);
    expect(statements[0]).toEqual({
      sid: "OpenSessionChannels",
      actions: [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ],
      resources: ["*"],
    });
    // With an existing cluster the sessions go to the log group it logs to, named in exec.sessionLogGroupName.
    // (its ARN is joined at plan time from the partition and the EMF log group's region and account)
    expect(statements.flatMap((statement) => statement.resources ?? []).join(" ")).toContain(
      '"log-group", "/shared/exec-sessions"])}:*',
    );
  });

  it("GIVEN tags WHEN synthesized THEN the roles and the security group carry them", () => {
    expect(blockOf(synth, service.executionRole).tags).toEqual({ Team: "platform" });
    expect(blockOf(synth, service.taskRole).tags).toEqual({ Team: "platform" });
    expect(block("Ecs/SecurityGroup").tags).toEqual({ Team: "platform" });
  });
});

describe("EmfFargateService with a writable root, an image outside ECR and ingress from anywhere", () => {
  const synth = synthStack(
    (stack) =>
      new EmfFargateService(stack, "Service", {
        ...SERVICE_PROPS,
        container: { ...CONTAINER, image: "public.ecr.aws/acme/koaapp:1.2.3", readonlyRootFilesystem: false },
        network: { ...SERVICE_PROPS.network, ingressCidrs: ["0.0.0.0/0"], allowIngressFromAnywhere: true },
        cluster: { containerInsights: true },
        exec: { enabled: true },
      }),
  );
  const service = synth.built;
  const app = containerNamed(containerDefinitionsOf(synth.json), "koaapp");

  it("GIVEN an image outside ECR with outbound nat WHEN synthesized THEN the app runs it as given", () => {
    expect(app.image).toBe("public.ecr.aws/acme/koaapp:1.2.3");
  });

  it("GIVEN containerInsights on a created cluster WHEN synthesized THEN the setting is enabled", () => {
    expect(onlyResource(synth.json, "aws_ecs_cluster").setting).toEqual([
      { name: "containerInsights", value: "enabled" },
    ]);
  });

  it("GIVEN ECS Exec with a writable root WHEN synthesized THEN the exec policy exists but no volumes or mount points, not even /tmp", () => {
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

describe("EmfFargateService with an image from ImageRepository, a latest agent and a variable", () => {
  const synth = synthStack((stack) => {
    const repository = new ImageRepository(stack, "Repository", { name: "koaapp" });
    const tag = new TerraformVariable(stack, "image_tag", { type: "string" });
    const service = new EmfFargateService(stack, "Service", {
      ...SERVICE_PROPS,
      container: { ...CONTAINER, image: repository.imageUri("1.2.3") },
    });
    const fromVariable = new EmfFargateService(stack, "Tagged", {
      ...SERVICE_PROPS,
      serviceName: "tagged",
      container: { ...CONTAINER, image: repository.imageUri(tag.stringValue) },
    });
    return { repository, service, fromVariable };
  });
  const { repository, service, fromVariable } = synth.built;
  const repositoryUrl = ref(synth.stack, childOf(repository, "Resource"), "repository_url");

  it("GIVEN repository.imageUri(tag) as container.image WHEN synthesized THEN the app runs that tag of the repository, which the service does not create again", () => {
    expect(resolved(synth.stack, service.containers[0]?.image)).toBe(`${repositoryUrl}:1.2.3`);
    expect(resourcesOf(synth.json, "aws_ecr_repository")).toHaveLength(1);
  });

  it("GIVEN a tag from a variable WHEN synthesized THEN the image references it", () => {
    expect(resolved(synth.stack, fromVariable.containers[0]?.image)).toBe(
      `${repositoryUrl}:\${var.image_tag}`,
    );
  });

  it.each(["latest", ".hidden", "-dash", "v1 2", "t".repeat(129)])(
    "GIVEN the tag %p WHEN its image URI is asked for THEN it is refused",
    (tag) => {
      expect(() => repository.imageUri(tag)).toThrow(
        new Error(
          `test/Repository: imageUri tag ${JSON.stringify(tag)} is not a pinned image tag; allowed: up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -, and not "latest"`,
        ),
      );
    },
  );

  it("GIVEN agent.allowLatestImage with a latest agent image WHEN synthesized THEN the agent runs it", () => {
    const image = "amazon/cloudwatch-agent:latest";
    const synth = synthStack(
      (stack) =>
        new EmfFargateService(stack, "Service", {
          ...SERVICE_PROPS,
          agent: { image, allowLatestImage: true },
        }),
    );

    expect(containerNamed(containerDefinitionsOf(synth.json), "cloudwatch-agent").image).toBe(image);
  });

  it("GIVEN stopTimeoutSeconds from a variable WHEN synthesized THEN the app's stopTimeout is the variable", () => {
    const synth = synthStack((stack) => {
      const stop = new TerraformVariable(stack, "stop_timeout", { type: "number" });
      return new EmfFargateService(stack, "Service", {
        ...SERVICE_PROPS,
        container: { ...CONTAINER, stopTimeoutSeconds: stop.numberValue },
      });
    });
    const app = resolved(synth.stack, synth.built.containers[0]) as ContainerDefinition;

    expect(app.stopTimeout).toBe("${var.stop_timeout}");
  });
});

describe("EmfFargateService with the largest Fargate sizes", () => {
  it.each([
    [8192, 16384],
    [8192, 61440],
    [16384, 32768],
    [16384, 122880],
  ])(
    "GIVEN task.cpu %p and task.memoryMiB %p WHEN synthesized THEN the task has that size",
    (cpu, memoryMiB) => {
      const synth = synthStack(
        (stack) => new EmfFargateService(stack, "Service", { ...SERVICE_PROPS, task: { cpu, memoryMiB } }),
      );

      expect(onlyResource(synth.json, "aws_ecs_task_definition")).toMatchObject({
        cpu: String(cpu),
        memory: String(memoryMiB),
      });
    },
  );
});
