import { ContentStore, stripThink, type Next, type RunRecord } from '@hyperdesk/shared';
import { contentMessages } from './prompts';
import { streamToRun, type StreamDeps } from './stream';

export interface ContentDeps extends StreamDeps {
  contents: ContentStore;
}

/** GENERATING_CONTENT: raw content (CSV, JSON, Markdown, HTML) stored with its type. */
export async function generateContent(run: RunRecord, deps: ContentDeps): Promise<Next> {
  const type = run.contentType ?? guessType(run.prompt);
  const { text } = await streamToRun(deps, run.id, {
    stage: 'content',
    messages: contentMessages({ prompt: run.prompt, contentType: type }),
    target: 'content',
    // The job may be running again after its worker died mid-stream.
    reset: true,
  });
  const id = ContentStore.contentIdForRun(run.id);
  await deps.contents.save({
    id,
    owner: run.owner,
    runId: run.id,
    title: run.title ?? 'Content',
    type,
    body: unfence(stripThink(text)),
    createdAt: Date.now(),
  });
  return { state: 'DONE', patch: { contentId: id, contentType: type } };
}

function guessType(prompt: string): string {
  const p = prompt.toLowerCase();
  if (p.includes('csv')) return 'text/csv';
  if (p.includes('json')) return 'application/json';
  if (p.includes('html')) return 'text/html';
  return 'text/markdown';
}

/** Removes one pair of Markdown fences around the whole answer, if the model added them. */
export function unfence(text: string): string {
  const match = /^\s*```[\w-]*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return match?.[1] ?? text.trim();
}
