/**
 * The one validation of EmfFargateService's props tree: every problem of every concern in one error, each once,
 * under its path, with the value and what is allowed; unknown and missing props named; tokens not judged. The
 * container's rules: emf-fargate-service-container.test.ts; the production props' rules:
 * emf-fargate-service-production.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformVariable } from "cdktf";
import type { ContainerOptions } from "../../modules/app-container";
import { LOG_RETENTION_DAYS } from "../../modules/aws-rules";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { MOVED_SERVICE_PROPS } from "../../modules/former-props";
import type { NetworkOptions } from "../../modules/service-options";
import {
  blockOf,
  CONTAINER,
  childOf,
  containerDefinitionsOf,
  containerNamed,
  IDS,
  NETWORK,
  newStack,
  onlyResource,
  PUBLIC_LOAD_BALANCER,
  problemLine,
  SERVICE_PROPS,
  SSM_SECRETS,
  secretsOf,
  statementsOf,
  synthStack,
} from "./support";

function build(overrides: Partial<EmfFargateServiceProps>): EmfFargateService {
  return new EmfFargateService(newStack(), "Service", { ...SERVICE_PROPS, ...overrides });
}

/** Builds from props as plain JavaScript passes them: no types, data only. */
function buildFromJavaScript(props: object): EmfFargateService {
  return new EmfFargateService(newStack(), "Service", JSON.parse(JSON.stringify(props)));
}

/** The error a build throws (failing the test when it throws none). */
function errorOf(build: () => unknown): Error {
  try {
    build();
  } catch (error) {
    return error as Error;
  }
  throw new Error("the props were accepted");
}

/** The problem lines of an invalid-props error. */
function problemsOf(build: () => unknown): string[] {
  const [, ...lines] = errorOf(build).message.split("\n- ");
  return lines;
}

const SERVICE_KEYS =
  "serviceName, container, network, task, cluster, loadBalancer, scaling, capacity, deployment, metrics, logs, agent, iam, alarms, dashboard, queryDefinitions, exec, serviceConnect, kmsKeyArn, tags";
const CONTAINER_KEYS =
  "image, allowLatestImage, versionConsistency, port, name, cpu, memoryMiB, healthCheck, environment, plaintextAllowed, secrets, command, stopTimeoutSeconds, readonlyRootFilesystem, writablePaths, user";

describe("EmfFargateService validation of the whole props tree", () => {
  const ISSUE_EXAMPLE = { agent: { cpu: -5 }, task: { cpu: 333 }, scaling: { desiredCount: -1 } };
  const ISSUE_ERROR = new Error(
    [
      "test/Service: invalid props:",
      "- task.cpu 333 is not a Fargate task CPU value; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384",
      "- scaling.desiredCount -1 is out of range; allowed: an integer from 0 to 5000",
      "- agent.cpu -5 is out of range; allowed: an integer from 0 to 16384",
    ].join("\n"),
  );

  it("GIVEN an invalid agent CPU, task CPU and desired count WHEN built THEN one error lists the three problems with their paths", () => {
    expect(() => build(ISSUE_EXAMPLE)).toThrow(ISSUE_ERROR);
  });

  it("GIVEN the same props as plain JavaScript objects WHEN built THEN the error is the same", () => {
    expect(() => buildFromJavaScript({ ...SERVICE_PROPS, ...ISSUE_EXAMPLE })).toThrow(ISSUE_ERROR);
  });

  it("GIVEN problems in several concerns WHEN built THEN each is reported once, in the order of the props", () => {
    expect(
      problemsOf(() =>
        build({
          container: { ...CONTAINER, port: 25888 },
          network: { ...NETWORK, subnetIds: [] },
          task: { cpu: 3000 },
          logs: { retentionDays: 10 },
        }),
      ),
    ).toEqual([
      "container.port 25888 is the agent's EMF port; allowed: any port but 25888",
      "network.subnetIds [] has 0 entries; allowed: one or more subnet IDs",
      "task.cpu 3000 is not a Fargate task CPU value; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384",
      `logs.retentionDays 10 is not a CloudWatch Logs retention; allowed: ${LOG_RETENTION_DAYS.join(", ")}`,
    ]);
  });

  it("GIVEN an invalid agent prop WHEN built THEN the service's error names it once under agent, and the sidecar does not report it again", () => {
    expect(() => build({ agent: { memoryMiB: 5 } })).toThrow(
      new Error(
        "test/Service: invalid props:\n- agent.memoryMiB 5 is out of range; allowed: an integer from 6 to 122880",
      ),
    );
  });

  it("GIVEN the agent named like the app WHEN built THEN the clash is reported once, at container.name", () => {
    expect(problemsOf(() => build({ agent: { containerName: "koaapp" } }))).toEqual([
      'container.name "koaapp" is also the agent\'s container name; allowed: a name other than agent.containerName',
    ]);
  });

  it("GIVEN an unknown prop at the top (a JavaScript caller's guess) WHEN built THEN it is refused, listing the props", () => {
    expect(problemsOf(() => buildFromJavaScript({ ...SERVICE_PROPS, maxTasks: 6 }))).toEqual([
      `maxTasks 6 is not a prop of EmfFargateServiceProps; allowed: ${SERVICE_KEYS}`,
    ]);
  });

  it("GIVEN 0.1 props at the top WHEN built THEN each is refused with its 0.2 path, beside the other problems", () => {
    expect(
      problemsOf(() =>
        buildFromJavaScript({ ...SERVICE_PROPS, taskCpu: 333, desiredCount: -1, imageUri: "app:1" }),
      ),
    ).toEqual([
      `taskCpu 333 is not a prop of EmfFargateServiceProps: in 0.2 it is task.cpu; allowed: ${SERVICE_KEYS}`,
      `desiredCount -1 is not a prop of EmfFargateServiceProps: in 0.2 it is scaling.desiredCount; allowed: ${SERVICE_KEYS}`,
      `imageUri "app:1" is not a prop of EmfFargateServiceProps: in 0.2 it is container.image; allowed: ${SERVICE_KEYS}`,
    ]);
  });

  it("GIVEN every top-level prop of 0.1.0 WHEN compared with 0.2 THEN each is still a prop or has its 0.2 path, never both", () => {
    // EmfFargateServiceProps at 0.1.0 (git show 1137f2b:modules/emf-fargate-service.ts).
    const V01 = [
      "serviceName",
      "vpcId",
      "subnetIds",
      "healthCheck",
      "secrets",
      "imageUri",
      "imageTag",
      "repositoryName",
      "allowLatestImage",
      "existingCluster",
      "containerInsights",
      "desiredCount",
      "taskCpu",
      "taskMemoryMiB",
      "ephemeralStorageGiB",
      "cpuArchitecture",
      "containerName",
      "appCpu",
      "appMemoryMiB",
      "containerPort",
      "environment",
      "healthCheckPath",
      "stopTimeoutSeconds",
      "readonlyRootFilesystem",
      "user",
      "metrics",
      "logGroupName",
      "logRetentionDays",
      "kmsKeyArn",
      "agent",
      "taskRoleStatements",
      "loadBalancer",
      "ingressCidrs",
      "ingressSecurityGroupIds",
      "allowIngressFromAnywhere",
      "extraSecurityGroupIds",
      "assignPublicIp",
      "enableExecuteCommand",
      "autoScaling",
      "deployment",
      "circuitBreakerRollback",
      "capacityProviderStrategy",
      "platformVersion",
      "alarms",
      "dashboard",
      "queryDefinitions",
      "tags",
    ];

    const now = SERVICE_KEYS.split(", ");
    const neither = V01.filter((k) => !now.includes(k) && !(k in MOVED_SERVICE_PROPS));
    const both = V01.filter((k) => now.includes(k) && k in MOVED_SERVICE_PROPS);
    const notFrom01 = Object.keys(MOVED_SERVICE_PROPS).filter((k) => !V01.includes(k));

    expect({ neither, both, notFrom01 }).toEqual({ neither: [], both: [], notFrom01: [] });
  });

  it("GIVEN the moved props WHEN the package's CHANGELOG is read THEN its 0.1 -> 0.2 table has a row for each", () => {
    const changelog = readFileSync(
      join(__dirname, "..", "..", "packages", "constructs", "CHANGELOG.md"),
      "utf8",
    );
    const firstCells = changelog
      .split("\n")
      .filter((line) => line.startsWith("| "))
      .map((line) => line.split("|")[1] ?? "");

    const missing = Object.keys(MOVED_SERVICE_PROPS).filter(
      // `key`, or `key: { … }` / `key.*` for a whole concern
      (key) => !firstCells.some((cell) => new RegExp(`\`${key}[\`:.]`).test(cell)),
    );

    expect(missing).toEqual([]);
  });

  it("GIVEN a misspelt container prop WHEN built THEN the key meant is suggested and the missing image is named", () => {
    const { image, ...rest } = CONTAINER;

    expect(
      problemsOf(() => buildFromJavaScript({ ...SERVICE_PROPS, container: { ...rest, imge: image } })),
    ).toEqual([
      `container.imge "${image}" is not a prop of ContainerOptions (did you mean image?); allowed: ${CONTAINER_KEYS}`,
      "container.image undefined is required; allowed: an image reference with a version tag or @sha256 digest",
    ]);
  });

  it("GIVEN unknown props deeper down WHEN built THEN each is named with its full path", () => {
    expect(
      problemsOf(() =>
        buildFromJavaScript({
          ...SERVICE_PROPS,
          scaling: { maxCapacity: 4, minCapcity: 2 },
          loadBalancer: { create: { scheme: "internal", subnetIds: IDS.subnets, healthCheck: { pth: "/" } } },
        }),
      ),
    ).toEqual([
      'loadBalancer.create.healthCheck.pth "/" is not a prop of TargetHealthCheck (did you mean path?); allowed: path, matcher, intervalSeconds, timeoutSeconds, healthyThreshold, unhealthyThreshold',
      "scaling.minCapcity 2 is not a prop of ScalingOptions (did you mean minCapacity?); allowed: desiredCount, minCapacity, maxCapacity, cpuTargetPercent, requestsPerTargetPerMinute, latencyP99ScaleOutMs, latencyScaleOutTasks, scaleInCooldownSeconds, scaleOutCooldownSeconds",
    ]);
  });
});

describe("EmfFargateService validation of required props", () => {
  const withoutKey = <T extends object>(value: T, key: keyof T): object => {
    const { [key]: _, ...rest } = value;
    return rest;
  };

  it.each<[string, object, string]>([
    [
      "container",
      withoutKey(SERVICE_PROPS, "container"),
      "container undefined is required; allowed: the app container: { image, port, healthCheck, ... }",
    ],
    [
      "network",
      withoutKey(SERVICE_PROPS, "network"),
      "network undefined is required; allowed: { vpcId, subnetIds, outbound, ... }",
    ],
    [
      "container.port",
      { ...SERVICE_PROPS, container: withoutKey(CONTAINER, "port") },
      "container.port undefined is required; allowed: the port the app listens on, 1-65535",
    ],
    [
      "container.healthCheck",
      { ...SERVICE_PROPS, container: withoutKey(CONTAINER, "healthCheck") },
      "container.healthCheck undefined is required; allowed: a health check ({ command, interval?, timeout?, retries?, startPeriod? }), or false for none",
    ],
    [
      "network.outbound",
      { ...SERVICE_PROPS, network: withoutKey(NETWORK, "outbound") },
      'network.outbound undefined is required; allowed: "publicIp", "nat" or "vpcEndpoints" (see NetworkOptions.outbound)',
    ],
    [
      "loadBalancer.create.scheme",
      { ...SERVICE_PROPS, loadBalancer: { create: { subnetIds: IDS.publicSubnets } } },
      'loadBalancer.create.scheme undefined is required; allowed: "internet-facing" (public subnets) or "internal"',
    ],
    [
      "loadBalancer.create.subnetIds",
      { ...SERVICE_PROPS, loadBalancer: { create: { scheme: "internal" } } },
      "loadBalancer.create.subnetIds undefined is required; allowed: two or more subnets in different zones: public ones for an internet-facing load balancer",
    ],
  ])("GIVEN no %s WHEN built THEN exactly that prop is named as required", (_prop, props, message) => {
    expect(problemsOf(() => buildFromJavaScript(props))).toEqual([message]);
  });
});

describe("EmfFargateService validation of the network, task and naming props", () => {
  const withNetwork = (network: Partial<NetworkOptions>) => build({ network: { ...NETWORK, ...network } });
  const withContainer = (container: Partial<ContainerOptions>) =>
    build({ container: { ...CONTAINER, ...container } });

  it.each(["-koaapp", "koa app", "", "k".repeat(256)])(
    "GIVEN serviceName %p and a load balancer named after it WHEN built THEN only serviceName is refused, not again at the names derived from it",
    (serviceName) => {
      expect(problemsOf(() => build({ serviceName, loadBalancer: PUBLIC_LOAD_BALANCER }))).toEqual([
        `serviceName "${serviceName}" is not an ECS service name; allowed: 1-255 letters, digits, hyphens and underscores, starting with a letter or digit`,
      ]);
    },
  );

  it("GIVEN a valid serviceName and the same bad names given explicitly WHEN built THEN each given name is refused", () => {
    expect(
      problemsOf(() =>
        build({
          container: { ...CONTAINER, name: "koa app" },
          metrics: { namespace: "", logGroupName: "/ecs/koa app/emf", logStreamName: "" },
          logs: { logGroupName: "/ecs/koa app" },
          loadBalancer: { create: { scheme: "internal", subnetIds: IDS.subnets, name: "" } },
        }),
      ).map((line) => line.slice(0, line.indexOf(";"))),
    ).toEqual([
      'container.name "koa app" is not a container name',
      'loadBalancer.create.name "" is not a load balancer name',
      'metrics.namespace "" is not a CloudWatch namespace',
      'metrics.logGroupName "/ecs/koa app/emf" is not a log group name',
      'metrics.logStreamName "" is not a log stream name',
      'logs.logGroupName "/ecs/koa app" is not a log group name',
    ]);
  });

  it("GIVEN a memory size the CPU does not allow WHEN built THEN the allowed sizes are listed", () => {
    expect(() => build({ task: { cpu: 512, memoryMiB: 512 } })).toThrow(
      problemLine("task.memoryMiB 512 is not valid with task.cpu 512; allowed: 1024, 2048, 3072, 4096"),
    );
  });

  it("GIVEN container CPU above what the task leaves beside the agent WHEN built THEN the sum is reported at task.cpu", () => {
    expect(() => withContainer({ cpu: 512 })).toThrow(
      problemLine(
        "task.cpu 512 is less than the containers' 768 (container.cpu 512 + agent.cpu 256); allowed: at least 768, or smaller containers",
      ),
    );
  });

  it("GIVEN container memory above what the task leaves beside the agent WHEN built THEN the sum is reported at task.memoryMiB", () => {
    expect(() => withContainer({ memoryMiB: 1024 })).toThrow(
      problemLine(
        "task.memoryMiB 1024 is less than the containers' 1280 (container.memoryMiB 1024 + agent.memoryMiB 256); allowed: at least 1280, or smaller containers",
      ),
    );
  });

  it.each([-1, 5001, 1.5])("GIVEN scaling.desiredCount %p WHEN built THEN it is refused", (desiredCount) => {
    expect(() => build({ scaling: { desiredCount } })).toThrow(
      problemLine(`scaling.desiredCount ${desiredCount} is out of range; allowed: an integer from 0 to 5000`),
    );
  });

  it.each([0, 2, 10, 4000])("GIVEN logs.retentionDays %p WHEN built THEN it is refused", (retentionDays) => {
    expect(() => build({ logs: { retentionDays } })).toThrow(
      problemLine(
        `logs.retentionDays ${retentionDays} is not a CloudWatch Logs retention; allowed: ${LOG_RETENTION_DAYS.join(", ")}`,
      ),
    );
  });

  it("GIVEN bad log group names WHEN built THEN each prop is named", () => {
    const allowed = "allowed: 1-512 characters of A-Z a-z 0-9 . - _ / #";

    expect(
      problemsOf(() =>
        build({ logs: { logGroupName: "/ecs/koa app" }, metrics: { logGroupName: "/ecs/koa:emf" } }),
      ),
    ).toEqual([
      `metrics.logGroupName "/ecs/koa:emf" is not a log group name; ${allowed}`,
      `logs.logGroupName "/ecs/koa app" is not a log group name; ${allowed}`,
    ]);
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
    "GIVEN ingress CIDR %p WHEN built THEN it is refused by index",
    (cidr) => {
      expect(() => withNetwork({ ingressCidrs: [cidr] })).toThrow(
        problemLine(`network.ingressCidrs[0] "${cidr}" is not an IPv4 CIDR; allowed: e.g. "10.0.0.0/16"`),
      );
    },
  );

  it("GIVEN 0.0.0.0/0 without allowIngressFromAnywhere WHEN built THEN it is refused naming the container port", () => {
    expect(() =>
      build({
        container: { ...CONTAINER, port: 8080 },
        network: { ...NETWORK, ingressCidrs: ["10.0.0.0/8", "0.0.0.0/0"] },
      }),
    ).toThrow(
      problemLine(
        'network.ingressCidrs[1] "0.0.0.0/0" opens port 8080 to the internet; allowed: narrower CIDRs, or set network.allowIngressFromAnywhere',
      ),
    );
  });

  it.each<[string, Partial<NetworkOptions>, string]>([
    ["no subnet", { subnetIds: [] }, "network.subnetIds [] has 0 entries; allowed: one or more subnet IDs"],
    [
      "a subnet ID without its hexadecimal digits",
      { subnetIds: ["subnet-aaaa"] },
      'network.subnetIds[0] "subnet-aaaa" is not a subnet ID; allowed: "subnet-" and 8 or 17 hexadecimal digits',
    ],
    [
      "a VPC ID of 9 digits",
      { vpcId: "vpc-012345678" },
      'network.vpcId "vpc-012345678" is not a vpc ID; allowed: "vpc-" and 8 or 17 hexadecimal digits',
    ],
    [
      "an unknown outbound",
      { outbound: "internet" as NetworkOptions["outbound"] },
      'network.outbound "internet" is not allowed; allowed: "publicIp", "nat", "vpcEndpoints"',
    ],
    [
      "five extra security groups",
      { extraSecurityGroupIds: ["sg-0a1b2c3d", "sg-1a1b2c3d", "sg-2a1b2c3d", "sg-3a1b2c3d", "sg-4a1b2c3d"] },
      'network.extraSecurityGroupIds ["sg-0a1b2c3d","sg-1a1b2c3d","sg-2a1b2c3d","sg-3a1b2c3d","sg-4a1b2c3d"] has 5 groups; allowed: at most 4 (a task\'s network interface takes 5, one is the service\'s own)',
    ],
  ])("GIVEN %s WHEN built THEN it is refused", (_case, network, message) => {
    expect(() => withNetwork(network)).toThrow(problemLine(message));
  });
});

describe("EmfFargateService with token inputs", () => {
  const synth = synthStack((stack) => {
    const variable = (name: string, type: string) => new TerraformVariable(stack, name, { type });
    const service = new EmfFargateService(stack, "Service", {
      serviceName: "koaapp",
      container: {
        ...CONTAINER,
        image: variable("image", "string").stringValue,
        secrets: [
          ...SSM_SECRETS.slice(1),
          { name: "RDS_USERNAME", valueFrom: variable("secret_arn", "string").stringValue, store: "ssm" },
        ],
      },
      network: { ...SERVICE_PROPS.network, subnetIds: variable("subnets", "list(string)").listValue },
      task: { cpu: variable("task_cpu", "number").numberValue },
      scaling: {
        desiredCount: variable("desired_count", "number").numberValue,
        maxCapacity: variable("max_tasks", "number").numberValue,
      },
    });
    return service;
  });
  const service = synth.built;
  const app = containerNamed(containerDefinitionsOf(synth.json), "koaapp");

  it("GIVEN task CPU, desired count and subnets from variables WHEN synthesized THEN they are not judged and appear as references", () => {
    expect(onlyResource(synth.json, "aws_ecs_task_definition")).toMatchObject({
      cpu: "${var.task_cpu}",
      memory: "1024",
    });
    expect(blockOf(synth, service.service)).toMatchObject({
      desired_count: "${var.desired_count}",
      network_configuration: { subnets: "${var.subnets}" },
    });
  });

  it("GIVEN maxCapacity from a variable WHEN synthesized THEN autoscaling is on up to it, from 1", () => {
    expect(blockOf(synth, childOf(service, "Scaling/Resource"))).toMatchObject({
      min_capacity: 1,
      max_capacity: "${var.max_tasks}",
    });
  });

  it("GIVEN an image and a secret ARN from variables WHEN synthesized THEN the container and the policy reference them", () => {
    expect(app.image).toBe("${var.image}");
    expect(secretsOf(app).RDS_USERNAME).toBe("${var.secret_arn}");
    expect(
      statementsOf(synth.json, blockOf(synth, childOf(service, "Roles/ExecutionRoleSecrets")).policy)[0]
        ?.resources,
    ).toContain("${var.secret_arn}");
  });
});

describe("a security group admitted to the container port twice", () => {
  // Each source is its own aws_vpc_security_group_ingress_rule (tcp 5000 from the group); EC2 refuses the second
  // identical one with InvalidPermission.Duplicate (hashicorp/terraform-provider-aws#12450), failing the apply.
  const [a, b] = IDS.securityGroups;
  const network = (ingressSecurityGroupIds: readonly string[]): NetworkOptions => ({
    ...NETWORK,
    ingressSecurityGroupIds,
  });
  const connect = (ingressSecurityGroupIds: readonly string[]) => ({
    namespace: { create: { name: "shop.internal" } },
    server: { ingressSecurityGroupIds },
  });
  const why =
    "both admit it to container port 5000, and EC2 refuses the second identical rule (InvalidPermission.Duplicate), so the apply fails";

  it("GIVEN one group in network.ingressSecurityGroupIds and serviceConnect.server.ingressSecurityGroupIds WHEN built THEN it is refused naming both paths and the ID", () => {
    expect(problemsOf(() => build({ network: network([a, b]), serviceConnect: connect([b]) }))).toEqual([
      `serviceConnect.server.ingressSecurityGroupIds[0] "${b}" is also network.ingressSecurityGroupIds[1]: ${why}; allowed: each security group once (network.ingressSecurityGroupIds[1] already admits it, for every purpose)`,
    ]);
  });

  it("GIVEN a group twice in one list WHEN built THEN the second is refused", () => {
    expect(problemsOf(() => build({ serviceConnect: connect([a, b, a]) }))).toEqual([
      `serviceConnect.server.ingressSecurityGroupIds[2] "${a}" is also serviceConnect.server.ingressSecurityGroupIds[0]: ${why}; allowed: each security group once (serviceConnect.server.ingressSecurityGroupIds[0] already admits it, for every purpose)`,
    ]);
  });

  it("GIVEN an existing listener's load balancer group also in network.ingressSecurityGroupIds WHEN built THEN it is refused", () => {
    const loadBalancer = {
      existingListener: {
        listenerArn:
          "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared/0123456789abcdef/0123456789abcdef",
        priority: 10,
        pathPatterns: ["/orders/*"],
        securityGroupId: a,
      },
    };
    expect(problemsOf(() => build({ network: network([a]), loadBalancer }))).toEqual([
      `loadBalancer.existingListener.securityGroupId "${a}" is also network.ingressSecurityGroupIds[0]: ${why}; allowed: each security group once (network.ingressSecurityGroupIds[0] already admits it, for every purpose)`,
    ]);
  });

  it("GIVEN different groups in the two lists WHEN synthesized THEN each gets its one rule", () => {
    const { json } = synthStack(
      (stack) =>
        new EmfFargateService(stack, "Service", {
          ...SERVICE_PROPS,
          network: network([a]),
          serviceConnect: connect([b]),
        }),
    );
    const rules = Object.values(json.resource?.aws_vpc_security_group_ingress_rule ?? {}).map(
      (rule) => rule.referenced_security_group_id,
    );
    expect(rules.sort()).toEqual([a, b].sort());
  });

  it("GIVEN the same variable in both lists WHEN built THEN it is not judged (a token cannot be compared)", () => {
    const stack = newStack();
    const group = new TerraformVariable(stack, "client_group", { type: "string" }).stringValue;
    const service = new EmfFargateService(stack, "Service", {
      ...SERVICE_PROPS,
      network: network([group]),
      serviceConnect: connect([group]),
    });
    expect(service.securityGroupId).toMatch(/\$\{TfToken\[/);
  });
});

describe("a rolling deployment with no room", () => {
  it("GIVEN minimumHealthyPercent 100 and maximumPercent 100 WHEN built THEN it is refused: no count leaves room", () => {
    expect(
      problemsOf(() => build({ deployment: { minimumHealthyPercent: 100, maximumPercent: 100 } })),
    ).toEqual([
      "deployment.maximumPercent 100 with deployment.minimumHealthyPercent 100 leaves a rolling deployment no room: ECS may not start a replacement before stopping a task, nor stop one before its replacement runs, so no release completes; allowed: a maximumPercent above minimumHealthyPercent (200, the default), or a lower minimumHealthyPercent",
    ]);
  });

  it("GIVEN maximumPercent 100 with a lower minimumHealthyPercent WHEN built THEN it is accepted", () => {
    const s = synthStack(
      (stack) =>
        new EmfFargateService(stack, "Service", {
          ...SERVICE_PROPS,
          scaling: { desiredCount: 2 },
          deployment: { minimumHealthyPercent: 50, maximumPercent: 100 },
        }).service,
    );
    expect(blockOf(s, s.built)).toMatchObject({
      deployment_minimum_healthy_percent: 50,
      deployment_maximum_percent: 100,
    });
  });
});
