/** An error with a stable code, an HTTP status and whether retrying may help. */
export class HyperdeskError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 500,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BadRequestError extends HyperdeskError {
  constructor(message: string, code = 'BAD_REQUEST') {
    super(code, message, 400);
  }
}

export class NotFoundError extends HyperdeskError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} was not found`, 404);
  }
}

export class ConflictError extends HyperdeskError {
  constructor(message: string) {
    super('CONFLICT', message, 409);
  }
}

/** The model could not be reached (network, 429, 5xx after retries). Retrying later may help. */
export class LlmUnavailableError extends HyperdeskError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LLM_UNAVAILABLE', message, 503, true, options);
  }
}

/** The model answered, but its answer could not be used even after a re-ask. */
export class LlmOutputError extends HyperdeskError {
  constructor(
    message: string,
    readonly raw: string,
  ) {
    super('MODEL_OUTPUT_INVALID', message, 502, false);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
