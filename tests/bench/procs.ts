/**
 * The processes of one running stack, found in /proc: every process whose environment holds
 * the stack's REDIS_PREFIX (the launcher passes it to each service, and the services' own
 * children, such as the checker's Chromium and sandboxed tools, inherit it). Each is named
 * after the service entry in its command line.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface StackProcess {
  pid: number;
  ppid: number;
  /** The service (`gateway`, `app-generator`, `python-runner`, …), or what else it is. */
  service: string;
  command: string;
}

const ENTRIES: [RegExp, string][] = [
  [/scripts\/start\.ts/, 'launcher'],
  [/services\/gateway\/(src\/server\.ts|dist\/server\.js)/, 'gateway'],
  [/services\/planner\/(src\/main\.ts|dist\/main\.js)/, 'planner'],
  [/services\/tool-manager\/(src\/main\.ts|dist\/main\.js)/, 'tool-manager'],
  [/services\/app-generator\/(src\/main\.ts|dist\/main\.js)/, 'app-generator'],
  [/services\/llm-sim\/(src\/main\.ts|dist\/main\.js)/, 'llm-sim'],
  [/python-runner\/server\.py/, 'python-runner'],
  [/chrom/i, 'chromium'],
  [/bwrap|python/, 'sandbox'],
];

/** What a command line is (see ENTRIES); `other` when none matches. */
export function serviceOf(command: string): string {
  return ENTRIES.find(([pattern]) => pattern.test(command))?.[1] ?? 'other';
}

function read(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

export function stackProcesses(prefix: string): StackProcess[] {
  const needle = Buffer.from(`\0REDIS_PREFIX=${prefix}\0`);
  const found: StackProcess[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    const environ = read(`/proc/${name}/environ`);
    if (!environ || !Buffer.concat([Buffer.from([0]), environ]).includes(needle)) continue;
    const command = (read(`/proc/${name}/cmdline`) ?? Buffer.alloc(0))
      .toString()
      .split('\0')
      .join(' ')
      .trim();
    const stat = read(`/proc/${name}/stat`)?.toString() ?? '';
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? NaN);
    found.push({ pid: Number(name), ppid, service: serviceOf(command), command });
  }
  return found;
}

/** Resident memory of a process in MiB (VmRSS from /proc/<pid>/status), NaN if gone. */
export function rssMiB(pid: number): number {
  const status = read(`/proc/${pid}/status`)?.toString() ?? '';
  const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kib ? Number(kib) / 1024 : NaN;
}

/** The processes below `pid` (its children, their children, …) among `all`. */
export function descendants(pid: number, all: readonly StackProcess[]): StackProcess[] {
  const out: StackProcess[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift();
    for (const p of all) {
      if (p.ppid === parent) {
        out.push(p);
        queue.push(p.pid);
      }
    }
  }
  return out;
}

/** The environment of a process as a map (to start another one like it). */
export function environmentOf(pid: number): Record<string, string> {
  const environ = read(`/proc/${pid}/environ`)?.toString() ?? '';
  const env: Record<string, string> = {};
  for (const entry of environ.split('\0')) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

/** CPU time (user + system, reaped children included) of a process in ms, NaN if gone. */
export function cpuMsOf(pid: number): number {
  const stat = read(`/proc/${pid}/stat`)?.toString() ?? '';
  if (!stat) return NaN;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0) * 10;
}

/** CPU time in ms of each service of a stack (processes of one service added up). */
export function stackCpuByService(prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of stackProcesses(prefix)) {
    out.set(p.service, (out.get(p.service) ?? 0) + cpuMsOf(p.pid));
  }
  return out;
}
