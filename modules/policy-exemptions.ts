/**
 * Findings of the Aspects (SecurityPolicyChecks, ReliabilityChecks) and the exemptions constructs record where
 * the user opted out: a finding under an exemption for its rule is a warning that gives the reason, any other
 * finding a synth error. Internal to the package.
 */
import type { IConstruct } from "constructs";
import { Annotations } from "./cdktf";

/** A recorded exemption: the rule, why, and optionally the one container it covers. */
interface Exemption {
  readonly rule: string;
  readonly reason: string;
  readonly container?: string;
}

const EXEMPTION_METADATA = "emf-fargate:policy-exemption";

/**
 * Exempts `scope` and everything under it from `rule`: a finding there becomes a warning that gives `reason`,
 * instead of a synth error. Constructs call this where the user opted out (e.g. `allowIngressFromAnywhere`);
 * `container` narrows a task-definition exemption to one container.
 */
export function exemptFromPolicy(
  scope: IConstruct,
  rule: string,
  reason: string,
  options: { readonly container?: string } = {},
): void {
  const exemption: Exemption = {
    rule,
    reason,
    ...(options.container ? { container: options.container } : {}),
  };
  scope.node.addMetadata(EXEMPTION_METADATA, exemption);
}

function exemptionFor(node: IConstruct, rule: string, container?: string): Exemption | undefined {
  for (const scope of node.node.scopes.slice().reverse()) {
    for (const entry of scope.node.metadata) {
      if (entry.type !== EXEMPTION_METADATA) continue;
      const exemption = entry.data as Exemption;
      if (exemption.rule === rule && (exemption.container === undefined || exemption.container === container))
        return exemption;
    }
  }
  return undefined;
}

/** One finding of an Aspect: the rule, the construct path, the message, and whether an exemption covers it. */
export interface Finding<Rule extends string = string> {
  /** The rule the finding breaks. */
  readonly rule: Rule;
  /** Path of the construct it was found on. */
  readonly path: string;
  /** What is wrong and what is allowed. */
  readonly message: string;
  /** Whether an exemption (the user's opt-out) made it a warning. */
  readonly exempted: boolean;
}

/**
 * Records `message` on `node` for `rule`: a warning naming the exemption's reason when one covers it, a synth
 * error otherwise. Returns the finding.
 */
export function reportFinding<Rule extends string>(
  node: IConstruct,
  rule: Rule,
  message: string,
  container?: string,
): Finding<Rule> {
  const exemption = exemptionFor(node, rule, container);
  const text = `[${rule}] ${node.node.path}: ${message}`;
  if (exemption) Annotations.of(node).addWarning(`${text} (exempted: ${exemption.reason})`);
  else Annotations.of(node).addError(text);
  return { rule, path: node.node.path, message, exempted: exemption !== undefined };
}
