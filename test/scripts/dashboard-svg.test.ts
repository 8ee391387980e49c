import { readFileSync } from "node:fs";
import { join } from "node:path";
import { alarmTable, defaultStackObservability, renderSvg } from "../../scripts/dashboard-svg";
import { tableRows } from "../support/markdown";

const root = join(__dirname, "..", "..");

describe("the dashboard picture and alarm table in docs/alarms.md", () => {
  const { widgets, alarms } = defaultStackObservability();

  it("docs/dashboard.svg is what the synthesized dashboard body draws", () => {
    // GIVEN the default stack's dashboard WHEN rendered THEN the committed picture is identical
    expect(readFileSync(join(root, "docs", "dashboard.svg"), "utf8")).toBe(renderSvg(widgets));
  });

  it("draws one box per widget with its title", () => {
    const svg = renderSvg(widgets);
    expect(svg.match(/<rect /g)).toHaveLength(widgets.length);
    for (const w of widgets) expect(svg).toContain(`class="title">${String(w.properties.title)}</text>`);
  });

  it("docs/alarms.md's alarm table is the one the stack's alarms produce", () => {
    // Cells compared trimmed: the formatter aligns Markdown tables.
    const lines = (text: string) => tableRows(text).map((cells) => cells.join("|"));
    const readme = lines(readFileSync(join(root, "docs", "alarms.md"), "utf8")).join("\n");
    expect(alarms.map((a) => a.name)).toEqual(["koaapp-latency-p99", "koaapp-5xx-rate", "koaapp-no-metrics"]);
    expect(readme).toContain(lines(alarmTable(alarms)).join("\n"));
  });
});
