import { ConfigError, loadConfig } from "../../app/config";
import { DEFAULT_NAMESPACE } from "../../contract/metrics";

const DATABASE_ENV = {
  RDS_HOSTNAME: "db.internal",
  RDS_PORT: "5432",
  RDS_DB_NAME: "app",
  RDS_USERNAME: "appuser",
  RDS_PASSWORD: "hunter2-password",
};

// A longer timer would fire after 1 ms: https://nodejs.org/api/timers.html#settimeoutcallback-delay-args
const SHUTDOWN_ALLOWED =
  "allowed: an integer of milliseconds from 1 to 2147483647, below the ECS stopTimeout";

const DATABASE_ALLOWED =
  "allowed: all of RDS_HOSTNAME, RDS_PORT, RDS_DB_NAME, RDS_USERNAME, RDS_PASSWORD, " +
  "or none of them to run without a database";

/** The ConfigError thrown for `env`, so tests can assert its message and problems. */
function configErrorFor(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected loadConfig to throw a ConfigError");
}

describe("loadConfig defaults", () => {
  it("GIVEN an empty environment WHEN loaded THEN every default applies and the database is not configured", () => {
    const config = loadConfig({});

    expect(config).toEqual({
      port: 5000,
      host: undefined,
      database: undefined,
      appSecret: undefined,
      envType: "development",
      metricsMode: "aggregate",
      emfEnvironment: { AWS_EMF_NAMESPACE: DEFAULT_NAMESPACE },
      shutdownTimeoutMs: 25000,
      logLevel: "info",
    });
  });

  it("GIVEN variables set to empty strings WHEN loaded THEN they count as unset", () => {
    const config = loadConfig({ PORT: "", HOST: "", METRICS_MODE: "", RDS_HOSTNAME: "", RDS_PASSWORD: "" });

    expect(config.port).toBe(5000);
    expect(config.host).toBeUndefined();
    expect(config.metricsMode).toBe("aggregate");
    expect(config.database).toBeUndefined();
  });

  it("GIVEN no argument WHEN loaded THEN process.env is read", () => {
    const saved = process.env.ENV_TYPE;
    process.env.ENV_TYPE = "from-process-env";
    try {
      expect(loadConfig().envType).toBe("from-process-env");
    } finally {
      if (saved === undefined) delete process.env.ENV_TYPE;
      else process.env.ENV_TYPE = saved;
    }
  });
});

describe("loadConfig with every variable", () => {
  const env = {
    ...DATABASE_ENV,
    PORT: "8080",
    HOST: "0.0.0.0",
    APP_SECRET: "s3cret-app-value",
    ENV_TYPE: "production",
    AWS_EMF_AGENT_ENDPOINT: "udp://10.0.0.5:25888",
    AWS_EMF_SERVICE_NAME: "koaapp",
    AWS_EMF_SERVICE_TYPE: "AWS::ECS::Container",
    AWS_EMF_LOG_GROUP_NAME: "/ecs/koaapp/metrics",
    AWS_EMF_LOG_STREAM_NAME: "task-1",
    AWS_EMF_NAMESPACE: "shop",
    AWS_EMF_ENVIRONMENT: "Local",
    METRICS_MODE: "request",
    SHUTDOWN_TIMEOUT_MS: "20000",
    LOG_LEVEL: "debug",
  };

  it("GIVEN the task definition's variables WHEN loaded THEN each lands in its typed field", () => {
    const config = loadConfig(env);

    expect(config).toEqual({
      port: 8080,
      host: "0.0.0.0",
      database: {
        host: "db.internal",
        port: 5432,
        database: "app",
        user: "appuser",
        password: "hunter2-password",
      },
      appSecret: "s3cret-app-value",
      envType: "production",
      metricsMode: "request",
      emfEnvironment: {
        AWS_EMF_AGENT_ENDPOINT: "udp://10.0.0.5:25888",
        AWS_EMF_NAMESPACE: "shop",
        AWS_EMF_SERVICE_NAME: "koaapp",
        AWS_EMF_SERVICE_TYPE: "AWS::ECS::Container",
        AWS_EMF_LOG_GROUP_NAME: "/ecs/koaapp/metrics",
        AWS_EMF_LOG_STREAM_NAME: "task-1",
        AWS_EMF_ENVIRONMENT: "Local",
      },
      shutdownTimeoutMs: 20000,
      logLevel: "debug",
    });
  });

  it("GIVEN a loaded config WHEN inspected THEN it and its nested objects are frozen", () => {
    const config = loadConfig(env);

    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.emfEnvironment)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
  });
});

describe("loadConfig validation", () => {
  it.each([["abc"], ["0"], ["65536"], ["80.5"], ["-1"]])(
    "GIVEN PORT=%s WHEN loaded THEN the error names it and the allowed range",
    (value) => {
      const error = configErrorFor({ PORT: value });

      expect(error.problems).toEqual([`PORT "${value}" is not valid; allowed: an integer from 1 to 65535`]);
    },
  );

  it.each([
    ["http://0.0.0.0"],
    ["0.0.0.0:5000"],
    ["[::1]"],
    ["two words"],
    ["-leading.example"],
    ["under_score"],
  ])("GIVEN HOST=%s WHEN loaded THEN the error names it and what is allowed", (value) => {
    const error = configErrorFor({ HOST: value });

    expect(error.problems).toEqual([
      `HOST ${JSON.stringify(value)} is not valid; allowed: an IP address (0.0.0.0, ::, 127.0.0.1) or a hostname, or unset for all interfaces`,
    ]);
  });

  it.each([["0.0.0.0"], ["::"], ["127.0.0.1"], ["::1"], ["10.0.3.17"], ["localhost"], ["app.internal"]])(
    "GIVEN HOST=%s WHEN loaded THEN it is the listen address",
    (value) => {
      expect(loadConfig({ HOST: value }).host).toBe(value);
    },
  );

  it.each([["none"], ["0"], ["70000"]])(
    "GIVEN RDS_PORT=%s with the other database variables WHEN loaded THEN the error names it",
    (value) => {
      const error = configErrorFor({ ...DATABASE_ENV, RDS_PORT: value });

      expect(error.problems).toEqual([
        `RDS_PORT "${value}" is not valid; allowed: an integer from 1 to 65535`,
      ]);
    },
  );

  it("GIVEN some database variables WHEN loaded THEN the error lists the missing ones and redacts the password", () => {
    const error = configErrorFor({ RDS_HOSTNAME: "db.internal", RDS_PASSWORD: "hunter2-password" });

    expect(error.problems).toEqual([
      "the database is partially configured: missing RDS_PORT, RDS_DB_NAME, RDS_USERNAME " +
        `(given RDS_HOSTNAME="db.internal", RDS_PASSWORD=<redacted>); ${DATABASE_ALLOWED}`,
    ]);
    expect(error.message).not.toContain("hunter2-password");
  });

  it("GIVEN a partial database and a bad RDS_PORT WHEN loaded THEN both problems are reported", () => {
    const error = configErrorFor({ RDS_PORT: "x" });

    expect(error.problems).toEqual([
      'RDS_PORT "x" is not valid; allowed: an integer from 1 to 65535',
      "the database is partially configured: missing RDS_HOSTNAME, RDS_DB_NAME, RDS_USERNAME, RDS_PASSWORD " +
        `(given RDS_PORT="x"); ${DATABASE_ALLOWED}`,
    ]);
  });

  it("GIVEN METRICS_MODE=verbose WHEN loaded THEN the error lists the allowed modes", () => {
    const error = configErrorFor({ METRICS_MODE: "verbose" });

    expect(error.problems).toEqual(['METRICS_MODE "verbose" is not valid; allowed: off, aggregate, request']);
  });

  it.each([["off"], ["aggregate"], ["request"]])(
    "GIVEN METRICS_MODE=%s WHEN loaded THEN it is accepted",
    (mode) => {
      expect(loadConfig({ METRICS_MODE: mode }).metricsMode).toBe(mode);
    },
  );

  it.each([["0"], ["-100"], ["1.5"], ["soon"], ["2147483648"]])(
    "GIVEN SHUTDOWN_TIMEOUT_MS=%s WHEN loaded THEN the error asks for a positive integer a Node timer can wait",
    (value) => {
      const error = configErrorFor({ SHUTDOWN_TIMEOUT_MS: value });

      expect(error.problems).toEqual([`SHUTDOWN_TIMEOUT_MS "${value}" is not valid; ${SHUTDOWN_ALLOWED}`]);
    },
  );

  it("GIVEN SHUTDOWN_TIMEOUT_MS at Node's longest timer WHEN loaded THEN it is the deadline", () => {
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: "2147483647" }).shutdownTimeoutMs).toBe(2_147_483_647);
  });

  it("GIVEN LOG_LEVEL=verbose WHEN loaded THEN the error lists pino's levels", () => {
    const error = configErrorFor({ LOG_LEVEL: "verbose" });

    expect(error.problems).toEqual([
      'LOG_LEVEL "verbose" is not valid; allowed: fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it("GIVEN AWS_EMF_ENVIRONMENT=local (wrong case) WHEN loaded THEN the error lists the library's values", () => {
    const error = configErrorFor({ AWS_EMF_ENVIRONMENT: "local" });

    expect(error.problems).toEqual([
      'environment (AWS_EMF_ENVIRONMENT) "local" is not valid; allowed: Local, Lambda, Agent, EC2, ECS',
    ]);
  });

  it("GIVEN METRICS_MODE=off and a bad AWS_EMF_* variable WHEN loaded THEN it is not checked, since nothing reads it", () => {
    const config = loadConfig({ METRICS_MODE: "off", AWS_EMF_AGENT_ENDPOINT: "nowhere" });

    expect(config.metricsMode).toBe("off");
  });

  it.each([
    ["http://127.0.0.1:25888"],
    ["tcp://127.0.0.1"],
    ["tcp://127.0.0.1:99999"],
    ["tcp://127.0.0.1:25888/path"],
    ["127.0.0.1:25888"],
  ])("GIVEN AWS_EMF_AGENT_ENDPOINT=%s WHEN loaded THEN the error names the allowed forms", (value) => {
    const error = configErrorFor({ AWS_EMF_AGENT_ENDPOINT: value });

    expect(error.problems).toEqual([
      `endpoint (AWS_EMF_AGENT_ENDPOINT) "${value}" is not valid; allowed: tcp://host:port or udp://host:port`,
    ]);
  });

  it("GIVEN several bad variables WHEN loaded THEN one ConfigError lists them all, secrets redacted", () => {
    const env = {
      PORT: "http",
      METRICS_MODE: "all",
      SHUTDOWN_TIMEOUT_MS: "0",
      RDS_PASSWORD: "hunter2-password",
      APP_SECRET: "s3cret-app-value",
    };

    const error = configErrorFor(env);

    expect(error.name).toBe("ConfigError");
    expect(error.message).toBe(
      [
        "invalid configuration:",
        '- PORT "http" is not valid; allowed: an integer from 1 to 65535',
        '- METRICS_MODE "all" is not valid; allowed: off, aggregate, request',
        `- SHUTDOWN_TIMEOUT_MS "0" is not valid; ${SHUTDOWN_ALLOWED}`,
        "- the database is partially configured: missing RDS_HOSTNAME, RDS_PORT, RDS_DB_NAME, RDS_USERNAME " +
          `(given RDS_PASSWORD=<redacted>); ${DATABASE_ALLOWED}`,
      ].join("\n"),
    );
    expect(error.message).not.toContain("hunter2-password");
    expect(error.message).not.toContain("s3cret-app-value");
  });
});
