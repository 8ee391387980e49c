import {
  CLOUDWATCH_NAMESPACE,
  checkName,
  LOG_GROUP_NAME,
  LOG_STREAM_NAME,
  type NameRule,
} from "../../contract/cloudwatch-names";
import { Problems } from "../../contract/problems";

/** The problems `checkName` records for one value. */
function problemsOf(rule: NameRule, value: unknown, from?: string): readonly string[] {
  const problems = new Problems();
  checkName(problems, rule, "name", value, from);
  return problems.all;
}

const NAMESPACE =
  'is not a CloudWatch namespace; allowed: 1-255 characters of 0-9 A-Z a-z . - _ / # : and space, at least one not a space, not starting with ":" or "AWS/"';
const LOG_GROUP = "is not a log group name; allowed: 1-512 characters of A-Z a-z 0-9 . - _ / #";
const LOG_STREAM = "is not a log stream name; allowed: 1-512 characters, none of them : or *";

describe("CloudWatch's naming rules", () => {
  it.each([
    ["namespace", "the reserved AWS/ prefix", CLOUDWATCH_NAMESPACE, "AWS/ECS", NAMESPACE],
    ["namespace", "a leading colon (the API's pattern [^:].*)", CLOUDWATCH_NAMESPACE, ":orders", NAMESPACE],
    ["namespace", "a character outside the set", CLOUDWATCH_NAMESPACE, "koa$app", NAMESPACE],
    ["namespace", "only spaces", CLOUDWATCH_NAMESPACE, "   ", NAMESPACE],
    ["namespace", "an empty string", CLOUDWATCH_NAMESPACE, "", NAMESPACE],
    ["namespace", "256 characters", CLOUDWATCH_NAMESPACE, "n".repeat(256), NAMESPACE],
    ["log group", "a space", LOG_GROUP_NAME, "/ecs/koa app", LOG_GROUP],
    ["log group", "a colon", LOG_GROUP_NAME, "/ecs/koa:app", LOG_GROUP],
    ["log group", "an empty string", LOG_GROUP_NAME, "", LOG_GROUP],
    ["log group", "513 characters", LOG_GROUP_NAME, "g".repeat(513), LOG_GROUP],
    ["log stream", "a colon", LOG_STREAM_NAME, "task:1", LOG_STREAM],
    ["log stream", "an asterisk", LOG_STREAM_NAME, "task*", LOG_STREAM],
    ["log stream", "an empty string", LOG_STREAM_NAME, "", LOG_STREAM],
    ["log stream", "513 characters", LOG_STREAM_NAME, "s".repeat(513), LOG_STREAM],
  ])(
    "GIVEN a %s with %s WHEN checked THEN it is refused with what CloudWatch allows",
    (_kind, _case, rule, value, complaint) => {
      expect(problemsOf(rule, value)).toEqual([`name ${JSON.stringify(value)} ${complaint}`]);
    },
  );

  it.each([
    ["namespace", "every allowed character", CLOUDWATCH_NAMESPACE, "Koa.app-1_x/prod#a:b c"],
    ["namespace", "255 characters", CLOUDWATCH_NAMESPACE, "n".repeat(255)],
    ["namespace", "AWS without the slash", CLOUDWATCH_NAMESPACE, "AWSome/orders"],
    ["namespace", "a colon after the first character", CLOUDWATCH_NAMESPACE, "team:orders"],
    ["namespace", "aws-embedded-metrics' default", CLOUDWATCH_NAMESPACE, "aws-embedded-metrics"],
    ["log group", "every allowed character", LOG_GROUP_NAME, "/ecs/Koa.app-1_x#emf"],
    ["log group", "512 characters", LOG_GROUP_NAME, "g".repeat(512)],
    ["log stream", "slashes and spaces", LOG_STREAM_NAME, "ecs/app 1"],
    ["log stream", "512 characters", LOG_STREAM_NAME, "s".repeat(512)],
  ])("GIVEN a %s with %s WHEN checked THEN it is accepted", (_kind, _case, rule, value) => {
    expect(problemsOf(rule, value)).toEqual([]);
  });

  it("GIVEN a number (an untyped configuration) WHEN checked THEN it is refused", () => {
    expect(problemsOf(CLOUDWATCH_NAMESPACE, 42)).toEqual([`name 42 ${NAMESPACE}`]);
  });

  it("GIVEN where the value came from WHEN refused THEN the message shows it after the value", () => {
    expect(problemsOf(LOG_STREAM_NAME, "a*", " (from AWS_EMF_LOG_STREAM_NAME)")).toEqual([
      `name "a*" (from AWS_EMF_LOG_STREAM_NAME) ${LOG_STREAM}`,
    ]);
  });
});
