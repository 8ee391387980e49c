import { Fn, Op, TerraformVariable } from "cdktf";
import { Construct } from "constructs";

/** Which per-deploy variables the stack needs, and their defaults from the synth-time configuration. */
export interface KoaAppVariablesProps {
  /** Default image tag, when the stack creates the repository. @default - no image_tag variable */
  readonly imageTag?: string;
  /** Default image URI, when the stack runs a given image. @default - no image_uri variable */
  readonly imageUri?: string;
  /** Default number of tasks at creation. */
  readonly desiredCount: number;
  /** Default fewest tasks autoscaling keeps. */
  readonly minCount: number;
  /** Default most tasks autoscaling runs. */
  readonly maxCount: number;
  /** Default p99 latency (ms) above which autoscaling adds tasks. */
  readonly scaleOutLatencyP99Ms: number;
  /** Declare `db_password`. */
  readonly dbPassword: boolean;
  /** Declare `app_secret`. */
  readonly appSecret: boolean;
  /** Default p99 latency alarm threshold (ms). @default - no latency threshold variable */
  readonly latencyP99ThresholdMs?: number;
  /** Default 5xx-rate alarm threshold (percent). @default - no error-rate threshold variable */
  readonly errorRateThresholdPercent?: number;
}

/** One row of the README's variable table. */
export interface VariableDoc {
  /** Variable name. */
  readonly name: string;
  /** Terraform type. */
  readonly type: string;
  /** Whether the value is sensitive and ephemeral. */
  readonly secret: boolean;
  /** Description, as in cdk.tf.json. */
  readonly description: string;
}

/** Most tasks the variables accept: the construct's own bound on scaling.maxCapacity, against typos. */
const MAX_TASKS = 100;

const IMAGE_TAG = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$";

/**
 * The values a pipeline sets per deploy, as Terraform variables with types, descriptions, validation
 * and defaults, so `terraform plan -var image_tag=<sha>` needs no re-synthesis. Structure (sizes,
 * what the stack creates, names) stays in the synth-time configuration.
 */
export class KoaAppVariables extends Construct {
  /** The image tag to run, when the stack creates the repository. */
  readonly imageTag?: string;
  /** The image URI to run, when the stack does not create a repository. */
  readonly imageUri?: string;
  /** Number of tasks at creation. */
  readonly desiredCount: number;
  /** Fewest tasks autoscaling keeps. */
  readonly minCount: number;
  /** Most tasks autoscaling runs. */
  readonly maxCount: number;
  /** p99 latency (ms) above which autoscaling adds tasks. */
  readonly scaleOutLatencyP99Ms: number;
  /** Database master password and RDS_PASSWORD value (ephemeral). */
  readonly dbPassword?: string;
  /** APP_SECRET value (ephemeral). */
  readonly appSecret?: string;
  /** Version of the write-only secret values. */
  readonly secretsVersion: number;
  /** p99 latency alarm threshold (ms). */
  readonly latencyP99ThresholdMs?: number;
  /** 5xx-rate alarm threshold (percent). */
  readonly errorRateThresholdPercent?: number;
  /** Every declared variable, for documentation. */
  readonly docs: VariableDoc[] = [];

  constructor(scope: Construct, id: string, props: KoaAppVariablesProps) {
    super(scope, id);
    if (props.imageTag !== undefined) {
      const tag = this.declare("image_tag", {
        type: "string",
        default: props.imageTag,
        description:
          "Tag of the image to run from the stack's ECR repository (immutable tags: one per build)",
      });
      tag.addValidation({
        condition: Op.and(Fn.can(Fn.regex(IMAGE_TAG, tag.stringValue)), Op.neq(tag.stringValue, "latest")),
        errorMessage:
          'image_tag must be 1-128 letters, digits, _ . - (not starting with . or -) and not "latest".',
      });
      this.imageTag = tag.stringValue;
    }
    if (props.imageUri !== undefined) {
      const uri = this.declare("image_uri", {
        type: "string",
        default: props.imageUri,
        description: "Full URI of the image to run, pinned by tag or digest",
      });
      const parts = Fn.split("/", uri.stringValue);
      const lastPart = Fn.element(parts, Op.sub(Fn.lengthOf(parts), 1));
      uri.addValidation({
        condition: Op.or(
          Fn.can(Fn.regex("@sha256:[0-9a-f]{64}$", uri.stringValue)),
          Op.and(
            Fn.can(Fn.regex(`:${IMAGE_TAG.slice(1)}`, lastPart)),
            Op.not(Fn.endswith(uri.stringValue, ":latest")),
          ),
        ),
        errorMessage: 'image_uri must be pinned by a version tag or an @sha256 digest, not "latest".',
      });
      this.imageUri = uri.stringValue;
    }
    this.desiredCount = this.taskCount(
      "desired_count",
      props.desiredCount,
      "Tasks the service starts with; autoscaling owns the count after creation, so later changes are ignored",
    ).numberValue;
    const min = this.taskCount("min_count", props.minCount, "Fewest tasks autoscaling keeps");
    this.minCount = min.numberValue;
    const max = this.declare("max_count", {
      type: "number",
      default: props.maxCount,
      description: "Most tasks autoscaling runs",
    });
    max.addValidation({
      // Terraform 1.9+ lets a validation read another variable.
      condition: Op.and(
        Op.and(isWholeNumberUpTo(max, MAX_TASKS), Op.gte(max.numberValue, 1)),
        Op.lte(min.numberValue, max.numberValue),
      ),
      errorMessage: `max_count must be a whole number from 1 to ${MAX_TASKS}, and at least min_count.`,
    });
    this.maxCount = max.numberValue;
    const scaleOut = this.declare("scale_out_latency_p99_ms", {
      type: "number",
      default: props.scaleOutLatencyP99Ms,
      description:
        "p99 latency across all routes above which, for 3 minutes, autoscaling adds a task, in milliseconds",
    });
    scaleOut.addValidation({
      condition: Op.and(Op.gte(scaleOut.numberValue, 1), Op.lte(scaleOut.numberValue, 60_000)),
      errorMessage: "scale_out_latency_p99_ms must be from 1 to 60000.",
    });
    this.scaleOutLatencyP99Ms = scaleOut.numberValue;
    const version = this.declare("secrets_version", {
      type: "number",
      default: 1,
      description: "Increase to write new db_password / app_secret values",
    });
    version.addValidation({
      condition: Op.and(
        Op.eq(Fn.floor(version.numberValue), version.numberValue),
        Op.gte(version.numberValue, 1),
      ),
      errorMessage: "secrets_version must be a whole number of at least 1.",
    });
    this.secretsVersion = version.numberValue;
    if (props.latencyP99ThresholdMs !== undefined) {
      const latency = this.declare("latency_p99_threshold_ms", {
        type: "number",
        default: props.latencyP99ThresholdMs,
        description: "p99 latency across all routes above which the latency alarm fires, in milliseconds",
      });
      latency.addValidation({
        condition: Op.and(Op.gte(latency.numberValue, 1), Op.lte(latency.numberValue, 60_000)),
        errorMessage: "latency_p99_threshold_ms must be from 1 to 60000.",
      });
      this.latencyP99ThresholdMs = latency.numberValue;
    }
    if (props.errorRateThresholdPercent !== undefined) {
      const rate = this.declare("error_rate_threshold_percent", {
        type: "number",
        default: props.errorRateThresholdPercent,
        description: "Share of requests ending in a 5xx above which the error-rate alarm fires, in percent",
      });
      rate.addValidation({
        condition: Op.and(Op.gte(rate.numberValue, 0.01), Op.lte(rate.numberValue, 100)),
        errorMessage: "error_rate_threshold_percent must be from 0.01 to 100.",
      });
      this.errorRateThresholdPercent = rate.numberValue;
    }
    if (props.dbPassword) {
      const password = this.secret(
        "db_password",
        "Master password of the created database, also written to the RDS_PASSWORD parameter",
      );
      const length = Fn.lengthOf(password.stringValue);
      password.addValidation({
        // RDS refuses / " @ and spaces in master passwords.
        condition: Op.and(
          Op.and(Op.gte(length, 12), Op.lte(length, 128)),
          Op.not(Fn.can(Fn.regex(Fn.rawString('[/"@ ]'), password.stringValue))),
        ),
        errorMessage: 'db_password must be 12-128 characters without /, ", @ or spaces.',
      });
      this.dbPassword = password.stringValue;
    }
    if (props.appSecret) {
      const secret = this.secret("app_secret", "Value of the APP_SECRET parameter");
      secret.addValidation({
        condition: Op.gte(Fn.lengthOf(secret.stringValue), 16),
        errorMessage: "app_secret must be at least 16 characters.",
      });
      this.appSecret = secret.stringValue;
    }
  }

  private declare(
    name: string,
    config: ConstructorParameters<typeof TerraformVariable>[2],
  ): TerraformVariable {
    this.docs.push({
      name,
      type: config.type ?? "any",
      secret: false,
      description: config.description ?? "",
    });
    // The variable names are the pipeline's interface: keep them free of construct-path prefixes.
    const variable = new TerraformVariable(this, name, config);
    variable.overrideLogicalId(name);
    return variable;
  }

  /** A number of tasks: a whole number from 0 to MAX_TASKS. */
  private taskCount(name: string, defaultValue: number, description: string): TerraformVariable {
    const variable = this.declare(name, { type: "number", default: defaultValue, description });
    variable.addValidation({
      condition: isWholeNumberUpTo(variable, MAX_TASKS),
      errorMessage: `${name} must be a whole number from 0 to ${MAX_TASKS}.`,
    });
    return variable;
  }

  /** A sensitive, ephemeral string: it reaches write-only arguments only, never the plan file or the state. */
  private secret(name: string, description: string): TerraformVariable {
    const variable = this.declare(name, { type: "string", sensitive: true, nullable: false, description });
    this.docs[this.docs.length - 1] = { ...this.docs[this.docs.length - 1], secret: true };
    // cdktf 0.21 predates Terraform 1.10's ephemeral variables.
    variable.addOverride("ephemeral", true);
    return variable;
  }
}

/** Whether a number variable is a whole number from 0 to `max`, as a Terraform expression. */
function isWholeNumberUpTo(variable: TerraformVariable, max: number): unknown {
  // floor(abs(n)) == n: a whole number not below zero (cdktf's operators drop a literal 0 operand).
  return Op.and(
    Op.eq(Fn.floor(Fn.abs(variable.numberValue)), variable.numberValue),
    Op.lte(variable.numberValue, max),
  );
}
