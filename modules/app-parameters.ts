import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Construct } from "constructs";
import { checkSecretValueFrom, isKnown, Problems, show } from "./validation";

/** The variables the app reads from secrets, as the seed's task definition names them. */
export const APP_SECRET_NAMES = [
  "RDS_USERNAME",
  "RDS_PASSWORD",
  "RDS_DB_NAME",
  "RDS_HOSTNAME",
  "RDS_PORT",
  "APP_SECRET",
] as const;

/** One of {@link APP_SECRET_NAMES}. */
export type AppSecretName = (typeof APP_SECRET_NAMES)[number];

/** The variables stored as `SecureString` with write-only values. */
export const SECURE_SECRET_NAMES = ["RDS_PASSWORD", "APP_SECRET"] as const;

/** One of {@link SECURE_SECRET_NAMES}. */
export type SecureSecretName = (typeof SECURE_SECRET_NAMES)[number];

/** One of the plain (non-secret) connection values. */
export type PlainSecretName = Exclude<AppSecretName, SecureSecretName>;

/** A secret a container reads, with the service that stores it (it decides the IAM action). */
export interface ServiceSecret {
  /** Variable name inside the container. */
  readonly name: string;
  /** Full ARN of the SSM parameter or Secrets Manager secret. */
  readonly valueFrom: string;
  /** Where the value is stored. */
  readonly store: "ssm" | "secretsmanager";
}

/** Props of {@link AppParameters}. */
export interface AppParametersProps {
  /**
   * Plain values for the parameters this construct creates as `String`: username, database name,
   * hostname and port. Tokens (e.g. an RDS instance's address) are welcome.
   * @default - none created; each must then be in `existing`
   */
  readonly values?: Readonly<Partial<Record<PlainSecretName, string>>>;
  /**
   * Values for the `SecureString` parameters this construct creates, written through the provider's
   * write-only `value_wo` so they reach neither cdk.tf.json nor the state. Pass ephemeral Terraform
   * variables, never literals.
   * @default - none created; each must then be in `existing`
   */
  readonly writeOnlyValues?: Readonly<Partial<Record<SecureSecretName, string>>>;
  /** Version of the write-only values: increase it to write new values. @default 1 */
  readonly writeOnlyVersion?: number;
  /**
   * Existing secrets by SSM parameter name (same region), SSM parameter ARN (any region) or
   * Secrets Manager secret ARN. A name is turned into an ARN with the caller's account, which reads
   * `aws_caller_identity` at plan time; ARNs need no lookup.
   * @default - none
   */
  readonly existing?: Readonly<Partial<Record<AppSecretName, string>>>;
  /** Prefix of the created parameter names. @default "/<construct path>" */
  readonly prefix?: string;
  /** Customer-managed KMS key for the `SecureString` parameters. @default - the AWS-managed key aws/ssm */
  readonly kmsKeyArn?: string;
  /** Tags for the created parameters. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The six secrets the app reads (`RDS_USERNAME`, `RDS_PASSWORD`, `RDS_DB_NAME`, `RDS_HOSTNAME`,
 * `RDS_PORT`, `APP_SECRET`): each either created here as an SSM parameter or referenced.
 */
export class AppParameters extends Construct {
  /** Every secret, by variable name, with its full ARN: what the task definition and IAM use. */
  readonly secrets: readonly ServiceSecret[];
  /** Names of the parameters this construct created, by variable name. */
  readonly createdParameterNames: Readonly<Partial<Record<AppSecretName, string>>>;

  constructor(scope: Construct, id: string, props: AppParametersProps = {}) {
    super(scope, id);
    const values = props.values ?? {};
    const writeOnlyValues = props.writeOnlyValues ?? {};
    const writeOnlyVersion = props.writeOnlyVersion ?? 1;
    const existing = props.existing ?? {};
    const prefix = props.prefix ?? `/${this.node.path}`;

    const problems = new Problems();
    for (const name of APP_SECRET_NAMES) {
      const sources = [
        name in values && values[name as PlainSecretName] !== undefined ? "values" : undefined,
        name in writeOnlyValues && writeOnlyValues[name as SecureSecretName] !== undefined
          ? "writeOnlyValues"
          : undefined,
        existing[name] !== undefined ? "existing" : undefined,
      ].filter((s) => s !== undefined);
      const allowed = (SECURE_SECRET_NAMES as readonly string[]).includes(name)
        ? "writeOnlyValues or existing"
        : "values or existing";
      problems.check(sources.length === 0, `${name} has no source; allowed: exactly one of ${allowed}`);
      problems.check(
        sources.length > 1,
        `${name} is given in ${sources.join(" and ")}; allowed: exactly one of ${allowed}`,
      );
    }
    for (const name of SECURE_SECRET_NAMES) {
      problems.check(
        name in values,
        `values.${name} would store a secret in plain text; allowed: writeOnlyValues.${name} or existing.${name}`,
      );
    }
    for (const [name, ref] of Object.entries(existing)) {
      if (ref !== undefined) checkSecretValueFrom(problems, `existing.${name}`, ref);
    }
    problems.check(
      isKnown(writeOnlyVersion) && (!Number.isInteger(writeOnlyVersion) || writeOnlyVersion < 1),
      `writeOnlyVersion ${show(writeOnlyVersion)} is out of range; allowed: an integer of at least 1`,
    );
    problems.check(
      isKnown(prefix) && !/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix),
      `prefix ${show(prefix)} is not a parameter path; allowed: /segment[/segment...] of A-Z a-z 0-9 _ . -`,
    );
    problems.throwIfAny(this.node.path);

    const secrets: ServiceSecret[] = [];
    const created: Partial<Record<AppSecretName, string>> = {};
    let callerIdentity: DataAwsCallerIdentity | undefined;
    let partition: DataAwsPartition | undefined;
    let region: DataAwsRegion | undefined;

    for (const name of APP_SECRET_NAMES) {
      const ref = existing[name];
      if (ref !== undefined) {
        if (!isKnown(ref) || ref.startsWith("arn:")) {
          secrets.push({
            name,
            valueFrom: ref,
            store: isKnown(ref) && ref.includes(":secretsmanager:") ? "secretsmanager" : "ssm",
          });
          continue;
        }
        callerIdentity ??= new DataAwsCallerIdentity(this, "Account");
        partition ??= new DataAwsPartition(this, "Partition");
        region ??= new DataAwsRegion(this, "Region");
        const path = ref.startsWith("/") ? ref.slice(1) : ref;
        secrets.push({
          name,
          valueFrom: `arn:${partition.partition}:ssm:${region.name}:${callerIdentity.accountId}:parameter/${path}`,
          store: "ssm",
        });
        continue;
      }
      const parameterName = `${prefix}/${name}`;
      const secure = (SECURE_SECRET_NAMES as readonly string[]).includes(name);
      const parameter = secure
        ? new SsmParameter(this, name, {
            name: parameterName,
            type: "SecureString",
            keyId: props.kmsKeyArn,
            valueWo: writeOnlyValues[name as SecureSecretName],
            valueWoVersion: writeOnlyVersion,
            tags: props.tags,
          })
        : new SsmParameter(this, name, {
            name: parameterName,
            type: "String",
            value: values[name as PlainSecretName],
            tags: props.tags,
          });
      created[name] = parameter.name;
      secrets.push({ name, valueFrom: parameter.arn, store: "ssm" });
    }
    this.secrets = secrets;
    this.createdParameterNames = created;
  }
}
