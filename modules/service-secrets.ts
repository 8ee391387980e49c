import type { Construct } from "constructs";
import { Fn, TerraformLocal, Token } from "./cdktf";
import {
  isEnvironmentVariableName,
  isKnown,
  type Problems,
  SECRETS_MANAGER_COMPLETE_ARN,
  SSM_PARAMETER_ARN,
  show,
} from "./validation";

/** Where a secret's value comes from: an SSM parameter or a Secrets Manager secret, by name or ARN. */
export interface SecretReference {
  /**
   * The parameter or secret. SSM: a parameter name (`/orders/db-url` or `db-url`) or ARN. Secrets Manager:
   * a secret name, or its complete ARN (ending in the 6-character suffix AWS appends). Names are looked up in
   * the task's account and region; ARNs may point elsewhere. A token (e.g. a created parameter's `arn`) is
   * taken as an ARN.
   */
  readonly valueFrom: string;
  /** The service that stores it: decides the ARN form and the IAM action. */
  readonly store: "ssm" | "secretsmanager";
  /** Key of a JSON Secrets Manager secret whose value the variable gets. @default - the whole secret */
  readonly jsonKey?: string;
}

/** A secret a container reads as an environment variable. */
export interface ServiceSecret extends SecretReference {
  /** Variable name inside the container. */
  readonly name: string;
}

/** A secret as the task definition and the execution role use it: both from the same resolved ARN. */
export interface ResolvedSecret {
  /** Variable name inside the container. */
  readonly name: string;
  /** ECS `valueFrom`: the ARN (partial for a secret given by name), with `:<json-key>::` for a key of a JSON secret. */
  readonly valueFrom: string;
  /** What the execution role may read: the same ARN, or `<partial ARN>-??????` for a secret given by name. */
  readonly resourceArn: string;
  /** The service that stores it. */
  readonly store: "ssm" | "secretsmanager";
}

/** Props of {@link resolveSecrets}. */
export interface ResolveSecretsProps {
  /** The secrets to resolve, as given (validated with {@link checkServiceSecrets}). */
  readonly secrets: readonly ServiceSecret[];
  /**
   * ARN of a resource in the task's partition, region and account, e.g. the EMF log group's: names are turned
   * into ARNs with its parts, so no data source has to ask AWS for the account id at plan time.
   */
  readonly sameAccountArn: string;
}

const STORES = ["ssm", "secretsmanager"];
const SSM_PARAMETER_NAME = /^(?:[A-Za-z0-9_.-]+|(?:\/[A-Za-z0-9_.-]+)+)$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** A name Secrets Manager may take for `<name>-<suffix>` when it is given as a partial ARN. */
const SUFFIX_LIKE = /-[A-Za-z0-9]{6}$/;

/** True for an SSM parameter name ECS can resolve in the task's region. */
export function isSsmParameterName(value: string): boolean {
  return SSM_PARAMETER_NAME.test(value) && value.length <= 1011;
}

/** Checks where a secret comes from, naming the value `prop`. Token values are not judged. */
export function checkSecretLocation(
  problems: Problems,
  prop: string,
  valueFrom: string,
  store: SecretReference["store"],
): void {
  if (!isKnown(valueFrom)) return;
  if (store === "ssm") {
    problems.check(
      !isSsmParameterName(valueFrom) && !SSM_PARAMETER_ARN.test(valueFrom),
      `${prop} ${show(valueFrom)} is not an SSM parameter name or ARN; allowed: a name like "/orders/db-url" or "db-url" (at most 1011 characters of A-Z a-z 0-9 _ . -, "/" before each path level), or arn:<partition>:ssm:<region>:<account>:parameter/<name>`,
    );
    return;
  }
  if (store !== "secretsmanager") return;
  const isName = !valueFrom.startsWith("arn:");
  problems.check(
    isName ? !SECRET_NAME.test(valueFrom) : !SECRETS_MANAGER_COMPLETE_ARN.test(valueFrom),
    `${prop} ${show(valueFrom)} is not a Secrets Manager secret name or complete ARN; allowed: a name of 1-512 characters of A-Z a-z 0-9 / _ + = . @ -, or arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (a JSON key goes in jsonKey)`,
  );
  problems.check(
    isName && SECRET_NAME.test(valueFrom) && SUFFIX_LIKE.test(valueFrom),
    `${prop} ${show(valueFrom)} ends in a hyphen and six characters, which Secrets Manager may take for its ARN suffix and not find the secret by name; allowed: the secret's complete ARN`,
  );
}

/** Checks one secret reference (`prop.store`, `prop.valueFrom`, `prop.jsonKey`). Token values are not judged. */
export function checkSecretReference(problems: Problems, prop: string, reference: SecretReference): void {
  const { store, valueFrom, jsonKey } = reference;
  problems.check(
    !STORES.includes(store),
    `${prop}.store ${show(store)} is not a secret store; allowed: ${STORES.join(", ")}`,
  );
  checkSecretLocation(problems, `${prop}.valueFrom`, valueFrom, store);
  if (jsonKey === undefined) return;
  problems.check(
    store === "ssm",
    `${prop}.jsonKey ${show(jsonKey)} is set for an SSM parameter; allowed: jsonKey with store "secretsmanager" only`,
  );
  problems.check(
    isKnown(jsonKey) && (jsonKey === "" || jsonKey.includes(":")),
    `${prop}.jsonKey ${show(jsonKey)} is not a key ECS can select; allowed: a non-empty key without ":"`,
  );
}

/** Checks a container's secrets (`prop[i]`): variable names, each once, and every reference. */
export function checkServiceSecrets(
  problems: Problems,
  prop: string,
  secrets: readonly ServiceSecret[],
): void {
  const firstIndex = new Map<string, number>();
  secrets.forEach((secret, i) => {
    const at = `${prop}[${i}]`;
    const { name } = secret;
    problems.check(
      isKnown(name) && !isEnvironmentVariableName(name),
      `${at}.name ${show(name)} is not an environment variable name; allowed: letters, digits and underscores, not starting with a digit`,
    );
    const first = firstIndex.get(name);
    problems.check(
      first !== undefined,
      `${at}.name ${show(name)} is also ${prop}[${first}].name; allowed: each variable once`,
    );
    if (first === undefined) firstIndex.set(name, i);
    checkSecretReference(problems, at, secret);
  });
}

/**
 * Turns secrets given by name or ARN into the `valueFrom` ECS reads and the exact resource the execution role
 * may read. An SSM name becomes `arn:<partition>:ssm:<region>:<account>:parameter/<name without leading />`,
 * used for both. A Secrets Manager name becomes the partial ARN `arn:…:secret:<name>` for ECS (as AWS CDK's
 * `Secret.fromSecretNameV2` gives it; the ECS reference documents full ARNs only) and `arn:…:secret:<name>-??????`
 * for IAM, matching the 6-character suffix Secrets Manager appends. A JSON key adds `:<json-key>::` to `valueFrom` only. The partition, region and account are the
 * parts of `sameAccountArn`, split in a Terraform local created in `scope` when a name needs them.
 */
export function resolveSecrets(scope: Construct, props: ResolveSecretsProps): ResolvedSecret[] {
  let parts: TerraformLocal | undefined;
  const arnOf = (service: string, resource: string) => {
    // A local keeps the quotes of split(":", …) out of container_definitions, which stays parseable JSON.
    parts ??= new TerraformLocal(scope, "SecretArnParts", Fn.split(":", props.sameAccountArn));
    const list = parts.asList;
    const part = (index: number) => Token.asString(Fn.element(list, index));
    return `arn:${part(1)}:${service}:${part(3)}:${part(4)}:${resource}`;
  };
  return props.secrets.map(({ name, valueFrom, store, jsonKey }) => {
    const isArn = !isKnown(valueFrom) || valueFrom.startsWith("arn:");
    if (store === "ssm") {
      const arn = isArn ? valueFrom : arnOf("ssm", `parameter/${valueFrom.replace(/^\//, "")}`);
      return { name, valueFrom: arn, resourceArn: arn, store };
    }
    const key = jsonKey === undefined ? "" : `:${jsonKey}::`;
    if (isArn) return { name, valueFrom: `${valueFrom}${key}`, resourceArn: valueFrom, store };
    const partial = arnOf("secretsmanager", `secret:${valueFrom}`);
    return { name, valueFrom: `${partial}${key}`, resourceArn: `${partial}-??????`, store };
  });
}
