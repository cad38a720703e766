import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '@hyperdesk/shared';
import { DESIGN_SYSTEM_CSS, DESIGN_SYSTEM_FILE } from '@hyperdesk/shared/sdk';

const require = createRequire(import.meta.url);

/** Served name → package and file inside it. A fixed map: no path ever comes from the URL. */
const FILES: Record<string, [pkg: string, file: string]> = {
  'three.module.js': ['three', 'build/three.module.js'],
  'three.core.js': ['three', 'build/three.core.js'],
  'chart.umd.min.js': ['chart.js', 'dist/chart.umd.min.js'],
  'd3.min.js': ['d3', 'dist/d3.min.js'],
};

function packageDir(pkg: string): string {
  let dir = path.dirname(require.resolve(pkg));
  while (path.basename(dir) !== pkg && dir !== path.dirname(dir)) dir = path.dirname(dir);
  return dir;
}

/**
 * Common libraries for apps, and the design system every app links, served from this origin
 * so apps work offline and load at once. Apps have an opaque origin, so responses allow any
 * origin (module scripts need CORS). The design system's name carries a hash of its text, so
 * browsers may keep it for good.
 */
export function vendorRoutes(app: FastifyInstance): void {
  const cache = new Map<string, Buffer>();
  app.get('/vendor/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    if (file === DESIGN_SYSTEM_FILE) {
      return reply
        .header('content-type', 'text/css; charset=utf-8')
        .header('access-control-allow-origin', '*')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(DESIGN_SYSTEM_CSS);
    }
    const entry = FILES[file];
    if (!entry) throw new NotFoundError(`Library file ${file}`);
    let body = cache.get(file);
    if (!body) {
      body = readFileSync(path.join(packageDir(entry[0]), entry[1]));
      cache.set(file, body);
    }
    return reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('access-control-allow-origin', '*')
      .header('cache-control', 'public, max-age=86400')
      .send(body);
  });
}
