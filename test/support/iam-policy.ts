/**
 * A small evaluator of identity-based IAM policy statements, for tests that ask "may this role do X?" of the
 * statements a stack synthesizes (as `aws_iam_policy_document` blocks), the way the IAM policy simulator answers
 * it for one principal's identity policies.
 *
 * What it models, from the IAM User Guide ("Policy evaluation logic", "IAM JSON policy elements: Action, Resource,
 * Condition"): an explicit Deny wins, then any Allow, else the request is implicitly denied; Action, NotAction,
 * Resource and NotResource with the `*` (any run of characters, `:` and `/` included) and `?` (one character)
 * wildcards; actions case-insensitive, resources case-sensitive; the condition operators StringEquals,
 * StringNotEquals, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotLike and Bool, every condition of a statement
 * required, any value of one condition enough, and a key missing from the request failing a positive operator and
 * passing a negated one. What it does not model, and refuses rather than guesses: other operators, the
 * `...IfExists` and `ForAnyValue:`/`ForAllValues:` forms, policy variables, and values that are still Terraform
 * references (substitute them first). Permissions boundaries, SCPs, resource policies and session policies are not
 * part of a role's identity policies and are out of scope.
 */

/** A statement as `aws_iam_policy_document` takes it (the synthesized block's shape). */
export interface PolicyStatement {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: readonly string[];
  readonly not_actions?: readonly string[];
  readonly resources?: readonly string[];
  readonly not_resources?: readonly string[];
  readonly condition?: readonly {
    readonly test: string;
    readonly variable: string;
    readonly values: readonly string[];
  }[];
}

/** One API request: an action on a resource, with the request context's condition keys. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** The outcome of evaluating a request against identity statements. */
export type Decision = "allowed" | "explicitDeny" | "implicitDeny";

/** A regular expression for an IAM pattern with `*` and `?` wildcards. */
function wildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const source = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\/]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, caseInsensitive ? "i" : "");
}

/** True when `value` matches the IAM pattern. Refuses patterns that still hold a Terraform reference. */
export function matchesPattern(pattern: string, value: string, caseInsensitive: boolean): boolean {
  if (pattern.includes("${"))
    throw new Error(`cannot judge ${JSON.stringify(pattern)}: substitute its Terraform references first`);
  return wildcard(pattern, caseInsensitive).test(value);
}

const OPERATORS: Readonly<
  Record<string, { readonly negated: boolean; readonly test: (pattern: string, value: string) => boolean }>
> = {
  StringEquals: { negated: false, test: (p, v) => p === v },
  StringNotEquals: { negated: true, test: (p, v) => p === v },
  StringLike: { negated: false, test: (p, v) => matchesPattern(p, v, false) },
  StringNotLike: { negated: true, test: (p, v) => matchesPattern(p, v, false) },
  ArnEquals: { negated: false, test: (p, v) => matchesPattern(p, v, false) },
  ArnLike: { negated: false, test: (p, v) => matchesPattern(p, v, false) },
  ArnNotLike: { negated: true, test: (p, v) => matchesPattern(p, v, false) },
  Bool: { negated: false, test: (p, v) => p.toLowerCase() === v.toLowerCase() },
};

function conditionHolds(
  condition: NonNullable<PolicyStatement["condition"]>[number],
  request: IamRequest,
): boolean {
  const operator = OPERATORS[condition.test];
  if (!operator) throw new Error(`condition operator ${condition.test} is not modelled`);
  const given = request.context?.[condition.variable];
  if (given === undefined) return operator.negated;
  const values = typeof given === "string" ? [given] : given;
  const matched = values.some((value) => condition.values.some((pattern) => operator.test(pattern, value)));
  return operator.negated ? !matched : matched;
}

/** True when the statement applies to the request (its effect aside). */
export function statementMatches(statement: PolicyStatement, request: IamRequest): boolean {
  const anyOf = (patterns: readonly string[] | undefined, value: string, caseInsensitive: boolean) =>
    (patterns ?? []).some((p) => matchesPattern(p, value, caseInsensitive));
  const action = statement.not_actions
    ? !anyOf(statement.not_actions, request.action, true)
    : anyOf(statement.actions, request.action, true);
  const resource = statement.not_resources
    ? !anyOf(statement.not_resources, request.resource, false)
    : anyOf(statement.resources, request.resource, false);
  return action && resource && (statement.condition ?? []).every((c) => conditionHolds(c, request));
}

/** Evaluates a request against identity statements: explicit Deny, then Allow, else implicit deny. */
export function evaluate(statements: readonly PolicyStatement[], request: IamRequest): Decision {
  const applying = statements.filter((s) => statementMatches(s, request));
  if (applying.some((s) => s.effect === "Deny")) return "explicitDeny";
  if (applying.some((s) => (s.effect ?? "Allow") === "Allow")) return "allowed";
  return "implicitDeny";
}

/** The requests of `requests` the statements allow. */
export function allowedRequests(
  statements: readonly PolicyStatement[],
  requests: readonly IamRequest[],
): IamRequest[] {
  return requests.filter((r) => evaluate(statements, r) === "allowed");
}

/**
 * The statements with each Terraform reference in `values` (e.g. `${aws_cloudwatch_log_group.X.arn}`) replaced by
 * the value an apply would give it, as ARNs and names are known only then.
 */
export function substituted(
  statements: readonly PolicyStatement[],
  values: Readonly<Record<string, string>>,
): PolicyStatement[] {
  const replace = (text: string) =>
    Object.entries(values).reduce((out, [reference, value]) => out.split(reference).join(value), text);
  const list = (items: readonly string[] | undefined) => items?.map(replace);
  return statements.map((s) => ({
    ...s,
    actions: list(s.actions),
    not_actions: list(s.not_actions),
    resources: list(s.resources),
    not_resources: list(s.not_resources),
    condition: s.condition?.map((c) => ({ ...c, values: c.values.map(replace) })),
  }));
}
