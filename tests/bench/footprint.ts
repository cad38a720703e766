/**
 * Benchmark: resident memory (VmRSS) of each service process, idle after start-up, under the
 * steady load of the scale-out benchmark, and idle again after it.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchSection, Benchmark } from './bench';
import { startExtraAppGenerators, steadyLoad } from './load';
import { descendants, rssMiB, stackProcesses, type StackProcess } from './procs';
import { SCALE_APP_CONCURRENCY, SCALE_ENV, clientsFor } from './scale-out';
import { measuredLine, table, verdict } from './report';
import { startBenchStack } from './stack';
import { summarize } from './stats';

const NODE_IDLE_TARGET = 150;
const NODE_LOAD_TARGET = 300;
const RUNNER_IDLE_TARGET = 50;
const SERVICES = [
  'gateway',
  'planner',
  'tool-manager',
  'app-generator',
  'llm-sim',
  'launcher',
  'python-runner',
] as const;
/** The heaviest level of the scale-out benchmark. */
const LOAD_PROCESSES = 4;
const NODE_SERVICES = ['gateway', 'planner', 'tool-manager', 'app-generator'];

/**
 * One reading: RSS in MiB per service (the largest where a service has several processes),
 * and `chromium`: an app-generator's checker browser, its processes summed (the largest).
 */
export type Reading = Record<string, number>;

export function readRss(processes: readonly StackProcess[]): Reading {
  const reading: Reading = {};
  for (const p of processes) {
    if (p.service === 'chromium' || p.service === 'sandbox' || p.service === 'other') continue;
    reading[p.service] = Math.max(reading[p.service] ?? 0, rssMiB(p.pid));
  }
  reading.chromium = Math.max(
    0,
    ...processes
      .filter((p) => p.service === 'app-generator')
      .map((generator) =>
        descendants(generator.pid, processes)
          .filter((p) => p.service === 'chromium')
          .reduce((sum, p) => sum + (rssMiB(p.pid) || 0), 0),
      ),
  );
  return reading;
}

async function sample(prefix: string, count: number, everyMs: number): Promise<Reading[]> {
  const readings: Reading[] = [];
  for (let i = 0; i < count; i++) {
    readings.push(readRss(stackProcesses(prefix)));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return readings;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * RSS of bare Node processes that do nothing, read 1 s after each says it is ready: plain
 * Node; Node importing the libraries every service loads (BullMQ, ioredis, zod, pino,
 * prom-client); the same under the tsx loader with @hyperdesk/shared from source (how the
 * tests and development run the services); and that with playwright-core (the app-generator
 * loads it at its first check).
 */
async function baselines(): Promise<{ label: string; rss: number }[]> {
  const dir = `${root}test-artifacts/bench`;
  await mkdir(dir, { recursive: true });
  const idle = "console.log('ready');\nsetInterval(() => {}, 1000);\n";
  await writeFile(`${dir}/idle-shared.ts`, `import '@hyperdesk/shared';\n${idle}`);
  await writeFile(
    `${dir}/idle-playwright.ts`,
    `import '@hyperdesk/shared';\nimport 'playwright-core';\n${idle}`,
  );
  const libraries = ['bullmq', 'ioredis', 'zod', 'pino', 'prom-client'];
  await writeFile(
    `${dir}/idle-libraries.mjs`,
    `${libraries.map((l) => `await import('${l}');`).join('\n')}\n${idle}`,
  );
  const variants: { label: string; args: string[] }[] = [
    { label: '`node` alone', args: ['-e', idle] },
    {
      label: '`node` importing the libraries (BullMQ, ioredis, zod, pino, prom-client)',
      args: [`${dir}/idle-libraries.mjs`],
    },
    {
      label: '`node --import tsx` running a file that imports `@hyperdesk/shared` from source',
      args: ['--import', 'tsx', `${dir}/idle-shared.ts`],
    },
    {
      label: 'and also importing `playwright-core` (as the app-generator does at its first check)',
      args: ['--import', 'tsx', `${dir}/idle-playwright.ts`],
    },
  ];
  const out: { label: string; rss: number }[] = [];
  for (const variant of variants) {
    const child = spawn(process.execPath, variant.args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${variant.label} did not start`)), 30_000);
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await new Promise((r) => setTimeout(r, 1000));
      out.push({ label: variant.label, rss: rssMiB(child.pid ?? 0) });
    } finally {
      child.kill('SIGKILL');
    }
  }
  return out;
}

const mib = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '–');

async function run(ctx: BenchContext): Promise<BenchSection> {
  const loadMs = 15_000;
  const bare = await baselines();
  const stack = await startBenchStack(ctx, 'footprint', SCALE_ENV);
  let idle: Reading[] = [];
  let loaded: Reading[] = [];
  let after: Reading[] = [];
  let runs = 0;
  let stopExtra = async () => {};
  try {
    // Idle: started, connected, nothing asked yet.
    await new Promise((r) => setTimeout(r, 3000));
    idle = await sample(stack.prefix, 5, 400);
    const extra = await startExtraAppGenerators(stack, LOAD_PROCESSES - 1);
    stopExtra = extra.stop;
    let sampling = true;
    const sampler = (async () => {
      const out: Reading[] = [];
      while (sampling) out.push(...(await sample(stack.prefix, 1, 500)));
      return out;
    })();
    const done = await steadyLoad(stack, clientsFor(LOAD_PROCESSES), Date.now() + loadMs);
    sampling = false;
    loaded = await sampler;
    runs = done.filter((r) => r.state === 'DONE').length;
    await new Promise((r) => setTimeout(r, 3000));
    after = await sample(stack.prefix, 5, 400);
  } finally {
    await stopExtra();
    await stack.stop();
  }
  await ctx.saveRaw('footprint', { bare, idle, loaded, after });

  const stat = (readings: Reading[], service: string) =>
    summarize(readings.map((r) => r[service] ?? NaN));
  const rows = [...SERVICES, 'chromium'].map((service) => {
    const i = stat(idle, service);
    const l = stat(loaded, service);
    const a = stat(after, service);
    const node = NODE_SERVICES.includes(service);
    const runner = service === 'python-runner';
    const target = node
      ? `≤ ${NODE_IDLE_TARGET} idle, ≤ ${NODE_LOAD_TARGET} under load`
      : runner
        ? `≤ ${RUNNER_IDLE_TARGET} idle`
        : '–';
    const met = node
      ? i.p50 <= NODE_IDLE_TARGET && l.max <= NODE_LOAD_TARGET
      : runner
        ? i.p50 <= RUNNER_IDLE_TARGET
        : null;
    const label =
      service === 'chromium'
        ? "the app-generator's checker Chromium (all its processes, summed)"
        : service === 'launcher'
          ? 'launcher (`scripts/start.ts`)'
          : `\`${service}\``;
    return [
      label,
      mib(i.p50),
      mib(l.p50),
      mib(l.max),
      mib(a.p50),
      target,
      met === null ? '–' : verdict(met),
    ];
  });
  const nodeIdleMax = Math.max(...NODE_SERVICES.map((s) => stat(idle, s).p50));
  const nodeLoadMax = Math.max(...NODE_SERVICES.map((s) => stat(loaded, s).max));
  const runnerIdle = stat(idle, 'python-runner').p50;
  const markdown = [
    measuredLine('footprint', ctx.quick),
    '',
    `Resident memory (\`VmRSS\` in /proc/<pid>/status, MiB) of each service process the launcher started, found by the stack's Redis prefix in their environment and named by their entry script. *Idle*: 3 s after the gateway answered /health, nothing asked yet (p50 of 5 readings 0.4 s apart). *Under load*: the heaviest level of the scale-out benchmark (${LOAD_PROCESSES} app-generator processes with \`APP_CONCURRENCY=${SCALE_APP_CONCURRENCY}\`, ${clientsFor(LOAD_PROCESSES)} closed-loop clients running the benchmark app) for ${loadMs / 1000} s, read every 0.5 s (${loaded.length} readings, ${runs} runs completed): p50 and max; for the app-generator, the largest of its ${LOAD_PROCESSES} processes (idle: the launcher's one). *After*: idle again, 3 s after the load. The Node services run their bundles (\`npm run build\`) with plain node, as \`npm start\` does. Chromium's processes share memory, so their sum over-counts it.`,
    '',
    `**Targets:** each Node service ≤ ${NODE_IDLE_TARGET} MiB idle — ${verdict(nodeIdleMax <= NODE_IDLE_TARGET)} (largest ${mib(nodeIdleMax)}); ≤ ${NODE_LOAD_TARGET} MiB under load — ${verdict(nodeLoadMax <= NODE_LOAD_TARGET)} (largest ${mib(nodeLoadMax)}); python-runner ≤ ${RUNNER_IDLE_TARGET} MiB idle — ${verdict(runnerIdle <= RUNNER_IDLE_TARGET)} (${mib(runnerIdle)}).`,
    '',
    table(
      ['process', 'idle', 'under load p50', 'under load max', 'after load', 'target (MiB)', ''],
      rows,
    ),
    '',
    '**What limits this**',
    '',
    `- **Most of a Node service's idle memory is the runtime and its libraries, before any Hyperdesk code runs.** The services run their bundles with plain node (\`npm start\` and the images; \`npm run build\` makes one ES module per service with \`@hyperdesk/shared\` inlined). Bare processes that do nothing, measured here: ${bare.map((b) => `${b.label} ${mib(b.rss)} MiB`).join('; ')}. So ${mib(bare[1]?.rss ?? NaN)} MiB of each service's idle size is Node and the libraries, of which the libraries take ${mib((bare[1]?.rss ?? NaN) - (bare[0]?.rss ?? NaN))} MiB; the rest is the service's own code and state (the gateway carries the most: every route, the WebSocket hub, Bull Board, fastify). Run from source through tsx, as the tests do, a process holds ${mib((bare[2]?.rss ?? NaN) - (bare[1]?.rss ?? NaN))} MiB more here (the loader and the TypeScript it compiled). The app-generator loads playwright-core with the checks' Chromium, at its first check (${mib((bare[3]?.rss ?? NaN) - (bare[2]?.rss ?? NaN))} MiB more here, so it is in the under-load figure and not the idle one); the Chromium itself (started at the first check and kept) comes on top, in its own processes.`,
  ].join('\n');
  return {
    markdown,
    headline: [
      `Node services idle ≤ ${mib(nodeIdleMax)} MiB, under load ≤ ${mib(nodeLoadMax)} MiB; python-runner idle ${mib(runnerIdle)} MiB`,
    ],
  };
}

export const footprint: Benchmark = {
  name: 'footprint',
  title: 'Footprint: resident memory',
  run,
};
