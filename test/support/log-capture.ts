import type { LevelWithSilent, Logger } from "pino";
import { createLogger } from "../../app/logger";

/** One JSON log line as the service writes it. */
export type LogLine = Record<string, unknown> & { msg?: string; reqId?: string };

/** The service's own logger (redaction and serializers included), writing parsed lines to `lines`. */
export function captureLogger(level: LevelWithSilent = "debug"): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({ level, destination: { write: (line) => lines.push(JSON.parse(line)) } });
  return { logger, lines };
}
