import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as constructs from "../../modules";

const ROOT = join(__dirname, "..", "..");

/** An import or re-export of a file (relative to the repository) and what it names. */
interface Import {
  readonly file: string;
  readonly specifier: string;
}

/** The imports and re-exports of one .ts file. */
function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/^(?:import|export)[^;]*? from "([^"]+)";/gms)].map(([, specifier]) => ({
    file,
    specifier: specifier as string,
  }));
}

/** The imports of every .ts file under `dir`. */
function importsUnder(dir: string): Import[] {
  return (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
    .filter((entry) => entry.endsWith(".ts"))
    .flatMap((entry) => importsOf(join(dir, entry)));
}

describe("the packages' sources", () => {
  it("the construct library (modules/) imports nothing of the app, the middleware or the sample stack", () => {
    const offending = importsUnder("modules").filter(
      ({ specifier }) => /^\.\.\/(app|stacks)\b/.test(specifier) || /^(koa|@koa\/|pg$|pino)/.test(specifier),
    );
    expect(offending).toEqual([]);
  });

  it("the middleware (app/metrics/) imports nothing of cdktf, the constructs or the rest of the app", () => {
    const offending = importsUnder("app/metrics").filter(
      ({ file, specifier }) =>
        /^(cdktf|constructs|@cdktf\/)/.test(specifier) ||
        (specifier.startsWith("..") &&
          !join(file, "..", specifier).startsWith("app/metrics") &&
          !join(file, "..", specifier).startsWith("contract")),
    );
    expect(offending).toEqual([]);
  });

  it("the contract both packages compile in imports neither cdktf nor Koa nor either side", () => {
    expect(
      importsUnder("contract").filter(
        ({ specifier }) => !specifier.startsWith("./") && !specifier.startsWith("node:"),
      ),
    ).toEqual([]);
  });
});

describe("the construct library's entry point, modules/index.ts", () => {
  const index = readFileSync(join(ROOT, "modules", "index.ts"), "utf8");

  it("names what it exports: no `export *`, so nothing internal is published by accident", () => {
    expect(index.match(/^export\s+(type\s+)?\*/gm)).toBeNull();
  });

  it("does not export the sample's own constructs, PostgresDatabase and SampleNetwork, which live in stacks/", () => {
    // GIVEN the entry point, loaded and as text (type-only exports leave no trace at run time)
    // THEN neither construct, nor its props, nor its old name is there
    for (const name of ["PostgresDatabase", "SampleNetwork", "ServiceNetwork"]) {
      expect({ name, exported: name in constructs }).toEqual({ name, exported: false });
      expect({ name, named: new RegExp(`\\b${name}`).test(index) }).toEqual({ name, named: false });
    }
    expect(
      importsOf("modules/index.ts").filter(({ specifier }) => /postgres|network/.test(specifier)),
    ).toEqual([]);
    // AND the constructs the sample stack builds from the library are there
    for (const name of ["EmfFargateService", "ImageRepository", "AppParameters", "ReliabilityChecks"])
      expect({ name, exported: name in constructs }).toEqual({ name, exported: true });
  });
});

describe("the sample stack and app, the packages' first consumers", () => {
  it("import the construct library only through its entry point, modules/index.ts", () => {
    const deep = [...importsUnder("stacks"), ...importsOf("main.ts")].filter(({ specifier }) =>
      /(^|\/)modules\/./.test(specifier),
    );
    expect(deep).toEqual([]);
  });

  it("import the middleware only through its entry point, app/metrics/index.ts", () => {
    const deep = importsUnder("app")
      .filter(({ file }) => !file.startsWith("app/metrics/"))
      .filter(({ specifier }) => /(^|\/)metrics\/./.test(specifier));
    expect(deep).toEqual([]);
  });
});
