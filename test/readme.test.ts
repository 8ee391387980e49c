import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EmfFargateServiceProps } from "../modules/emf-fargate-service";
import { SETTINGS } from "../stacks/koaapp-config";
import { RECORDED_RUN_FILE, readRecordedRun } from "./faults/support/summary";
import { koaAppStack } from "./support/koaapp";
import { tableRows } from "./support/markdown";

const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");

/** The README's "Use in your own project" section, where the consumer tests' examples are shown verbatim. */
function useInYourOwnProject(): string {
  return readme.slice(readme.indexOf("## Use in your own project"), readme.indexOf("## Configuration"));
}

describe("README", () => {
  it("documents every Terraform variable the stack can declare", () => {
    const declared = new Set<string>();
    for (const env of [{}, { KOAAPP_IMAGE_URI: "example.com/app:1" }]) {
      for (const doc of koaAppStack(env).variables.docs) declared.add(doc.name);
    }
    expect([...declared].sort()).toEqual([
      "app_secret",
      "db_password",
      "desired_count",
      "error_rate_threshold_percent",
      "image_tag",
      "image_uri",
      "latency_p99_threshold_ms",
      "max_count",
      "min_count",
      "scale_out_latency_p99_ms",
      "secrets_version",
    ]);
    const firstCells = tableRows(readme).map((cells) => cells[0]);
    for (const name of declared) expect(firstCells).toContain(`\`${name}\``);
  });

  it("shows the fault suite's figures as test/faults/last-run.md recorded them", () => {
    // The tracked record (npm run record:faults), never the git-ignored run a later test:faults wrote.
    const rows = [...readRecordedRun(readFileSync(RECORDED_RUN_FILE, "utf8")).rows].sort(
      (a, b) => a.order - b.order,
    );
    const section = readme.slice(readme.indexOf("## Reliability"), readme.indexOf("## Alarms"));
    const shown = tableRows(section).slice(2);
    const count = (value: number | null): string => (value === null ? "–" : value.toLocaleString("en-US"));

    expect(shown.map((cells) => [cells[1], cells[2], cells[5], cells[6], cells[7], cells[8]])).toEqual(
      rows.map((row) =>
        [row.requests, row.failed, row.recorded, row.received, row.dropped, row.lost].map(count),
      ),
    );
    expect(shown.map((cells) => cells[9]?.startsWith("pass"))).toEqual(
      rows.map((row) => row.targets.every((t) => t.pass)),
    );
  });

  it("gives the two quick-start commands", () => {
    expect(readme).toContain("npm ci && npm run synth");
    expect(readme).toContain("npm test");
  });

  it.each(["test/consumers/fixtures/koa-cjs/app.cjs", "test/consumers/fixtures/koa-esm/app.mjs"])(
    "shows %s, an example the consumer tests run, verbatim under Use in your own project",
    (fixture) => {
      expect(useInYourOwnProject()).toContain(
        `\n${readFileSync(join(__dirname, "..", fixture), "utf8")}\`\`\``,
      );
    },
  );
});

// README rewrite pending (lead)
describe.skip("README against the 0.2.0 construct API and settings", () => {
  it("documents every stack setting with its context key and variable", () => {
    const rows = tableRows(readme);
    for (const s of SETTINGS) {
      const row = rows.find((cells) => cells[0] === `\`${s.key}\`` && cells[1] === `\`${s.env}\``);
      expect({ setting: s.key, documented: row !== undefined }).toEqual({ setting: s.key, documented: true });
      if (s.default !== "" && !["ingressCidrs", "availabilityZones", "stateRegion"].includes(s.key)) {
        expect(row?.[2]).toBe(`\`${s.default}\``);
      }
    }
  });

  it("documents every production prop of EmfFargateService in its table", () => {
    const section = readme.slice(readme.indexOf("**Production props of `EmfFargateService`**"));
    const documented = tableRows(section).map((cells) => cells[0]);
    for (const prop of [
      "container.healthCheck",
      "loadBalancer.create",
      "loadBalancer.existingListener",
      "loadBalancer.existingTargetGroup",
      "scaling",
      "capacity",
      "deployment.waitForSteadyState",
      "iam.taskRoleStatements",
      "network.outbound",
      "network.extraSecurityGroupIds",
      "task.ephemeralStorageGiB",
    ]) {
      expect({ prop, documented: documented.includes(`\`${prop}\``) }).toEqual({ prop, documented: true });
    }
  });

  it("documents every prop of EmfFargateService in the module's two props tables", () => {
    // The compiler keeps this list complete: a prop added to EmfFargateServiceProps without an entry fails typecheck.
    const props = Object.keys({
      serviceName: true,
      container: true,
      network: true,
      task: true,
      cluster: true,
      loadBalancer: true,
      scaling: true,
      capacity: true,
      deployment: true,
      metrics: true,
      logs: true,
      agent: true,
      iam: true,
      alarms: true,
      dashboard: true,
      queryDefinitions: true,
      exec: true,
      kmsKeyArn: true,
      tags: true,
    } satisfies Record<keyof EmfFargateServiceProps, true>);
    const section = readme.slice(
      readme.indexOf("## The module"),
      readme.indexOf("### Validation at synth time"),
    );
    const production = readme.slice(readme.indexOf("**Production props of `EmfFargateService`**"));
    const firstCells = [...tableRows(section), ...tableRows(production)].map((cells) => cells[0] ?? "");
    for (const prop of props) {
      // A cell names the prop alone, among others ("`a` / `b`"), or with a sub-prop ("`loadBalancer.create`").
      const documented = firstCells.some((cell) => new RegExp(`\`${prop}[\`.]`).test(cell));
      expect({ prop, documented }).toEqual({ prop, documented: true });
    }
  });

  it("shows test/consumers/fixtures/cdktf-app/main.ts, an example the consumer tests run, verbatim under Use in your own project", () => {
    expect(useInYourOwnProject()).toContain(
      `\n${readFileSync(join(__dirname, "..", "test/consumers/fixtures/cdktf-app/main.ts"), "utf8")}\`\`\``,
    );
  });
});
