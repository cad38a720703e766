/**
 * The Node services' entry points, from source (run with tsx) and built (one bundle each,
 * `npm run build`). The bundle sits in the service's `dist/` beside its `src/`, so paths a
 * service finds from its own file (web/dist, the simulator's scenarios) stay the same.
 */
export const NODE_SERVICES = [
  { name: 'gateway', source: 'services/gateway/src/server.ts' },
  { name: 'planner', source: 'services/planner/src/main.ts' },
  { name: 'tool-manager', source: 'services/tool-manager/src/main.ts' },
  { name: 'app-generator', source: 'services/app-generator/src/main.ts' },
  { name: 'llm-sim', source: 'services/llm-sim/src/main.ts' },
] as const;

export type NodeServiceName = (typeof NODE_SERVICES)[number]['name'];

/** `services/x/src/main.ts` → `services/x/dist/main.js`. */
export function builtEntry(source: string): string {
  return source.replace('/src/', '/dist/').replace(/\.ts$/, '.js');
}

export function sourceEntry(name: NodeServiceName): string {
  const found = NODE_SERVICES.find((s) => s.name === name);
  if (!found) throw new Error(`no Node service called ${name}`);
  return found.source;
}
