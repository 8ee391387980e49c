/** What the ReliabilityChecks tests share: a stack under the Aspect, its findings and annotations. */
import { Aspects, type TerraformStack, Testing } from "cdktf";
import { ReliabilityChecks } from "../../modules/reliability-checks";
import { newStack } from "./support";

/** A synth-time annotation: its level and text. */
export interface Annotation {
  readonly level: string;
  readonly message: string;
}

/** Builds a stack under ReliabilityChecks, synthesizes it, and returns the findings and annotations. */
export function check(build: (stack: TerraformStack) => void) {
  const stack = newStack();
  const checks = new ReliabilityChecks();
  Aspects.of(stack).add(checks);
  build(stack);
  Testing.synth(stack);
  const annotations: Annotation[] = stack.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/error" || m.type === "@cdktf/warn"))
    .map((m) => ({ level: m.type, message: String(m.data) }));
  return { findings: checks.findings, annotations, stack };
}

/** An error annotation with `message`. */
export const error = (message: string): Annotation => ({ level: "@cdktf/error", message });
