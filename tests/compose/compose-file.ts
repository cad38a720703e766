/**
 * Reading the compose files the way an engine does: YAML with merge keys, override files
 * merged over the base, and ${VAR} interpolation (the forms docker compose and
 * podman-compose share).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type ComposeValue = string | number | boolean | null | ComposeValue[] | ComposeMap;
export interface ComposeMap {
  [key: string]: ComposeValue;
}

export interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  ports?: (string | number)[];
  networks?: string[] | Record<string, unknown>;
  depends_on?: Record<string, { condition?: string }> | string[];
  volumes?: string[];
  tmpfs?: string[] | string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  pids_limit?: number | string;
  mem_limit?: number | string;
  cpus?: number | string;
  restart?: string;
  container_name?: string;
  healthcheck?: { test?: string[] | string };
  deploy?: { replicas?: number | string };
}

export interface ComposeFile {
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

export function readYaml(file: string): unknown {
  return parse(readFileSync(file, 'utf8'), { merge: true });
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Override semantics of the Compose spec for what these files use: maps merge, scalars and sequences are replaced (ports and volumes appended). */
export function mergeCompose(base: unknown, override: unknown, key = ''): unknown {
  if (isMap(base) && isMap(override)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override))
      merged[k] = k in base ? mergeCompose(base[k], v, k) : v;
    return merged;
  }
  if (
    Array.isArray(base) &&
    Array.isArray(override) &&
    ['ports', 'volumes', 'networks'].includes(key)
  ) {
    return [...new Set([...base, ...override])];
  }
  return override;
}

/** Every variable a compose file interpolates, with the form used. */
export function referencedVariables(text: string): Map<string, 'plain' | 'default' | 'required'> {
  const found = new Map<string, 'plain' | 'default' | 'required'>();
  const code = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');
  for (const m of code.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?])[^}]*)?\}/g)) {
    const name = m[1] ?? '';
    found.set(name, m[2] === '-' ? 'default' : m[2] === '?' ? 'required' : 'plain');
  }
  return found;
}

export class InterpolationError extends Error {}

/** Resolves ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?msg}, ${VAR?msg} and $$ in one string. */
export function interpolate(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
    (
      whole,
      name: string | undefined,
      colon: string | undefined,
      op: string | undefined,
      arg: string | undefined,
    ) => {
      if (whole === '$$') return '$';
      const v = vars[name ?? ''];
      const missing = v === undefined || (colon === ':' && v === '');
      if (op === '-') return missing ? (arg ?? '') : (v ?? '');
      if (op === '?') {
        if (missing) throw new InterpolationError(`${name}: ${arg}`);
        return v ?? '';
      }
      return v ?? '';
    },
  );
}

/** Interpolates every string in a parsed compose document. */
export function interpolateAll<T>(value: T, vars: Record<string, string | undefined>): T {
  if (typeof value === 'string') return interpolate(value, vars) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => interpolateAll(v, vars)) as T;
  if (isMap(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateAll(v, vars)]),
    ) as T;
  }
  return value;
}

/** `.env` syntax: KEY=value lines; with `includeCommented`, `#KEY=value` lines count as listed. */
export function readEnvFile(file: string, includeCommented = false): Map<string, string> {
  const vars = new Map<string, string>();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    const m = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] && !includeCommented) continue;
    vars.set(m[2] ?? '', (m[3] ?? '').replace(/^(['"])(.*)\1$/, '$2'));
  }
  return vars;
}

export function serviceNetworks(service: Service): string[] {
  if (!service.networks) return ['default'];
  return Array.isArray(service.networks) ? service.networks : Object.keys(service.networks);
}

export function dependsOn(service: Service): Record<string, { condition?: string }> {
  const deps = service.depends_on;
  if (!deps) return {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, {}]));
  return deps;
}

/** `"8080:4000"`, `"127.0.0.1:8080:4000"`, `4000` → the container port. */
export function containerPort(mapping: string | number): number {
  const text = String(mapping).split('/')[0] ?? '';
  return Number(text.split(':').at(-1));
}
