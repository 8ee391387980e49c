import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroupRule } from "@cdktf/provider-aws/lib/security-group-rule";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { type App, Aspects, TerraformStack, Testing } from "cdktf";
import type { EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { EmfFargateService } from "../../modules/emf-fargate-service";
import { exemptFromPolicy } from "../../modules/policy-exemptions";
import { SECRET_LIKE_NAME, SecurityPolicyChecks } from "../../modules/security-policy";
import { CERTIFICATE, koaAppStack } from "../support/koaapp";
import { CONTAINER, NETWORK, SERVICE_PROPS } from "./support";

const TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/tg/1";

/** Builds a stack with the checks applied, runs the aspects, and returns what they found. */
function check(build: (stack: TerraformStack) => void) {
  const app = Testing.app();
  const stack = new TerraformStack(app as App, "test");
  new AwsProvider(stack, "aws", { region: "eu-west-2" });
  const checks = new SecurityPolicyChecks();
  Aspects.of(stack).add(checks);
  build(stack);
  Testing.synth(stack);
  const annotations = stack.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/error" || m.type === "@cdktf/warn"))
    .map((m) => ({ level: m.type, message: String(m.data) }));
  return { findings: checks.findings, annotations, app, stack };
}

const container = (overrides: Record<string, unknown> = {}) => ({
  name: "app",
  image: "example.com/app:1.0.0",
  readonlyRootFilesystem: true,
  user: "1000:1000",
  ...overrides,
});

function taskDefinition(stack: TerraformStack, containers: unknown[]) {
  new EcsTaskDefinition(stack, "Task", { family: "t", containerDefinitions: JSON.stringify(containers) });
}

describe("SECRET_LIKE_NAME", () => {
  it.each([
    "DB_PASSWORD",
    "PASSWORD",
    "MYSQL_PASSWD",
    "GPG_PASSPHRASE",
    "DB_PASS",
    "SMTP_PASS",
    "dbPass",
    "db-pass",
    "/app/db/pass",
    "MYSQL_PWD",
    "adminPwd",
    "CLIENT_SECRET",
    "github_token",
    "AWS_CREDENTIALS_FILE",
    "DB_CREDS",
    "API_KEY",
    "APIKEY",
    "STRIPE_APIKEY",
    "x-api-key",
    "apiKey",
    "PRIVATE_KEY",
    "PRIVATEKEY",
    "JWT_PRIVATE_KEY_PEM",
    "private-key",
    "privateKey",
    "SSH_PRIV_KEY",
  ])("GIVEN %s WHEN judged THEN it looks like a secret", (name) => {
    expect(SECRET_LIKE_NAME.test(name)).toBe(true);
  });

  it.each([
    "PASSENGER_COUNT",
    "BYPASS_CACHE",
    "bypass",
    "COMPASS_HEADING",
    "PASS_THROUGH_HEADERS",
    "PASSPORT_COUNTRY",
    "SURPASS_LIMIT",
    "PWD",
    "OLDPWD",
    "KEYCLOAK_URL",
    "PRIVATE_SUBNETS",
    "API_URL",
    "PORT",
    "NODE_ENV",
  ])("GIVEN %s WHEN judged THEN it does not look like a secret", (name) => {
    expect(SECRET_LIKE_NAME.test(name)).toBe(false);
  });
});

describe("SecurityPolicyChecks on the koaapp stack", () => {
  it("GIVEN the sample stack without a certificate WHEN synthesized THEN no error, only the documented exemptions as warnings: the agent image, the public load balancer, HTTP", () => {
    // The sample stack applies the checks itself.
    const stack = koaAppStack();
    Testing.synth(stack);
    const metadata = stack.node.findAll().flatMap((c) => c.node.metadata);
    expect(metadata.filter((m) => m.type === "@cdktf/error")).toEqual([]);
    expect(metadata.filter((m) => m.type === "@cdktf/warn").map((m) => m.data)).toEqual([
      '[read-only-root] koaapp/Service/TaskDefinition/Resource: container "cloudwatch-agent" has a writable root filesystem; allowed: readonlyRootFilesystem true (exempted: the CloudWatch agent image writes its generated configuration)',
      '[non-root-user] koaapp/Service/TaskDefinition/Resource: container "cloudwatch-agent" runs as the image\'s user (root unless the image says otherwise); allowed: a non-root user (exempted: the CloudWatch agent image runs as root)',
      "[no-open-ingress] koaapp/Service/LoadBalancer/Ingress80Cidr0: admits 0.0.0.0/0; allowed: narrower CIDRs or a security group (exempted: a public load balancer admits its listener ports from the internet)",
      "[encrypted-listeners] koaapp/Service/LoadBalancer/Http: port 80 serves HTTP unencrypted; allowed: HTTPS with a certificate, HTTP only to redirect to HTTPS (exempted: no certificateArn was given, so the load balancer serves HTTP only)",
    ]);
  });

  it("GIVEN the sample stack with a certificate WHEN synthesized THEN unencrypted traffic is no longer reported: HTTP only redirects to HTTPS", () => {
    const stack = koaAppStack({ KOAAPP_CERTIFICATE_ARN: CERTIFICATE });
    Testing.synth(stack);
    const warnings = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === "@cdktf/warn" || m.type === "@cdktf/error")
      .map((m) => String(m.data));
    // The internet is still admitted, on both ports.
    expect(warnings.filter((w) => w.startsWith("[encrypted-listeners]"))).toEqual([]);
    expect(warnings.filter((w) => w.startsWith("[no-open-ingress]"))).toEqual([
      "[no-open-ingress] koaapp/Service/LoadBalancer/Ingress80Cidr0: admits 0.0.0.0/0; allowed: narrower CIDRs or a security group (exempted: a public load balancer admits its listener ports from the internet)",
      "[no-open-ingress] koaapp/Service/LoadBalancer/Ingress443Cidr0: admits 0.0.0.0/0; allowed: narrower CIDRs or a security group (exempted: a public load balancer admits its listener ports from the internet)",
    ]);
  });

  it("GIVEN the sample stack WHEN synthesized THEN every finding is exempted: a warning, not an error", () => {
    const stack = koaAppStack();
    Testing.synth(stack);
    const checks = Aspects.of(stack).all.find(
      (a) => a instanceof SecurityPolicyChecks,
    ) as SecurityPolicyChecks;
    expect(checks.findings.every((f) => f.exempted)).toBe(true);
  });
});

describe("SecurityPolicyChecks rules", () => {
  it.each([
    [
      "no-plaintext-secrets",
      "a SecureString with a plain value",
      (s: TerraformStack) =>
        new SsmParameter(s, "P", { name: "/x/APP_SECRET", type: "SecureString", value: "hunter2" }),
      "[no-plaintext-secrets] test/P: a SecureString parameter with `value` keeps the secret in the state; allowed: value_wo with value_wo_version",
    ],
    [
      "no-plaintext-secrets",
      "a secret-looking String parameter",
      (s: TerraformStack) =>
        new SsmParameter(s, "P", { name: "/x/DB_PASSWORD", type: "String", value: "hunter2" }),
      '[no-plaintext-secrets] test/P: parameter "/x/DB_PASSWORD" looks like a secret but is a plain String; allowed: a SecureString with value_wo',
    ],
    [
      "no-plaintext-secrets",
      "a database password in the state",
      (s: TerraformStack) =>
        new DbInstance(s, "Db", {
          instanceClass: "db.t4g.micro",
          engine: "postgres",
          password: "hunter2hunter2",
        }),
      "[no-plaintext-secrets] test/Db: `password` keeps the master password in the state; allowed: password_wo with password_wo_version, or manage_master_user_password",
    ],
    [
      "no-plaintext-secrets",
      "a secret in a container's environment",
      (s: TerraformStack) =>
        taskDefinition(s, [container({ environment: [{ name: "API_KEY", value: "k" }] })]),
      '[no-plaintext-secrets] test/Task: container "app" gets API_KEY as plain environment; allowed: secrets (valueFrom)',
    ],
    [
      "least-privilege",
      "every action",
      (s: TerraformStack) =>
        new DataAwsIamPolicyDocument(s, "Doc", {
          statement: [{ actions: ["*"], resources: ["arn:aws:s3:::b"] }],
        }),
      '[least-privilege] test/Doc: statement 0 allows every action ("*"); allowed: named actions',
    ],
    [
      "least-privilege",
      "secret reads on *",
      (s: TerraformStack) =>
        new DataAwsIamPolicyDocument(s, "Doc", {
          statement: [{ actions: ["ssm:GetParameters", "kms:Decrypt"], resources: ["*"] }],
        }),
      "[least-privilege] test/Doc: statement 0 allows ssm:GetParameters, kms:Decrypt on *; allowed: the ARNs of the secrets and keys the task reads",
    ],
    [
      "least-privilege",
      "an administrator policy",
      (s: TerraformStack) =>
        new IamRolePolicyAttachment(s, "Admin", {
          role: "r",
          policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        }),
      "[least-privilege] test/Admin: attaches arn:aws:iam::aws:policy/AdministratorAccess; allowed: policies scoped to what the task does",
    ],
    [
      "no-open-ingress",
      "ingress from anywhere",
      (s: TerraformStack) =>
        new VpcSecurityGroupIngressRule(s, "In", {
          securityGroupId: "sg-1",
          ipProtocol: "tcp",
          fromPort: 5000,
          toPort: 5000,
          cidrIpv4: "0.0.0.0/0",
        }),
      "[no-open-ingress] test/In: admits 0.0.0.0/0; allowed: narrower CIDRs or a security group",
    ],
    [
      "no-open-ingress",
      "legacy ingress from anywhere over IPv6",
      (s: TerraformStack) =>
        new SecurityGroupRule(s, "In", {
          type: "ingress",
          securityGroupId: "sg-1",
          protocol: "tcp",
          fromPort: 5000,
          toPort: 5000,
          ipv6CidrBlocks: ["::/0"],
        }),
      "[no-open-ingress] test/In: admits ::/0; allowed: narrower CIDRs or a security group",
    ],
    [
      "log-retention",
      "a log group kept forever",
      (s: TerraformStack) => new CloudwatchLogGroup(s, "Logs", { name: "/x" }),
      "[log-retention] test/Logs: keeps logs forever; allowed: retention_in_days set (KMS key optional)",
    ],
    [
      "ecr-hardening",
      "a mutable repository",
      (s: TerraformStack) =>
        new EcrRepository(s, "Repo", { name: "r", imageScanningConfiguration: { scanOnPush: true } }),
      "[ecr-hardening] test/Repo: image_tag_mutability is MUTABLE (default); allowed: IMMUTABLE",
    ],
    [
      "ecr-hardening",
      "a repository without scans",
      (s: TerraformStack) => new EcrRepository(s, "Repo", { name: "r", imageTagMutability: "IMMUTABLE" }),
      "[ecr-hardening] test/Repo: images are not scanned on push; allowed: image_scanning_configuration.scan_on_push = true",
    ],
    [
      "read-only-root",
      "a writable root filesystem",
      (s: TerraformStack) => taskDefinition(s, [container({ readonlyRootFilesystem: false })]),
      '[read-only-root] test/Task: container "app" has a writable root filesystem; allowed: readonlyRootFilesystem true',
    ],
    [
      "non-root-user",
      "root",
      (s: TerraformStack) => taskDefinition(s, [container({ user: "0" })]),
      '[non-root-user] test/Task: container "app" runs as 0; allowed: a non-root user',
    ],
    [
      "pinned-images",
      "latest",
      (s: TerraformStack) => taskDefinition(s, [container({ image: "example.com/app:latest" })]),
      '[pinned-images] test/Task: container "app" image "example.com/app:latest" is not pinned; allowed: an image with a version tag or @sha256 digest',
    ],
    [
      "encrypted-listeners",
      "an HTTP listener that forwards",
      (s: TerraformStack) =>
        new LbListener(s, "Http", {
          loadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/lb/1",
          port: 80,
          protocol: "HTTP",
          defaultAction: [{ type: "forward", targetGroupArn: TARGET_GROUP }],
        }),
      "[encrypted-listeners] test/Http: port 80 serves HTTP unencrypted; allowed: HTTPS with a certificate, HTTP only to redirect to HTTPS",
    ],
    [
      "encrypted-listeners",
      "an HTTPS listener accepting TLS 1.0",
      (s: TerraformStack) =>
        new LbListener(s, "Https", {
          loadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/lb/1",
          port: 443,
          protocol: "HTTPS",
          certificateArn: CERTIFICATE,
          sslPolicy: "ELBSecurityPolicy-2016-08",
          defaultAction: [{ type: "forward", targetGroupArn: TARGET_GROUP }],
        }),
      "[encrypted-listeners] test/Https: ssl_policy ELBSecurityPolicy-2016-08 allows TLS older than 1.2; allowed: a TLS 1.2+ policy",
    ],
  ])(
    "GIVEN %s (%s) WHEN synthesized THEN a synth error names the construct path",
    (_rule, _case, build, message) => {
      const { annotations } = check(build);
      expect(annotations).toEqual([{ level: "@cdktf/error", message }]);
    },
  );

  it("GIVEN a violation WHEN the app synthesizes THEN synth fails naming it", () => {
    const { app } = check((s) => new CloudwatchLogGroup(s, "Logs", { name: "/x" }));
    expect(() => app.synth()).toThrow(/\[log-retention\] test\/Logs: keeps logs forever/);
  });

  it("GIVEN token values WHEN synthesized THEN they are not judged", () => {
    const { annotations } = check((s) => {
      const logs = new CloudwatchLogGroup(s, "Logs", { name: "/x", retentionInDays: 30 });
      new VpcSecurityGroupIngressRule(s, "In", {
        securityGroupId: "sg-1",
        ipProtocol: "tcp",
        cidrIpv4: logs.name,
      });
    });
    expect(annotations).toEqual([]);
  });

  it("GIVEN an exemption for one container WHEN synthesized THEN only its violation is a warning with the reason", () => {
    const { annotations } = check((s) => {
      exemptFromPolicy(s, "read-only-root", "scratch space", { container: "worker" });
      taskDefinition(s, [
        container({ name: "worker", readonlyRootFilesystem: false }),
        container({ readonlyRootFilesystem: false }),
      ]);
    });
    expect(annotations).toEqual([
      {
        level: "@cdktf/warn",
        message:
          '[read-only-root] test/Task: container "worker" has a writable root filesystem; allowed: readonlyRootFilesystem true (exempted: scratch space)',
      },
      {
        level: "@cdktf/error",
        message:
          '[read-only-root] test/Task: container "app" has a writable root filesystem; allowed: readonlyRootFilesystem true',
      },
    ]);
  });

  it("GIVEN a hardened configuration WHEN synthesized THEN there is no finding", () => {
    const { annotations } = check((s) => {
      new SsmParameter(s, "P", {
        name: "/x/APP_SECRET",
        type: "SecureString",
        valueWo: "v",
        valueWoVersion: 1,
      });
      new CloudwatchLogGroup(s, "Logs", { name: "/x", retentionInDays: 30 });
      new EcrRepository(s, "Repo", {
        name: "r",
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
      });
      taskDefinition(s, [container()]);
      new LbListener(s, "Https", {
        loadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/lb/1",
        port: 443,
        protocol: "HTTPS",
        certificateArn: CERTIFICATE,
        sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
        defaultAction: [{ type: "forward", targetGroupArn: TARGET_GROUP }],
      });
      new LbListener(s, "Http", {
        loadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/lb/1",
        port: 80,
        protocol: "HTTP",
        defaultAction: [
          { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
        ],
      });
    });
    expect(annotations).toEqual([]);
  });
});

describe("SecurityPolicyChecks with EmfFargateService opt-outs", () => {
  /** The app container of these services runs as a non-root user, so only the opt-out under test is reported. */
  const APP = { ...CONTAINER, user: "1000:1000" };
  const BASE: EmfFargateServiceProps = { ...SERVICE_PROPS, container: APP };

  it.each<[string, Partial<EmfFargateServiceProps>, string, string]>([
    [
      "0.0.0.0/0 admitted with allowIngressFromAnywhere",
      { network: { ...NETWORK, ingressCidrs: ["0.0.0.0/0"], allowIngressFromAnywhere: true } },
      "no-open-ingress",
      "network.allowIngressFromAnywhere was set",
    ],
    [
      "a writable root filesystem",
      { container: { ...APP, readonlyRootFilesystem: false } },
      "read-only-root",
      "container.readonlyRootFilesystem: false was set",
    ],
    [
      "latest with allowLatestImage",
      { container: { ...APP, image: "example.com/app:latest", allowLatestImage: true } },
      "pinned-images",
      "container.allowLatestImage was set",
    ],
    [
      "a secret-looking plain variable listed in plaintextAllowed",
      {
        container: {
          ...APP,
          environment: { TOKEN_ISSUER_URL: "https://issuer.example.com" },
          plaintextAllowed: ["TOKEN_ISSUER_URL"],
        },
      },
      "no-plaintext-secrets",
      "container.plaintextAllowed lists TOKEN_ISSUER_URL",
    ],
  ])(
    "GIVEN %s WHEN checked THEN its violation is a warning giving the reason",
    (_case, props, rule, reason) => {
      const { annotations } = check((s) => {
        new EmfFargateService(s, "Service", { ...BASE, ...props });
      });
      const mine = annotations.filter(
        (a) => a.message.startsWith(`[${rule}]`) && !a.message.includes("cloudwatch-agent"),
      );

      expect(mine).toEqual([
        { level: "@cdktf/warn", message: expect.stringContaining(`(exempted: ${reason})`) },
      ]);
      expect(annotations.filter((a) => a.level === "@cdktf/error")).toEqual([]);
    },
  );

  it("GIVEN an agent image tagged latest with agent.allowLatestImage WHEN checked THEN only the agent's pinned-images violation is a warning", () => {
    const { annotations } = check((s) => {
      new EmfFargateService(s, "Service", {
        ...BASE,
        agent: { image: "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest", allowLatestImage: true },
      });
    });

    expect(annotations.filter((a) => a.message.startsWith("[pinned-images]"))).toEqual([
      {
        level: "@cdktf/warn",
        message:
          '[pinned-images] test/Service/TaskDefinition/Resource: container "cloudwatch-agent" image "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest" is not pinned; allowed: an image with a version tag or @sha256 digest (exempted: agent.allowLatestImage was set)',
      },
    ]);
    expect(annotations.filter((a) => a.level === "@cdktf/error")).toEqual([]);
  });

  it("GIVEN a non-root user WHEN checked THEN the agent image's two documented exemptions are the only findings", () => {
    const { findings } = check((s) => {
      new EmfFargateService(s, "Service", BASE);
    });

    expect(findings.map((f) => [f.rule, f.exempted])).toEqual([
      ["read-only-root", true],
      ["non-root-user", true],
    ]);
  });

  it("GIVEN no user (the image's USER) WHEN checked THEN the app container is an error until a non-root user is set", () => {
    const { annotations } = check((s) => {
      new EmfFargateService(s, "Service", SERVICE_PROPS);
    });

    expect(annotations.filter((a) => a.level === "@cdktf/error")).toEqual([
      {
        level: "@cdktf/error",
        message:
          '[non-root-user] test/Service/TaskDefinition/Resource: container "koaapp" runs as the image\'s user (root unless the image says otherwise); allowed: a non-root user',
      },
    ]);
  });
});
