/**
 * The PostgreSQL access layer: a pg.Pool that tolerates the database being absent, down, or coming
 * back, so the service keeps answering (503 on database routes) instead of crashing or needing a restart.
 */
import pg from "pg";
import type { Logger } from "pino";
import type { DatabaseConfig } from "./config";

/** The schema. Idempotent, so every task runs it at start. */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS items (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name varchar(200) NOT NULL,
  description varchar(2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Serialises migrations across tasks: concurrent `CREATE TABLE IF NOT EXISTS` can fail with a
 * unique violation on pg_type when two tasks start together.
 */
const MIGRATION_LOCK_ID = 0x6b6f6161;

/**
 * SQLSTATE classes meaning "the database cannot serve us right now": connection exception (08),
 * insufficient resources (53), operator intervention incl. shutdown and statement timeout (57),
 * invalid authorization (28), invalid catalog name (3D).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57|28|3D)/;

/** Errors pg and pg-pool raise without a SQLSTATE when the connection fails or dies. */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout/;

/**
 * The database cannot serve the request: not configured, unreachable, shutting down, or timed out.
 * Carries `status` 503 so Koa treats it as an HTTP error; `expose` is false like every 5xx.
 */
export class DatabaseUnavailableError extends Error {
  /** HTTP status for this error. */
  readonly status = 503;
  /** Same as `status`; Koa's HttpError check requires both. */
  readonly statusCode = 503;
  /** 5xx messages are not shown to clients. */
  readonly expose = false;

  /**
   * @param message - what is unavailable
   * @param options - the underlying error as `cause`
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseUnavailableError";
  }
}

/** Whether an error from pg means the database is unavailable, as opposed to a bad query. */
export function isUnavailableError(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (err instanceof pg.DatabaseError) return UNAVAILABLE_SQLSTATE.test(err.code ?? "");
  // Duck-typed: socket errors come from Node's own realm, where `instanceof Error` can be false (jest).
  if (typeof err !== "object" || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  // Socket errors (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ...) carry an errno-style code.
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return true;
  return typeof message === "string" && UNAVAILABLE_MESSAGE.test(message);
}

/** Options of {@link Database}. */
export interface DatabaseOptions {
  /** Connection settings; `undefined` means the service runs without a database. */
  readonly config: DatabaseConfig | undefined;
  /** Logger for pool and migration events. */
  readonly logger: Logger;
  /** How long to wait for a connection before answering 503. @default 2000 */
  readonly connectTimeoutMs?: number;
  /** Server-side statement timeout. @default 5000 */
  readonly statementTimeoutMs?: number;
  /** Pool size. @default 10 */
  readonly maxConnections?: number;
  /** First delay before retrying a failed start-up migration; doubles up to 30 s. @default 1000 */
  readonly migrationRetryMs?: number;
}

/**
 * A pg.Pool wrapper. Connections are opened on first use; every failure to reach the database becomes
 * a {@link DatabaseUnavailableError}; the schema is migrated at start, retried in the background while
 * the database is down, and re-attempted by the first query after it comes back.
 */
export class Database {
  /** Whether connection settings were given. */
  readonly configured: boolean;
  private readonly pool: pg.Pool | undefined;
  private readonly logger: Logger;
  private readonly migrationRetryMs: number;
  private schemaReady = false;
  private migrating: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  /** @param options - connection settings and timeouts */
  constructor(options: DatabaseOptions) {
    const {
      config,
      logger,
      connectTimeoutMs = 2000,
      statementTimeoutMs = 5000,
      maxConnections = 10,
    } = options;
    this.logger = logger;
    this.migrationRetryMs = options.migrationRetryMs ?? 1000;
    this.configured = config !== undefined;
    if (config === undefined) return;

    this.pool = new pg.Pool({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      password: config.password,
      max: maxConnections,
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      // The client-side bound covers a server that stops answering without closing the socket.
      query_timeout: statementTimeoutMs + 1000,
      idleTimeoutMillis: 10_000,
      application_name: "koaapp",
    });
    // Without a listener, an idle client's error (database restarted, network cut) crashes the process.
    this.pool.on("error", (err) => {
      this.logger.warn({ err }, "idle database connection failed");
    });
  }

  /**
   * Migrates the schema once. When that fails, logs it and keeps retrying in the background, so the
   * service starts even while the database is down. Never rejects.
   */
  async start(): Promise<void> {
    if (!this.pool) {
      this.logger.info("database not configured; database routes will answer 503");
      return;
    }
    await this.migrateInBackground(this.migrationRetryMs);
  }

  /**
   * Runs the idempotent schema migration now (concurrent calls share one run).
   *
   * @throws DatabaseUnavailableError when the database cannot be reached; the pg error otherwise
   */
  migrate(): Promise<void> {
    const pool = this.usablePool();
    this.migrating ??= this.runMigration(pool).finally(() => {
      this.migrating = undefined;
    });
    return this.migrating;
  }

  /** Whether the database answers and the schema is in place. Never rejects. */
  async ready(): Promise<boolean> {
    try {
      await this.query("SELECT 1");
      return true;
    } catch (err) {
      this.logger.debug({ err }, "database not ready");
      return false;
    }
  }

  /**
   * Runs a parameterised query, migrating first if the schema is not in place yet.
   *
   * @param text - SQL with `$1`-style placeholders
   * @param values - the parameters
   * @throws DatabaseUnavailableError when the database is not configured or cannot be reached
   */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    const pool = this.usablePool();
    if (!this.schemaReady) await this.migrate();
    try {
      return await pool.query<R>(text, values);
    } catch (err) {
      throw translate(err);
    }
  }

  /** Stops background retries and ends the pool. Idempotent. */
  close(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.closing ??= this.pool ? this.pool.end() : Promise.resolve();
    return this.closing;
  }

  private usablePool(): pg.Pool {
    if (!this.pool) throw new DatabaseUnavailableError("the database is not configured");
    if (this.closing) throw new DatabaseUnavailableError("the database connection is closed");
    return this.pool;
  }

  private async migrateInBackground(delayMs: number): Promise<void> {
    this.retryTimer = undefined;
    if (this.closing || this.schemaReady) return;
    try {
      await this.migrate();
    } catch (err) {
      const next = Math.min(delayMs * 2, 30_000);
      const level = isUnavailableError(err) ? "warn" : "error";
      this.logger[level](
        { err, retryInMs: delayMs },
        "database migration failed; retrying in the background",
      );
      if (this.closing) return;
      // Unref'd: a pending retry must not keep the process alive during shutdown.
      this.retryTimer = setTimeout(() => void this.migrateInBackground(next), delayMs).unref();
    }
  }

  private async runMigration(pool: pg.Pool): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw translate(err);
    }
    let failed = false;
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
      await client.query(SCHEMA_SQL);
      await client.query("COMMIT");
      this.schemaReady = true;
      this.logger.info("database schema migrated");
    } catch (err) {
      failed = true;
      throw translate(err);
    } finally {
      // Destroying a failed client also discards its open transaction.
      client.release(failed);
    }
  }
}

function translate(err: unknown): unknown {
  if (err instanceof DatabaseUnavailableError || !isUnavailableError(err)) return err;
  return new DatabaseUnavailableError("the database is unavailable", { cause: err });
}
