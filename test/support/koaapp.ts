import { type App, Testing } from "cdktf";
import { loadKoaAppConfig } from "../../stacks/koaapp-config";
import { KoaAppStack } from "../../stacks/koaapp-stack";

/**
 * Values for the sample stack's sensitive variables in plans (the database password, the app's secret): distinctive,
 * so a test can search the plan's output for them and find that Terraform redacted them.
 */
export const PLAN_SECRET_VALUES: Readonly<Record<"db_password" | "app_secret", string>> = {
  db_password: "plan-test-password-7f3a",
  app_secret: "plan-test-app-secret-91bc",
};

/** An ACM certificate ARN of the right form, for stacks configured with HTTPS. */
export const CERTIFICATE =
  "arn:aws:acm:eu-west-2:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/**
 * The four mistakes of issue 11's bad-input case: a relative health-check path, min above max, no capacity
 * weight, and an idle timeout not below the app's keep-alive.
 */
export const BAD_PRODUCTION_SETTINGS: Readonly<Record<string, string>> = {
  KOAAPP_HEALTH_CHECK_PATH: "health",
  KOAAPP_MIN_COUNT: "5",
  KOAAPP_MAX_COUNT: "2",
  KOAAPP_ON_DEMAND_WEIGHT: "0",
  KOAAPP_SPOT_WEIGHT: "0",
  KOAAPP_IDLE_TIMEOUT_SECONDS: "65",
};

/**
 * An existing database's parameters given by name, the password as a key of a Secrets Manager secret: the form
 * that needs the account id and region without asking AWS for them.
 */
export const EXISTING_PARAMETERS_BY_NAME: Readonly<Record<string, string>> = {
  KOAAPP_DATABASE: "existing",
  KOAAPP_EXISTING_PARAMETERS: JSON.stringify({
    RDS_USERNAME: "/shared/db/user",
    RDS_PASSWORD: { valueFrom: "rds/koaapp/master", store: "secretsmanager", jsonKey: "password" },
    RDS_DB_NAME: "/shared/db/name",
    RDS_HOSTNAME: "/shared/db/host",
    RDS_PORT: "/shared/db/port",
  }),
};

/**
 * An existing VPC (IDs of the form the construct checks), its task subnets and two private subnets for a created
 * database; the tasks reach AWS through a NAT gateway (KOAAPP_OUTBOUND, required with a VPC ID).
 */
export const EXISTING_NETWORK: Readonly<Record<string, string>> = {
  KOAAPP_VPC_ID: "vpc-0a1b2c3d4e5f67890",
  KOAAPP_SUBNET_IDS: "subnet-0a1b2c3d4e5f67890,subnet-0f9e8d7c6b5a43210",
  KOAAPP_DB_SUBNET_IDS: "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
  KOAAPP_OUTBOUND: "nat",
  KOAAPP_LB_SUBNET_IDS: "subnet-0123456789abcdef1,subnet-0fedcba9876543211",
};

/** The sample koaapp stack in a test app, configured from `env` alone (no cdktf.json context, not `process.env`). */
export function koaAppStack(env: NodeJS.ProcessEnv = {}): KoaAppStack {
  return new KoaAppStack(
    Testing.app() as App,
    "koaapp",
    loadKoaAppConfig(() => undefined, env),
  );
}

/** The koaapp stack's cdk.tf.json, synthesized and parsed. */
export function synthKoaApp(env: NodeJS.ProcessEnv = {}): Record<string, any> {
  return JSON.parse(Testing.synth(koaAppStack(env)));
}
