import type { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import type { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { TerraformVariable } from "cdktf";
import { PostgresDatabase, type PostgresDatabaseProps } from "../../stacks/postgres-database";
import {
  blockOf,
  newStack,
  onlyResource,
  problemLine,
  ref,
  resolved,
  resourcesOf,
  synthStack,
} from "../modules/support";

const SUBNETS = ["subnet-private-a", "subnet-private-b"];

function build(props: Partial<PostgresDatabaseProps>): PostgresDatabase {
  return new PostgresDatabase(newStack(), "Database", {
    vpcId: "vpc-0123",
    subnetIds: SUBNETS,
    passwordWriteOnly: "not-a-real-password",
    ...props,
  });
}

describe("PostgresDatabase with defaults", () => {
  const synth = synthStack((stack) => {
    const password = new TerraformVariable(stack, "db_password", { type: "string", sensitive: true });
    return new PostgresDatabase(stack, "Database", {
      vpcId: "vpc-0123",
      subnetIds: SUBNETS,
      passwordWriteOnly: password.stringValue,
    });
  });
  const database = synth.built;
  const instance = onlyResource(synth.json, "aws_db_instance");
  const securityGroup = database.node.findChild("SecurityGroup") as SecurityGroup;
  const subnetGroup = database.node.findChild("SubnetGroup") as DbSubnetGroup;

  it("GIVEN only the required props WHEN synthesized THEN the instance has every documented default", () => {
    expect(instance).toEqual({
      identifier: "test-database",
      engine: "postgres",
      engine_version: "16",
      instance_class: "db.t4g.micro",
      allocated_storage: 20,
      storage_type: "gp3",
      storage_encrypted: true,
      db_name: "app",
      username: "app",
      password_wo: "${var.db_password}",
      password_wo_version: 1,
      port: 5432,
      db_subnet_group_name: ref(synth.stack, subnetGroup, "name"),
      vpc_security_group_ids: [ref(synth.stack, securityGroup, "id")],
      publicly_accessible: false,
      multi_az: false,
      backup_retention_period: 7,
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: 'test-database-final-${formatdate("YYYYMMDDhhmmss", timestamp())}',
      copy_tags_to_snapshot: true,
      auto_minor_version_upgrade: true,
      lifecycle: { ignore_changes: ["final_snapshot_identifier"] },
    });
  });

  it("GIVEN a final snapshot WHEN synthesized THEN it is named after the creation time, which ignore_changes keeps", () => {
    // A fixed name fails the second destroy or any replacement with DBSnapshotAlreadyExists; timestamp() alone
    // would change on every plan.
    expect(instance.final_snapshot_identifier).toMatch(
      /^test-database-final-\$\{formatdate\("YYYYMMDDhhmmss", timestamp\(\)\)\}$/,
    );
    expect(instance.lifecycle).toEqual({ ignore_changes: ["final_snapshot_identifier"] });
  });

  it("GIVEN a write-only password WHEN synthesized THEN no plain password argument exists", () => {
    expect(Object.keys(instance)).not.toContain("password");
    expect(instance.password_wo).toBe("${var.db_password}");
  });

  it("GIVEN the subnets WHEN synthesized THEN the subnet group holds exactly them", () => {
    expect(onlyResource(synth.json, "aws_db_subnet_group")).toEqual({
      name_prefix: "test-database-",
      subnet_ids: SUBNETS,
    });
  });

  it("GIVEN no client yet WHEN synthesized THEN the security group admits nothing", () => {
    expect(onlyResource(synth.json, "aws_security_group")).toEqual({
      name_prefix: "test-database-db-",
      description: "PostgreSQL: admits 5432 from the service only",
      vpc_id: "vpc-0123",
      lifecycle: { create_before_destroy: true },
    });
    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toEqual([]);
  });

  it("GIVEN the instance WHEN read THEN address, port, names and security group are exposed", () => {
    expect(resolved(synth.stack, database.address)).toBe(ref(synth.stack, database.instance, "address"));
    expect(database.port).toBe("5432");
    expect(database.databaseName).toBe("app");
    expect(database.username).toBe("app");
    expect(resolved(synth.stack, database.securityGroupId)).toBe(ref(synth.stack, securityGroup, "id"));
  });
});

describe("PostgresDatabase with every prop and two clients", () => {
  const kmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const synth = synthStack((stack) => {
    const database = new PostgresDatabase(stack, "Database", {
      vpcId: "vpc-0123",
      subnetIds: SUBNETS,
      passwordWriteOnly: "not-a-real-password",
      passwordVersion: 4,
      identifier: "koaapp-db",
      databaseName: "koaapp",
      username: "koaapp",
      engineVersion: "17",
      instanceClass: "db.t4g.small",
      allocatedStorageGiB: 50,
      backupRetentionDays: 14,
      multiAz: true,
      deletionProtection: false,
      skipFinalSnapshot: true,
      kmsKeyArn,
      tags: { Team: "platform" },
    });
    database.allowFrom("sg-service");
    database.allowFrom("sg-migrations", "PostgreSQL from the migration task");
    return database;
  });
  const database = synth.built;
  const instance = onlyResource(synth.json, "aws_db_instance");

  it("GIVEN every prop WHEN synthesized THEN the instance carries each of them", () => {
    expect(instance).toMatchObject({
      identifier: "koaapp-db",
      engine_version: "17",
      instance_class: "db.t4g.small",
      allocated_storage: 50,
      kms_key_id: kmsKeyArn,
      storage_encrypted: true,
      db_name: "koaapp",
      username: "koaapp",
      password_wo: "not-a-real-password",
      password_wo_version: 4,
      multi_az: true,
      backup_retention_period: 14,
      deletion_protection: false,
      skip_final_snapshot: true,
      publicly_accessible: false,
      tags: { Team: "platform" },
    });
  });

  it("GIVEN skipFinalSnapshot WHEN synthesized THEN no final snapshot identifier is set, and no lifecycle keeps one", () => {
    expect(Object.keys(instance)).not.toContain("final_snapshot_identifier");
    expect(Object.keys(instance)).not.toContain("lifecycle");
  });

  it("GIVEN an identifier and tags WHEN synthesized THEN the security group and subnet group use and carry them", () => {
    expect(onlyResource(synth.json, "aws_security_group")).toMatchObject({
      name_prefix: "koaapp-db-db-",
      tags: { Team: "platform" },
    });
    expect(onlyResource(synth.json, "aws_db_subnet_group")).toMatchObject({
      name_prefix: "koaapp-db-",
      tags: { Team: "platform" },
    });
  });

  it("GIVEN two allowFrom calls WHEN synthesized THEN each admits 5432/tcp from its security group only", () => {
    const databaseGroup = ref(synth.stack, database.node.findChild("SecurityGroup") as SecurityGroup, "id");

    const rule = (id: string) => blockOf(synth, database.node.findChild(id) as VpcSecurityGroupIngressRule);

    expect(resourcesOf(synth.json, "aws_vpc_security_group_ingress_rule")).toHaveLength(2);
    expect(rule("FromClients")).toEqual({
      security_group_id: databaseGroup,
      description: "PostgreSQL from the service",
      ip_protocol: "tcp",
      from_port: 5432,
      to_port: 5432,
      referenced_security_group_id: "sg-service",
    });
    expect(rule("FromClients1")).toEqual({
      security_group_id: databaseGroup,
      description: "PostgreSQL from the migration task",
      ip_protocol: "tcp",
      from_port: 5432,
      to_port: 5432,
      referenced_security_group_id: "sg-migrations",
    });
  });
});

describe("PostgresDatabase validation", () => {
  it.each(["Koaapp-db", "1koaapp", "koaapp--db", "koaapp-", "koaapp_db", `k${"a".repeat(63)}`])(
    "GIVEN identifier %p WHEN built THEN it is refused",
    (identifier) => {
      expect(() => build({ identifier })).toThrow(
        problemLine(
          `identifier "${identifier}" is not an RDS identifier; allowed: up to 63 lowercase letters, digits and single hyphens, starting with a letter`,
        ),
      );
    },
  );

  it.each(["1app", "app-db", `a${"b".repeat(63)}`])(
    "GIVEN databaseName %p WHEN built THEN it is refused",
    (databaseName) => {
      expect(() => build({ databaseName })).toThrow(
        problemLine(
          `databaseName "${databaseName}" is not a PostgreSQL database name; allowed: a letter then up to 62 letters, digits or underscores`,
        ),
      );
    },
  );

  it.each(["rdsadmin", "1user", "app-user"])(
    "GIVEN username %p WHEN built THEN it is refused",
    (username) => {
      expect(() => build({ username })).toThrow(
        problemLine(
          `username "${username}" is not an RDS master user name; allowed: a letter then up to 62 letters, digits or underscores, not a reserved word`,
        ),
      );
    },
  );

  it.each([
    [
      "allocatedStorageGiB",
      { allocatedStorageGiB: 19 },
      "19 is out of range; allowed: an integer from 20 to 65536",
    ],
    [
      "allocatedStorageGiB",
      { allocatedStorageGiB: 65537 },
      "65537 is out of range; allowed: an integer from 20 to 65536",
    ],
    [
      "backupRetentionDays",
      { backupRetentionDays: 36 },
      "36 is out of range; allowed: an integer from 0 to 35",
    ],
    [
      "backupRetentionDays",
      { backupRetentionDays: -1 },
      "-1 is out of range; allowed: an integer from 0 to 35",
    ],
    [
      "passwordVersion",
      { passwordVersion: 0 },
      "0 is out of range; allowed: an integer from 1 to 9007199254740991",
    ],
  ])("GIVEN %s %j WHEN built THEN it is refused", (prop, props, message) => {
    expect(() => build(props)).toThrow(problemLine(`${prop} ${message}`));
  });

  it("GIVEN one subnet WHEN built THEN it is refused", () => {
    expect(() => build({ subnetIds: ["subnet-a"] })).toThrow(
      problemLine('subnetIds ["subnet-a"] has 1 subnets; allowed: at least 2, in different zones'),
    );
  });

  it("GIVEN several invalid props WHEN built THEN one error lists them all", () => {
    expect(() => build({ identifier: "Bad", allocatedStorageGiB: 5, subnetIds: [] })).toThrow(
      new Error(
        [
          "test/Database: invalid props:",
          '- identifier "Bad" is not an RDS identifier; allowed: up to 63 lowercase letters, digits and single hyphens, starting with a letter',
          "- allocatedStorageGiB 5 is out of range; allowed: an integer from 20 to 65536",
          "- subnetIds [] has 0 subnets; allowed: at least 2, in different zones",
        ].join("\n"),
      ),
    );
  });

  it("GIVEN token storage, retention and version WHEN synthesized THEN they are not judged and appear as references", () => {
    const synth = synthStack((stack) => {
      const n = (name: string) => new TerraformVariable(stack, name, { type: "number" }).numberValue;
      return new PostgresDatabase(stack, "Database", {
        vpcId: "vpc-0123",
        subnetIds: SUBNETS,
        passwordWriteOnly: "not-a-real-password",
        allocatedStorageGiB: n("storage"),
        backupRetentionDays: n("retention"),
        passwordVersion: n("password_version"),
      });
    });

    expect(onlyResource(synth.json, "aws_db_instance")).toMatchObject({
      allocated_storage: "${var.storage}",
      backup_retention_period: "${var.retention}",
      password_wo_version: "${var.password_version}",
    });
  });
});
