/**
 * Service configuration, read from the environment variables the ECS task definition sets.
 *
 * Everything is validated at once so a bad deployment reports every problem in one message; an empty
 * variable counts as unset because ECS passes `""` for a value that was left blank.
 */
import { isIP } from "node:net";
import type { LevelWithSilent } from "pino";
import { DEFAULT_NAMESPACE } from "../contract/metrics";

/** How the latency middleware publishes: not at all, one aggregated document per flush, or one per request. */
export type MetricsMode = "off" | "aggregate" | "request";

/** The values `METRICS_MODE` accepts. */
export const METRICS_MODES: readonly MetricsMode[] = ["off", "aggregate", "request"];

/** The values `LOG_LEVEL` accepts (pino's levels). */
export const LOG_LEVELS: readonly LevelWithSilent[] = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
];

/** The values of aws-embedded-metrics' own `AWS_EMF_ENVIRONMENT` variable. */
export const EMF_ENVIRONMENTS = ["Local", "Agent", "ECS", "EC2", "Lambda"] as const;

/** The database variables: all of them or none. */
export const DATABASE_VARIABLES = [
  "RDS_HOSTNAME",
  "RDS_PORT",
  "RDS_DB_NAME",
  "RDS_USERNAME",
  "RDS_PASSWORD",
] as const;

/** Variables whose values never appear in messages or logs. */
export const SECRET_VARIABLES: readonly string[] = ["RDS_PASSWORD", "APP_SECRET"];

/** The agent endpoint used when `AWS_EMF_AGENT_ENDPOINT` is unset: the sidecar in the same task. */
export const DEFAULT_AGENT_ENDPOINT = "tcp://127.0.0.1:25888";

/** PostgreSQL connection settings. */
export interface DatabaseConfig {
  /** `RDS_HOSTNAME`. */
  readonly host: string;
  /** `RDS_PORT`, an integer from 1 to 65535. */
  readonly port: number;
  /** `RDS_DB_NAME`. */
  readonly database: string;
  /** `RDS_USERNAME`. */
  readonly user: string;
  /** `RDS_PASSWORD`. */
  readonly password: string;
}

/** Embedded Metric Format settings. */
export interface EmfConfig {
  /** `AWS_EMF_AGENT_ENDPOINT`, `tcp://host:port` or `udp://host:port`. @default "tcp://127.0.0.1:25888" */
  readonly agentEndpoint: string;
  /** `AWS_EMF_NAMESPACE`. @default DEFAULT_NAMESPACE from the metric contract */
  readonly namespace: string;
  /** `AWS_EMF_SERVICE_NAME`. @default - the metrics library's default */
  readonly serviceName: string | undefined;
  /** `AWS_EMF_SERVICE_TYPE`. @default - the metrics library's default */
  readonly serviceType: string | undefined;
  /** `AWS_EMF_LOG_GROUP_NAME`. @default - the metrics library's default */
  readonly logGroupName: string | undefined;
  /** `AWS_EMF_LOG_STREAM_NAME`. @default - the metrics library's default */
  readonly logStreamName: string | undefined;
  /** `AWS_EMF_ENVIRONMENT`; `Local` writes EMF to stdout instead of the agent. @default - unset */
  readonly environment: (typeof EMF_ENVIRONMENTS)[number] | undefined;
}

/** The validated, frozen configuration of the service. */
export interface AppConfig {
  /** `PORT`, the HTTP listen port. @default 5000 */
  readonly port: number;
  /**
   * `HOST`, the HTTP listen address: an IP address or a hostname. Leave it unset in a container: the load
   * balancer reaches the task on its VPC address and the container health check on 127.0.0.1.
   * @default - unset: all interfaces
   */
  readonly host: string | undefined;
  /** The database, or `undefined` when no database variable is set ("not configured"). */
  readonly database: DatabaseConfig | undefined;
  /** `APP_SECRET`. @default - unset */
  readonly appSecret: string | undefined;
  /** `ENV_TYPE`, the deployment's name for its environment. @default "development" */
  readonly envType: string;
  /** `METRICS_MODE`. @default "aggregate" */
  readonly metricsMode: MetricsMode;
  /** Embedded Metric Format settings. */
  readonly emf: EmfConfig;
  /**
   * `SHUTDOWN_TIMEOUT_MS`, the deadline for a graceful shutdown. Keep it below the task's ECS
   * `stopTimeout` (30 s in this project's infra) so the process exits before SIGKILL arrives.
   * @default 25000
   */
  readonly shutdownTimeoutMs: number;
  /** `LOG_LEVEL`. @default "info" */
  readonly logLevel: LevelWithSilent;
}

/** Thrown by {@link loadConfig} with one line per invalid variable. */
export class ConfigError extends Error {
  /** One entry per invalid variable, in the order they were checked. */
  readonly problems: readonly string[];

  /** @param problems - one message per invalid variable */
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n- ${problems.join("\n- ")}`);
    this.name = "ConfigError";
    this.problems = Object.freeze([...problems]);
  }
}

/** `NAME="value"`, or `NAME=<redacted>` for a secret. */
function shown(name: string, value: string): string {
  return SECRET_VARIABLES.includes(name) ? `${name}=<redacted>` : `${name}=${JSON.stringify(value)}`;
}

function parseInteger(value: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const parsed = Number(value);
  return parsed >= min && parsed <= max ? parsed : undefined;
}

/** A DNS name: dot-separated labels of letters, digits and inner hyphens (RFC 1123). */
const HOSTNAME = /^(?=.{1,253}$)[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)*$/i;

function isListenHost(value: string): boolean {
  return isIP(value) !== 0 || HOSTNAME.test(value);
}

function isAgentEndpoint(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // An unparsable URL is simply an invalid value; the caller reports it.
    return false;
  }
  return (
    (url.protocol === "tcp:" || url.protocol === "udp:") &&
    url.hostname !== "" &&
    parseInteger(url.port, 1, 65535) !== undefined &&
    url.pathname === "" &&
    url.search === "" &&
    url.hash === "" &&
    url.username === ""
  );
}

/**
 * Reads and validates the configuration.
 *
 * @param env - the environment to read. @default process.env
 * @returns a deeply frozen {@link AppConfig}
 * @throws ConfigError listing every invalid variable with its value (secrets shown as `<redacted>`)
 *   and what is allowed
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === "" ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number, allowed: string): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const parsed = parseInteger(raw, min, max);
    if (parsed === undefined) problems.push(`${shown(name, raw)} is not valid; allowed: ${allowed}`);
    return parsed ?? fallback;
  };
  const oneOf = <T extends string>(
    name: string,
    allowed: readonly T[],
    fallback: T | undefined,
  ): T | undefined => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${shown(name, raw)} is not valid; allowed: ${allowed.join(", ")}`);
    return fallback;
  };

  const port = integer("PORT", 5000, 1, 65535, "an integer from 1 to 65535");
  const host = read("HOST");
  if (host !== undefined && !isListenHost(host)) {
    problems.push(
      `${shown("HOST", host)} is not valid; allowed: an IP address (0.0.0.0, ::, 127.0.0.1) or a hostname, ` +
        "or unset for all interfaces",
    );
  }
  const metricsMode = oneOf("METRICS_MODE", METRICS_MODES, "aggregate") ?? "aggregate";
  const logLevel = oneOf("LOG_LEVEL", LOG_LEVELS, "info") ?? "info";
  const shutdownTimeoutMs = integer(
    "SHUTDOWN_TIMEOUT_MS",
    25000,
    1,
    Number.MAX_SAFE_INTEGER,
    "a positive integer number of milliseconds, below the ECS stopTimeout",
  );
  const environment = oneOf("AWS_EMF_ENVIRONMENT", EMF_ENVIRONMENTS, undefined);

  const agentEndpoint = read("AWS_EMF_AGENT_ENDPOINT") ?? DEFAULT_AGENT_ENDPOINT;
  if (!isAgentEndpoint(agentEndpoint)) {
    problems.push(
      `${shown("AWS_EMF_AGENT_ENDPOINT", agentEndpoint)} is not valid; allowed: tcp://host:port or udp://host:port`,
    );
  }

  // Validated whenever present so a bad port is reported alongside a partial configuration.
  const rdsPort = integer("RDS_PORT", 0, 1, 65535, "an integer from 1 to 65535");
  const present = DATABASE_VARIABLES.filter((name) => read(name) !== undefined);
  if (present.length > 0 && present.length < DATABASE_VARIABLES.length) {
    const missing = DATABASE_VARIABLES.filter((name) => read(name) === undefined);
    const given = present.map((name) => shown(name, read(name) ?? "")).join(", ");
    problems.push(
      `the database is partially configured: missing ${missing.join(", ")} (given ${given}); ` +
        `allowed: all of ${DATABASE_VARIABLES.join(", ")}, or none of them to run without a database`,
    );
  }
  const database: DatabaseConfig | undefined =
    present.length === DATABASE_VARIABLES.length
      ? Object.freeze({
          host: read("RDS_HOSTNAME") ?? "",
          port: rdsPort,
          database: read("RDS_DB_NAME") ?? "",
          user: read("RDS_USERNAME") ?? "",
          password: read("RDS_PASSWORD") ?? "",
        })
      : undefined;

  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    port,
    host,
    database,
    appSecret: read("APP_SECRET"),
    envType: read("ENV_TYPE") ?? "development",
    metricsMode,
    emf: Object.freeze({
      agentEndpoint,
      namespace: read("AWS_EMF_NAMESPACE") ?? DEFAULT_NAMESPACE,
      serviceName: read("AWS_EMF_SERVICE_NAME"),
      serviceType: read("AWS_EMF_SERVICE_TYPE"),
      logGroupName: read("AWS_EMF_LOG_GROUP_NAME"),
      logStreamName: read("AWS_EMF_LOG_STREAM_NAME"),
      environment,
    }),
    shutdownTimeoutMs,
    logLevel,
  });
}
