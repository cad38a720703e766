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
import { startStack, type Stack } from '../support/stack';
import { SLOW, writeChaosScenarios } from './scenarios';

describe('the gateway restarts while clients stream', () => {
  let stack: Stack;
  const followers: RunFollower[] = [];

  beforeAll(async () => {
    stack = await startStack('chaos-gateway', {
      LLM_SIM_SCENARIOS: writeChaosScenarios(),
      MAX_ACTIVE_RUNS: '10',
    });
  });
  afterAll(async () => {
    for (const follower of followers) follower.close();
    await stack?.stop();
  });

  it('every client reconnects and replays from its last seq: no gaps, no repeats, the whole document', async () => {
    const runIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await api<{ runId: string }>(stack.baseUrl, '/api/runs', {
        body: { prompt: `${SLOW.app} board ${i}` },
      });
      expect(created.status).toBe(202);
      runIds.push(created.body.runId);
    }
    // Six clients, each following every run (two desktops per run would be the same).
    for (let i = 0; i < 6; i++) {
      const follower = new RunFollower(stack.wsUrl);
      await follower.open();
      for (const runId of runIds) follower.follow(runId);
      followers.push(follower);
    }
    await eventually('every run to stream', () =>
      runIds.every((runId) =>
        followers.every((f) => f.events(runId).filter((e) => e.type === 'run.token').length >= 3),
      ),
    );

    const pid = servicePid(stack, 'gateway');
    process.kill(pid, 'SIGKILL');
    await eventually('the gateway to die', () => !isAlive(pid));
    await waitForRestart(stack, 'gateway', pid);

    for (const runId of runIds) {
      await eventually(`run ${runId} to end for every client`, () =>
        followers.every((f) => f.ended(runId) !== undefined),
      );
    }
    for (const follower of followers) {
      expect(follower.reconnects).toBeGreaterThanOrEqual(1);
      for (const runId of runIds) {
        const events = follower.events(runId);
        expect(sequenceProblems(events)).toEqual({ gaps: [], repeats: [] });
        expect(follower.ended(runId)).toBe('DONE');
        const view = await api<{ appId: string }>(stack.baseUrl, `/api/runs/${runId}`);
        const app = await api<{ html: string }>(stack.baseUrl, `/api/apps/${view.body.appId}`);
        // The client's assembled stream is the document that was stored.
        expect(app.body.html).toContain(streamedDocument(events).trim().slice(0, 400));
        expect(streamedDocument(events)).toContain('</html>');
      }
    }
  });
});
