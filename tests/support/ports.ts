import { createServer } from 'node:net';

/**
 * Ports are drawn below the kernel's ephemeral range (32768 and up on Linux): a port found
 * free there can still be taken a moment later as the local end of an outgoing connection
 * (every Redis client opens some), and then the service meant to listen on it cannot.
 *
 * Test files run in parallel forks, and a port found free is only released to whoever binds
 * it later, so two forks probing at random could both be handed one port. Each fork
 * therefore draws from its own slice of the range (by vitest's pool id), and within a fork
 * a cursor walks the slice so no port is handed out twice.
 */
// TEST_PORT_LOW / TEST_PORT_HIGH move the whole range, so two suites can run side by side on
// one machine (two checkouts, say) without drawing from the same slices.
const LOW = Number(process.env.TEST_PORT_LOW ?? 20_000);
const HIGH = Number(process.env.TEST_PORT_HIGH ?? 32_000);
const SLICES = 12;
const SLICE = Math.floor((HIGH - LOW) / SLICES);

const poolId = Number(process.env.VITEST_POOL_ID ?? process.pid);
const sliceStart = LOW + ((Number.isFinite(poolId) ? poolId : 0) % SLICES) * SLICE;
// A random start: a fork that follows another in the same slice avoids ports the last one's
// processes may still be releasing.
let cursor = Math.floor(Math.random() * SLICE);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive ports, never handed out before in this process, that can all be listened on now. */
export async function freePorts(count: number): Promise<number> {
  for (let tried = 0; tried < SLICE; tried += count) {
    if (cursor + count > SLICE) cursor = 0;
    const base = sliceStart + cursor;
    cursor += count;
    let free = true;
    for (let i = 0; i < count && free; i++) free = await canListen(base + i);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports in ${sliceStart}–${sliceStart + SLICE - 1}`);
}

export async function freePort(): Promise<number> {
  return freePorts(1);
}
