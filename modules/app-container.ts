import { AGENT_EMF_PORT, EMF_VARIABLE_PREFIX } from "../contract/metrics";
import { checkImage, isEnvironmentVariableName } from "./aws-rules";
import type { ContainerDefinition, HealthCheck, LogConfiguration, MountPoint } from "./container-definition";
import { SECRET_LIKE_NAME } from "./security-policy";
import { type EmfSettings, emfEnvironment } from "./service-logging";
import { checkServiceSecrets, type ResolvedSecret, type ServiceSecret } from "./service-secrets";
import { type Checker, isKnown, keysOf } from "./validation";

/** The app container of {@link EmfFargateService}: what runs, on which port, with which settings. */
export interface ContainerOptions {
  /** Image to run, pinned by a version tag or an `@sha256:` digest, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:1.4.2`. */
  readonly image: string;
  /** Accept an image tagged `latest` or untagged (a restarted task could run another build). @default false */
  readonly allowLatestImage?: boolean;
  /**
   * ECS resolves the image's tag to a digest when a deployment starts and every task of that deployment (scale-out
   * and replacements included) runs that digest, even if the tag is pushed again meanwhile (`versionConsistency`,
   * ECS developer guide "Container image resolution"). Stated explicitly, ECS's own default. Turn it off only for a
   * registry ECS cannot resolve digests in, or when a lifecycle policy deletes an image a running deployment still
   * pins (tasks it starts then fail to pull).
   * @default true
   */
  readonly versionConsistency?: boolean;
  /** Port the app listens on; also given to the app as `PORT` (images that ignore it are unaffected). */
  readonly port: number;
  /** Container name. @default - the service name */
  readonly name?: string;
  /** CPU units reserved for the app container. @default 256 */
  readonly cpu?: number;
  /** Hard memory limit of the app container, in MiB. @default 512 */
  readonly memoryMiB?: number;
  /**
   * The container health check, run by ECS inside the container: the image must contain what the command runs.
   * `false` for none (ECS also ignores a HEALTHCHECK in the image): ECS then reports the container's health as
   * UNKNOWN and replaces a task only when an essential container exits; with a load balancer, its target-group
   * check still takes failing tasks out of service and has ECS replace them; without one, nothing notices a hung
   * process.
   */
  readonly healthCheck: HealthCheck | false;
  /**
   * The app's own plain variables. The construct sets `PORT` and the `AWS_EMF_*` variables itself; neither may be
   * set here. Names that look like secrets (PASSWORD, PASSWD, SECRET, TOKEN, CREDENTIAL, API_KEY, PRIVATE_KEY and
   * their joined forms, `DB_PASS`, `MYSQL_PWD`) are refused unless listed in `plaintextAllowed`: a secret belongs in
   * `secrets`.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Names in `environment` that look like secrets but are not (e.g. `TOKEN_ISSUER_URL`). @default - none */
  readonly plaintextAllowed?: readonly string[];
  /**
   * Variables read from SSM parameters or Secrets Manager secrets at task start (created or existing, by name or
   * ARN; see ServiceSecret), e.g. `AppParameters.secrets`. Names become exact ARNs, the same in the task
   * definition and in the execution role's policy.
   * @default - none
   */
  readonly secrets?: readonly ServiceSecret[];
  /** Overrides the image's CMD. @default - the image's CMD */
  readonly command?: readonly string[];
  /** Seconds between SIGTERM and SIGKILL: the app's deadline to finish requests and flush metrics (2-120). @default 30 */
  readonly stopTimeoutSeconds?: number;
  /**
   * Mount the root filesystem read-only, with the paths in `writablePaths` writable: what most servers need
   * (gunicorn's worker heartbeat files, Python's and Node's temporary files go to /tmp). Set it to `false` for an
   * image that writes elsewhere at run time.
   * @default true
   */
  readonly readonlyRootFilesystem?: boolean;
  /**
   * Writable directories under a read-only root filesystem: empty, task-scoped volumes. On Fargate such a volume is
   * owned by root with mode 0755 unless the image declares the directory a `VOLUME` (then it starts with the
   * image's contents, owner and mode): writable for an image that runs as root, and for a non-root `user` only when
   * the image declares the `VOLUME` with that user's ownership or mode 1777.
   * @default ["/tmp"]
   */
  readonly writablePaths?: readonly string[];
  /**
   * User the process runs as (`uid[:gid]` or a name the image defines), overriding the image's USER. The image's
   * files must be readable by it and its port above 1023. SecurityPolicyChecks refuses a container that runs as root
   * or as the image's user unless this is set to a non-root user.
   * @default - the image's USER
   */
  readonly user?: string;
}

/** {@link ContainerOptions} with every default resolved. */
export interface ResolvedContainer {
  readonly image: string;
  readonly allowLatestImage: boolean;
  readonly versionConsistency: boolean;
  readonly port: number;
  readonly name: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly healthCheck: HealthCheck | false;
  readonly environment: Readonly<Record<string, string>>;
  readonly plaintextAllowed: readonly string[];
  readonly secrets: readonly ServiceSecret[];
  readonly command?: readonly string[];
  readonly stopTimeoutSeconds: number;
  readonly readonlyRootFilesystem: boolean;
  readonly writablePaths: readonly string[];
  readonly user?: string;
}

const CONTAINER_KEYS = keysOf<ContainerOptions>({
  image: true,
  allowLatestImage: true,
  versionConsistency: true,
  port: true,
  name: true,
  cpu: true,
  memoryMiB: true,
  healthCheck: true,
  environment: true,
  plaintextAllowed: true,
  secrets: true,
  command: true,
  stopTimeoutSeconds: true,
  readonlyRootFilesystem: true,
  writablePaths: true,
  user: true,
});

const HEALTH_CHECK_KEYS = keysOf<HealthCheck>({
  command: true,
  interval: true,
  timeout: true,
  retries: true,
  startPeriod: true,
});

/** Resolves the defaults of the app container; `serviceName` names it unless `name` is given. */
export function resolveContainer(options: ContainerOptions, serviceName: string): ResolvedContainer {
  const readonlyRootFilesystem = options.readonlyRootFilesystem ?? true;
  return {
    ...options,
    allowLatestImage: options.allowLatestImage ?? false,
    versionConsistency: options.versionConsistency ?? true,
    name: options.name ?? serviceName,
    cpu: options.cpu ?? 256,
    memoryMiB: options.memoryMiB ?? 512,
    environment: options.environment ?? {},
    plaintextAllowed: options.plaintextAllowed ?? [],
    secrets: options.secrets ?? [],
    stopTimeoutSeconds: options.stopTimeoutSeconds ?? 30,
    readonlyRootFilesystem,
    writablePaths: options.writablePaths ?? (readonlyRootFilesystem ? ["/tmp"] : []),
  };
}

/** Variables the construct sets itself, with the prop that decides each; `environment` may not set them. */
export const RESERVED_VARIABLES: Readonly<Record<string, string>> = { PORT: "container.port" };

const CONTAINER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._\-/]*$/;

/** Checks the app container's props (`c` is the `container` prop's checker); `raw` is the props as given. */
export function checkContainer(c: Checker, raw: unknown, s: ResolvedContainer): void {
  const given = c.object(raw, CONTAINER_KEYS, "ContainerOptions");
  checkImage(c.at("image"), s.image, s.allowLatestImage, "container.allowLatestImage");
  c.at("allowLatestImage").boolean(s.allowLatestImage);
  c.at("versionConsistency").boolean(s.versionConsistency);
  if (c.at("port").required(s.port, "the port the app listens on, 1-65535")) {
    c.at("port").integer(s.port, 1, 65535);
    c.at("port").check(
      s.port === AGENT_EMF_PORT,
      s.port,
      "is the agent's EMF port",
      `any port but ${AGENT_EMF_PORT}`,
    );
  }
  // The default, the service name, is judged as serviceName.
  if (given.name !== undefined)
    c.at("name").matches(
      s.name,
      CONTAINER_NAME,
      "a container name",
      "1-255 letters, digits, hyphens and underscores",
    );
  c.at("cpu").integer(s.cpu, 0, 16384);
  c.at("memoryMiB").integer(s.memoryMiB, 6, 122880);
  checkHealthCheck(c.at("healthCheck"), s.healthCheck);
  checkEnvironment(c, s);
  checkServiceSecrets(c.at("secrets"), s.secrets);
  if (s.command !== undefined) {
    const command = c.at("command").list(s.command, 'a list of strings, e.g. ["gunicorn", "app:app"]');
    c.at("command").check(
      Array.isArray(s.command) && command.length === 0,
      s.command,
      "is empty",
      "one or more strings, or leave it unset for the image's CMD",
    );
    for (const [i, part] of command.entries()) {
      c.at("command")
        .at(i)
        .check(typeof part !== "string", part, "is not a string", "a string");
    }
  }
  c.at("stopTimeoutSeconds").integer(s.stopTimeoutSeconds, 2, 120);
  c.at("readonlyRootFilesystem").boolean(s.readonlyRootFilesystem);
  const paths = c.at("writablePaths").list(s.writablePaths, 'absolute paths, e.g. ["/tmp"]');
  paths.forEach((path, i) => {
    const at = c.at("writablePaths").at(i);
    if (
      at.check(
        typeof path !== "string" || !ABSOLUTE_PATH.test(path) || path === "/",
        path,
        "is not a directory to mount",
        'an absolute path other than "/", e.g. "/tmp"',
      )
    )
      return;
    at.check(paths.indexOf(path) !== i, path, "is listed twice", "each path once");
  });
  c.at("writablePaths").check(
    !s.readonlyRootFilesystem && paths.length > 0,
    s.writablePaths,
    "is set with a writable root filesystem",
    "writablePaths only with readonlyRootFilesystem true (everything is writable otherwise)",
  );
  c.at("user").matches(
    s.user,
    /^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/,
    "a user",
    'a name or uid, optionally with ":group" or ":gid", e.g. "1000:1000"',
  );
}

function checkHealthCheck(c: Checker, hc: HealthCheck | false): void {
  const allowed =
    "a health check ({ command, interval?, timeout?, retries?, startPeriod? }), or false for none";
  if (!c.required(hc, allowed) || hc === false) return;
  const given = c.object(hc, HEALTH_CHECK_KEYS, "HealthCheck");
  if (Object.keys(given).length === 0 && typeof hc !== "object") return;
  const command = c
    .at("command")
    .list(hc.command, '["CMD", "<exe>", ...], ["CMD-SHELL", "<shell command>"] or ["NONE"]');
  const first = command[0];
  c.at("command").check(
    command.length === 0 || (isKnown(first) && !["CMD", "CMD-SHELL", "NONE"].includes(String(first))),
    hc.command,
    "does not start with CMD, CMD-SHELL or NONE",
    '["CMD", "<exe>", ...], ["CMD-SHELL", "<shell command>"] or ["NONE"]',
  );
  c.at("interval").integer(hc.interval, 5, 300);
  c.at("timeout").integer(hc.timeout, 2, 60);
  c.at("retries").integer(hc.retries, 1, 10);
  c.at("startPeriod").integer(hc.startPeriod, 0, 300);
  // ECS defaults: interval 30 s, timeout 5 s.
  const interval = hc.interval ?? 30;
  const timeout = hc.timeout ?? 5;
  if (isKnown(interval) && isKnown(timeout) && timeout >= interval)
    c.at("timeout").fail(
      timeout,
      `is not less than ${c.path}.interval ${interval}`,
      "a timeout shorter than the interval",
    );
}

function checkEnvironment(c: Checker, s: ResolvedContainer): void {
  const secretNames = new Set(s.secrets.map((secret) => secret?.name));
  const allowedPlain = c.at("plaintextAllowed").list(s.plaintextAllowed, "names of environment variables");
  const entries = c
    .at("environment")
    .stringRecord(s.environment, "an object of variable names to string values");
  for (const [name] of entries) {
    const at = c.at("environment").at(name);
    const value = s.environment[name];
    at.check(
      !isEnvironmentVariableName(name),
      name,
      "is not an environment variable name",
      "letters, digits and underscores, not starting with a digit",
    );
    if (Object.hasOwn(RESERVED_VARIABLES, name))
      at.fail(value, "is set by the construct", `the ${RESERVED_VARIABLES[name]} prop`);
    if (name.startsWith(EMF_VARIABLE_PREFIX))
      at.fail(value, "would disagree with the service's metric settings", "the metrics prop");
    // The value of what is (or looks like) a secret stays out of the message: errors end up in CI logs.
    if (secretNames.has(name))
      at.relation(
        "is also a secret (its value is not shown); allowed: each variable once, in environment or secrets",
      );
    if (SECRET_LIKE_NAME.test(name) && !allowedPlain.includes(name))
      at.relation(
        `looks like a secret in plain text (its value is not shown); allowed: a secret in container.secrets, or list ${name} in container.plaintextAllowed if it is not one`,
      );
  }
  for (const [i, name] of allowedPlain.entries()) {
    c.at("plaintextAllowed")
      .at(i)
      .check(
        typeof name !== "string" || !Object.hasOwn(s.environment, name),
        name,
        "names no variable of container.environment",
        "names of container.environment",
      );
  }
  s.secrets.forEach((secret, i) => {
    const name = secret?.name;
    c.at("secrets")
      .at(i)
      .at("name")
      .check(
        isKnown(name) &&
          (Object.hasOwn(RESERVED_VARIABLES, name) || String(name).startsWith(EMF_VARIABLE_PREFIX)),
        name,
        "is set by the construct",
        `any name but ${Object.keys(RESERVED_VARIABLES).join(", ")} and ${EMF_VARIABLE_PREFIX}*`,
      );
  });
}

/** What the app container is rendered from, beyond its resolved options. */
export interface AppContainerWiring {
  /** The EMF settings, passed as `AWS_EMF_*`. */
  readonly emf: EmfSettings;
  /** Secrets resolved to ARNs. */
  readonly secrets: readonly ResolvedSecret[];
  /** Logging of the container. */
  readonly logConfiguration: LogConfiguration;
  /** Container the app waits for (the agent). */
  readonly startsAfter: string;
  /** Paths ECS Exec's SSM agent writes to, mounted writable under a read-only root. */
  readonly execPaths: readonly string[];
  /** The port mapping's Service Connect name and protocol, when the service serves it. @default - unnamed */
  readonly portMapping?: { readonly name: string; readonly appProtocol: "http" | "http2" | "grpc" };
}

/** The app container's definition and the names of the task volumes it mounts. */
export function appContainer(
  s: ResolvedContainer,
  wiring: AppContainerWiring,
): { container: ContainerDefinition; volumes: string[] } {
  // PORT first and the EMF variables last, so the app's own variables keep their place between them.
  const environment: Record<string, string> = {
    PORT: String(s.port),
    ...s.environment,
    ...emfEnvironment(wiring.emf),
  };
  // A path Exec needs may also be listed in writablePaths; two mount points at one path are refused.
  const writable = s.readonlyRootFilesystem ? [...new Set([...s.writablePaths, ...wiring.execPaths])] : [];
  const mountPoints: MountPoint[] = writable.map((containerPath) => ({
    sourceVolume: volumeName(containerPath),
    containerPath,
  }));
  const container: ContainerDefinition = {
    name: s.name,
    image: s.image,
    versionConsistency: s.versionConsistency ? "enabled" : "disabled",
    cpu: s.cpu,
    memory: s.memoryMiB,
    essential: true,
    portMappings: [{ containerPort: s.port, hostPort: s.port, protocol: "tcp", ...wiring.portMapping }],
    environment: Object.entries(environment).map(([name, value]) => ({ name, value })),
    secrets: wiring.secrets.map(({ name, valueFrom }) => ({ name, valueFrom })),
    logConfiguration: wiring.logConfiguration,
    dependsOn: [{ containerName: wiring.startsAfter, condition: "START" }],
    ...(s.healthCheck ? { healthCheck: s.healthCheck } : {}),
    ...(s.command ? { command: s.command } : {}),
    // An init process forwards SIGTERM to the app and reaps zombies (and ECS Exec needs it).
    linuxParameters: { initProcessEnabled: true },
    stopTimeout: s.stopTimeoutSeconds,
    readonlyRootFilesystem: s.readonlyRootFilesystem,
    ...(s.user !== undefined ? { user: s.user } : {}),
    ...(mountPoints.length > 0 ? { mountPoints } : {}),
  };
  return { container, volumes: mountPoints.map((m) => m.sourceVolume) };
}

/** The task volume of a writable path: `tmp` for /tmp, `var-lib-amazon-ssm` for /var/lib/amazon/ssm. */
function volumeName(path: string): string {
  return path.replace(/^\/+/, "").replace(/[^A-Za-z0-9]+/g, "-") || "root";
}
