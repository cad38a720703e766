import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/ports';
import { redisUrl } from './support/redis';

const root = fileURLToPath(new URL('..', import.meta.url));

function launch(env: Record<string, string>, demo = false) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/start.ts', ...(demo ? ['--demo'] : [])],
    { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 },
  );
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('npm start says what is missing in one line', () => {
  it('when Redis cannot be reached', async () => {
    const port = await freePort();
    const { code, output } = launch({ REDIS_URL: `redis://127.0.0.1:${port}` }, true);
    expect(code).toBe(1);
    expect(output).toMatch(
      /Redis is not reachable at redis:\/\/127\.0\.0\.1:\d+\. Start it .*or set REDIS_URL/,
    );
    expect(output.trim().split('\n')).toHaveLength(1);
  });

  it('when the model cannot be reached', async () => {
    const port = await freePort();
    const { code, output } = launch({
      REDIS_URL: await redisUrl(),
      LLM_PROVIDER: 'ollama',
      LLM_BASE_URL: `http://127.0.0.1:${port}/v1`,
      LLM_TIMEOUT_MS: '2000',
    });
    expect(code).toBe(1);
    expect(output).toMatch(
      /The model is not reachable \(provider ollama at http:\/\/127\.0\.0\.1:\d+\/v1\)/,
    );
    expect(output).toMatch(/npm run demo/);
  });
});
