/**
 * Benchmark: what one new app costs the machine. New apps are made one after another (each
 * waited for until its thumbnail is saved, so the whole of its work is counted), and the CPU
 * time of every service and its children (the checker's Chromium, sandboxed tools) is read
 * from /proc before and after a batch.
 */
import type { AppView, RunView } from '@hyperdesk/shared/contracts';
import { api } from '../support/client';
import type { BenchContext, BenchSection, Benchmark } from './bench';
import { PACE, PROMPT } from './new-app-samples';
import { stackCpuByService } from './procs';
import { measuredLine, ms, table, verdict } from './report';
import { startBenchStack, type BenchStack } from './stack';
import { median, summarize } from './stats';
import { WsProbe } from './ws-probe';

const CPU_TARGET_MS = 500;
const CHECK_TARGET_MS = 600;

/** The apps measured: the benchmark app, and gallery apps that keep running (timers, a game loop). */
const KINDS = [
  { label: 'the benchmark app (sprint board)', prompt: PROMPT },
  { label: 'pomodoro timer (intervals once started)', prompt: 'a pomodoro timer' },
  { label: 'snake (a canvas game on a timer loop)', prompt: 'a snake game' },
] as const;

/** Services in report order; the simulator is measured but kept apart from the total. */
const SERVICES = [
  ['gateway', 'gateway'],
  ['planner', 'planner'],
  ['tool-manager', 'tool-manager'],
  ['app-generator', 'app-generator'],
  ['chromium', "the checker's Chromium (all its processes)"],
  ['python-runner', 'python-runner'],
  ['sandbox', 'sandboxed tools (live ones; finished ones count in the python-runner)'],
  ['launcher', 'launcher'],
] as const;
const SIMULATOR = 'llm-sim';

interface Batch {
  kind: string;
  apps: number;
  wallMs: number;
  /** CPU ms per app by service. */
  perApp: Map<string, number>;
  /** CHECKING_APP → DONE of each run, from the run record. */
  checkMs: number[];
}

/** Ends a run, then waits for the thumbnail of the version it made. */
async function oneApp(stack: BenchStack, probe: WsProbe, prompt: string): Promise<number> {
  const marks = await probe.runOnce(prompt, 60_000);
  if (marks.state !== 'DONE') throw new Error(`run ${marks.runId} ended ${marks.state}`);
  const run = await api<RunView>(stack.baseUrl, `/api/runs/${marks.runId}`);
  const app = await api<AppView>(stack.baseUrl, `/api/apps/${run.body.appId}`);
  const thumbnail = `${stack.baseUrl}/api/apps/${app.body.id}/versions/${app.body.version}/thumbnail`;
  const deadline = Date.now() + 30_000;
  while ((await fetch(thumbnail)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`no thumbnail for run ${marks.runId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const at = (state: string) => run.body.history.find((h) => h.state === state)?.at ?? NaN;
  return at('DONE') - at('CHECKING_APP');
}

async function batch(
  stack: BenchStack,
  probe: WsProbe,
  kind: (typeof KINDS)[number],
  apps: number,
): Promise<Batch> {
  const before = stackCpuByService(stack.prefix);
  const started = performance.now();
  const checkMs: number[] = [];
  for (let i = 0; i < apps; i++) checkMs.push(await oneApp(stack, probe, kind.prompt));
  const wallMs = performance.now() - started;
  const after = stackCpuByService(stack.prefix);
  const perApp = new Map<string, number>();
  for (const [service, cpu] of after)
    perApp.set(service, (cpu - (before.get(service) ?? 0)) / apps);
  return { kind: kind.label, apps, wallMs, perApp, checkMs };
}

const total = (perApp: Map<string, number>) =>
  [...perApp].filter(([s]) => s !== SIMULATOR).reduce((sum, [, v]) => sum + v, 0);

async function run(ctx: BenchContext): Promise<BenchSection> {
  const rounds = ctx.quick ? 2 : 3;
  const apps = ctx.quick ? 4 : 8;
  const stack = await startBenchStack(ctx, 'cost', {
    LLM_SIM_TTFT_MS: String(PACE.ttftMs),
    LLM_SIM_TOKENS_PER_S: String(PACE.tokensPerS),
  });
  const batches: Batch[] = [];
  let idle = new Map<string, number>();
  try {
    const probe = await WsProbe.open(stack.baseUrl, stack.wsUrl);
    try {
      // Untimed: the checker's browser starts at the first check.
      for (const kind of KINDS) await oneApp(stack, probe, kind.prompt);
      const idleBefore = stackCpuByService(stack.prefix);
      const idleMs = 5_000;
      await new Promise((r) => setTimeout(r, idleMs));
      const idleAfter = stackCpuByService(stack.prefix);
      idle = new Map(
        [...idleAfter].map(([s, v]) => [s, ((v - (idleBefore.get(s) ?? 0)) / idleMs) * 1000]),
      );
      for (let round = 0; round < rounds; round++) {
        for (const kind of KINDS) {
          const result = await batch(stack, probe, kind, apps);
          batches.push(result);
          ctx.log(
            `round ${round + 1}, ${kind.label}: ${ms(total(result.perApp))} ms CPU per app, check p50 ${ms(median(result.checkMs))} ms`,
          );
        }
      }
    } finally {
      probe.close();
    }
  } finally {
    await stack.stop();
  }
  await ctx.saveRaw(
    'cost',
    batches.map((b) => ({ ...b, perApp: Object.fromEntries(b.perApp) })),
  );

  const of = (label: string) => batches.filter((b) => b.kind === label);
  const medianOf = (list: Batch[], service: string) =>
    median(list.map((b) => b.perApp.get(service) ?? 0));
  /** What the services use with nothing to do, over the time one app of `list` took. */
  const idleShare = (list: Batch[], service?: string) => {
    const wall = median(list.map((b) => b.wallMs / b.apps));
    const rates = [...idle].filter(([s]) => s !== SIMULATOR && (!service || s === service));
    return (rates.reduce((sum, [, rate]) => sum + rate, 0) * wall) / 1000;
  };
  const main = of(KINDS[0].label);
  const wallPerApp = median(main.map((b) => b.wallMs / b.apps));
  const mainTotal = median(main.map((b) => total(b.perApp)));
  const mainBeyondIdle = mainTotal - idleShare(main);
  const mainCheck = summarize(main.flatMap((b) => b.checkMs));
  const serviceRows = SERVICES.map(([service, label]) => [
    label,
    ms(medianOf(main, service)),
    ms(idleShare(main, service)),
  ]);
  const kindRows = KINDS.map((kind) => {
    const list = of(kind.label);
    const sum = median(list.map((b) => total(b.perApp)));
    const beyondIdle = sum - idleShare(list);
    return [
      kind.label,
      ms(sum),
      ms(beyondIdle),
      ms(medianOf(list, 'chromium')),
      ms(medianOf(list, 'app-generator')),
      ms(medianOf(list, SIMULATOR)),
      (1000 / beyondIdle).toFixed(2),
      ms(summarize(list.flatMap((b) => b.checkMs)).p50),
    ];
  });
  const markdown = [
    measuredLine('cost', ctx.quick),
    '',
    `New apps made one after another from a WebSocket client (simulator at ${PACE.ttftMs} ms / ${PACE.tokensPerS} tokens/s; no new tool, so classify, app_generate, CHECKING_APP), each followed until its thumbnail is saved, so everything an app costs falls inside its batch. Per batch of ${apps} apps of one kind, the CPU time (user + system, reaped children included) of every process of the stack is read from /proc before and after: each service with its children (the app-generator's checker Chromium, the python-runner's sandboxes). ${rounds} rounds over the kinds, after one untimed app of each; figures are the medians of the ${rounds} batches of a kind. The simulator is measured but left out of the totals: a real model runs elsewhere. *Idle share*: what the services use anyway with nothing to do (their rate over 5 s with no run, before the batches, times the wall time of one app); made one at a time, an app carries the whole of it, while under load it is spread over many apps. *Apps/s per core*: 1000 ÷ the CPU ms per app beyond the idle share, what one core sustains when apps follow each other closely. *Check*: CHECKING_APP → DONE from the run record (static checks and the render in headless Chromium). The machine is shared with other tenants and noisy: compare rows with each other rather than as absolutes.`,
    '',
    `**Targets:** ≤ ${CPU_TARGET_MS} ms CPU per new app across all services — ${verdict(mainTotal <= CPU_TARGET_MS)} (${ms(mainTotal)} ms for the benchmark app made one at a time, ${ms(mainBeyondIdle)} ms beyond the services' idle share). Check p50 ≤ ${CHECK_TARGET_MS} ms — ${verdict(mainCheck.p50 <= CHECK_TARGET_MS)} (p50 ${ms(mainCheck.p50)} ms, p95 ${ms(mainCheck.p95)} ms).`,
    '',
    `Per service, the benchmark app (one app every ${ms(wallPerApp)} ms; *idle share*: what the service uses in that time with nothing to do, measured over 5 s before the batches):`,
    '',
    table(
      ['process', 'CPU ms per app', 'of which idle share'],
      [
        ...serviceRows,
        ['**all services**', `**${ms(mainTotal)}**`, ms(idleShare(main))],
        ['the simulator (apart)', ms(medianOf(main, SIMULATOR)), ''],
      ],
    ),
    '',
    'Per kind of app:',
    '',
    table(
      [
        'app',
        'CPU ms per app (all services)',
        'beyond idle share',
        'Chromium',
        'app-generator',
        'simulator (apart)',
        'apps/s per core',
        'check p50',
      ],
      kindRows,
    ),
  ].join('\n');
  return {
    markdown,
    headline: [
      `CPU per new app ${ms(mainTotal)} ms (${ms(mainBeyondIdle)} beyond idle; Chromium ${ms(medianOf(main, 'chromium'))}), ${(1000 / mainBeyondIdle).toFixed(2)} apps/s per core, check p50 ${ms(mainCheck.p50)} ms`,
    ],
  };
}

export const cost: Benchmark = {
  name: 'cost',
  title: 'Cost: CPU per new app',
  run,
};
