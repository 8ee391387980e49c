import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import {
  DefaultTokenResolver,
  StringConcat,
  TerraformDataSource,
  type TerraformResource,
  TerraformStack,
  Testing,
  Tokenization,
} from "cdktf";
import type { Construct } from "constructs";
import type { ContainerOptions } from "../../modules/app-container";
import type { ContainerDefinition, HealthCheck } from "../../modules/container-definition";
import type { EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import type { LoadBalancerOptions } from "../../modules/service-front-door";
import type { NetworkOptions } from "../../modules/service-options";
import type { ServiceSecret } from "../../modules/service-secrets";
import { KOAAPP_SECRET_NAMES } from "../../stacks/koaapp-container";

/** A resource or data source block of the synthesized Terraform JSON. */
export type Block = Readonly<Record<string, unknown>>;

/** The parts of a synthesized stack the tests read. */
export interface TerraformJson {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Block>>>>;
  readonly data?: Readonly<Record<string, Readonly<Record<string, Block>>>>;
  readonly output?: Readonly<Record<string, { readonly value: unknown }>>;
}

/** A statement of an `aws_iam_policy_document` data source, as synthesized. */
export interface PolicyStatement {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: readonly string[];
  readonly resources?: readonly string[];
  readonly principals?: readonly { readonly type: string; readonly identifiers: readonly string[] }[];
  readonly condition?: readonly {
    readonly test: string;
    readonly variable: string;
    readonly values: readonly string[];
  }[];
}

/** A synthesized stack, the stack itself (for logical ids) and what the build callback returned. */
export interface Synthesized<T> {
  readonly json: TerraformJson;
  readonly stack: TerraformStack;
  readonly built: T;
}

/** A resource or data source construct. */
export type TerraformElement = TerraformResource | TerraformDataSource;

/** Six variable names the tests' services read from secrets: the sample app's, as a realistic set. */
export const SECRET_NAMES = KOAAPP_SECRET_NAMES;

/** The six secrets as existing SSM parameter ARNs. */
export const SSM_SECRETS: readonly ServiceSecret[] = SECRET_NAMES.map((name) => ({
  name,
  valueFrom: `arn:aws:ssm:eu-west-1:123456789012:parameter/koaapp/${name}`,
  store: "ssm",
}));

/** A container health check the tests' images run (they are stand-ins: nothing runs it). */
export const HEALTH_CHECK: HealthCheck = {
  command: ["CMD-SHELL", "curl -fsS http://127.0.0.1:5000/health || exit 1"],
  interval: 15,
  timeout: 5,
  retries: 3,
  startPeriod: 10,
};

/** Realistic IDs of an existing VPC, its subnets and security groups (the constructs check their form). */
export const IDS = {
  vpc: "vpc-0a1b2c3d4e5f67890",
  subnets: ["subnet-0a1b2c3d4e5f67890", "subnet-0f9e8d7c6b5a43210"],
  publicSubnets: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
  securityGroups: ["sg-0a1b2c3d4e5f67890", "sg-0f9e8d7c6b5a43210"],
} as const;

/** An image in private ECR, pinned by tag. */
export const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/koaapp:1.2.3";

/** The app container of the tests' services. */
export const CONTAINER: ContainerOptions = {
  image: IMAGE,
  port: 5000,
  secrets: SSM_SECRETS,
  healthCheck: HEALTH_CHECK,
};

/** Tasks in private subnets of an existing VPC that reach AWS through a NAT gateway. */
export const NETWORK: NetworkOptions = { vpcId: IDS.vpc, subnetIds: IDS.subnets, outbound: "nat" };

/** The smallest complete EmfFargateService props; tests spread their changes over it. */
export const SERVICE_PROPS: EmfFargateServiceProps = {
  serviceName: "koaapp",
  container: CONTAINER,
  network: NETWORK,
};

/** A created internet-facing load balancer in the public subnets. */
export const PUBLIC_LOAD_BALANCER: LoadBalancerOptions = {
  create: { scheme: "internet-facing", subnetIds: IDS.publicSubnets },
};

/** The region every test stack's provider is configured with. */
export const REGION = "eu-west-1";

/** A fresh stack named "test" in a testing app, with the AWS provider configured. */
export function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: REGION });
  return stack;
}

/** Builds constructs in a fresh stack, synthesizes it and parses the result. */
export function synthStack<T>(build: (stack: TerraformStack) => T): Synthesized<T> {
  const stack = newStack();
  const built = build(stack);
  return { json: JSON.parse(Testing.synth(stack)) as TerraformJson, stack, built };
}

/** Every block of a resource type, by logical id (empty when there is none). */
export function resourcesById(json: TerraformJson, type: string): Readonly<Record<string, Block>> {
  return json.resource?.[type] ?? {};
}

/** Every block of a resource type (empty when there is none). */
export function resourcesOf(json: TerraformJson, type: string): Block[] {
  return Object.values(resourcesById(json, type));
}

/** The block of a resource type that must occur exactly once. */
export function onlyResource(json: TerraformJson, type: string): Block {
  const blocks = resourcesOf(json, type);
  if (blocks.length !== 1) throw new Error(`expected exactly one ${type}, found ${blocks.length}`);
  return blocks[0] as Block;
}

/** Every block of a data source type (empty when there is none). */
export function dataOf(json: TerraformJson, type: string): Block[] {
  return Object.values(json.data?.[type] ?? {});
}

/** The resource or data source below a construct, by construct id or a path of ids ("Ecs/Cluster"). */
export function childOf(scope: Construct, path: string): TerraformElement {
  return path
    .split("/")
    .reduce((node: Construct, id) => node.node.findChild(id) as Construct, scope) as TerraformElement;
}

/** The block of a given element (resource or data source) in the synthesized JSON. */
export function blockOf(synth: Synthesized<unknown>, element: TerraformElement): Block {
  const id = synth.stack.getLogicalId(element);
  const kind = element instanceof TerraformDataSource ? synth.json.data : synth.json.resource;
  const block = kind?.[element.terraformResourceType]?.[id];
  if (!block) throw new Error(`no ${element.terraformResourceType}.${id} in the synthesized stack`);
  return block;
}

/** The reference Terraform sees for an attribute of an element, e.g. `${aws_ssm_parameter.X.arn}`. */
export function ref(stack: TerraformStack, element: TerraformElement, attribute: string): string {
  const prefix = element instanceof TerraformDataSource ? "data." : "";
  return `\${${prefix}${element.terraformResourceType}.${stack.getLogicalId(element)}.${attribute}}`;
}

/** A value with its tokens resolved the way synthesis resolves them, e.g. `${var.x}`. */
export function resolved(stack: TerraformStack, value: unknown): unknown {
  return Tokenization.resolve(value, {
    scope: stack,
    preparing: false,
    resolver: new DefaultTokenResolver(new StringConcat()),
  });
}

/** The container definitions of the stack's only task definition, parsed from their JSON string. */
export function containerDefinitionsOf(json: TerraformJson): ContainerDefinition[] {
  const task = onlyResource(json, "aws_ecs_task_definition");
  return JSON.parse(task.container_definitions as string) as ContainerDefinition[];
}

/** The container of the given name. */
export function containerNamed(
  containers: readonly ContainerDefinition[],
  name: string,
): ContainerDefinition {
  const found = containers.find((c) => c.name === name);
  if (!found) throw new Error(`no container named ${name}; have ${containers.map((c) => c.name).join(", ")}`);
  return found;
}

/** A container's environment as a name → value map. */
export function environmentOf(container: ContainerDefinition): Record<string, string> {
  return Object.fromEntries((container.environment ?? []).map((v) => [v.name, v.value]));
}

/** A container's secrets as a name → valueFrom map. */
export function secretsOf(container: ContainerDefinition): Record<string, string> {
  return Object.fromEntries((container.secrets ?? []).map((s) => [s.name, s.valueFrom]));
}

/**
 * The statements of the `aws_iam_policy_document` a policy attribute refers to
 * (`${data.aws_iam_policy_document.<id>.json}`): what the policy grants, before Terraform renders it.
 */
export function statementsOf(json: TerraformJson, policyReference: unknown): PolicyStatement[] {
  const match = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(policyReference));
  if (!match) throw new Error(`not a policy document reference: ${String(policyReference)}`);
  const document = json.data?.aws_iam_policy_document?.[match[1] as string];
  if (!document) throw new Error(`no aws_iam_policy_document.${match[1]}`);
  return document.statement as PolicyStatement[];
}

/**
 * A pattern matching one whole problem line of an invalid-props error
 * (`<path>: invalid props:\n- problem\n- problem`), with the line taken literally.
 */
export function problemLine(line: string): RegExp {
  return new RegExp(`: invalid props:\\n(?:- .*\\n)*- ${escapeRegExp(line)}(?:\\n|$)`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
