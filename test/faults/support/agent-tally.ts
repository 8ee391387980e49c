/**
 * What the fake agent received, in latency samples: the number the suite compares with the service's
 * own counters.
 */
import { DIMENSIONS } from "../../../contract/metrics";
import { type EmfDocument, emfProblems, latencyValues } from "../../app/metrics/emf-helpers";
import type { FakeAgent } from "../../support/fake-agent";

/** Counts over every line the agent received. */
export interface AgentTally {
  /** Complete lines. */
  readonly lines: number;
  /** Latency samples in the valid lines. */
  readonly samples: number;
  /** Lines received more than once, byte for byte (at-least-once redelivery). */
  readonly duplicateLines: number;
  /** Latency samples in those repeated lines. */
  readonly duplicateSamples: number;
  /** Text left without a newline when a connection ended (half lines). */
  readonly partialLines: number;
  /** Lines that are not valid EMF latency documents, with their problems (first 5). */
  readonly invalid: readonly string[];
  /** Number of invalid lines. */
  readonly invalidLines: number;
  /** Distinct `Path` dimension values. */
  readonly paths: ReadonlySet<string>;
  /** Samples per `Path StatusClass`. */
  readonly byPathAndClass: Readonly<Record<string, number>>;
  /** TCP connections the agent accepted. */
  readonly connections: number;
}

/** Validates and counts what `agent` received so far. */
export function tallyAgent(agent: FakeAgent): AgentTally {
  const seen = new Set<string>();
  const invalid: string[] = [];
  const paths = new Set<string>();
  const byPathAndClass: Record<string, number> = {};
  let samples = 0;
  let duplicateLines = 0;
  let duplicateSamples = 0;
  let invalidLines = 0;
  for (const line of agent.lines) {
    let problems: string[];
    try {
      problems = emfProblems(line);
    } catch (err) {
      problems = [`not JSON: ${(err as Error).message}`];
    }
    if (problems.length > 0) {
      invalidLines++;
      if (invalid.length < 5) invalid.push(`${problems.join(", ")}: ${line.slice(0, 200)}`);
      continue;
    }
    const document = JSON.parse(line) as EmfDocument;
    const values = latencyValues(document).length;
    samples += values;
    if (seen.has(line)) {
      duplicateLines++;
      duplicateSamples += values;
    } else seen.add(line);
    const path = String(document[DIMENSIONS.path]);
    paths.add(path);
    const key = `${path} ${String(document[DIMENSIONS.statusClass])}`;
    byPathAndClass[key] = (byPathAndClass[key] ?? 0) + values;
  }
  return {
    lines: agent.lines.length,
    samples,
    duplicateLines,
    duplicateSamples,
    partialLines: agent.partialLines.length,
    invalid,
    invalidLines,
    paths,
    byPathAndClass,
    connections: agent.connectionsAccepted,
  };
}
