/** One completion request as `GET /sim/requests` lists it. */
export interface LoggedRequest {
  id: number;
  stage: string | null;
  scenario: string;
  /** The first user message, cut short. */
  user: string;
  at: number;
  /** answering → done, or aborted when the client went away before the answer ended. */
  status: 'answering' | 'done' | 'aborted';
  /** The request settings it carried (null: not sent). */
  maxTokens: number | null;
  temperature: number | null;
  reasoningEffort: string | null;
  responseFormat: string | null;
  /** The HTTP status it was answered with (400 for a refused field, 429, 500, else 200). */
  httpStatus: number;
}

const KEEP = 200;

/** The most recent requests, so tests can see what the model was asked and what was cut off. */
export class RequestLog {
  private entries: LoggedRequest[] = [];
  private next = 1;

  start(input: Omit<LoggedRequest, 'id' | 'at' | 'status' | 'httpStatus'>): LoggedRequest {
    const entry: LoggedRequest = {
      httpStatus: 200,
      ...input,
      user: input.user.slice(0, 500),
      id: this.next++,
      at: Date.now(),
      status: 'answering',
    };
    this.entries.push(entry);
    if (this.entries.length > KEEP) this.entries = this.entries.slice(-KEEP);
    return entry;
  }

  list(): LoggedRequest[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }
}
