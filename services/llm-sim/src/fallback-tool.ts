import { extractJson, readSection, type ToolInterface } from '@hyperdesk/shared';

/** The tool the fallback planner designs for requests that need the host. */
export const SYSTEM_STATS_TOOL: ToolInterface = {
  name: 'system_stats',
  description: 'CPU count, usage and load, memory, disk usage and uptime of the host',
  args: {
    type: 'object',
    properties: {
      path: {
        type: 'string',
        description: 'Filesystem path to report disk usage for',
        default: '/',
      },
    },
    additionalProperties: false,
  },
  returns: {
    type: 'object',
    properties: {
      platform: { type: 'string' },
      cpuCount: { type: 'integer' },
      loadAverage: { type: 'array', items: { type: 'number' } },
      cpuPercent: { type: ['number', 'null'], minimum: 0, maximum: 100 },
      memoryTotalMb: { type: ['number', 'null'] },
      memoryAvailableMb: { type: ['number', 'null'] },
      diskTotalGb: { type: ['number', 'null'] },
      diskFreeGb: { type: ['number', 'null'] },
      uptimeS: { type: ['number', 'null'] },
    },
    required: ['platform', 'cpuCount', 'loadAverage'],
  },
  examples: [{ args: {} }, { args: { path: '/' } }],
};

const SYSTEM_STATS_CODE = `"""system_stats: CPU count, usage and load, memory, disk usage and uptime of the host."""
import json
import os
import platform
import shutil
import sys
import time


def cpu_times():
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values), idle


def cpu_percent():
    """Busy share of all CPUs over a fifth of a second."""
    try:
        total1, idle1 = cpu_times()
        time.sleep(0.2)
        total2, idle2 = cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    elapsed = total2 - total1
    if elapsed <= 0:
        return None
    busy = 100 * (1 - (idle2 - idle1) / elapsed)
    return round(min(100.0, max(0.0, busy)), 1)


def read_meminfo():
    values = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                key, _, rest = line.partition(":")
                values[key] = int(rest.split()[0]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return values.get("MemTotal"), values.get("MemAvailable")


def read_uptime():
    try:
        with open("/proc/uptime") as f:
            return round(float(f.read().split()[0]), 1)
    except (OSError, ValueError, IndexError):
        return None


def disk(path):
    try:
        usage = shutil.disk_usage(path)
        return round(usage.total / 1e9, 2), round(usage.free / 1e9, 2)
    except OSError:
        return None, None


def main():
    raw = sys.stdin.read().strip()
    args = json.loads(raw) if raw else {}
    path = args.get("path") or "/"
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    mem_total, mem_available = read_meminfo()
    disk_total, disk_free = disk(path)
    print(json.dumps({
        "platform": platform.system(),
        "cpuCount": os.cpu_count() or 1,
        "loadAverage": load,
        "cpuPercent": cpu_percent(),
        "memoryTotalMb": round(mem_total, 1) if mem_total else None,
        "memoryAvailableMb": round(mem_available, 1) if mem_available else None,
        "diskTotalGb": disk_total,
        "diskFreeGb": disk_free,
        "uptimeS": read_uptime(),
    }))


if __name__ == "__main__":
    main()
`;

/** The first example result in the tool interface given in the prompt, if there is one. */
function exampleResult(user: string): { found: boolean; value?: unknown } {
  const section = readSection(user, ['Tool', 'Interface', 'Tool interface']);
  const parsed = extractJson(section ?? user);
  if (!parsed.ok || parsed.value === null || typeof parsed.value !== 'object')
    return { found: false };
  const examples = (parsed.value as { examples?: unknown }).examples;
  if (!Array.isArray(examples)) return { found: false };
  const withResult = examples.find(
    (e): e is { result: unknown } => e !== null && typeof e === 'object' && 'result' in e,
  );
  return withResult ? { found: true, value: withResult.result } : { found: false };
}

function genericTool(user: string): string {
  const example = exampleResult(user);
  const answer = example.found
    ? `json.loads(${JSON.stringify(JSON.stringify(example.value))})`
    : '{"ok": True, "args": args}';
  return `import json
import sys


def main():
    raw = sys.stdin.read().strip()
    args = json.loads(raw) if raw else {}
    result = ${answer}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
`;
}

/** A complete Python tool for tool_write / tool_repair. */
export function fallbackTool(user: string): string {
  return user.includes(SYSTEM_STATS_TOOL.name) ? SYSTEM_STATS_CODE : genericTool(user);
}
