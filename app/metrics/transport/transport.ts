import type { ResolvedOptions } from "../options";

/** Where serialized EMF documents go: the CloudWatch agent over TCP or UDP. */
export interface AgentEndpoint {
  /** `tcp` (delivery confirmed) or `udp` (fire and forget). */
  readonly protocol: "tcp" | "udp";
  /** Host name or IP address of the agent. */
  readonly host: string;
  /** Port of the agent's EMF listener. */
  readonly port: number;
}

/** The part of a writable stream the stream transport needs (`process.stdout` fits). */
export interface LineOutput {
  /** Writes one chunk; false when the stream's buffer is full (wait for `drain`). */
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
  /** Once the stream can take more. */
  once(event: "drain", listener: () => void): unknown;
  /** On a write error. */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Stops listening for errors. */
  removeListener(event: "error", listener: (error: Error) => void): unknown;
}

/** Counters of one transport. Documents are lines; samples are the latency values they carry. */
export interface TransportCounters {
  /**
   * Documents delivered: confirmed by the agent's FIN (TCP: read into the agent's memory, see
   * TcpTransport), handed to the operating system (UDP send callback), or written (stream callback).
   */
  readonly sent: number;
  /** Documents in the buffer: waiting, or written and awaiting confirmation. */
  readonly buffered: number;
  /** Documents dropped: buffer full, oversized, send error (UDP) or still buffered at the close deadline. */
  readonly dropped: number;
  /** Documents dropped because they were larger than `maxDocumentBytes`. */
  readonly oversized: number;
  /** Documents written again because the connection carrying them ended before the agent confirmed them. */
  readonly retried: number;
  /** Bytes the buffer accounts for: line bytes plus a fixed per-line overhead. */
  readonly bufferedBytes: number;
  /** Latency samples in sent, buffered and dropped documents. */
  readonly samples: { readonly sent: number; readonly buffered: number; readonly dropped: number };
}

/** A sink for serialized EMF documents that never blocks its caller and never throws. */
export interface Transport {
  /**
   * Buffers one document (a JSON line without its newline) carrying `samples` values; `bytes`, its UTF-8
   * size, when the caller knows it. Returns false when it was dropped (buffer full, oversized, closed).
   */
  send(line: string, samples: number, bytes?: number): boolean;
  /** Delivers what is buffered until the deadline, then drops the rest (counted). Never rejects. */
  close(timeoutMs: number): Promise<void>;
  /** Current counters. */
  counters(): TransportCounters;
}

/** The resolved options every transport reads, under the options' own names. */
export type TransportSettings = Pick<
  ResolvedOptions,
  | "bufferSize"
  | "bufferLines"
  | "maxDocumentBytes"
  | "writeTimeoutMs"
  | "confirmIntervalMs"
  | "confirmTimeoutMs"
  | "reconnectMinDelayMs"
  | "reconnectMaxDelayMs"
  | "logger"
  | "clock"
>;
