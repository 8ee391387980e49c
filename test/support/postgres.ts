/**
 * A throwaway PostgreSQL cluster for integration tests: `initdb` in a fresh temp dir, a free loopback
 * port, a password-protected user, one database, and stop/start so tests can take the database away
 * and bring it back.
 *
 * PostgreSQL refuses to run as root, so under root (CI) the binaries run as an unprivileged user
 * (`postgres` when it exists, else `nobody`) that owns the temp dir.
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, chownSync, constants, rmSync, statSync, writeFileSync } from "node:fs";
import { appendFile, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { reservePort } from "./fake-agent";

/** A running throwaway cluster. */
export interface TestPostgres {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The TCP port, kept across stop/start. */
  readonly port: number;
  /** The superuser tests connect as. */
  readonly user: string;
  /** Its password (TCP connections require it). */
  readonly password: string;
  /** The database created for the tests. */
  readonly database: string;
  /** The same settings in the shape of the app's `RDS_*` variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops the server (fast shutdown: open connections are terminated). Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. Idempotent. */
  start(): Promise<void>;
  /** Stops the server and deletes the temp dir. Idempotent. */
  destroy(): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Name of the database to create. @default "app" */
  readonly database?: string;
}

interface Runner {
  readonly uid?: number;
  readonly gid?: number;
}

const TIMEOUT_MS = 60_000;

/** Directory holding `initdb` and `pg_ctl`: the first on PATH, else `pg_config --bindir`. */
function findBinDir(): string {
  const hasBoth = (dir: string) =>
    ["initdb", "pg_ctl"].every((name) => {
      try {
        accessSync(path.join(dir, name), constants.X_OK);
        return true;
      } catch {
        // Not in this directory; keep looking.
        return false;
      }
    });
  const fromPath = (process.env.PATH ?? "").split(path.delimiter).find((dir) => dir !== "" && hasBoth(dir));
  if (fromPath) return fromPath;
  let bindir = "";
  try {
    bindir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
  } catch (err) {
    throw new Error(`initdb and pg_ctl are not on PATH and pg_config failed: ${(err as Error).message}`);
  }
  if (!hasBoth(bindir)) throw new Error(`initdb and pg_ctl are neither on PATH nor in ${bindir}`);
  return bindir;
}

/** Under root, the unprivileged account the PostgreSQL binaries run as. */
function findRunner(): Runner {
  if (process.getuid?.() !== 0) return {};
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8", stdio: "pipe" }).trim());
      const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8", stdio: "pipe" }).trim());
      if (uid > 0 && Number.isInteger(gid)) return { uid, gid };
    } catch {
      // No such user on this machine; try the next one.
    }
  }
  throw new Error("running as root, but neither a postgres nor a nobody user exists to run PostgreSQL as");
}

/**
 * Creates, starts and returns a throwaway cluster. Call `destroy()` in `afterAll`.
 *
 * @param options - the database name
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const database = options.database ?? "app";
  const bindir = findBinDir();
  const runner = findRunner();
  const dir = await mkdtemp(path.join(tmpdir(), "pg-test-"));
  const dataDir = path.join(dir, "data");
  const logFile = path.join(dir, "postgres.log");
  const pwFile = path.join(dir, "pwfile");
  const user = "test";
  const password = randomBytes(12).toString("hex");
  const host = "127.0.0.1";
  const port = await reservePort();

  if (runner.uid !== undefined && runner.gid !== undefined) {
    chownSync(dir, runner.uid, runner.gid);
    for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
      if ((statSync(parent).mode & 0o001) === 0) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`${parent} is not searchable by others, so uid ${runner.uid} cannot reach ${dir}`);
      }
      if (parent === path.dirname(parent)) break;
    }
  }

  const run = (binary: string, args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        path.join(bindir, binary),
        args,
        {
          cwd: dir,
          timeout: TIMEOUT_MS,
          uid: runner.uid,
          gid: runner.gid,
          env: { PATH: process.env.PATH ?? "", HOME: dir, LC_ALL: "C", LANG: "C" },
        },
        (err, stdout, stderr) => {
          if (err)
            reject(new Error(`${binary} ${args.join(" ")} failed: ${err.message}\n${stdout}${stderr}`));
          else resolve(stdout);
        },
      );
    });
  const logTail = async () =>
    (await readFile(logFile, "utf8").catch(() => "")).split("\n").slice(-20).join("\n");

  let running = false;
  let destroyed = false;
  const stopNow = (mode: "fast" | "immediate") => run("pg_ctl", ["stop", "-D", dataDir, "-m", mode, "-w"]);
  // If a test process dies without destroy(), do not leave a postmaster and its files behind.
  const onExit = () => {
    if (running) {
      try {
        execFileSync(path.join(bindir, "pg_ctl"), ["stop", "-D", dataDir, "-m", "immediate"], {
          uid: runner.uid,
          gid: runner.gid,
          stdio: "ignore",
        });
      } catch {
        // The process is exiting; nothing else can be done about a failed stop.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);

  const start = async () => {
    if (running) return;
    try {
      await run("pg_ctl", ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "30"]);
    } catch (err) {
      throw new Error(`${(err as Error).message}\npostgres log:\n${await logTail()}`);
    }
    running = true;
  };
  const stop = async () => {
    if (!running) return;
    await stopNow("fast");
    running = false;
  };
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    process.off("exit", onExit);
    try {
      if (running) await stopNow("immediate");
      running = false;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  try {
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (runner.uid !== undefined && runner.gid !== undefined) chownSync(pwFile, runner.uid, runner.gid);
    await run("initdb", [
      "-D",
      dataDir,
      "-U",
      user,
      `--pwfile=${pwFile}`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    await appendFile(
      path.join(dataDir, "postgresql.conf"),
      [
        "",
        `port = ${port}`,
        `listen_addresses = '${host}'`,
        `unix_socket_directories = '${dir}'`,
        // Durability is irrelevant for a throwaway cluster; these make it start and write faster.
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "max_connections = 50",
        "",
      ].join("\n"),
    );
    await start();

    const admin = new pg.Client({ host, port, user, password, database: "postgres" });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    } finally {
      await admin.end();
    }
  } catch (err) {
    await destroy();
    throw err;
  }

  return {
    host,
    port,
    user,
    password,
    database,
    env: Object.freeze({
      RDS_HOSTNAME: host,
      RDS_PORT: String(port),
      RDS_DB_NAME: database,
      RDS_USERNAME: user,
      RDS_PASSWORD: password,
    }),
    start,
    stop,
    destroy,
  };
}
