/**
 * Renders the koaapp dashboard's layout as an SVG from the dashboard body the stack synthesizes, and the
 * alarm table of docs/alarms.md from the alarms the stack creates, so both show what a deploy gets.
 *
 * Usage: node --require ./scripts/register-ts.cjs scripts/dashboard-svg.ts [--check]
 *   writes docs/dashboard.svg and prints the alarm table; --check fails when docs/dashboard.svg is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type App, Testing } from "cdktf";
import type { AlarmSummary } from "../modules/service-alarms";
import type { DashboardWidget } from "../modules/service-dashboard";
import { loadKoaAppConfig } from "../stacks/koaapp-config";
import { KoaAppStack } from "../stacks/koaapp-stack";

const COLUMN = 40;
const ROW = 28;
const GRID_COLUMNS = 24;

/** The dashboard widgets and alarm summaries of the default koaapp stack, read from its synthesized JSON. */
export function defaultStackObservability(): { widgets: DashboardWidget[]; alarms: readonly AlarmSummary[] } {
  const app = Testing.app();
  const stack = new KoaAppStack(
    app as App,
    "koaapp",
    loadKoaAppConfig(() => undefined, {}),
  );
  const tf = JSON.parse(Testing.synth(stack)) as {
    resource: {
      aws_cloudwatch_dashboard: Record<string, { dashboard_body: string }>;
      aws_cloudwatch_metric_alarm: Record<string, { alarm_name: string }>;
    };
    variable: Record<string, { default?: unknown }>;
  };
  const [dashboard] = Object.values(tf.resource.aws_cloudwatch_dashboard);
  const { widgets } = JSON.parse(dashboard.dashboard_body) as { widgets: DashboardWidget[] };
  // Thresholds set by a variable at deploy are shown as the variable and its default.
  const alarms = stack.service.alarmSummaries.map((summary) => {
    const resource = Object.values(tf.resource.aws_cloudwatch_metric_alarm).find(
      (a) => a.alarm_name === summary.name,
    );
    // The threshold, or the percentile rank a latency alarm compares with it, names the variable.
    const variable = /\$\{var\.(\w+)\}/.exec(JSON.stringify(resource ?? {}))?.[1];
    if (!variable) return summary;
    const shown = `\`${variable}\` (default ${String(tf.variable[variable]?.default)})`;
    const fill = (text: string) => text.replaceAll("(set at deploy)", shown);
    return { ...summary, statistic: fill(summary.statistic), threshold: fill(summary.threshold) };
  });
  return { widgets, alarms };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** One short line per series of a widget: a metric's statistic, or what an expression computes. */
function seriesOf(widget: DashboardWidget): string[] {
  if (widget.type === "alarm")
    return [`state of ${((widget.properties.alarms as string[]) ?? []).length} alarms`];
  const metrics = (widget.properties.metrics as unknown[][]) ?? [];
  return metrics
    .map((entry) => {
      const last = entry[entry.length - 1] as Record<string, unknown> | string;
      if (typeof last === "object" && last !== null && "expression" in last) {
        const expression = String(last.expression);
        const search = /SEARCH\('\{"[^"]*",(\w+)\} MetricName="(\w+)"', '(\w+)'/.exec(expression);
        return search
          ? `${search[2]} ${search[3]}, one line per ${search[1]}`
          : `${last.label ?? last.id}: ${expression}`;
      }
      const options = typeof last === "object" && last !== null ? last : {};
      if (options.visible === false) return "";
      const names = entry.filter((part) => typeof part === "string") as string[];
      return `${names[1]} ${String(options.stat ?? widget.properties.stat ?? "")}`.trim();
    })
    .filter((line) => line !== "");
}

/** The SVG picture of the widgets on CloudWatch's 24-column grid. */
export function renderSvg(widgets: readonly DashboardWidget[]): string {
  const rows = Math.max(...widgets.map((w) => w.y + w.height));
  const width = GRID_COLUMNS * COLUMN;
  const height = rows * ROW;
  const parts = widgets.map((w) => {
    const x = w.x * COLUMN;
    const y = w.y * ROW;
    const lines = seriesOf(w).slice(0, 5);
    const text = lines
      .map(
        (line, i) =>
          `<text x="${x + 12}" y="${y + 50 + i * 17}" class="series">${escapeXml(line.slice(0, 70))}</text>`,
      )
      .join("");
    return [
      `<rect x="${x + 4}" y="${y + 4}" width="${w.width * COLUMN - 8}" height="${w.height * ROW - 8}" rx="6" class="${w.type}"/>`,
      `<text x="${x + 12}" y="${y + 26}" class="title">${escapeXml(String(w.properties.title ?? w.type))}</text>`,
      text,
    ].join("");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    "<title>koaapp CloudWatch dashboard layout</title>",
    "<style>rect{fill:#f7f9fb;stroke:#8a99a8}rect.alarm{fill:#fff6f0}.title{font-size:14px;font-weight:bold;fill:#16191f}.series{font-size:12px;fill:#545b64}</style>",
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

/** The alarm table of docs/alarms.md. */
export function alarmTable(alarms: readonly AlarmSummary[]): string {
  return [
    "| Alarm | Metric | Statistic | Threshold | Period | Missing data | Action |",
    "|---|---|---|---|---|---|---|",
    ...alarms.map(
      (a) =>
        `| \`${a.name}\` | ${a.metric} | ${a.statistic} | ${a.threshold} | ${a.period} | ${a.missingData} | SNS topic (alarm and OK) |`,
    ),
  ].join("\n");
}

if (require.main === module) {
  const target = join(__dirname, "..", "docs", "dashboard.svg");
  const { widgets, alarms } = defaultStackObservability();
  const svg = renderSvg(widgets);
  if (process.argv.includes("--check")) {
    if (readFileSync(target, "utf8") !== svg) {
      console.error(`${target} is stale: run npm run docs:dashboard`);
      process.exit(1);
    }
  } else {
    writeFileSync(target, svg);
    console.log(`wrote ${target}\n\n${alarmTable(alarms)}`);
  }
}
