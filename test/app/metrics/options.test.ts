import fc from "fast-check";
import type { LatencyMetricsOptions } from "../../../app/metrics";
import { MetricsContext } from "../../../app/metrics/emf-library";
import { OPTION_NAMES } from "../../../app/metrics/options";
import { parseEndpoint, resolveOptions } from "../../../app/metrics/resolve-options";
import { CLOUDWATCH_NAMESPACE } from "../../../contract/cloudwatch-names";
import { EMF_VARIABLES } from "../../../contract/metrics";
import { FakeClock } from "../../support/fake-clock";
import { capturingLogger } from "./emf-helpers";

const { logger } = capturingLogger();

/** Resolves with the given environment only (never the test process's). */
const resolve = (options: Record<string, unknown>, env: Record<string, string> = {}) =>
  resolveOptions({ logger, env, ...options } as LatencyMetricsOptions);

const problem = (line: string) => new TypeError(`latencyMetrics: invalid options:\n- ${line}`);

/** What CloudWatch allows as a namespace, as the construct's messages say it too. */
const NAMESPACE_ALLOWED =
  '1-255 characters of 0-9 A-Z a-z . - _ / # : and space, at least one not a space, not starting with ":" or "AWS/"';

describe("latencyMetrics options", () => {
  it.each([
    [
      { endpoint: "http://127.0.0.1:25888" },
      'endpoint "http://127.0.0.1:25888" is not valid; allowed: tcp://host:port or udp://host:port',
    ],
    [
      { endpoint: "tcp://127.0.0.1" },
      'endpoint "tcp://127.0.0.1" is not valid; allowed: tcp://host:port or udp://host:port',
    ],
    [
      { endpoint: "tcp://127.0.0.1:25888/path" },
      'endpoint "tcp://127.0.0.1:25888/path" is not valid; allowed: tcp://host:port or udp://host:port',
    ],
    [{ endpoint: "25888" }, 'endpoint "25888" is not valid; allowed: tcp://host:port or udp://host:port'],
    [
      { namespace: "bad namespace!" },
      `namespace "bad namespace!" is not a CloudWatch namespace; allowed: ${NAMESPACE_ALLOWED}`,
    ],
    [{ namespace: "" }, `namespace "" is not a CloudWatch namespace; allowed: ${NAMESPACE_ALLOWED}`],
    [
      { namespace: "AWS/ECS" },
      `namespace "AWS/ECS" is not a CloudWatch namespace; allowed: ${NAMESPACE_ALLOWED}`,
    ],
    [
      { namespace: ":orders" },
      `namespace ":orders" is not a CloudWatch namespace; allowed: ${NAMESPACE_ALLOWED}`,
    ],
    [
      { namespace: "n".repeat(256) },
      `namespace "${"n".repeat(256)}" is not a CloudWatch namespace; allowed: ${NAMESPACE_ALLOWED}`,
    ],
    [{ mode: "fast" }, 'mode "fast" is not valid; allowed: off, aggregate, request'],
    [{ environment: "Docker" }, 'environment "Docker" is not valid; allowed: Local, Lambda, Agent, EC2, ECS'],
    [
      { bufferSize: 100 },
      "bufferSize 100 is not valid; allowed: an integer of bytes from 1024 to 1073741824",
    ],
    [
      { bufferSize: 2048.5 },
      "bufferSize 2048.5 is not valid; allowed: an integer of bytes from 1024 to 1073741824",
    ],
    [
      { bufferSize: "4MB" },
      'bufferSize "4MB" is not valid; allowed: an integer of bytes from 1024 to 1073741824',
    ],
    [
      { bufferLines: 0 },
      "bufferLines 0 is not valid; allowed: an integer of documents from 1 to 9007199254740991",
    ],
    [{ flushIntervalMs: 0 }, "flushIntervalMs 0 is not valid; allowed: an integer of ms from 1 to 600000"],
    [
      { reconnectMinDelayMs: 500, reconnectMaxDelayMs: 100 },
      "reconnectMaxDelayMs 100 is not valid; allowed: an integer of ms from 500 to 2147483647",
    ],
    [
      { confirmIntervalMs: 0 },
      "confirmIntervalMs 0 is not valid; allowed: an integer of ms from 1 to 2147483647",
    ],
    [
      { confirmTimeoutMs: 1.5 },
      "confirmTimeoutMs 1.5 is not valid; allowed: an integer of ms from 1 to 2147483647",
    ],
    [
      { logGroupName: "my group" },
      'logGroupName "my group" is not a log group name; allowed: 1-512 characters of A-Z a-z 0-9 . - _ / #',
    ],
    [
      { logGroupName: "" },
      'logGroupName "" is not a log group name; allowed: 1-512 characters of A-Z a-z 0-9 . - _ / #',
    ],
    [
      { logStreamName: "a:b" },
      'logStreamName "a:b" is not a log stream name; allowed: 1-512 characters, none of them : or *',
    ],
    [{ exclude: "/health" }, 'exclude "/health" is not valid; allowed: an array of paths or route templates'],
    [
      { route: "/items/:id" },
      'route "/items/:id" is not valid; allowed: a function (ctx) => template | undefined',
    ],
    [{ defaultDimensions: "yes" }, 'defaultDimensions "yes" is not valid; allowed: a boolean'],
    [
      { maxDocumentBytes: 262_119 },
      "maxDocumentBytes 262119 is not valid; allowed: an integer of bytes from 1024 to 262118",
    ],
    [
      { endpoint: "udp://127.0.0.1:25888", maxDocumentBytes: 65_507 },
      "maxDocumentBytes 65507 is not valid; allowed: an integer of bytes from 1024 to 65506",
    ],
    [
      { clock: { now: () => 0 } },
      "clock object is not valid; allowed: an object with functions now, epochNow, setTimeout, clearTimeout, setInterval, clearInterval",
    ],
  ])("GIVEN %j WHEN resolved THEN a TypeError names the option and the value", (options, line) => {
    // GIVEN options with one invalid value (typed loosely on purpose: callers may pass configuration)
    // WHEN / THEN
    expect(() => resolve(options)).toThrow(problem(line));
  });

  it("GIVEN any namespace CloudWatch's rule accepts WHEN resolved and given to aws-embedded-metrics THEN both accept it", () => {
    // GIVEN strings of the allowed characters up to the length limit, some with a refused prefix
    const character = fc.constantFrom(..."aZ09.-_/#: ".split(""));
    const namespaces = fc
      .tuple(fc.constantFrom("", "", "AWS/", ":"), fc.string({ unit: character, maxLength: 256 }))
      .map(([prefix, rest]) => prefix + rest)
      .filter((namespace) => CLOUDWATCH_NAMESPACE.test(namespace));

    fc.assert(
      fc.property(namespaces, (namespace) => {
        // WHEN
        const resolved = resolve({ namespace });
        const context = MetricsContext.empty();
        context.setNamespace(resolved.namespace);

        // THEN
        expect(context.namespace).toBe(namespace);
      }),
    );
  });

  it("GIVEN several invalid options WHEN resolved THEN one TypeError lists every problem", () => {
    // GIVEN / WHEN / THEN
    expect(() => resolve({ mode: "fast", endpoint: "tcp://:1", bufferSize: 1 })).toThrow(
      new TypeError(
        "latencyMetrics: invalid options:\n" +
          '- mode "fast" is not valid; allowed: off, aggregate, request\n' +
          '- endpoint "tcp://:1" is not valid; allowed: tcp://host:port or udp://host:port\n' +
          "- bufferSize 1 is not valid; allowed: an integer of bytes from 1024 to 1073741824",
      ),
    );
  });

  it("GIVEN a misspelt option WHEN resolved THEN a TypeError names it, suggests the option meant and lists the known ones", () => {
    // GIVEN / WHEN / THEN
    expect(() => resolve({ namspace: "shop" })).toThrow(
      problem(
        `unknown option "namspace" (did you mean namespace?); known options: ${OPTION_NAMES.join(", ")}`,
      ),
    );
    expect(() => resolve({ colour: "blue" })).toThrow(
      problem(`unknown option "colour"; known options: ${OPTION_NAMES.join(", ")}`),
    );
  });

  it("GIVEN no options and no variables WHEN resolved THEN the defaults are aws-embedded-metrics', not the sample app's", () => {
    // GIVEN / WHEN
    const resolved = resolve({});

    // THEN
    expect(resolved).toMatchObject({
      mode: "aggregate",
      endpoint: { protocol: "tcp", host: "127.0.0.1", port: 25888 },
      environment: "Agent",
      namespace: "aws-embedded-metrics",
      serviceName: "Unknown",
      serviceType: "Unknown",
      logGroupName: "Unknown-metrics",
      logStreamName: undefined,
      defaultDimensions: false,
      highResolution: false,
      route: undefined,
      flushIntervalMs: 10_000,
      bufferSize: 4 * 1024 * 1024,
      writeTimeoutMs: 5000,
      confirmIntervalMs: 1000,
      confirmTimeoutMs: 30_000,
      reconnectMinDelayMs: 100,
      reconnectMaxDelayMs: 5000,
      maxDocumentBytes: 262_118,
      statsIntervalMs: 60_000,
      closeTimeoutMs: 2000,
    });
    expect([...resolved.exclude]).toEqual(["/health"]);
    expect(JSON.stringify(resolved)).not.toContain("koaapp");
    expect(resolve({ endpoint: "udp://127.0.0.1:25888" }).maxDocumentBytes).toBe(65_506);
  });

  it("GIVEN the variables the task definition sets WHEN resolved with no options THEN each becomes its option", () => {
    // GIVEN
    const env = {
      AWS_EMF_AGENT_ENDPOINT: "udp://10.0.0.9:25888",
      AWS_EMF_NAMESPACE: "shop",
      AWS_EMF_SERVICE_NAME: "shop-api",
      AWS_EMF_SERVICE_TYPE: "AWS::ECS::Container",
      AWS_EMF_LOG_GROUP_NAME: "/ecs/shop/emf",
      AWS_EMF_LOG_STREAM_NAME: "task-1",
      AWS_EMF_ENVIRONMENT: "ECS",
      AWS_EMF_LATENCY_HIGH_RESOLUTION: "true",
    };

    // WHEN
    const resolved = resolve({}, env);

    // THEN
    expect(resolved).toMatchObject({
      endpoint: { protocol: "udp", host: "10.0.0.9", port: 25888 },
      namespace: "shop",
      serviceName: "shop-api",
      serviceType: "AWS::ECS::Container",
      logGroupName: "/ecs/shop/emf",
      logStreamName: "task-1",
      environment: "ECS",
      highResolution: true,
    });
    expect(Object.values(EMF_VARIABLES).sort()).toEqual(Object.keys(env).sort());
  });

  it("GIVEN options and variables for the same settings WHEN resolved THEN the options win", () => {
    // GIVEN / WHEN
    const resolved = resolve(
      { namespace: "explicit", logGroupName: "/explicit", endpoint: "tcp://127.0.0.1:1234" },
      {
        AWS_EMF_NAMESPACE: "env",
        AWS_EMF_LOG_GROUP_NAME: "/env",
        AWS_EMF_AGENT_ENDPOINT: "tcp://10.0.0.1:25888",
      },
    );

    // THEN
    expect(resolved).toMatchObject({
      namespace: "explicit",
      logGroupName: "/explicit",
      endpoint: { protocol: "tcp", host: "127.0.0.1", port: 1234 },
    });
  });

  it("GIVEN only a service name, from SERVICE_NAME as the library falls back to WHEN resolved THEN the log group is <serviceName>-metrics", () => {
    // GIVEN / WHEN
    const fromFallback = resolve({}, { SERVICE_NAME: "orders", SERVICE_TYPE: "worker" });
    const prefixedWins = resolve({}, { SERVICE_NAME: "orders", AWS_EMF_SERVICE_NAME: "billing" });

    // THEN
    expect(fromFallback).toMatchObject({
      serviceName: "orders",
      serviceType: "worker",
      logGroupName: "orders-metrics",
    });
    expect(prefixedWins.logGroupName).toBe("billing-metrics");
  });

  it("GIVEN empty variables WHEN resolved THEN they count as unset, so no document gets an empty log group", () => {
    // GIVEN / WHEN
    const resolved = resolve(
      {},
      { AWS_EMF_LOG_GROUP_NAME: "", AWS_EMF_NAMESPACE: "", AWS_EMF_SERVICE_NAME: "" },
    );

    // THEN
    expect(resolved).toMatchObject({ logGroupName: "Unknown-metrics", namespace: "aws-embedded-metrics" });
  });

  it("GIVEN invalid variables WHEN resolved THEN each problem names the option and the variable it came from", () => {
    // GIVEN / WHEN / THEN
    expect(() =>
      resolve(
        {},
        {
          AWS_EMF_AGENT_ENDPOINT: "localhost:25888",
          AWS_EMF_ENVIRONMENT: "local",
          AWS_EMF_NAMESPACE: "AWS/Orders",
          AWS_EMF_LOG_STREAM_NAME: "a*",
        },
      ),
    ).toThrow(
      new TypeError(
        "latencyMetrics: invalid options:\n" +
          '- environment (AWS_EMF_ENVIRONMENT) "local" is not valid; allowed: Local, Lambda, Agent, EC2, ECS\n' +
          '- endpoint (AWS_EMF_AGENT_ENDPOINT) "localhost:25888" is not valid; allowed: tcp://host:port or udp://host:port\n' +
          `- namespace (AWS_EMF_NAMESPACE) "AWS/Orders" is not a CloudWatch namespace; allowed: ${NAMESPACE_ALLOWED}\n` +
          '- logStreamName (AWS_EMF_LOG_STREAM_NAME) "a*" is not a log stream name; allowed: 1-512 characters, none of them : or *',
      ),
    );
  });

  it("GIVEN a blank SERVICE_NAME, the fallback variable WHEN resolved THEN the problem names the option and that variable, and the log group derived from it is checked too", () => {
    // GIVEN / WHEN / THEN
    expect(() => resolve({}, { SERVICE_NAME: " ", SERVICE_TYPE: "t".repeat(1025) })).toThrow(
      new TypeError(
        "latencyMetrics: invalid options:\n" +
          '- serviceName (SERVICE_NAME) " " is not valid; allowed: a non-blank string of at most 1024 characters\n' +
          `- serviceType (SERVICE_TYPE) "${"t".repeat(1025)}" is not valid; allowed: a non-blank string of at most 1024 characters`,
      ),
    );
    expect(() => resolve({}, { AWS_EMF_SERVICE_NAME: "my shop" })).toThrow(
      problem(
        'logGroupName "my shop-metrics" is not a log group name; allowed: 1-512 characters of A-Z a-z 0-9 . - _ / #',
      ),
    );
  });

  it("GIVEN options set to null WHEN resolved THEN they count as not given, for the variables as for the defaults", () => {
    // GIVEN / WHEN
    const resolved = resolve(
      { environment: null, namespace: null, bufferSize: null },
      { AWS_EMF_ENVIRONMENT: "ECS" },
    );

    // THEN
    expect(resolved).toMatchObject({
      environment: "ECS",
      namespace: "aws-embedded-metrics",
      bufferSize: 4 * 1024 * 1024,
    });
  });

  it("GIVEN mode off and the injected clock WHEN resolved THEN both are accepted as given", () => {
    // GIVEN
    const clock = new FakeClock();

    // WHEN
    const resolved = resolve({ mode: "off", clock });

    // THEN
    expect(resolved.mode).toBe("off");
    expect(resolved.clock).toBe(clock);
  });

  it.each([
    ["tcp://127.0.0.1:25888", { protocol: "tcp", host: "127.0.0.1", port: 25888 }],
    ["udp://localhost:25888", { protocol: "udp", host: "localhost", port: 25888 }],
    ["tcp://[::1]:1234/", { protocol: "tcp", host: "::1", port: 1234 }],
  ])("GIVEN endpoint %s WHEN parsed THEN protocol, host and port are read", (text, expected) => {
    // GIVEN / WHEN
    const endpoint = parseEndpoint(text);

    // THEN
    expect(endpoint).toEqual(expected);
  });
});
