import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRUNCATED_HEADER } from './completions';
import { LOST_RULES_ANSWER } from './context';
import { postStream, startSim, streamedText, type RunningSim } from './test-helpers';

describe('a 4k context window that cuts prompts from the top', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await startSim({ contextTokens: 4096 });
  });
  afterAll(async () => {
    await sim.app.close();
  });

  const system = 'You classify requests. Reply with only a JSON object.';
  const classify = { 'x-hyperdesk-stage': 'classify' };

  it('answers a prompt that fits as usual', async () => {
    const result = await postStream(
      sim.baseURL,
      {
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: 'Request: a notes app' },
        ],
      },
      classify,
    );
    expect(result.headers.get(TRUNCATED_HEADER)).toBeNull();
    expect(streamedText(result.chunks)).toMatch(/"intent"/);
  });

  it('cuts a longer prompt from the top and answers without the rules it lost', async () => {
    const user = `Request: a notes app\n\n## Open windows\n${'- a window\n'.repeat(2000)}`;
    const result = await postStream(
      sim.baseURL,
      {
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: user },
        ],
      },
      classify,
    );
    const dropped = Number(result.headers.get(TRUNCATED_HEADER));
    expect(dropped).toBe(Math.ceil((system.length + user.length - 4096 * 4) / 4));
    expect(streamedText(result.chunks)).toBe(LOST_RULES_ANSWER);
    const logged = (await (
      await fetch(`${sim.baseURL.replace(/\/v1$/, '')}/sim/requests`)
    ).json()) as { truncatedTokens: number }[];
    expect(logged.map((r) => r.truncatedTokens)).toEqual([0, dropped]);
  });
});

describe('a provider whose /models answers without a key', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await startSim({ apiKey: 'sk-right' });
  });
  afterAll(async () => {
    await sim.app.close();
  });

  it('lists its models to anyone but refuses completions without the key', async () => {
    expect((await fetch(`${sim.baseURL}/models`)).status).toBe(200);
    const body = { messages: [{ role: 'user', content: 'hello' }] };
    const refused = await postStream(sim.baseURL, body, { authorization: 'Bearer sk-wrong' });
    expect(refused.status).toBe(401);
    const answered = await postStream(sim.baseURL, body, { authorization: 'Bearer sk-right' });
    expect(answered.status).toBe(200);
    expect(answered.done).toBe(true);
  });
});
