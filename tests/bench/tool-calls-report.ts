/** The tool-call benchmark's tables and its notes on what limits the figures. */
import { ms, percentileCells, ratio, signed, table } from './report';
import type { SpawnRow } from './spawn';
import type { Summary } from './stats';

export const TARGET_P50_MS = 25;

export type Path = 'mono' | 'runner';

export interface LevelResult {
  path: Path;
  concurrency: number;
  latency: Summary;
  /** The runner's own durationMs (code handed over → exit), direct calls only. */
  sandbox: Summary | null;
  callsPerS: number;
  errors: number;
  firstError: string | null;
  /** CPU of the stack's processes and this client per call, ms; null where unreadable. */
  cpuMsPerCall: number | null;
  /** Cores' worth of CPU other processes (not this stack, not this client) used meanwhile. */
  otherCores: number | null;
  /** Connections dropped machine-wide because an accept queue was full, during the level. */
  listenOverflows: number | null;
  samples: number[];
}

export const LABEL: Record<Path, string> = {
  mono: '`POST /api/mono/bench_echo`',
  runner: 'python-runner `POST /execute`',
};

export function latencyTable(levels: LevelResult[]): string {
  const rows = levels.map((r) => [
    `${LABEL[r.path]}, ${r.concurrency} caller${r.concurrency > 1 ? 's' : ''}`,
    String(r.latency.n),
    ...percentileCells(r.latency),
    r.callsPerS.toFixed(0),
    r.cpuMsPerCall === null ? '–' : ms(r.cpuMsPerCall),
    r.otherCores === null ? '–' : r.otherCores.toFixed(2),
    r.listenOverflows === null ? '–' : String(r.listenOverflows),
    String(r.errors),
  ]);
  return table(
    [
      'path, callers',
      'calls',
      'p50',
      'p95',
      'p99',
      'max',
      'calls/s',
      'CPU ms/call',
      'other load (cores)',
      'listen overflows',
      'errors',
    ],
    rows,
  );
}

export function overheadTable(levels: LevelResult[]): string {
  const concurrencies = [...new Set(levels.map((r) => r.concurrency))];
  const rows = concurrencies.flatMap((c) => {
    const mono = levels.find((r) => r.path === 'mono' && r.concurrency === c);
    const runner = levels.find((r) => r.path === 'runner' && r.concurrency === c);
    if (!mono || !runner) return [];
    return [
      [
        String(c),
        ms(mono.latency.p50),
        ms(runner.latency.p50),
        signed(mono.latency.p50 - runner.latency.p50),
        signed(mono.latency.p99 - runner.latency.p99),
        runner.sandbox ? ms(runner.sandbox.p50) : '–',
        ms(runner.latency.p50 - (runner.sandbox?.p50 ?? NaN)),
      ],
    ];
  });
  return table(
    [
      'callers',
      'mono p50',
      'runner p50',
      'gateway p50',
      'gateway p99',
      'runner-reported run p50',
      'runner HTTP + spawn p50',
    ],
    rows,
  );
}

export function spawnTable(rows: SpawnRow[]): string {
  return table(
    ['command', 'runs', 'min', 'p50', 'p95', 'max', 'note'],
    rows.map((r) => [
      r.label,
      String(r.summary.n),
      ms(r.summary.min),
      ms(r.summary.p50),
      ms(r.summary.p95),
      ms(r.summary.max),
      r.note,
    ]),
    'lrrrrrl',
  );
}

export function notes(levels: LevelResult[], spawns: SpawnRow[]): string[] {
  const at = (path: Path, c: number) => levels.find((r) => r.path === path && r.concurrency === c);
  const mono1 = at('mono', 1);
  const runner1 = at('runner', 1);
  const bare = spawns.find((r) => r.note === "the runner's interpreter");
  const boxed = spawns.find((r) => r.label.startsWith('`bwrap'));
  const out: string[] = [];
  if (mono1 && runner1 && bare && boxed) {
    const floor =
      boxed.summary.p50 > TARGET_P50_MS
        ? `: one sandboxed interpreter start alone (${ms(boxed.summary.p50)} ms) is over the ${TARGET_P50_MS} ms target`
        : '';
    out.push(
      `- **Process start-up sets the floor.** A bare interpreter spawn costs ${ms(bare.summary.p50)} ms (p50) here and the same inside the runner's bubblewrap namespaces ${ms(boxed.summary.p50)} ms (${ratio(boxed.summary.p50 / bare.summary.p50)})${floor}. A trivial call through /api/mono costs ${ratio(mono1.latency.p50 / bare.summary.p50)} a bare spawn measured in the same run, the runner alone ${ratio(runner1.latency.p50 / bare.summary.p50)}. The runner reports ${ms(runner1.sandbox?.p50 ?? NaN)} ms per execution (code handed over → exit, with a sandbox pre-started while the previous call ran) and spends ${ms(runner1.latency.p50 - (runner1.sandbox?.p50 ?? NaN))} ms around it (HTTP, temp dir, hand-over, clean-up).`,
    );
  }
  if (mono1 && runner1) {
    const gateway = mono1.latency.p50 - runner1.latency.p50;
    const what =
      "it counts the request towards the person's rate limit (a Redis MULTI), reads the tool from Redis once (two round trips: its current version, then that version), checks args and result against their schemas, calls the runner over HTTP, and writes an activity record before it replies";
    const spread = runner1.latency.p95 - runner1.latency.p50;
    out.push(
      gateway < 0 || Math.abs(gateway) < Math.max(2, spread / 4)
        ? `- **The gateway's share is lost in the noise at this load.** At one caller /api/mono and the runner alone differ by ${signed(gateway)} ms at p50, while the runner's own p50→p95 spread is ${ms(spread)} ms. On a quieter machine the difference is a few ms: ${what}.`
        : `- **The gateway adds ${ms(gateway)} ms at one caller** (p50, ${((gateway / mono1.latency.p50) * 100).toFixed(0)} % of the call): ${what}.`,
    );
  }
  const top = Math.max(...levels.map((r) => r.concurrency));
  const busiest = at('mono', top);
  if (busiest && busiest.cpuMsPerCall !== null && busiest.otherCores !== null) {
    const used = (busiest.cpuMsPerCall * busiest.callsPerS) / 1000;
    const free = Math.max(0, 2 - busiest.otherCores);
    const cpu = `${ms(busiest.cpuMsPerCall)} ms of CPU in the stack's processes and the client (the sandboxed tool included)`;
    const load = `at ${busiest.callsPerS.toFixed(0)} answered calls/s the system used ${used.toFixed(2)} cores while other processes on the machine left about ${free.toFixed(2)} of 2 free`;
    if (busiest.errors > 0) {
      out.push(
        `- **With ${top} callers, stalled connections dominate.** ${busiest.errors} calls got no answer within 20 s (next point), and the callers waiting on them are what holds throughput down; the answered calls took ${ms(busiest.latency.p50)} ms at p50 (mean ${ms(busiest.latency.mean)} ms). A call costs ${cpu}; ${load}.`,
      );
    } else if (used >= 0.8 * free) {
      out.push(
        `- **With ${top} callers it is CPU-bound.** A call costs ${cpu}; ${load}. Latency then grows with the queue (Little's law: ${top} in flight ÷ ${busiest.callsPerS.toFixed(0)} calls/s ≈ ${ms((top / busiest.callsPerS) * 1000)} ms; measured mean ${ms(busiest.latency.mean)} ms, p50 ${ms(busiest.latency.p50)} ms).`,
      );
    } else {
      out.push(
        `- **With ${top} callers it is not CPU that limits throughput.** A call costs ${cpu}; ${load}. The calls wait instead: the runner runs at most RUNNER_CONCURRENCY (default 8) tools at once and keeps one pre-started sandbox per workspace and limits, so concurrent calls mostly start cold, and connections stall (next point). Mean latency ${ms(busiest.latency.mean)} ms against p50 ${ms(busiest.latency.p50)} ms shows how much of it is in the tail.`,
      );
    }
  }
  const bursty = levels.filter((r) => r.concurrency > 1);
  const overflows = bursty.reduce((sum, r) => sum + (r.listenOverflows ?? 0), 0);
  const errors = bursty.reduce((sum, r) => sum + r.errors, 0);
  if (overflows > 0 || errors > 0) {
    out.push(
      `- **Bursts of new connections overflow the runner's accept queue.** The python-runner's \`RunnerServer\` (a \`ThreadingHTTPServer\`, python-runner/server.py) keeps socketserver's default listen backlog of 5 (\`request_queue_size\`). During the levels with 16 and 64 callers the kernel dropped ${overflows} connection attempts for a full accept queue (TcpExt ListenOverflows, machine-wide). A dropped handshake is retried by SYN-ACK retransmission after 1, 3, 7, 15, 31 s, which shows up as multi-second p99/max${errors > 0 ? `, and a request sent on a connection the runner never accepted gets no answer: the gateway's runner client gives up after 120 s and /api/mono answers 503 RUNNER_UNAVAILABLE, and the client here gave up after 20 s on ${errors} call(s)` : ''}. Node's fetch in the gateway closes idle connections to the runner after about 4 s, so every burst after a pause opens them again at once. A larger backlog (e.g. \`request_queue_size = 128\`) would remove this.`,
    );
  }
  return out;
}

export function errorLines(levels: LevelResult[]): string[] {
  return levels
    .filter((r) => r.firstError)
    .map(
      (r) =>
        `- ${LABEL[r.path]}, ${r.concurrency} callers: ${r.errors} failed; first: ${r.firstError?.replace(/\|/g, '/')}`,
    );
}
