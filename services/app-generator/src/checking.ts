import {
  HyperdeskError,
  type AppStore,
  type Logger,
  type Next,
  type RunRecord,
  type RunStore,
  type ToolStore,
} from '@hyperdesk/shared';
import type { Job } from 'bullmq';
import type { BrowserChecker } from './check/browser';
import { staticChecks } from './check/static';
import { toolInterfaces } from './tool-interfaces';

export interface CheckDeps {
  runs: RunStore;
  apps: AppStore;
  tools: ToolStore;
  checker: BrowserChecker;
  maxRepairs: number;
  logger: Logger;
}

/**
 * CHECKING_APP: static checks, then a render in headless Chromium. A clean app is DONE;
 * errors go to REPAIRING_APP with the concrete findings, a bounded number of times. The
 * render's thumbnail is saved with the version after the transition (`run.thumbnail`
 * says it arrived), so the run never waits for it.
 */
export async function checkApp(run: RunRecord, job: Job, deps: CheckDeps): Promise<Next> {
  if (!run.appId) throw new HyperdeskError('NO_APP', 'The run has no app to check.', 500);
  const app = await deps.apps.get(run.appId);
  if (!app) throw new HyperdeskError('NO_APP', `App ${run.appId} is missing.`, 500);
  const tools = await toolInterfaces(run, deps.tools, app.tools);
  const found = staticChecks(app.html, tools);
  const rendered = await deps.checker.check(app.html, tools);
  const after = async () => {
    const jpeg = await rendered.thumbnail;
    if (!jpeg) return;
    await deps.apps.saveThumbnail(app.id, app.version, jpeg);
    await deps.runs.appendEvent({
      type: 'run.thumbnail',
      runId: run.id,
      at: Date.now(),
      appId: app.id,
      version: app.version,
    });
  };
  const errors = [...found, ...rendered.errors];
  if (errors.length === 0) {
    await recordCheckedTools(deps, run.owner, app.id, app.version, app.tools);
    return { state: 'DONE', after };
  }
  const repairsDone = (job.data as { attempt: number }).attempt;
  if (repairsDone >= deps.maxRepairs) {
    return {
      state: 'FAILED',
      after,
      patch: {
        checkErrors: JSON.stringify(errors),
        error: `The app still fails its checks after ${repairsDone} repair(s): ${errors.slice(0, 3).join(' | ')}`,
      },
    };
  }
  return { state: 'REPAIRING_APP', patch: { checkErrors: JSON.stringify(errors) }, after };
}

/**
 * Pins the version that passed its check to the tool versions its owner runs now: the app's
 * calls keep running those until the owner accepts (or writes) newer ones.
 */
async function recordCheckedTools(
  deps: CheckDeps,
  owner: string,
  appId: string,
  version: number,
  names: string[],
): Promise<void> {
  const found = await Promise.all(names.map((name) => deps.tools.forUser(name, owner)));
  const checked = Object.fromEntries(
    found.filter((t) => t !== null).map((t) => [t.name, t.version] as const),
  );
  await deps.apps.recordCheckedTools(appId, version, checked);
}
