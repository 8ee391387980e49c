import { allowedRequests, evaluate, matchesPattern, type PolicyStatement, substituted } from "./iam-policy";

const BUCKET = "arn:aws:s3:::uploads";

describe("the IAM statement evaluator", () => {
  it.each<[string, string, string, boolean]>([
    ["a service-wide action wildcard", "s3:*", "s3:GetObject", true],
    ["a prefix wildcard", "s3:Get*", "s3:GetObjectAcl", true],
    ["a prefix wildcard against another verb", "s3:Get*", "s3:PutObject", false],
    ["any case of the action", "S3:getobject", "s3:GetObject", true],
    ["another service", "s3:*", "s3control:GetJobTagging", false],
    ["one-character wildcard", "ssmmessages:Open?ataChannel", "ssmmessages:OpenDataChannel", true],
    ["one-character wildcard over two characters", "logs:Put?Events", "logs:PutLogEvents", false],
  ])("GIVEN %s WHEN an action is matched THEN the answer follows IAM", (_case, pattern, action, expected) => {
    expect(matchesPattern(pattern, action, true)).toBe(expected);
  });

  it.each<[string, string, string, boolean]>([
    [
      "a wildcard over path and colons",
      "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/a:*",
      "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/a:log-stream:x/y",
      true,
    ],
    [
      "the group's :* form against the bare group ARN",
      "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/a:*",
      "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/a",
      false,
    ],
    [
      "a neighbouring group with the same prefix",
      "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/a:*",
      "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/ab:log-stream:x",
      false,
    ],
    ["a resource in another case", `${BUCKET}/*`, "arn:aws:s3:::UPLOADS/key", false],
    ["everything", "*", "arn:aws:kms:eu-west-1:123456789012:key/k", true],
  ])(
    "GIVEN %s WHEN a resource is matched THEN it is case-sensitive and * spans : and /",
    (_case, pattern, resource, expected) => {
      expect(matchesPattern(pattern, resource, false)).toBe(expected);
    },
  );

  it("GIVEN an Allow and a matching Deny WHEN evaluated THEN the Deny wins; without a match the request is implicitly denied", () => {
    const statements: PolicyStatement[] = [
      { actions: ["s3:*"], resources: [`${BUCKET}/*`] },
      { effect: "Deny", actions: ["s3:DeleteObject"], resources: [`${BUCKET}/*`] },
    ];
    expect(evaluate(statements, { action: "s3:GetObject", resource: `${BUCKET}/a` })).toBe("allowed");
    expect(evaluate(statements, { action: "s3:DeleteObject", resource: `${BUCKET}/a` })).toBe("explicitDeny");
    expect(evaluate(statements, { action: "s3:GetObject", resource: "arn:aws:s3:::other/a" })).toBe(
      "implicitDeny",
    );
    expect(evaluate([], { action: "s3:GetObject", resource: `${BUCKET}/a` })).toBe("implicitDeny");
  });

  it("GIVEN NotAction and NotResource WHEN evaluated THEN they match everything but what they list", () => {
    const statements: PolicyStatement[] = [
      { not_actions: ["iam:*"], resources: ["*"] },
      { effect: "Deny", actions: ["s3:*"], not_resources: [`${BUCKET}/*`] },
    ];
    expect(evaluate(statements, { action: "iam:PassRole", resource: "*" })).toBe("implicitDeny");
    expect(evaluate(statements, { action: "s3:GetObject", resource: `${BUCKET}/a` })).toBe("allowed");
    expect(evaluate(statements, { action: "s3:GetObject", resource: "arn:aws:s3:::other/a" })).toBe(
      "explicitDeny",
    );
  });

  it("GIVEN conditions WHEN evaluated THEN all must hold, any value of one suffices, and a missing key fails a positive operator only", () => {
    const statement: PolicyStatement = {
      actions: ["sts:AssumeRole"],
      resources: ["*"],
      condition: [
        { test: "StringEquals", variable: "aws:SourceAccount", values: ["123456789012", "210987654321"] },
        { test: "ArnLike", variable: "aws:SourceArn", values: ["arn:aws:ecs:eu-west-1:123456789012:*"] },
      ],
    };
    const request = (context: Record<string, string>) => ({
      action: "sts:AssumeRole",
      resource: "*",
      context,
    });
    const task = "arn:aws:ecs:eu-west-1:123456789012:task/c/1";
    expect(
      evaluate([statement], request({ "aws:SourceAccount": "210987654321", "aws:SourceArn": task })),
    ).toBe("allowed");
    expect(
      evaluate([statement], request({ "aws:SourceAccount": "999999999999", "aws:SourceArn": task })),
    ).toBe("implicitDeny");
    expect(evaluate([statement], request({ "aws:SourceAccount": "123456789012" }))).toBe("implicitDeny");
    const notEquals: PolicyStatement = {
      actions: ["s3:GetObject"],
      resources: ["*"],
      condition: [{ test: "StringNotEquals", variable: "aws:PrincipalTag/team", values: ["ops"] }],
    };
    expect(evaluate([notEquals], { action: "s3:GetObject", resource: "*" })).toBe("allowed");
  });

  it("GIVEN an operator it does not model or an unsubstituted reference WHEN evaluated THEN it refuses instead of guessing", () => {
    const ifExists: PolicyStatement = {
      actions: ["s3:GetObject"],
      resources: ["*"],
      condition: [{ test: "StringEqualsIfExists", variable: "aws:RequestTag/a", values: ["b"] }],
    };
    expect(() => evaluate([ifExists], { action: "s3:GetObject", resource: "x" })).toThrow(
      "condition operator StringEqualsIfExists is not modelled",
    );
    const unresolved: PolicyStatement = {
      actions: ["logs:PutLogEvents"],
      resources: ["${aws_cloudwatch_log_group.A.arn}:*"],
    };
    expect(() => evaluate([unresolved], { action: "logs:PutLogEvents", resource: "x" })).toThrow(
      'cannot judge "${aws_cloudwatch_log_group.A.arn}:*": substitute its Terraform references first',
    );
    const resolved = substituted([unresolved], {
      "${aws_cloudwatch_log_group.A.arn}": "arn:aws:logs:eu-west-1:123456789012:log-group:/a",
    });
    expect(
      allowedRequests(resolved, [
        {
          action: "logs:PutLogEvents",
          resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/a:log-stream:s",
        },
        {
          action: "logs:PutLogEvents",
          resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/b:log-stream:s",
        },
      ]).map((r) => r.resource),
    ).toEqual(["arn:aws:logs:eu-west-1:123456789012:log-group:/a:log-stream:s"]);
  });
});
