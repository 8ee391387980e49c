/**
 * CloudWatch's naming rules for what the EMF documents name: the namespace, the log group and the log stream.
 * The construct checks them at synth and the latency middleware at start-up with the same rule, so a value one
 * side accepts the other does too (the task definition passes the construct's values to the middleware as
 * `AWS_EMF_*` variables).
 */
import { type Problems, show } from "./problems";

/** A naming rule: what the name is, what is allowed (for messages) and the test itself. */
export interface NameRule {
  /** What a name following the rule is, after "is not": `a CloudWatch namespace`. */
  readonly what: string;
  /** What is allowed, as a message says it after "allowed:". */
  readonly allowed: string;
  /** True when `value` is a string following the rule. */
  readonly test: (value: unknown) => boolean;
}

/**
 * A CloudWatch metric namespace: 1-255 characters of 0-9 A-Z a-z . - _ / # : and space, at least one not a
 * space, not starting with ":" (the API's pattern `[^:].*`), and not starting with `AWS/` (reserved for AWS
 * services). aws-embedded-metrics allows 256 characters and the leading `:` and `AWS/`, which CloudWatch
 * refuses, so this rule is the stricter of the two.
 * Sources: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Namespace,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Metric.html
 */
export const CLOUDWATCH_NAMESPACE: NameRule = {
  what: "a CloudWatch namespace",
  allowed:
    '1-255 characters of 0-9 A-Z a-z . - _ / # : and space, at least one not a space, not starting with ":" or "AWS/"',
  test: (value) =>
    typeof value === "string" &&
    /^[0-9A-Za-z.\-_/#: ]{1,255}$/.test(value) &&
    value.trim() !== "" &&
    !value.startsWith(":") &&
    !value.startsWith("AWS/"),
};

/**
 * A CloudWatch Logs log group name: 1-512 characters of A-Z a-z 0-9 . - _ / #.
 * Source: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
 */
export const LOG_GROUP_NAME: NameRule = {
  what: "a log group name",
  allowed: "1-512 characters of A-Z a-z 0-9 . - _ / #",
  test: (value) => typeof value === "string" && /^[.\-_/#A-Za-z0-9]{1,512}$/.test(value),
};

/**
 * A CloudWatch Logs log stream name: 1-512 characters, none of them `:` or `*`.
 * Source: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogStream.html
 */
export const LOG_STREAM_NAME: NameRule = {
  what: "a log stream name",
  allowed: "1-512 characters, none of them : or *",
  test: (value) => typeof value === "string" && /^[^:*]{1,512}$/.test(value),
};

/**
 * Records `<subject> <value><from> is not <what>; allowed: <allowed>` when `value` breaks `rule`.
 *
 * @param subject - the prop or option: `metrics.namespace`, `namespace`
 * @param from - where the value came from, shown after it: ` (from AWS_EMF_NAMESPACE)`. @default ""
 */
export function checkName(
  problems: Problems,
  rule: NameRule,
  subject: string,
  value: unknown,
  from = "",
): void {
  problems.check(
    !rule.test(value),
    `${subject} ${show(value)}${from} is not ${rule.what}; allowed: ${rule.allowed}`,
  );
}
