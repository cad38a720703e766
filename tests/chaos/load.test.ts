import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunFollower, eventually, percentile, sequenceProblems } from '../support/chaos';
import { Session } from '../support/session';
import { startStack, type Stack } from '../support/stack';
import { LOAD, writeChaosScenarios } from './scenarios';

const USERS = 50;
const RUNS_EACH = 5;
const ADMIN_PASSWORD = 'correct horse battery';
const PASSWORD = 'member password 1';

interface RunView {
  state: string;
  error?: string;
  appId?: string;
  contentId?: string;
  createdAt: number;
  history: { state: string; at: number; ms: number | null }[];
}

describe(`load: ${USERS} people, ${RUNS_EACH} runs each, all at once`, () => {
  let stack: Stack;
  const people: { session: Session; follower: RunFollower }[] = [];

  beforeAll(async () => {
    stack = await startStack('chaos-load', {
      LLM_SIM_SCENARIOS: writeChaosScenarios(),
      AUTH_MODE: 'accounts',
      HYPERDESK_ADMIN_USER: 'admin',
      HYPERDESK_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // Each person may have all five runs in progress at once.
      MAX_ACTIVE_RUNS: String(RUNS_EACH),
    });
    const admin = await Session.login(stack.baseUrl, 'admin', ADMIN_PASSWORD);
    const names = Array.from({ length: USERS }, (_, i) => `user${i}`);
    const created = await Promise.all(
      names.map((name) => admin.call('/api/admin/users', { body: { name, password: PASSWORD } })),
    );
    expect(created.map((c) => c.status)).toEqual(names.map(() => 201));
    for (const name of names) {
      const session = await Session.login(stack.baseUrl, name, PASSWORD);
      const follower = new RunFollower(stack.wsUrl, session.headers());
      await follower.open();
      people.push({ session, follower });
    }
  }, 300_000);
  afterAll(async () => {
    for (const { follower } of people) follower.close();
    await stack?.stop();
  });

  it('every run ends DONE with its app or content; no request errors; figures recorded', async () => {
    const started = Date.now();
    const submitted = await Promise.all(
      people.flatMap(({ session, follower }, u) =>
        Array.from({ length: RUNS_EACH }, async (_, r) => {
          const created = await session.call<{ runId: string }>('/api/runs', {
            // Like a person's session: one app, then quick answers (a CSV of the planets).
            body: {
              prompt:
                r === 0 ? `${LOAD.app} app of user ${u}` : `${LOAD.content} planets ${r} of ${u}`,
            },
          });
          if (created.status === 202) follower.follow(created.body.runId);
          return {
            person: u,
            status: created.status,
            runId: created.body.runId,
            body: created.body,
          };
        }),
      ),
    );
    const refused = submitted.filter((s) => s.status !== 202);
    expect(refused, JSON.stringify(refused.slice(0, 3))).toEqual([]);

    let reported = Date.now();
    await eventually(
      'every run to end',
      () => {
        const ended = submitted.filter(
          ({ person, runId }) => people[person]?.follower.ended(runId) !== undefined,
        ).length;
        if (Date.now() - reported > 15_000) {
          reported = Date.now();
          console.log(`load: ${ended}/${submitted.length} runs ended`);
        }
        return ended === submitted.length;
      },
      400_000,
      250,
    );
    const totalMs = Date.now() - started;

    const views = await Promise.all(
      submitted.map(async ({ person, runId }) => {
        const view = await people[person]!.session.call<RunView>(`/api/runs/${runId}`);
        return { person, runId, ...view.body };
      }),
    );
    const notDone = views.filter((v) => v.state !== 'DONE');
    expect(
      notDone.map((v) => `${v.runId}: ${v.state} ${v.error ?? ''}`),
      'runs that did not finish',
    ).toEqual([]);
    // Each person sees exactly their one app, with one version, and their own answers.
    for (const [u, { session }] of people.entries()) {
      const apps = await session.call<{ apps: { id: string; version: number }[] }>('/api/apps');
      expect(
        apps.body.apps.map((a) => a.version),
        `user${u}`,
      ).toEqual([1]);
    }
    const contents = views.filter((v) => v.contentId);
    expect(contents).toHaveLength(USERS * (RUNS_EACH - 1));
    for (const v of contents.slice(0, 10)) {
      const body = await people[v.person]!.session.call(`/api/content/${v.contentId}`);
      expect(body.status).toBe(200);
    }
    // Every watcher got each run's events once, in full.
    for (const { person, runId } of submitted) {
      expect(sequenceProblems(people[person]!.follower.events(runId))).toEqual({
        gaps: [],
        repeats: [],
      });
    }

    const durations = views.map((v) => (v.history.at(-1)?.at ?? v.createdAt) - v.createdAt);
    const figures = {
      runs: views.length,
      done: views.length - notDone.length,
      totalSeconds: Math.round(totalMs / 100) / 10,
      runsPerSecond: Math.round((views.length / totalMs) * 10_000) / 10,
      p50RunMs: percentile(durations, 50),
      p95RunMs: percentile(durations, 95),
      maxRunMs: Math.max(...durations),
      // Where the time went: the median time runs spent in each state (queue wait included).
      p50MsByState: Object.fromEntries(
        ['RECEIVED', 'CLASSIFYING', 'GENERATING_APP', 'CHECKING_APP', 'GENERATING_CONTENT'].map(
          (state) => [
            state,
            percentile(
              views.flatMap((v) =>
                v.history.filter((h) => h.state === state && h.ms !== null).map((h) => h.ms ?? 0),
              ),
              50,
            ),
          ],
        ),
      ),
    };
    console.log(`load figures: ${JSON.stringify(figures)}`);
  }, 480_000);
});
