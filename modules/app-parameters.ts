import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Construct } from "constructs";
import { show } from "../contract/problems";
import { isEnvironmentVariableName, SECRETS_MANAGER_COMPLETE_ARN, SSM_PARAMETER_ARN } from "./aws-rules";
import {
  checkSecretReference,
  isSsmParameterName,
  type SecretReference,
  type ServiceSecret,
} from "./service-secrets";
import { type Checker, isKnown, keysOf, validateProps } from "./validation";

/** How a required variable may be stored: `secure` ones never as a plain `String` value. */
export type ParameterKind = "plain" | "secure";

/** Props of {@link AppParameters}. */
export interface AppParametersProps {
  /**
   * Plain values, by variable name: each becomes a created `String` parameter holding it. Tokens (e.g. an RDS
   * instance's address) are welcome.
   * @default - none
   */
  readonly values?: Readonly<Record<string, string>>;
  /**
   * Secret values, by variable name: each becomes a created `SecureString` parameter written through the
   * provider's write-only `value_wo`, so the value reaches neither cdk.tf.json nor the state. Pass ephemeral
   * Terraform variables, never literals. Write-only attributes need Terraform 1.11 or newer; on CDK Terrain the
   * project must say it targets that (`"targetVersions": { "terraform": ">=1.11.0" }` in cdktf.json, or the App's
   * context), or synth refuses them (docs/toolkits.md).
   * @default - none
   */
  readonly writeOnlyValues?: Readonly<Record<string, string>>;
  /** Version of the write-only values: increase it to write new values. @default 1 */
  readonly writeOnlyVersion?: number;
  /**
   * Existing parameters or secrets, by variable name: a string is an SSM parameter name or ARN, or a Secrets
   * Manager secret's complete ARN; a SecretReference also takes a Secrets Manager secret by name and a JSON
   * key. Names are resolved to ARNs by EmfFargateService, in the task's account and region, with no lookup.
   * @default - none
   */
  readonly existing?: Readonly<Record<string, string | SecretReference>>;
  /**
   * The variables the app needs, in the order its container gets them: each must then come from exactly one
   * of values, writeOnlyValues and existing, and a `secure` one never from values.
   * @default - no variable is required; each given one is used, in the order values, writeOnlyValues, existing
   */
  readonly required?: Readonly<Record<string, ParameterKind>>;
  /** Prefix of the created parameter names. @default - `/` and the construct path */
  readonly prefix?: string;
  /** Customer-managed KMS key for the `SecureString` parameters. @default - the AWS-managed key aws/ssm */
  readonly kmsKeyArn?: string;
  /** Tags for the created parameters. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

const SOURCES = ["values", "writeOnlyValues", "existing"] as const;
const KEYS = keysOf<AppParametersProps>({
  values: true,
  writeOnlyValues: true,
  writeOnlyVersion: true,
  existing: true,
  required: true,
  prefix: true,
  kmsKeyArn: true,
  tags: true,
});

/** The form an `existing` string names, when it is not a SecretReference. */
function referenceOf(value: string): SecretReference {
  const secretsManager = isKnown(value) && /^arn:[^:]+:secretsmanager:/.test(value);
  return { valueFrom: value, store: secretsManager ? "secretsmanager" : "ssm" };
}

/**
 * The variables an app reads from SSM Parameter Store or Secrets Manager: each created here as an SSM
 * parameter (`String` from a plain value, `SecureString` from a write-only value, named `<prefix>/<VARIABLE>`)
 * or referenced where it already is. `secrets` is what EmfFargateService takes.
 */
export class AppParameters extends Construct {
  /** Every variable with where its value comes from, in order: what EmfFargateService's `secrets` takes. */
  readonly secrets: readonly ServiceSecret[];
  /** Names of the parameters this construct created, by variable name. */
  readonly createdParameterNames: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: AppParametersProps = {}) {
    super(scope, id);
    const given = {
      values: props.values ?? {},
      writeOnlyValues: props.writeOnlyValues ?? {},
      existing: props.existing ?? {},
    };
    const writeOnlyVersion = props.writeOnlyVersion ?? 1;
    const required = props.required ?? {};
    const prefix = props.prefix ?? `/${this.node.path}`;
    const sourcesOf = (name: string) => SOURCES.filter((source) => given[source][name] !== undefined);
    const names = [
      ...new Set([...Object.keys(required), ...SOURCES.flatMap((source) => Object.keys(given[source]))]),
    ];

    validateProps(this, (c: Checker) => {
      c.object(props, KEYS, "AppParametersProps");
      for (const name of names) {
        const sources = sourcesOf(name);
        const kind = required[name];
        const allowed =
          kind === "secure" ? "writeOnlyValues or existing" : "values, writeOnlyValues or existing";
        c.problems.check(
          kind !== undefined && sources.length === 0,
          `${name} has no source; allowed: exactly one of ${allowed}`,
        );
        c.problems.check(
          sources.length > 1,
          `${name} is given in ${sources.join(" and ")}; allowed: exactly one of ${allowed}`,
        );
        c.problems.check(
          kind === "secure" && sources.includes("values"),
          `values.${name} would store a secret in plain text; allowed: writeOnlyValues.${name} or existing.${name}`,
        );
        c.problems.check(
          !isEnvironmentVariableName(name),
          `${sources[0] ?? "required"} key ${show(name)} is not an environment variable name; allowed: letters, digits and underscores, not starting with a digit`,
        );
      }
      for (const [name, reference] of Object.entries(given.existing)) {
        if (typeof reference !== "string") {
          checkSecretReference(c.at("existing").at(name), reference);
          continue;
        }
        c.problems.check(
          isKnown(reference) &&
            !isSsmParameterName(reference) &&
            !SSM_PARAMETER_ARN.test(reference) &&
            !SECRETS_MANAGER_COMPLETE_ARN.test(reference),
          `existing.${name} ${show(reference)} is not a secret reference; allowed: an SSM parameter name or ARN, or a Secrets Manager secret's complete ARN (a secret by name or a JSON key: { valueFrom, store: "secretsmanager", jsonKey })`,
        );
      }
      c.problems.check(
        isKnown(writeOnlyVersion) && (!Number.isInteger(writeOnlyVersion) || writeOnlyVersion < 1),
        `writeOnlyVersion ${show(writeOnlyVersion)} is out of range; allowed: an integer of at least 1`,
      );
      c.problems.check(
        isKnown(prefix) && !/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix),
        `prefix ${show(prefix)} is not a parameter path; allowed: /segment[/segment...] of A-Z a-z 0-9 _ . -`,
      );
    });

    const secrets: ServiceSecret[] = [];
    const created: Record<string, string> = {};
    for (const name of names) {
      const reference = given.existing[name];
      if (reference !== undefined) {
        secrets.push({ name, ...(typeof reference === "string" ? referenceOf(reference) : reference) });
        continue;
      }
      const secure = given.writeOnlyValues[name] !== undefined;
      // Id = variable name: the parameters' Terraform addresses are part of the contract.
      const parameter = new SsmParameter(this, name, {
        name: `${prefix}/${name}`,
        ...(secure
          ? {
              type: "SecureString",
              keyId: props.kmsKeyArn,
              valueWo: given.writeOnlyValues[name],
              valueWoVersion: writeOnlyVersion,
            }
          : { type: "String", value: given.values[name] }),
        tags: props.tags,
      });
      created[name] = parameter.name;
      secrets.push({ name, valueFrom: parameter.arn, store: "ssm" });
    }
    this.secrets = secrets;
    this.createdParameterNames = created;
  }
}
