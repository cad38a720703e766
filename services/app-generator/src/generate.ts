import {
  AppStore,
  DEMO_MODEL_NOTICE,
  DEMO_MODEL_NOTICE_FLAG,
  LlmOutputError,
  isGenericSimApp,
  type Logger,
  type NoticeStore,
  type ToolStore,
  closeDocument,
  extractHtml,
  findFences,
  normalizeNewlines,
  type ChatMessage,
  type LlmStage,
  type Next,
  type OpenWindow,
  type RunRecord,
  describeOpenWindows,
} from '@hyperdesk/shared';
import { describeTools, generateMessages } from './prompts';
import { toolInterfaces } from './tool-interfaces';
import { streamToRun, type StreamDeps } from './stream';

export interface GenerateDeps extends StreamDeps {
  apps: AppStore;
  tools: ToolStore;
  /** The app windows open on the person's desktop, for requests that refer to them. */
  openWindows?: (owner: string) => Promise<OpenWindow[]>;
  /** Where demo mode tells a person, once, that the simulated model knows only its samples. */
  notices?: NoticeStore;
  logger?: Logger;
}

const CUT_OFF =
  'Your answer was cut off before </html>. Reply with a shorter but complete document.';
const NO_DOCUMENT =
  'Your answer did not contain an HTML document. Reply with only the complete document, starting with <!DOCTYPE html>.';

/**
 * The document in an answer, or the problem to re-ask about. A document the model ended on its
 * own (`finish_reason: stop`, no fence left open) that lacks only `</body></html>` is closed
 * here rather than written again; one cut at the token limit is never taken.
 */
export function readDocument(
  text: string,
  finishReason: string | null,
): { html: string; problem: '' } | { html: null; problem: string } {
  const parsed = extractHtml(text);
  if (!/<(!doctype|html|body)[\s>]/i.test(parsed.html)) return { html: null, problem: NO_DOCUMENT };
  // Cut at the token limit after `</html>` (in trailing prose) still leaves a whole document.
  if (!parsed.truncated) return { html: parsed.html, problem: '' };
  if (finishReason === 'length') return { html: null, problem: CUT_OFF };
  const fenceLeftOpen = findFences(normalizeNewlines(text)).some((f) => !f.closed);
  const closed = finishReason === 'stop' && !fenceLeftOpen ? closeDocument(parsed.html) : null;
  return closed ? { html: closed, problem: '' } : { html: null, problem: CUT_OFF };
}

/**
 * Streams an HTML document from the model. An answer that is not a whole document gets one
 * targeted re-ask; a second bad answer fails the run with the reason.
 */
export async function streamDocument(
  deps: StreamDeps,
  runId: string,
  stage: LlmStage,
  messages: ChatMessage[],
  options: { resetFirst?: boolean } = {},
): Promise<string> {
  let conversation = messages;
  let problem = '';
  for (const attempt of [0, 1]) {
    const { text, finishReason } = await streamToRun(deps, runId, {
      stage,
      messages: conversation,
      target: 'app',
      reset: attempt > 0 || options.resetFirst === true,
    });
    const read = readDocument(text, finishReason);
    if (read.html !== null) return read.html;
    problem = read.problem;
    conversation = [
      ...messages,
      { role: 'assistant', content: text },
      { role: 'user', content: problem },
    ];
  }
  throw new LlmOutputError(`The model did not produce a usable app: ${problem}`, '');
}

/** GENERATING_APP: a new app, or a new version of the app being refined. */
export async function generateApp(run: RunRecord, deps: GenerateDeps): Promise<Next> {
  const refining = run.intent === 'update_app' && run.appId;
  const current = refining && run.appId ? await deps.apps.get(run.appId) : null;
  const appId = run.appId ?? AppStore.appIdForRun(run.id);
  const title = run.title ?? current?.title ?? 'App';
  const interfaces = await toolInterfaces(run, deps.tools, current?.tools);
  const others = ((await deps.openWindows?.(run.owner)) ?? []).filter((w) => w.appId !== appId);
  const html = await streamDocument(
    deps,
    run.id,
    'app_generate',
    generateMessages({
      prompt: run.prompt,
      title,
      tools: describeTools(interfaces),
      ...(current ? { currentHtml: current.html } : {}),
      ...(others.length ? { openWindows: describeOpenWindows(others) } : {}),
    }),
    // The job may be running again after its worker died mid-stream: watchers drop what
    // the earlier attempt sent.
    { resetFirst: true },
  );
  await publishVersion(deps, run, {
    appId,
    title,
    tools: interfaces.map((t) => t.name),
    html,
    writeKey: run.id,
  });
  if (deps.llm.simulated && isGenericSimApp(html)) await explainDemoModel(deps, run);
  // The run names its app before the join: when the tools arrive second, their branch moves
  // the run on at once, possibly before this step's own transition lands.
  if (run.toolBuilds === '1') await deps.runs.set(run.id, { appId });
  if (run.toolBuilds === '1' && !(await deps.runs.arrive(run.id, 'app'))) {
    // The app is ready before its tools: wait for the builds to finish.
    return { state: 'BUILDING_TOOLS', patch: { appId } };
  }
  return { state: 'CHECKING_APP', patch: { appId } };
}

/**
 * Stores a new version of the run's app (once per `writeKey`, so a retried job does not
 * double it) and tells the run's watchers, whose window then loads it.
 */
export async function publishVersion(
  deps: Pick<GenerateDeps, 'apps' | 'runs'>,
  run: RunRecord,
  input: { appId: string; title: string; tools: string[]; html: string; writeKey: string },
): Promise<number> {
  const version = await deps.apps.saveVersion({
    appId: input.appId,
    runId: input.writeKey,
    owner: run.owner,
    title: input.title,
    prompt: run.prompt,
    tools: input.tools,
    html: input.html,
  });
  await deps.runs.appendEvent({
    type: 'run.app',
    runId: run.id,
    at: Date.now(),
    appId: input.appId,
    version,
    title: input.title,
  });
  return version;
}

/**
 * The first time the simulated model answers a person with its generic app (the request
 * matched none of its samples), a notice says so and how to connect a real model. A notice
 * that cannot be stored does not fail the run.
 */
async function explainDemoModel(deps: GenerateDeps, run: RunRecord): Promise<void> {
  try {
    await deps.notices?.raiseOnce(run.owner, DEMO_MODEL_NOTICE_FLAG, {
      level: 'info',
      source: 'Demo mode',
      text: DEMO_MODEL_NOTICE,
      runId: run.id,
    });
  } catch (err) {
    deps.logger?.warn({ runId: run.id, err }, 'demo-mode notice not raised');
  }
}
