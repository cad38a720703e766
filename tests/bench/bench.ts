/** What every benchmark is: a name to select it, a title, and a run that yields its section. */

export interface RunnerHealth {
  sandbox: string;
  python: string;
}

export interface BenchContext {
  /** Fewer repetitions, for a quick look (`--quick`). */
  quick: boolean;
  log(line: string): void;
  /** Stores raw samples as JSON under test-artifacts/bench/ for later comparison. */
  saveRaw(name: string, data: unknown): Promise<void>;
  /** Records what the python-runner of a started stack reported, for the machine section. */
  noteRunner(health: RunnerHealth): void;
}

export interface BenchSection {
  /** Markdown below the section heading. */
  markdown: string;
  /** A few lines with the key figures, printed at the end of `npm run bench`. */
  headline: string[];
}

export interface Benchmark {
  /** Selects it with `--only <name>`; also names its section in BENCHMARKS.md. */
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchSection>;
}
