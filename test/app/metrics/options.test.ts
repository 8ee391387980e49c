import { parseEndpoint } from "../../../app/metrics";
import { resolveOptions } from "../../../app/metrics/options";
import { DEFAULT_NAMESPACE } from "../../../contract/metrics";
import { capturingLogger } from "./emf-helpers";

const { logger } = capturingLogger();

describe("latencyMetrics options", () => {
  it.each([
    [
      { endpoint: "http://127.0.0.1:25888" },
      'endpoint "http://127.0.0.1:25888" is not valid; expected tcp://host:port or udp://host:port',
    ],
    [
      { endpoint: "tcp://127.0.0.1" },
      'endpoint "tcp://127.0.0.1" is not valid; expected tcp://host:port or udp://host:port',
    ],
    [
      { endpoint: "tcp://127.0.0.1:25888/path" },
      'endpoint "tcp://127.0.0.1:25888/path" is not valid; expected tcp://host:port or udp://host:port',
    ],
    [{ endpoint: "25888" }, 'endpoint "25888" is not valid; expected tcp://host:port or udp://host:port'],
    [
      { namespace: "bad namespace!" },
      'namespace "bad namespace!" is not valid; expected 1 to 256 characters of a-z A-Z 0-9 space . _ # : / -',
    ],
    [
      { namespace: "" },
      'namespace "" is not valid; expected 1 to 256 characters of a-z A-Z 0-9 space . _ # : / -',
    ],
    [{ mode: "fast" }, 'mode "fast" is not valid; allowed: aggregate, request'],
    [{ mode: "off" }, 'mode "off" is not valid; allowed: aggregate, request'],
    [{ environment: "Lambda" }, 'environment "Lambda" is not valid; allowed: Local, Agent'],
    [
      { bufferSize: 100 },
      "bufferSize 100 is not valid; expected an integer of bytes from 1024 to 1073741824",
    ],
    [
      { bufferSize: 2048.5 },
      "bufferSize 2048.5 is not valid; expected an integer of bytes from 1024 to 1073741824",
    ],
    [
      { bufferSize: "4MB" },
      'bufferSize "4MB" is not valid; expected an integer of bytes from 1024 to 1073741824',
    ],
    [
      { bufferLines: 0 },
      "bufferLines 0 is not valid; expected an integer of documents from 1 to 9007199254740991",
    ],
    [{ flushIntervalMs: 0 }, "flushIntervalMs 0 is not valid; expected an integer of ms from 1 to 600000"],
    [
      { reconnectMinDelayMs: 500, reconnectMaxDelayMs: 100 },
      "reconnectMaxDelayMs 100 is not valid; expected an integer of ms from 500 to 2147483647",
    ],
    [
      { confirmIntervalMs: 0 },
      "confirmIntervalMs 0 is not valid; expected an integer of ms from 1 to 2147483647",
    ],
    [
      { confirmTimeoutMs: 1.5 },
      "confirmTimeoutMs 1.5 is not valid; expected an integer of ms from 1 to 2147483647",
    ],
    [
      { logGroupName: "my group" },
      'logGroupName "my group" is not valid; expected 1 to 512 characters of a-z A-Z 0-9 . - _ / #',
    ],
    [{ logStreamName: "a:b" }, 'logStreamName "a:b" is not valid; it must not contain : or *'],
    [{ exclude: "/health" }, 'exclude "/health" is not valid; expected an array of paths or route templates'],
    [{ defaultDimensions: "yes" }, 'defaultDimensions "yes" is not valid; expected a boolean'],
    [
      { endpoint: "udp://127.0.0.1:25888", maxDocumentBytes: 70_000 },
      "maxDocumentBytes 70000 is not valid; expected an integer of bytes from 1024 to 65507",
    ],
  ])("GIVEN %j WHEN resolved THEN a TypeError names the option and the value", (options, problem) => {
    // GIVEN options with one invalid value (typed loosely on purpose: callers may pass configuration)
    const given = { logger, ...options } as Parameters<typeof resolveOptions>[0];

    // WHEN / THEN
    expect(() => resolveOptions(given)).toThrow(
      new TypeError(`latencyMetrics: invalid options:\n- ${problem}`),
    );
  });

  it("GIVEN several invalid options WHEN resolved THEN one TypeError lists every problem", () => {
    // GIVEN
    const given = { logger, mode: "fast", endpoint: "tcp://:1", bufferSize: 1 } as unknown as Parameters<
      typeof resolveOptions
    >[0];

    // WHEN / THEN
    expect(() => resolveOptions(given)).toThrow(
      new TypeError(
        "latencyMetrics: invalid options:\n" +
          '- mode "fast" is not valid; allowed: aggregate, request\n' +
          '- endpoint "tcp://:1" is not valid; expected tcp://host:port or udp://host:port\n' +
          "- bufferSize 1 is not valid; expected an integer of bytes from 1024 to 1073741824",
      ),
    );
  });

  it("GIVEN no options WHEN resolved THEN the documented defaults apply", () => {
    // GIVEN / WHEN
    const resolved = resolveOptions({ logger });

    // THEN
    expect(resolved).toMatchObject({
      mode: "aggregate",
      endpoint: { protocol: "tcp", host: "127.0.0.1", port: 25888 },
      environment: "Agent",
      namespace: DEFAULT_NAMESPACE,
      serviceName: DEFAULT_NAMESPACE,
      serviceType: "AWS::ECS::Container",
      logGroupName: `${DEFAULT_NAMESPACE}-metrics`,
      logStreamName: undefined,
      defaultDimensions: false,
      flushIntervalMs: 10_000,
      bufferSize: 4 * 1024 * 1024,
      writeTimeoutMs: 5000,
      confirmIntervalMs: 1000,
      confirmTimeoutMs: 30_000,
      reconnectMinDelayMs: 100,
      reconnectMaxDelayMs: 5000,
      maxDocumentBytes: 256 * 1024,
      statsIntervalMs: 60_000,
      closeTimeoutMs: 2000,
    });
    expect([...resolved.exclude]).toEqual(["/health"]);
  });

  it("GIVEN a service name and no log group WHEN resolved THEN the log group is <serviceName>-metrics", () => {
    // GIVEN / WHEN
    const resolved = resolveOptions({ logger, serviceName: "orders" });

    // THEN
    expect(resolved.logGroupName).toBe("orders-metrics");
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
