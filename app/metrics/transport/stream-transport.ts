import { BufferedTransport } from "./buffered-transport";
import type { LineOutput, TransportSettings } from "./transport";

/**
 * Newline-delimited JSON to a local stream (`process.stdout` in the `Local` and `Lambda` environments),
 * with the same buffer, backpressure and accounting as the agent transports. A document is sent once its
 * write callback succeeded. The stream is never ended; after its first error every document is dropped.
 */
export class StreamTransport extends BufferedTransport {
  /** Lines written and awaiting their write callback. */
  private inFlight = 0;
  private output: "writing" | "awaiting-drain" | "failed" = "writing";
  private readonly onError = (error: Error): void => {
    if (this.output === "failed") return;
    this.output = "failed";
    this.settings.logger.error({ err: error }, "EMF output stream failed; dropping documents");
    this.dropOldest(this.buffer.length);
  };

  constructor(
    private readonly stream: LineOutput,
    settings: TransportSettings,
  ) {
    super(settings);
    stream.on("error", this.onError);
  }

  protected refuses(): boolean {
    return this.output === "failed";
  }

  protected pump(): void {
    while (this.output === "writing" && this.inFlight < this.buffer.length) {
      const { chunk, count } = this.buffer.batch(this.inFlight);
      this.inFlight += count;
      const accepted = this.stream.write(chunk, (error) => {
        if (error || this.output === "failed") return;
        this.inFlight -= count;
        this.acknowledge(count);
      });
      if (!accepted) {
        this.output = "awaiting-drain";
        this.stream.once("drain", () => {
          if (this.output !== "awaiting-drain") return;
          this.output = "writing";
          if (this.lifecycle !== "closed") this.pump();
        });
      }
    }
  }

  protected onClosing(): void {}

  protected onSealed(): void {
    this.finishClose("drained");
  }

  protected release(): void {
    this.stream.removeListener("error", this.onError);
  }
}
