/**
 * EmfFargateService for an image that is not the sample: a service on port 8080 in an existing VPC, with one
 * secret from an existing SSM parameter given by name, its own curl health check and no load balancer. The
 * construct must add only what EMF needs, turn the name into one exact ARN for both the task definition and
 * IAM without asking AWS, and give terraform a configuration it validates and plans offline.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TerraformLocal, TerraformStack } from "cdktf";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { type TerraformPlan, TerraformWorkdir, terraformSuite } from "../support/terraform";
import {
  blockOf,
  childOf,
  containerDefinitionsOf,
  containerNamed,
  environmentOf,
  IDS,
  ref,
  resourcesOf,
  secretsOf,
  statementsOf,
  synthStack,
} from "./support";

const { mirror, describe: describeWithTerraform } = terraformSuite("the any-image plan test");

const SUBNETS = IDS.subnets;
const ORDERS_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:1.4.2";
const ORDERS_HEALTH_CHECK = {
  command: ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/healthz || exit 1"],
  interval: 15,
  timeout: 5,
  retries: 3,
  startPeriod: 20,
};

/** An orders API: someone else's image, settings and health check, in private subnets behind a NAT gateway. */
const ORDERS: EmfFargateServiceProps = {
  serviceName: "orders",
  container: {
    image: ORDERS_IMAGE,
    port: 8080,
    secrets: [{ name: "DATABASE_URL", valueFrom: "/orders/prod/database-url", store: "ssm" }],
    environment: { SPRING_PROFILES_ACTIVE: "prod" },
    healthCheck: ORDERS_HEALTH_CHECK,
  },
  network: { vpcId: IDS.vpc, subnetIds: SUBNETS, outbound: "nat" },
};

function ordersStack(stack: TerraformStack): EmfFargateService {
  return new EmfFargateService(stack, "Orders", ORDERS);
}

describe("EmfFargateService for an image that is not the sample", () => {
  const synth = synthStack(ordersStack);
  const service = synth.built;
  const at = (path: string, attribute: string) => ref(synth.stack, childOf(service, path), attribute);
  const app = containerNamed(containerDefinitionsOf(synth.json), "orders");
  const local = synth.stack.getLogicalId(service.node.findChild("SecretArnParts") as TerraformLocal);
  const part = (index: number) => `\${element(local.${local}, ${index})}`;
  const parameterArn = `arn:${part(1)}:ssm:${part(3)}:${part(4)}:parameter/orders/prod/database-url`;

  it("GIVEN port 8080 and the app's own variable WHEN synthesized THEN the container gets PORT, that variable and the EMF settings, nothing of the sample", () => {
    expect(app.portMappings).toEqual([{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }]);
    expect(environmentOf(app)).toEqual({
      PORT: "8080",
      SPRING_PROFILES_ACTIVE: "prod",
      AWS_EMF_AGENT_ENDPOINT: "tcp://127.0.0.1:25888",
      AWS_EMF_SERVICE_NAME: "orders",
      AWS_EMF_SERVICE_TYPE: "AWS::ECS::Container",
      AWS_EMF_LOG_GROUP_NAME: at("EmfLogs", "name"),
      AWS_EMF_LOG_STREAM_NAME: "orders",
      AWS_EMF_NAMESPACE: "orders",
    });
  });

  it("GIVEN its own curl health check WHEN synthesized THEN the container runs exactly it", () => {
    expect(app.healthCheck).toEqual(ORDERS_HEALTH_CHECK);
  });

  it("GIVEN an existing SSM parameter by name WHEN synthesized THEN valueFrom is its full ARN from the EMF log group's partition, region and account", () => {
    expect(secretsOf(app)).toEqual({ DATABASE_URL: parameterArn });
    expect((synth.json as { locals?: unknown }).locals).toEqual({
      [local]: `\${split(":", ${at("EmfLogs", "arn").slice(2, -1)})}`,
    });
  });

  it("GIVEN the same parameter WHEN synthesized THEN the execution role may read exactly that ARN and the agent's configuration, nothing by bare name", () => {
    const policy = blockOf(synth, childOf(service, "Roles/ExecutionRoleSecrets")).policy;

    expect(statementsOf(synth.json, policy)).toEqual([
      {
        sid: "ReadParameters",
        actions: ["ssm:GetParameters"],
        resources: [parameterArn, at("Agent/Resource", "arn")],
      },
    ]);
  });

  it("GIVEN the whole stack WHEN synthesized THEN no data source asks AWS anything: no aws_caller_identity anywhere", () => {
    expect(Object.keys(synth.json.data ?? {}).sort()).toEqual([
      "aws_iam_policy_document",
      "aws_partition",
      "aws_region",
    ]);
    expect(JSON.stringify(synth.json)).not.toContain("aws_caller_identity");
  });

  it("GIVEN an image, existing subnets and no front door WHEN synthesized THEN no repository, load balancer or ingress is created and the tasks run in the given subnets", () => {
    for (const type of [
      "aws_ecr_repository",
      "aws_lb",
      "aws_lb_target_group",
      "aws_vpc_security_group_ingress_rule",
    ])
      expect({ type, resources: resourcesOf(synth.json, type) }).toEqual({ type, resources: [] });
    expect(app.image).toBe(ORDERS_IMAGE);
    expect(blockOf(synth, service.service)).toMatchObject({
      network_configuration: { subnets: [...SUBNETS], assign_public_ip: false },
    });
  });
});

describeWithTerraform(
  "EmfFargateService for an image that is not the sample, with the real AWS provider, offline",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "emf-fargate-any-image-"));
    let workdir: TerraformWorkdir;
    let validation: string;
    let plan: TerraformPlan;

    beforeAll(() => {
      const tf = synthStack(ordersStack).json as Record<string, unknown>;
      // The test supplies its own offline provider settings.
      delete tf.provider;
      writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(tf));
      workdir = new TerraformWorkdir({ orders: dir }, "orders", mirror, { region: "eu-west-1" });
      workdir.runOk(["init", "-input=false", "-no-color", "-backend=false"]);
      validation = workdir.runOk(["validate", "-no-color"]);
      plan = workdir.planJson({});
    }, 300_000);

    afterAll(() => {
      workdir?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it("GIVEN the synthesized orders stack WHEN terraform validates it THEN the configuration is valid", () => {
      expect(validation).toContain("Success! The configuration is valid.");
    });

    it("GIVEN the same stack WHEN planned without credentials or network THEN the service is planned: no data source calls AWS", () => {
      const creates = plan.resource_changes.filter((r) => r.change.actions.includes("create"));
      expect(creates.map((r) => r.type)).toEqual(
        expect.arrayContaining([
          "aws_ecs_service",
          "aws_ecs_task_definition",
          "aws_iam_role",
          "aws_cloudwatch_log_group",
        ]),
      );
      expect(creates.map((r) => r.type)).not.toContain("aws_lb");
      expect(plan.resource_changes.find((r) => r.type === "aws_ecs_service")?.change.after).toMatchObject({
        name: "orders",
        network_configuration: [expect.objectContaining({ subnets: [...SUBNETS] })],
      });
      expect(
        plan.resource_changes.find((r) => r.type === "aws_ecs_task_definition")?.change.after,
      ).toMatchObject({
        family: "orders",
      });
    });
  },
);
