import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type RunningSim } from '@hyperdesk/llm-sim/src/test-helpers';
import { textMatcher, type ResponseStep } from '@hyperdesk/llm-sim/src/scenarios';
import { freePort } from './support/ports';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs `npm run doctor` (its script) with exactly these model settings. */
async function doctor(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/doctor.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, out };
}

/** The table's value for a check, e.g. row(out, 'reasoning'). */
function row(out: string, check: string): string {
  const line = out.split('\n').find((l) => l.slice(2).startsWith(`${check} `));
  return line?.slice(2 + check.length).trim() ?? '';
}

/** A simulator that answers doctor's probe request with `step`. */
function answersProbe(name: string, step: ResponseStep): Promise<RunningSim> {
  return startSim({
    scenarios: [
      {
        name,
        source: 'extra',
        file: 'doctor.test.ts',
        stage: 'app_ask',
        match: textMatcher('Count from 1'),
        steps: [step],
      },
    ],
  });
}

describe('npm run doctor against the simulator over HTTP', () => {
  let sim: RunningSim;
  let thinking: RunningSim;
  let fielded: RunningSim;
  let keyed: RunningSim;
  beforeAll(async () => {
    sim = await startSim({ ttftMs: 50, tokensPerS: 2000 });
    // A model that reasons inline before its answer.
    thinking = await answersProbe('thinks', { fault: 'think' });
    // A model that streams its reasoning in a field of its own (vLLM, Groq, DeepSeek).
    fielded = await answersProbe('reasons in a field', {
      content: '1 2 3',
      reasoning: 'The person wants three numbers.',
      reasoningAs: 'reasoning_content',
    });
    // A provider whose /models answers without the key its completions need.
    keyed = await startSim({ apiKey: 'sk-right' });
  });
  afterAll(async () => {
    await Promise.all([sim, thinking, fielded, keyed].map((s) => s?.app.close()));
  });

  it('prints one table of what it checked and will use', async () => {
    const { code, out } = await doctor({
      LLM_PROVIDER: 'sim',
      LLM_BASE_URL: sim.baseURL,
      LLM_CONTEXT_TOKENS: '8192',
    });
    expect(code, out).toBe(0);
    expect(row(out, 'provider')).toBe('sim');
    expect(row(out, 'model')).toBe('hyperdesk-sim (listed by /models)');
    expect(row(out, 'context window')).toBe('8192 tokens');
    expect(row(out, 'streaming')).toMatch(/^works \(finish reason stop; usage reported\)$/);
    expect(row(out, 'reasoning')).toBe('none seen');
    expect(row(out, 'first content token')).toMatch(/^\d+ ms$/);
    expect(Number(row(out, 'tokens/s'))).toBeGreaterThan(0);
    expect(row(out, 'JSON mode')).toBe('works (response_format json_object, streamed)');
    expect(out).toContain('the provider can run Hyperdesk');
  });

  it('tells inline reasoning apart', async () => {
    const { code, out } = await doctor({ LLM_PROVIDER: 'sim', LLM_BASE_URL: thinking.baseURL });
    expect(code, out).toBe(0);
    expect(row(out, 'reasoning')).toBe('inline (<think> in the content)');
  });

  it('tells reasoning in its own field apart', async () => {
    const { code, out } = await doctor({ LLM_PROVIDER: 'sim', LLM_BASE_URL: fielded.baseURL });
    expect(code, out).toBe(0);
    expect(row(out, 'reasoning')).toBe('separate field (`reasoning_content`)');
  });

  it('finds a bad key that /models does not', async () => {
    const { code, out } = await doctor({
      LLM_PROVIDER: 'openrouter',
      LLM_BASE_URL: keyed.baseURL,
      LLM_MODEL: 'hyperdesk-sim',
      LLM_API_KEY: 'sk-wrong',
    });
    expect(code).toBe(1);
    expect(row(out, 'model')).toBe('hyperdesk-sim (listed by /models)');
    expect(row(out, 'API key')).toMatch(/refused the API key \(HTTP 401/);
    expect(out).not.toMatch(/\n\s+at /);
  });

  it('names the models a server has when the configured one is not among them', async () => {
    const { code, out } = await doctor({
      LLM_PROVIDER: 'openrouter',
      LLM_BASE_URL: keyed.baseURL,
      LLM_MODEL: 'gpt-9',
      LLM_API_KEY: 'sk-right',
    });
    expect(code).toBe(1);
    expect(row(out, 'model')).toBe(
      'gpt-9 is not served here. Set LLM_MODEL to one of: hyperdesk-sim',
    );
  });

  it('says what to do when the server is unreachable or the key is missing', async () => {
    const port = await freePort();
    const down = await doctor({
      LLM_PROVIDER: 'vllm',
      LLM_BASE_URL: `http://127.0.0.1:${port}/v1`,
    });
    expect(down.code).toBe(1);
    expect(row(down.out, 'model')).toMatch(
      /^Cannot reach vllm at http:\/\/127\.0\.0\.1:\d+\/v1: connect ECONNREFUSED .* Start the vLLM server/,
    );
    const keyless = await doctor({ LLM_PROVIDER: 'groq' });
    expect(keyless.code).toBe(2);
    expect(keyless.out.trim()).toBe(
      'doctor: LLM_PROVIDER=groq needs an API key: set GROQ_API_KEY (or LLM_API_KEY).',
    );
  });
});
