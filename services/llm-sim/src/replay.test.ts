import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSections, type RecordedCall } from '@hyperdesk/shared';
import { postStream, startSim, streamedText, type RunningSim } from './test-helpers';

function recorded(
  stage: RecordedCall['stage'],
  user: string,
  content: string,
  at: number,
): RecordedCall {
  return {
    at,
    stage,
    provider: 'groq',
    model: 'openai/gpt-oss-120b',
    servedModel: 'openai/gpt-oss-120b',
    servedBy: null,
    messages: [
      { role: 'system', content: 'rules' },
      { role: 'user', content: user },
    ],
    content,
    reasoning: 'thinking it over',
    finishReason: 'stop',
    usage: { promptTokens: 10, completionTokens: 5 },
    rateLimit: { 'x-ratelimit-remaining-requests': '99' },
  };
}

describe('replaying a recorded transcript', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hd-replay-'));
  let sim: RunningSim;
  beforeAll(async () => {
    const notes = formatSections({ Request: 'a notes app', 'Open windows': '- w1 "Old"' });
    const calls = [
      recorded('classify', notes, '{"intent": "new_app"', 1),
      recorded('classify', notes, '{"intent": "new_app", "title": "Notes"}', 3),
      recorded('app_generate', formatSections({ Request: 'a notes app' }), '<!DOCTYPE html>', 2),
    ];
    // Two processes' files: answers are ordered by time across them.
    writeFileSync(
      path.join(dir, 'calls-1.jsonl'),
      `${JSON.stringify(calls[0])}\n${JSON.stringify(calls[1])}\n`,
    );
    writeFileSync(path.join(dir, 'calls-2.jsonl'), `${JSON.stringify(calls[2])}\n`);
    sim = await startSim({ replayDir: dir });
  });
  afterAll(async () => {
    await sim.app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = (stage: string, user: string) =>
    postStream(
      sim.baseURL,
      { messages: [{ role: 'user', content: user }] },
      {
        'x-hyperdesk-stage': stage,
      },
    );

  it('answers the same request with the recorded answers, in order, whatever else the prompt holds', async () => {
    // The open windows differ from the recording (their ids are per run): the request is the same.
    const user = formatSections({ Request: 'a notes app', 'Open windows': '- w9 "Other"' });
    expect(streamedText((await ask('classify', user)).chunks)).toBe('{"intent": "new_app"');
    expect(streamedText((await ask('classify', user)).chunks)).toBe(
      '{"intent": "new_app", "title": "Notes"}',
    );
    expect(streamedText((await ask('app_generate', 'Request: a notes app')).chunks)).toBe(
      '<!DOCTYPE html>',
    );
  });

  it('refuses a request the recording lacks instead of making one up', async () => {
    const result = await ask('classify', 'Request: a calculator');
    expect(result.status).toBe(400);
    const body = (await (
      await fetch(`${sim.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hyperdesk-stage': 'content' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'a notes app' }] }),
      })
    ).json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('not_recorded');
    expect(body.error.message).toMatch(/has no content answer for this request/);
  });

  it('names the line of a recording that is not one', async () => {
    const bad = mkdtempSync(path.join(tmpdir(), 'hd-replay-bad-'));
    writeFileSync(path.join(bad, 'calls-1.jsonl'), '{"stage": "classify"}\n');
    await expect(startSim({ replayDir: bad })).rejects.toThrow(
      /calls-1\.jsonl line 1 is not a recorded call/,
    );
    rmSync(bad, { recursive: true, force: true });
  });
});
