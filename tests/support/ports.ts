import { createServer } from 'node:net';

/**
 * Ports are drawn below the kernel's ephemeral range (32768 and up on Linux): a port found
 * free there can still be taken a moment later as the local end of an outgoing connection
 * (every Redis client opens some), and then the service meant to listen on it cannot.
 */
const LOW = 20_000;
const HIGH = 32_000;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive ports that can all be listened on now. */
export async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = LOW + Math.floor(Math.random() * (HIGH - LOW - count));
    let free = true;
    for (let i = 0; i < count && free; i++) free = await canListen(base + i);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports between ${LOW} and ${HIGH}`);
}

export async function freePort(): Promise<number> {
  return freePorts(1);
}
