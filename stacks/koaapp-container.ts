/**
 * What the sample Koa app's container needs beyond what EmfFargateService sets for any image: its own
 * variables, the secrets it reads and a health check its image can run. The stack and the Docker end-to-end
 * test both build the task definition from these.
 */

import { Fn, Op, Token } from "cdktf";
import type { MetricsMode } from "../contract/metrics";
import type { HealthCheck, ParameterKind } from "../modules";

/**
 * The variables the app reads from SSM parameters, in the order of the seed's task definition, and how each
 * is stored: the password and the app secret as `SecureString` with write-only values, the rest as `String`.
 */
export const KOAAPP_SECRETS = {
  RDS_USERNAME: "plain",
  RDS_PASSWORD: "secure",
  RDS_DB_NAME: "plain",
  RDS_HOSTNAME: "plain",
  RDS_PORT: "plain",
  APP_SECRET: "secure",
} as const satisfies Readonly<Record<string, ParameterKind>>;

/** One of the variables of {@link KOAAPP_SECRETS}. */
export type KoaAppSecretName = keyof typeof KOAAPP_SECRETS;

/** The names of {@link KOAAPP_SECRETS}, in order. */
export const KOAAPP_SECRET_NAMES = Object.keys(KOAAPP_SECRETS) as KoaAppSecretName[];

/**
 * The image's own non-root user (Dockerfile: `USER 1000:1000`). The construct would run the image's user anyway; the
 * stack states it so SecurityPolicyChecks can see it, and the Docker end-to-end test checks the two agree.
 */
export const KOAAPP_USER = "1000:1000";

/** Seconds between SIGTERM and SIGKILL the stack gives the app. */
export const KOAAPP_STOP_TIMEOUT_SECONDS = 30;

/**
 * `PGSSLMODE` for node-postgres: RDS PostgreSQL 15+ refuses unencrypted connections; `no-verify` encrypts
 * without checking the server certificate (`verify-full` would also need the RDS CA bundle in the image).
 */
export const KOAAPP_DATABASE_SSL_MODE = "no-verify";

/**
 * The app's health check: `node` (which the image has; it has no curl) requests `path` on the app's port and
 * fails on anything but 200, every 15 s.
 */
export function koaAppHealthCheck(port: number, path = "/health"): HealthCheck {
  return {
    command: [
      "CMD",
      "node",
      "-e",
      `require("http").get("http://127.0.0.1:${port}${path}",r=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))`,
    ],
    interval: 15,
    timeout: 5,
    retries: 3,
    startPeriod: 10,
  };
}

/**
 * The app's graceful-shutdown deadline (`SHUTDOWN_TIMEOUT_MS`) for a stop timeout: 5 s less, at least 1 s, so
 * the app finishes its requests and flushes its metrics before ECS's SIGKILL. A token (a Terraform variable)
 * gives a Terraform expression instead of a fixed value.
 */
export function shutdownTimeoutMs(stopTimeoutSeconds: number): string {
  return !Token.isUnresolved(stopTimeoutSeconds)
    ? String(Math.max(1000, stopTimeoutSeconds * 1000 - 5000))
    : Token.asString(Fn.max([1000, Op.sub(Op.mul(stopTimeoutSeconds, 1000), 5000)]));
}

/** Settings of {@link koaAppEnvironment}. */
export interface KoaAppEnvironmentOptions {
  /** `ENV_TYPE`: the environment name `GET /` reports. */
  readonly environmentName: string;
  /** `METRICS_MODE`. */
  readonly metricsMode: MetricsMode;
  /** The container's stop timeout, from which `SHUTDOWN_TIMEOUT_MS` is derived. */
  readonly stopTimeoutSeconds: number;
}

/**
 * The app's own variables, for EmfFargateService's `environment` (which sets `PORT` and `AWS_EMF_*` itself).
 * `HOST` is left unset: the app then listens on all interfaces, as ingress and the health check need.
 */
export function koaAppEnvironment(options: KoaAppEnvironmentOptions): Record<string, string> {
  return {
    ENV_TYPE: options.environmentName,
    METRICS_MODE: options.metricsMode,
    SHUTDOWN_TIMEOUT_MS: shutdownTimeoutMs(options.stopTimeoutSeconds),
    PGSSLMODE: KOAAPP_DATABASE_SSL_MODE,
  };
}
