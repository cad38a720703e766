/**
 * Bare process spawns to set tool-call latency against: the interpreter alone, with the
 * runner's flags, and inside the runner's bubblewrap command line.
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { summarize, type Summary } from './stats';

const runnerDir = fileURLToPath(new URL('../../python-runner', import.meta.url));

/** Asks the python-runner's own modules for its interpreter and fixed bwrap arguments. */
const SANDBOX_QUESTION = `
import json, os
from config import load_config
from sandbox import build_sandbox, inspect_interpreter
config = load_config(os.environ)
interpreter = inspect_interpreter(config.python)
sandbox = build_sandbox("bubblewrap", interpreter, config.tool_user)
print(json.dumps({"python": interpreter.executable, "bwrap": list(sandbox.bwrap_base)}))
`;

interface RunnerLaunch {
  python: string;
  bwrap: string[];
}

function runnerLaunch(): RunnerLaunch | null {
  const answer = spawnSync('python3', ['-c', SANDBOX_QUESTION], {
    cwd: runnerDir,
    encoding: 'utf8',
  });
  if (answer.status !== 0) return null;
  try {
    return JSON.parse(answer.stdout) as RunnerLaunch;
  } catch {
    return null;
  }
}

function whichPython(): string {
  const found = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim();
  if (!found) return 'python3';
  try {
    const real = realpathSync(found);
    return real === found ? found : `${found} → ${real}`;
  } catch {
    return found;
  }
}

export interface SpawnRow {
  label: string;
  note: string;
  summary: Summary;
  samples: number[];
}

/**
 * Times each command `rounds` times with spawnSync, round-robin so background load hits all
 * of them alike; one untimed warm-up each.
 */
export function measureSpawns(rounds: number): { rows: SpawnRow[]; problem: string | null } {
  const launch = runnerLaunch();
  const commands: { label: string; note: string; argv: string[] }[] = [
    {
      label: '`python3 -c pass`',
      note: `python3 on PATH: ${whichPython()}`,
      argv: ['python3', '-c', 'pass'],
    },
  ];
  if (launch) {
    commands.push(
      {
        label: `\`${launch.python} -c pass\``,
        note: "the runner's interpreter",
        argv: [launch.python, '-c', 'pass'],
      },
      {
        label: `\`${launch.python} -I -B -c pass\``,
        note: "with the runner's flags",
        argv: [launch.python, '-I', '-B', '-c', 'pass'],
      },
      {
        label: '`bwrap … python3 -I -B -c pass`',
        note: "inside the runner's bubblewrap namespaces (no prlimit, no tool files)",
        argv: [...launch.bwrap, launch.python, '-I', '-B', '-c', 'pass'],
      },
    );
  }
  const samples = commands.map(() => [] as number[]);
  const once = (argv: string[]) => {
    const [file, ...args] = argv;
    const started = performance.now();
    const result = spawnSync(file ?? 'true', args, { stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${argv.join(' ')} exited with ${result.status}`);
    return performance.now() - started;
  };
  for (const { argv } of commands) once(argv);
  for (let round = 0; round < rounds; round++) {
    commands.forEach(({ argv }, i) => samples[i]?.push(once(argv)));
  }
  return {
    rows: commands.map(({ label, note }, i) => ({
      label,
      note,
      samples: samples[i] ?? [],
      summary: summarize(samples[i] ?? []),
    })),
    problem: launch ? null : "could not read the runner's sandbox command line (python-runner/)",
  };
}
