import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { RecordedCall, readSection, type LlmStage } from '@hyperdesk/shared';
import type { ResponseStep, Scenario } from './scenarios';

/**
 * Replays a recorded transcript (`npm run eval -- --record <dir>`): every recorded call
 * becomes the answer to the same request again. A request is known by its stage and its
 * identifying input, the `Request` section (or the `Tool` interface for the tool stages, or
 * the whole first user message); its answers are served in the order they were recorded, so
 * re-asks and repairs get the answers they got then.
 */

/** What identifies a request across runs: ids and timings elsewhere in the prompt may differ. */
export function requestKey(firstUser: string): string {
  return (readSection(firstUser, ['Request', 'Tool']) ?? firstUser).trim();
}

async function readCalls(dir: string): Promise<{ file: string; call: RecordedCall }[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (err) {
    throw new Error(
      `Cannot read the recording ${dir}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (names.length === 0) throw new Error(`The recording ${dir} holds no calls-*.jsonl files.`);
  const calls: { file: string; call: RecordedCall }[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        throw new Error(`${file} line ${i + 1} is not valid JSON.`);
      }
      const parsed = RecordedCall.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(
          `${file} line ${i + 1} is not a recorded call: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
        );
      }
      calls.push({ file, call: parsed.data });
    });
  }
  return calls.sort((a, b) => a.call.at - b.call.at);
}

/** The recording as scenarios: one per (stage, request), its answers in recorded order. */
export async function loadReplay(dir: string): Promise<Scenario[]> {
  const groups = new Map<
    string,
    { stage: LlmStage; key: string; file: string; steps: ResponseStep[] }
  >();
  for (const { file, call } of await readCalls(path.resolve(dir))) {
    const first = call.messages.find((m) => m.role === 'user')?.content ?? '';
    const key = requestKey(first);
    const id = `${call.stage}\n${key}`;
    const group = groups.get(id) ?? { stage: call.stage, key, file, steps: [] };
    group.steps.push({
      content: call.content,
      finishReason: call.finishReason === 'length' ? 'length' : 'stop',
    });
    groups.set(id, group);
  }
  return [...groups.values()].map((group, i) => ({
    name: `replay#${i + 1} ${group.stage}: ${group.key.split('\n')[0]?.slice(0, 60) ?? ''}`,
    source: 'extra' as const,
    file: group.file,
    stage: group.stage,
    match: (text: string) => requestKey(text) === group.key,
    steps: group.steps,
  }));
}
