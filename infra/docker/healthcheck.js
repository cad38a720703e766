/**
 * Container HEALTHCHECK for the Node services (no curl in the slim image).
 *
 *   node infra/docker/healthcheck.js http://127.0.0.1:4000/health   healthy on HTTP 200
 *   node infra/docker/healthcheck.js redis                          healthy when REDIS_URL answers PING
 *
 * Workers have no HTTP port; what they need to do work is Redis, so that is what they check.
 */
import net from 'node:net';

const target = process.argv[2] ?? '';
const TIMEOUT_MS = 4000;

function fail(reason) {
  console.error(`unhealthy: ${reason}`);
  process.exit(1);
}

async function checkHttp(url) {
  const reply = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (reply.status !== 200) fail(`${url} answered ${reply.status}: ${await reply.text()}`);
}

function checkRedis(raw) {
  const url = new URL(raw);
  const port = Number(url.port || 6379);
  const commands = [];
  if (url.password) {
    const user = decodeURIComponent(url.username || 'default');
    commands.push(['AUTH', user, decodeURIComponent(url.password)]);
  }
  commands.push(['PING']);
  const wire = commands
    .map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`)
    .join('');
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port, timeout: TIMEOUT_MS });
    let answer = '';
    socket.on('connect', () => socket.write(wire));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('+PONG')) {
        socket.end();
        resolve();
      } else if (answer.startsWith('-')) fail(`redis: ${answer.trim()}`);
    });
    socket.on('timeout', () => fail(`redis at ${url.hostname}:${port} did not answer`));
    socket.on('error', (err) => fail(`redis at ${url.hostname}:${port}: ${err.message}`));
  });
}

if (target === 'redis') await checkRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
else if (/^https?:\/\//.test(target)) await checkHttp(target);
else fail(`usage: healthcheck.js <http-url>|redis (got "${target}")`);
