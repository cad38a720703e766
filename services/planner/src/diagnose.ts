import {
  DiagnoseReply,
  HyperdeskError,
  chatJsonForRun,
  formatSections,
  type AppStore,
  type JobQueues,
  type LlmClient,
  type Next,
  type RunRecord,
  type RunStore,
  type ToolStore,
} from '@hyperdesk/shared';

const SYSTEM = `You diagnose runtime errors of a Hyperdesk app. The app is an HTML document; it
calls host tools (Python programs) through hyperdesk.tool(name, args). Decide whether the
errors come from a tool, from the app, or both. Reply with only a JSON object:
{"fault": "tool" | "app" | "both", "tool": "name of the faulty tool, if any", "explanation": "..."}`;

export interface DiagnoseDeps {
  llm: LlmClient;
  runs: RunStore;
  apps: AppStore;
  tools: ToolStore;
  queues: JobQueues;
}

/**
 * DIAGNOSING (stage `diagnose`): errors reported by a live window → which part is at fault.
 * A faulty tool is rebuilt from the error through tool-manager; a faulty app is repaired
 * from the errors; both when both are at fault. The new version replaces the app.
 */
export async function diagnose(run: RunRecord, deps: DiagnoseDeps): Promise<Next> {
  const app = run.appId ? await deps.apps.get(run.appId) : null;
  if (!app) throw new HyperdeskError('NO_APP', 'There is no app to diagnose.', 404);
  const errors = JSON.parse(run.errors ?? '[]') as string[];
  const tools = (
    await Promise.all(app.tools.map((name) => deps.tools.forUser(name, run.owner)))
  ).filter((t) => t !== null);
  const reply = await chatJsonForRun(deps.llm, deps.runs, run.id, {
    stage: 'diagnose',
    schema: DiagnoseReply,
    // A tool fault must name one of the app's tools, or nothing could be rebuilt.
    check: (value) =>
      value.fault === 'app' || tools.some((t) => t.name === value.tool)
        ? null
        : tools.length === 0
          ? 'The app uses no tools, so the fault cannot be in a tool: answer with "fault": "app".'
          : `"tool" must be one of the app's tools: ${tools.map((t) => t.name).join(', ')}.`,
    messages: [
      { role: 'system', content: SYSTEM },
      {
        role: 'user',
        content: formatSections({
          Request: run.prompt,
          Errors: errors.map((e) => `- ${e}`).join('\n'),
          Tools:
            tools
              .map((t) => `### ${t.name}\n${t.description}\n\`\`\`python\n${t.code}\n\`\`\``)
              .join('\n\n') || '(none)',
          App: app.html,
        }),
      },
    ],
  });
  const findings = [...errors, `Diagnosis: ${reply.explanation}`];
  const appAtFault = reply.fault !== 'tool';
  const tool = reply.tool ? tools.find((t) => t.name === reply.tool) : undefined;
  const patch = { checkErrors: appAtFault ? JSON.stringify(findings) : undefined };
  if (reply.fault !== 'app' && tool) {
    const { name, description, args, returns, examples, argv } = tool;
    await deps.queues.enqueueFlow(
      { name: 'tools.ready', payload: { runId: run.id }, jobId: `${run.id}.tools-ready` },
      [
        {
          name: 'tool.build',
          payload: {
            buildId: `${run.id}.${name}`,
            runId: run.id,
            author: run.owner,
            interface: { name, description, args, returns, examples, ...(argv ? { argv } : {}) },
            reason: `It failed at run time in an app: ${errors.join(' | ')}. ${reply.explanation}`,
          },
          jobId: `${run.id}.build.${name}`,
        },
      ],
    );
    return { state: 'BUILDING_TOOLS', patch };
  }
  return { state: 'REPAIRING_APP', patch: { checkErrors: JSON.stringify(findings) } };
}
