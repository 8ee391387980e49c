import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { SecurityGroupRule } from "@cdktf/provider-aws/lib/security-group-rule";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { IConstruct } from "constructs";
import { isTls12OrNewerPolicy, unpinnedImage } from "./aws-rules";
import { Annotations, type IAspect } from "./cdktf";
import type { ContainerDefinition } from "./container-definition";
import { type Finding, reportFinding } from "./policy-exemptions";
import { isKnown } from "./validation";

/** The rules {@link SecurityPolicyChecks} enforces. */
export const POLICY_RULES = [
  "no-plaintext-secrets",
  "least-privilege",
  "no-open-ingress",
  "log-retention",
  "ecr-hardening",
  "read-only-root",
  "non-root-user",
  "pinned-images",
  "encrypted-listeners",
  "no-exec-in-production",
] as const;

/** One of {@link POLICY_RULES}. */
export type PolicyRule = (typeof POLICY_RULES)[number];

/** `word` in any case, as a pattern: the source of {@link SECRET_LIKE_NAME} stays readable without the `i` flag. */
function anyCase(word: string): string {
  return word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);
}

/**
 * Variable and parameter names that look like secrets: plain values under them are refused or reported. Anywhere
 * in the name: PASSWORD, PASSWD, PASSPHRASE, SECRET, TOKEN, CREDENTIAL, CREDS, and API, PRIVATE or PRIV then KEY
 * (joined or by `_`, `-`, `.`: `APIKEY`, `private-key`, `privateKey`). PASS and PWD only as the last word after
 * another (`DB_PASS`, `smtpPass`, `MYSQL_PWD`, `/app/db/pass`): inside or at the start of a word they are something
 * else (`PASSENGER_COUNT`, `BYPASS_CACHE`, `PASS_THROUGH`), and `PWD` alone is the shell's working directory. Case
 * matters only at a camelCase boundary (`dbPass` is two words, `bypass` one), so the pattern has no `i` flag.
 */
export const SECRET_LIKE_NAME = new RegExp(
  [
    ...["password", "passwd", "passphrase", "secret", "token", "credential", "creds"].map(anyCase),
    `(?:${anyCase("api")}|${anyCase("private")}|${anyCase("priv")})[-_.]?${anyCase("key")}`,
    `(?:[-_./](?:${anyCase("pass")}|${anyCase("pwd")})|[a-z0-9](?:P${anyCase("ass")}|P${anyCase("wd")}))$`,
  ].join("|"),
);
const SECRET_READ_ACTION =
  /^(ssm:GetParameters?|ssm:GetParametersByPath|ssm:\*|secretsmanager:GetSecretValue|secretsmanager:\*|kms:Decrypt|kms:\*)$/i;
const ADMIN_POLICIES = /:policy\/(AdministratorAccess|PowerUserAccess|IAMFullAccess)$/;
const ROOT_USERS = new Set(["root", "0", "0:0"]);

/** Values of the `Environment` tag that mark a resource as production when the checks are not told. */
export const PRODUCTION_ENVIRONMENTS = ["prod", "production"] as const;

/** Options of {@link SecurityPolicyChecks}. */
export interface SecurityPolicyChecksOptions {
  /**
   * Whether the stack is production, for the rules that apply there only (`no-exec-in-production`). Say it here
   * when the stack knows (`{ production: config.environmentName === "prod" }`).
   * @default - each resource by its `Environment` tag: production when it is "prod" or "production" (any case)
   */
  readonly production?: boolean;
}

/**
 * Security policy checks as a cdktf Aspect, for the koaapp stack and any stack of yours:
 * `Aspects.of(stack).add(new SecurityPolicyChecks())`. Each violation is a synth error on the
 * construct (its path is in the message), or a warning where the construct records an exemption with
 * the internal `exemptFromPolicy`. Values that are tokens are not judged.
 *
 * Rules: no plaintext secrets in cdk.tf.json or the state; least-privilege roles (no `*` action, no
 * `*` resource on secret reads, no administrator policies); no ingress from 0.0.0.0/0 or ::/0; log
 * groups with retention; ECR repositories with immutable tags and scan on push; containers with a
 * read-only root filesystem, a non-root user, and pinned images; load-balancer listeners that serve
 * traffic only over TLS 1.2 or newer (plain HTTP only to redirect to HTTPS); in production, no ECS service with ECS
 * Exec on (a shell in a production task; EmfFargateService's `exec.enabled` makes it a warning, as an opt-out).
 */
export class SecurityPolicyChecks implements IAspect {
  /** Every violation found, for tests and reports: rule, construct path, message, and whether exempted. */
  readonly findings: Finding<PolicyRule>[] = [];
  private readonly production?: boolean;

  constructor(options: SecurityPolicyChecksOptions = {}) {
    this.production = options.production;
  }

  /** Checks one construct of the tree (cdktf calls it for each). */
  visit(node: IConstruct): void {
    if (node instanceof SsmParameter) this.checkParameter(node);
    else if (node instanceof DbInstance) this.checkDatabase(node);
    else if (node instanceof DataAwsIamPolicyDocument) this.checkPolicyDocument(node);
    else if (node instanceof IamRolePolicyAttachment) this.checkAttachment(node);
    else if (node instanceof VpcSecurityGroupIngressRule) this.checkIngressRule(node);
    else if (node instanceof SecurityGroupRule) this.checkLegacyRule(node);
    else if (node instanceof CloudwatchLogGroup) this.checkLogGroup(node);
    else if (node instanceof EcrRepository) this.checkRepository(node);
    else if (node instanceof EcsTaskDefinition) this.checkTaskDefinition(node);
    else if (node instanceof LbListener) this.checkListener(node);
    else if (node instanceof EcsService) this.checkService(node);
  }

  private report(node: IConstruct, rule: PolicyRule, message: string, container?: string): void {
    this.findings.push(reportFinding(node, rule, message, container));
  }

  private checkParameter(node: SsmParameter): void {
    const value = node.valueInput;
    if (value === undefined) return;
    if (node.typeInput === "SecureString") {
      this.report(
        node,
        "no-plaintext-secrets",
        "a SecureString parameter with `value` keeps the secret in the state; allowed: value_wo with value_wo_version",
      );
    } else if (isKnown(node.nameInput) && SECRET_LIKE_NAME.test(String(node.nameInput))) {
      this.report(
        node,
        "no-plaintext-secrets",
        `parameter "${node.nameInput}" looks like a secret but is a plain ${node.typeInput ?? "String"}; allowed: a SecureString with value_wo`,
      );
    }
  }

  private checkDatabase(node: DbInstance): void {
    if (node.passwordInput !== undefined) {
      this.report(
        node,
        "no-plaintext-secrets",
        "`password` keeps the master password in the state; allowed: password_wo with password_wo_version, or manage_master_user_password",
      );
    }
  }

  private checkPolicyDocument(node: DataAwsIamPolicyDocument): void {
    const statements = node.statementInput;
    if (!Array.isArray(statements)) return;
    for (const [i, statement] of statements.entries()) {
      if (statement.effect === "Deny") continue;
      const actions = (statement.actions ?? []).filter((a) => isKnown(a));
      const resources = (statement.resources ?? []).filter((r) => isKnown(r));
      if (actions.includes("*")) {
        this.report(
          node,
          "least-privilege",
          `statement ${i} allows every action ("*"); allowed: named actions`,
        );
      }
      const secretReads = actions.filter((a) => SECRET_READ_ACTION.test(a));
      if (secretReads.length > 0 && resources.some((r) => r.includes("*"))) {
        this.report(
          node,
          "least-privilege",
          `statement ${i} allows ${secretReads.join(", ")} on ${resources.filter((r) => r.includes("*")).join(", ")}; allowed: the ARNs of the secrets and keys the task reads`,
        );
      }
    }
  }

  private checkAttachment(node: IamRolePolicyAttachment): void {
    const arn = node.policyArnInput;
    if (isKnown(arn) && ADMIN_POLICIES.test(String(arn))) {
      this.report(node, "least-privilege", `attaches ${arn}; allowed: policies scoped to what the task does`);
    }
  }

  private checkIngressRule(node: VpcSecurityGroupIngressRule): void {
    for (const open of ["0.0.0.0/0", "::/0"]) {
      if (node.cidrIpv4Input === open || node.cidrIpv6Input === open) {
        this.report(node, "no-open-ingress", `admits ${open}; allowed: narrower CIDRs or a security group`);
      }
    }
  }

  private checkLegacyRule(node: SecurityGroupRule): void {
    if (node.typeInput !== "ingress") return;
    const blocks = [...(node.cidrBlocksInput ?? []), ...(node.ipv6CidrBlocksInput ?? [])];
    for (const open of ["0.0.0.0/0", "::/0"]) {
      if (blocks.includes(open)) {
        this.report(node, "no-open-ingress", `admits ${open}; allowed: narrower CIDRs or a security group`);
      }
    }
  }

  private checkLogGroup(node: CloudwatchLogGroup): void {
    const retention = node.retentionInDaysInput;
    if (retention === undefined || (isKnown(retention) && retention === 0)) {
      this.report(
        node,
        "log-retention",
        "keeps logs forever; allowed: retention_in_days set (KMS key optional)",
      );
    }
  }

  private checkRepository(node: EcrRepository): void {
    if (node.imageTagMutabilityInput !== "IMMUTABLE") {
      this.report(
        node,
        "ecr-hardening",
        `image_tag_mutability is ${node.imageTagMutabilityInput ?? "MUTABLE (default)"}; allowed: IMMUTABLE`,
      );
    }
    const scanning = node.imageScanningConfigurationInput;
    if (!scanning || (isKnown(scanning.scanOnPush) && scanning.scanOnPush !== true)) {
      this.report(
        node,
        "ecr-hardening",
        "images are not scanned on push; allowed: image_scanning_configuration.scan_on_push = true",
      );
    }
  }

  private checkListener(node: LbListener): void {
    const protocol = node.protocolInput;
    if (protocol === "HTTP" || protocol === "TCP") {
      const actions = node.defaultActionInput;
      const redirectsOnly =
        Array.isArray(actions) &&
        actions.length > 0 &&
        actions.every((a) => a.type === "redirect" && a.redirect?.protocol === "HTTPS");
      if (!redirectsOnly) {
        this.report(
          node,
          "encrypted-listeners",
          `port ${node.portInput ?? "?"} serves ${protocol} unencrypted; allowed: HTTPS with a certificate, HTTP only to redirect to HTTPS`,
        );
      }
    }
    const policy = node.sslPolicyInput;
    if (protocol === "HTTPS" && isKnown(policy) && policy !== undefined && !isTls12OrNewerPolicy(policy)) {
      this.report(
        node,
        "encrypted-listeners",
        `ssl_policy ${policy} allows TLS older than 1.2; allowed: a TLS 1.2+ policy`,
      );
    }
  }

  private checkService(node: EcsService): void {
    const exec = node.enableExecuteCommandInput;
    if (!isKnown(exec) || exec !== true) return;
    const tag = node.tagsInput?.Environment;
    const production =
      this.production ??
      (isKnown(tag) && (PRODUCTION_ENVIRONMENTS as readonly string[]).includes(String(tag).toLowerCase()));
    if (!production) return;
    const why =
      this.production === undefined
        ? `the Environment tag is ${JSON.stringify(tag)}`
        : "SecurityPolicyChecks was told production: true";
    this.report(
      node,
      "no-exec-in-production",
      `ECS Exec is on in production (${why}): anyone allowed ecs:ExecuteCommand gets a root shell in a running task; allowed: enable_execute_command false, or on only while an incident needs it`,
    );
  }

  private checkTaskDefinition(node: EcsTaskDefinition): void {
    const json = node.containerDefinitionsInput;
    if (json === undefined) return;
    let containers: ContainerDefinition[];
    try {
      containers = JSON.parse(json) as ContainerDefinition[];
    } catch {
      // A container_definitions built by Terraform functions is only known at plan time.
      Annotations.of(node).addInfo(
        `${node.node.path}: container_definitions is not literal JSON; container rules not checked`,
      );
      return;
    }
    for (const c of containers) {
      const at = `container "${c.name}"`;
      if (c.readonlyRootFilesystem !== true) {
        this.report(
          node,
          "read-only-root",
          `${at} has a writable root filesystem; allowed: readonlyRootFilesystem true`,
          c.name,
        );
      }
      if (c.user === undefined || (isKnown(c.user) && ROOT_USERS.has(c.user))) {
        this.report(
          node,
          "non-root-user",
          `${at} runs as ${c.user ?? "the image's user (root unless the image says otherwise)"}; allowed: a non-root user`,
          c.name,
        );
      }
      const unpinned = unpinnedImage(c.image);
      if (unpinned)
        this.report(
          node,
          "pinned-images",
          `${at} image ${JSON.stringify(c.image)} ${unpinned}; allowed: an image with a version tag or @sha256 digest`,
          c.name,
        );
      for (const v of c.environment ?? []) {
        if (SECRET_LIKE_NAME.test(v.name)) {
          this.report(
            node,
            "no-plaintext-secrets",
            `${at} gets ${v.name} as plain environment; allowed: secrets (valueFrom)`,
            c.name,
          );
        }
      }
    }
  }
}
