/**
 * Service configuration, read from the environment variables the ECS task definition sets.
 *
 * Everything is validated at once so a bad deployment reports every problem in one message; an empty
 * variable counts as unset because ECS passes `""` for a value that was left blank.
 */
import { isIP } from "node:net";
import type { LevelWithSilent } from "pino";
import {
  DEFAULT_METRICS_MODE,
  DEFAULT_NAMESPACE,
  EMF_VARIABLES,
  METRICS_MODES,
  type MetricsMode,
} from "../contract/metrics";
import { environmentSource, Reader } from "../contract/parsers";
import { Problems, ProblemsError, show } from "../contract/problems";
import { EMF_ENVIRONMENT_VARIABLES, latencyMetricsProblems } from "./metrics";

/** `METRICS_MODE`'s values, the middleware's modes, from the contract. */
export { METRICS_MODES, type MetricsMode } from "../contract/metrics";

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
  /**
   * The `AWS_EMF_*` variables (and the `SERVICE_NAME`/`SERVICE_TYPE` fallbacks) that were set, for the
   * latency middleware, which reads and validates them as aws-embedded-metrics does (its `env` option).
   * `AWS_EMF_NAMESPACE` defaults to the contract's DEFAULT_NAMESPACE, as the task definition's does.
   */
  readonly emfEnvironment: Readonly<Record<string, string>>;
  /**
   * `SHUTDOWN_TIMEOUT_MS`, the deadline for a graceful shutdown. Keep it below the task's ECS
   * `stopTimeout` (30 s in this project's infra) so the process exits before SIGKILL arrives. At most
   * 2147483647, Node's longest timer.
   * @default 25000
   */
  readonly shutdownTimeoutMs: number;
  /** `LOG_LEVEL`. @default "info" */
  readonly logLevel: LevelWithSilent;
}

/**
 * Thrown by {@link loadConfig} with one line per invalid variable; `problems` has one entry per invalid
 * variable, in the order they were checked.
 */
export class ConfigError extends ProblemsError {
  /** @param problems - one message per invalid variable */
  constructor(problems: readonly string[]) {
    super("invalid configuration", problems);
  }
}

/** `NAME="value"`, or `NAME=<redacted>` for a secret: how the partial-database message lists what was given. */
function shown(name: string, value: string): string {
  return SECRET_VARIABLES.includes(name) ? `${name}=<redacted>` : `${name}=${show(value)}`;
}

/** A DNS name: dot-separated labels of letters, digits and inner hyphens (RFC 1123). */
const HOSTNAME = /^(?=.{1,253}$)[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)*$/i;

function isListenHost(value: string): boolean {
  return isIP(value) !== 0 || HOSTNAME.test(value);
}

/**
 * Node's longest timer delay: a longer one fires after 1 ms
 * (https://nodejs.org/api/timers.html#settimeoutcallback-delay-args).
 */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Reads and validates the configuration.
 *
 * @param env - the environment to read. @default process.env
 * @returns a deeply frozen {@link AppConfig}
 * @throws ConfigError listing every invalid variable with its value (secrets shown as `<redacted>`)
 *   and what is allowed
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems = new Problems();
  const read = new Reader(problems, environmentSource(env, { secrets: SECRET_VARIABLES }));
  const port = read.integer("PORT", { min: 1, max: 65535 }) ?? 5000;
  const host = read.string("HOST", {
    test: isListenHost,
    allowed: "an IP address (0.0.0.0, ::, 127.0.0.1) or a hostname, or unset for all interfaces",
  });
  const metricsMode = read.oneOf("METRICS_MODE", METRICS_MODES) ?? DEFAULT_METRICS_MODE;
  const logLevel = read.oneOf("LOG_LEVEL", LOG_LEVELS) ?? "info";
  const shutdownTimeoutMs =
    read.integer("SHUTDOWN_TIMEOUT_MS", {
      min: 1,
      max: MAX_TIMER_MS,
      allowed: `an integer of milliseconds from 1 to ${MAX_TIMER_MS}, below the ECS stopTimeout`,
    }) ?? 25000;
  // Validated whenever present so a bad port is reported alongside a partial configuration.
  const rdsPort = read.integer("RDS_PORT", { min: 1, max: 65535 }) ?? 0;
  const present = DATABASE_VARIABLES.filter((name) => read.isSet(name));
  if (present.length > 0 && present.length < DATABASE_VARIABLES.length) {
    const missing = DATABASE_VARIABLES.filter((name) => !read.isSet(name));
    const given = present.map((name) => shown(name, String(read.raw(name)))).join(", ");
    problems.add(
      `the database is partially configured: missing ${missing.join(", ")} (given ${given}); ` +
        `allowed: all of ${DATABASE_VARIABLES.join(", ")}, or none of them to run without a database`,
    );
  }
  const database: DatabaseConfig | undefined =
    present.length === DATABASE_VARIABLES.length
      ? Object.freeze({
          host: read.string("RDS_HOSTNAME") ?? "",
          port: rdsPort,
          database: read.string("RDS_DB_NAME") ?? "",
          user: read.string("RDS_USERNAME") ?? "",
          password: read.string("RDS_PASSWORD") ?? "",
        })
      : undefined;

  const emfEnvironment = Object.freeze({
    [EMF_VARIABLES.namespace]: DEFAULT_NAMESPACE,
    ...Object.fromEntries(
      EMF_ENVIRONMENT_VARIABLES.flatMap((name) => {
        const value = read.string(name);
        return value === undefined ? [] : [[name, value]];
      }),
    ),
  });
  // The middleware reads these variables itself; checked here so that one error lists every problem.
  if (metricsMode !== "off")
    problems.add(...latencyMetricsProblems({ mode: metricsMode, env: emfEnvironment }));

  const appSecret = read.string("APP_SECRET");
  const envType = read.string("ENV_TYPE") ?? "development";

  if (!problems.isEmpty) throw new ConfigError(problems.all);

  return Object.freeze({
    port,
    host,
    database,
    appSecret,
    envType,
    metricsMode,
    emfEnvironment,
    shutdownTimeoutMs,
    logLevel,
  });
}
