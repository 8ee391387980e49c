/**
 * A Terraform state built offline from a plan, so a test can plan a change against "what an apply of
 * that plan created" without an AWS account: every value the plan knew is kept as planned, every value
 * only AWS would have known (ids, ARNs, DNS names) is filled in with one of the right type and form.
 *
 * Used with `terraform plan -refresh=false`, which plans from the state as written instead of reading the
 * resources back from AWS. What such a plan proves is how Terraform and the provider treat a change of
 * configuration against existing resources (lifecycle rules, moved blocks); it proves nothing about AWS.
 */
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TerraformPlan, TerraformWorkdir } from "./terraform";

/** A cty type as `terraform providers schema -json` prints it. */
type CtyType = string | [string, unknown];

/** A block of a provider schema. */
interface SchemaBlock {
  readonly attributes?: Record<string, { readonly type?: CtyType }>;
  readonly block_types?: Record<string, { readonly nesting_mode: string; readonly block: SchemaBlock }>;
}

/** The resource schemas of the AWS provider. */
export type ResourceSchemas = Record<string, { readonly version: number; readonly block: SchemaBlock }>;

/** A resource of `planned_values` in `terraform show -json`. */
interface PlannedResource {
  readonly address: string;
  readonly mode: string;
  readonly type: string;
  readonly name: string;
  readonly schema_version: number;
  readonly values: Record<string, unknown>;
}

/** The parts of a `terraform show -json` plan this module reads. */
export interface PlanWithValues {
  readonly planned_values: { readonly root_module: { readonly resources?: readonly PlannedResource[] } };
  readonly configuration: {
    readonly root_module: {
      readonly resources?: readonly { address: string; expressions?: Record<string, unknown> }[];
    };
  };
  readonly resource_changes: readonly {
    readonly address: string;
    readonly change: { readonly after_unknown?: Record<string, unknown>; readonly after_sensitive?: unknown };
  }[];
}

/** The AWS provider's resource schemas, read from an initialised working directory (offline). */
export async function awsResourceSchemas(workdir: TerraformWorkdir): Promise<ResourceSchemas> {
  const schemas = JSON.parse(await workdir.runOkAsync(["providers", "schema", "-json"])) as {
    provider_schemas: Record<string, { resource_schemas: ResourceSchemas }>;
  };
  const aws = schemas.provider_schemas["registry.terraform.io/hashicorp/aws"];
  if (!aws) throw new Error("the working directory has no hashicorp/aws schema");
  return aws.resource_schemas;
}

const ACCOUNT = "123456789012";
const REGION = "eu-west-2";

/** A value of the right form for an attribute only AWS knows, named after the resource it belongs to. */
function awsValue(attribute: string, resource: PlannedResource): string {
  const short = resource.name
    .toLowerCase()
    .replace(/_[0-9a-f]{8}$/i, "")
    .slice(-24);
  const hex = (resource.name.match(/_([0-9A-F]{8})$/)?.[1] ?? "00000000").toLowerCase();
  const service = ARN_SERVICE[resource.type] ?? resource.type.replace(/^aws_/, "").split("_")[0];
  switch (attribute) {
    case "arn":
    case "arn_without_revision":
      if (resource.type === "aws_cloudwatch_log_group")
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${String(resource.values.name)}`;
      if (service === "iam") return `arn:aws:iam::${ACCOUNT}:role/${short}`;
      return `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource.type.replace(/^aws_/, "")}/${short}-${hex}`;
    case "arn_suffix":
      return resource.type === "aws_lb_target_group"
        ? `targetgroup/${short}/${hex}${hex}`
        : `app/${short}/${hex}${hex}`;
    case "dns_name":
      return `${short}-${hex}.${REGION}.elb.amazonaws.com`;
    case "zone_id":
      return "ZHURV8PSTC4K8";
    case "repository_url":
      return `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${String(resource.values.name)}`;
    case "id":
      return `${ID_PREFIX[resource.type] ?? short}-${hex}${hex}`.slice(0, 64);
    default:
      return `${short}-${attribute}-${hex}`;
  }
}

const ARN_SERVICE: Record<string, string> = {
  aws_iam_role: "iam",
  aws_lb: "elasticloadbalancing",
  aws_lb_target_group: "elasticloadbalancing",
  aws_lb_listener: "elasticloadbalancing",
  aws_cloudwatch_metric_alarm: "cloudwatch",
  aws_cloudwatch_dashboard: "cloudwatch",
  aws_appautoscaling_target: "application-autoscaling",
  aws_appautoscaling_policy: "autoscaling",
  aws_db_instance: "rds",
  aws_db_subnet_group: "rds",
  aws_ssm_parameter: "ssm",
};

const ID_PREFIX: Record<string, string> = {
  aws_vpc: "vpc",
  aws_subnet: "subnet",
  aws_security_group: "sg",
  aws_internet_gateway: "igw",
  aws_route_table: "rtb",
  aws_vpc_security_group_ingress_rule: "sgr",
  aws_vpc_security_group_egress_rule: "sgr",
};

/**
 * Attributes AWS assigns that other resources refer to: filled with a value of the right form. Every other
 * unknown attribute is left null, as a provider leaves an optional value nobody set; a made-up value there
 * could fail the provider's validation (an SNS topic's FIFO settings, say).
 */
const ASSIGNED = new Set([
  "id",
  "arn",
  "arn_without_revision",
  "arn_suffix",
  "dns_name",
  "zone_id",
  "repository_url",
  "name",
  "address",
  "endpoint",
  "alarm_name",
  "resource_id",
]);

/** A filler for an unknown attribute of cty type `type`. */
function fillAttribute(name: string, type: CtyType | undefined, resource: PlannedResource): unknown {
  if (name === "tags_all") return resource.values.tags ?? {};
  if (type === "string") return ASSIGNED.has(name) ? awsValue(name, resource) : null;
  if (type === "number") return name === "revision" ? 1 : null;
  if (Array.isArray(type) && (type[0] === "list" || type[0] === "set")) return [];
  if (Array.isArray(type) && type[0] === "map") return {};
  return null;
}

/** `value` with every unknown part (per `unknown`, the plan's after_unknown) filled in. */
function fill(
  value: unknown,
  unknown: unknown,
  block: SchemaBlock,
  resource: PlannedResource,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, isUnknown] of Object.entries((unknown ?? {}) as Record<string, unknown>)) {
    const nested = block.block_types?.[key];
    if (isUnknown === true) {
      out[key] = nested
        ? nested.nesting_mode === "single"
          ? null
          : []
        : fillAttribute(key, block.attributes?.[key]?.type, resource);
    } else if (nested && Array.isArray(isUnknown) && Array.isArray(out[key])) {
      out[key] = (out[key] as unknown[]).map((item, i) => fill(item, isUnknown[i], nested.block, resource));
    }
  }
  // Attributes a plan leaves out entirely are null in a state.
  for (const name of Object.keys(block.attributes ?? {})) if (!(name in out)) out[name] = null;
  return out;
}

/** The resource attributes an expression refers to (`aws_x.name.attr`), in order. */
function attributeReferences(expression: unknown): [string, string][] {
  const references = (expression as { references?: string[] } | undefined)?.references ?? [];
  return references.flatMap((ref) => {
    const match = /^(aws_\w+\.[\w-]+)\.(\w+)$/.exec(ref);
    return match ? [[match[1] as string, match[2] as string] as [string, string]] : [];
  });
}

/** State paths (`[{type: "get_attr", value: "password"}]`) of the values a plan marks sensitive. */
function sensitivePaths(marks: unknown, path: object[] = []): object[][] {
  if (marks === true) return [path];
  if (Array.isArray(marks))
    return marks.flatMap((m, i) =>
      sensitivePaths(m, [...path, { type: "index", value: { value: i, type: "number" } }]),
    );
  if (marks !== null && typeof marks === "object")
    return Object.entries(marks).flatMap(([key, m]) =>
      sensitivePaths(m, [...path, { type: "get_attr", value: key }]),
    );
  return [];
}

/** A version-4 state holding every managed resource of `plan` as if an apply had created it. */
export function stateFromPlan(plan: PlanWithValues, schemas: ResourceSchemas): Record<string, unknown> {
  const unknownOf = new Map(plan.resource_changes.map((r) => [r.address, r.change.after_unknown]));
  const sensitiveOf = new Map(
    plan.resource_changes.map((r) => [r.address, sensitivePaths(r.change.after_sensitive)]),
  );
  const managed = (plan.planned_values.root_module.resources ?? []).filter((r) => r.mode === "managed");
  const attributes = new Map(
    managed.map((r) => {
      const schema = schemas[r.type];
      if (!schema) throw new Error(`no schema for ${r.type}`);
      return [r.address, fill(r.values, unknownOf.get(r.address), schema.block, r)];
    }),
  );
  // An unknown attribute that is a plain reference to another resource's attribute (a rule's security
  // group id) takes that attribute's value, as it would after an apply.
  for (const config of plan.configuration.root_module.resources ?? []) {
    const values = attributes.get(config.address);
    const unknown = unknownOf.get(config.address) ?? {};
    if (!values) continue;
    const schema = schemas[config.address.slice(0, config.address.indexOf("."))]?.block;
    for (const [name, expression] of Object.entries(config.expressions ?? {})) {
      const targets = attributeReferences(expression).map(
        ([address, attribute]) => attributes.get(address)?.[attribute],
      );
      const type = schema?.attributes?.[name]?.type;
      if (
        unknown[name] !== true ||
        targets.length === 0 ||
        targets.some((t) => t === undefined || t === null)
      )
        continue;
      if (type === "string" && targets.length === 1) values[name] = targets[0];
      else if (Array.isArray(type) && (type[0] === "list" || type[0] === "set")) values[name] = targets;
    }
  }
  const resources = managed.map((r) => ({
    mode: "managed",
    type: r.type,
    name: r.name,
    provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    instances: [
      {
        schema_version: r.schema_version,
        attributes: attributes.get(r.address),
        // Without its sensitivity marks, every plan would "update" a resource to add them back.
        sensitive_attributes: sensitiveOf.get(r.address) ?? [],
      },
    ],
  }));
  return {
    version: 4,
    terraform_version: "1.11.0",
    serial: 1,
    lineage: randomUUID(),
    outputs: {},
    resources,
    check_results: null,
  };
}

/** The resource changes of a plan, as `address actions` lines, for comparing plans. */
export function changesOf(plan: {
  readonly resource_changes: readonly {
    address: string;
    mode?: string;
    change: { actions: readonly string[] };
  }[];
}): string[] {
  return plan.resource_changes
    .filter((r) => r.mode !== "data" && r.change.actions.join() !== "no-op")
    .map((r) => `${r.address} ${r.change.actions.join("+")}`);
}

/** A value with the parts a plan does not know yet taken from `prior` instead. */
function knownOver(after: unknown, unknown: unknown, prior: unknown): unknown {
  if (unknown === true) return prior;
  if (Array.isArray(after)) {
    return after.map((item, i) =>
      knownOver(
        item,
        Array.isArray(unknown) ? unknown[i] : undefined,
        Array.isArray(prior) ? prior[i] : undefined,
      ),
    );
  }
  if (after !== null && typeof after === "object") {
    const out: Record<string, unknown> = { ...(prior as Record<string, unknown>) };
    for (const [key, value] of Object.entries(after)) {
      out[key] = knownOver(
        value,
        (unknown as Record<string, unknown> | undefined)?.[key],
        (prior as Record<string, unknown> | undefined)?.[key],
      );
    }
    for (const [key, isUnknown] of Object.entries((unknown ?? {}) as Record<string, unknown>)) {
      if (isUnknown === true && !(key in (after as object)))
        out[key] = (prior as Record<string, unknown> | undefined)?.[key];
    }
    return out;
  }
  return after;
}

/**
 * Settles a state built from a plan: plans against it (without refreshing) and folds every value that plan
 * now knows back into the state, until a plan with the same variables changes nothing or `rounds` run out.
 * Values one resource takes from another (a rule's security group id) become consistent this way.
 *
 * @returns the settled state, written to `terraform.tfstate` in the working directory
 */
export async function settleState(
  workdir: TerraformWorkdir,
  state: Record<string, unknown>,
  vars: Readonly<Record<string, string>>,
  rounds = 6,
): Promise<{ state: Record<string, unknown>; remaining: string[] }> {
  let current = state;
  let remaining: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    writeFileSync(join(workdir.dir, "terraform.tfstate"), JSON.stringify(current));
    const plan = (await workdir.planJsonAsync(vars, "settle.bin", ["-refresh=false"])) as unknown as {
      resource_changes: {
        address: string;
        type: string;
        name: string;
        mode: string;
        change: { actions: string[]; after: unknown; after_unknown?: unknown };
      }[];
    };
    remaining = changesOf(plan);
    if (remaining.length === 0) break;
    const byAddress = new Map(plan.resource_changes.map((r) => [`${r.type}.${r.name}`, r]));
    const resources = (
      current.resources as { type: string; name: string; instances: { attributes: unknown }[] }[]
    ).map((r) => {
      const change = byAddress.get(`${r.type}.${r.name}`);
      if (!change || change.change.after === null) return r;
      const [instance] = r.instances;
      const attributes = knownOver(change.change.after, change.change.after_unknown, instance?.attributes);
      return { ...r, instances: [{ ...instance, attributes }] };
    });
    current = { ...current, serial: Number(current.serial) + 1, resources };
  }
  writeFileSync(join(workdir.dir, "terraform.tfstate"), JSON.stringify(current));
  return { state: current, remaining };
}

/**
 * The state an apply of `plan` would leave, offline: {@link stateFromPlan}, then {@link settleState} with the plan's
 * variables. The one place that reads a plan from `terraform show -json` as the fuller {@link PlanWithValues}.
 */
export function applyOffline(
  workdir: TerraformWorkdir,
  plan: TerraformPlan,
  schemas: ResourceSchemas,
  vars: Readonly<Record<string, string>>,
  rounds?: number,
): Promise<{ state: Record<string, unknown>; remaining: string[] }> {
  return settleState(workdir, stateFromPlan(plan as unknown as PlanWithValues, schemas), vars, rounds);
}
