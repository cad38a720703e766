import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolInterface } from '@hyperdesk/shared';
import { BrowserChecker } from './browser';

const app = (body: string) =>
  `<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`;

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
      Array.from({ length: 6 }, (_, i) => checker.check(app(`<h1>App ${i}</h1>`), [])),
    );
    clearInterval(watch);
    expect(results.map((r) => r.errors)).toEqual(Array.from({ length: 6 }, () => []));
    expect(most).toBe(2);
    expect(checker.inProgress).toBe(0);
    expect(checker.queued).toBe(0);
  });

  it('reports an app that never finishes loading, then checks the next app as usual', async () => {
    const hung = await impatient.check(app('<h1>Stuck</h1><script>for (;;) {}</script>'), []);
    expect(hung.errors[0]).toMatch(/did not finish loading within 8 s/);
    const next = await impatient.check(app('<h1>Fine</h1>'), []);
    expect(next.errors).toEqual([]);
    const thrown = await impatient.check(app('<h1>Throws</h1><script>null.x</script>'), []);
    expect(thrown.errors.join(' ')).toMatch(/Uncaught/);
  });
});

/** A gallery app the simulator answers with. */
const sample = (file: string) =>
  readFileSync(new URL(`../../../llm-sim/samples/${file}`, import.meta.url), 'utf8');

/** Width and height from a JPEG's start-of-frame segment. */
function jpegSize(jpeg: Buffer): { width: number; height: number } | null {
  for (let at = 2; at + 9 < jpeg.length && jpeg[at] === 0xff;) {
    const marker = jpeg[at + 1] ?? 0;
    if (marker >= 0xc0 && marker <= 0xc3) {
      return { height: jpeg.readUInt16BE(at + 5), width: jpeg.readUInt16BE(at + 7) };
    }
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return null;
}

describe('apps that keep running: the check waits for their start, not for a fixed time', () => {
  // A wait far beyond the test's own limit: a check returns only because the app started.
  const patient = new BrowserChecker({
    chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    gatewayUrl: 'http://127.0.0.1:9',
    settleMs: 10 * 60_000,
    concurrency: 2,
  });
  afterAll(() => patient.close());
  const stats: ToolInterface = {
    name: 'stats',
    description: 'Numbers',
    args: { type: 'object', properties: {} },
    returns: { type: 'object', properties: { total: { type: 'number' } } },
    examples: [{ args: {}, result: { total: 3 } }],
  };

  it('checks an interval, an animation loop, a timer game loop and the gallery pomodoro and snake', async () => {
    const results = await Promise.all([
      patient.check(
        app(
          `<p id="n">0</p><script>let n = 0; setInterval(() => { document.getElementById('n').textContent = ++n; }, 250);</script>`,
        ),
        [],
      ),
      patient.check(
        app(
          `<canvas id="c" width="100" height="100"></canvas><script>const g = document.getElementById('c').getContext('2d'); let x = 0; (function frame() { g.fillRect(x++ % 100, 10, 5, 5); requestAnimationFrame(frame); })();</script>`,
        ),
        [],
      ),
      patient.check(
        app(
          `<p id="s">0</p><script>let s = 0; (function step() { document.getElementById('s').textContent = ++s; setTimeout(step, 120); })();</script>`,
        ),
        [],
      ),
      patient.check(sample('pomodoro.html'), []),
      patient.check(sample('snake.html'), []),
    ]);
    expect(results.map((r) => r.errors)).toEqual([[], [], [], [], []]);
  });

  it('reports errors thrown by a timer, a later animation frame, an interval tick and the answer to a tool call', async () => {
    const [timer, frame, tick, answer] = await Promise.all([
      patient.check(app(`<h1>Late</h1><script>setTimeout(() => null.late, 200);</script>`), []),
      patient.check(
        app(
          `<h1>Frames</h1><script>requestAnimationFrame(() => requestAnimationFrame(() => null.second));</script>`,
        ),
        [],
      ),
      patient.check(
        app(
          `<h1>Tick</h1><script>setInterval(() => { throw new Error('tick failed'); }, 150);</script>`,
        ),
        [],
      ),
      patient.check(
        app(
          `<h1>Stats</h1><script>hyperdesk.tool('stats', {}).then((r) => setTimeout(() => r.items.map(String), 100));</script>`,
        ),
        [stats],
      ),
    ]);
    expect(timer?.errors.join(' ')).toMatch(/Uncaught.*late/);
    expect(frame?.errors.join(' ')).toMatch(/Uncaught.*second/);
    expect(tick?.errors.join(' ')).toMatch(/Uncaught.*tick failed/);
    expect(answer?.errors.join(' ')).toMatch(/Uncaught.*map/);
  });

  it('takes a half-size thumbnail from the render, after the verdict', async () => {
    const result = await patient.check(
      app('<h1 style="font-size:80px">Thumb</h1><script>setInterval(() => {}, 100);</script>'),
      [],
    );
    expect(result.errors).toEqual([]);
    const jpeg = await result.thumbnail;
    expect(jpeg && jpegSize(jpeg)).toEqual({ width: 400, height: 280 });
  });
});

describe('the check browser reaches nothing but the app and the vendored libraries', () => {
  // Stands in for the gateway (its /vendor/ libraries) and for anything else on loopback.
  const seen: string[] = [];
  const gateway = createServer((req, res) => {
    seen.push(`HTTP ${req.url}`);
    if (req.url === '/vendor/probe.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end("document.body.insertAdjacentHTML('beforeend', '<p id=vendor>library loaded</p>');");
    } else res.end('reached');
  });
  const turnTcp = createTcpServer((socket) => {
    seen.push('WEBRTC TCP');
    socket.destroy();
  });
  const turnUdp = createSocket('udp4').on('message', () => seen.push('WEBRTC UDP'));
  let checker: BrowserChecker;
  let url = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => turnTcp.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => turnUdp.bind(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    // Long enough for ICE gathering to loopback to finish, had it started.
    checker = new BrowserChecker({
      chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      gatewayUrl: url,
      settleMs: 2000,
      concurrency: 2,
    });
  });
  afterAll(async () => {
    await checker.close();
    gateway.close();
    turnTcp.close();
    turnUdp.close();
  });

  it('loads the vendored libraries through the gateway', async () => {
    const result = await checker.check(
      app('<h1>Chart</h1><script src="/vendor/probe.js"></script>'),
      [],
    );
    expect(result.errors).toEqual([]);
    expect(seen).toContain('HTTP /vendor/probe.js');
  });

  it('reports an app that navigates its window as a finding, and nothing is requested', async () => {
    const ways = {
      location: `<script>location.href = '${url}/api/leak?via=location';</script>`,
      refresh: `<meta http-equiv="refresh" content="0;url=${url}/api/leak?via=refresh">`,
      link: `<a id="a" href="${url}/api/leak?via=link">x</a><script>document.getElementById('a').click();</script>`,
    };
    const results = await Promise.all(
      Object.values(ways).map((body) => checker.check(app(`<h1>Leaving</h1>${body}`), [])),
    );
    for (const result of results) {
      expect(result.errors.join(' | ')).toMatch(/navigates its window away/);
    }
    expect(seen.filter((hit) => hit.includes('/api/leak'))).toEqual([]);
  });

  it('gives the app no WebRTC, in its document or in a frame it makes', async () => {
    const peer = `const pc = new RTCPeerConnection({ iceServers: [
      { urls: 'turn:127.0.0.1:${(turnTcp.address() as AddressInfo).port}?transport=tcp', username: 'secret', credential: 'x' },
      { urls: 'stun:127.0.0.1:${turnUdp.address().port}' } ] });
      pc.createDataChannel('d'); pc.createOffer().then((o) => pc.setLocalDescription(o));`;
    const child = JSON.stringify(`<script>${peer}</script>`).replaceAll('<', '\\u003c');
    await Promise.all([
      checker.check(app(`<h1>Peer</h1><script>${peer}</script>`), []),
      checker.check(
        app(
          `<h1>Peer</h1><script>const f = document.createElement('iframe'); f.srcdoc = ${child}; document.body.append(f);</script>`,
        ),
        [],
      ),
    ]);
    expect(seen.filter((hit) => hit.startsWith('WEBRTC'))).toEqual([]);
  });
});
