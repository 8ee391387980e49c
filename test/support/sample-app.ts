import pino from "pino";
import { loadConfig } from "../../app/config";
import { startServer } from "../../app/server";
import { eventually } from "../app/metrics/emf-helpers";
import { FakeAgent } from "./fake-agent";

/**
 * Starts the sample app the way a task definition starts it as far as metrics go: with the container's AWS_EMF_*
 * variables (nothing else of the environment), the agent's endpoint moved to a fake agent on loopback and the log
 * group, a reference until applied, named. `drive` sends it requests; it then shuts down, which flushes every buffered
 * document, and returns once the agent has read them. The caller stops the returned agent.
 */
export async function sampleAppAgainstFakeAgent(
  containerEnvironment: Readonly<Record<string, string>>,
  drive: (url: string) => Promise<void>,
): Promise<FakeAgent> {
  const agent = await FakeAgent.start();
  const config = loadConfig({
    ...Object.fromEntries(
      Object.entries(containerEnvironment).filter(([name]) => name.startsWith("AWS_EMF_")),
    ),
    METRICS_MODE: "aggregate",
    AWS_EMF_AGENT_ENDPOINT: agent.endpoint,
    AWS_EMF_LOG_GROUP_NAME: "/ecs/koaapp/emf",
    ENV_TYPE: "test",
    LOG_LEVEL: "silent",
  });
  const server = await startServer(config, { logger: pino({ level: "silent" }), host: "127.0.0.1", port: 0 });
  await drive(server.url);
  expect(await server.shutdown("test")).toBe(0);
  // Delivered means written to the kernel; the agent reads it a moment later.
  await eventually(() => agent.lines.length > 0, "EMF documents at the agent");
  return agent;
}
