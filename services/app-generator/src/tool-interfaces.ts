import { ToolInterface, type RunRecord, type ToolStore } from '@hyperdesk/shared';
import { z } from 'zod';

/**
 * The interfaces of the tools the app may call: those the planner fixed for this run, plus
 * the interfaces of the versions the run's owner runs of the tools the run names and the app
 * already uses.
 */
export async function toolInterfaces(
  run: RunRecord,
  tools: ToolStore,
  appTools: string[] = [],
): Promise<ToolInterface[]> {
  const planned = run.interfaces ? z.array(ToolInterface).parse(JSON.parse(run.interfaces)) : [];
  const named = z
    .array(z.string())
    .catch([])
    .parse(JSON.parse(run.tools ?? '[]'));
  const missing = [...new Set([...named, ...appTools])].filter(
    (name) => !planned.some((t) => t.name === name),
  );
  const found = await Promise.all(missing.map((name) => tools.forUser(name, run.owner)));
  return [...planned, ...found.filter((t): t is NonNullable<typeof t> => t !== null)];
}
