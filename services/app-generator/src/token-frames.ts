/**
 * Batches streamed text into frames: the first delta goes out at once (first pixel), later
 * ones at most every `intervalMs`. Frames are sent one after another, never concurrently.
 */
export class TokenFrames {
  private buffer = '';
  private tokens = 0;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> = Promise.resolve();
  private sentFirst = false;
  private failure: unknown = null;

  constructor(
    private readonly send: (text: string, tokens: number) => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  push(delta: string, totalTokens: number): void {
    this.buffer += delta;
    this.tokens = totalTokens;
    if (!this.sentFirst) {
      this.sentFirst = true;
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
    }
  }

  /** Sends what is left and waits until every frame is out. */
  async close(): Promise<void> {
    this.flush();
    await this.sending;
    if (this.failure) throw this.failure;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.buffer) return;
    const text = this.buffer;
    const tokens = this.tokens;
    this.buffer = '';
    this.sending = this.sending
      .then(() => this.send(text, tokens))
      .catch((err: unknown) => {
        this.failure ??= err;
      });
  }
}
