import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { Problems, show } from "../contract/problems";

/** Master user names RDS for PostgreSQL reserves for itself. */
const RESERVED_USERNAMES = ["rdsadmin", "rds_superuser", "rds_replication", "rds_password"];

/** Props of {@link PostgresDatabase}. */
export interface PostgresDatabaseProps {
  /** VPC of the database. */
  readonly vpcId: string;
  /** Private subnets for the DB subnet group (two zones at least). */
  readonly subnetIds: readonly string[];
  /**
   * Master password through the provider's write-only `password_wo`, so it is in neither cdk.tf.json
   * nor the state. Pass an ephemeral Terraform variable.
   */
  readonly passwordWriteOnly: string;
  /** Version of the write-only password: increase it to set a new password. @default 1 */
  readonly passwordVersion?: number;
  /** Instance identifier. @default - the construct path with dashes */
  readonly identifier?: string;
  /** Database created in the instance. @default "app" */
  readonly databaseName?: string;
  /** Master user name. @default "app" */
  readonly username?: string;
  /** PostgreSQL major version. @default "16" */
  readonly engineVersion?: string;
  /** Instance class. @default "db.t4g.micro" */
  readonly instanceClass?: string;
  /** Allocated storage in GiB. @default 20 */
  readonly allocatedStorageGiB?: number;
  /** Days of automated backups. @default 7 */
  readonly backupRetentionDays?: number;
  /** Multi-AZ standby. @default false */
  readonly multiAz?: boolean;
  /** Refuse deletion through the API. @default true */
  readonly deletionProtection?: boolean;
  /** Skip the final snapshot on deletion. @default false */
  readonly skipFinalSnapshot?: boolean;
  /** Customer-managed KMS key for storage encryption. @default - the AWS-managed key aws/rds */
  readonly kmsKeyArn?: string;
  /** Tags for every resource. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** True when a value is known at synth time (not a Terraform token). */
function isKnown(value: unknown): boolean {
  return value !== undefined && !Token.isUnresolved(value);
}

/**
 * The sample stack's database: an RDS PostgreSQL instance in private subnets, encrypted, with its master password
 * write-only. Nothing may connect until {@link PostgresDatabase.allowFrom} admits a client security group. Its final
 * snapshot is named after the instance's creation time, so every deletion of every instance leaves a snapshot of
 * its own (a fixed name fails the second destroy or any replacement with DBSnapshotAlreadyExists).
 */
export class PostgresDatabase extends Construct {
  /** The instance. */
  readonly instance: DbInstance;
  /** Host name clients connect to. */
  readonly address: string;
  /** Port as a string, ready for a parameter value. */
  readonly port: string;
  /** Database name. */
  readonly databaseName: string;
  /** Master user name. */
  readonly username: string;
  /** The database's security group. */
  readonly securityGroupId: string;
  private clients = 0;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    const identifier = props.identifier ?? this.node.path.replace(/\//g, "-").toLowerCase();
    const databaseName = props.databaseName ?? "app";
    const username = props.username ?? "app";
    const engineVersion = props.engineVersion ?? "16";
    const instanceClass = props.instanceClass ?? "db.t4g.micro";
    const allocatedStorageGiB = props.allocatedStorageGiB ?? 20;
    const backupRetentionDays = props.backupRetentionDays ?? 7;
    const passwordVersion = props.passwordVersion ?? 1;
    const deletionProtection = props.deletionProtection ?? true;
    const skipFinalSnapshot = props.skipFinalSnapshot ?? false;

    const problems = new Problems();
    problems.check(
      isKnown(identifier) && (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(identifier) || identifier.length > 63),
      `identifier ${show(identifier)} is not an RDS identifier; allowed: up to 63 lowercase letters, digits and single hyphens, starting with a letter`,
    );
    problems.check(
      isKnown(databaseName) && !/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(databaseName),
      `databaseName ${show(databaseName)} is not a PostgreSQL database name; allowed: a letter then up to 62 letters, digits or underscores`,
    );
    problems.check(
      isKnown(username) &&
        (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(username) || RESERVED_USERNAMES.includes(username)),
      `username ${show(username)} is not an RDS master user name; allowed: a letter then up to 62 letters, digits or underscores, not a reserved word`,
    );
    const integer = (prop: string, value: number, min: number, max: number) =>
      problems.check(
        isKnown(value) && (!Number.isInteger(value) || value < min || value > max),
        `${prop} ${show(value)} is out of range; allowed: an integer from ${min} to ${max}`,
      );
    integer("allocatedStorageGiB", allocatedStorageGiB, 20, 65536);
    integer("backupRetentionDays", backupRetentionDays, 0, 35);
    integer("passwordVersion", passwordVersion, 1, Number.MAX_SAFE_INTEGER);
    problems.check(
      props.subnetIds.length < 2,
      `subnetIds ${show(props.subnetIds)} has ${props.subnetIds.length} subnets; allowed: at least 2, in different zones`,
    );
    problems.throwIfAny(`${this.node.path}: invalid props`);

    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${identifier}-db-`,
      description: "PostgreSQL: admits 5432 from the service only",
      vpcId: props.vpcId,
      tags: props.tags,
      lifecycle: { createBeforeDestroy: true },
    });
    const subnetGroup = new DbSubnetGroup(this, "SubnetGroup", {
      namePrefix: `${identifier}-`,
      subnetIds: [...props.subnetIds],
      tags: props.tags,
    });

    this.instance = new DbInstance(this, "Resource", {
      identifier,
      engine: "postgres",
      engineVersion,
      instanceClass,
      allocatedStorage: allocatedStorageGiB,
      storageType: "gp3",
      storageEncrypted: true,
      kmsKeyId: props.kmsKeyArn,
      dbName: databaseName,
      username,
      passwordWo: props.passwordWriteOnly,
      passwordWoVersion: passwordVersion,
      port: 5432,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [securityGroup.id],
      publiclyAccessible: false,
      multiAz: props.multiAz ?? false,
      backupRetentionPeriod: backupRetentionDays,
      deletionProtection,
      skipFinalSnapshot,
      // Unique per instance: the creation time, kept (ignore_changes) so the name does not move on every plan.
      finalSnapshotIdentifier: skipFinalSnapshot
        ? undefined
        : `${identifier}-final-${Fn.formatdate("YYYYMMDDhhmmss", Fn.timestamp())}`,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      tags: props.tags,
      lifecycle: skipFinalSnapshot ? undefined : { ignoreChanges: ["final_snapshot_identifier"] },
    });
    this.address = this.instance.address;
    this.port = "5432";
    this.databaseName = databaseName;
    this.username = username;
    this.securityGroupId = securityGroup.id;
  }

  /** Admits `securityGroupId` on 5432: the only way in. */
  allowFrom(securityGroupId: string, description = "PostgreSQL from the service"): void {
    new VpcSecurityGroupIngressRule(this, `FromClients${this.clients === 0 ? "" : this.clients}`, {
      securityGroupId: this.securityGroupId,
      description,
      ipProtocol: "tcp",
      fromPort: 5432,
      toPort: 5432,
      referencedSecurityGroupId: securityGroupId,
    });
    this.clients += 1;
  }
}
