/**
 * The synthesized resources of one stack and their dependency graph, as {@link ReliabilityChecks} reads them.
 * Internal to the package.
 */
import type { IConstruct } from "constructs";
import { TerraformElement, type TerraformStack } from "./cdktf";

/** A resource's synthesized arguments, as in cdk.tf.json. */
export type Block = Record<string, unknown>;

/** A resource of the synthesized stack, by its Terraform address. */
export interface Element {
  readonly address: string;
  readonly block: Block;
  readonly construct: IConstruct;
}

/** Terraform addresses a block refers to, in expressions and `depends_on`. */
export function referencesOf(block: Block): Set<string> {
  const found = new Set<string>();
  for (const [, data, address] of JSON.stringify(block).matchAll(
    /\b(data\.)?(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)/g,
  ))
    found.add(`${data ?? ""}${address}`);
  return found;
}

/** Whether `value` (an argument, a list, a nested block) refers to the resource at `address`. */
export function refersTo(value: unknown, address: string): boolean {
  return referencesOf({ value }).has(address);
}

/** Whether `value` holds `text` anywhere, e.g. an attribute reference (`aws_vpc.x.main_route_table_id`). */
export function mentions(value: unknown, text: string): boolean {
  return value !== undefined && JSON.stringify(value).includes(text);
}

/** A stack's resources, each with the addresses it refers to, and reachability over those references. */
export class StackGraph {
  private readonly elements = new Map<string, Element>();
  private readonly edges = new Map<string, Set<string>>();

  constructor(stack: TerraformStack) {
    const config = stack.toTerraform() as { resource?: Record<string, Record<string, Block>> };
    for (const child of stack.node.findAll()) {
      if (!(child instanceof TerraformElement) || !("terraformResourceType" in child)) continue;
      const type = (child as unknown as { terraformResourceType: string }).terraformResourceType;
      const id = stack.getLogicalId(child);
      const block = config.resource?.[type]?.[id];
      if (block) this.elements.set(`${type}.${id}`, { address: `${type}.${id}`, block, construct: child });
    }
    for (const [address, element] of this.elements) this.edges.set(address, referencesOf(element.block));
  }

  /** The resources of `type`, in construct-tree order. */
  ofType(type: string): Element[] {
    return [...this.elements.values()].filter((e) => e.address.startsWith(`${type}.`));
  }

  /** The resource at `address`, when the stack has it. */
  get(address: string): Element | undefined {
    return this.elements.get(address);
  }

  /** Whether `from` depends on `to`, directly or through other resources (references and `depends_on`). */
  reaches(from: string, to: string): boolean {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const at = stack.pop() as string;
      if (at === to) return true;
      if (seen.has(at)) continue;
      seen.add(at);
      for (const next of this.edges.get(at) ?? []) stack.push(next);
    }
    return false;
  }
}
