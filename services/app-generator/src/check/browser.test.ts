import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      noThumbnail,
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
      Object.values(ways).map((body) =>
        checker.check(app(`<h1>Leaving</h1>${body}`), [], noThumbnail),
      ),
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
      checker.check(app(`<h1>Peer</h1><script>${peer}</script>`), [], noThumbnail),
      checker.check(
        app(
          `<h1>Peer</h1><script>const f = document.createElement('iframe'); f.srcdoc = ${child}; document.body.append(f);</script>`,
        ),
        [],
        noThumbnail,
      ),
    ]);
    expect(seen.filter((hit) => hit.startsWith('WEBRTC'))).toEqual([]);
  });
});
