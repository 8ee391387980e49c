import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import {
  AWS_PROVIDER_VERSION,
  findProviderMirror,
  hasTerraform,
  TerraformWorkdir,
} from "../support/terraform";
import { artifactOf, ConsumerProject, lockedVersion } from "./support/consumer-project";
import { againstDocumented, documentedSizes } from "./support/documented-sizes";
import {
  BINDINGS_PAIRS,
  type BindingsPair,
  CDKTF_PROVIDER_AWS_6X,
  EXAMPLE_FIXTURE,
  exampleApp,
  FIXTURE_FILES,
  isCdktfPackage,
  isCdktnPackage,
  providerTypesConstructedBy,
} from "./support/toolkits";

const mirror = findProviderMirror();
const canPlan = hasTerraform() && mirror !== undefined;
if (!canPlan && process.env.CI === "true") {
  throw new Error(
    `the construct consumer test needs terraform and the provider mirror; mirror: ${mirror ?? "missing"}`,
  );
}

const HOOK = "arn:aws:lambda:eu-west-1:123456789012:function:smoke-test";
const EXISTING_LISTENER =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared/50dc6c495c0c9188/f2f7dc8efc522ab2";
const CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/3f1e6b2a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";

/**
 * The cases of fixtures/cdktf-app/strategies.ts with what each must synthesize on 6.x bindings, written out from
 * the fixture's inputs (none of them the construct's default). The service's timeouts are the provider's 20 minutes
 * plus the deployment's minutes: blue/green the bake; linear ceil(100 / step %) steps of the step bake, then the
 * bake; canary the canary bake, then the bake.
 */
const STRATEGY_CASES: {
  name: string;
  expected: {
    type: string;
    frontDoor: string;
    strategy: string;
    bakeTimeMinutes: string;
    configuration: Record<string, unknown>;
    hooks: { hook_target_arn: string; lifecycle_stages: string[] }[];
    testListener: boolean;
    timeout: string;
  };
}[] = [
  {
    name: "blueGreen",
    expected: {
      type: "blueGreen",
      frontDoor: "Orders/LoadBalancer/",
      strategy: "BLUE_GREEN",
      bakeTimeMinutes: "15",
      configuration: {},
      hooks: [{ hook_target_arn: HOOK, lifecycle_stages: ["POST_TEST_TRAFFIC_SHIFT"] }],
      testListener: true,
      timeout: "35m",
    },
  },
  {
    name: "linear",
    expected: {
      type: "linear",
      frontDoor: "Orders/LoadBalancer/",
      strategy: "LINEAR",
      bakeTimeMinutes: "4",
      configuration: { linear_configuration: { step_percent: 25, step_bake_time_in_minutes: "3" } },
      hooks: [],
      testListener: false,
      timeout: "36m", // 20 + 4 steps x 3 + 4
    },
  },
  {
    name: "canary",
    expected: {
      type: "canary",
      frontDoor: "Orders/LoadBalancer/",
      strategy: "CANARY",
      bakeTimeMinutes: "20",
      configuration: { canary_configuration: { canary_percent: 7.5, canary_bake_time_in_minutes: "5" } },
      hooks: [
        { hook_target_arn: HOOK, lifecycle_stages: ["PRE_SCALE_UP", "POST_PRODUCTION_TRAFFIC_SHIFT"] },
        {
          hook_target_arn: "arn:aws:lambda:eu-west-1:123456789012:function:load-check",
          lifecycle_stages: ["PRODUCTION_TRAFFIC_SHIFT"],
        },
      ],
      testListener: false,
      timeout: "45m", // 20 + 5 + 20
    },
  },
  {
    name: "canaryOnExistingListener",
    expected: {
      type: "canary",
      frontDoor: "Orders/",
      strategy: "CANARY",
      bakeTimeMinutes: "12",
      configuration: { canary_configuration: { canary_percent: 12.5, canary_bake_time_in_minutes: "8" } },
      hooks: [],
      testListener: false,
      timeout: "40m", // 20 + 8 + 12
    },
  },
  {
    name: "blueGreenHttps",
    expected: {
      type: "blueGreen",
      frontDoor: "Orders/LoadBalancer/",
      strategy: "BLUE_GREEN",
      bakeTimeMinutes: "30",
      configuration: {},
      hooks: [],
      testListener: true,
      timeout: "50m",
    },
  },
];

/** A synthesized stack as text, with the project's directory (in the local backend's path) as `<project>`. */
interface Synthesized {
  readonly text: string;
  readonly json: Record<string, any>;
}

/** Each pair's synthesized apps (the example, `main`, and every feature, `features`), for the comparisons at the end. */
const synthesized = new Map<string, Synthesized>();

function synthesizedOf(
  pair: BindingsPair | undefined,
  app: "main" | "features" = "main",
): Record<string, any> {
  const found = pair && synthesized.get(`${app} ${pair.name}`);
  if (!found) throw new Error(`${pair?.name ?? "a pair"} was not synthesized (see its own tests' failure)`);
  return structuredClone(found.json);
}

/** A synthesized stack's `cdk.tf.json` as text, with the project directory (in the local backend's path) as `<project>`. */
function readSynthesized(project: ConsumerProject, path: string): Synthesized {
  const text = readFileSync(join(project.dir, path), "utf8").split(project.dir).join("<project>");
  return { text, json: JSON.parse(text) };
}

/** `${type.name.attribute}`: a reference to the resource or data source `address` (`type.name`, or `data.type.name`). */
const ref = (address: string, attribute = "arn") => `\${${address}.${attribute}}`;

/**
 * The address (`type.name`) of the one resource of `type` whose construct path ends with `pathEnd`, found by its
 * logical id (the path's components joined by `_`, without a last `Resource`, and a hash): Testing.synth, which
 * strategies.ts uses, leaves out the `//` metadata that names paths.
 */
function addressOf(stack: Record<string, any>, type: string, pathEnd: string, kind = "resource"): string {
  const id = pathEnd.replace(/\/Resource$/, "").replace(/\//g, "_");
  const names = Object.keys(stack[kind]?.[type] ?? {}).filter((name) =>
    new RegExp(`(^|_)${id}_[0-9A-F]{8}$`).test(name),
  );
  if (names.length !== 1) throw new Error(`${names.length} ${type} at .../${pathEnd}, expected 1`);
  return `${kind === "data" ? "data." : ""}${type}.${names[0]}`;
}

/** Every `type.name` (and `data.type.name`) with its block, the stack's own metadata (`//`) left out. */
function blocksByAddress(stack: Record<string, any>): Map<string, unknown> {
  const blocks = new Map<string, unknown>();
  for (const kind of ["resource", "data"])
    for (const [type, byName] of Object.entries(stack[kind] ?? {}))
      for (const [name, block] of Object.entries(byName as object))
        blocks.set(`${kind === "data" ? "data." : ""}${type}.${name}`, block);
  return blocks;
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
  let forgottenDependency: string;

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
    for (const file of FIXTURE_FILES) project.write(file, exampleApp(pair.toolkit, file));
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
    ({ text, json: stack } = readSynthesized(project, "cdktf.out/stacks/orders/cdk.tf.json"));
    synthesized.set(`main ${pair.name}`, { text, json: stack });
    project.run(process.execPath, ["dist/features.js"]);
    synthesized.set(
      `features ${pair.name}`,
      readSynthesized(project, "features.out/stacks/features/cdk.tf.json"),
    );
    strategies = JSON.parse(project.run(process.execPath, ["dist/strategies.js"]));
    forgottenDependency = project.run(process.execPath, ["dist/forgotten-dependency.js"]);
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

  it("adds the package's size docs/toolkits.md states, and that page states this project's size", () => {
    // GIVEN the sizes table's row for this toolkit and these bindings WHEN compared with what was just measured
    const documented = documentedSizes(`${pair.bindings} ${pair.dependencies[pair.bindings]}`);
    // THEN both figures are within SIZE_TOLERANCE: a page left behind by a change of the package or the peers fails
    // here, naming the measured figure to write there
    expect([
      againstDocumented("node_modules with the peers", before.bytes, documented.before),
      againstDocumented("added by the package", after.bytes - before.bytes, documented.added),
    ]).toEqual([
      expect.objectContaining({ withinTolerance: true }),
      expect.objectContaining({ withinTolerance: true }),
    ]);
  });

  it("runs the example's ReliabilityChecks: a created VPC without network.dependsOn fails synth, naming the rule", () => {
    // GIVEN the example's service and Aspect in a VPC created beside it, the gateway not in network.dependsOn
    // WHEN synthesized THEN synth throws the rule's finding; without the Aspect the same stack synthesizes silently
    expect(forgottenDependency).toContain(
      "[load-balancer-after-gateway] orders/Orders/LoadBalancer/Resource:",
    );
    expect(forgottenDependency).toContain(
      "does not depend on aws_internet_gateway.Gateway, aws_route.ToInternet: Terraform may create it before the gateway is attached (InvalidSubnet)",
    );
    expect(project.run(process.execPath, ["dist/forgotten-dependency.js", "without-checks"])).toBe(
      "synthesized",
    );
  });

  if (onSixX) {
    it.each(STRATEGY_CASES)(
      "synthesizes $name in the provider's own schema, with the values it was given",
      ({ name, expected }) => {
        // GIVEN the case of strategies.ts WHEN synthesized
        const result = strategies[name];
        expect(result.error).toBeUndefined();
        const json = result.stack as Record<string, any>;
        const [serviceAddress] = [...blocksByAddress(json).keys()].filter((a) =>
          a.startsWith("aws_ecs_service."),
        );
        const service = json.resource.aws_ecs_service[(serviceAddress as string).split(".")[1] as string];
        const at = (type: string, pathEnd: string) =>
          addressOf(json, type, `${expected.frontDoor}${pathEnd}`);
        const roleAt = (pathEnd: string) => addressOf(json, "aws_iam_role", `DeploymentRoles/${pathEnd}`);
        // THEN the 6.x-only blocks are those the bindings' own EcsService class writes from the same values: no key
        // the schema lacks, no value of another type
        expect(result.blocks).toEqual(result.bindings);
        // and they carry the case's values, none of them a default (the types are the schema's, as the generated
        // @cdktf/provider-aws 21.22.1 lib/ecs-service declares them: bake_time_in_minutes and the step and canary
        // bake times strings, step_percent and canary_percent numbers; lifecycle_hook hook_target_arn, role_arn
        // and lifecycle_stages)
        expect(service.deployment_configuration).toEqual({
          strategy: expected.strategy,
          bake_time_in_minutes: expected.bakeTimeMinutes,
          ...expected.configuration,
          ...(expected.hooks.length > 0
            ? {
                lifecycle_hook: expected.hooks.map((hook) => ({
                  ...hook,
                  role_arn: ref(roleAt("HooksRole")),
                })),
              }
            : {}),
        });
        if (expected.hooks.length === 0)
          expect(Object.keys(json.resource.aws_iam_role).filter((n) => n.includes("HooksRole"))).toEqual([]);
        // the service's target group, the alternate one, the rule ECS rewrites, and the role it does so with
        expect(service.load_balancer).toEqual([
          {
            container_name: "orders",
            container_port: 8080,
            target_group_arn: ref(at("aws_lb_target_group", "Targets/Resource")),
            advanced_configuration: {
              alternate_target_group_arn: ref(at("aws_lb_target_group", "AlternateTargets/Resource")),
              production_listener_rule: ref(at("aws_lb_listener_rule", "ProductionRule")),
              ...(expected.testListener
                ? { test_listener_rule: ref(at("aws_lb_listener_rule", "TestRule")) }
                : {}),
              role_arn: ref(roleAt("LoadBalancerRole")),
            },
          },
        ]);
        // the provider waits for a steady state 20 minutes by default; the deployment's shifts and bake come on top
        expect(service.timeouts).toEqual({ create: expected.timeout, update: expected.timeout });
        // ECS owns the rules' actions (weights): Terraform ignores them (hashicorp/terraform-provider-aws#43905), and
        // replaces the rules with their target groups (bare addresses, as Terraform needs them there)
        const rules = Object.values(json.resource.aws_lb_listener_rule) as Record<string, any>[];
        expect(rules).toHaveLength(expected.testListener ? 2 : 1);
        const groupId = expect.stringMatching(/^aws_lb_target_group\.[A-Za-z0-9_]+\.id$/);
        for (const rule of rules)
          expect(rule.lifecycle).toEqual({
            ignore_changes: ["action"],
            replace_triggered_by: [groupId, groupId],
          });
      },
    );

    it("shifts traffic through a rule on an existing listener: no load balancer created, ECS may rewrite that rule only", () => {
      // GIVEN canary on loadBalancer.existingListener (strategies.ts) WHEN synthesized
      const json = strategies.canaryOnExistingListener.stack as Record<string, any>;
      const production = json.resource.aws_lb_listener_rule[
        addressOf(json, "aws_lb_listener_rule", "Orders/ProductionRule").split(".")[1] as string
      ] as Record<string, any>;
      // THEN the construct creates no load balancer nor listener; its rule on the given listener forwards to both
      // target groups, all production traffic to the service's (ECS swings the weights during a deployment)
      expect(json.resource.aws_lb).toBeUndefined();
      expect(json.resource.aws_lb_listener).toBeUndefined();
      expect(production).toMatchObject({
        listener_arn: EXISTING_LISTENER,
        priority: 120,
        condition: [{ path_pattern: { values: ["/orders/*"] } }],
        action: [
          {
            type: "forward",
            forward: {
              target_group: [
                { arn: ref(addressOf(json, "aws_lb_target_group", "Orders/Targets/Resource")), weight: 100 },
                {
                  arn: ref(addressOf(json, "aws_lb_target_group", "Orders/AlternateTargets/Resource")),
                  weight: 0,
                },
              ],
            },
          },
        ],
      });
      // and the infrastructure role may rewrite that rule and modify that listener, nothing else
      const policy = json.data.aws_iam_policy_document[
        addressOf(json, "aws_iam_policy_document", "DeploymentRoles/ShiftTraffic", "data").split(
          ".",
        )[2] as string
      ] as { statement: { sid: string; resources: string[] }[] };
      const resourcesOf = (sid: string) => policy.statement.find((st) => st.sid === sid)?.resources;
      expect(resourcesOf("ShiftRules")).toEqual([
        ref(addressOf(json, "aws_lb_listener_rule", "Orders/ProductionRule")),
      ]);
      expect(resourcesOf("ModifyListeners")).toEqual([EXISTING_LISTENER]);
    });

    it("serves the test listener over HTTPS with the production listener's certificate and TLS policy", () => {
      // GIVEN blue/green with a test listener on a load balancer with a certificate (strategies.ts) WHEN synthesized
      const json = strategies.blueGreenHttps.stack as Record<string, any>;
      const listener = (pathEnd: string) =>
        json.resource.aws_lb_listener[
          addressOf(json, "aws_lb_listener", `LoadBalancer/${pathEnd}`).split(".")[1] as string
        ] as Record<string, any>;
      const rule = (pathEnd: string) =>
        json.resource.aws_lb_listener_rule[
          addressOf(json, "aws_lb_listener_rule", `LoadBalancer/${pathEnd}`).split(".")[1] as string
        ] as Record<string, any>;
      const https = listener("Https");
      const test = listener("TestListener");
      // THEN production is HTTPS on 443 and the test listener HTTPS on its port, with the same certificate and
      // policy; each answers 404 itself and carries one rule ECS rewrites
      expect(https).toMatchObject({ port: 443, protocol: "HTTPS", certificate_arn: CERTIFICATE });
      expect(test).toMatchObject({
        port: 9443,
        protocol: "HTTPS",
        certificate_arn: CERTIFICATE,
        ssl_policy: https.ssl_policy,
      });
      expect(typeof https.ssl_policy).toBe("string");
      for (const l of [https, test])
        expect(l.default_action).toEqual([
          { type: "fixed-response", fixed_response: { content_type: "text/plain", status_code: "404" } },
        ]);
      expect(rule("ProductionRule").listener_arn).toBe(
        ref(addressOf(json, "aws_lb_listener", "LoadBalancer/Https")),
      );
      expect(rule("TestRule").listener_arn).toBe(
        ref(addressOf(json, "aws_lb_listener", "LoadBalancer/TestListener")),
      );
      // test traffic reaches the new tasks (weight 100 on the alternate target group) before production does
      expect(
        rule("TestRule").action[0].forward.target_group.map((t: { weight: number }) => t.weight),
      ).toEqual([0, 100]);
      // and port 80 only redirects to HTTPS
      expect(listener("Http").default_action).toEqual([
        { type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } },
      ]);
    });
  } else {
    it("refuses every strategy but rolling, naming the provider version it needs", () => {
      for (const { name, expected } of STRATEGY_CASES)
        expect(strategies[name].error).toContain(
          `deployment.strategy.type "${expected.type}" needs hashicorp/aws ${expected.type === "blueGreen" ? "6.4.0" : "6.21.0"} or newer, and the installed provider bindings are for 5.100.0`,
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

  /**
   * `stack` with exactly the documented differences between 5.x and 6.x bindings normalised (docs/toolkits.md,
   * "hashicorp/aws 5.x and 6.x"): 1. the provider constraint, required_providers.aws.version, the bindings'
   * hashicorp/aws version; 2. data.aws_region: `region` on 6.x where 5.x reads `name` (version 6 upgrade guide, "Data
   * Source aws_region": name deprecated, use region). Returns the stack and how many region reads it renamed.
   */
  function normalised(stack: Record<string, any>): { stack: Record<string, any>; regionReads: number } {
    stack.terraform.required_providers.aws.version = "<bindings' aws version>";
    let regionReads = 0;
    const text = JSON.stringify(stack).replace(/\b(data\.aws_region\.[A-Za-z0-9_-]+)\.region\b/g, (_, at) => {
      regionReads += 1;
      return `${at}.name`;
    });
    return { stack: JSON.parse(text), regionReads };
  }

  it.each(["main", "features"] as const)(
    "Upgrading from 5.x to 6.x bindings changes nothing in the %s app but the provider constraint and the documented attribute differences, resource by resource",
    (app) => {
      // GIVEN the same app synthesized with cdktf on @cdktf/provider-aws 20.1 (aws 5.100.0) and 21.x (aws 6.25.0)
      const five = synthesizedOf(cdktf5, app);
      const six = synthesizedOf(cdktf6, app);
      expect(six).not.toEqual(five);
      // WHEN exactly the documented differences are normalised
      const fiveAsIs = normalised(five);
      const sixNormalised = normalised(six);
      expect(fiveAsIs.regionReads).toBe(0);
      expect(sixNormalised.regionReads).toBeGreaterThan(0);
      // THEN every resource and data source has the same address and the same block, one by one (the project
      // directory in the local backend's path is already `<project>` in both)
      const before = blocksByAddress(fiveAsIs.stack);
      const after = blocksByAddress(sixNormalised.stack);
      expect([...after.keys()]).toEqual([...before.keys()]);
      expect(
        [...before]
          .filter(([address, block]) => !isDeepStrictEqual(after.get(address), block))
          .map(([a]) => a),
      ).toEqual([]);
      for (const [address, block] of before)
        expect({ address, block: after.get(address) }).toEqual({ address, block });
      // and so is everything else: required_providers, the backend, variables, outputs, the toolkit's metadata
      expect(sixNormalised.stack).toEqual(fiveAsIs.stack);
    },
  );

  it("the app of every feature creates every resource and data source type the construct library can create", () => {
    // GIVEN the provider classes modules/ instantiates WHEN the features app is synthesized THEN it has each type,
    // so the resource-by-resource comparison above speaks for everything the package creates
    const features = blocksByAddress(synthesizedOf(cdktf5, "features"));
    const types = new Set([...features.keys()].map((address) => address.split(".").slice(0, -1).join(".")));
    expect(providerTypesConstructedBy().filter((type) => !types.has(type))).toEqual([]);
    expect(providerTypesConstructedBy().length).toBeGreaterThan(20);
  });

  it("uses nothing the version 6 upgrade guide removes or deprecates for the types the package creates", () => {
    // GIVEN the upgrade guide's entries for those types (hashicorp/terraform-provider-aws
    // website/docs/guides/version-6-upgrade.html.markdown at 367e03732ee46fcd3c657359945e593484f1a3bf): Resource
    // aws_ecs_task_definition, inference_accelerator removed; Resource aws_lb_listener, mutual_authentication's
    // arguments only with mode verify; aws_lb_target_group, preserve_client_ip's validation; Data Source aws_region,
    // name deprecated. No other entry names a type of providerTypesConstructedBy().
    const six = synthesizedOf(cdktf6, "features");
    const argumentsIn = (type: string) =>
      Object.values(six.resource[type] ?? {}).flatMap((block) => Object.keys(block as object));
    // WHEN the features app is synthesized on 6.x bindings THEN it sets none of those arguments and reads no `name`
    expect(argumentsIn("aws_ecs_task_definition")).not.toContain("inference_accelerator");
    expect(argumentsIn("aws_lb_listener")).not.toContain("mutual_authentication");
    expect(argumentsIn("aws_lb_target_group")).not.toContain("preserve_client_ip");
    expect(argumentsIn("aws_lb_listener").length).toBeGreaterThan(0);
    expect([...new Set(regionAttributesRead(JSON.stringify(six)))]).toEqual(["region"]);
  });

  it.each(["main", "features"] as const)(
    "the CDK Terrain package synthesizes what the cdktf package does on 6.x bindings (the %s app)",
    (app) => {
      // GIVEN the app on cdktn + @cdktn/provider-aws 25.x and on cdktf + @cdktf/provider-aws 21.x
      const cdktf = synthesizedOf(cdktf6, app);
      const cdktn = synthesizedOf(cdktn6, app);
      // WHEN what names the tools is normalised: the toolkit's version in its metadata, and required_providers
      // (cdktf writes source "aws", cdktn "hashicorp/aws", the same registry provider; each pins its bindings'
      // 6.x version)
      for (const stack of [cdktf, cdktn]) {
        stack["//"].metadata.version = "<toolkit version>";
        stack.terraform.required_providers.aws = "<hashicorp/aws 6.x>";
      }
      // THEN every resource, data source and reference is the same
      expect(cdktn).toEqual(cdktf);
    },
  );
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
