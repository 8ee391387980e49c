import type { IConstruct } from "constructs";
import { type IAspect, TerraformStack } from "./cdktf";
import { type Finding, reportFinding } from "./policy-exemptions";
import { type Block, refersTo, StackGraph } from "./reliability-graph";
import { NetworkChecks } from "./reliability-network";

/** The rules {@link ReliabilityChecks} enforces. */
export const RELIABILITY_RULES = [
  "load-balancer-after-gateway",
  "tasks-with-a-way-out",
  "tasks-after-network",
  "tasks-after-grants",
  "unique-final-snapshot",
  "spot-with-on-demand-base",
] as const;

/** One of {@link RELIABILITY_RULES}. */
export type ReliabilityRule = (typeof RELIABILITY_RULES)[number];

/**
 * The part of a final snapshot name that differs from one deletion to the next: `timestamp()` or `uuid()` (new on
 * every plan, so kept with ignore_changes), or a `random_*` resource's value (new when that resource is replaced),
 * inside an interpolation. A name made only of variables and fixed text (`\${var.env}-final`) repeats.
 */
function changingPart(name: string): string | undefined {
  const start = name.indexOf("${");
  if (start < 0) return undefined;
  const expressions = name.slice(start);
  return (
    /\b(timestamp|uuid)\(\)/.exec(expressions)?.[0] ??
    /\brandom_[a-z0-9_]+\.[A-Za-z0-9_-]+/.exec(expressions)?.[0]
  );
}

/**
 * What a first `terraform apply` (or a later one) would hit although every plan passes, as a cdktf Aspect for the
 * koaapp stack and any stack of yours: `Aspects.of(stack).add(new ReliabilityChecks())`. It reads the stack's
 * Terraform configuration and its dependency graph (references and `depends_on`), so it also catches what a
 * hand-written resource next to the constructs gets wrong. Each finding is a synth error on the construct, or a
 * warning where the construct records the user's opt-out.
 *
 * Rules:
 * - `load-balancer-after-gateway`: an internet-facing `aws_lb` in subnets of a VPC created in the stack depends
 *   on that VPC's internet gateways (created in it or attached by `aws_internet_gateway_attachment`), their
 *   attachments and the routes to them (`aws_route`, or the route table that declares them inline); otherwise
 *   Terraform may create it first and AWS answers `InvalidSubnet: VPC … has no internet gateway`
 *   (hashicorp/terraform-provider-aws's own acceptance tests declare this dependency for the same reason).
 * - `tasks-with-a-way-out`: an `aws_ecs_service` whose tasks run in subnets created in the stack (in a VPC of the
 *   stack) can reach ECR and CloudWatch Logs: with `assign_public_ip`, a default route (0.0.0.0/0) to an internet
 *   gateway in the subnet's route table (its association, else the VPC's main route table); with or without, a
 *   default route to a NAT gateway or another target the check cannot follow (transit gateway, network
 *   interface, peering); otherwise the VPC's interface endpoints `ecr.api`, `ecr.dkr`, `logs` (and `ssm` or
 *   `secretsmanager` where the task's secrets come from) with private DNS, and the S3 gateway endpoint on that
 *   route table. Subnets given as IDs or from another stack, and tables or endpoints created elsewhere, are out
 *   of reach and not judged.
 * - `tasks-after-network`: that service depends on what gives its subnets their way out (the route table
 *   association, the default route or the table declaring it, an internet gateway's attachment, the endpoints
 *   and their route table association); otherwise ECS may start tasks before it exists.
 * - `tasks-after-grants`: an `aws_ecs_service` depends on every policy and policy attachment of its task
 *   definition's roles; otherwise tasks can start before a new grant exists and fail with
 *   `ResourceInitializationError` (and the circuit breaker rolls the deployment back).
 * - `unique-final-snapshot`: an `aws_db_instance` that takes a final snapshot names it with an expression that
 *   changes per deletion — `timestamp()` or `uuid()` kept with `ignore_changes`, or a `random_*` resource's value
 *   (give it `keepers` that change when the database is replaced); a fixed name, or one made of variables only
 *   (`\${var.env}-final`), fails the second destroy or any replacement with `DBSnapshotAlreadyExists`, and
 *   `timestamp()` or `uuid()` without `ignore_changes` changes on every plan.
 * - `spot-with-on-demand-base`: an `aws_ecs_service` with a FARGATE_SPOT share keeps an on-demand FARGATE base of
 *   at least one task; an all-Spot service is down at the first interruption.
 */
export class ReliabilityChecks implements IAspect {
  /** Every finding: rule, construct path, message, and whether exempted. */
  readonly findings: Finding<ReliabilityRule>[] = [];

  /** Checks the whole stack when cdktf visits it; other constructs are seen through it. */
  visit(node: IConstruct): void {
    if (!(node instanceof TerraformStack)) return;
    const graph = new StackGraph(node);
    const ofType = (type: string) => graph.ofType(type);
    new NetworkChecks(graph, (construct, rule, message) => this.report(construct, rule, message)).run();

    for (const service of ofType("aws_ecs_service")) {
      const taskDefinitions = ofType("aws_ecs_task_definition").filter((t) =>
        refersTo(service.block.task_definition, t.address),
      );
      const roles = ofType("aws_iam_role").filter((role) =>
        taskDefinitions.some((t) =>
          refersTo([t.block.task_role_arn, t.block.execution_role_arn], role.address),
        ),
      );
      const grants = [...ofType("aws_iam_role_policy"), ...ofType("aws_iam_role_policy_attachment")].filter(
        (grant) => roles.some((role) => refersTo(grant.block.role, role.address)),
      );
      const missing = grants.filter((grant) => !graph.reaches(service.address, grant.address));
      if (missing.length > 0)
        this.report(
          service.construct,
          "tasks-after-grants",
          `${service.address} does not depend on ${missing.map((m) => m.address).join(", ")}: tasks can start before those permissions exist (ResourceInitializationError); allowed: depends_on every policy and attachment of the task's roles`,
        );
      const strategy = (service.block.capacity_provider_strategy ?? []) as Block[];
      const spot = strategy.some((s) => s.capacity_provider === "FARGATE_SPOT" && s.weight !== 0);
      const base = strategy.find((s) => s.capacity_provider === "FARGATE")?.base;
      if (
        spot &&
        !(typeof base === "number" && base >= 1) &&
        !(typeof base === "string" && base.includes("${"))
      )
        this.report(
          service.construct,
          "spot-with-on-demand-base",
          `${service.address} places tasks on FARGATE_SPOT with an on-demand base of ${JSON.stringify(base ?? 0)}: one interruption can stop every task; allowed: a FARGATE share with base 1 or more`,
        );
    }

    for (const db of ofType("aws_db_instance")) {
      if (db.block.skip_final_snapshot === true) continue;
      const name = db.block.final_snapshot_identifier;
      const ignored = ((db.block.lifecycle as Block | undefined)?.ignore_changes ?? []) as unknown[];
      // Without a name the provider refuses the destroy itself (hashicorp/terraform-provider-aws#9849).
      if (name === undefined)
        this.report(
          db.construct,
          "unique-final-snapshot",
          `${db.address} takes a final snapshot (skip_final_snapshot is not true) but names none: destroy fails with "final_snapshot_identifier is required when skip_final_snapshot is false"; allowed: a name with the creation time, e.g. "<id>-final-\${formatdate("YYYYMMDDhhmmss", timestamp())}", kept with ignore_changes, or skip_final_snapshot = true`,
        );
      else {
        const changing = typeof name === "string" ? changingPart(name) : undefined;
        if (changing === undefined)
          this.report(
            db.construct,
            "unique-final-snapshot",
            `${db.address} names its final snapshot ${JSON.stringify(name)}, the same for every deletion: the second destroy or a replacement fails with DBSnapshotAlreadyExists; allowed: a name with the creation time, e.g. "<id>-final-\${formatdate("YYYYMMDDhhmmss", timestamp())}", kept with ignore_changes, or with a random_* resource's value`,
          );
        else if (changing.endsWith("()") && !ignored.includes("final_snapshot_identifier"))
          this.report(
            db.construct,
            "unique-final-snapshot",
            `${db.address} names its final snapshot with ${changing} without ignore_changes: every plan changes it; allowed: lifecycle ignore_changes = [final_snapshot_identifier]`,
          );
      }
    }
  }

  private report(node: IConstruct, rule: ReliabilityRule, message: string): void {
    this.findings.push(reportFinding(node, rule, message));
  }
}
