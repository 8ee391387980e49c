/**
 * The `/items` resource, stored in PostgreSQL. Bad input of any kind is a 4xx, never a 500.
 */
import type { IncomingMessage } from "node:http";
import { Router } from "@koa/router";
import type { Context } from "koa";
import type { Database } from "./db";

/** Default limit of a request body. */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

/** Longest `name`, in characters (the column is varchar(200)). */
export const NAME_MAX_CHARS = 200;

/** Longest `description`, in characters (the column is varchar(2000)). */
export const DESCRIPTION_MAX_CHARS = 2000;

/** Largest `limit` of a list request; also its default is {@link DEFAULT_LIST_LIMIT}. */
export const MAX_LIST_LIMIT = 100;

/** `limit` of a list request that gives none. */
export const DEFAULT_LIST_LIMIT = 50;

/** Ids, offsets: the range of the integer column. */
const MAX_INT4 = 2_147_483_647;

const ITEM_FIELDS = ["name", "description"];

const SELECT_COLUMNS = `id, name, description, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** An item as the API returns it. */
export interface Item {
  /** Assigned by the database, from 1. */
  id: number;
  /** 1 to 200 characters. */
  name: string;
  /** At most 2000 characters, or null. */
  description: string | null;
  /** When it was created. */
  createdAt: Date;
  /** When it was last replaced. */
  updatedAt: Date;
}

/** What a client may write. */
export interface ItemInput {
  /** 1 to 200 characters, not blank. */
  name: string;
  /** At most 2000 characters; absent or null stores null. */
  description: string | null;
}

/** Options of {@link itemsRouter}. */
export interface ItemsRouterOptions {
  /** Where items are stored. */
  readonly db: Database;
  /** Largest accepted request body. @default 16384 */
  readonly bodyLimitBytes?: number;
}

/**
 * Routes `GET /items`, `POST /items`, `GET /items/:id`, `PUT /items/:id` (full replacement) and
 * `DELETE /items/:id`. Route templates are registered without a prefix so `ctx._matchedRoute` is the
 * full template (`/items/:id`).
 *
 * @param options - the database and the body limit
 */
export function itemsRouter(options: ItemsRouterOptions): Router {
  const { db, bodyLimitBytes = DEFAULT_BODY_LIMIT_BYTES } = options;
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1) {
    throw new TypeError(`itemsRouter: bodyLimitBytes must be a positive integer, got ${bodyLimitBytes}`);
  }
  const router = new Router();

  router.get("/items", async function listItems(ctx) {
    const problems: string[] = [];
    const limit = queryInteger(ctx, "limit", DEFAULT_LIST_LIMIT, 1, MAX_LIST_LIMIT, problems);
    const offset = queryInteger(ctx, "offset", 0, 0, MAX_INT4, problems);
    if (problems.length > 0) ctx.throw(400, "invalid query", { details: problems });
    const { rows } = await db.query<Item>(
      `SELECT ${SELECT_COLUMNS} FROM items ORDER BY id LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
    ctx.body = { items: rows, limit, offset };
  });

  router.post("/items", async function createItem(ctx) {
    const input = parseItem(ctx, await readJsonBody(ctx, bodyLimitBytes));
    const { rows } = await db.query<Item>(
      `INSERT INTO items (name, description) VALUES ($1, $2) RETURNING ${SELECT_COLUMNS}`,
      [input.name, input.description],
    );
    const [item] = rows;
    ctx.status = 201;
    ctx.set("Location", `/items/${item?.id}`);
    ctx.body = item;
  });

  router.get("/items/:id", async function getItem(ctx) {
    const id = parseId(ctx, ctx.params.id);
    const { rows } = await db.query<Item>(`SELECT ${SELECT_COLUMNS} FROM items WHERE id = $1`, [id]);
    if (rows.length === 0) ctx.throw(404, `item ${id} not found`);
    ctx.body = rows[0];
  });

  router.put("/items/:id", async function replaceItem(ctx) {
    const id = parseId(ctx, ctx.params.id);
    const input = parseItem(ctx, await readJsonBody(ctx, bodyLimitBytes));
    const { rows } = await db.query<Item>(
      `UPDATE items SET name = $2, description = $3, updated_at = now() WHERE id = $1 RETURNING ${SELECT_COLUMNS}`,
      [id, input.name, input.description],
    );
    if (rows.length === 0) ctx.throw(404, `item ${id} not found`);
    ctx.body = rows[0];
  });

  router.delete("/items/:id", async function deleteItem(ctx) {
    const id = parseId(ctx, ctx.params.id);
    const { rowCount } = await db.query("DELETE FROM items WHERE id = $1", [id]);
    if (rowCount === 0) ctx.throw(404, `item ${id} not found`);
    ctx.status = 204;
  });

  return router;
}

/**
 * Reads and parses a JSON request body.
 *
 * @param ctx - the request
 * @param limitBytes - largest accepted body
 * @throws 400 for a missing or empty body; 415 for a non-JSON content type, charset or content encoding;
 *   413 over the limit; 400 for invalid UTF-8 or malformed JSON
 */
export async function readJsonBody(ctx: Context, limitBytes: number): Promise<unknown> {
  const type = ctx.request.is("application/json", "application/*+json");
  if (type === null || ctx.request.length === 0) ctx.throw(400, "a JSON request body is required");
  if (type === false) {
    ctx.throw(
      415,
      `content type ${JSON.stringify(ctx.get("content-type"))} is not supported; allowed: application/json`,
    );
  }
  const charset = ctx.request.charset.toLowerCase();
  if (charset !== "" && charset !== "utf-8" && charset !== "utf8") {
    ctx.throw(415, `charset ${JSON.stringify(charset)} is not supported; allowed: utf-8`);
  }
  const encoding = ctx.get("content-encoding").toLowerCase();
  if (encoding !== "" && encoding !== "identity") {
    ctx.throw(415, `content encoding ${JSON.stringify(encoding)} is not supported; allowed: identity`);
  }
  const tooLarge = (): never =>
    // Closing the connection stops a client from streaming the rest of an oversized body into it.
    ctx.throw(413, `request body exceeds ${limitBytes} bytes`, { headers: { Connection: "close" } });
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limitBytes) tooLarge();

  let raw: Buffer | undefined;
  try {
    raw = await readRaw(ctx.req, limitBytes);
  } catch (err) {
    ctx.throw(400, "the request body could not be read", { cause: err });
  }
  if (raw === undefined) return tooLarge();

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    // TextDecoder's message says nothing more than this one.
    ctx.throw(400, "request body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    ctx.throw(400, `malformed JSON: ${(err as Error).message}`);
  }
}

/** The body's bytes, or `undefined` once it exceeds the limit (the rest is left for Node to discard). */
function readRaw(req: IncomingMessage, limitBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.resume();
        resolve(undefined);
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => onError(new Error("request body aborted by the client"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/** Validates a request body as an {@link ItemInput}; a 400 lists every problem. */
function parseItem(ctx: Context, body: unknown): ItemInput {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    ctx.throw(400, "invalid item", { details: ["the body must be a JSON object"] });
  }
  const record = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(record)) {
    if (!ITEM_FIELDS.includes(key)) {
      problems.push(`unknown field ${JSON.stringify(key)}; allowed: ${ITEM_FIELDS.join(", ")}`);
    }
  }
  const { name, description = null } = record;
  if (name === undefined) problems.push("name is required");
  else checkText("name", name, 1, NAME_MAX_CHARS, problems);
  if (description !== null) checkText("description", description, 0, DESCRIPTION_MAX_CHARS, problems);
  if (problems.length > 0) ctx.throw(400, "invalid item", { details: problems });
  return { name: name as string, description: description as string | null };
}

function checkText(field: string, value: unknown, min: number, max: number, problems: string[]): void {
  if (typeof value !== "string") {
    problems.push(`${field} must be a string, got ${value === null ? "null" : typeof value}`);
    return;
  }
  // Code points, as PostgreSQL counts varchar length.
  const length = [...value].length;
  if (length < min || length > max) {
    problems.push(`${field} must be ${min} to ${max} characters, got ${length}`);
  } else if (min > 0 && value.trim() === "") {
    problems.push(`${field} must not be blank`);
  }
  // PostgreSQL text cannot hold NUL; without this check it would be a 500.
  if (value.includes("\u0000")) problems.push(`${field} must not contain NUL characters`);
}

function parseId(ctx: Context, raw: string | undefined): number {
  const id = raw !== undefined && /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(id <= MAX_INT4))
    ctx.throw(400, `id must be an integer from 1 to ${MAX_INT4}, got ${JSON.stringify(raw)}`);
  return id;
}

function queryInteger(
  ctx: Context,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = ctx.query[name];
  if (raw === undefined) return fallback;
  const value = typeof raw === "string" && /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (value >= min && value <= max) return value;
  problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return fallback;
}
