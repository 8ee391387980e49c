/**
 * After a blue/green, linear or canary deployment, ECS leaves the production listener rule forwarding to the other
 * target group (weights swapped). The next `terraform plan` must plan nothing — owning the rule's action would send
 * production traffic back to the target group whose tasks were just stopped. Proved with a real offline plan on
 * hashicorp/aws 5.100.0, where the load balancer, its listeners, rules and target groups exist (the ECS service's
 * 6.x-only blocks are checked in the synthesized JSON by the construct's tests): state built from the plan, the rule's
 * weights swapped as ECS leaves them, then planned with -refresh=false. A rule of the same shape without the
 * construct's lifecycle is the control. Then the container port changes, which replaces both target groups: the
 * rules whose action Terraform ignores must be replaced with them, or they would keep forwarding to the old groups.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack } from "cdktf";
import { resolveStrategy } from "../../modules/deployment-strategy";
import { resolveLoadBalancer, ServiceLoadBalancer } from "../../modules/service-load-balancer";
import { TerraformWorkdir, terraformSuite } from "../support/terraform";
import { applyOffline, awsResourceSchemas, changesOf } from "../support/terraform-state";
import { IDS } from "./support";

const { mirror, describe: describeWithTerraform } = terraformSuite("the traffic-shift drift plan");

type Resource = { type: string; name: string; instances: { attributes: Record<string, any> }[] };

/** The state with every rule's forward weights swapped, as ECS leaves them after a deployment. */
function swapWeights(state: Record<string, unknown>): Record<string, unknown> {
  const resources = (state.resources as Resource[]).map((r) => {
    if (r.type !== "aws_lb_listener_rule") return r;
    const [instance] = r.instances as [{ attributes: Record<string, any> }];
    const action = (instance.attributes.action as any[]).map((a) => ({
      ...a,
      forward: a.forward.map((f: any) => ({
        ...f,
        target_group: f.target_group.map((tg: any) => ({ ...tg, weight: 100 - tg.weight })),
      })),
    }));
    return { ...r, instances: [{ ...instance, attributes: { ...instance.attributes, action } }] };
  });
  return { ...state, serial: Number(state.serial) + 1, resources };
}

/**
 * Synthesizes a created load balancer for a blue/green service with a test listener, targets on `targetPort`, and a
 * control rule of the same shape that Terraform owns entirely; returns the stack's directory.
 */
function synthesizeShift(outdir: string, targetPort: number): string {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "shift");
  // The work directory adds the offline provider; the state is terraform.tfstate there (no backend block).
  new AwsProvider(stack, "aws", {});
  stack.addOverride("provider", undefined);
  stack.addOverride("terraform.backend", undefined);
  const lb = new ServiceLoadBalancer(stack, "LoadBalancer", {
    options: resolveLoadBalancer({ scheme: "internet-facing", subnetIds: IDS.publicSubnets }, "orders"),
    vpcId: IDS.vpc,
    targetPort,
    dependsOn: [],
    trafficShift: resolveStrategy({ type: "blueGreen", testListener: { port: 8443 } }),
  });
  const shifting = lb.shifting as NonNullable<typeof lb.shifting>;
  new LbListenerRule(stack, "Control", {
    listenerArn: lb.listeners[0]?.arn as string,
    priority: 2,
    condition: [{ pathPattern: { values: ["/control/*"] } }],
    action: [
      {
        type: "forward",
        forward: {
          targetGroup: [
            { arn: lb.targetGroup.resource.arn, weight: 100 },
            { arn: shifting.alternateTargetGroup.resource.arn, weight: 0 },
          ],
        },
      },
    ],
  });
  app.synth();
  return join(outdir, "stacks", "shift");
}

describeWithTerraform(
  "a traffic-shifting load balancer after ECS swapped the weights, planned offline",
  () => {
    const outdir = mkdtempSync(join(tmpdir(), "emf-fargate-shift-"));
    let workdir: TerraformWorkdir;
    let remaining: string[];
    let afterDeployment: string[];
    let newPort: string[];
    let weights: number[][];

    beforeAll(async () => {
      // GIVEN a created load balancer for a blue/green service with a test listener, and a control rule
      workdir = new TerraformWorkdir(
        { shift: synthesizeShift(join(outdir, "8080"), 8080) },
        "shift",
        mirror,
        {
          region: "eu-west-2",
        },
      );
      workdir.runOk(["init", "-input=false", "-no-color"]);
      const created = workdir.planJson({}, "create.bin");
      const settled = await applyOffline(workdir, created, await awsResourceSchemas(workdir), {});
      remaining = settled.remaining;
      // WHEN ECS has completed a deployment (every rule's weights swapped) and the same configuration is planned
      const swapped = swapWeights(settled.state);
      weights = (swapped.resources as Resource[])
        .filter((r) => r.type === "aws_lb_listener_rule")
        .map((r) => {
          const [instance] = r.instances as [{ attributes: Record<string, any> }];
          return instance.attributes.action[0].forward[0].target_group.map((tg: any) => tg.weight);
        });
      writeFileSync(join(workdir.dir, "terraform.tfstate"), JSON.stringify(swapped));
      afterDeployment = changesOf(workdir.planJson({}, "after.bin", ["-refresh=false"]));
      // AND WHEN the container port changes afterwards (the same state, the configuration for port 9090)
      const port9090 = synthesizeShift(join(outdir, "9090"), 9090);
      copyFileSync(join(port9090, "cdk.tf.json"), join(workdir.dir, "cdk.tf.json"));
      newPort = changesOf(workdir.planJson({}, "port.bin", ["-refresh=false"]));
    }, 300_000);

    afterAll(() => {
      workdir?.destroy();
      rmSync(outdir, { recursive: true, force: true });
    });

    it("settles: before the deployment, a plan of the same configuration changes nothing", () => {
      expect(remaining).toEqual([]);
    });

    it("THEN the production and test rules plan nothing, and only the control rule would be written back", () => {
      expect(weights.map((w) => [...w].sort((a, b) => a - b))).toEqual([
        [0, 100],
        [0, 100],
        [0, 100],
      ]);
      expect(afterDeployment).toEqual(["aws_lb_listener_rule.Control update"]);
    });

    it("THEN a new container port replaces both target groups, and with them the rules whose action ECS owns", () => {
      // The target groups are created before the old ones go (create_before_destroy); each rule is replaced by its
      // replace_triggered_by on the groups' ids, so it forwards to the new groups. Without it the plan keeps the
      // rules (their action is ignored) and the old groups' deletion would fail while the rules use them. The
      // control rule, whose action Terraform owns, is updated in place.
      expect([...newPort].sort()).toEqual([
        "aws_lb_listener_rule.Control update",
        "aws_lb_listener_rule.LoadBalancer_ProductionRule_1FFFF78B delete+create",
        "aws_lb_listener_rule.LoadBalancer_TestRule_238EEAAF delete+create",
        "aws_lb_target_group.LoadBalancer_AlternateTargets_A9DD7089 create+delete",
        "aws_lb_target_group.LoadBalancer_Targets_A57B7976 create+delete",
      ]);
    });
  },
);
