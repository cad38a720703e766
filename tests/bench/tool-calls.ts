/**
 * Benchmark 1: a trivial tool called through /api/mono at 1, 16 and 64 concurrent callers,
 * beside the same call made to the python-runner directly (gateway overhead apart from
 * sandbox cost) and bare process spawns (sandbox cost apart from interpreter start-up).
 */
import { api } from '../support/client';
import type { BenchContext, BenchSection, Benchmark } from './bench';
import { cpuSpent, cpuTimes, listenOverflows, stackCpuMs } from './cpu';
import { JsonClient, runConcurrently } from './http';
import { measuredLine, ms, verdict } from './report';
import { measureSpawns } from './spawn';
import { startBenchStack, type BenchStack } from './stack';
import { summarize } from './stats';
import {
  TARGET_P50_MS,
  errorLines,
  latencyTable,
  notes,
  overheadTable,
  spawnTable,
  type LevelResult,
  type Path,
} from './tool-calls-report';

/** The workspace /api/mono runs tools in (the gateway's local owner), so both paths match. */
const WORKSPACE = 'local';

const CODE = 'import json, sys\nargs = json.load(sys.stdin)\nprint(json.dumps({"n": args["n"]}))\n';
const NUMBER = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
const TOOL = {
  name: 'bench_echo',
  description: 'Replies with the number it was given (benchmark tool).',
  args: NUMBER,
  returns: NUMBER,
  examples: [{ args: { n: 1 } }],
  code: CODE,
};

interface Block {
  latencies: number[];
  sandbox: number[];
  errors: number;
  firstError: string | null;
  wallMs: number;
  cpuMs: number | null;
  machineBusyMs: number | null;
  overflows: number | null;
}

/** One block of calls on one path at a fixed concurrency. */
async function callBlock(
  client: JsonClient,
  path: Path,
  concurrency: number,
  calls: number,
  prefix: string,
): Promise<Block> {
  const request = (i: number) =>
    path === 'mono'
      ? client.post(`/api/mono/${TOOL.name}`, { n: i })
      : client.post('/execute', { code: CODE, args: { n: i }, workspace: WORKSPACE });
  const block: Block = {
    latencies: [],
    sandbox: [],
    errors: 0,
    firstError: null,
    wallMs: 0,
    cpuMs: null,
    machineBusyMs: null,
    overflows: null,
  };
  const overflowsBefore = listenOverflows();
  const machineBefore = cpuTimes();
  const stackBefore = stackCpuMs(prefix);
  const selfBefore = process.cpuUsage();
  block.wallMs = await runConcurrently(calls, concurrency, async (i) => {
    const reply = await request(i);
    const body = reply.body as { result?: unknown; durationMs?: unknown } | null;
    const result = (path === 'mono' ? body : body?.result) as { n?: unknown } | undefined;
    if (reply.status !== 200 || result?.n !== i) {
      block.errors++;
      block.firstError ??= `HTTP ${reply.status}: ${JSON.stringify(reply.body).slice(0, 300)}`;
      return;
    }
    block.latencies.push(reply.ms);
    if (path === 'runner' && typeof body?.durationMs === 'number') {
      block.sandbox.push(body.durationMs);
    }
  });
  const stackAfter = stackCpuMs(prefix);
  const self = process.cpuUsage(selfBefore);
  block.machineBusyMs = cpuSpent(machineBefore, cpuTimes())?.busyMs ?? null;
  const overflowsAfter = listenOverflows();
  if (overflowsBefore !== null && overflowsAfter !== null) {
    block.overflows = overflowsAfter - overflowsBefore;
  }
  if (stackBefore !== null && stackAfter !== null) {
    block.cpuMs = stackAfter - stackBefore + (self.user + self.system) / 1000;
  }
  return block;
}

/**
 * Both paths at one concurrency, in blocks ordered A B B A (mono, runner, runner, mono) so
 * that a drift in background load affects both alike; the runner, a baseline, gets half as
 * many calls.
 */
async function measureLevel(
  stack: BenchStack,
  concurrency: number,
  calls: number,
): Promise<LevelResult[]> {
  const clients = {
    mono: new JsonClient(stack.baseUrl, concurrency),
    runner: new JsonClient(stack.runnerUrl, concurrency),
  };
  try {
    const blocks: Record<Path, Block[]> = { mono: [], runner: [] };
    const plan: [Path, number][] = [
      ['mono', Math.ceil(calls / 2)],
      ['runner', Math.ceil(calls / 4)],
      ['runner', Math.ceil(calls / 4)],
      ['mono', Math.ceil(calls / 2)],
    ];
    // Untimed: opens the keep-alive connections and wakes the worker threads on both paths.
    for (const path of ['mono', 'runner'] as const) {
      await callBlock(clients[path], path, concurrency, concurrency * 2, stack.prefix);
    }
    for (const [path, n] of plan) {
      blocks[path].push(await callBlock(clients[path], path, concurrency, n, stack.prefix));
    }
    return (['mono', 'runner'] as const).map((path) => {
      const all = blocks[path];
      const latencies = all.flatMap((b) => b.latencies);
      const sandbox = all.flatMap((b) => b.sandbox);
      const wallMs = all.reduce((sum, b) => sum + b.wallMs, 0);
      const cpu = all.every((b) => b.cpuMs !== null)
        ? all.reduce((sum, b) => sum + (b.cpuMs ?? 0), 0)
        : null;
      const machine = all.every((b) => b.machineBusyMs !== null)
        ? all.reduce((sum, b) => sum + (b.machineBusyMs ?? 0), 0)
        : null;
      return {
        path,
        concurrency,
        latency: summarize(latencies),
        sandbox: sandbox.length ? summarize(sandbox) : null,
        callsPerS: (latencies.length / wallMs) * 1000,
        errors: all.reduce((sum, b) => sum + b.errors, 0),
        firstError: all.find((b) => b.firstError)?.firstError ?? null,
        cpuMsPerCall: cpu === null ? null : cpu / Math.max(1, latencies.length),
        otherCores: cpu === null || machine === null ? null : Math.max(0, machine - cpu) / wallMs,
        listenOverflows: all.every((b) => b.overflows !== null)
          ? all.reduce((sum, b) => sum + (b.overflows ?? 0), 0)
          : null,
        samples: latencies,
      };
    });
  } finally {
    clients.mono.close();
    clients.runner.close();
  }
}

async function run(ctx: BenchContext): Promise<BenchSection> {
  // Calls through /api/mono per level; the runner gets half as many.
  const levels = ctx.quick
    ? [
        { concurrency: 1, calls: 50 },
        { concurrency: 16, calls: 160 },
        { concurrency: 64, calls: 256 },
      ]
    : [
        { concurrency: 1, calls: 200 },
        { concurrency: 16, calls: 320 },
        { concurrency: 64, calls: 320 },
      ];
  const spawnRounds = ctx.quick ? 10 : 20;
  const stack = await startBenchStack(ctx, 'tool-calls');
  const results: LevelResult[] = [];
  let spawns: ReturnType<typeof measureSpawns>;
  try {
    const created = await api<Record<string, unknown>>(stack.baseUrl, '/api/tools', {
      body: TOOL,
    });
    if (created.status !== 201) {
      throw new Error(`registering ${TOOL.name} failed: ${JSON.stringify(created.body)}`);
    }
    ctx.log(`spawning bare interpreters (${spawnRounds} rounds)`);
    spawns = measureSpawns(spawnRounds);
    for (const { concurrency, calls } of levels) {
      for (const result of await measureLevel(stack, concurrency, calls)) {
        results.push(result);
        ctx.log(
          `${result.path} c=${concurrency}: p50 ${ms(result.latency.p50)} ms, p99 ${ms(result.latency.p99)} ms, ${result.callsPerS.toFixed(0)} calls/s, ${result.errors} errors`,
        );
        if (result.firstError) ctx.log(`  first error: ${result.firstError}`);
      }
    }
  } finally {
    await stack.stop();
  }
  await ctx.saveRaw('tool-calls', {
    levels: results.map(({ path, concurrency, samples, sandbox }) => ({
      path,
      concurrency,
      samples,
      sandbox,
    })),
    spawns: spawns.rows.map(({ label, samples }) => ({ label, samples })),
  });

  const mono1 = results.find((r) => r.path === 'mono' && r.concurrency === 1);
  const p50 = mono1?.latency.p50 ?? NaN;
  const markdown = [
    measuredLine('tool-calls', ctx.quick),
    '',
    `A trivial tool (\`${TOOL.name}\`: reads \`{"n"}\` from stdin as JSON, prints it back) is registered with \`POST /api/tools\`, then called by a fixed number of callers, each sending its next request as soon as the previous one answers (keep-alive HTTP/1.1, \`node:http\`). "python-runner" is the same execution sent straight to the runner's \`POST /execute\` (same code, args and workspace as the gateway sends), which separates the gateway's share from the sandbox's; it gets half as many calls. At each level the two paths alternate in blocks (mono, runner, runner, mono) so a change in background load hits both alike, after untimed calls that open the connections. Latencies in ms as the caller sees them. *CPU ms/call*: CPU time of the stack's processes (tools included) and of the client per call; *other load*: cores' worth of CPU that other processes on the machine used meanwhile; *listen overflows*: connection attempts the kernel dropped (machine-wide) because an accept queue was full. A call without an answer within 20 s counts as an error.`,
    '',
    `**Target:** p50 ≤ ${TARGET_P50_MS} ms at one caller with the sandbox — ${verdict(p50 <= TARGET_P50_MS)} (p50 ${ms(p50)} ms, sandbox **${stack.runner.sandbox}**).`,
    '',
    latencyTable(results),
    ...(errorLines(results).length ? ['', 'Failed calls:', '', ...errorLines(results)] : []),
    '',
    'Where the time goes (p50 unless said; "runner-reported run" is the `durationMs` the runner returns: from handing the code to the sandboxed interpreter until it exits):',
    '',
    overheadTable(results),
    '',
    `Bare spawns on the same machine (\`spawnSync\`, ${spawnRounds} rounds, round-robin):`,
    '',
    spawnTable(spawns.rows),
    ...(spawns.problem ? ['', `(${spawns.problem}; only the PATH interpreter was timed.)`] : []),
    '',
    '**What limits this**',
    '',
    ...notes(results, spawns.rows),
  ].join('\n');
  const headline = results
    .filter((r) => r.path === 'mono')
    .map(
      (r) =>
        `mono c=${r.concurrency}: p50 ${ms(r.latency.p50)} ms, p99 ${ms(r.latency.p99)} ms, ${r.callsPerS.toFixed(0)}/s`,
    );
  const runner1 = results.find((r) => r.path === 'runner' && r.concurrency === 1);
  const bare = spawns.rows.find((r) => r.note === "the runner's interpreter");
  headline.push(
    `runner direct c=1 p50 ${ms(runner1?.latency.p50 ?? NaN)} ms; bare python spawn p50 ${ms(bare?.summary.p50 ?? NaN)} ms; target p50 ≤ ${TARGET_P50_MS} ms ${p50 <= TARGET_P50_MS ? 'met' : 'not met'}`,
  );
  return { markdown, headline };
}

export const toolCalls: Benchmark = {
  name: 'tool-calls',
  title: 'Tool calls through /api/mono',
  run,
};
