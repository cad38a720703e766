/**
 * The steady load of the scale-out and footprint benchmarks: a fixed number of clients, each
 * starting a run of the benchmark app as soon as its previous one ended (a closed loop), and
 * extra app-generator processes started beside the launcher's, on the same Redis prefix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { builtEntry, sourceEntry } from '../../scripts/services';
import { stopProcessGroup } from '../support/stack';
import type { BenchStack } from './stack';
import { PROMPT } from './new-app-samples';
import { environmentOf, stackProcesses } from './procs';
import { WsProbe } from './ws-probe';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface LoadRun {
  /** Date.now() when the POST was sent and when the run's end arrived. */
  postedAt: number;
  endedAt: number;
  state: string;
}

/**
 * Runs `clients` closed-loop clients until `stopAt` (Date.now()), then waits for the runs in
 * flight to end. Returns every run.
 */
export async function steadyLoad(
  stack: BenchStack,
  clients: number,
  stopAt: number,
): Promise<LoadRun[]> {
  const sockets = await Promise.all(
    Array.from({ length: Math.min(4, clients) }, () => WsProbe.open(stack.baseUrl, stack.wsUrl)),
  );
  const runs: LoadRun[] = [];
  // At the end, runs still queued or in flight are cancelled rather than waited for.
  const cancel = setTimeout(
    () => {
      for (const runId of sockets.flatMap((s) => s.active())) {
        void fetch(`${stack.baseUrl}/api/runs/${runId}`, { method: 'DELETE' }).catch(() => {});
      }
    },
    Math.max(0, stopAt - Date.now()),
  );
  try {
    await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        const socket = sockets[i % sockets.length];
        while (socket && Date.now() < stopAt) {
          const postedAt = Date.now();
          try {
            const marks = await socket.runOnce(PROMPT, 120_000);
            runs.push({ postedAt, endedAt: marks.doneAt, state: marks.state });
          } catch (err) {
            // A run that never ended counts as failed; the client goes on with the next one.
            runs.push({ postedAt, endedAt: Date.now(), state: String(err).slice(0, 200) });
          }
        }
      }),
    );
  } finally {
    clearTimeout(cancel);
    sockets.forEach((s) => s.close());
  }
  return runs;
}

/** Runs that ended DONE inside [from, to), per minute. */
export function runsPerMinute(runs: readonly LoadRun[], from: number, to: number): number {
  const done = runs.filter((r) => r.state === 'DONE' && r.endedAt >= from && r.endedAt < to);
  return (done.length / (to - from)) * 60_000;
}

/**
 * Starts `count` more app-generator processes like the launcher's (its bundle, same environment, so the
 * same Redis prefix and queue; no /metrics port, which would collide). Each is its own
 * process group, so stopping it also stops its checker's Chromium.
 */
export async function startExtraAppGenerators(
  stack: BenchStack,
  count: number,
): Promise<{ pids: number[]; stop: () => Promise<void> }> {
  const first = stackProcesses(stack.prefix).find((p) => p.service === 'app-generator');
  if (!first) throw new Error('the stack has no app-generator process to copy');
  const env = { ...environmentOf(first.pid), METRICS_PORT: '0' };
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', builtEntry(sourceEntry('app-generator'))],
      { cwd: root, env, detached: true, stdio: 'ignore' },
    );
    children.push(child);
  }
  // Workers take jobs as soon as they are connected; give them time to start up.
  await new Promise((r) => setTimeout(r, 3000));
  const gone = children.filter((c) => c.exitCode !== null);
  if (gone.length) throw new Error(`${gone.length} extra app-generator(s) exited at start-up`);
  return {
    pids: children.map((c) => c.pid ?? 0),
    stop: async () => {
      await Promise.all(children.map(stopProcessGroup));
    },
  };
}
