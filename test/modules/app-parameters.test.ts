import type { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { TerraformOutput, TerraformVariable } from "cdktf";
import { AppParameters, type AppParametersProps, type ParameterKind } from "../../modules/app-parameters";
import type { ServiceSecret } from "../../modules/service-secrets";
import { KOAAPP_SECRETS } from "../../stacks/koaapp-container";
import { newStack, problemLine, ref, resourcesById, resourcesOf, SECRET_NAMES, synthStack } from "./support";

/** The sample's six variables, as its stack declares them: the password and the app secret are secure. */
const REQUIRED: Readonly<Record<string, ParameterKind>> = KOAAPP_SECRETS;

const plainValues = {
  RDS_USERNAME: "app",
  RDS_DB_NAME: "appdb",
  RDS_HOSTNAME: "db.internal",
  RDS_PORT: "5432",
};

/** Builds the construct and exposes its secrets as an output, so their references are synthesized. */
function synthParameters(props: AppParametersProps) {
  return synthStack((stack) => {
    const password = new TerraformVariable(stack, "db_password", { type: "string", sensitive: true });
    const appSecret = new TerraformVariable(stack, "app_secret", { type: "string", sensitive: true });
    const parameters = new AppParameters(stack, "Params", {
      required: REQUIRED,
      ...props,
      writeOnlyValues: props.writeOnlyValues ?? {
        ...(props.existing?.RDS_PASSWORD ? {} : { RDS_PASSWORD: password.stringValue }),
        ...(props.existing?.APP_SECRET ? {} : { APP_SECRET: appSecret.stringValue }),
      },
    });
    new TerraformOutput(stack, "secrets", { value: parameters.secrets });
    new TerraformOutput(stack, "names", { value: parameters.createdParameterNames });
    return parameters;
  });
}

function build(props: AppParametersProps): AppParameters {
  return new AppParameters(newStack(), "Params", { required: REQUIRED, ...props });
}

const allCreated: AppParametersProps = {
  values: plainValues,
  writeOnlyValues: { RDS_PASSWORD: "ignored-by-test", APP_SECRET: "ignored-by-test" },
};

describe("AppParameters creating all six required parameters with defaults", () => {
  const synth = synthParameters({ values: plainValues });
  const parameters = resourcesById(synth.json, "aws_ssm_parameter");
  const byName = (name: string) => resourcesOf(synth.json, "aws_ssm_parameter").find((p) => p.name === name);

  it("GIVEN no prefix WHEN synthesized THEN six parameters are named /<construct path>/<VARIABLE>", () => {
    expect(
      Object.values(parameters)
        .map((p) => p.name)
        .sort(),
    ).toEqual(SECRET_NAMES.map((name) => `/test/Params/${name}`).sort());
  });

  it.each(Object.entries(plainValues))(
    "GIVEN values.%s WHEN synthesized THEN it is a String parameter with that value",
    (name, value) => {
      expect(byName(`/test/Params/${name}`)).toEqual({ name: `/test/Params/${name}`, type: "String", value });
    },
  );

  it.each([
    ["RDS_PASSWORD", "${var.db_password}"],
    ["APP_SECRET", "${var.app_secret}"],
  ])(
    "GIVEN writeOnlyValues.%s WHEN synthesized THEN it is a SecureString written through value_wo, version 1, with no value",
    (name, reference) => {
      const parameter = byName(`/test/Params/${name}`);

      expect(parameter).toEqual({
        name: `/test/Params/${name}`,
        type: "SecureString",
        value_wo: reference,
        value_wo_version: 1,
      });
      expect(Object.keys(parameter ?? {})).not.toContain("value");
    },
  );

  it("GIVEN created parameters WHEN synthesized THEN secrets list each variable, in order, with its parameter's ARN and store ssm", () => {
    const expected = SECRET_NAMES.map((name) => ({
      name,
      valueFrom: ref(synth.stack, synth.built.node.findChild(name) as SsmParameter, "arn"),
      store: "ssm",
    }));

    expect(synth.json.output?.secrets?.value).toEqual(expected);
  });

  it("GIVEN created parameters WHEN synthesized THEN createdParameterNames maps each variable to its parameter's name", () => {
    const expected = Object.fromEntries(
      SECRET_NAMES.map((name) => [
        name,
        ref(synth.stack, synth.built.node.findChild(name) as SsmParameter, "name"),
      ]),
    );

    expect(synth.json.output?.names?.value).toEqual(expected);
  });

  it("GIVEN only created parameters WHEN synthesized THEN no data source is read", () => {
    expect(synth.json.data).toBeUndefined();
  });
});

describe("AppParameters with prefix, version, KMS key and tags", () => {
  const synth = synthStack(
    (stack) =>
      new AppParameters(stack, "Params", {
        ...allCreated,
        required: REQUIRED,
        prefix: "/koaapp/prod",
        writeOnlyVersion: 3,
        kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        tags: { Team: "platform" },
      }),
  );
  const byName = (name: string) => resourcesOf(synth.json, "aws_ssm_parameter").find((p) => p.name === name);

  it("GIVEN a prefix WHEN synthesized THEN every parameter is under it and tagged", () => {
    for (const name of SECRET_NAMES) {
      expect(byName(`/koaapp/prod/${name}`)).toMatchObject({ tags: { Team: "platform" } });
    }
  });

  it("GIVEN writeOnlyVersion 3 and a KMS key WHEN synthesized THEN the SecureStrings carry both; Strings carry neither", () => {
    expect(byName("/koaapp/prod/APP_SECRET")).toMatchObject({
      type: "SecureString",
      key_id: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      value_wo_version: 3,
    });
    expect(byName("/koaapp/prod/RDS_HOSTNAME")).toEqual({
      name: "/koaapp/prod/RDS_HOSTNAME",
      type: "String",
      value: "db.internal",
      tags: { Team: "platform" },
    });
  });
});

describe("AppParameters referencing existing secrets", () => {
  const ssmArn = "arn:aws:ssm:eu-central-1:123456789012:parameter/shared/RDS_USERNAME";
  const secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-secret-AbCdEf";
  const synth = synthParameters({
    values: { RDS_DB_NAME: "appdb", RDS_PORT: "5432" },
    existing: {
      RDS_USERNAME: ssmArn,
      RDS_HOSTNAME: "/shared/db/host",
      RDS_PASSWORD: "shared-db-password",
      APP_SECRET: secretArn,
    },
  });
  const secrets = synth.json.output?.secrets?.value as ServiceSecret[];
  const secret = (name: string) => secrets.find((s) => s.name === name);

  it("GIVEN existing references WHEN synthesized THEN parameters are created only for the others", () => {
    expect(
      resourcesOf(synth.json, "aws_ssm_parameter")
        .map((p) => p.name)
        .sort(),
    ).toEqual(["/test/Params/RDS_DB_NAME", "/test/Params/RDS_PORT"]);
    expect(synth.json.output?.names?.value).toEqual({
      RDS_DB_NAME: expect.stringMatching(/^\$\{aws_ssm_parameter\./),
      RDS_PORT: expect.stringMatching(/^\$\{aws_ssm_parameter\./),
    });
  });

  it("GIVEN an existing SSM parameter ARN WHEN synthesized THEN the ARN is used as-is with store ssm", () => {
    expect(secret("RDS_USERNAME")).toEqual({ name: "RDS_USERNAME", valueFrom: ssmArn, store: "ssm" });
  });

  it("GIVEN an existing Secrets Manager ARN WHEN synthesized THEN the ARN is used as-is with store secretsmanager", () => {
    expect(secret("APP_SECRET")).toEqual({
      name: "APP_SECRET",
      valueFrom: secretArn,
      store: "secretsmanager",
    });
  });

  it("GIVEN existing parameter names WHEN synthesized THEN they are passed on as names, for the service to turn into ARNs", () => {
    expect(secret("RDS_HOSTNAME")).toEqual({
      name: "RDS_HOSTNAME",
      valueFrom: "/shared/db/host",
      store: "ssm",
    });
    expect(secret("RDS_PASSWORD")).toEqual({
      name: "RDS_PASSWORD",
      valueFrom: "shared-db-password",
      store: "ssm",
    });
  });

  it("GIVEN existing names WHEN synthesized THEN nothing is looked up: no data source at all", () => {
    expect(synth.json.data).toBeUndefined();
  });

  it("GIVEN existing references WHEN synthesized THEN secrets still list all six variables in the required order", () => {
    expect(secrets.map((s) => s.name)).toEqual([...SECRET_NAMES]);
  });
});

describe("AppParameters with a token reference", () => {
  it("GIVEN an existing reference from a variable WHEN synthesized THEN it is not judged, used as-is with store ssm, and nothing is looked up", () => {
    const synth = synthStack((stack) => {
      const arn = new TerraformVariable(stack, "hostname_arn", { type: "string" });
      const parameters = new AppParameters(stack, "Params", {
        ...allCreated,
        values: { RDS_USERNAME: "app", RDS_DB_NAME: "appdb", RDS_PORT: "5432" },
        existing: { RDS_HOSTNAME: arn.stringValue },
      });
      new TerraformOutput(stack, "secrets", { value: parameters.secrets });
    });
    const secrets = synth.json.output?.secrets?.value as ServiceSecret[];

    expect(secrets.find((s) => s.name === "RDS_HOSTNAME")).toEqual({
      name: "RDS_HOSTNAME",
      valueFrom: "${var.hostname_arn}",
      store: "ssm",
    });
    expect(synth.json.data).toBeUndefined();
  });
});

describe("AppParameters for any variables, with no required set", () => {
  const stripe = { valueFrom: "stripe/api", store: "secretsmanager", jsonKey: "secret_key" } as const;
  const synth = synthStack((stack) => {
    const token = new TerraformVariable(stack, "api_token", { type: "string", sensitive: true });
    const parameters = new AppParameters(stack, "Params", {
      prefix: "/orders/prod",
      existing: { SENTRY_DSN: "/shared/sentry-dsn", STRIPE_KEY: stripe },
      writeOnlyValues: { API_TOKEN: token.stringValue },
      values: { DATABASE_URL: "postgres://orders@db.internal/orders", LOG_LEVEL: "info" },
    });
    new TerraformOutput(stack, "secrets", { value: parameters.secrets });
    return parameters;
  });
  const secrets = synth.json.output?.secrets?.value as ServiceSecret[];
  const arnOf = (name: string) => ref(synth.stack, synth.built.node.findChild(name) as SsmParameter, "arn");

  it("GIVEN values, write-only values and existing references WHEN synthesized THEN every variable is a secret, in the order values, writeOnlyValues, existing", () => {
    expect(secrets).toEqual([
      { name: "DATABASE_URL", valueFrom: arnOf("DATABASE_URL"), store: "ssm" },
      { name: "LOG_LEVEL", valueFrom: arnOf("LOG_LEVEL"), store: "ssm" },
      { name: "API_TOKEN", valueFrom: arnOf("API_TOKEN"), store: "ssm" },
      { name: "SENTRY_DSN", valueFrom: "/shared/sentry-dsn", store: "ssm" },
      { name: "STRIPE_KEY", ...stripe },
    ]);
  });

  it("GIVEN any names WHEN synthesized THEN plain values are String and write-only values SecureString parameters under the prefix", () => {
    expect(
      resourcesOf(synth.json, "aws_ssm_parameter").map((p) => [p.name, p.type, p.value ?? p.value_wo]),
    ).toEqual([
      ["/orders/prod/API_TOKEN", "SecureString", "${var.api_token}"],
      ["/orders/prod/DATABASE_URL", "String", "postgres://orders@db.internal/orders"],
      ["/orders/prod/LOG_LEVEL", "String", "info"],
    ]);
  });

  it("GIVEN existing references by name WHEN synthesized THEN no data source is read", () => {
    expect(synth.json.data).toBeUndefined();
  });
});

describe("AppParameters validation", () => {
  it("GIVEN no source at all WHEN built THEN one error lists every required variable without a source", () => {
    expect(() => build({})).toThrow(
      new Error(
        [
          "test/Params: invalid props:",
          "- RDS_USERNAME has no source; allowed: exactly one of values, writeOnlyValues or existing",
          "- RDS_PASSWORD has no source; allowed: exactly one of writeOnlyValues or existing",
          "- RDS_DB_NAME has no source; allowed: exactly one of values, writeOnlyValues or existing",
          "- RDS_HOSTNAME has no source; allowed: exactly one of values, writeOnlyValues or existing",
          "- RDS_PORT has no source; allowed: exactly one of values, writeOnlyValues or existing",
          "- APP_SECRET has no source; allowed: exactly one of writeOnlyValues or existing",
        ].join("\n"),
      ),
    );
  });

  it("GIVEN no required set and no source WHEN synthesized THEN nothing is created and there are no secrets", () => {
    const synth = synthStack((stack) => new AppParameters(stack, "Params"));

    expect(synth.built.secrets).toEqual([]);
    expect(resourcesOf(synth.json, "aws_ssm_parameter")).toEqual([]);
  });

  it("GIVEN a plain value both created and existing WHEN built THEN both sources are named", () => {
    expect(() => build({ ...allCreated, existing: { RDS_HOSTNAME: "/shared/db/host" } })).toThrow(
      problemLine(
        "RDS_HOSTNAME is given in values and existing; allowed: exactly one of values, writeOnlyValues or existing",
      ),
    );
  });

  it("GIVEN a secure value both written and existing WHEN built THEN both sources are named", () => {
    expect(() => build({ ...allCreated, existing: { APP_SECRET: "/shared/app-secret" } })).toThrow(
      problemLine(
        "APP_SECRET is given in writeOnlyValues and existing; allowed: exactly one of writeOnlyValues or existing",
      ),
    );
  });

  it("GIVEN a variable that is not required in two sources WHEN built THEN both are named", () => {
    expect(() =>
      build({ ...allCreated, values: { ...plainValues, EXTRA: "a" }, existing: { EXTRA: "/b" } }),
    ).toThrow(
      problemLine(
        "EXTRA is given in values and existing; allowed: exactly one of values, writeOnlyValues or existing",
      ),
    );
  });

  it("GIVEN a secure variable among the plain values WHEN built THEN it is refused as plain text", () => {
    const values = { ...plainValues, RDS_PASSWORD: "hunter2" };

    expect(() => build({ values, writeOnlyValues: { APP_SECRET: "x" } })).toThrow(
      problemLine(
        "values.RDS_PASSWORD would store a secret in plain text; allowed: writeOnlyValues.RDS_PASSWORD or existing.RDS_PASSWORD",
      ),
    );
  });

  it.each([
    ["values", { values: { "db-url": "x" } }],
    ["writeOnlyValues", { writeOnlyValues: { "1TOKEN": "x" } }],
    ["existing", { existing: { "API KEY": "/x" } }],
  ])(
    "GIVEN a name in %s that no environment variable can have WHEN built THEN it is refused",
    (source, props) => {
      const name = Object.keys(Object.values(props)[0] as object)[0];

      expect(() => new AppParameters(newStack(), "Params", props)).toThrow(
        problemLine(
          `${source} key ${JSON.stringify(name)} is not an environment variable name; allowed: letters, digits and underscores, not starting with a digit`,
        ),
      );
    },
  );

  it.each([
    "arn:aws:s3:::bucket/secret",
    "not a parameter",
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
  ])("GIVEN the existing reference %p WHEN built THEN it is refused with the accepted forms", (reference) => {
    const values = { RDS_USERNAME: "app", RDS_DB_NAME: "appdb", RDS_PORT: "5432" };

    expect(() => build({ ...allCreated, values, existing: { RDS_HOSTNAME: reference } })).toThrow(
      problemLine(
        `existing.RDS_HOSTNAME ${JSON.stringify(reference)} is not a secret reference; allowed: an SSM parameter name or ARN, or a Secrets Manager secret's complete ARN (a secret by name or a JSON key: { valueFrom, store: "secretsmanager", jsonKey })`,
      ),
    );
  });

  it("GIVEN an existing reference object with a JSON key on an SSM parameter WHEN built THEN the key is refused", () => {
    const values = { RDS_USERNAME: "app", RDS_DB_NAME: "appdb", RDS_PORT: "5432" };
    const existing = { RDS_HOSTNAME: { valueFrom: "/db/host", store: "ssm", jsonKey: "host" } as const };

    expect(() => build({ ...allCreated, values, existing })).toThrow(
      problemLine(
        'existing.RDS_HOSTNAME.jsonKey "host" is set for an SSM parameter; allowed: jsonKey with store "secretsmanager" only',
      ),
    );
  });

  it("GIVEN an existing reference object with a misspelt key and no store WHEN built THEN both are named under existing.<variable>", () => {
    const values = { RDS_USERNAME: "app", RDS_DB_NAME: "appdb", RDS_PORT: "5432" };
    const reference = { valueFrom: "/db/host", stor: "ssm" } as unknown as ServiceSecret;

    expect(() => build({ ...allCreated, values, existing: { RDS_HOSTNAME: reference } })).toThrow(
      new Error(
        [
          "test/Params: invalid props:",
          '- existing.RDS_HOSTNAME.stor "ssm" is not a prop of SecretReference (did you mean store?); allowed: valueFrom, store, jsonKey',
          "- existing.RDS_HOSTNAME.store undefined is required; allowed: ssm, secretsmanager",
        ].join("\n"),
      ),
    );
  });

  it("GIVEN a prop AppParameters does not have WHEN built THEN it is refused with the one probably meant", () => {
    const props = { ...allCreated, writeOnlyVersions: 2 } as AppParametersProps;

    expect(() => build(props)).toThrow(
      problemLine(
        "writeOnlyVersions 2 is not a prop of AppParametersProps (did you mean writeOnlyVersion?); allowed: values, writeOnlyValues, writeOnlyVersion, existing, required, prefix, kmsKeyArn, tags",
      ),
    );
  });

  it.each([0, 1.5, -2])("GIVEN writeOnlyVersion %p WHEN built THEN it is refused", (writeOnlyVersion) => {
    expect(() => build({ ...allCreated, writeOnlyVersion })).toThrow(
      problemLine(`writeOnlyVersion ${writeOnlyVersion} is out of range; allowed: an integer of at least 1`),
    );
  });

  it.each(["koaapp/prod", "/koaapp/prod/", "/koaapp prod", "/"])(
    "GIVEN prefix %p WHEN built THEN it is refused",
    (prefix) => {
      expect(() => build({ ...allCreated, prefix })).toThrow(
        problemLine(
          `prefix ${JSON.stringify(prefix)} is not a parameter path; allowed: /segment[/segment...] of A-Z a-z 0-9 _ . -`,
        ),
      );
    },
  );
});
