import type { FastifyInstance } from 'fastify';
import { buildSim, type SimOptions } from './server';

/** A simulator listening on a free local port; close it with `sim.app.close()`. */
export interface RunningSim {
  app: FastifyInstance;
  baseURL: string;
}

export async function startSim(options: SimOptions = {}): Promise<RunningSim> {
  const app = await buildSim({ ttftMs: 0, tokensPerS: 1_000_000, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { app, baseURL: `http://127.0.0.1:${address.port}/v1` };
}

export interface SseResult {
  status: number;
  headers: Headers;
  /** Parsed `data:` payloads, without the final [DONE]. */
  chunks: Array<Record<string, unknown>>;
  done: boolean;
}

/** POSTs a chat completion and reads the whole event stream. */
export async function postStream(
  baseURL: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<SseResult> {
  const response = await fetch(`${baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ stream: true, ...body }),
  });
  const text = await response.text();
  const payloads = text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
  const done = payloads.at(-1) === '[DONE]';
  const chunks = payloads
    .filter((p) => p !== '[DONE]')
    .map((p) => JSON.parse(p) as Record<string, unknown>);
  return { status: response.status, headers: response.headers, chunks, done };
}

/** The content of every chunk, joined. */
export function streamedText(chunks: SseResult['chunks']): string {
  return chunks
    .map((c) => {
      const choice = (c.choices as Array<{ delta?: { content?: string } }>)[0];
      return choice?.delta?.content ?? '';
    })
    .join('');
}

export function userMessage(content: string) {
  return { messages: [{ role: 'user', content }] };
}
