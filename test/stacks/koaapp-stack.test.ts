import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Aspects, Testing } from "cdktf";
import type { ContainerDefinition } from "../../modules/container-definition";
import { RELIABILITY_RULES, ReliabilityChecks } from "../../modules/reliability-checks";
import {
  CERTIFICATE,
  EXISTING_NETWORK,
  EXISTING_PARAMETERS_BY_NAME,
  koaAppStack,
  synthKoaApp as synth,
} from "../support/koaapp";

type Json = Record<string, any>;

function resources(tf: Json, type: string): Json[] {
  return Object.values(tf.resource?.[type] ?? {}) as Json[];
}

function only(tf: Json, type: string): Json {
  const all = resources(tf, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0] as Json;
}

/** The Terraform addresses (`type.logical_id`) of a resource type whose logical ids match `id`. */
function addresses(tf: Json, type: string, id = /./): string[] {
  return Object.keys(tf.resource?.[type] ?? {})
    .filter((logicalId) => id.test(logicalId))
    .map((logicalId) => `${type}.${logicalId}`);
}

function containers(tf: Json): ContainerDefinition[] {
  const [taskDefinition] = resources(tf, "aws_ecs_task_definition");
  return JSON.parse(taskDefinition.container_definitions) as ContainerDefinition[];
}

const seed = JSON.parse(
  readFileSync(join(__dirname, "..", "fixtures", "seed-task-definition.json"), "utf8"),
) as Json[];

describe("koaapp stack with the default configuration", () => {
  const tf = synth();
  const [app, agent] = containers(tf);

  it("creates the VPC, the database, the parameters, the repository and the service", () => {
    // GIVEN no configuration WHEN synthesized THEN every part of the sample is created here
    expect(resources(tf, "aws_vpc")).toHaveLength(1);
    expect(resources(tf, "aws_subnet")).toHaveLength(4);
    expect(resources(tf, "aws_db_instance")).toHaveLength(1);
    expect(resources(tf, "aws_ssm_parameter")).toHaveLength(7);
    // The repository is the stack's own (ImageRepository "Repository"), beside the service, not inside it.
    expect(Object.keys(tf.resource.aws_ecr_repository)).toEqual([expect.stringMatching(/^Repository_\w+$/)]);
    expect(resources(tf, "aws_ecs_cluster")).toHaveLength(1);
    expect(resources(tf, "aws_ecs_service")[0]).toMatchObject({ name: "koaapp", launch_type: "FARGATE" });
    // No provider block: the caller or the environment configures it (see the terraform tests).
    expect(tf.provider).toBeUndefined();
    expect(tf.terraform.required_providers.aws).toEqual({ source: "aws", version: "5.100.0" });
  });

  it("has no data source that calls AWS at plan time", () => {
    // GIVEN the default stack THEN only locally computed data sources are used, so plans run offline
    expect(Object.keys(tf.data).sort()).toEqual(["aws_iam_policy_document", "aws_partition", "aws_region"]);
  });

  it("declares the stack outputs a pipeline reads", () => {
    expect(Object.keys(tf.output).sort()).toEqual([
      "agent_config_parameter_name",
      "alarm_topic_arn",
      "cluster_name",
      "dashboard_name",
      "database_address",
      "ecr_repository_url",
      "emf_log_group_name",
      "load_balancer_dns_name",
      "load_balancer_zone_id",
      "log_group_name",
      "metrics_namespace",
      "parameter_names",
      "service_name",
      "service_url",
      "task_definition_family",
    ]);
    expect(tf.output.service_url.value).toMatch(
      /^http:\/\/\$\{aws_lb\.Service_LoadBalancer_\w+\.dns_name\}$/,
    );
    expect(tf.output.parameter_names.value.RDS_PASSWORD).toMatch(/^\$\{aws_ssm_parameter\.\w+\.name\}$/);
    expect(tf.output.ecr_repository_url.value).toMatch(
      /^\$\{aws_ecr_repository\.Repository_\w+\.repository_url\}$/,
    );
  });

  it("leaves the running revision to Terraform by default: apply rolls out image_tag and checks it runs", () => {
    const service = only(tf, "aws_ecs_service");
    expect(service.lifecycle.ignore_changes).toEqual(["desired_count"]);
    expect(service.lifecycle.postcondition).toHaveLength(1);
  });

  it("keeps the state local, in the project root, by a relative path", () => {
    expect(tf.terraform.backend).toEqual({ local: { path: "../../../terraform.koaapp.tfstate" } });
  });

  it("wires the database into the parameters instead of literal values", () => {
    const byName = Object.fromEntries(resources(tf, "aws_ssm_parameter").map((p) => [p.name, p]));
    expect(byName["/koaapp/prod/RDS_HOSTNAME"].value).toMatch(/^\$\{aws_db_instance\.\w+\.address\}$/);
    expect(byName["/koaapp/prod/RDS_PORT"].value).toBe("5432");
    expect(byName["/koaapp/prod/RDS_DB_NAME"].value).toBe("koaapp");
    expect(byName["/koaapp/prod/RDS_USERNAME"].value).toBe("koaapp");
  });

  describe("seed parity", () => {
    // Deliberate differences from the seed, each for a reason the README's mapping table gives.
    const renamed: Record<string, string> = { flaskapp: "koaapp" };
    const differs = new Map<string, (ours: unknown) => boolean>([
      // The created repository instead of a looked-up one, at the per-deploy image_tag (never latest).
      [
        "flaskapp.image",
        (v) =>
          typeof v === "string" &&
          /^\$\{aws_ecr_repository\.\w+\.repository_url\}:\$\{var\.image_tag\}$/.test(v),
      ],
      [
        "cloudwatch-agent.image",
        (v) =>
          typeof v === "string" && /^public\.ecr\.aws\/cloudwatch-agent\/cloudwatch-agent:\d[\w.]+$/.test(v),
      ],
      // The stack's region instead of a literal.
      [
        "*.logConfiguration.options.awslogs-region",
        (v) => typeof v === "string" && /^\$\{data\.aws_region\.\w+\.name\}$/.test(v),
      ],
      ["flaskapp.environment.AWS_EMF_SERVICE_NAME.value", (v) => v === "koaapp"],
      // The stack-created EMF log group, so the app and the alarms cannot disagree.
      [
        "flaskapp.environment.AWS_EMF_LOG_GROUP_NAME.value",
        (v) => typeof v === "string" && /^\$\{aws_cloudwatch_log_group\.\w+\.name\}$/.test(v),
      ],
      ["flaskapp.environment.AWS_EMF_LOG_STREAM_NAME.value", (v) => v === "koaapp"],
      ["flaskapp.environment.AWS_EMF_NAMESPACE.value", (v) => v === "koaapp"],
    ]);

    /** Every leaf of the seed, with its path: arrays of named objects are keyed by name. */
    function leaves(value: unknown, path: string, out: [string, unknown][]): [string, unknown][] {
      if (Array.isArray(value)) {
        value.forEach((item, i) => {
          const key = (item as Json)?.name ?? (item as Json)?.containerPort ?? i;
          leaves(item, `${path}.${key}`, out);
        });
      } else if (typeof value === "object" && value !== null) {
        for (const [k, v] of Object.entries(value)) leaves(v, `${path}.${k}`, out);
      } else {
        out.push([path, value]);
      }
      return out;
    }

    function lookup(root: unknown, path: string[]): unknown {
      let node: unknown = root;
      for (const key of path) {
        if (Array.isArray(node)) {
          node =
            node.find((item: Json) => String(item?.name ?? item?.containerPort) === key) ?? node[Number(key)];
        } else {
          node = (node as Json | undefined)?.[key];
        }
      }
      return node;
    }

    const ours = { koaapp: app, "cloudwatch-agent": agent };
    const seedLeaves = seed.flatMap((container) => leaves(container, container.name as string, []));

    it.each(seedLeaves)("covers %s", (path, seedValue) => {
      // GIVEN a field of the seed's task definition
      const [containerName, ...rest] = path.split(".");
      const ourName = renamed[containerName] ?? containerName;
      // The environment and secrets arrays are compared by variable name, so the value field follows.
      const value = lookup((ours as Json)[ourName], rest);
      const rule = differs.get(path) ?? differs.get(`*.${rest.join(".")}`);
      // WHEN looked up in our synthesized task definition THEN it is present with the seed's value,
      // the same kind of reference, or a documented difference
      if (rule) {
        expect({ path, value, documentedDifference: rule(value) }).toEqual({
          path,
          value,
          documentedDifference: true,
        });
      } else if (typeof seedValue === "string" && seedValue.startsWith("${")) {
        const kind = /^\$\{((?:data\.)?\w+)\./.exec(seedValue)?.[1].replace(/^data\./, "");
        const expectedType = kind === "aws_ssm_parameter" ? "aws_ssm_parameter" : kind;
        expect(value).toMatch(new RegExp(`^\\$\\{(data\\.)?${expectedType}\\.\\w+\\.\\w+\\}$`));
      } else if (path.endsWith(".name")) {
        expect(value).toBe(renamed[String(seedValue)] ?? seedValue);
      } else {
        expect(value).toEqual(seedValue);
      }
    });

    it("adds the agent's hostPort, which awsvpc requires to equal containerPort", () => {
      expect(agent.portMappings).toEqual([{ containerPort: 25888, hostPort: 25888, protocol: "tcp" }]);
    });
  });

  describe("security of the synthesized JSON", () => {
    const text = JSON.stringify(tf);

    it("carries no secret value: secure parameters are write-only, the variables ephemeral", () => {
      const secure = resources(tf, "aws_ssm_parameter").filter((p) => p.type === "SecureString");
      expect(secure.map((p) => p.name).sort()).toEqual([
        "/koaapp/prod/APP_SECRET",
        "/koaapp/prod/RDS_PASSWORD",
      ]);
      for (const p of secure) {
        expect(p).not.toHaveProperty("value");
        expect(p.value_wo).toMatch(/^\$\{var\.(db_password|app_secret)\}$/);
      }
      const [db] = resources(tf, "aws_db_instance");
      expect(db).not.toHaveProperty("password");
      expect(db.password_wo).toBe("${var.db_password}");
      for (const name of ["db_password", "app_secret"]) {
        expect(tf.variable[name]).toMatchObject({ sensitive: true, ephemeral: true });
        expect(tf.variable[name]).not.toHaveProperty("default");
      }
    });

    it("puts no secret in a container's plain environment", () => {
      for (const c of [app, agent]) {
        for (const v of c.environment ?? [])
          expect(v.name).not.toMatch(/PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE/);
      }
      expect(app.secrets?.map((s) => s.name)).toEqual([
        "RDS_USERNAME",
        "RDS_PASSWORD",
        "RDS_DB_NAME",
        "RDS_HOSTNAME",
        "RDS_PORT",
        "APP_SECRET",
      ]);
    });

    it("grants secret reads on named resources only, never *", () => {
      const statements = Object.values(tf.data.aws_iam_policy_document as Json).flatMap(
        (d: Json) => d.statement,
      );
      const secretReads = statements.filter((s: Json) =>
        (s.actions as string[]).some((a) => /^(ssm|kms|secretsmanager):/.test(a)),
      );
      expect(secretReads.length).toBeGreaterThan(0);
      for (const s of secretReads) {
        expect(s.resources.length).toBeGreaterThan(0);
        for (const r of s.resources as string[]) expect(r).not.toContain("*");
      }
      expect(text).not.toMatch(/"ssm:\*"|"kms:\*"|"secretsmanager:\*"/);
    });

    it("runs no image tagged latest", () => {
      for (const c of [app, agent]) expect(c.image).not.toMatch(/:latest$/);
      expect(text).not.toContain(":latest");
    });

    it("opens no ingress to 0.0.0.0/0 but the public load balancer's listener, and the tasks' port only to the load balancer", () => {
      const rules = resources(tf, "aws_vpc_security_group_ingress_rule");
      const into = (group: RegExp) =>
        rules
          .filter((r) => group.test(r.security_group_id))
          .map((r) => ({ port: r.from_port, from: r.cidr_ipv4 ?? r.referenced_security_group_id }));
      const taskGroup = /^\$\{aws_security_group\.Service_Ecs_SecurityGroup_\w+\.id\}$/;
      const lbGroup = /^\$\{aws_security_group\.Service_LoadBalancer_SecurityGroup_\w+\.id\}$/;
      // The tasks admit the container port from the load balancer's group only: no CIDR.
      expect(into(taskGroup)).toEqual([{ port: 5000, from: expect.stringMatching(lbGroup) }]);
      // The load balancer admits the internet on its one listener port (HTTP without a certificate).
      expect(into(lbGroup)).toEqual([{ port: 80, from: "0.0.0.0/0" }]);
      // The database admits the tasks' group.
      expect(into(/Database_SecurityGroup/)).toEqual([
        { port: 5432, from: expect.stringMatching(taskGroup) },
      ]);
      const narrowed = synth({ KOAAPP_INGRESS_CIDRS: "203.0.113.0/24" });
      expect(
        resources(narrowed, "aws_vpc_security_group_ingress_rule")
          .filter((r) => lbGroup.test(r.security_group_id))
          .map((r) => r.cidr_ipv4),
      ).toEqual(["203.0.113.0/24"]);
    });
  });
});

describe("koaapp stack with existing network and database", () => {
  const arn = (name: string) => `arn:aws:ssm:eu-west-2:123456789012:parameter/shared/${name}`;
  const tf = synth({
    ...EXISTING_NETWORK,
    KOAAPP_DATABASE: "existing",
    KOAAPP_EXISTING_PARAMETERS: JSON.stringify({
      RDS_USERNAME: arn("user"),
      RDS_PASSWORD: arn("password"),
      RDS_DB_NAME: arn("db"),
      RDS_HOSTNAME: arn("host"),
      RDS_PORT: arn("port"),
    }),
    KOAAPP_IMAGE_URI: "123456789012.dkr.ecr.eu-west-2.amazonaws.com/koaapp:1.2.3",
  });

  it("creates no VPC, database or repository and runs the given image in the given subnets, through the NAT", () => {
    expect(resources(tf, "aws_vpc")).toHaveLength(0);
    expect(resources(tf, "aws_db_instance")).toHaveLength(0);
    expect(resources(tf, "aws_ecr_repository")).toHaveLength(0);
    expect(containers(tf)[0].image).toBe("${var.image_uri}");
    expect(tf.variable.image_uri.default).toBe("123456789012.dkr.ecr.eu-west-2.amazonaws.com/koaapp:1.2.3");
    expect(resources(tf, "aws_ecs_service")[0].network_configuration).toMatchObject({
      subnets: EXISTING_NETWORK.KOAAPP_SUBNET_IDS?.split(","),
      assign_public_ip: false,
    });
  });

  it("references the existing parameters and creates only APP_SECRET", () => {
    const secrets = Object.fromEntries((containers(tf)[0].secrets ?? []).map((s) => [s.name, s.valueFrom]));
    expect(secrets.RDS_PASSWORD).toBe(arn("password"));
    expect(secrets.APP_SECRET).toMatch(/^\$\{aws_ssm_parameter\.\w+\.arn\}$/);
    expect(Object.keys(tf.variable).sort()).toEqual([
      "app_secret",
      "desired_count",
      "error_rate_threshold_percent",
      "image_uri",
      "latency_p99_threshold_ms",
      "max_count",
      "min_count",
      "scale_out_latency_p99_ms",
      "secrets_version",
    ]);
  });
});

describe("koaapp stack with existing parameters by name and a Secrets Manager key", () => {
  const tf = synth(EXISTING_PARAMETERS_BY_NAME);
  const app = containers(tf)[0];
  const [local] = Object.keys(tf.locals ?? {});
  const part = (index: number) => `\${element(local.${local}, ${index})}`;
  const inAccount = (service: string) => `arn:${part(1)}:${service}:${part(3)}:${part(4)}`;
  const readSecrets = Object.entries(tf.data.aws_iam_policy_document as Json).find(([id]) =>
    id.startsWith("Service_Roles_ReadSecrets_"),
  )?.[1] as Json;

  it("turns each name into its full ARN from the EMF log group's ARN, with no data source asking AWS", () => {
    const secrets = Object.fromEntries((app.secrets ?? []).map((s) => [s.name, s.valueFrom]));
    expect(secrets).toMatchObject({
      RDS_USERNAME: `${inAccount("ssm")}:parameter/shared/db/user`,
      RDS_PASSWORD: `${inAccount("secretsmanager")}:secret:rds/koaapp/master:password::`,
      RDS_HOSTNAME: `${inAccount("ssm")}:parameter/shared/db/host`,
    });
    expect(tf.locals[local]).toMatch(
      /^\$\{split\(":", aws_cloudwatch_log_group\.Service_EmfLogs_\w+\.arn\)\}$/,
    );
    expect(Object.keys(tf.data).sort()).toEqual(["aws_iam_policy_document", "aws_partition", "aws_region"]);
  });

  it("lets the execution role read exactly those ARNs, the secret by its name and 6-character suffix", () => {
    expect(readSecrets.statement).toEqual([
      {
        sid: "ReadParameters",
        actions: ["ssm:GetParameters"],
        resources: [
          `${inAccount("ssm")}:parameter/shared/db/user`,
          `${inAccount("ssm")}:parameter/shared/db/name`,
          `${inAccount("ssm")}:parameter/shared/db/host`,
          `${inAccount("ssm")}:parameter/shared/db/port`,
          expect.stringMatching(/^\$\{aws_ssm_parameter\.Parameters_APP_SECRET_\w+\.arn\}$/),
          expect.stringMatching(/^\$\{aws_ssm_parameter\.Service_Agent_\w+\.arn\}$/),
        ],
      },
      {
        sid: "ReadSecrets",
        actions: ["secretsmanager:GetSecretValue"],
        resources: [`${inAccount("secretsmanager")}:secret:rds/koaapp/master-??????`],
      },
    ]);
  });
});

describe("koaapp stack's app settings, passed through the construct", () => {
  const tf = synth({
    KOAAPP_ENVIRONMENT: "staging",
    KOAAPP_METRICS_MODE: "request",
    KOAAPP_HEALTH_CHECK_PATH: "/livez",
  });
  const app = containers(tf)[0];

  it("gives the app ENV_TYPE, METRICS_MODE, PGSSLMODE and SHUTDOWN_TIMEOUT_MS 5 s below its stop timeout", () => {
    const environment = Object.fromEntries((app.environment ?? []).map((v) => [v.name, v.value]));
    expect(environment).toMatchObject({
      PORT: "5000",
      ENV_TYPE: "staging",
      METRICS_MODE: "request",
      SHUTDOWN_TIMEOUT_MS: "25000",
      PGSSLMODE: "no-verify",
    });
    expect(app.stopTimeout).toBe(30);
  });

  it("gives the container its node health check on the path the load balancer checks", () => {
    expect(app.healthCheck?.command.slice(0, 2)).toEqual(["CMD", "node"]);
    expect(app.healthCheck?.command[3]).toContain('"http://127.0.0.1:5000/livez"');
    const [targetGroup] = resources(tf, "aws_lb_target_group");
    expect(targetGroup.health_check.path).toBe("/livez");
  });
});

describe("koaapp stack for use only as a child module", () => {
  it("writes no backend block", () => {
    const tf = synth({ KOAAPP_BACKEND: "none" });
    expect(tf.terraform.backend).toBeUndefined();
  });
});

describe("koaapp stack's per-deploy variables", () => {
  const tf = synth();

  it("declares image tag, task count and the secrets with types, descriptions, defaults and validation", () => {
    expect(Object.keys(tf.variable).sort()).toEqual([
      "app_secret",
      "db_password",
      "desired_count",
      "error_rate_threshold_percent",
      "image_tag",
      "latency_p99_threshold_ms",
      "max_count",
      "min_count",
      "scale_out_latency_p99_ms",
      "secrets_version",
    ]);
    expect(tf.variable.latency_p99_threshold_ms).toMatchObject({ type: "number", default: 1000 });
    expect(tf.variable.error_rate_threshold_percent).toMatchObject({ type: "number", default: 5 });
    expect(tf.variable.image_tag).toMatchObject({ type: "string", default: "0.1.0" });
    expect(tf.variable.desired_count).toMatchObject({ type: "number", default: 1 });
    for (const variable of Object.values(tf.variable) as Json[]) {
      expect(variable.description.length).toBeGreaterThan(10);
      expect(variable.validation).toHaveLength(1);
    }
  });

  it("feeds the alarm thresholds to the alarms", () => {
    const alarms = Object.fromEntries(
      resources(tf, "aws_cloudwatch_metric_alarm").map((a) => [a.alarm_name, a]),
    );
    // The latency alarm fires above 1 % of requests slower than the variable: PR(:<variable>) reads it.
    expect(alarms["koaapp-latency-p99"].metric_query[1].metric.stat).toBe(
      "PR(:${var.latency_p99_threshold_ms})",
    );
    expect(alarms["koaapp-latency-p99"].threshold).toBe(1);
    expect(alarms["koaapp-5xx-rate"].threshold).toBe("${var.error_rate_threshold_percent}");
  });

  it("feeds the image tag and task count to the service", () => {
    expect(resources(tf, "aws_ecs_service")[0].desired_count).toBe("${var.desired_count}");
    expect(containers(tf)[0].image).toMatch(/:\$\{var\.image_tag\}$/);
  });
});

describe("koaapp stack with an S3 backend", () => {
  it("writes the backend with encryption and a lock file", () => {
    const tf = synth({ KOAAPP_BACKEND: "s3", KOAAPP_STATE_BUCKET: "my-state" });
    expect(tf.terraform.backend.s3).toEqual({
      bucket: "my-state",
      key: "koaapp/terraform.tfstate",
      region: "eu-west-2",
      encrypt: true,
      use_lockfile: true,
    });
  });
});

describe("koaapp stack's reliability checks", () => {
  it.each([
    ["the default configuration", {}],
    ["a certificate", { KOAAPP_CERTIFICATE_ARN: CERTIFICATE }],
    ["an internal load balancer", { KOAAPP_LOAD_BALANCER: "internal" }],
    ["no load balancer", { KOAAPP_LOAD_BALANCER: "none" }],
    ["Spot over an on-demand base", { KOAAPP_SPOT_WEIGHT: "3", KOAAPP_ON_DEMAND_BASE: "1" }],
    ["an existing network and a created database", EXISTING_NETWORK],
    ["an existing network and database", { ...EXISTING_NETWORK, ...EXISTING_PARAMETERS_BY_NAME }],
  ])("applies ReliabilityChecks, which find nothing with %s", (_, env: Record<string, string>) => {
    // GIVEN the sample stack (it applies the checks itself) WHEN synthesized
    const stack = koaAppStack(env);
    Testing.synth(stack);

    // THEN its one ReliabilityChecks ran and found nothing, and no reliability rule is an error or warning
    const checks = Aspects.of(stack).all.filter((aspect) => aspect instanceof ReliabilityChecks);
    expect(checks).toHaveLength(1);
    expect((checks[0] as ReliabilityChecks).findings).toEqual([]);
    const reported = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .map((m) => String(m.data))
      .filter((text) => RELIABILITY_RULES.some((rule) => text.startsWith(`[${rule}]`)));
    expect(reported).toEqual([]);
  });

  it("reports a grant added beside the service that the service does not wait for: the checks see the whole stack", () => {
    // GIVEN the sample stack and one more policy on the task role, written by hand next to the construct
    const stack = koaAppStack();
    const extra = new IamRolePolicy(stack, "ExtraGrant", {
      role: stack.service.taskRole.name,
      policy: JSON.stringify({ Version: "2012-10-17", Statement: [] }),
    });

    // WHEN synthesized
    Testing.synth(stack);

    // THEN the stack's ReliabilityChecks reports the ECS service, naming the policy, as an error
    const checks = Aspects.of(stack).all.find((a) => a instanceof ReliabilityChecks) as ReliabilityChecks;
    const address = `aws_iam_role_policy.${stack.getLogicalId(extra)}`;
    expect(checks.findings).toEqual([
      {
        rule: "tasks-after-grants",
        path: "koaapp/Service/Ecs/Resource",
        message: expect.stringContaining(`does not depend on ${address}:`),
        exempted: false,
      },
    ]);
    const errors = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === "@cdktf/error")
      .map((m) => String(m.data));
    expect(errors).toEqual([
      expect.stringMatching(/^\[tasks-after-grants\] koaapp\/Service\/Ecs\/Resource: /),
    ]);
  });
});

describe("koaapp stack's order of creation", () => {
  /** What makes the created VPC's public subnets public: the gateway, its route and the public associations. */
  function internetAccess(tf: Json): string[] {
    return [
      ...addresses(tf, "aws_internet_gateway"),
      ...addresses(tf, "aws_route"),
      ...addresses(tf, "aws_route_table_association", /^Network_Public\d+Routes_/),
    ];
  }

  it("creates the load balancer and the ECS service only once the created VPC reaches the internet", () => {
    // GIVEN the default stack (a created VPC, a public load balancer) WHEN synthesized
    const tf = synth();
    const access = internetAccess(tf);

    // THEN both depend on the internet gateway, the default route and both public subnets' associations
    expect(access).toEqual([
      expect.stringMatching(/^aws_internet_gateway\.Network_InternetGateway_\w+$/),
      expect.stringMatching(/^aws_route\.Network_DefaultRoute_\w+$/),
      expect.stringMatching(/^aws_route_table_association\.Network_Public0Routes_\w+$/),
      expect.stringMatching(/^aws_route_table_association\.Network_Public1Routes_\w+$/),
    ]);
    expect(only(tf, "aws_lb").depends_on).toEqual(access);
    expect(only(tf, "aws_ecs_service").depends_on).toEqual(expect.arrayContaining(access));
    // AND not on the private subnets' associations, which the tasks do not use
    expect(
      (only(tf, "aws_ecs_service").depends_on as string[]).filter((a) => a.includes("Network_Private")),
    ).toEqual([]);
  });

  it("without a load balancer, still starts no task before the created VPC reaches the internet", () => {
    const tf = synth({ KOAAPP_LOAD_BALANCER: "none" });
    expect(only(tf, "aws_ecs_service").depends_on).toEqual(expect.arrayContaining(internetAccess(tf)));
  });

  it("in an existing network, waits for nothing of the network: the stack creates none of it", () => {
    const tf = synth(EXISTING_NETWORK);
    expect(only(tf, "aws_lb")).not.toHaveProperty("depends_on");
    expect(
      (only(tf, "aws_ecs_service").depends_on as string[]).filter((a) =>
        /^aws_(internet_gateway|route)/.test(a),
      ),
    ).toEqual([]);
  });

  it.each([
    ["the default configuration", {}],
    ["an existing database's parameters by name", EXISTING_PARAMETERS_BY_NAME],
  ])("with %s, starts no task before every policy and attachment of its roles exists", (_, env) => {
    // GIVEN the stack WHEN synthesized
    const tf = synth(env);
    const grants = [
      ...addresses(tf, "aws_iam_role_policy"),
      ...addresses(tf, "aws_iam_role_policy_attachment"),
    ];

    // THEN the ECS service depends on each of them: the execution role's managed policy and secret reads, the
    // task role's EMF writes
    expect(grants).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aws_iam_role_policy_attachment\.Service_Roles_ExecutionRoleManaged_\w+$/),
        expect.stringMatching(/^aws_iam_role_policy\.Service_Roles_ExecutionRoleSecrets_\w+$/),
        expect.stringMatching(/^aws_iam_role_policy\.Service_Roles_TaskRoleEmf_\w+$/),
      ]),
    );
    expect(only(tf, "aws_ecs_service").depends_on).toEqual(expect.arrayContaining(grants));
  });
});

describe("koaapp stack's database", () => {
  const tf = synth();

  it("names the final snapshot after the instance's creation time, and keeps that name once created", () => {
    // GIVEN the default stack WHEN synthesized THEN every deletion of every instance leaves a snapshot of its own
    expect(only(tf, "aws_db_instance")).toMatchObject({
      identifier: "koaapp-db",
      skip_final_snapshot: false,
      final_snapshot_identifier: 'koaapp-db-final-${formatdate("YYYYMMDDhhmmss", timestamp())}',
      lifecycle: { ignore_changes: ["final_snapshot_identifier"] },
    });
  });

  it("in an existing VPC, lives in that VPC, in the given private subnets", () => {
    const existing = synth(EXISTING_NETWORK);
    expect(only(existing, "aws_db_subnet_group").subnet_ids).toEqual(
      EXISTING_NETWORK.KOAAPP_DB_SUBNET_IDS?.split(","),
    );
    const databaseGroup = Object.entries(existing.resource.aws_security_group as Json).find(([id]) =>
      id.startsWith("Database_SecurityGroup_"),
    )?.[1] as Json;
    expect(databaseGroup.vpc_id).toBe(EXISTING_NETWORK.KOAAPP_VPC_ID);
  });
});

describe("koaapp stack's outbound path for the tasks", () => {
  it("in the created VPC: the public subnets, with public IPs (it has no NAT gateway)", () => {
    expect(only(synth(), "aws_ecs_service").network_configuration).toEqual({
      subnets: [
        expect.stringMatching(/^\$\{aws_subnet\.Network_Public0_\w+\.id\}$/),
        expect.stringMatching(/^\$\{aws_subnet\.Network_Public1_\w+\.id\}$/),
      ],
      security_groups: [
        expect.stringMatching(/^\$\{aws_security_group\.Service_Ecs_SecurityGroup_\w+\.id\}$/),
      ],
      assign_public_ip: true,
    });
  });

  it.each([
    ["publicIp", true],
    ["nat", false],
  ])("in an existing VPC with KOAAPP_OUTBOUND=%s: assign_public_ip is %p", (outbound, publicIp) => {
    const tf = synth({ ...EXISTING_NETWORK, KOAAPP_OUTBOUND: outbound });
    expect(only(tf, "aws_ecs_service").network_configuration).toMatchObject({
      subnets: EXISTING_NETWORK.KOAAPP_SUBNET_IDS?.split(","),
      assign_public_ip: publicIp,
    });
  });

  it("in an existing VPC with KOAAPP_OUTBOUND=vpcEndpoints: the construct gets it, and refuses the agent image from public ECR", () => {
    expect(() => koaAppStack({ ...EXISTING_NETWORK, KOAAPP_OUTBOUND: "vpcEndpoints" })).toThrow(
      /^koaapp\/Service: invalid props:\n- agent\.image "public\.ecr\.aws\/cloudwatch-agent\/cloudwatch-agent:[^"]+" is not in private ECR, which network\.outbound "vpcEndpoints" needs/,
    );
  });
});

describe("koaapp stack released by a pipeline (KOAAPP_RELEASED_BY=pipeline)", () => {
  const tf = synth({ KOAAPP_RELEASED_BY: "pipeline" });

  it("never reverts the revision a pipeline rolled out, and leaves checking the release to the pipeline", () => {
    // GIVEN releasedBy pipeline WHEN synthesized THEN the service ignores task_definition and has no postcondition
    const service = only(tf, "aws_ecs_service");
    expect(service.lifecycle).toEqual({ ignore_changes: ["desired_count", "task_definition"] });
  });

  it("outputs the names the pipeline recipe reads (docs/operations.md)", () => {
    const service = Object.keys(tf.resource.aws_ecs_service)[0];
    const cluster = Object.keys(tf.resource.aws_ecs_cluster)[0];
    const family = Object.keys(tf.resource.aws_ecs_task_definition)[0];
    expect(tf.output.cluster_name.value).toBe(`\${aws_ecs_cluster.${cluster}.name}`);
    expect(tf.output.service_name.value).toBe(`\${aws_ecs_service.${service}.name}`);
    expect(tf.output.task_definition_family.value).toBe(`\${aws_ecs_task_definition.${family}.family}`);
    const recipe = readFileSync(join(__dirname, "..", "..", "docs", "operations.md"), "utf8");
    const read = [...recipe.matchAll(/terraform output -raw (\w+)/g)].map(([, name]) => name);
    expect(read).toEqual(["cluster_name", "service_name", "task_definition_family"]);
    for (const name of read) expect(Object.keys(tf.output)).toContain(name);
  });
});
