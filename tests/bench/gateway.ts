/**
 * Benchmark: the gateway's HTTP API under load (autocannon): `GET /api/runs/:id` of a
 * finished run, and `POST /api/runs`, which starts real runs (a cheap request type: a short
 * text answer, no app, so the workers' share stays small).
 */
import autocannon, { type Result } from 'autocannon';
import type { BenchContext, BenchSection, Benchmark } from './bench';
import { LoadMeter } from './cpu';
import { SCENARIOS_DIR } from './new-app-tool';
import { measuredLine, ms, table } from './report';
import { stackCpuByService } from './procs';
import { startBenchStack } from './stack';
import { WsProbe } from './ws-probe';

/** Matches the cheap run of tests/bench/scenarios/bench.json (classify, then a 1-token text). */
const CHEAP_PROMPT = 'a short note (bench-gateway)';

interface Level {
  label: string;
  connections: number;
  result: Result;
  gatewayCores: number | null;
  load: { stackCores: number | null; otherCores: number | null };
}

async function measure(
  prefix: string,
  label: string,
  connections: number,
  options: Parameters<typeof autocannon>[0],
): Promise<Level> {
  const meter = new LoadMeter(prefix);
  const before = stackCpuByService(prefix).get('gateway') ?? NaN;
  const started = performance.now();
  const result = await autocannon({ ...options, connections, timeout: 20 });
  const wallMs = performance.now() - started;
  const after = stackCpuByService(prefix).get('gateway') ?? NaN;
  const gatewayCores = Number.isFinite(after - before) ? (after - before) / wallMs : null;
  return { label, connections, result, gatewayCores, load: meter.read() };
}

async function run(ctx: BenchContext): Promise<BenchSection> {
  const seconds = ctx.quick ? 3 : 6;
  const posts = ctx.quick ? 100 : 400;
  const stack = await startBenchStack(ctx, 'gateway', { LLM_SIM_SCENARIOS: SCENARIOS_DIR });
  const levels: Level[] = [];
  let postedRuns = 0;
  try {
    const client = await WsProbe.open(stack.baseUrl, stack.wsUrl);
    const done = await client.runOnce(CHEAP_PROMPT);
    client.close();
    if (done.state !== 'DONE') throw new Error(`the run to read ended ${done.state}`);
    const getUrl = `${stack.baseUrl}/api/runs/${done.runId}`;
    // Untimed: connections, JIT.
    await autocannon({ url: getUrl, connections: 4, duration: 1 });
    for (const connections of ctx.quick ? [1, 16] : [1, 16, 64]) {
      const level = await measure(stack.prefix, '`GET /api/runs/:id`', connections, {
        url: getUrl,
        duration: seconds,
      });
      levels.push(level);
      ctx.log(
        `GET × ${connections}: ${level.result.requests.average.toFixed(0)} req/s, p50 ${level.result.latency.p50} ms, p99 ${level.result.latency.p99} ms`,
      );
    }
    for (const connections of ctx.quick ? [8] : [1, 8]) {
      const amount = connections === 1 ? Math.round(posts / 4) : posts;
      const level = await measure(stack.prefix, '`POST /api/runs`', connections, {
        url: `${stack.baseUrl}/api/runs`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: CHEAP_PROMPT }),
        amount,
      });
      postedRuns += level.result['2xx'];
      levels.push(level);
      ctx.log(
        `POST × ${connections}: ${level.result.requests.average.toFixed(0)} req/s, p50 ${level.result.latency.p50} ms, p99 ${level.result.latency.p99} ms`,
      );
    }
  } finally {
    await stack.stop();
  }
  await ctx.saveRaw(
    'gateway',
    levels.map(({ label, connections, result }) => ({ label, connections, result })),
  );

  const rows = levels.map((l) => {
    const r = l.result;
    const rps = r.requests.total / Math.max(1e-9, r.duration);
    return [
      l.label,
      String(l.connections),
      String(r.requests.total),
      rps.toFixed(0),
      ms(r.latency.p50),
      ms(r.latency.p90),
      ms(r.latency.p99),
      ms(r.latency.max),
      String(r.non2xx + r.errors + r.timeouts),
      l.gatewayCores === null ? '–' : l.gatewayCores.toFixed(2),
      l.load.stackCores === null || l.load.otherCores === null
        ? '–'
        : `${l.load.stackCores.toFixed(2)} / ${l.load.otherCores.toFixed(2)}`,
    ];
  });
  const best = (label: string) =>
    Math.max(
      ...levels
        .filter((l) => l.label === label)
        .map((l) => l.result.requests.total / Math.max(1e-9, l.result.duration)),
    );
  const busiest = levels
    .filter((l) => l.label === '`GET /api/runs/:id`')
    .reduce<Level | undefined>((a, l) => (!a || l.connections > a.connections ? l : a), undefined);
  const markdown = [
    measuredLine('gateway', ctx.quick),
    '',
    `autocannon 8 (in the benchmark's own process) against the gateway, keep-alive HTTP/1.1, no pipelining, each connection sending its next request when the previous one answered. \`GET /api/runs/:id\` reads one finished run (its record, history and model calls: a few Redis reads) for ${seconds} s per level. \`POST /api/runs\` starts real runs, ${posts} of them at 8 connections (and a quarter as many at 1): each is checked against the person's limits (requests per minute, runs in progress, daily tokens: Redis round trips), stored, and queued; the gateway also classifies runs (its classify worker), so the runs started meanwhile load it too. The prompt is a cheap request type from \`tests/bench/scenarios/bench.json\` (classify, then a one-token text; no app, no browser check), so the workers' share stays small. Latency in ms as autocannon measures it (1 ms resolution); *errors*: non-2xx answers, failed and timed-out requests. *Gateway cores*: CPU of the gateway process during the level; *cores*: the system's processes / everything else on the machine (the load generator included).`,
    '',
    table(
      [
        'route',
        'connections',
        'requests',
        'requests/s',
        'p50',
        'p90',
        'p99',
        'max',
        'errors',
        'gateway cores',
        'cores: system / other',
      ],
      rows,
    ),
    '',
    `${postedRuns} runs were started by the POST levels.`,
    '',
    '**What limits this**',
    '',
    `- **One gateway process, one event loop.** At best ${best('`GET /api/runs/:id`').toFixed(0)} reads/s and ${best('`POST /api/runs`').toFixed(0)} new runs/s here. A read is parsing, an owner check and a few Redis round trips; a new run adds the limit checks, the record, the first state transition and the classify job, and the run's own work then runs beside the requests (classify in the gateway, the text in the app-generator). ${
      busiest && busiest.gatewayCores !== null && busiest.gatewayCores < 0.8
        ? `At the busiest read level the gateway process used only ${busiest.gatewayCores.toFixed(2)} cores while everything else on the machine used ${busiest.load.otherCores?.toFixed(2) ?? '–'} of the 2 (autocannon included): it was mostly waiting, for Redis and for CPU held by other processes, not limited by its own event loop.`
        : busiest && busiest.gatewayCores !== null
          ? `At the busiest read level the gateway process used ${busiest.gatewayCores.toFixed(2)} cores: its single event loop is the limit.`
          : ''
    }`,
  ].join('\n');
  return {
    markdown,
    headline: levels.map(
      (l) =>
        `${l.label.replace(/`/g, '')} × ${l.connections}: ${(l.result.requests.total / Math.max(1e-9, l.result.duration)).toFixed(0)} req/s, p50 ${l.result.latency.p50} / p99 ${l.result.latency.p99} ms`,
    ),
  };
}

export const gateway: Benchmark = {
  name: 'gateway',
  title: 'Gateway API under load',
  run,
};
