import http from "node:http";
import type { AddressInfo } from "node:net";
import type Koa from "koa";
import request from "supertest";
import { createApp } from "../../app/app";
import { type AppConfig, loadConfig } from "../../app/config";
import { Database, DatabaseUnavailableError } from "../../app/db";
import { captureLogger, type LogLine } from "../support/log-capture";
import { startPostgres, type TestPostgres } from "../support/postgres";

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Sends a raw request to a listening copy of the app, for bodies supertest cannot shape (chunked). */
async function rawRequest(
  app: Koa,
  options: http.RequestOptions,
  chunks: Buffer[],
): Promise<{ status: number; body: unknown }> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      const req = http.request({ ...options, host: "127.0.0.1", port, agent: false }, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (part: Buffer) => parts.push(part));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString()) }),
        );
      });
      // The server may answer 413 and close before the whole upload is written.
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code !== "EPIPE" && err.code !== "ECONNRESET") reject(err);
      });
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let postgres: TestPostgres;
let config: AppConfig;
let db: Database;
let app: Koa;
let lines: LogLine[];

beforeAll(async () => {
  postgres = await startPostgres();
  config = loadConfig({ ...postgres.env });
  const captured = captureLogger();
  lines = captured.lines;
  db = new Database({ config: config.database, logger: captured.logger, migrationRetryMs: 50 });
  await db.start();
  app = createApp({ config, logger: captured.logger, db });
});

afterAll(async () => {
  await db?.close();
  await postgres?.destroy();
});

async function createItem(body: object): Promise<{ id: number; name: string; description: string | null }> {
  const response = await request(app.callback()).post("/items").send(body);
  expect(response.status).toBe(201);
  return response.body;
}

describe("items happy path against PostgreSQL", () => {
  it("GIVEN a valid item WHEN POST /items THEN 201 with the stored item and its Location", async () => {
    const response = await request(app.callback())
      .post("/items")
      .send({ name: "widget", description: "a small widget" });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(Number),
      name: "widget",
      description: "a small widget",
      createdAt: expect.stringMatching(ISO_DATE),
      updatedAt: expect.stringMatching(ISO_DATE),
    });
    expect(response.headers.location).toBe(`/items/${response.body.id}`);
  });

  it("GIVEN an item without description WHEN created THEN description is null", async () => {
    const item = await createItem({ name: "no description" });

    expect(item.description).toBeNull();
  });

  it("GIVEN a stored item WHEN GET /items/:id THEN it is returned", async () => {
    const created = await createItem({ name: "fetch me", description: "d" });

    const response = await request(app.callback()).get(`/items/${created.id}`);

    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
  });

  it("GIVEN stored items WHEN GET /items with limit and offset THEN that page is returned in id order", async () => {
    const a = await createItem({ name: "page-a" });
    const b = await createItem({ name: "page-b" });
    const all = await request(app.callback()).get("/items?limit=100");
    const indexOfA = all.body.items.findIndex((item: { id: number }) => item.id === a.id);

    const response = await request(app.callback()).get(`/items?limit=1&offset=${indexOfA + 1}`);

    expect(all.status).toBe(200);
    expect(all.body.limit).toBe(100);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      items: [expect.objectContaining({ id: b.id, name: "page-b" })],
      limit: 1,
      offset: indexOfA + 1,
    });
  });

  it("GIVEN no paging parameters WHEN GET /items THEN the defaults are limit 50, offset 0", async () => {
    const response = await request(app.callback()).get("/items");

    expect(response.status).toBe(200);
    expect(response.body.limit).toBe(50);
    expect(response.body.offset).toBe(0);
    expect(Array.isArray(response.body.items)).toBe(true);
  });

  it("GIVEN a stored item WHEN PUT /items/:id THEN it is replaced and GET shows the new values", async () => {
    const created = await createItem({ name: "before", description: "old" });

    const response = await request(app.callback()).put(`/items/${created.id}`).send({ name: "after" });
    const fetched = await request(app.callback()).get(`/items/${created.id}`);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: created.id, name: "after", description: null });
    expect(Date.parse(response.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(response.body.createdAt));
    expect(fetched.body).toEqual(response.body);
  });

  it("GIVEN a stored item WHEN DELETE /items/:id THEN 204 and it is gone", async () => {
    const created = await createItem({ name: "delete me" });

    const response = await request(app.callback()).delete(`/items/${created.id}`);
    const fetched = await request(app.callback()).get(`/items/${created.id}`);

    expect(response.status).toBe(204);
    expect(response.text).toBe("");
    expect(fetched.status).toBe(404);
  });

  it("GIVEN names of exactly 200 characters, including astral ones WHEN created THEN PostgreSQL accepts them", async () => {
    const ascii = await createItem({ name: "n".repeat(200) });
    const emoji = await createItem({ name: "😀".repeat(200), description: "é".repeat(2000) });

    expect(ascii.name).toHaveLength(200);
    expect([...emoji.name]).toHaveLength(200);
  });

  it("GIVEN a JSON content type with charset WHEN POST /items THEN it is accepted", async () => {
    const response = await request(app.callback())
      .post("/items")
      .set("content-type", "application/json; charset=utf-8")
      .send(JSON.stringify({ name: "charset" }));

    expect(response.status).toBe(201);
  });
});

describe("items validation", () => {
  it.each([
    ["{not json", /^malformed JSON: /],
    ['{"name": "x",}', /^malformed JSON: /],
    ["  ", /^malformed JSON: /],
  ])("GIVEN the body %j WHEN POST /items THEN 400 malformed JSON", async (body, message) => {
    const response = await request(app.callback())
      .post("/items")
      .set("content-type", "application/json")
      .send(body);

    expect(response.status).toBe(400);
    expect(response.body.error).toBe("Bad Request");
    expect(response.body.message).toMatch(message);
  });

  it.each([
    ["no content type", {}],
    ["a JSON content type", { "content-type": "application/json" }],
  ])("GIVEN an empty body with %s WHEN POST /items THEN 400 asks for a JSON body", async (_, headers) => {
    const response = await request(app.callback()).post("/items").set(headers);

    expect(response.status).toBe(400);
    expect(response.body.message).toBe("a JSON request body is required");
  });

  it("GIVEN bytes that are not UTF-8 WHEN POST /items THEN 400", async () => {
    const response = await rawRequest(
      app,
      { method: "POST", path: "/items", headers: { "content-type": "application/json" } },
      [Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])],
    );

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ message: "request body is not valid UTF-8" });
  });

  it.each([
    [[], ["the body must be a JSON object"]],
    [null, ["the body must be a JSON object"]],
    ["just a string", ["the body must be a JSON object"]],
    [{}, ["name is required"]],
    [{ name: "" }, ["name must be 1 to 200 characters, got 0"]],
    [{ name: "   " }, ["name must not be blank"]],
    [{ name: null }, ["name must be a string, got null"]],
    [{ name: 42 }, ["name must be a string, got number"]],
    [{ name: "n".repeat(201) }, ["name must be 1 to 200 characters, got 201"]],
    [{ name: "ok", description: "d".repeat(2001) }, ["description must be 0 to 2000 characters, got 2001"]],
    [{ name: "ok", description: ["x"] }, ["description must be a string, got object"]],
    [{ name: "nul\u0000byte" }, ["name must not contain NUL characters"]],
    [
      { name: "", description: 5, colour: "red" },
      [
        'unknown field "colour"; allowed: name, description',
        "name must be 1 to 200 characters, got 0",
        "description must be a string, got number",
      ],
    ],
  ])("GIVEN the body %j WHEN POST /items THEN 400 lists %j", async (body, details) => {
    const response = await request(app.callback())
      .post("/items")
      .set("content-type", "application/json")
      .send(JSON.stringify(body));

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      status: 400,
      error: "Bad Request",
      message: "invalid item",
      details,
      requestId: response.headers["x-request-id"],
    });
  });

  it("GIVEN a stored item WHEN PUT with bad fields THEN 400 and the item is unchanged", async () => {
    const created = await createItem({ name: "keep me" });

    const response = await request(app.callback()).put(`/items/${created.id}`).send({ name: 7 });
    const fetched = await request(app.callback()).get(`/items/${created.id}`);

    expect(response.status).toBe(400);
    expect(response.body.details).toEqual(["name must be a string, got number"]);
    expect(fetched.body.name).toBe("keep me");
  });

  it.each([["abc"], ["1.5"], ["0"], ["-1"], ["1e3"], ["2147483648"], ["99999999999999999999"]])(
    "GIVEN the id %s WHEN GET, PUT and DELETE /items/:id THEN 400",
    async (id) => {
      const message = `id must be an integer from 1 to 2147483647, got "${id}"`;

      const responses = await Promise.all([
        request(app.callback()).get(`/items/${id}`),
        request(app.callback()).put(`/items/${id}`).send({ name: "x" }),
        request(app.callback()).delete(`/items/${id}`),
      ]);

      for (const response of responses) {
        expect(response.status).toBe(400);
        expect(response.body.message).toBe(message);
      }
    },
  );

  it("GIVEN an id no item has WHEN GET, PUT and DELETE /items/:id THEN 404", async () => {
    const responses = await Promise.all([
      request(app.callback()).get("/items/2147483647"),
      request(app.callback()).put("/items/2147483647").send({ name: "x" }),
      request(app.callback()).delete("/items/2147483647"),
    ]);

    for (const response of responses) {
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({
        status: 404,
        error: "Not Found",
        message: "item 2147483647 not found",
      });
    }
  });

  it.each([
    ["limit=0", ['limit must be an integer from 1 to 100, got "0"']],
    ["limit=101", ['limit must be an integer from 1 to 100, got "101"']],
    ["limit=ten", ['limit must be an integer from 1 to 100, got "ten"']],
    ["offset=-1", ['offset must be an integer from 0 to 2147483647, got "-1"']],
    ["limit=1&limit=2", ['limit must be an integer from 1 to 100, got ["1","2"]']],
    [
      "limit=x&offset=y",
      [
        'limit must be an integer from 1 to 100, got "x"',
        'offset must be an integer from 0 to 2147483647, got "y"',
      ],
    ],
  ])("GIVEN the query %s WHEN GET /items THEN 400 lists %j", async (query, details) => {
    const response = await request(app.callback()).get(`/items?${query}`);

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ message: "invalid query", details });
  });

  it("GIVEN a body over 16 KiB with Content-Length WHEN POST /items THEN 413 and the connection is closed", async () => {
    const body = JSON.stringify({ name: "big", description: "x".repeat(16 * 1024) });

    const response = await request(app.callback())
      .post("/items")
      .set("content-type", "application/json")
      .send(body);

    expect(response.status).toBe(413);
    expect(response.headers.connection).toBe("close");
    expect(response.body).toMatchObject({ status: 413, message: "request body exceeds 16384 bytes" });
  });

  it("GIVEN a chunked body growing over 16 KiB WHEN POST /items THEN 413", async () => {
    const chunk = Buffer.from(`{"name":"big","description":"${"x".repeat(8 * 1024)}`);

    const response = await rawRequest(
      app,
      {
        method: "POST",
        path: "/items",
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      },
      [chunk, chunk, chunk, Buffer.from('"}')],
    );

    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ message: "request body exceeds 16384 bytes" });
  });

  it.each([
    ["text/plain", 'content type "text/plain" is not supported; allowed: application/json'],
    [
      "application/x-www-form-urlencoded",
      'content type "application/x-www-form-urlencoded" is not supported; allowed: application/json',
    ],
    ["application/json; charset=latin1", 'charset "latin1" is not supported; allowed: utf-8'],
  ])("GIVEN content type %s WHEN POST and PUT THEN 415", async (type, message) => {
    const created = await createItem({ name: "typed" });

    const responses = await Promise.all([
      request(app.callback()).post("/items").set("content-type", type).send('{"name":"x"}'),
      request(app.callback()).put(`/items/${created.id}`).set("content-type", type).send('{"name":"x"}'),
    ]);

    for (const response of responses) {
      expect(response.status).toBe(415);
      expect(response.body).toMatchObject({ status: 415, error: "Unsupported Media Type", message });
    }
  });

  it("GIVEN a gzip content encoding WHEN POST /items THEN 415", async () => {
    const response = await request(app.callback())
      .post("/items")
      .set("content-type", "application/json")
      .set("content-encoding", "gzip")
      .send('{"name":"x"}');

    expect(response.status).toBe(415);
    expect(response.body.message).toBe('content encoding "gzip" is not supported; allowed: identity');
  });
});

describe("schema migration", () => {
  it("GIVEN a migrated database WHEN migrate runs twice more THEN it succeeds and keeps the data", async () => {
    const created = await createItem({ name: "survives migrations" });

    await db.migrate();
    await db.migrate();

    const { rows } = await db.query<{ name: string }>("SELECT name FROM items WHERE id = $1", [created.id]);
    expect(rows).toEqual([{ name: "survives migrations" }]);
  });

  it("GIVEN two instances starting together WHEN both migrate concurrently THEN both succeed", async () => {
    const { logger } = captureLogger();
    const first = new Database({ config: config.database, logger });
    const second = new Database({ config: config.database, logger });

    try {
      const results = await Promise.allSettled([first.migrate(), second.migrate(), first.migrate()]);

      expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
      const { rows } = await first.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position",
      );
      expect(rows.map((row) => row.column_name)).toEqual([
        "id",
        "name",
        "description",
        "created_at",
        "updated_at",
      ]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe("database outages", () => {
  it("GIVEN the database stops WHEN requests arrive THEN /items and /ready answer 503 JSON while / and /health answer 200", async () => {
    await request(app.callback()).get("/items");
    await postgres.stop();
    try {
      const [items, item, create, ready, root, health] = await Promise.all([
        request(app.callback()).get("/items"),
        request(app.callback()).get("/items/1"),
        request(app.callback()).post("/items").send({ name: "while down" }),
        request(app.callback()).get("/ready"),
        request(app.callback()).get("/"),
        request(app.callback()).get("/health"),
      ]);

      for (const response of [items, item, create]) {
        expect(response.status).toBe(503);
        expect(response.headers["content-type"]).toMatch(/^application\/json/);
        expect(response.body).toMatchObject({ status: 503, error: "Service Unavailable" });
      }
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: "unavailable", database: "unavailable" });
      expect(root.status).toBe(200);
      expect(health.status).toBe(200);
      // The pooled connection the server terminated was reported, not thrown.
      expect(lines.some((line) => line.msg === "idle database connection failed")).toBe(true);
    } finally {
      await postgres.start();
    }
  });

  it("GIVEN the database came back WHEN requests arrive THEN the same app serves them again", async () => {
    const ready = await eventually(async () => {
      const response = await request(app.callback()).get("/ready");
      return response.status === 200 ? response : undefined;
    }, "/ready to recover");

    const created = await request(app.callback()).post("/items").send({ name: "after restart" });
    const listed = await request(app.callback()).get("/items?limit=100");

    expect(ready.body).toEqual({ status: "ready", database: "ok" });
    expect(created.status).toBe(201);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { name: string }) => item.name)).toContain("after restart");
  });

  it("GIVEN the database is down when the service starts WHEN it comes back THEN the schema is created and /items works", async () => {
    await db.query("DROP TABLE items");
    await postgres.stop();
    const captured = captureLogger();
    const late = new Database({ config: config.database, logger: captured.logger, migrationRetryMs: 50 });
    const lateApp = createApp({ config, logger: captured.logger, db: late });
    try {
      const started = Date.now();
      await late.start();
      const whileDown = await request(lateApp.callback()).get("/items");

      expect(Date.now() - started).toBeLessThan(3000);
      expect(whileDown.status).toBe(503);
      expect(
        captured.lines.find((line) => line.msg === "database migration failed; retrying in the background"),
      ).toMatchObject({
        level: 40,
        retryInMs: 50,
      });

      await postgres.start();
      await eventually(
        () => captured.lines.find((line) => line.msg === "database schema migrated"),
        "the background migration",
      );
      const listed = await request(lateApp.callback()).get("/items");

      expect(listed.status).toBe(200);
      expect(listed.body.items).toEqual([]);
    } finally {
      await late.close();
      await postgres.start();
    }
  });

  it("GIVEN a closed database WHEN queried THEN DatabaseUnavailableError says it is closed", async () => {
    const { logger } = captureLogger();
    const closed = new Database({ config: config.database, logger });
    await closed.close();

    await expect(closed.query("SELECT 1")).rejects.toThrow(
      new DatabaseUnavailableError("the database connection is closed"),
    );
  });
});
