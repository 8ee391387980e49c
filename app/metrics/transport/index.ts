import { OUTPUT_ENVIRONMENTS, type ResolvedOptions } from "../options";
import { StreamTransport } from "./stream-transport";
import { TcpTransport } from "./tcp-transport";
import type { Transport } from "./transport";
import { UdpTransport } from "./udp-transport";

export type { AgentEndpoint, LineOutput, Transport, TransportCounters, TransportSettings } from "./transport";

/** The transport the resolved options ask for: `output` for Local/Lambda, else the agent's endpoint. */
export function createTransport(settings: ResolvedOptions): Transport {
  if (OUTPUT_ENVIRONMENTS.has(settings.environment)) return new StreamTransport(settings.output, settings);
  if (settings.endpoint.protocol === "udp") return new UdpTransport(settings.endpoint, settings);
  return new TcpTransport(settings.endpoint, settings);
}
