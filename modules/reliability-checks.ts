import type { IConstruct } from "constructs";
import { type IAspect, TerraformElement, TerraformStack } from "./cdktf";
import { type Finding, reportFinding } from "./policy-exemptions";

/** The rules {@link ReliabilityChecks} enforces. */
export const RELIABILITY_RULES = [
  "load-balancer-after-gateway",
  "tasks-after-grants",
  "unique-final-snapshot",
  "spot-with-on-demand-base",
] as const;

/** One of {@link RELIABILITY_RULES}. */
export type ReliabilityRule = (typeof RELIABILITY_RULES)[number];

type Block = Record<string, unknown>;

/** A resource of the synthesized stack, by its Terraform address. */
interface Element {
  readonly address: string;
  readonly block: Block;
  readonly construct: IConstruct;
}

/** Terraform addresses a block refers to, in expressions and `depends_on`. */
function referencesOf(block: Block): Set<string> {
  const found = new Set<string>();
  for (const [, data, address] of JSON.stringify(block).matchAll(
    /\b(data\.)?(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)/g,
  ))
    found.add(`${data ?? ""}${address}`);
  return found;
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
 *   on that VPC's internet gateways and the routes to them; otherwise Terraform may create it first and AWS
 *   answers `InvalidSubnet: VPC … has no internet gateway` (hashicorp/terraform-provider-aws's own acceptance
 *   tests declare this dependency for the same reason).
 * - `tasks-after-grants`: an `aws_ecs_service` depends on every policy and policy attachment of its task
 *   definition's roles; otherwise tasks can start before a new grant exists and fail with
 *   `ResourceInitializationError` (and the circuit breaker rolls the deployment back).
 * - `unique-final-snapshot`: an `aws_db_instance` that takes a final snapshot names it uniquely and keeps the
 *   name (`ignore_changes`); a fixed name fails the second destroy or any replacement with
 *   `DBSnapshotAlreadyExists`, a `timestamp()` without `ignore_changes` changes on every plan.
 * - `spot-with-on-demand-base`: an `aws_ecs_service` with a FARGATE_SPOT share keeps an on-demand FARGATE base of
 *   at least one task; an all-Spot service is down at the first interruption.
 */
export class ReliabilityChecks implements IAspect {
  /** Every finding: rule, construct path, message, and whether exempted. */
  readonly findings: Finding<ReliabilityRule>[] = [];

  /** Checks the whole stack when cdktf visits it; other constructs are seen through it. */
  visit(node: IConstruct): void {
    if (!(node instanceof TerraformStack)) return;
    const config = node.toTerraform() as { resource?: Record<string, Record<string, Block>> };
    const elements = new Map<string, Element>();
    for (const child of node.node.findAll()) {
      if (!(child instanceof TerraformElement) || !("terraformResourceType" in child)) continue;
      const type = (child as unknown as { terraformResourceType: string }).terraformResourceType;
      const id = node.getLogicalId(child);
      const block = config.resource?.[type]?.[id];
      if (block) elements.set(`${type}.${id}`, { address: `${type}.${id}`, block, construct: child });
    }
    const graph = new Map([...elements].map(([address, e]) => [address, referencesOf(e.block)]));
    const reaches = (from: string, to: string): boolean => {
      const seen = new Set<string>();
      const stack = [from];
      while (stack.length > 0) {
        const at = stack.pop() as string;
        if (at === to) return true;
        if (seen.has(at)) continue;
        seen.add(at);
        for (const next of graph.get(at) ?? []) stack.push(next);
      }
      return false;
    };
    const ofType = (type: string) => [...elements.values()].filter((e) => e.address.startsWith(`${type}.`));
    const refersTo = (value: unknown, address: string) => referencesOf({ value }).has(address);

    for (const lb of ofType("aws_lb")) {
      if (lb.block.internal === true) continue;
      const vpcs = new Set(
        ofType("aws_subnet")
          .filter((subnet) => refersTo(lb.block.subnets, subnet.address))
          .flatMap((subnet) => [...referencesOf({ vpc: subnet.block.vpc_id })]),
      );
      for (const gateway of ofType("aws_internet_gateway").filter((g) =>
        [...vpcs].some((v) => refersTo(g.block.vpc_id, v)),
      )) {
        const routes = ofType("aws_route").filter((r) => refersTo(r.block.gateway_id, gateway.address));
        const missing = [gateway, ...routes].filter((needed) => !reaches(lb.address, needed.address));
        if (missing.length > 0)
          this.report(
            lb.construct,
            "load-balancer-after-gateway",
            `${lb.address} is internet-facing in subnets of the VPC of ${gateway.address} but does not depend on ${missing.map((m) => m.address).join(", ")}: Terraform may create it before the gateway is attached (InvalidSubnet); allowed: depends_on them (EmfFargateService: network.dependsOn)`,
          );
      }
    }

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
      const missing = grants.filter((grant) => !reaches(service.address, grant.address));
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
      else if (typeof name !== "string" || !name.includes("${"))
        this.report(
          db.construct,
          "unique-final-snapshot",
          `${db.address} names its final snapshot ${JSON.stringify(name)}, the same for every deletion: the second destroy or a replacement fails with DBSnapshotAlreadyExists; allowed: a name with the creation time, e.g. "<id>-final-\${formatdate("YYYYMMDDhhmmss", timestamp())}", kept with ignore_changes`,
        );
      else if (name.includes("timestamp()") && !ignored.includes("final_snapshot_identifier"))
        this.report(
          db.construct,
          "unique-final-snapshot",
          `${db.address} names its final snapshot with timestamp() without ignore_changes: every plan changes it; allowed: lifecycle ignore_changes = [final_snapshot_identifier]`,
        );
    }
  }

  private report(node: IConstruct, rule: ReliabilityRule, message: string): void {
    this.findings.push(reportFinding(node, rule, message));
  }
}
