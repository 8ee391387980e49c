import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { loadConfig } from "../../app/config";
import { REDACTED, serializeError } from "../../app/logger";
import { captureLogger } from "../support/log-capture";

/** The error Node's HTTP parser raises for `bytes`, caught from a real server on loopback. */
async function parserErrorFor(bytes: string): Promise<NodeJS.ErrnoException & { rawPacket?: Buffer }> {
  const server = http.createServer();
  const caught = new Promise<NodeJS.ErrnoException>((resolve) =>
    server.once("clientError", (err: NodeJS.ErrnoException, socket: net.Socket) => {
      socket.destroy();
      resolve(err);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const socket = net.connect((server.address() as AddressInfo).port, "127.0.0.1", () =>
      socket.write(bytes),
    );
    // The server destroys the socket once it has the error; a reset seen here is expected.
    socket.on("error", () => {});
    return await caught;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("createLogger redaction", () => {
  it("GIVEN secrets in a log object WHEN logged THEN passwords, APP_SECRET and auth headers are redacted", () => {
    const { logger, lines } = captureLogger();

    logger.info(
      {
        password: "p1",
        database: { password: "p2" },
        config: { appSecret: "p3", database: { password: "p4" } },
        env: { APP_SECRET: "p5" },
        req: { headers: { authorization: "Bearer p6", cookie: "sid=p7", accept: "application/json" } },
        res: { headers: { "set-cookie": "sid=p8" } },
      },
      "with secrets",
    );

    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).not.toMatch(/p[1-8]/);
    expect(lines[0]).toMatchObject({
      msg: "with secrets",
      password: REDACTED,
      database: { password: REDACTED },
      config: { appSecret: REDACTED, database: { password: REDACTED } },
      env: { APP_SECRET: REDACTED },
      req: { headers: { authorization: REDACTED, cookie: REDACTED, accept: "application/json" } },
      res: { headers: { "set-cookie": REDACTED } },
    });
  });

  it("GIVEN the environment with both secret variables WHEN logged THEN RDS_PASSWORD and APP_SECRET are redacted", () => {
    const { logger, lines } = captureLogger();

    logger.info(
      {
        env: { RDS_PASSWORD: "db-secret-1", APP_SECRET: "app-secret-1", PORT: "5000" },
        RDS_PASSWORD: "db-secret-2",
      },
      "environment",
    );

    expect(lines[0]).toMatchObject({
      env: { RDS_PASSWORD: REDACTED, APP_SECRET: REDACTED, PORT: "5000" },
      RDS_PASSWORD: REDACTED,
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/secret-\d/);
  });

  it("GIVEN the loaded configuration WHEN logged whole THEN its database password and app secret are redacted", () => {
    const { logger, lines } = captureLogger();
    const config = loadConfig({
      RDS_HOSTNAME: "db.internal",
      RDS_PORT: "5432",
      RDS_DB_NAME: "app",
      RDS_USERNAME: "appuser",
      RDS_PASSWORD: "hunter2-password",
      APP_SECRET: "s3cret-app-value",
    });

    logger.info({ config }, "configuration");

    expect(lines[0]).toMatchObject({
      config: {
        appSecret: REDACTED,
        database: { host: "db.internal", port: 5432, user: "appuser", password: REDACTED },
      },
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/hunter2|s3cret/);
  });

  it("GIVEN an error with a password and a Buffer WHEN logged THEN it serializes, password redacted", () => {
    const { logger, lines } = captureLogger();
    const err = Object.assign(new Error("login failed"), {
      code: "ELOGIN",
      password: "err-secret",
      payload: Buffer.from("raw bytes"),
    });

    logger.error({ err }, "login failed");

    expect(lines[0]?.err).toEqual({
      type: "Error",
      message: "login failed",
      stack: expect.stringMatching(/^Error: login failed\n\s+at /),
      code: "ELOGIN",
      password: REDACTED,
    });
  });

  it("GIVEN a Buffer two levels down WHEN logged THEN the line still serializes", () => {
    const { logger, lines } = captureLogger();

    logger.info({ upstream: { body: Buffer.from("ok") } }, "upstream answered");

    expect(lines[0]).toMatchObject({
      msg: "upstream answered",
      upstream: { body: { type: "Buffer", data: [111, 107] } },
    });
  });
});

describe("serializeError", () => {
  it("GIVEN a real HTTP parser error carrying its rawPacket WHEN logged as err THEN type, message, stack and code are kept and the bytes are not", async () => {
    const err = await parserErrorFor("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nextra-bytes");
    const { logger, lines } = captureLogger();

    logger.error({ err }, "parser failed");

    expect(Buffer.isBuffer(err.rawPacket)).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.err).toEqual({
      type: "Error",
      message: "Parse Error: Data after `Connection: close`",
      stack: expect.stringMatching(/^Error: Parse Error: Data after `Connection: close`/),
      code: "HPE_CLOSED_CONNECTION",
      reason: "Data after `Connection: close`",
      bytesParsed: expect.any(Number),
    });
  });

  it("GIVEN an error carrying a socket, a typed array and an ArrayBuffer WHEN serialized THEN those are dropped and the error is unchanged", () => {
    const socket = new net.Socket();
    const err = Object.assign(new Error("write failed"), {
      code: "EPIPE",
      socket,
      samples: new Float64Array([1.5]),
      frame: new ArrayBuffer(8),
      attempt: 2,
    });

    const serialized = serializeError(err);

    expect(JSON.parse(JSON.stringify(serialized))).toEqual({
      type: "Error",
      message: "write failed",
      stack: expect.stringMatching(/^Error: write failed\n\s+at /),
      code: "EPIPE",
      attempt: 2,
    });
    expect(err.socket).toBe(socket);
    expect(err.samples).toEqual(new Float64Array([1.5]));
  });

  it("GIVEN a value that is not an error WHEN logged as err THEN it is logged as it is", () => {
    const { logger, lines } = captureLogger();

    logger.warn({ err: "timed out" }, "gave up");

    expect(lines[0]).toMatchObject({ err: "timed out", msg: "gave up" });
  });
});
