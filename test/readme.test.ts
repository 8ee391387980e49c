import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type App, Testing } from "cdktf";
import { loadKoaAppConfig, SETTINGS } from "../stacks/koaapp-config";
import { KoaAppStack } from "../stacks/koaapp-stack";
import { tableRows } from "./support/markdown";

const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");

describe("README", () => {
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

  it("documents every Terraform variable the stack can declare", () => {
    const declared = new Set<string>();
    for (const env of [{}, { KOAAPP_IMAGE_URI: "example.com/app:1" }]) {
      const app = Testing.app();
      const stack = new KoaAppStack(
        app as App,
        "koaapp",
        loadKoaAppConfig(() => undefined, env),
      );
      for (const doc of stack.variables.docs) declared.add(doc.name);
    }
    expect([...declared].sort()).toEqual([
      "app_secret",
      "db_password",
      "desired_count",
      "error_rate_threshold_percent",
      "image_tag",
      "image_uri",
      "latency_p99_threshold_ms",
      "secrets_version",
    ]);
    const firstCells = tableRows(readme).map((cells) => cells[0]);
    for (const name of declared) expect(firstCells).toContain(`\`${name}\``);
  });

  it("gives the two quick-start commands", () => {
    expect(readme).toContain("npm ci && npm run synth");
    expect(readme).toContain("npm test");
  });
});
