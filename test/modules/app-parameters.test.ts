import type { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import type { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import type { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import type { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { TerraformOutput, TerraformVariable } from "cdktf";
import {
  APP_SECRET_NAMES,
  AppParameters,
  type AppParametersProps,
  type ServiceSecret,
} from "../../modules/app-parameters";
import { SECRET_VALUE_FROM_FORMS } from "../../modules/validation";
import { dataOf, newStack, problemLine, ref, resourcesById, resourcesOf, synthStack } from "./support";

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
  return new AppParameters(newStack(), "Params", props);
}

const allCreated: AppParametersProps = {
  values: plainValues,
  writeOnlyValues: { RDS_PASSWORD: "ignored-by-test", APP_SECRET: "ignored-by-test" },
};

describe("AppParameters creating all six parameters with defaults", () => {
  const synth = synthParameters({ values: plainValues });
  const parameters = resourcesById(synth.json, "aws_ssm_parameter");
  const byName = (name: string) => resourcesOf(synth.json, "aws_ssm_parameter").find((p) => p.name === name);

  it("GIVEN no prefix WHEN synthesized THEN six parameters are named /<construct path>/<VARIABLE>", () => {
    expect(
      Object.values(parameters)
        .map((p) => p.name)
        .sort(),
    ).toEqual(APP_SECRET_NAMES.map((name) => `/test/Params/${name}`).sort());
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
    const expected = APP_SECRET_NAMES.map((name) => ({
      name,
      valueFrom: ref(synth.stack, synth.built.node.findChild(name) as SsmParameter, "arn"),
      store: "ssm",
    }));

    expect(synth.json.output?.secrets?.value).toEqual(expected);
  });

  it("GIVEN created parameters WHEN synthesized THEN createdParameterNames maps each variable to its parameter's name", () => {
    const expected = Object.fromEntries(
      APP_SECRET_NAMES.map((name) => [
        name,
        ref(synth.stack, synth.built.node.findChild(name) as SsmParameter, "name"),
      ]),
    );

    expect(synth.json.output?.names?.value).toEqual(expected);
  });

  it("GIVEN no existing name WHEN synthesized THEN no caller identity, partition or region is read", () => {
    expect(synth.json.data).toBeUndefined();
  });
});

describe("AppParameters with prefix, version, KMS key and tags", () => {
  const synth = synthStack(
    (stack) =>
      new AppParameters(stack, "Params", {
        ...allCreated,
        prefix: "/koaapp/prod",
        writeOnlyVersion: 3,
        kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        tags: { Team: "platform" },
      }),
  );
  const byName = (name: string) => resourcesOf(synth.json, "aws_ssm_parameter").find((p) => p.name === name);

  it("GIVEN a prefix WHEN synthesized THEN every parameter is under it and tagged", () => {
    for (const name of APP_SECRET_NAMES) {
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

  it("GIVEN existing parameter names WHEN synthesized THEN their ARNs are built from the partition, region and caller account", () => {
    const built = synth.built;
    const partition = ref(synth.stack, built.node.findChild("Partition") as DataAwsPartition, "partition");
    const region = ref(synth.stack, built.node.findChild("Region") as DataAwsRegion, "name");
    const account = ref(synth.stack, built.node.findChild("Account") as DataAwsCallerIdentity, "account_id");

    expect(secret("RDS_HOSTNAME")).toEqual({
      name: "RDS_HOSTNAME",
      valueFrom: `arn:${partition}:ssm:${region}:${account}:parameter/shared/db/host`,
      store: "ssm",
    });
    expect(secret("RDS_PASSWORD")).toEqual({
      name: "RDS_PASSWORD",
      valueFrom: `arn:${partition}:ssm:${region}:${account}:parameter/shared-db-password`,
      store: "ssm",
    });
  });

  it("GIVEN two existing names WHEN synthesized THEN each lookup data source is created once", () => {
    expect(dataOf(synth.json, "aws_caller_identity")).toHaveLength(1);
    expect(dataOf(synth.json, "aws_partition")).toHaveLength(1);
    expect(dataOf(synth.json, "aws_region")).toHaveLength(1);
  });

  it("GIVEN existing references WHEN synthesized THEN secrets still list all six variables in order", () => {
    expect(secrets.map((s) => s.name)).toEqual([...APP_SECRET_NAMES]);
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

describe("AppParameters validation", () => {
  it("GIVEN no source at all WHEN built THEN one error lists every variable without a source", () => {
    expect(() => build({})).toThrow(
      new Error(
        [
          "test/Params: invalid props:",
          "- RDS_USERNAME has no source; allowed: exactly one of values or existing",
          "- RDS_PASSWORD has no source; allowed: exactly one of writeOnlyValues or existing",
          "- RDS_DB_NAME has no source; allowed: exactly one of values or existing",
          "- RDS_HOSTNAME has no source; allowed: exactly one of values or existing",
          "- RDS_PORT has no source; allowed: exactly one of values or existing",
          "- APP_SECRET has no source; allowed: exactly one of writeOnlyValues or existing",
        ].join("\n"),
      ),
    );
  });

  it("GIVEN a plain value both created and existing WHEN built THEN both sources are named", () => {
    expect(() => build({ ...allCreated, existing: { RDS_HOSTNAME: "/shared/db/host" } })).toThrow(
      problemLine("RDS_HOSTNAME is given in values and existing; allowed: exactly one of values or existing"),
    );
  });

  it("GIVEN a secure value both written and existing WHEN built THEN both sources are named", () => {
    expect(() => build({ ...allCreated, existing: { APP_SECRET: "/shared/app-secret" } })).toThrow(
      problemLine(
        "APP_SECRET is given in writeOnlyValues and existing; allowed: exactly one of writeOnlyValues or existing",
      ),
    );
  });

  it("GIVEN a password among the plain values WHEN built THEN it is refused as plain text", () => {
    const values = { ...plainValues, RDS_PASSWORD: "hunter2" } as AppParametersProps["values"];

    expect(() => build({ values, writeOnlyValues: { APP_SECRET: "x" } })).toThrow(
      problemLine(
        "values.RDS_PASSWORD would store a secret in plain text; allowed: writeOnlyValues.RDS_PASSWORD or existing.RDS_PASSWORD",
      ),
    );
  });

  it.each(["arn:aws:s3:::bucket/secret", "not a parameter"])(
    "GIVEN the existing reference %p WHEN built THEN it is refused with the accepted forms",
    (reference) => {
      const values = { RDS_USERNAME: "app", RDS_DB_NAME: "appdb", RDS_PORT: "5432" };

      expect(() => build({ ...allCreated, values, existing: { RDS_HOSTNAME: reference } })).toThrow(
        problemLine(
          `existing.RDS_HOSTNAME ${JSON.stringify(reference)} is not a secret reference; allowed: ${SECRET_VALUE_FROM_FORMS}`,
        ),
      );
    },
  );

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
