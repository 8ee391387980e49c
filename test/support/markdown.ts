/**
 * The rows of every Markdown table in `text`, each as its trimmed cells (without the outer empty ones),
 * so assertions do not depend on how the formatter aligned the columns.
 */
export function tableRows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => line.trimStart().startsWith("|"))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, "")
        .split("|")
        .map((cell) => cell.trim().replace(/^:?-+:?$/, "-")),
    );
}
