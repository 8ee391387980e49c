import type { Construct } from "constructs";
import { isEnvironmentVariableName, SECRETS_MANAGER_COMPLETE_ARN, SSM_PARAMETER_ARN } from "./aws-rules";
import { Fn, TerraformLocal, Token } from "./cdktf";
import { type Checker, isKnown, keysOf } from "./validation";

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

/** What {@link resolveSecrets} needs. */
export interface ResolveSecretsProps {
  /** The secrets to resolve, as given (validated by checkServiceSecrets). */
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

/** Checks where a secret comes from (`c` is the `valueFrom` prop's checker). Token values are not judged. */
export function checkSecretLocation(c: Checker, valueFrom: unknown, store: unknown): void {
  if (!c.required(valueFrom, "an SSM parameter name or ARN, or a Secrets Manager secret name or ARN")) return;
  if (!isKnown(valueFrom)) return;
  if (
    c.check(typeof valueFrom !== "string", valueFrom, "is not a string", "a parameter or secret name or ARN")
  )
    return;
  const value = valueFrom as string;
  if (store === "ssm") {
    c.check(
      !isSsmParameterName(value) && !SSM_PARAMETER_ARN.test(value),
      value,
      "is not an SSM parameter name or ARN",
      'a name like "/orders/db-url" or "db-url" (at most 1011 characters of A-Z a-z 0-9 _ . -, "/" before each path level), or arn:<partition>:ssm:<region>:<account>:parameter/<name>',
    );
    return;
  }
  if (store !== "secretsmanager") return;
  const isName = !value.startsWith("arn:");
  c.check(
    isName ? !SECRET_NAME.test(value) : !SECRETS_MANAGER_COMPLETE_ARN.test(value),
    value,
    "is not a Secrets Manager secret name or complete ARN",
    "a name of 1-512 characters of A-Z a-z 0-9 / _ + = . @ -, or arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (a JSON key goes in jsonKey)",
  );
  c.check(
    isName && SECRET_NAME.test(value) && SUFFIX_LIKE.test(value),
    value,
    "ends in a hyphen and six characters, which Secrets Manager may take for its ARN suffix and not find the secret by name",
    "the secret's complete ARN",
  );
}

const REFERENCE_KEYS = keysOf<SecretReference>({ valueFrom: true, store: true, jsonKey: true });
const SECRET_KEYS = keysOf<ServiceSecret>({ name: true, valueFrom: true, store: true, jsonKey: true });

/** Checks one secret reference (`store`, `valueFrom`, `jsonKey` under `c`). Token values are not judged. */
export function checkSecretReference(c: Checker, reference: SecretReference, keys = REFERENCE_KEYS): void {
  const given = c.object(reference, keys, keys === SECRET_KEYS ? "ServiceSecret" : "SecretReference");
  const { store, valueFrom, jsonKey } = given as Partial<SecretReference>;
  if (c.at("store").required(store, STORES.join(", ")))
    c.at("store").oneOf(store, STORES, "is not a secret store");
  checkSecretLocation(c.at("valueFrom"), valueFrom, store);
  if (jsonKey === undefined) return;
  c.at("jsonKey").check(
    store === "ssm",
    jsonKey,
    "is set for an SSM parameter",
    'jsonKey with store "secretsmanager" only',
  );
  c.at("jsonKey").check(
    isKnown(jsonKey) && (typeof jsonKey !== "string" || jsonKey === "" || jsonKey.includes(":")),
    jsonKey,
    "is not a key ECS can select",
    'a non-empty key without ":"',
  );
}

/** Checks a container's secrets (`c` is the list's checker): variable names, each once, and every reference. */
export function checkServiceSecrets(c: Checker, secrets: readonly ServiceSecret[]): void {
  const firstIndex = new Map<unknown, number>();
  c.list(secrets, "a list of { name, valueFrom, store, jsonKey? }").forEach((item, i) => {
    const at = c.at(i);
    const secret = item as ServiceSecret;
    checkSecretReference(at, secret, SECRET_KEYS);
    const name = (secret as Partial<ServiceSecret> | undefined)?.name;
    if (!at.at("name").required(name, "an environment variable name")) return;
    at.at("name").check(
      isKnown(name) && (typeof name !== "string" || !isEnvironmentVariableName(name)),
      name,
      "is not an environment variable name",
      "letters, digits and underscores, not starting with a digit",
    );
    const first = firstIndex.get(name);
    at.at("name").check(first !== undefined, name, `is also ${c.path}[${first}].name`, "each variable once");
    if (first === undefined) firstIndex.set(name, i);
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
