import { HyperdeskError, type Next, type RunRecord } from '@hyperdesk/shared';
import type { Job } from 'bullmq';
import { publishVersion, streamDocument, type GenerateDeps } from './generate';
import { describeTools, repairMessages } from './prompts';
import { toolInterfaces } from './tool-interfaces';

/**
 * REPAIRING_APP: the model rewrites the app from the concrete errors the check found
 * (stage `app_repair`); the result is a new version, streamed into the window, checked again.
 */
export async function repairApp(run: RunRecord, job: Job, deps: GenerateDeps): Promise<Next> {
  const app = run.appId ? await deps.apps.get(run.appId) : null;
  if (!app) throw new HyperdeskError('NO_APP', 'The run has no app to repair.', 500);
  const errors = JSON.parse(run.checkErrors ?? '[]') as string[];
  const interfaces = await toolInterfaces(run, deps.tools, app.tools);
  const html = await streamDocument(
    deps,
    run.id,
    'app_repair',
    repairMessages({
      prompt: run.prompt,
      tools: describeTools(interfaces),
      html: app.html,
      errors,
    }),
    { resetFirst: true },
  );
  const attempt = (job.data as { attempt: number }).attempt;
  await publishVersion(deps, run, {
    appId: app.id,
    title: app.title,
    tools: interfaces.map((t) => t.name),
    html,
    writeKey: `${run.id}#repair${attempt}`,
  });
  return { state: 'CHECKING_APP' };
}
