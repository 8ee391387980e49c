import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AWS_PROVIDER_VERSION,
  findProviderMirror,
  hasTerraform,
  TerraformWorkdir,
} from "../support/terraform";
import { artifactOf, ConsumerProject, lockedVersion } from "./support/consumer-project";
import {
  BINDINGS_PAIRS,
  type BindingsPair,
  CDKTF_PROVIDER_AWS_6X,
  EXAMPLE_FIXTURE,
  exampleApp,
  isCdktfPackage,
  isCdktnPackage,
} from "./support/toolkits";

const mirror = findProviderMirror();
const canPlan = hasTerraform() && mirror !== undefined;
if (!canPlan && process.env.CI === "true") {
  throw new Error(
    `the construct consumer test needs terraform and the provider mirror; mirror: ${mirror ?? "missing"}`,
  );
}

/** A synthesized stack as text, with the project's directory (in the local backend's path) as `<project>`. */
interface Synthesized {
  readonly text: string;
  readonly json: Record<string, any>;
}

/** Each pair's synthesized example, for the comparisons between pairs at the end. */
const synthesized = new Map<string, Synthesized>();

function synthesizedOf(pair: BindingsPair | undefined): Record<string, any> {
  const found = pair && synthesized.get(pair.name);
  if (!found) throw new Error(`${pair?.name ?? "a pair"} was not synthesized (see its own tests' failure)`);
  return structuredClone(found.json);
}

/** `data.aws_region.<name>.<attribute>` references in a synthesized stack: the attributes read. */
function regionAttributesRead(text: string): string[] {
  return [...text.matchAll(/\bdata\.aws_region\.[A-Za-z0-9_-]+\.([A-Za-z0-9_]+)/g)].map(
    ([, attr]) => attr as string,
  );
}

describe.each(BINDINGS_PAIRS)("a TypeScript project using $packageDir with $name", (pair) => {
  const packageName = JSON.parse(
    readFileSync(join(__dirname, "..", "..", pair.packageDir, "package.json"), "utf8"),
  ).name as string;
  let project: ConsumerProject;
  let installOutput: string;
  let before: { bytes: number; packages: string[] };
  let after: { bytes: number; packages: string[] };
  let text: string;
  let stack: Record<string, any>;
  let strategies: Record<string, any>;

  beforeAll(() => {
    // GIVEN a fresh project with its toolkit, constructs, the bindings, TypeScript and the package from
    // artifacts/, installed by a plain `npm install`, and the README's example with this toolkit's import
    // names: a non-Koa image on 8080, an existing VPC, a secret by SSM parameter name, the image's own health
    // check
    project = new ConsumerProject(packageName.replace("@emf-fargate/", ""), {
      dependencies: pair.dependencies,
      devDependencies: {
        typescript: lockedVersion("typescript"),
        "@types/node": lockedVersion("@types/node"),
      },
    });
    project.write("main.ts", exampleApp(pair.toolkit));
    project.write("strategies.ts", exampleApp(pair.toolkit, "strategies.ts"));
    project.write(
      "tsconfig.json",
      readFileSync(join(__dirname, "..", "..", EXAMPLE_FIXTURE, "tsconfig.json"), "utf8"),
    );
    installOutput = project.install();
    before = { bytes: project.nodeModulesBytes(), packages: project.installedPackages() };
    installOutput += project.install([artifactOf(pair.packageDir)]);
    after = { bytes: project.nodeModulesBytes(), packages: project.installedPackages() };
    // WHEN it is compiled with tsc (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess,
    // skipLibCheck false) and synthesized with plain node
    project.run(join(project.dir, "node_modules", ".bin", "tsc"), ["-p", "."]);
    project.run(process.execPath, ["dist/main.js"]);
    text = readFileSync(join(project.dir, "cdktf.out", "stacks", "orders", "cdk.tf.json"), "utf8")
      .split(project.dir)
      .join("<project>");
    stack = JSON.parse(text);
    synthesized.set(pair.name, { text, json: stack });
    strategies = JSON.parse(project.run(process.execPath, ["dist/strategies.js"]));
    process.stdout.write(
      `construct consumer (${pair.name}): node_modules ${(before.bytes / 1e6).toFixed(1)} MB with the peers, ` +
        `+${((after.bytes - before.bytes) / 1e3).toFixed(0)} kB with the package\n`,
    );
  }, 600_000);

  afterAll(() => project?.destroy());

  it("installs with a plain npm install, no peer conflict, and adds nothing but the package itself", () => {
    expect(installOutput).not.toMatch(/ERESOLVE|conflicting peer|overriding peer|invalid/i);
    expect(after.packages.filter((name) => !before.packages.includes(name))).toEqual([packageName]);
    expect(after.bytes - before.bytes).toBeLessThan(1_000_000);
  });

  it("holds one copy of its toolkit and nothing of the other one", () => {
    const tree = project.installedTree();
    const own = pair.toolkit === "cdktf" ? isCdktfPackage : isCdktnPackage;
    const other = pair.toolkit === "cdktf" ? isCdktnPackage : isCdktfPackage;
    expect(tree.filter(({ name }) => other(name))).toEqual([]);
    expect(tree.filter(({ name }) => own(name)).map(({ name, path }) => `${name} ${path}`)).toEqual([
      `${pair.bindings} node_modules/${pair.bindings}`,
      `${pair.toolkit} node_modules/${pair.toolkit}`,
    ]);
    // npm's own view agrees: `npm ls cdktf` finds one copy in a cdktf project, none in a CDK Terrain one.
    const ls = spawnSync("npm", ["ls", "cdktf", "--all", "--parseable"], {
      cwd: project.dir,
      encoding: "utf8",
    });
    expect({ status: ls.status, paths: ls.stdout.trim().split("\n").filter(Boolean) }).toEqual({
      status: 0,
      paths: pair.toolkit === "cdktf" ? [join(project.dir, "node_modules", "cdktf")] : [],
    });
  });

  it("pins the bindings' hashicorp/aws version in required_providers", () => {
    const bindings = JSON.parse(
      readFileSync(join(project.dir, "node_modules", pair.bindings, "package.json"), "utf8"),
    ) as Record<string, { provider?: { version?: string } } | undefined>;
    expect(bindings[pair.toolkit]?.provider?.version ?? bindings.cdktf?.provider?.version).toBe(
      pair.awsVersion,
    );
    expect(stack.terraform.required_providers.aws.version).toBe(pair.awsVersion);
  });

  // On 6.x, `data.aws_region`'s `name` is deprecated in favour of `region` (hashicorp/terraform-provider-aws
  // website/docs/guides/version-6-upgrade.html.markdown, "Data Source aws_region", at
  // 367e03732ee46fcd3c657359945e593484f1a3bf); modules/provider-bindings.ts' regionNameOf reads the right one.
  const onSixX = !pair.awsVersion.startsWith("5.");
  it(
    onSixX
      ? "reads data.aws_region's region, never the deprecated name"
      : "reads data.aws_region's name (5.x has no region attribute)",
    () => {
      const read = regionAttributesRead(text);
      expect(read.length).toBeGreaterThan(0);
      expect([...new Set(read)]).toEqual([onSixX ? "region" : "name"]);
    },
  );

  it("synthesizes the service with the secret's exact ARN in the execution role's policy and no account lookup", () => {
    expect(Object.keys(stack.resource.aws_ecs_service ?? {})).toHaveLength(1);
    expect(Object.keys(stack.data ?? {})).not.toContain("aws_caller_identity");
    const documents = Object.values(stack.data.aws_iam_policy_document) as {
      statement: { actions: string[]; resources?: string[] }[];
    }[];
    const ssmResources = documents
      .flatMap((d) => d.statement)
      .filter((s) => s.actions.includes("ssm:GetParameters"))
      .flatMap((s) => s.resources ?? []);
    const task = Object.values(stack.resource.aws_ecs_task_definition)[0] as {
      container_definitions: string;
    };
    const [app] = JSON.parse(task.container_definitions) as {
      secrets: { name: string; valueFrom: string }[];
      healthCheck: { command: string[] };
    }[];
    const parameterArn = /^arn:.+:ssm:.+:parameter\/orders\/prod\/database-url$/;
    expect(ssmResources.filter((arn) => parameterArn.test(arn))).toHaveLength(1);
    expect(ssmResources.filter((arn) => !arn.startsWith("arn:") && !arn.startsWith("${"))).toEqual([]);
    expect(app?.secrets).toEqual([{ name: "DATABASE_URL", valueFrom: expect.stringMatching(parameterArn) }]);
    expect(app?.healthCheck.command).toEqual([
      "CMD-SHELL",
      "curl -fsS http://127.0.0.1:8080/healthz || exit 1",
    ]);
  });

  if (onSixX) {
    it.each(["blueGreen", "linear", "canary"])(
      "synthesizes the %s strategy in the provider's own schema (the bindings serialize the same blocks alike)",
      (name) => {
        // GIVEN the strategy (strategies.ts) WHEN synthesized THEN the 6.x-only blocks are those the bindings' own
        // EcsService class writes from the same values: no key the schema lacks, no value of another type
        const result = strategies[name];
        expect(result.error).toBeUndefined();
        expect(result.blocks).toEqual(result.bindings);
        expect(result.blocks.deployment_configuration.strategy).toBe(
          { blueGreen: "BLUE_GREEN", linear: "LINEAR", canary: "CANARY" }[name],
        );
        expect(Object.keys(result.blocks.load_balancer[0].advanced_configuration).sort()).toEqual(
          name === "blueGreen"
            ? ["alternate_target_group_arn", "production_listener_rule", "role_arn", "test_listener_rule"]
            : ["alternate_target_group_arn", "production_listener_rule", "role_arn"],
        );
        // ECS owns the rules' actions (weights): Terraform ignores them (hashicorp/terraform-provider-aws#43905), and
        // replaces the rules with their target groups (bare addresses, as Terraform needs them there)
        const groupId = expect.stringMatching(/^aws_lb_target_group\.[A-Za-z0-9_]+\.id$/);
        for (const rule of result.rules)
          expect(rule.lifecycle).toEqual({
            ignore_changes: ["action"],
            replace_triggered_by: [groupId, groupId],
          });
      },
    );
  } else {
    it("refuses every strategy but rolling, naming the provider version it needs", () => {
      expect(strategies.blueGreen.error).toContain(
        'deployment.strategy.type "blueGreen" needs hashicorp/aws 6.4.0 or newer, and the installed provider bindings are for 5.100.0',
      );
      for (const name of ["linear", "canary"])
        expect(strategies[name].error).toContain(
          `deployment.strategy.type "${name}" needs hashicorp/aws 6.21.0 or newer`,
        );
    });
  }

  // Only hashicorp/aws 5.100.0 exists here as a provider binary (the mirror): 6.x is compiled and
  // synthesized, never planned.
  if (pair.awsVersion === AWS_PROVIDER_VERSION) {
    (canPlan ? it : it.skip)("passes terraform validate and plans offline", () => {
      const workdir = new TerraformWorkdir(
        { orders: join(project.dir, "cdktf.out", "stacks", "orders") },
        "orders",
        mirror as string,
        { overrideDefault: true },
      );
      try {
        workdir.runOk(["init", "-input=false", "-no-color"]);
        expect(workdir.runOk(["validate", "-no-color"])).toMatch(/The configuration is valid/);
        const plan = workdir.planJson({});
        const service = plan.resource_changes.find((r) => r.type === "aws_ecs_service");
        expect(service?.change.actions).toEqual(["create"]);
        expect(existsSync(join(workdir.dir, ".terraform"))).toBe(true);
      } finally {
        workdir.destroy();
      }
    });
  }
});

describe("the example across bindings and toolkits", () => {
  const [cdktf5, cdktf6, cdktn6] = BINDINGS_PAIRS;

  it("Upgrading from 5.x to 6.x bindings changes nothing but the provider constraint and the documented attribute differences", () => {
    // GIVEN the same app synthesized with cdktf on @cdktf/provider-aws 20.1 (aws 5.100.0) and 21.x (aws 6.25.0)
    const five = synthesizedOf(cdktf5);
    const six = synthesizedOf(cdktf6);
    expect(six).not.toEqual(five);
    // WHEN exactly these differences are normalised:
    // 1. the provider constraint: required_providers.aws.version is the bindings' hashicorp/aws version;
    for (const stack of [five, six])
      stack.terraform.required_providers.aws.version = "<bindings' aws version>";
    // 2. data.aws_region: `region` on 6.x where 5.x reads `name` (version 6 upgrade guide, "Data Source
    //    aws_region": name deprecated, use region);
    const sixText = JSON.stringify(six).replace(/\b(data\.aws_region\.[A-Za-z0-9_-]+)\.region\b/g, "$1.name");
    // THEN the two stacks are the same, resource for resource (the project directory in the local backend's
    // path is already `<project>` in both)
    expect(JSON.parse(sixText)).toEqual(five);
  });

  it("the CDK Terrain package synthesizes what the cdktf package does on 6.x bindings", () => {
    // GIVEN the app on cdktn + @cdktn/provider-aws 25.x and on cdktf + @cdktf/provider-aws 21.x
    const cdktf = synthesizedOf(cdktf6);
    const cdktn = synthesizedOf(cdktn6);
    // WHEN what names the tools is normalised: the toolkit's version in its metadata, and required_providers
    // (cdktf writes source "aws", cdktn "hashicorp/aws", the same registry provider; each pins its bindings'
    // 6.x version)
    for (const stack of [cdktf, cdktn]) {
      stack["//"].metadata.version = "<toolkit version>";
      stack.terraform.required_providers.aws = "<hashicorp/aws 6.x>";
    }
    // THEN every resource, data source and reference is the same
    expect(cdktn).toEqual(cdktf);
  });
});

describe("the peer ranges at their upper ends", () => {
  it.each([
    {
      toolkit: "cdktf",
      packageDir: "packages/constructs",
      dependencies: { cdktf: "0.21.0", constructs: "10.8.1", "@cdktf/provider-aws": CDKTF_PROVIDER_AWS_6X },
    },
    {
      toolkit: "cdktn",
      packageDir: "packages/constructs-cdktn",
      dependencies: { cdktn: "0.24.0", constructs: "10.7.2", "@cdktn/provider-aws": "25.7.0" },
    },
  ])(
    "resolve for $toolkit with the newest constructs it accepts (lockfile only)",
    ({ packageDir, dependencies }) => {
      // GIVEN a project with the newest versions the peer ranges admit WHEN npm resolves the tree (no download)
      const project = new ConsumerProject("peers", { dependencies });
      try {
        const { stdout, stderr } = project.runWithOutput("npm", [
          "install",
          "--package-lock-only",
          "--ignore-scripts",
          "--no-audit",
          "--no-fund",
          artifactOf(packageDir),
        ]);
        // THEN it resolves without a conflict, with the versions asked for
        const lock = JSON.parse(readFileSync(join(project.dir, "package-lock.json"), "utf8")) as {
          packages: Record<string, { version?: string }>;
        };
        expect(`${stdout}${stderr}`).not.toMatch(/ERESOLVE/);
        expect(
          Object.fromEntries(
            Object.keys(dependencies).map((name) => [name, lock.packages[`node_modules/${name}`]?.version]),
          ),
        ).toEqual(dependencies);
      } finally {
        project.destroy();
      }
    },
  );
});
