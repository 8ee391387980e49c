import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { type TerraformLocal, TerraformOutput, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import {
  checkServiceSecrets,
  type ResolvedSecret,
  resolveSecrets,
  type ServiceSecret,
} from "../../modules/service-secrets";
import { Checker } from "../../modules/validation";
import { newStack, synthStack } from "./support";

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/db-AbCdEf";
const SSM_ARN = "arn:aws:ssm:eu-central-1:123456789012:parameter/shared/orders/db-url";

/** The problems checkServiceSecrets records for the app container's secrets. */
function problemsOf(secrets: readonly ServiceSecret[]): readonly string[] {
  const c = new Checker().at("container").at("secrets");
  checkServiceSecrets(c, secrets);
  return c.problems.all;
}

/** Resolves `secrets` in a stack whose log group ARN gives the partition, region and account. */
function resolve(secrets: readonly ServiceSecret[]) {
  return synthStack((stack) => {
    const scope = new Construct(stack, "Service");
    const logGroup = new CloudwatchLogGroup(scope, "EmfLogs", { name: "/ecs/orders/emf" });
    const resolved = resolveSecrets(scope, { secrets, sameAccountArn: logGroup.arn });
    new TerraformOutput(stack, "resolved", { value: resolved });
    return scope;
  });
}

describe("resolveSecrets", () => {
  const synth = resolve([
    { name: "DB_URL", valueFrom: "/orders/db-url", store: "ssm" },
    { name: "FLAT", valueFrom: "flat-name", store: "ssm" },
    { name: "SHARED", valueFrom: SSM_ARN, store: "ssm" },
    { name: "API_KEY", valueFrom: "orders/api", store: "secretsmanager" },
    { name: "DB_PASSWORD", valueFrom: "orders/database", store: "secretsmanager", jsonKey: "password" },
    { name: "DB_USER", valueFrom: SECRET_ARN, store: "secretsmanager", jsonKey: "username" },
    { name: "DB_ALL", valueFrom: SECRET_ARN, store: "secretsmanager" },
  ]);
  const resolved = synth.json.output?.resolved?.value as ResolvedSecret[];
  const byName = (name: string) => resolved.find((s) => s.name === name);
  const local = synth.built.node.findChild("SecretArnParts") as TerraformLocal;
  const part = (index: number) => `\${element(local.${synth.stack.getLogicalId(local)}, ${index})}`;
  const inAccount = (service: string) => `arn:${part(1)}:${service}:${part(3)}:${part(4)}`;

  it("GIVEN names WHEN resolved THEN the partition, region and account are the parts of the log group's ARN, split in one local", () => {
    const synthesized = synth.json as { locals?: Record<string, unknown> };

    expect(synthesized.locals).toEqual({
      [synth.stack.getLogicalId(local)]: `\${split(":", aws_cloudwatch_log_group.${synth.stack.getLogicalId(
        synth.built.node.findChild("EmfLogs") as CloudwatchLogGroup,
      )}.arn)}`,
    });
  });

  it("GIVEN an SSM parameter name with its leading slash WHEN resolved THEN ECS and IAM get the same full ARN, with one slash after parameter", () => {
    expect(byName("DB_URL")).toEqual({
      name: "DB_URL",
      valueFrom: `${inAccount("ssm")}:parameter/orders/db-url`,
      resourceArn: `${inAccount("ssm")}:parameter/orders/db-url`,
      store: "ssm",
    });
  });

  it("GIVEN an SSM parameter name without a path WHEN resolved THEN its ARN ends in parameter/<name>", () => {
    expect(byName("FLAT")?.valueFrom).toBe(`${inAccount("ssm")}:parameter/flat-name`);
  });

  it("GIVEN an SSM parameter ARN (another region) WHEN resolved THEN it is used as given for both", () => {
    expect(byName("SHARED")).toEqual({
      name: "SHARED",
      valueFrom: SSM_ARN,
      resourceArn: SSM_ARN,
      store: "ssm",
    });
  });

  it("GIVEN a Secrets Manager name WHEN resolved THEN ECS gets the partial ARN and IAM the partial ARN with the 6-character suffix wildcard", () => {
    expect(byName("API_KEY")).toEqual({
      name: "API_KEY",
      valueFrom: `${inAccount("secretsmanager")}:secret:orders/api`,
      resourceArn: `${inAccount("secretsmanager")}:secret:orders/api-??????`,
      store: "secretsmanager",
    });
  });

  it("GIVEN a Secrets Manager name and a JSON key WHEN resolved THEN only valueFrom selects the key", () => {
    expect(byName("DB_PASSWORD")).toEqual({
      name: "DB_PASSWORD",
      valueFrom: `${inAccount("secretsmanager")}:secret:orders/database:password::`,
      resourceArn: `${inAccount("secretsmanager")}:secret:orders/database-??????`,
      store: "secretsmanager",
    });
  });

  it("GIVEN a complete Secrets Manager ARN with and without a JSON key WHEN resolved THEN IAM gets the ARN itself", () => {
    expect([byName("DB_USER"), byName("DB_ALL")]).toEqual([
      {
        name: "DB_USER",
        valueFrom: `${SECRET_ARN}:username::`,
        resourceArn: SECRET_ARN,
        store: "secretsmanager",
      },
      { name: "DB_ALL", valueFrom: SECRET_ARN, resourceArn: SECRET_ARN, store: "secretsmanager" },
    ]);
  });

  it("GIVEN only ARNs and tokens WHEN resolved THEN no local is created and a token is taken as an ARN", () => {
    const tokens = synthStack((stack) => {
      const arn = new TerraformVariable(stack, "parameter_arn", { type: "string" });
      const resolved = resolveSecrets(stack, {
        secrets: [
          { name: "A", valueFrom: arn.stringValue, store: "ssm" },
          { name: "B", valueFrom: SECRET_ARN, store: "secretsmanager" },
        ],
        sameAccountArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/x",
      });
      new TerraformOutput(stack, "resolved", { value: resolved });
    });
    const synthesized = tokens.json as { locals?: unknown; output?: { resolved?: { value: unknown } } };

    expect(synthesized.locals).toBeUndefined();
    expect(synthesized.output?.resolved?.value).toEqual([
      { name: "A", valueFrom: "${var.parameter_arn}", resourceArn: "${var.parameter_arn}", store: "ssm" },
      { name: "B", valueFrom: SECRET_ARN, resourceArn: SECRET_ARN, store: "secretsmanager" },
    ]);
  });
});

describe("checkServiceSecrets", () => {
  const ssmForms =
    'allowed: a name like "/orders/db-url" or "db-url" (at most 1011 characters of A-Z a-z 0-9 _ . -, "/" before each path level), or arn:<partition>:ssm:<region>:<account>:parameter/<name>';
  const secretForms =
    "allowed: a name of 1-512 characters of A-Z a-z 0-9 / _ + = . @ -, or arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (a JSON key goes in jsonKey)";

  it.each<[string, ServiceSecret]>([
    ["an SSM name with a path", { name: "A", valueFrom: "/orders/prod/db-url", store: "ssm" }],
    ["an SSM name without a path", { name: "A", valueFrom: "db_url.v2", store: "ssm" }],
    [
      "an SSM ARN in another partition",
      { name: "A", valueFrom: "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x", store: "ssm" },
    ],
    ["a Secrets Manager name", { name: "A", valueFrom: "orders/db+main@eu=1", store: "secretsmanager" }],
    [
      "a complete Secrets Manager ARN with a key",
      { name: "A", valueFrom: SECRET_ARN, store: "secretsmanager", jsonKey: "user name" },
    ],
  ])("GIVEN %s WHEN checked THEN it is accepted", (_case, secret) => {
    expect(problemsOf([secret])).toEqual([]);
  });

  it.each([
    ["a path without its leading slash", "orders/db-url"],
    ["an empty path level", "/orders//db"],
    ["a space", "/orders/db url"],
    ["nothing", ""],
    ["1012 characters", `/${"p".repeat(1011)}`],
    ["an ARN with a short account", "arn:aws:ssm:eu-west-1:1234:parameter/x"],
  ])("GIVEN an SSM valueFrom with %s WHEN checked THEN the accepted forms are listed", (_case, valueFrom) => {
    expect(problemsOf([{ name: "A", valueFrom, store: "ssm" }])).toEqual([
      `container.secrets[0].valueFrom ${JSON.stringify(valueFrom)} is not an SSM parameter name or ARN; ${ssmForms}`,
    ]);
  });

  it.each([
    "orders db",
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/db",
    `${SECRET_ARN}:password::`,
    "arn:aws:ssm:eu-west-1:123456789012:parameter/x",
  ])(
    "GIVEN the Secrets Manager valueFrom %p WHEN checked THEN the accepted forms are listed",
    (valueFrom) => {
      expect(problemsOf([{ name: "A", valueFrom, store: "secretsmanager" }])).toEqual([
        `container.secrets[0].valueFrom ${JSON.stringify(valueFrom)} is not a Secrets Manager secret name or complete ARN; ${secretForms}`,
      ]);
    },
  );

  it("GIVEN a Secrets Manager name ending in a hyphen and six characters WHEN checked THEN its complete ARN is asked for", () => {
    expect(problemsOf([{ name: "A", valueFrom: "app-config", store: "secretsmanager" }])).toEqual([
      'container.secrets[0].valueFrom "app-config" ends in a hyphen and six characters, which Secrets Manager may take for its ARN suffix and not find the secret by name; allowed: the secret\'s complete ARN',
    ]);
  });

  it("GIVEN an unknown store WHEN checked THEN the stores are listed", () => {
    const secret = { name: "A", valueFrom: "/x", store: "vault" } as unknown as ServiceSecret;

    expect(problemsOf([secret])).toEqual([
      'container.secrets[0].store "vault" is not a secret store; allowed: "ssm", "secretsmanager"',
    ]);
  });

  it("GIVEN a JSON key on an SSM parameter WHEN checked THEN it is refused", () => {
    expect(problemsOf([{ name: "A", valueFrom: "/x", store: "ssm", jsonKey: "k" }])).toEqual([
      'container.secrets[0].jsonKey "k" is set for an SSM parameter; allowed: jsonKey with store "secretsmanager" only',
    ]);
  });

  it.each(["", "a:b"])("GIVEN the JSON key %p WHEN checked THEN it is refused", (jsonKey) => {
    expect(problemsOf([{ name: "A", valueFrom: "orders/db", store: "secretsmanager", jsonKey }])).toEqual([
      `container.secrets[0].jsonKey ${JSON.stringify(jsonKey)} is not a key ECS can select; allowed: a non-empty key without ":"`,
    ]);
  });

  it.each(["db-url", "1ST", "A B"])("GIVEN the variable name %p WHEN checked THEN it is refused", (name) => {
    expect(problemsOf([{ name, valueFrom: "/x", store: "ssm" }])).toEqual([
      `container.secrets[0].name ${JSON.stringify(name)} is not an environment variable name; allowed: letters, digits and underscores, not starting with a digit`,
    ]);
  });

  it("GIVEN one variable twice WHEN checked THEN the second is refused naming the first", () => {
    expect(
      problemsOf([
        { name: "A", valueFrom: "/x", store: "ssm" },
        { name: "B", valueFrom: "/y", store: "ssm" },
        { name: "A", valueFrom: "orders/db", store: "secretsmanager" },
      ]),
    ).toEqual([
      'container.secrets[2].name "A" is also container.secrets[0].name; allowed: each variable once',
    ]);
  });

  it("GIVEN a secret with none of its required props and a misspelt key WHEN checked THEN each is named", () => {
    const secret = { jsonkey: "password" } as unknown as ServiceSecret;

    expect(problemsOf([secret])).toEqual([
      'container.secrets[0].jsonkey "password" is not a prop of ServiceSecret (did you mean jsonKey?); allowed: name, valueFrom, store, jsonKey',
      "container.secrets[0].store undefined is required; allowed: ssm, secretsmanager",
      "container.secrets[0].valueFrom undefined is required; allowed: an SSM parameter name or ARN, or a Secrets Manager secret name or ARN",
      "container.secrets[0].name undefined is required; allowed: an environment variable name",
    ]);
  });

  it("GIVEN secrets that are no list WHEN checked THEN the list form is named", () => {
    expect(problemsOf({ A: "/x" } as unknown as ServiceSecret[])).toEqual([
      'container.secrets {"A":"/x"} is not a list; allowed: a list of { name, valueFrom, store, jsonKey? }',
    ]);
  });

  it("GIVEN tokens for the name, the valueFrom and the key WHEN checked THEN they are not judged", () => {
    const stack = newStack();
    const token = (id: string) => new TerraformVariable(stack, id, { type: "string" }).stringValue;

    expect(
      problemsOf([
        { name: token("name"), valueFrom: token("arn"), store: "secretsmanager", jsonKey: token("key") },
      ]),
    ).toEqual([]);
  });
});
