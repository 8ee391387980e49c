import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type App, TerraformStack, Testing } from "cdktf";
import fc from "fast-check";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { TerraformWorkdir, terraformSuite } from "../support/terraform";

const { mirror, describe: describeWithTerraform } = terraformSuite("the property test");

/** Mostly a value from `valid`, sometimes one just outside what is allowed, so both outcomes occur. */
function mostly<V, I>(valid: fc.Arbitrary<V>, invalid: fc.Arbitrary<I>): fc.Arbitrary<V | I> {
  const either = (a: fc.Arbitrary<V> | fc.Arbitrary<I>) => a as fc.Arbitrary<V | I>;
  return fc.oneof({ weight: 9, arbitrary: either(valid) }, { weight: 1, arbitrary: either(invalid) });
}

/** Props a user could plausibly pass. */
const props = fc.record(
  {
    serviceName: mostly(
      fc.constantFrom("koaapp", "orders-api", "Svc_2"),
      fc.constantFrom("bad name", "", "-lead"),
    ),
    taskSize: mostly(
      fc.constantFrom([512, 1024], [1024, 4096], [2048, 16384], [8192, 61440], [16384, 122880]),
      fc.constantFrom([300, 1024], [512, 512], [256, 4096], [0, 0]),
    ),
    appCpu: mostly(fc.integer({ min: 0, max: 256 }), fc.integer({ min: 0, max: 20_000 })),
    appMemoryMiB: mostly(fc.integer({ min: 6, max: 256 }), fc.integer({ min: 1, max: 130_000 })),
    containerPort: mostly(
      fc.integer({ min: 1024, max: 65535 }).filter((p) => p !== 25888),
      fc.constantFrom(0, 25888, 70000),
    ),
    desiredCount: mostly(fc.integer({ min: 0, max: 10 }), fc.constant(-1)),
    stopTimeoutSeconds: mostly(fc.integer({ min: 2, max: 120 }), fc.constantFrom(0, 1, 150)),
    logRetentionDays: mostly(fc.constantFrom(1, 7, 30, 365, 3653), fc.constantFrom(0, 2, 10000)),
    imageTag: mostly(fc.constantFrom("1.2.3", "sha-0a1b2c", "v2"), fc.constantFrom("latest", ".hidden")),
    ingressCidrs: mostly(
      fc.array(fc.constantFrom("10.0.0.0/16", "192.168.1.0/24"), { maxLength: 2 }),
      fc.array(fc.constantFrom("0.0.0.0/0", "10.0.0.0/33", "nope"), { minLength: 1, maxLength: 2 }),
    ),
    namespace: mostly(fc.constantFrom("koaapp", "team/orders"), fc.constantFrom("AWS/ECS", "bad*ns", "")),
    health: mostly(
      fc.integer({ min: 10, max: 300 }).map((interval) => [interval, 5]),
      fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 70 })),
    ),
  },
  { requiredKeys: [] },
);

type Generated = typeof props extends fc.Arbitrary<infer T> ? T : never;

function toServiceProps(g: Generated): EmfFargateServiceProps {
  return {
    serviceName: g.serviceName ?? "koaapp",
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-aaaa", "subnet-bbbb"],
    secrets: [
      {
        name: "APP_SECRET",
        valueFrom: "arn:aws:ssm:eu-west-2:123456789012:parameter/app/secret",
        store: "ssm",
      },
    ],
    imageTag: g.imageTag ?? "1.2.3",
    taskCpu: g.taskSize?.[0],
    taskMemoryMiB: g.taskSize?.[1],
    appCpu: g.appCpu,
    appMemoryMiB: g.appMemoryMiB,
    containerPort: g.containerPort,
    desiredCount: g.desiredCount,
    stopTimeoutSeconds: g.stopTimeoutSeconds,
    logRetentionDays: g.logRetentionDays,
    ingressCidrs: g.ingressCidrs,
    metrics: g.namespace === undefined ? undefined : { namespace: g.namespace },
    healthCheck: g.health
      ? {
          command: ["CMD-SHELL", "curl -fsS http://127.0.0.1/ || exit 1"],
          interval: g.health[0],
          timeout: g.health[1],
        }
      : false,
  };
}

/** The prop names an error line may begin with, for these generated props. */
const PROP_PREFIX =
  /^(serviceName|taskCpu|taskMemoryMiB|containerPort|desiredCount|logRetentionDays|imageTag|repositoryName|ingressCidrs|metrics\.namespace|metrics\.logGroupName|metrics\.logStreamName|logGroupName|containers(\[[^\]]*\])?[. ])/;

describeWithTerraform("EmfFargateService with random props", () => {
  let workdir: TerraformWorkdir;
  const seedDir = mkdtempSync(join(tmpdir(), "emf-fargate-props-"));

  beforeAll(() => {
    // One initialised directory; each case swaps in its own cdk.tf.json (same provider, no re-init).
    writeFileSync(join(seedDir, "cdk.tf.json"), synth(toServiceProps({})));
    workdir = new TerraformWorkdir({ stack: seedDir }, "stack", mirror, { region: "eu-west-2" });
    workdir.runOk(["init", "-input=false", "-no-color", "-backend=false"]);
  }, 300_000);

  afterAll(() => {
    workdir?.destroy();
    rmSync(seedDir, { recursive: true, force: true });
  });

  function synth(serviceProps: EmfFargateServiceProps): string {
    const app = Testing.app();
    const stack = new TerraformStack(app as App, "props");
    new AwsProvider(stack, "aws", { region: "eu-west-2" });
    new EmfFargateService(stack, "Service", serviceProps);
    const tf = JSON.parse(Testing.synth(stack));
    // The test supplies its own offline provider settings.
    delete tf.provider;
    return JSON.stringify(tf);
  }

  it("either refuses the props naming each bad prop, or yields a stack terraform validates", () => {
    let valid = 0;
    let refused = 0;
    fc.assert(
      fc.property(props, (generated) => {
        let json: string;
        try {
          json = synth(toServiceProps(generated));
        } catch (error) {
          // THEN the error names the construct path and, on every line, the prop at fault
          const [head, ...lines] = (error as Error).message.split("\n- ");
          expect(head).toBe("props/Service: invalid props:");
          for (const line of lines) expect(line).toMatch(PROP_PREFIX);
          refused += 1;
          return;
        }
        writeFileSync(join(workdir.dir, "cdk.tf.json"), json);
        const result = workdir.run(["validate", "-no-color"]);
        expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
        valid += 1;
      }),
      { numRuns: 60, seed: 20261125 },
    );
    // Both outcomes were exercised, so the property is not vacuous.
    expect(valid).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 600_000);
});
