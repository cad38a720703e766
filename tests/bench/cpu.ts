/**
 * Machine-wide CPU time from /proc/stat, to say what a batch of work cost in CPU (all
 * processes together, so other tenants of a shared machine count too; `steal` shows time
 * the hypervisor gave to someone else).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

export interface CpuTimes {
  busyMs: number;
  stealMs: number;
  totalMs: number;
}

export function cpuTimes(): CpuTimes | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, ...fields] = line.trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
    const busy = [user, nice, system, irq, softirq].reduce<number>((a, b) => a + (b ?? 0), 0);
    const total = busy + (idle ?? 0) + (iowait ?? 0) + (steal ?? 0);
    return { busyMs: busy * TICK_MS, stealMs: (steal ?? 0) * TICK_MS, totalMs: total * TICK_MS };
  } catch {
    return null;
  }
}

/** CPU used between two readings. */
export function cpuSpent(before: CpuTimes | null, after: CpuTimes | null): CpuTimes | null {
  if (!before || !after) return null;
  return {
    busyMs: after.busyMs - before.busyMs,
    stealMs: after.stealMs - before.stealMs,
    totalMs: after.totalMs - before.totalMs,
  };
}

/**
 * CPU time (user + system, including reaped children such as sandboxed tools) of every live
 * process started with REDIS_PREFIX=<prefix> in its environment: the services of one test
 * stack. Redis itself is shared and not counted.
 */
export function stackCpuMs(prefix: string): number | null {
  const needle = Buffer.from(`\0REDIS_PREFIX=${prefix}\0`);
  let total = 0;
  let found = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  for (const pid of entries) {
    try {
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)]);
      if (!environ.includes(needle)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start at field 3.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
      total += ticks * TICK_MS;
      found++;
    } catch {
      // gone, or not ours to read
    }
  }
  return found ? total : null;
}

/**
 * Machine-wide count of connections the kernel dropped because a listening socket's accept
 * queue was full (TcpExt ListenOverflows), or null where unreadable.
 */
export function listenOverflows(): number | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]?.split(' ') ?? [];
      const values = lines[i + 1]?.split(' ') ?? [];
      const at = names.indexOf('ListenOverflows');
      if (names[0] === 'TcpExt:' && at > 0) return Number(values[at]);
    }
  } catch {
    // not Linux, or no procfs
  }
  return null;
}

/** Average CPU use over an interval: this stack's processes and everything else on the machine. */
export class LoadMeter {
  private readonly startedAt = performance.now();
  private readonly machine = cpuTimes();
  private readonly stack: number | null;
  private readonly self = process.cpuUsage();

  constructor(private readonly prefix: string) {
    this.stack = stackCpuMs(prefix);
  }

  /** Cores' worth of CPU used since construction (null where /proc is unreadable). */
  read(): { stackCores: number | null; otherCores: number | null } {
    const wallMs = performance.now() - this.startedAt;
    const machine = cpuSpent(this.machine, cpuTimes());
    const stackNow = stackCpuMs(this.prefix);
    const self = process.cpuUsage(this.self);
    if (!machine || this.stack === null || stackNow === null) {
      return { stackCores: null, otherCores: null };
    }
    const ours = stackNow - this.stack + (self.user + self.system) / 1000;
    return {
      stackCores: ours / wallMs,
      otherCores: Math.max(0, machine.busyMs - ours) / wallMs,
    };
  }
}
