import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cdktfToCdktn, isCdktfSpecifier, renameModuleSpecifiers } from "../../../scripts/toolkit-specifiers";
import { lockedVersion, REPO_ROOT } from "./consumer-project";

/** The consumer example app, in one file: the README of @emf-fargate/constructs shows it verbatim. */
export const EXAMPLE_FIXTURE = "test/consumers/fixtures/cdktf-app";

/**
 * The fixture's TypeScript files, as its tsconfig.json compiles them: `main.ts` (the README example), `features.ts`
 * (every feature on both majors), `strategies.ts` (the deployment strategies), `forgotten-dependency.ts` (a stack
 * ReliabilityChecks must refuse).
 */
export const FIXTURE_FILES: readonly string[] = (
  JSON.parse(readFileSync(join(REPO_ROOT, EXAMPLE_FIXTURE, "tsconfig.json"), "utf8")) as { include: string[] }
).include;

/** The CDK toolkits the construct packages are built for. */
export type Toolkit = "cdktf" | "cdktn";

/**
 * The example app for `toolkit`: the fixture itself for cdktf; for CDK Terrain the same file with CDK Terrain's
 * import names (`cdktn`, `@cdktn/provider-aws/...`, `@emf-fargate/constructs-cdktn`), renamed by the same
 * table `npm run pack` builds @emf-fargate/constructs-cdktn with, so there is one example to keep current.
 */
export function exampleApp(toolkit: Toolkit, fileName = "main.ts"): string {
  const file = join(REPO_ROOT, EXAMPLE_FIXTURE, fileName);
  const cdktf = readFileSync(file, "utf8");
  if (toolkit === "cdktf") return cdktf;
  return renameModuleSpecifiers(cdktf, file, (specifier) =>
    specifier === "@emf-fargate/constructs" ? "@emf-fargate/constructs-cdktn" : cdktfToCdktn(specifier),
  );
}

/** A toolkit with one version of AWS provider bindings, as a consumer project installs them. */
export interface BindingsPair {
  /** What the test names it by. */
  readonly name: string;
  readonly toolkit: Toolkit;
  /** The package directory whose tarball the project installs. */
  readonly packageDir: string;
  /** The project's dependencies: the toolkit, constructs and the bindings. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** The bindings' package name. */
  readonly bindings: string;
  /** The hashicorp/aws version the bindings were generated for (their package.json says it too). */
  readonly awsVersion: string;
}

const cdktnManifest = JSON.parse(
  readFileSync(join(REPO_ROOT, "packages", "constructs-cdktn", "package.json"), "utf8"),
) as { devDependencies: Record<string, string> };

/** @cdktf/provider-aws 21.x: the newest release, for hashicorp/aws 6.25.0 (its package.json `cdktf.provider`). */
export const CDKTF_PROVIDER_AWS_6X = "21.22.1";

/**
 * Each toolkit with each major of hashicorp/aws bindings it supports. cdktf with 20.x and 21.x: the lowest
 * versions are the repository's pins (package-lock.json), as the peer ranges start there. CDK Terrain with
 * @cdktn/provider-aws 25.x: the versions in @emf-fargate/constructs-cdktn's devDependencies, where its peer
 * ranges start.
 */
export const BINDINGS_PAIRS: readonly BindingsPair[] = [
  {
    name: "cdktf 0.21 + @cdktf/provider-aws 20.1 (hashicorp/aws 5.100.0)",
    toolkit: "cdktf",
    packageDir: "packages/constructs",
    dependencies: {
      cdktf: lockedVersion("cdktf"),
      constructs: lockedVersion("constructs"),
      "@cdktf/provider-aws": lockedVersion("@cdktf/provider-aws"),
    },
    bindings: "@cdktf/provider-aws",
    awsVersion: "5.100.0",
  },
  {
    name: `cdktf 0.21 + @cdktf/provider-aws ${CDKTF_PROVIDER_AWS_6X} (hashicorp/aws 6.25.0)`,
    toolkit: "cdktf",
    packageDir: "packages/constructs",
    dependencies: {
      cdktf: lockedVersion("cdktf"),
      constructs: lockedVersion("constructs"),
      "@cdktf/provider-aws": CDKTF_PROVIDER_AWS_6X,
    },
    bindings: "@cdktf/provider-aws",
    awsVersion: "6.25.0",
  },
  {
    name: `cdktn ${cdktnManifest.devDependencies.cdktn} + @cdktn/provider-aws ${cdktnManifest.devDependencies["@cdktn/provider-aws"]} (hashicorp/aws 6.66.0)`,
    toolkit: "cdktn",
    packageDir: "packages/constructs-cdktn",
    dependencies: cdktnManifest.devDependencies,
    bindings: "@cdktn/provider-aws",
    awsVersion: "6.66.0",
  },
];

/** Whether the package `name` belongs to cdktf (the toolkit, its CLI or an @cdktf/ package). */
export function isCdktfPackage(name: string): boolean {
  return isCdktfSpecifier(name);
}

/** Whether the package `name` belongs to CDK Terrain. */
export function isCdktnPackage(name: string): boolean {
  return name === "cdktn" || name.startsWith("cdktn-") || name.startsWith("@cdktn/");
}

/**
 * The Terraform types (`aws_ecs_service`, and `data.aws_region` for a data source) of every provider class the
 * construct library instantiates (`new Class(` in modules/), read from the repository's own bindings' static
 * `tfResourceType`: what a comparison between bindings must cover to speak for every resource the package creates.
 */
export function providerTypesConstructedBy(): string[] {
  const types = new Set<string>();
  const modules = join(REPO_ROOT, "modules");
  for (const file of readdirSync(modules).filter((name) => name.endsWith(".ts"))) {
    const text = readFileSync(join(modules, file), "utf8");
    for (const [, names = "", lib = ""] of text.matchAll(
      /^import \{([^}]*)\} from "@cdktf\/provider-aws\/lib\/([a-z0-9-]+)";/gm,
    )) {
      const classes = names
        .split(",")
        .map((name) => name.trim())
        .filter((name) => name !== "" && !name.startsWith("type "));
      const bindings = require(
        join(REPO_ROOT, "node_modules", "@cdktf", "provider-aws", "lib", lib),
      ) as Record<string, { tfResourceType?: string }>;
      for (const name of classes.filter((c) => new RegExp(`\\bnew ${c}\\(`).test(text))) {
        const type = bindings[name]?.tfResourceType;
        if (type === undefined)
          throw new Error(`@cdktf/provider-aws/lib/${lib} has no ${name}.tfResourceType`);
        types.add(lib.startsWith("data-aws-") ? `data.${type}` : type);
      }
    }
  }
  return [...types].sort();
}
