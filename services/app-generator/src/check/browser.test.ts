import { afterAll, describe, expect, it } from 'vitest';
import { BrowserChecker } from './browser';

const app = (body: string) =>
  `<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`;
const noThumbnail = async () => undefined;

describe('the app check in Chromium', () => {
  const options = {
    chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    gatewayUrl: 'http://127.0.0.1:9',
    settleMs: 100,
    concurrency: 2,
  };
  const checker = new BrowserChecker(options);
  // A shorter load limit, still far above a small app's load on a busy machine.
  const impatient = new BrowserChecker({ ...options, loadTimeoutMs: 8000 });
  afterAll(() => Promise.all([checker.close(), impatient.close()]));

  it('renders a burst of apps two at a time, and checks every one', async () => {
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, checker.inProgress)), 5);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => checker.check(app(`<h1>App ${i}</h1>`), [], noThumbnail)),
    );
    clearInterval(watch);
    expect(results.map((r) => r.errors)).toEqual(Array.from({ length: 6 }, () => []));
    expect(most).toBe(2);
    expect(checker.inProgress).toBe(0);
    expect(checker.queued).toBe(0);
  });

  it('reports an app that never finishes loading, then checks the next app as usual', async () => {
    const hung = await impatient.check(
      app('<h1>Stuck</h1><script>for (;;) {}</script>'),
      [],
      noThumbnail,
    );
    expect(hung.errors[0]).toMatch(/did not finish loading within 8 s/);
    const next = await impatient.check(app('<h1>Fine</h1>'), [], noThumbnail);
    expect(next.errors).toEqual([]);
    const thrown = await impatient.check(
      app('<h1>Throws</h1><script>null.x</script>'),
      [],
      noThumbnail,
    );
    expect(thrown.errors.join(' ')).toMatch(/Uncaught/);
  });
});
