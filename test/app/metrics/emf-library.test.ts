import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as publicEntry from "aws-embedded-metrics";
import { DEEP_IMPORTS } from "../../../app/metrics/emf-library";

const { version } = JSON.parse(
  readFileSync(join(require.resolve("aws-embedded-metrics"), "..", "..", "package.json"), "utf8"),
) as { version: string };

/** What app/metrics/emf-library.ts and its users take from each deep import. */
const USED: Record<(typeof DEEP_IMPORTS)[number], { export: string; statics: string[]; methods: string[] }> =
  {
    "aws-embedded-metrics/lib/Constants": {
      export: "Constants",
      statics: ["DEFAULT_NAMESPACE"],
      methods: [],
    },
    "aws-embedded-metrics/lib/logger/MetricsContext": {
      export: "MetricsContext",
      statics: ["empty"],
      methods: [
        "setNamespace",
        "setDimensions",
        "setDefaultDimensions",
        "getDimensions",
        "putMetric",
        "setProperty",
        "setTimestamp",
        "createCopyWithContext",
      ],
    },
    "aws-embedded-metrics/lib/logger/StorageResolution": {
      export: "StorageResolution",
      statics: ["High", "Standard"],
      methods: [],
    },
    "aws-embedded-metrics/lib/serializers/LogSerializer": {
      export: "LogSerializer",
      statics: [],
      methods: ["serialize"],
    },
  };

describe(`aws-embedded-metrics ${version}: the deep imports of app/metrics/emf-library.ts`, () => {
  it.each(DEEP_IMPORTS)("GIVEN %s WHEN loaded THEN it exports what the middleware uses", (path) => {
    // GIVEN
    const used = USED[path];

    // WHEN
    let loaded: Record<string, any> | string;
    try {
      loaded = require(path) as Record<string, any>;
    } catch (error) {
      loaded = `cannot be loaded (${(error as Error).message.split("\n")[0]})`;
    }

    // THEN: a failure here means the upgrade moved or changed it; update app/metrics/emf-library.ts
    const target = typeof loaded === "string" ? undefined : loaded[used.export];
    const missing = [
      ...(typeof loaded === "string" ? [loaded] : []),
      ...(target === undefined ? [`export ${used.export}`] : []),
      ...used.statics.filter((name) => target?.[name] === undefined).map((name) => `${used.export}.${name}`),
      ...used.methods
        .filter((name) => typeof target?.prototype?.[name] !== "function")
        .map((name) => `${used.export}.prototype.${name}()`),
    ];
    expect({ path, missing }).toEqual({ path, missing: [] });
  });

  it("GIVEN the app's sources WHEN read THEN only app/metrics/emf-library.ts imports from the package's lib/", () => {
    // GIVEN
    const root = join(__dirname, "..", "..", "..");
    const sources = (readdirSync(join(root, "app"), { recursive: true }) as string[])
      .filter((file) => file.endsWith(".ts"))
      .map((file) => join("app", file));

    // WHEN
    const deep = sources.filter((file) =>
      readFileSync(join(root, file), "utf8").includes("aws-embedded-metrics/lib/"),
    );

    // THEN
    expect(deep).toEqual([join("app", "metrics", "emf-library.ts")]);
  });

  it("GIVEN the package's public entry point WHEN read THEN it still lacks the metric model and serializer (else import them from there)", () => {
    // GIVEN / WHEN
    const exported = Object.keys(publicEntry);

    // THEN
    expect(exported).not.toContain("MetricsContext");
    expect(exported).not.toContain("LogSerializer");
    expect(exported).toEqual(expect.arrayContaining(["createMetricsLogger", "Configuration"]));
  });
});
