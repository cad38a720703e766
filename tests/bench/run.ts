/**
 * `npm run bench [-- --only <name>[,<name>…]] [--quick]`: runs the benchmarks one after
 * another, each against its own freshly started system, and rewrites BENCHMARKS.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BenchContext, Benchmark, RunnerHealth } from './bench';
import { cost } from './cost';
import { fanOut } from './fan-out';
import { footprint } from './footprint';
import { gateway } from './gateway';
import { machineMarkdown, snapshot } from './machine';
import { modelCalls } from './model-calls';
import { writeReport, type SectionText } from './report';
import { scaleOut } from './scale-out';
import { newApp } from './new-app';
import { newAppTool } from './new-app-tool';
import { toolCalls } from './tool-calls';

/** Every benchmark, in report order. Add new ones here. */
const BENCHMARKS: readonly Benchmark[] = [
  newApp,
  newAppTool,
  toolCalls,
  scaleOut,
  fanOut,
  gateway,
  footprint,
  modelCalls,
  cost,
];

const root = fileURLToPath(new URL('../..', import.meta.url));
const reportPath = `${root}BENCHMARKS.md`;
const rawDir = `${root}test-artifacts/bench`;

function parseArgs(argv: string[]): { only: string[] | null; quick: boolean } {
  let only: string[] | null = null;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--only' || arg?.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (!value) throw new Error('--only needs a benchmark name');
      only = [...(only ?? []), ...value.split(',').filter(Boolean)];
    } else {
      throw new Error(`unknown argument ${arg}; use --only <name> and/or --quick`);
    }
  }
  const names = BENCHMARKS.map((b) => b.name);
  const unknown = (only ?? []).filter((name) => !names.includes(name));
  if (unknown.length) {
    throw new Error(`no benchmark named ${unknown.join(', ')}; there are: ${names.join(', ')}`);
  }
  return { only, quick };
}

async function main(): Promise<void> {
  const { only, quick } = parseArgs(process.argv.slice(2));
  // The test helpers read REDIS_URL (set by the test run's global setup); benchmarks use the local one.
  process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  const selected = BENCHMARKS.filter((b) => !only || only.includes(b.name));
  const machine = snapshot();
  let runner: RunnerHealth | null = null;
  await mkdir(rawDir, { recursive: true });

  const sections: SectionText[] = [];
  const headlines: string[] = [];
  const failed: string[] = [];
  const started = performance.now();
  for (const bench of selected) {
    const log = (line: string) =>
      process.stdout.write(
        `[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${bench.name}: ${line}\n`,
      );
    const ctx: BenchContext = {
      quick,
      log,
      saveRaw: async (name, data) => {
        await writeFile(`${rawDir}/${name}.json`, JSON.stringify(data, null, 1));
      },
      noteRunner: (health) => {
        runner ??= { sandbox: health.sandbox, python: health.python };
      },
    };
    log(`starting${quick ? ' (quick)' : ''}`);
    try {
      const section = await bench.run(ctx);
      sections.push({ name: bench.name, title: bench.title, markdown: section.markdown });
      headlines.push(`${bench.name}:`, ...section.headline.map((line) => `  ${line}`));
      log('done');
    } catch (err) {
      // The others still run; this one keeps its previous section in the report.
      failed.push(bench.name);
      log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  await writeReport(reportPath, machineMarkdown(machine, runner), BENCHMARKS, sections);
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  process.stdout.write(`\n${headlines.join('\n')}\n\nwrote BENCHMARKS.md in ${minutes} min\n`);
  if (failed.length)
    throw new Error(`${failed.join(', ')} failed (see above); their sections were kept`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
