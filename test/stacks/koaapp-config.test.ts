import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_TASKS } from "../../modules/service-scaling";
import {
  ConfigError,
  loadKoaAppConfig,
  MAX_TASK_COUNT,
  readCdktfContext,
  SETTINGS,
  VARIABLE_DEFAULT_RANGES,
} from "../../stacks/koaapp-config";
import { BAD_PRODUCTION_SETTINGS, koaAppStack } from "../support/koaapp";

const noContext = () => undefined;

function problemsOf(env: Record<string, string>, context: Record<string, unknown> = {}): readonly string[] {
  try {
    loadKoaAppConfig((key) => context[key], env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadKoaAppConfig", () => {
  it("defaults to eu-west-2, a created VPC and database, local state and the seed's sizes", () => {
    // GIVEN no context and no environment WHEN loaded THEN the defaults of the README's table apply
    expect(loadKoaAppConfig(noContext, {})).toEqual({
      phase: "service",
      region: "eu-west-2",
      serviceName: "koaapp",
      environmentName: "prod",
      imageTag: "0.1.0",
      desiredCount: 1,
      taskCpu: 512,
      taskMemoryMiB: 1024,
      appCpu: 256,
      appMemoryMiB: 512,
      namespace: "koaapp",
      metricsMode: "aggregate",
      logRetentionDays: 30,
      ingressCidrs: [],
      loadBalancer: {
        type: "public",
        subnetIds: [],
        idleTimeoutSeconds: 60,
        deregistrationDelaySeconds: 15,
        deletionProtection: true,
      },
      healthCheckPath: "/health",
      scaling: {
        minCount: 1,
        maxCount: 4,
        cpuTargetPercent: 60,
        requestsPerTarget: 1000,
        scaleOutLatencyP99Ms: 500,
        onDemandBase: 1,
        onDemandWeight: 1,
        spotWeight: 0,
      },
      waitForSteadyState: true,
      releasedBy: "terraform",
      network: { create: true, cidrBlock: "10.0.0.0/16", availabilityZones: ["eu-west-2a", "eu-west-2b"] },
      database: { create: true, instanceClass: "db.t4g.micro", deletionProtection: true },
      backend: { type: "local" },
      latencyP99ThresholdMs: 1000,
      errorRateThresholdPercent: 5,
    });
  });

  it("takes context values, and environment variables over them", () => {
    // GIVEN a region in both context and environment, and a task size in context only
    const config = loadKoaAppConfig(
      (key) => ({ region: "us-east-1", taskCpu: 1024, taskMemoryMiB: 2048 })[key],
      {
        KOAAPP_REGION: "eu-central-1",
      },
    );
    // THEN the environment wins, context fills the rest, zones follow the region
    expect(config.region).toBe("eu-central-1");
    expect(config.taskCpu).toBe(1024);
    expect(config.taskMemoryMiB).toBe(2048);
    expect(config.network).toMatchObject({ availabilityZones: ["eu-central-1a", "eu-central-1b"] });
  });

  it("accepts lists as JSON arrays in context and comma-separated in the environment", () => {
    const config = loadKoaAppConfig((key) => (key === "ingressCidrs" ? ["10.1.0.0/16"] : undefined), {
      KOAAPP_AZS: "eu-west-2a, eu-west-2c",
    });
    expect(config.ingressCidrs).toEqual(["10.1.0.0/16"]);
    expect(config.network).toMatchObject({ availabilityZones: ["eu-west-2a", "eu-west-2c"] });
  });

  it("takes typed context values as they are, parses text ones, and counts an empty value as unset", () => {
    // GIVEN numbers, booleans and arrays in cdktf.json, text as `-c` gives it, and empty values
    const context: Record<string, unknown> = {
      taskCpu: 1024,
      taskMemoryMiB: "2048",
      waitForSteadyState: false,
      databaseDeletionProtection: "false",
      availabilityZones: ["eu-west-2c"],
      desiredCount: "",
    };

    // WHEN loaded, with an empty variable for a setting context also gives
    const config = loadKoaAppConfig((key) => context[key], { KOAAPP_TASK_CPU: "" });

    // THEN both forms are read, and an empty value falls through to the next source, then the default
    expect(config).toMatchObject({
      taskCpu: 1024,
      taskMemoryMiB: 2048,
      waitForSteadyState: false,
      database: { deletionProtection: false },
      network: { availabilityZones: ["eu-west-2c"] },
      desiredCount: 1,
    });
  });

  it("refuses context values of the wrong type, showing them as given", () => {
    // GIVEN a fraction, a number for a name, a JSON list with a number, a flag that is no boolean
    const context: Record<string, unknown> = {
      taskCpu: 1024.5,
      serviceName: 5,
      ingressCidrs: '["10.0.0.0/8", 1]',
      waitForSteadyState: "yes",
    };

    // WHEN / THEN
    expect(problemsOf({}, context)).toEqual([
      "serviceName (KOAAPP_SERVICE_NAME) 5 is not valid; allowed: a string",
      "taskCpu (KOAAPP_TASK_CPU) 1024.5 is not valid; allowed: an integer of at least 0",
      'ingressCidrs (KOAAPP_INGRESS_CIDRS) "[\\"10.0.0.0/8\\", 1]" is not valid; allowed: a JSON array of strings or comma-separated values',
      'waitForSteadyState (KOAAPP_WAIT_FOR_STEADY_STATE) "yes" is not valid; allowed: true, false',
    ]);
  });

  it("uses an image URI instead of a tag when given", () => {
    const config = loadKoaAppConfig(noContext, { KOAAPP_IMAGE_URI: "example.com/app:1" });
    expect(config.imageUri).toBe("example.com/app:1");
    expect(config).not.toHaveProperty("imageTag");
  });

  it("reports every problem at once with the setting, its variable, the value and what is allowed", () => {
    const problems = problemsOf({
      KOAAPP_REGION: "europe",
      KOAAPP_TASK_CPU: "half",
      KOAAPP_METRICS_MODE: "verbose",
      KOAAPP_SUBNET_IDS: "subnet-1",
      KOAAPP_BACKEND: "s3",
    });
    expect(problems).toEqual([
      'region (KOAAPP_REGION) "europe" is not an AWS region; allowed: e.g. eu-west-2',
      'taskCpu (KOAAPP_TASK_CPU) "half" is not valid; allowed: an integer of at least 0',
      'metricsMode (KOAAPP_METRICS_MODE) "verbose" is not valid; allowed: off, aggregate, request',
      "subnetIds (KOAAPP_SUBNET_IDS) is set without vpcId; allowed: both, or neither to create a VPC",
      "stateBucket (KOAAPP_STATE_BUCKET) is empty; allowed: the name of an S3 bucket when backend is s3",
    ]);
  });

  it("refuses an existing VPC without subnets, and a created database without private subnets there", () => {
    expect(problemsOf({ KOAAPP_VPC_ID: "vpc-1" })).toEqual([
      "subnetIds (KOAAPP_SUBNET_IDS) is empty while vpcId is set; allowed: one or more subnet IDs",
      "outbound (KOAAPP_OUTBOUND) is not set while vpcId is; allowed: publicIp (public subnets), nat (private subnets with a NAT gateway) or vpcEndpoints (private subnets with VPC endpoints)",
      "databaseSubnetIds (KOAAPP_DB_SUBNET_IDS) has 0 subnets; allowed: two or more private subnets to create a database in an existing VPC",
      "loadBalancerSubnetIds (KOAAPP_LB_SUBNET_IDS) is empty while vpcId is set; allowed: two or more subnets in different zones for the load balancer — public ones (a route to an internet gateway) for loadBalancer=public",
    ]);
  });

  it("refuses malformed lists, databases, flags and parameter JSON", () => {
    expect(
      problemsOf({
        KOAAPP_INGRESS_CIDRS: "[1,2]",
        KOAAPP_DATABASE: "aurora",
        KOAAPP_DB_DELETION_PROTECTION: "yes",
      }),
    ).toEqual([
      'ingressCidrs (KOAAPP_INGRESS_CIDRS) "[1,2]" is not valid; allowed: a JSON array of strings or comma-separated values',
      'database (KOAAPP_DATABASE) "aurora" is not valid; allowed: create, existing',
      'databaseDeletionProtection (KOAAPP_DB_DELETION_PROTECTION) "yes" is not valid; allowed: true, false',
    ]);
    expect(problemsOf({ KOAAPP_DATABASE: "existing", KOAAPP_EXISTING_PARAMETERS: "{oops" })).toEqual([
      expect.stringMatching(
        /^existingParameters \(KOAAPP_EXISTING_PARAMETERS\) is not JSON \(.+\); allowed: \{"RDS_USERNAME": "<name or ARN>", \.\.\.\}$/,
      ),
    ]);
  });

  it("refuses existing parameters for variables the app does not read, and values that are no reference", () => {
    expect(
      problemsOf({
        KOAAPP_DATABASE: "existing",
        KOAAPP_EXISTING_PARAMETERS: JSON.stringify({ RDS_USER: "/db/user", RDS_PORT: 5432 }),
      }),
    ).toEqual([
      "existingParameters (KOAAPP_EXISTING_PARAMETERS) names RDS_USER, which the app does not read; allowed: RDS_USERNAME, RDS_PASSWORD, RDS_DB_NAME, RDS_HOSTNAME, RDS_PORT, APP_SECRET",
      'existingParameters (KOAAPP_EXISTING_PARAMETERS) gives RDS_PORT 5432; allowed: "<SSM name or ARN, or Secrets Manager ARN>" or {"valueFrom": "...", "store": "ssm" | "secretsmanager", "jsonKey": "..."}',
    ]);
    expect(problemsOf({ KOAAPP_DATABASE: "existing", KOAAPP_EXISTING_PARAMETERS: '["/db/user"]' })).toEqual([
      'existingParameters (KOAAPP_EXISTING_PARAMETERS) ["/db/user"] is not a JSON object; allowed: {"RDS_USERNAME": "<name or ARN>", ...}',
    ]);
  });

  it("takes existing parameters as names, ARNs or references with a JSON key", () => {
    const password = { valueFrom: "rds/koaapp/master", store: "secretsmanager", jsonKey: "password" };
    const config = loadKoaAppConfig(noContext, {
      KOAAPP_DATABASE: "existing",
      KOAAPP_EXISTING_PARAMETERS: JSON.stringify({ RDS_USERNAME: "/db/user", RDS_PASSWORD: password }),
    });

    expect(config.database).toEqual({
      create: false,
      parameters: { RDS_USERNAME: "/db/user", RDS_PASSWORD: password },
    });
  });

  it("refuses alarm thresholds that are no number in the range of their Terraform variable", () => {
    // GIVEN thresholds that are no number, and out of the variables' ranges WHEN loaded THEN each is named
    expect(
      problemsOf({
        KOAAPP_LATENCY_P99_THRESHOLD_MS: "fast",
        KOAAPP_ERROR_RATE_THRESHOLD_PERCENT: "120",
      }),
    ).toEqual([
      'latencyP99ThresholdMs (KOAAPP_LATENCY_P99_THRESHOLD_MS) "fast" is not valid; allowed: an integer from 1 to 60000',
      'errorRateThresholdPercent (KOAAPP_ERROR_RATE_THRESHOLD_PERCENT) "120" is not valid; allowed: a number from 0.01 to 100',
    ]);
    // error_rate_threshold_percent's validation starts at 0.01: a smaller default would fail only at plan.
    expect(
      problemsOf({ KOAAPP_LATENCY_P99_THRESHOLD_MS: "60001", KOAAPP_ERROR_RATE_THRESHOLD_PERCENT: "0.005" }),
    ).toEqual([
      'latencyP99ThresholdMs (KOAAPP_LATENCY_P99_THRESHOLD_MS) "60001" is not valid; allowed: an integer from 1 to 60000',
      'errorRateThresholdPercent (KOAAPP_ERROR_RATE_THRESHOLD_PERCENT) "0.005" is not valid; allowed: a number from 0.01 to 100',
    ]);
    expect(
      loadKoaAppConfig(noContext, { KOAAPP_ERROR_RATE_THRESHOLD_PERCENT: "0.5" }).errorRateThresholdPercent,
    ).toBe(0.5);
  });

  it("refuses task counts and the scale-out latency outside their Terraform variables' range", () => {
    // GIVEN values the desired_count, min_count, max_count and scale_out_latency_p99_ms validations refuse
    expect(
      problemsOf({
        KOAAPP_DESIRED_COUNT: "101",
        KOAAPP_MIN_COUNT: "-1",
        KOAAPP_MAX_COUNT: "0",
        KOAAPP_SCALE_OUT_LATENCY_P99_MS: "0",
      }),
    ).toEqual([
      'desiredCount (KOAAPP_DESIRED_COUNT) "101" is not valid; allowed: an integer from 0 to 100',
      'minCount (KOAAPP_MIN_COUNT) "-1" is not valid; allowed: an integer from 0 to 100',
      'maxCount (KOAAPP_MAX_COUNT) "0" is not valid; allowed: an integer from 1 to 100',
      'scaleOutLatencyP99Ms (KOAAPP_SCALE_OUT_LATENCY_P99_MS) "0" is not valid; allowed: an integer from 1 to 60000',
    ]);
    // AND the bound is the one the autoscaling construct applies to counts it can see
    expect(MAX_TASK_COUNT).toBe(MAX_TASKS);
    expect(VARIABLE_DEFAULT_RANGES.maxCount.max).toBe(MAX_TASKS);
  });

  it("refuses min above max and an idle timeout not below the app's keep-alive, all at once", () => {
    // GIVEN the four mistakes of issue 11 in one configuration WHEN loaded THEN one error lists the two only the
    // configuration can see: both counts are Terraform variable defaults, the keep-alive is the app's
    expect(problemsOf(BAD_PRODUCTION_SETTINGS)).toEqual([
      "idleTimeoutSeconds (KOAAPP_IDLE_TIMEOUT_SECONDS) 65 is not below the app's keep-alive timeout of 65 s; allowed: 1 to 64, so the load balancer closes idle connections before the app does",
      'healthCheckPath (KOAAPP_HEALTH_CHECK_PATH) "health" is not an absolute path; allowed: a path starting with / (no spaces or query string), e.g. "/health"',
      "minCount (KOAAPP_MIN_COUNT) 5 is above maxCount (KOAAPP_MAX_COUNT) 2; allowed: minCount (KOAAPP_MIN_COUNT) at most maxCount (KOAAPP_MAX_COUNT)",
    ]);
  });

  it("passes what the constructs check as given, and the stack's synth refuses it naming the construct's props, in one error", () => {
    // GIVEN a certificate and a topic that are no ARN
    const constructChecked = { KOAAPP_CERTIFICATE_ARN: "my-cert", KOAAPP_ALARM_TOPIC_ARN: "my-topic" };

    // WHEN loaded THEN the configuration takes them as they are
    expect(loadKoaAppConfig(noContext, constructChecked)).toMatchObject({
      loadBalancer: { certificateArn: "my-cert" },
      alarmTopicArn: "my-topic",
    });
    // AND the service refuses both, naming their props
    expect(() => koaAppStack(constructChecked)).toThrow(
      [
        "koaapp/Service: invalid props:",
        '- loadBalancer.create.certificateArn "my-cert" is not an ACM certificate ARN; allowed: arn:aws:acm:<region>:<account>:certificate/<id>',
        '- alarms.topicArn "my-topic" is not an SNS topic ARN; allowed: arn:aws:sns:<region>:<account>:<name>',
      ].join("\n"),
    );
  });

  it("takes the load balancer's settings: type, certificate, timeouts, deletion protection by environment, access logs", () => {
    const config = loadKoaAppConfig(noContext, {
      KOAAPP_LOAD_BALANCER: "internal",
      KOAAPP_CERTIFICATE_ARN:
        "arn:aws:acm:eu-west-2:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
      KOAAPP_IDLE_TIMEOUT_SECONDS: "30",
      KOAAPP_DEREGISTRATION_DELAY_SECONDS: "120",
      KOAAPP_ENVIRONMENT: "staging",
      KOAAPP_ACCESS_LOGS_BUCKET: "acme-lb-logs",
    });
    expect(config.loadBalancer).toEqual({
      type: "internal",
      certificateArn: "arn:aws:acm:eu-west-2:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
      subnetIds: [],
      idleTimeoutSeconds: 30,
      deregistrationDelaySeconds: 120,
      // Outside prod, deletion protection is off unless asked for.
      deletionProtection: false,
      accessLogsBucket: "acme-lb-logs",
    });
    expect(
      loadKoaAppConfig(noContext, { KOAAPP_LB_DELETION_PROTECTION: "false" }).loadBalancer,
    ).toMatchObject({
      deletionProtection: false,
    });
    expect(loadKoaAppConfig(noContext, { KOAAPP_LOAD_BALANCER: "none" }).loadBalancer).toEqual({
      type: "none",
    });
  });

  it("refuses load-balancer settings that cannot work", () => {
    expect(
      problemsOf({
        KOAAPP_LOAD_BALANCER: "external",
        KOAAPP_WAIT_FOR_STEADY_STATE: "yes",
      }),
    ).toEqual([
      'loadBalancer (KOAAPP_LOAD_BALANCER) "external" is not valid; allowed: public, internal, none',
      'waitForSteadyState (KOAAPP_WAIT_FOR_STEADY_STATE) "yes" is not valid; allowed: true, false',
    ]);
    expect(
      problemsOf({
        KOAAPP_IDLE_TIMEOUT_SECONDS: "0",
        KOAAPP_LB_SUBNET_IDS: "subnet-1,subnet-2",
      }),
    ).toEqual([
      "loadBalancerSubnetIds (KOAAPP_LB_SUBNET_IDS) is set without vpcId; allowed: with an existing VPC only (a created VPC puts the load balancer in its public subnets)",
      "idleTimeoutSeconds (KOAAPP_IDLE_TIMEOUT_SECONDS) 0 is not below the app's keep-alive timeout of 65 s; allowed: 1 to 64, so the load balancer closes idle connections before the app does",
    ]);
    expect(
      problemsOf({
        KOAAPP_VPC_ID: "vpc-1",
        KOAAPP_SUBNET_IDS: "subnet-1",
        KOAAPP_OUTBOUND: "nat",
        KOAAPP_DATABASE: "existing",
        KOAAPP_LOAD_BALANCER: "internal",
      }),
    ).toEqual([
      "loadBalancerSubnetIds (KOAAPP_LB_SUBNET_IDS) is empty while vpcId is set; allowed: two or more subnets in different zones for the load balancer — public ones (a route to an internet gateway) for loadBalancer=public",
      "ingressCidrs (KOAAPP_INGRESS_CIDRS) is empty for an internal load balancer in an existing VPC; allowed: the CIDRs of the clients that call it",
    ]);
  });

  it("reads who releases revisions, and refuses anyone but terraform or a pipeline", () => {
    // GIVEN KOAAPP_RELEASED_BY WHEN loaded THEN it is the service's deployment.releasedBy, checked here
    expect(loadKoaAppConfig(noContext, { KOAAPP_RELEASED_BY: "pipeline" }).releasedBy).toBe("pipeline");
    expect(loadKoaAppConfig((key) => (key === "releasedBy" ? "pipeline" : undefined), {}).releasedBy).toBe(
      "pipeline",
    );
    expect(problemsOf({ KOAAPP_RELEASED_BY: "github-actions" })).toEqual([
      'releasedBy (KOAAPP_RELEASED_BY) "github-actions" is not valid; allowed: terraform, pipeline',
    ]);
  });

  it("keeps one on-demand task under Spot by default, and reads the weights as given", () => {
    expect(loadKoaAppConfig(noContext, {}).scaling).toMatchObject({
      spotWeight: 0,
      onDemandBase: 1,
      onDemandWeight: 1,
    });
    expect(loadKoaAppConfig(noContext, { KOAAPP_SPOT_WEIGHT: "3" }).scaling).toMatchObject({
      spotWeight: 3,
      onDemandBase: 1,
      onDemandWeight: 1,
    });
  });

  it("documents every setting with a unique variable", () => {
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
    for (const s of SETTINGS) expect(s.env).toMatch(/^KOAAPP_[A-Z0-9_]+$/);
  });
});

describe("readCdktfContext", () => {
  it("reads the context of cdktf.json, so a direct synth sees what cdktf synth would", () => {
    const dir = mkdtempSync(join(tmpdir(), "cdktf-json-"));
    writeFileSync(join(dir, "cdktf.json"), JSON.stringify({ app: "x", context: { region: "us-west-2" } }));
    expect(readCdktfContext(dir)).toEqual({ region: "us-west-2" });
  });
});
