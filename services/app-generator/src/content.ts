import {
  ContentStore,
  LlmOutputError,
  extractContent,
  type ChatMessage,
  type Next,
  type RunRecord,
} from '@hyperdesk/shared';
import { contentMessages } from './prompts';
import { streamToRun, type StreamDeps } from './stream';

export interface ContentDeps extends StreamDeps {
  contents: ContentStore;
}

/**
 * GENERATING_CONTENT: raw content (CSV, JSON, Markdown, HTML) stored with its type. The answer
 * is read as its type (prose, fences and reasoning dropped, JSON re-serialised); an empty,
 * cut-off or unreadable answer gets one re-ask naming the problem, and a second one fails the
 * run: content is never stored as if whole when it is not.
 */
export async function generateContent(run: RunRecord, deps: ContentDeps): Promise<Next> {
  const type = run.contentType ?? guessType(run.prompt);
  const messages = contentMessages({ prompt: run.prompt, contentType: type });
  let conversation: ChatMessage[] = messages;
  let problem = '';
  for (const attempt of [0, 1]) {
    const { text, finishReason } = await streamToRun(deps, run.id, {
      stage: 'content',
      messages: conversation,
      target: 'content',
      // The first call may be running again after its worker died mid-stream.
      reset: true,
    });
    const read = extractContent(text, type, finishReason);
    if (read.ok) {
      const id = ContentStore.contentIdForRun(run.id);
      await deps.contents.save({
        id,
        owner: run.owner,
        runId: run.id,
        title: run.title ?? 'Content',
        type,
        body: read.body,
        createdAt: Date.now(),
      });
      return { state: 'DONE', patch: { contentId: id, contentType: type } };
    }
    problem = read.problem;
    if (attempt === 0) {
      conversation = [
        ...messages,
        { role: 'assistant', content: text },
        {
          role: 'user',
          content: `Your previous answer could not be used: ${problem} Reply again with only the complete ${type} content: no explanation, no code fences.`,
        },
      ];
    }
  }
  throw new LlmOutputError(`The model did not produce usable ${type} content: ${problem}`, '');
}

function guessType(prompt: string): string {
  const p = prompt.toLowerCase();
  if (p.includes('csv')) return 'text/csv';
  if (p.includes('json')) return 'application/json';
  if (p.includes('html')) return 'text/html';
  return 'text/markdown';
}
