import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tableRows } from "../../support/markdown";
import { REPO_ROOT } from "./consumer-project";

/** The page whose "What the packages add to a project" table the consumer tests hold to their measurements. */
export const SIZES_PAGE = "docs/toolkits.md";

/** How far a measurement may drift from the documented figure before the page must be rewritten. */
export const SIZE_TOLERANCE = 0.25;

const UNITS: Readonly<Record<string, number>> = { kB: 1e3, MB: 1e6 };

/** Bytes of the first `<number> kB|MB` in a table cell. */
function bytesIn(cell: string, row: string): number {
  const match = /([\d.]+) (kB|MB)\b/.exec(cell);
  if (!match) throw new Error(`${SIZES_PAGE}: no size in "${cell}" (row "${row}")`);
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/**
 * The `node_modules` size before and the size the package added, as the sizes table of docs/toolkits.md states them
 * in the one row whose first cell contains `label` (Markdown backticks ignored).
 */
export function documentedSizes(label: string): { readonly before: number; readonly added: number } {
  const page = readFileSync(join(REPO_ROOT, SIZES_PAGE), "utf8");
  const start = page.indexOf("## What the packages add to a project");
  if (start < 0) throw new Error(`${SIZES_PAGE} has no section "What the packages add to a project"`);
  const end = page.indexOf("\n## ", start + 1);
  const rows = tableRows(page.slice(start, end < 0 ? undefined : end));
  const matching = rows.filter((cells) => (cells[0] ?? "").replace(/`/g, "").includes(label));
  if (matching.length !== 1)
    throw new Error(`${SIZES_PAGE}: ${matching.length} rows of the sizes table name "${label}", expected 1`);
  const [first = "", before = "", added = ""] = matching[0] as string[];
  return { before: bytesIn(before, first), added: bytesIn(added, first) };
}

/** How a measurement compares with its documented figure, as a value a test can assert on. */
export function againstDocumented(
  what: string,
  measuredBytes: number,
  documentedBytes: number,
): { what: string; measuredBytes: number; documentedBytes: number; withinTolerance: boolean } {
  return {
    what,
    measuredBytes,
    documentedBytes,
    withinTolerance: Math.abs(measuredBytes - documentedBytes) <= SIZE_TOLERANCE * documentedBytes,
  };
}
