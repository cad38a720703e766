/** The machine the figures come from, as a Markdown table. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import type { RunnerHealth } from './bench';
import { table } from './report';

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

function pythonVersion(): string {
  const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  return (python.stdout || python.stderr).trim().replace(/^Python /, '') || 'not found';
}

function chromiumVersion(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const chromium = spawnSync(path, ['--version'], { encoding: 'utf8' });
  return chromium.stdout?.trim() || 'not found';
}

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
}

export interface MachineSnapshot {
  loadAtStart: string;
}

export function snapshot(): MachineSnapshot {
  return { loadAtStart: load() };
}

export function machineMarkdown(start: MachineSnapshot, runner: RunnerHealth | null): string {
  const rows: string[][] = [
    ['CPU', cpuModel()],
    ['cores', String(cpus().length)],
    ['RAM', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ['Node.js', process.version],
    ['Python (`python3` on PATH)', pythonVersion()],
    [
      'python-runner',
      runner
        ? `sandbox **${runner.sandbox}**, Python ${runner.python} (from its \`GET /health\`)`
        : 'not started in this run',
    ],
    ['Chromium', chromiumVersion()],
    ['load average (1/5/15 min) at start → end', `${start.loadAtStart} → ${load()}`],
  ];
  return table(['', 'this run'], rows, 'll');
}
