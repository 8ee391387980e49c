import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SETTINGS } from "../stacks/koaapp-config";

const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");

describe("README", () => {
  it("documents every stack setting with its context key and variable", () => {
    const rows = readme.split("\n").filter((line) => line.startsWith("| `"));
    for (const s of SETTINGS) {
      const row = rows.find((line) => line.startsWith(`| \`${s.key}\` | \`${s.env}\` |`));
      expect({ setting: s.key, documented: row !== undefined }).toEqual({ setting: s.key, documented: true });
      if (s.default !== "" && !["ingressCidrs", "availabilityZones", "stateRegion"].includes(s.key)) {
        expect(row).toContain(`| \`${s.default}\` |`);
      }
    }
  });

  it("gives the two quick-start commands", () => {
    expect(readme).toContain("npm ci && npm run synth");
    expect(readme).toContain("npm test");
  });
});
