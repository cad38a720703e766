import {
  HyperdeskError,
  LlmOutputError,
  errorMessage,
  extractCode,
  type ChatMessage,
  type LlmClient,
  type Logger,
  type RunEventBody,
  type RunStore,
  type RunnerClient,
  type ToolBuildJob,
  type ToolBuildOutcome,
  type ToolStore,
  type LlmStage,
} from '@hyperdesk/shared';
import { repairMessages, writeMessages } from './prompts';
import { ARGS_IGNORED, testTool, type TestFailure } from './test-tool';

export interface BuildDeps {
  llm: LlmClient;
  runner: RunnerClient;
  tools: ToolStore;
  runs: RunStore;
  logger: Logger;
  maxRepairs: number;
}

type BuildEvent = Omit<
  Extract<RunEventBody, { type: 'tool.build' }>,
  'type' | 'runId' | 'at' | 'name'
>;

/**
 * Writes (or takes the given code of) a tool, tests it in the sandbox with every example,
 * and rewrites it from the real error until it passes or the attempts run out. Only a
 * version that passed its tests is registered. Never throws for a tool that cannot be
 * made to work: that is an outcome with a reason.
 */
export async function buildTool(job: ToolBuildJob, deps: BuildDeps): Promise<ToolBuildOutcome> {
  const tool = job.interface;
  const runId = job.runId;
  const emit = async (event: BuildEvent) => {
    if (runId) {
      await deps.runs.appendEvent({
        type: 'tool.build',
        runId,
        at: Date.now(),
        name: tool.name,
        ...event,
      });
    }
  };
  let attempt = 0;
  try {
    // A change starts from the version its author runs, never from someone else's newer one.
    const current = job.reason ? await deps.tools.forUser(tool.name, job.author) : null;
    let code = job.code;
    if (!code) {
      await emit({ status: 'writing', attempt });
      code = await askForCode(
        deps,
        runId,
        'tool_write',
        writeMessages(tool, job.reason, current?.code),
      );
    }
    // A tool that answers the same for different args is sent back once with that finding;
    // hand-written code is held to its declared results only.
    let requireArgsEffect = !job.code;
    for (;;) {
      await emit({ status: 'testing', attempt });
      const failure = await testTool(deps.runner, { ...tool, code }, [], { requireArgsEffect });
      if (failure?.error.startsWith(ARGS_IGNORED)) requireArgsEffect = false;
      if (!failure) {
        const version = await deps.tools.register(job.buildId, {
          ...tool,
          code,
          author: job.author,
          capabilities: [],
          origin: attempt > 0 ? 'repaired' : job.code ? 'imported' : 'written',
          ...(job.reason ? { note: job.reason } : {}),
        });
        await emit({ status: 'registered', attempt, version });
        return { ok: true, name: tool.name, version, attempts: attempt + 1 };
      }
      if (failure.interfaceFault || attempt >= deps.maxRepairs) {
        const reason = `Tool ${tool.name} failed its tests after ${attempt + 1} attempt(s): ${failure.error}`;
        await emit({ status: 'failed', attempt, error: failure.error });
        return { ok: false, name: tool.name, reason, attempts: attempt + 1 };
      }
      attempt += 1;
      await emit({ status: 'repairing', attempt, error: failure.error });
      const fixed = await repairCode(deps, runId, tool, code, failure);
      if (runId) {
        await deps.runs.appendEvent({
          type: 'tool.repair',
          runId,
          at: Date.now(),
          name: tool.name,
          attempt,
          error: failure.error,
          before: code,
          after: fixed,
        });
      }
      code = fixed;
    }
  } catch (err) {
    if (err instanceof HyperdeskError && err.retryable) throw err;
    const reason = `Tool ${tool.name} could not be built: ${errorMessage(err)}`;
    await emit({ status: 'failed', attempt, error: errorMessage(err) });
    return { ok: false, name: tool.name, reason, attempts: attempt + 1 };
  }
}

export async function repairCode(
  deps: Pick<BuildDeps, 'llm' | 'runs'>,
  runId: string | undefined,
  tool: ToolBuildJob['interface'],
  code: string,
  failure: TestFailure,
): Promise<string> {
  return askForCode(deps, runId, 'tool_repair', repairMessages(tool, code, failure));
}

/**
 * One tool_write / tool_repair answer read as Python. An answer without code (empty, only
 * reasoning, prose) or cut at the token limit gets one re-ask naming the problem; a second
 * one is an LlmOutputError.
 */
async function askForCode(
  deps: Pick<BuildDeps, 'llm' | 'runs'>,
  runId: string | undefined,
  stage: LlmStage,
  messages: ChatMessage[],
): Promise<string> {
  let conversation = messages;
  let problem = '';
  let text = '';
  for (const attempt of [0, 1]) {
    const result = await deps.llm.chat({ stage, messages: conversation });
    if (runId) await deps.runs.recordLlmCall(runId, result.metrics);
    text = result.text;
    const { code, truncated } = extractCode(result.text, 'python');
    problem = !code.trim()
      ? 'It held no Python code.'
      : result.finishReason === 'length' || (truncated && result.finishReason !== 'stop')
        ? 'It was cut off at the token limit before the file ended.'
        : '';
    if (!problem) return code;
    if (attempt === 0) {
      conversation = [
        ...messages,
        { role: 'assistant', content: result.text },
        {
          role: 'user',
          content: `Your previous answer could not be used: ${problem} Reply with only the complete Python file, in one \`\`\`python fence.`,
        },
      ];
    }
  }
  throw new LlmOutputError(`The model answered without usable Python code: ${problem}`, text);
}
