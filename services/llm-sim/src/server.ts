import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { handleCompletion, openAiError, SIM_MODEL } from './completions';
import { RequestLog } from './request-log';
import { loadReplay } from './replay';
import { loadScenarios, ScenarioBook, type Scenario } from './scenarios';

export interface SimOptions {
  ttftMs?: number;
  tokensPerS?: number;
  /** An extra scenario folder, preferred over the built-in scenarios. */
  scenariosDir?: string;
  /** Use exactly these scenarios instead of loading any from disk. */
  scenarios?: Scenario[];
  /**
   * A recorded transcript to replay (replay.ts): its answers only, no built-in scenarios and
   * no fallback; a request it did not record gets a 400 that says so.
   */
  replayDir?: string;
  /** A context window in tokens: longer prompts are cut from the top (none: no limit). */
  contextTokens?: number;
  /** Completions need this key as a Bearer token (`/v1/models` answers without one). */
  apiKey?: string;
  /** A pino logger; none means silent. */
  logger?: FastifyBaseLogger;
}

/** Prompts carry whole HTML documents and tool code, so allow more than Fastify's 1 MB. */
const BODY_LIMIT = 32 * 1024 * 1024;

/** The OpenAI-compatible simulator, with routes registered but not listening. */
export async function buildSim(options: SimOptions = {}): Promise<FastifyInstance> {
  const replaying = options.replayDir !== undefined;
  const scenarios = options.replayDir
    ? await loadReplay(options.replayDir)
    : (options.scenarios ?? (await loadScenarios(options.scenariosDir)));
  const book = new ScenarioBook(scenarios);
  const log = new RequestLog();
  const pace = { ttftMs: options.ttftMs ?? 150, tokensPerS: options.tokensPerS ?? 1000 };

  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: true,
    // One log line per completion (completions.ts) says more than Fastify's per-request lines.
    logController: new LogController({ disableRequestLogging: true }),
  });

  app.setErrorHandler((err: { statusCode?: number; message: string }, request, reply) => {
    const status =
      err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500
        ? err.statusCode
        : 500;
    if (status === 500) request.log.error({ err }, 'simulator failure');
    const message = status === 500 ? 'The simulator failed; its log has the details.' : err.message;
    return reply
      .code(status)
      .send(openAiError(message, status === 500 ? 'server_error' : 'invalid_request_error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        openAiError(
          `Unknown route ${request.method} ${request.url}`,
          'invalid_request_error',
          'not_found',
        ),
      ),
  );

  app.post('/v1/chat/completions', (request, reply) =>
    handleCompletion(request, reply, {
      book,
      pace,
      log,
      contextTokens: options.contextTokens ?? null,
      apiKey: options.apiKey ?? null,
      replaying,
    }),
  );
  app.get('/v1/models', () => ({
    object: 'list',
    data: [{ id: SIM_MODEL, object: 'model', created: 0, owned_by: 'hyperdesk' }],
  }));
  app.get('/health', () => ({
    status: 'ok',
    simulated: true,
    scenarios: scenarios.length,
    ...pace,
    contextTokens: options.contextTokens ?? null,
  }));
  app.get('/sim/scenarios', () =>
    scenarios.map((s) => ({
      name: s.name,
      source: s.source,
      stage: s.stage ?? null,
      file: s.file,
      responses: s.steps.length,
    })),
  );
  app.get('/sim/requests', () => log.list());
  app.post('/sim/reset', () => {
    book.reset();
    log.clear();
    return { reset: true };
  });
  return app;
}
