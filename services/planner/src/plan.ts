import {
  HyperdeskError,
  ToolPlan,
  chatJsonForRun,
  formatSections,
  type ChatMessage,
  type JobQueues,
  type LlmClient,
  type Next,
  type RunRecord,
  type RunStore,
  type ToolInterface,
  type ToolStore,
} from '@hyperdesk/shared';

const SYSTEM = `You plan the host tools for a Hyperdesk request. Tools are Python programs that
reach the host (files in the workspace, processes, system information); apps call them.
Reply with only a JSON object:
{"use": [names of listed tools to use as they are],
 "create": [{"name": "snake_case", "description": "...", "args": {JSON Schema object},
             "returns": {JSON Schema}, "examples": [{"args": {...}}]}],
 "change": [{"name": "listed tool", "reason": "what must change"}],
 "call": {"tool": "name", "args": {...}}}
Design small, general tools with at least one example each. Use "call" only when the request
is to run a tool once (no app). Create nothing when listed tools suffice.`;

export interface PlanDeps {
  llm: LlmClient;
  runs: RunStore;
  tools: ToolStore;
  queues: JobQueues;
}

function planMessages(run: RunRecord, catalog: string): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content: formatSections({
        Request: run.prompt,
        Intent: run.intent === 'tool_only' ? 'run a tool once and show its result' : 'an app',
        'Existing tools': catalog || '(none)',
      }),
    },
  ];
}

/**
 * PLANNING_TOOLS: one model call (stage `plan_tools`) fixes every tool interface. New and
 * changed tools are built as child jobs of a `tools.ready` flow while the app is generated
 * against the interfaces at once: the app needs the interface, not the code.
 */
export async function planTools(run: RunRecord, deps: PlanDeps): Promise<Next> {
  const plan = await chatJsonForRun(deps.llm, deps.runs, run.id, {
    stage: 'plan_tools',
    messages: planMessages(run, await deps.tools.catalog()),
    schema: ToolPlan,
    temperature: 0,
  });

  const interfaces = new Map<string, ToolInterface>();
  for (const name of plan.use) {
    const tool = await deps.tools.forUser(name, run.owner);
    if (tool) interfaces.set(name, pickInterface(tool));
  }
  const builds: { iface: ToolInterface; reason?: string }[] = [];
  for (const iface of plan.create) {
    interfaces.set(iface.name, iface);
    builds.push({ iface });
  }
  for (const change of plan.change) {
    const tool = await deps.tools.forUser(change.name, run.owner);
    if (!tool) continue;
    interfaces.set(tool.name, pickInterface(tool));
    builds.push({ iface: pickInterface(tool), reason: change.reason });
  }

  const toolOnly = run.intent === 'tool_only';
  if (toolOnly && (!plan.call || !interfaces.has(plan.call.tool))) {
    throw new HyperdeskError(
      'NO_TOOL_CALL',
      'The plan did not name a tool to run for this request; try rephrasing it.',
      422,
    );
  }
  const patch = {
    tools: JSON.stringify([...interfaces.keys()]),
    interfaces: JSON.stringify([...interfaces.values()]),
    ...(plan.call ? { call: JSON.stringify(plan.call) } : {}),
    ...(builds.length > 0 ? { toolBuilds: '1' } : {}),
  };
  if (builds.length > 0) {
    await deps.runs.set(run.id, patch);
    await deps.queues.enqueueFlow(
      { name: 'tools.ready', payload: { runId: run.id }, jobId: `${run.id}.tools-ready` },
      builds.map(({ iface, reason }) => ({
        name: 'tool.build' as const,
        payload: {
          buildId: `${run.id}.${iface.name}`,
          runId: run.id,
          author: run.owner,
          interface: iface,
          ...(reason ? { reason } : {}),
        },
        jobId: `${run.id}.build.${iface.name}`,
      })),
    );
  }
  if (toolOnly) return { state: builds.length > 0 ? 'BUILDING_TOOLS' : 'EXECUTING_TOOL', patch };
  return { state: 'GENERATING_APP', patch };
}

function pickInterface(tool: ToolInterface): ToolInterface {
  const { name, description, args, returns, examples, argv } = tool;
  return { name, description, args, returns, examples, ...(argv ? { argv } : {}) };
}
