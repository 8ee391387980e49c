import type { ContainerOptions } from "../../modules/app-container";
import { EmfFargateService } from "../../modules/emf-fargate-service";
import type { ServiceSecret } from "../../modules/service-secrets";
import {
  blockOf,
  CONTAINER,
  childOf,
  containerDefinitionsOf,
  containerNamed,
  environmentOf,
  newStack,
  onlyResource,
  problemLine,
  SERVICE_PROPS,
  SSM_SECRETS,
  secretsOf,
  statementsOf,
  synthStack,
} from "./support";

function withContainer(container: Partial<ContainerOptions>): EmfFargateService {
  return new EmfFargateService(newStack(), "Service", {
    ...SERVICE_PROPS,
    container: { ...CONTAINER, ...container },
  });
}

/** The synthesized app container and task volumes of a service with these container props. */
function synthContainer(container: Partial<ContainerOptions>, exec = false) {
  const synth = synthStack(
    (stack) =>
      new EmfFargateService(stack, "Service", {
        ...SERVICE_PROPS,
        container: { ...CONTAINER, ...container },
        exec: { enabled: exec },
      }),
  );
  const task = onlyResource(synth.json, "aws_ecs_task_definition");
  return {
    synth,
    app: containerNamed(containerDefinitionsOf(synth.json), container.name ?? "koaapp"),
    volumes: ((task.volume ?? []) as { name: string }[]).map((v) => v.name),
  };
}

/** The six SSM secrets with the first (RDS_USERNAME) read from elsewhere, last. */
const secretsEndingWith = (last: ServiceSecret): ServiceSecret[] => [...SSM_SECRETS.slice(1), last];

const NOT_PINNED =
  'is not pinned; allowed: an image with a version tag or @sha256 digest (set container.allowLatestImage to accept "latest")';
const CMD_FORMS = '["CMD", "<exe>", ...], ["CMD-SHELL", "<shell command>"] or ["NONE"]';
const PATH_RULE = 'is not a directory to mount; allowed: an absolute path other than "/", e.g. "/tmp"';

describe("EmfFargateService container validation", () => {
  it.each<[string, Partial<ContainerOptions>, string]>([
    [
      "a latest image",
      { image: "public.ecr.aws/acme/koaapp:latest" },
      `container.image "public.ecr.aws/acme/koaapp:latest" ${NOT_PINNED}`,
    ],
    [
      "an untagged image",
      { image: "public.ecr.aws/acme/koaapp" },
      `container.image "public.ecr.aws/acme/koaapp" ${NOT_PINNED}`,
    ],
    ["port 0", { port: 0 }, "container.port 0 is out of range; allowed: an integer from 1 to 65535"],
    [
      "port 65536",
      { port: 65536 },
      "container.port 65536 is out of range; allowed: an integer from 1 to 65535",
    ],
    [
      "the agent's port",
      { port: 25888 },
      "container.port 25888 is the agent's EMF port; allowed: any port but 25888",
    ],
    ["a negative CPU", { cpu: -1 }, "container.cpu -1 is out of range; allowed: an integer from 0 to 16384"],
    [
      "a name with a space",
      { name: "web app" },
      'container.name "web app" is not a container name; allowed: 1-255 letters, digits, hyphens and underscores',
    ],
    [
      "a stop timeout above Fargate's 120 s",
      { stopTimeoutSeconds: 121 },
      "container.stopTimeoutSeconds 121 is out of range; allowed: an integer from 2 to 120",
    ],
    [
      "a stop timeout of 1 s",
      { stopTimeoutSeconds: 1 },
      "container.stopTimeoutSeconds 1 is out of range; allowed: an integer from 2 to 120",
    ],
    [
      "a health-check interval of 301 s",
      { healthCheck: { command: ["CMD", "true"], interval: 301 } },
      "container.healthCheck.interval 301 is out of range; allowed: an integer from 5 to 300",
    ],
    [
      "a health-check timeout of 1 s",
      { healthCheck: { command: ["CMD", "true"], timeout: 1 } },
      "container.healthCheck.timeout 1 is out of range; allowed: an integer from 2 to 60",
    ],
    [
      "11 health-check retries",
      { healthCheck: { command: ["CMD", "true"], retries: 11 } },
      "container.healthCheck.retries 11 is out of range; allowed: an integer from 1 to 10",
    ],
    [
      "a health-check start period of 301 s",
      { healthCheck: { command: ["CMD", "true"], startPeriod: 301 } },
      "container.healthCheck.startPeriod 301 is out of range; allowed: an integer from 0 to 300",
    ],
    [
      "a health-check timeout as long as its interval",
      { healthCheck: { command: ["CMD", "true"], interval: 10, timeout: 10 } },
      "container.healthCheck.timeout 10 is not less than container.healthCheck.interval 10; allowed: a timeout shorter than the interval",
    ],
    [
      "a health-check command without CMD",
      { healthCheck: { command: ["curl", "-f", "http://127.0.0.1/"] } },
      `container.healthCheck.command ["curl","-f","http://127.0.0.1/"] does not start with CMD, CMD-SHELL or NONE; allowed: ${CMD_FORMS}`,
    ],
    [
      "an empty health-check command",
      { healthCheck: { command: [] } },
      `container.healthCheck.command [] does not start with CMD, CMD-SHELL or NONE; allowed: ${CMD_FORMS}`,
    ],
    [
      "PORT in the environment",
      { environment: { PORT: "8080" } },
      'container.environment.PORT "8080" is set by the construct; allowed: the container.port prop',
    ],
    [
      "an AWS_EMF_ variable in the environment",
      { environment: { AWS_EMF_NAMESPACE: "other" } },
      'container.environment.AWS_EMF_NAMESPACE "other" would disagree with the service\'s metric settings; allowed: the metrics prop',
    ],
    [
      "a variable name starting with a digit",
      { environment: { "1PORT": "1" } },
      'container.environment.1PORT "1PORT" is not an environment variable name; allowed: letters, digits and underscores, not starting with a digit',
    ],
    [
      "a variable that is also a secret",
      { environment: { RDS_HOSTNAME: "db.internal" } },
      "container.environment.RDS_HOSTNAME is also a secret (its value is not shown); allowed: each variable once, in environment or secrets",
    ],
    [
      "a secret named like a variable the construct sets",
      { secrets: [...SSM_SECRETS, { name: "AWS_EMF_NAMESPACE", valueFrom: "/x", store: "ssm" }] },
      'container.secrets[6].name "AWS_EMF_NAMESPACE" is set by the construct; allowed: any name but PORT and AWS_EMF_*',
    ],
    [
      "a variable read from two secrets",
      { secrets: [...SSM_SECRETS, SSM_SECRETS[0] as ServiceSecret] },
      'container.secrets[6].name "RDS_USERNAME" is also container.secrets[0].name; allowed: each variable once',
    ],
    [
      "an empty command",
      { command: [] },
      "container.command [] is empty; allowed: one or more strings, or leave it unset for the image's CMD",
    ],
    [
      "a user with a space",
      { user: "app user" },
      'container.user "app user" is not a user; allowed: a name or uid, optionally with ":group" or ":gid", e.g. "1000:1000"',
    ],
    ["a relative writable path", { writablePaths: ["tmp"] }, `container.writablePaths[0] "tmp" ${PATH_RULE}`],
    ["the root as writable path", { writablePaths: ["/"] }, `container.writablePaths[0] "/" ${PATH_RULE}`],
    [
      "a writable path listed twice",
      { writablePaths: ["/tmp", "/tmp"] },
      'container.writablePaths[1] "/tmp" is listed twice; allowed: each path once',
    ],
    [
      "writable paths with a writable root",
      { readonlyRootFilesystem: false, writablePaths: ["/tmp"] },
      'container.writablePaths ["/tmp"] is set with a writable root filesystem; allowed: writablePaths only with readonlyRootFilesystem true (everything is writable otherwise)',
    ],
  ])("GIVEN %s WHEN built THEN it is refused naming the prop", (_case, container, message) => {
    expect(() => withContainer(container)).toThrow(problemLine(message));
  });

  it.each([
    ["an S3 object", "s3://bucket/key", "ssm"],
    ["an S3 ARN", "arn:aws:s3:::bucket/key", "ssm"],
    ["an SSM ARN with a short account", "arn:aws:ssm:eu-west-1:1234:parameter/x", "ssm"],
    ["text with spaces", "not a reference", "ssm"],
    ["an empty string", "", "ssm"],
  ] as const)(
    "GIVEN a secret from %s WHEN built THEN it is refused listing the accepted forms",
    (_form, valueFrom, store) => {
      expect(() =>
        withContainer({ secrets: secretsEndingWith({ name: "RDS_USERNAME", valueFrom, store }) }),
      ).toThrow(
        problemLine(
          `container.secrets[5].valueFrom ${JSON.stringify(valueFrom)} is not an SSM parameter name or ARN; allowed: a name like "/orders/db-url" or "db-url" (at most 1011 characters of A-Z a-z 0-9 _ . -, "/" before each path level), or arn:<partition>:ssm:<region>:<account>:parameter/<name>`,
        ),
      );
    },
  );

  it("GIVEN a Secrets Manager ARN without its suffix WHEN built THEN the complete ARN is asked for", () => {
    const valueFrom = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db";

    expect(() =>
      withContainer({
        secrets: secretsEndingWith({ name: "RDS_USERNAME", valueFrom, store: "secretsmanager" }),
      }),
    ).toThrow(
      problemLine(
        `container.secrets[5].valueFrom "${valueFrom}" is not a Secrets Manager secret name or complete ARN; allowed: a name of 1-512 characters of A-Z a-z 0-9 / _ + = . @ -, or arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (a JSON key goes in jsonKey)`,
      ),
    );
  });

  it.each(["DB_PASSWORD", "STRIPE_API_KEY", "github_token", "AWS_CREDENTIALS_FILE"])(
    "GIVEN %p in the environment WHEN built THEN it is refused as a secret in plain text",
    (name) => {
      expect(() => withContainer({ environment: { [name]: "s3cr3t-value" } })).toThrow(
        problemLine(
          `container.environment.${name} looks like a secret in plain text (its value is not shown); allowed: a secret in container.secrets, or list ${name} in container.plaintextAllowed if it is not one`,
        ),
      );
    },
  );

  it("GIVEN a secret in plain text WHEN refused THEN the error does not repeat its value", () => {
    expect(() => withContainer({ environment: { DB_PASSWORD: "hunter2" } })).toThrow(/DB_PASSWORD/);
    expect(() => withContainer({ environment: { DB_PASSWORD: "hunter2" } })).not.toThrow(/hunter2/);
  });

  it("GIVEN plaintextAllowed naming no variable WHEN built THEN it is refused by index", () => {
    expect(() => withContainer({ plaintextAllowed: ["TOKEN_ISSUER_URL"] })).toThrow(
      problemLine(
        'container.plaintextAllowed[0] "TOKEN_ISSUER_URL" names no variable of container.environment; allowed: names of container.environment',
      ),
    );
  });
});

describe("EmfFargateService container props that synthesize", () => {
  it("GIVEN a secret-looking name listed in plaintextAllowed WHEN synthesized THEN the variable reaches the container", () => {
    const { app } = synthContainer({
      environment: { TOKEN_ISSUER_URL: "https://id.example.com" },
      plaintextAllowed: ["TOKEN_ISSUER_URL"],
    });

    expect(environmentOf(app)).toMatchObject({ TOKEN_ISSUER_URL: "https://id.example.com" });
  });

  it("GIVEN an app's own variables, HOST among them, WHEN synthesized THEN they reach the container as given: what they mean is the image's business", () => {
    const environment = { HOST: "127.0.0.1", ENV_TYPE: "x", METRICS_MODE: "x", PGSSLMODE: "x" };

    expect(environmentOf(synthContainer({ environment }).app)).toMatchObject(environment);
  });

  it("GIVEN allowLatestImage WHEN a latest image is given THEN the service runs it", () => {
    const image = "public.ecr.aws/acme/koaapp:latest";

    expect(synthContainer({ image, allowLatestImage: true }).app.image).toBe(image);
  });

  it("GIVEN an image pinned by digest WHEN synthesized THEN it is accepted as given", () => {
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/koaapp@sha256:${"0123456789abcdef".repeat(4)}`;

    expect(synthContainer({ image }).app.image).toBe(image);
  });

  const PARTS = "\\$\\{element\\(local\\.[A-Za-z0-9_]+, \\d\\)\\}";
  const fromParts = (service: string, resource: string) =>
    new RegExp(`^arn:${PARTS}:${service}:${PARTS}:${PARTS}:${resource}$`);

  it.each([
    [
      "an SSM parameter ARN in another partition",
      "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x",
      "ssm",
      /^arn:aws-cn:ssm:cn-north-1:123456789012:parameter\/x$/,
    ],
    [
      "an SSM parameter name with a path",
      "/app/prod/RDS_USERNAME",
      "ssm",
      fromParts("ssm", "parameter/app/prod/RDS_USERNAME"),
    ],
    [
      "an SSM parameter name without a path",
      "RDS_USERNAME",
      "ssm",
      fromParts("ssm", "parameter/RDS_USERNAME"),
    ],
    [
      "a Secrets Manager complete ARN",
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
      "secretsmanager",
      /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf$/,
    ],
    [
      "a Secrets Manager secret by name",
      "koaapp/db",
      "secretsmanager",
      fromParts("secretsmanager", "secret:koaapp/db"),
    ],
  ] as const)(
    "GIVEN a secret from %s WHEN synthesized THEN the container reads it by ARN",
    (_form, valueFrom, store, arn) => {
      const { app } = synthContainer({
        secrets: secretsEndingWith({ name: "RDS_USERNAME", valueFrom, store }),
      });

      expect(secretsOf(app).RDS_USERNAME).toMatch(arn);
    },
  );

  it("GIVEN two JSON keys of one Secrets Manager secret by complete ARN WHEN synthesized THEN ECS selects each key and GetSecretValue is granted once, on the secret's ARN", () => {
    const secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:koaapp/db-AbCdEf";
    const { synth, app } = synthContainer({
      secrets: [
        ...SSM_SECRETS.slice(2),
        { name: "RDS_USERNAME", valueFrom: secret, store: "secretsmanager", jsonKey: "username" },
        { name: "RDS_PASSWORD", valueFrom: secret, store: "secretsmanager", jsonKey: "password" },
      ],
    });
    const policy = blockOf(synth, childOf(synth.built, "Roles/ExecutionRoleSecrets")).policy;

    expect(secretsOf(app)).toMatchObject({
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
    const { app } = synthContainer({ healthCheck: false });

    expect(Object.keys(app)).not.toContain("healthCheck");
    expect(app.name).toBe("koaapp");
  });

  it("GIVEN a command WHEN synthesized THEN it replaces the image's CMD", () => {
    expect(synthContainer({ command: ["gunicorn", "app:app"] }).app.command).toEqual(["gunicorn", "app:app"]);
  });

  it("GIVEN writable paths WHEN synthesized THEN each is an empty task volume named after it, mounted at the path", () => {
    const { app, volumes } = synthContainer({ writablePaths: ["/tmp", "/var/cache/nginx"] });

    expect(volumes).toEqual(["tmp", "var-cache-nginx"]);
    expect(app.mountPoints).toEqual([
      { sourceVolume: "tmp", containerPath: "/tmp" },
      { sourceVolume: "var-cache-nginx", containerPath: "/var/cache/nginx" },
    ]);
  });

  it("GIVEN no writable path under a read-only root WHEN synthesized THEN the task has no volume and the app no mount point", () => {
    const { app, volumes } = synthContainer({ writablePaths: [] });

    expect(volumes).toEqual([]);
    expect(Object.keys(app)).not.toContain("mountPoints");
  });

  it("GIVEN ECS Exec and a writable path Exec also needs WHEN synthesized THEN each path is mounted once", () => {
    // Two mount points at one container path are refused ("Duplicate mount point"), see
    // https://github.com/terraform-aws-modules/terraform-aws-ecs/issues/153 and docker/compose#5885.
    const { app, volumes } = synthContainer({ writablePaths: ["/tmp", "/var/lib/amazon/ssm"] }, true);

    expect(volumes).toEqual(["tmp", "var-lib-amazon-ssm", "managed-agents", "var-log-amazon-ssm"]);
    expect(app.mountPoints?.map((m) => m.containerPath)).toEqual([
      "/tmp",
      "/var/lib/amazon/ssm",
      "/managed-agents",
      "/var/log/amazon/ssm",
    ]);
  });
});
