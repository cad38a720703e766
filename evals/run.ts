/**
 * `npm run eval -- --provider <preset> [--model M] [--suite default|smoke] [--only a,b]
 * [--timeout S] [--out DIR]`: runs a suite of requests through the whole pipeline against
 * a model provider and writes `<out>/<date>-<provider>-<model>.json` plus a Markdown summary,
 * after every request (an interrupted run keeps what it measured).
 * `npm run eval -- --compare [--out DIR]`: the comparison table across result files.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { format } from 'prettier';
import {
  LlmEnv,
  LlmProvider,
  createLlmClient,
  parseEnv,
  resolveLlmConfig,
  type LlmConfig,
} from '@hyperdesk/shared';
import type { AppView, RunEvent, RunView } from '@hyperdesk/shared/contracts';
import { call, replayEvents, waitForRun } from './api';
import { AppChecker, checkContent, checkTools, factChecks, type CheckResult } from './checks';
import {
  comparisonTable,
  costOf,
  markdownSummary,
  priceFor,
  summarize,
  type Price,
  type RequestResult,
  type ResultFile,
} from './figures';
import { formatRate, repeatSummary } from './pass-at-k';
import { provenance } from './provenance';
import { startEvalStack, type EvalStack } from './stack';
import { SUITES } from './suites/index';
import type { EvalRequest } from './types';

const here = fileURLToPath(new URL('.', import.meta.url));

class UsageError extends Error {}

const USAGE = `Usage:
  npm run eval -- --provider <${LlmProvider.options.join('|')}> [--model M] [--suite ${Object.keys(SUITES).join('|')}]
                  [--only id,id] [--timeout seconds] [--out dir] [--repeat k] [--record dir]
  npm run eval -- --replay dir [--suite …] [--only …] [--repeat k]   (offline, from a recording)
  npm run eval -- --compare [--out dir]`;

function options() {
  const { values } = parseArgs({
    options: {
      provider: { type: 'string' },
      model: { type: 'string' },
      suite: { type: 'string', default: 'default' },
      only: { type: 'string' },
      timeout: { type: 'string' },
      out: { type: 'string', default: join(here, 'results') },
      compare: { type: 'boolean', default: false },
      record: { type: 'string' },
      replay: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  return values;
}

/** The provider's settings, with a clear error when a key is missing. */
function llmConfig(provider: string, model: string | undefined): LlmConfig {
  const parsed = LlmProvider.safeParse(provider);
  if (!parsed.success) {
    throw new UsageError(
      `Unknown provider "${provider}". Presets: ${LlmProvider.options.join(', ')}.`,
    );
  }
  const env = parseEnv(LlmEnv, {
    ...process.env,
    LLM_PROVIDER: parsed.data,
    ...(model ? { LLM_MODEL: model } : {}),
  });
  try {
    return resolveLlmConfig(env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function resultBase(out: string, provider: string, model: string, suite: string): string {
  const date = new Date().toISOString().slice(0, 10);
  const slug = model.replace(/[^a-zA-Z0-9._-]+/g, '_');
  const base = `${date}-${provider}-${slug}${suite === 'default' ? '' : `-${suite}`}`;
  let name = base;
  for (let n = 2; existsSync(join(out, `${name}.json`)); n++) name = `${base}-${n}`;
  return join(out, name);
}

function readResults(out: string): { name: string; result: ResultFile }[] {
  if (!existsSync(out)) return [];
  return readdirSync(out)
    .filter((f) => f.endsWith('.json'))
    .flatMap((name) => {
      try {
        const result = JSON.parse(readFileSync(join(out, name), 'utf8')) as ResultFile;
        return result.harness === 1 ? [{ name, result }] : [];
      } catch {
        return [];
      }
    });
}

function writeComparison(out: string): string {
  const table = comparisonTable(readResults(out));
  writeAtomic(
    join(out, 'README.md'),
    `# Eval results\n\nOne row per result file in this folder (\`npm run eval -- --compare\` rewrites this page). See \`evals/README.md\` for what the figures mean.\n\n${table}\n`,
  );
  return table;
}

interface Context {
  stack: EvalStack;
  checker: AppChecker;
  price: Price | null;
  timeoutMs: number;
  /** Apps made by earlier requests (`id#sample`), for refines. */
  apps: Map<string, string>;
  /** Samples per request (`--repeat`). */
  repeat: number;
}

function emptyResult(request: EvalRequest): RequestResult {
  return {
    id: request.id,
    kind: request.kind,
    prompt: request.prompt,
    runId: null,
    state: 'NOT_STARTED',
    timedOut: false,
    outcome: 'failed',
    expectedFailure: request.kind === 'failure',
    appRepairs: 0,
    toolRepairs: 0,
    modelCalls: 0,
    promptTokens: 0,
    completionTokens: 0,
    firstPixelMs: null,
    doneMs: null,
    costUsd: null,
    stages: [],
    tools: [],
    checks: [],
  };
}

/** The tools a run built (registered) plus those its app was granted. */
function toolsOf(events: RunEvent[], app: AppView | null): string[] {
  const built = events.flatMap((e) =>
    e.type === 'tool.build' && e.status === 'registered' ? [e.name] : [],
  );
  return [...new Set([...built, ...(app?.tools ?? [])])];
}

async function checksFor(
  ctx: Context,
  request: EvalRequest,
  run: RunView,
  events: RunEvent[],
): Promise<{ checks: CheckResult[]; tools: string[] }> {
  const base = ctx.stack.baseUrl;
  switch (request.kind) {
    case 'app':
    case 'tool_app':
    case 'refine': {
      if (!run.appId)
        return { checks: [{ name: 'made an app', ok: false }], tools: toolsOf(events, null) };
      const app = await call<AppView>(base, `/api/apps/${run.appId}`);
      if (app.status !== 200) {
        return {
          checks: [{ name: 'app is stored', ok: false, detail: `HTTP ${app.status}` }],
          tools: [],
        };
      }
      const tools = toolsOf(events, app.body);
      const checks = await ctx.checker.check(app.body.html, request.app ?? {}, run.appId);
      if (request.tools) checks.push(...(await checkTools(base, tools, request.tools)));
      return { checks, tools };
    }
    case 'content':
    case 'tool_only': {
      const tools = toolsOf(events, null);
      if (!run.contentId) return { checks: [{ name: 'made content', ok: false }], tools };
      const content = await call<unknown>(base, `/api/content/${run.contentId}`);
      if (content.status !== 200) {
        return {
          checks: [{ name: 'content is stored', ok: false, detail: `HTTP ${content.status}` }],
          tools,
        };
      }
      const text = typeof content.body === 'string' ? content.body : JSON.stringify(content.body);
      if (request.kind === 'content') {
        return {
          checks: checkContent(content.type, text, request.content ?? { type: 'text/csv' }),
          tools,
        };
      }
      // The tool's answer as shown, then each tool the run built called again with the
      // suite's args (a run that reused an existing tool is judged by its answer alone).
      const shown = factChecks([content.body], request.tools ?? {}).map((c) => ({
        ...c,
        name: `shown ${c.name}`,
      }));
      const called = tools.length
        ? await checkTools(base, tools, { hints: request.tools?.hints ?? [] })
        : [];
      return { checks: [...shown, ...called], tools };
    }
    case 'failure':
      return { checks: [], tools: toolsOf(events, null) };
  }
}

/** A failure a person can act on: a sentence, not a stack trace. */
function failedCleanly(request: EvalRequest, run: RunView): CheckResult {
  const error = run.error ?? '';
  if (run.state !== 'FAILED')
    return { name: 'ends FAILED', ok: false, detail: `ended ${run.state}` };
  if (error.length < 10 || /\n\s+at |Traceback \(most recent call last\)/.test(error)) {
    return { name: 'says why', ok: false, detail: JSON.stringify(error.slice(0, 200)) };
  }
  if (request.failureMentions && !new RegExp(request.failureMentions, 'i').test(error)) {
    return {
      name: `error mentions /${request.failureMentions}/`,
      ok: false,
      detail: error.slice(0, 200),
    };
  }
  return { name: 'ends FAILED with a reason', ok: true, detail: error.slice(0, 200) };
}

async function runOne(ctx: Context, request: EvalRequest, sample: number): Promise<RequestResult> {
  const result = { ...emptyResult(request), ...(ctx.repeat > 1 ? { sample } : {}) };
  const base = ctx.stack.baseUrl;
  let appId: string | undefined;
  if (request.refines) {
    appId = ctx.apps.get(`${request.refines}#${sample}`);
    if (!appId) {
      return {
        ...result,
        outcome: 'skipped',
        state: 'SKIPPED',
        error: `no app from ${request.refines} to refine`,
      };
    }
  }
  const created = await call<{ runId?: string; error?: string }>(base, '/api/runs', {
    body: { prompt: request.prompt, ...(appId ? { appId } : {}) },
  });
  if (created.status !== 202 || !created.body.runId) {
    return {
      ...result,
      error: `POST /api/runs answered ${created.status}: ${created.body.error ?? ''}`,
    };
  }
  const runId = created.body.runId;
  const { run, timedOut } = await waitForRun(base, runId, request.timeoutMs ?? ctx.timeoutMs);
  const events = await replayEvents(ctx.stack.wsUrl, runId);
  const firstToken = events.find((e) => e.type === 'run.token');
  const end = run.history.at(-1);
  Object.assign(result, {
    runId,
    state: run.state,
    ...(run.error ? { error: run.error } : {}),
    ...(timedOut
      ? { error: `no result within ${Math.round((request.timeoutMs ?? ctx.timeoutMs) / 1000)} s` }
      : {}),
    timedOut,
    appRepairs: run.history.filter((h) => h.state === 'REPAIRING_APP').length,
    toolRepairs: events.filter((e) => e.type === 'tool.repair').length,
    modelCalls: run.llm.calls,
    promptTokens: run.llm.promptTokens,
    completionTokens: run.llm.completionTokens,
    firstPixelMs: firstToken ? firstToken.at - run.createdAt : null,
    tokensBeforeVisible:
      run.llm.detail.find((c) => c.stage === 'app_generate' || c.stage === 'app_repair')
        ?.tokensBeforeVisible ?? null,
    doneMs:
      end && ['DONE', 'FAILED', 'CANCELLED'].includes(end.state) ? end.at - run.createdAt : null,
    costUsd: costOf(ctx.price, run.llm.promptTokens, run.llm.completionTokens),
    stages: run.llm.detail.map((c) => c.stage),
    ...(run.appId ? { appId: run.appId } : {}),
  });
  if (request.kind === 'failure') {
    const verdict = failedCleanly(request, run);
    result.checks = [verdict];
    result.failedCleanly = verdict.ok;
    result.tools = toolsOf(events, null);
    result.outcome = run.state === 'DONE' ? 'success' : 'failed';
    return result;
  }
  if (run.state !== 'DONE') return result;
  const { checks, tools } = await checksFor(ctx, request, run, events);
  result.checks = checks;
  result.tools = tools;
  result.outcome = checks.every((c) => c.ok) ? 'success' : 'failed';
  // A refine needs an app to start from, even one whose checks failed.
  if (run.appId) ctx.apps.set(`${request.id}#${sample}`, run.appId);
  return result;
}

function line(index: number, total: number, r: RequestResult): string {
  const repairs = r.appRepairs + r.toolRepairs;
  const how = r.expectedFailure
    ? r.failedCleanly
      ? 'failed, as intended'
      : `${r.outcome}, not as intended`
    : r.outcome === 'success'
      ? repairs
        ? `success after ${repairs} repair(s)`
        : 'success, first time'
      : r.outcome;
  const failed = r.checks.filter((c) => !c.ok).map((c) => c.name);
  return `[${index}/${total}] ${r.id}: ${how} (${r.state}, ${r.modelCalls} calls, ${r.doneMs === null ? '–' : (r.doneMs / 1000).toFixed(1)} s)${
    failed.length
      ? ` — failed: ${failed.join('; ')}`
      : r.error && !r.expectedFailure
        ? ` — ${r.error}`
        : ''
  }`;
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const out = resolve(opts.out);
  if (opts.compare) {
    mkdirSync(out, { recursive: true });
    console.log(writeComparison(out));
    return;
  }
  const replay = opts.replay ? resolve(opts.replay) : undefined;
  if (replay && opts.provider && opts.provider !== 'sim') {
    throw new UsageError(
      '--replay answers from a recording through the simulator: leave out --provider.',
    );
  }
  if (replay && !existsSync(replay)) throw new UsageError(`No recording at ${replay}.`);
  const provider = replay ? 'sim' : opts.provider;
  if (!provider) throw new UsageError(`--provider is required.\n${USAGE}`);
  const repeat = Number(opts.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
    throw new UsageError('--repeat must be a whole number from 1 to 100.');
  }
  const record = opts.record ? resolve(opts.record) : undefined;
  const suite = SUITES[opts.suite];
  if (!suite)
    throw new UsageError(
      `Unknown suite "${opts.suite}". Suites: ${Object.keys(SUITES).join(', ')}.`,
    );
  const only = opts.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only?.filter((id) => !suite.requests.some((r) => r.id === id)) ?? [];
  if (unknown.length) throw new UsageError(`Not in suite ${suite.name}: ${unknown.join(', ')}.`);
  const requests = only ? suite.requests.filter((r) => only.includes(r.id)) : suite.requests;
  const sim = provider === 'sim';
  const config = llmConfig(provider, opts.model);
  const timeoutS = opts.timeout === undefined ? (sim ? 60 : 300) : Number(opts.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0)
    throw new UsageError('--timeout must be a positive number of seconds.');
  const price = priceFor(config.provider, config.model);
  if (!sim && !(await createLlmClient(config).ping())) {
    throw new UsageError(
      `The model is not reachable (provider ${config.provider} at ${config.baseURL}). ${config.hint}`,
    );
  }

  mkdirSync(out, { recursive: true });
  const path = resultBase(out, config.provider, config.model, suite.name);
  const file: ResultFile = {
    harness: 1,
    suite: suite.name,
    provider: config.provider,
    model: config.model,
    baseURL: config.baseURL,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    complete: false,
    price,
    summary: summarize([]),
    requests: [],
    provenance: provenance(config, process.env),
    ...(record ? { recordedTo: record } : {}),
    ...(replay ? { replayOf: replay } : {}),
  };
  const save = async () => {
    file.summary = summarize(file.requests);
    if (repeat > 1) file.repeat = repeatSummary(file.requests, repeat);
    // Formatted as the repository's format check expects, so results can be committed.
    writeAtomic(`${path}.json`, await format(JSON.stringify(file), { parser: 'json' }));
    writeAtomic(`${path}.md`, markdownSummary(file));
  };
  await save();
  console.log(
    `eval: suite ${suite.name} (${requests.length} requests${repeat > 1 ? ` × ${repeat}` : ''}) against ${replay ? `the recording ${replay}` : `${config.provider} / ${config.model}`}`,
  );
  console.log(`eval: writing ${path}.json and .md as it goes`);

  const stack = await startEvalStack({
    sim,
    llmEnv: {
      LLM_PROVIDER: config.provider,
      LLM_MODEL: config.model,
      ...(sim ? {} : { LLM_BASE_URL: config.baseURL }),
      ...(config.apiKey ? { LLM_API_KEY: config.apiKey } : {}),
      ...(record ? { LLM_RECORD_DIR: record } : {}),
      ...(replay ? { LLM_SIM_REPLAY: replay } : {}),
    },
    workspace: suite.workspace,
    ...(sim && !replay ? { scenarios: join(here, 'scenarios') } : {}),
  });
  const checker = new AppChecker(stack.baseUrl);
  let stopped: Promise<void> | null = null;
  const shutdown = () =>
    (stopped ??= (async () => {
      await stack.stop();
      await checker.close().catch(() => undefined);
    })());
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      console.log(`eval: interrupted; ${file.requests.length} results kept in ${path}.json`);
      void shutdown()
        .catch((err: unknown) => console.error(`eval: while stopping: ${String(err)}`))
        .finally(() => process.exit(130));
    });
  }
  const ctx: Context = {
    stack,
    checker,
    price,
    timeoutMs: timeoutS * 1000,
    apps: new Map(),
    repeat,
  };
  // Sample by sample, so a refine follows the request it refines within each sample.
  const plan = Array.from({ length: repeat }, (_, sample) =>
    requests.map((request) => ({ request, sample })),
  ).flat();
  try {
    for (const [i, { request, sample }] of plan.entries()) {
      if (interrupted) break;
      let result: RequestResult;
      try {
        result = await runOne(ctx, request, sample);
      } catch (err) {
        // One broken request never stops the suite.
        result = {
          ...emptyResult(request),
          ...(repeat > 1 ? { sample } : {}),
          state: 'ERROR',
          error: (err as Error).message,
        };
      }
      // A request cut short by the interruption is not a result.
      if (interrupted) break;
      file.requests.push(result);
      await save();
      console.log(line(i + 1, plan.length, result));
    }
    if (!interrupted) {
      file.finishedAt = new Date().toISOString();
      file.complete = true;
      await save();
    }
  } finally {
    await shutdown();
  }
  // Interrupted: the signal handler exits once the services are stopped.
  if (interrupted) return;
  writeComparison(out);
  const s = file.summary;
  const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)} %`);
  console.log(
    `eval: success first time ${s.successFirstTime}/${s.scored} (${pct(s.successRateFirstTime)}), after repair ${s.successFirstTime + s.successAfterRepair}/${s.scored} (${pct(s.successRate)}); deliberate failures failed cleanly ${s.failedCleanly}/${s.deliberateFailures}`,
  );
  if (file.repeat) {
    console.log(
      `eval: pass@1 ${formatRate(file.repeat.passAt1)}; pass@${repeat} ${formatRate(file.repeat.passAtK)}`,
    );
  }
  if (record)
    console.log(
      `eval: every model call saved in ${record} (replay: npm run eval -- --replay ${record})`,
    );
  console.log(`eval: ${path}.json\neval: ${path}.md`);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`eval: ${err.message}`);
    process.exit(2);
  }
  console.error(`eval: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
