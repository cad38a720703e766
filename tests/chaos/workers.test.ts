import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/client';
import {
  RunFollower,
  eventually,
  isAlive,
  sequenceProblems,
  servicePid,
  streamedDocument,
  waitForRestart,
} from '../support/chaos';
import { descendants, stackProcesses } from '../bench/procs';
import { startStack, type Stack } from '../support/stack';
import { LOAD, SLOW, writeChaosScenarios } from './scenarios';

/** Short locks so a dead worker's job is taken over in seconds, not the 30 s default. */
const LOCK_MS = 2000;
const SHUTDOWN_DEADLINE_MS = 4000;

interface RunView {
  state: string;
  appId?: string;
  error?: string;
  history: { state: string }[];
}

describe('workers that die or are stopped: runs still finish, once', () => {
  let stack: Stack;
  let follower: RunFollower;

  beforeAll(async () => {
    stack = await startStack('chaos-workers', {
      LLM_SIM_SCENARIOS: writeChaosScenarios(),
      RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
      WORKER_LOCK_MS: String(LOCK_MS),
      WORKER_STALLED_INTERVAL_MS: '1000',
      SHUTDOWN_DEADLINE_MS: String(SHUTDOWN_DEADLINE_MS),
      MAX_ACTIVE_RUNS: '20',
    });
    follower = new RunFollower(stack.wsUrl);
    await follower.open();
  });
  afterAll(async () => {
    follower?.close();
    await stack?.stop();
  });

  async function startRun(prompt: string): Promise<string> {
    const created = await api<{ runId: string }>(stack.baseUrl, '/api/runs', { body: { prompt } });
    expect(created.status).toBe(202);
    follower.follow(created.body.runId);
    return created.body.runId;
  }

  async function finished(runId: string): Promise<RunView> {
    await eventually(`run ${runId} to end`, () => follower.ended(runId), 90_000);
    return (await api<RunView>(stack.baseUrl, `/api/runs/${runId}`)).body;
  }

  function inState(runId: string, state: string) {
    return () => follower.events(runId).some((e) => e.type === 'run.state' && e.state === state);
  }

  it('kill -9 of an app-generator mid-stream: the launcher restarts it and the run ends with one version', async () => {
    const runId = await startRun(`${SLOW.app} a notes app`);
    const pid = servicePid(stack, 'app-generator');
    // Wait for a good part of the document to be on its way, then kill the generator.
    await eventually('tokens to stream', () => {
      const frames = follower.events(runId).filter((e) => e.type === 'run.token');
      return frames.length >= 10;
    });
    process.kill(pid, 'SIGKILL');
    await eventually('the generator to die', () => !isAlive(pid));
    const restarted = await waitForRestart(stack, 'app-generator', pid);
    expect(restarted).not.toBe(pid);
    expect(stack.output()).toMatch(/app-generator exited \(SIGKILL\); restarting in \d+ ms/);

    const view = await finished(runId);
    expect(view.state, view.error).toBe('DONE');
    expect(view.history.filter((h) => h.state === 'GENERATING_APP')).toHaveLength(1);
    const versions = await api<{ versions: { version: number; runId: string }[] }>(
      stack.baseUrl,
      `/api/apps/${view.appId}/versions`,
    );
    expect(versions.body.versions.map((v) => v.version)).toEqual([1]);

    // The watcher saw every event once, and the restarted stream replaced the cut one.
    const events = follower.events(runId);
    expect(sequenceProblems(events)).toEqual({ gaps: [], repeats: [] });
    const app = await api<{ html: string }>(stack.baseUrl, `/api/apps/${view.appId}`);
    expect(streamedDocument(events)).toContain('</html>');
    expect(app.body.html).toContain(streamedDocument(events).trim().slice(0, 200));
    expect(events.filter((e) => e.type === 'run.token' && e.reset === true)).toHaveLength(2);
  });

  it("kill -9 of the checker's Chromium: the next check launches it again and the app is DONE", async () => {
    const first = await finished(await startRun(`${LOAD.app} a hello app`));
    expect(first.state, first.error).toBe('DONE');
    const generator = servicePid(stack, 'app-generator');
    const checkerBrowser = () =>
      descendants(generator, stackProcesses(stack.prefix))
        .filter((p) => p.service === 'chromium')
        .map((p) => p.pid);
    const browsers = checkerBrowser();
    expect(browsers.length).toBeGreaterThan(0);
    for (const pid of browsers) process.kill(pid, 'SIGKILL');
    await eventually('Chromium to die', () => browsers.every((pid) => !isAlive(pid)));

    const second = await finished(await startRun(`${LOAD.app} a hello app again`));
    expect(second.state, second.error).toBe('DONE');
    expect(second.history.filter((h) => h.state === 'CHECKING_APP')).toHaveLength(1);
    expect(servicePid(stack, 'app-generator')).toBe(generator); // the service itself lived on
    const relaunched = checkerBrowser();
    expect(relaunched.some((pid) => !browsers.includes(pid))).toBe(true);
  });

  it('kill -9 of a tool-manager mid-build: the build completes, with one registered version', async () => {
    const runId = await startRun(`${SLOW.tool} echo hello`);
    const pid = servicePid(stack, 'tool-manager');
    await eventually('the tool to be written', () =>
      follower.events(runId).some((e) => e.type === 'tool.build' && e.status === 'writing'),
    );
    process.kill(pid, 'SIGKILL');
    await eventually('the tool manager to die', () => !isAlive(pid));
    // No version may exist while the build is cut off.
    const during = await api(stack.baseUrl, '/api/tools/chaos_echo_killed');
    expect(during.status).toBe(404);
    await waitForRestart(stack, 'tool-manager', pid);

    const view = await finished(runId);
    expect(view.state, view.error).toBe('DONE');
    const versions = await api<{ versions: { version: number; code: string }[] }>(
      stack.baseUrl,
      '/api/tools/chaos_echo_killed/versions',
    );
    expect(versions.body.versions.map((v) => v.version)).toEqual([1]);
    expect(versions.body.versions[0]?.code).toContain('json.dumps');
    const registered = follower
      .events(runId)
      .filter((e) => e.type === 'tool.build' && e.status === 'registered');
    expect(registered.map((e) => e.version)).toEqual([1]);
    expect(sequenceProblems(follower.events(runId))).toEqual({ gaps: [], repeats: [] });
  });

  const stops = [
    { service: 'gateway', prompt: SLOW.stopGateway, state: 'CLASSIFYING' },
    { service: 'planner', prompt: SLOW.stopPlanner, state: 'PLANNING_TOOLS' },
    { service: 'tool-manager', prompt: SLOW.stopToolManager, state: 'BUILDING_TOOLS' },
    { service: 'app-generator', prompt: SLOW.stopAppGenerator, state: 'GENERATING_APP' },
  ];
  for (const { service, prompt, state } of stops) {
    it(`SIGTERM on the ${service} in ${state}: it exits within its deadline and the run still ends DONE`, async () => {
      const runId = await startRun(`${prompt} a small app`);
      const pid = servicePid(stack, service);
      if (service === 'tool-manager') {
        await eventually('the tool to be written', () =>
          follower.events(runId).some((e) => e.type === 'tool.build' && e.status === 'writing'),
        );
      } else {
        await eventually(`the run to reach ${state}`, inState(runId, state));
      }
      process.kill(pid, 'SIGTERM');
      // The deadline is the service's promise; the extra second is process start-up and exit.
      await eventually(`${service} to exit`, () => !isAlive(pid), SHUTDOWN_DEADLINE_MS + 1000, 50);
      expect(stack.output()).toMatch(new RegExp(`${service} exited \\(code 0\\)`));
      await waitForRestart(stack, service, pid);

      const view = await finished(runId);
      expect(view.state, view.error).toBe('DONE');
      if (view.appId) {
        const versions = await api<{ versions: unknown[] }>(
          stack.baseUrl,
          `/api/apps/${view.appId}/versions`,
        );
        expect(versions.body.versions).toHaveLength(1);
      }
      expect(sequenceProblems(follower.events(runId))).toEqual({ gaps: [], repeats: [] });
    });
  }
});
