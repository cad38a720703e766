import { describe, expect, it } from 'vitest';
import { freePort, freePorts } from './ports';

describe('test ports', () => {
  it('never hands one port out twice, even before anything listens on it', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 40; i++) ports.push(await freePort());
    const base = await freePorts(3);
    ports.push(base, base + 1, base + 2);
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port).toBeLessThan(32_768);
  });
});
