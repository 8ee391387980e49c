import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformVariable } from "cdktf";
import {
  KOAAPP_SECRET_NAMES,
  KOAAPP_SECRETS,
  koaAppEnvironment,
  koaAppHealthCheck,
  shutdownTimeoutMs,
} from "../../stacks/koaapp-container";
import { newStack, resolved } from "../modules/support";

describe("the sample app's container settings", () => {
  it("GIVEN a port and a path WHEN the health check is built THEN node requests that path on that port and fails on anything but 200", () => {
    expect(koaAppHealthCheck(8080, "/livez")).toEqual({
      command: [
        "CMD",
        "node",
        "-e",
        'require("http").get("http://127.0.0.1:8080/livez",r=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))',
      ],
      interval: 15,
      timeout: 5,
      retries: 3,
      startPeriod: 10,
    });
    expect(koaAppHealthCheck(5000).command[3]).toContain('"http://127.0.0.1:5000/health"');
  });

  it.each([
    [30, "25000"],
    [60, "55000"],
    [5, "1000"],
    [2, "1000"],
  ])(
    "GIVEN a stop timeout of %p s WHEN derived THEN SHUTDOWN_TIMEOUT_MS is %p: 5 s less, at least 1 s",
    (stop, ms) => {
      expect(shutdownTimeoutMs(stop)).toBe(ms);
    },
  );

  it("GIVEN a stop timeout from a variable WHEN derived THEN SHUTDOWN_TIMEOUT_MS is a Terraform expression over it, not a fixed 1000", () => {
    const stack = newStack();
    const stop = new TerraformVariable(stack, "stop_timeout", { type: "number" });

    expect(resolved(stack, shutdownTimeoutMs(stop.numberValue))).toBe(
      "${max(1000, ((var.stop_timeout * 1000) - 5000))}",
    );
  });

  it("GIVEN the stack's settings WHEN the environment is built THEN it holds ENV_TYPE, METRICS_MODE, SHUTDOWN_TIMEOUT_MS and PGSSLMODE, and no HOST", () => {
    expect(
      koaAppEnvironment({ environmentName: "staging", metricsMode: "request", stopTimeoutSeconds: 30 }),
    ).toEqual({
      ENV_TYPE: "staging",
      METRICS_MODE: "request",
      SHUTDOWN_TIMEOUT_MS: "25000",
      PGSSLMODE: "no-verify",
    });
  });

  it("GIVEN the app's secrets WHEN read THEN they are the seed's six, in its order, the password and app secret secure", () => {
    const seed = JSON.parse(
      readFileSync(join(__dirname, "..", "fixtures", "seed-task-definition.json"), "utf8"),
    ) as { secrets?: { name: string }[] }[];

    expect(KOAAPP_SECRET_NAMES).toEqual(seed[0]?.secrets?.map((secret) => secret.name));
    expect(Object.entries(KOAAPP_SECRETS).filter(([, kind]) => kind === "secure")).toEqual([
      ["RDS_PASSWORD", "secure"],
      ["APP_SECRET", "secure"],
    ]);
  });
});
