/**
 * `npm run build` (after the desktop's Vite build): bundles each Node service, with
 * @hyperdesk/shared inlined, into one ES module in services/<name>/dist/. Packages from
 * node_modules stay imports (they are installed beside the bundle), so a service runs with
 * plain `node` and no TypeScript loader: less memory and a faster start than tsx.
 */
import { build, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { NODE_SERVICES, builtEntry } from './services';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every bare import is left to node_modules, except the project's own workspace packages. */
const dependenciesStayExternal: Plugin = {
  name: 'dependencies-stay-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@hyperdesk/') ? undefined : { path: args.path, external: true },
    );
  },
};

const started = Date.now();
await Promise.all(
  NODE_SERVICES.map((service) =>
    build({
      absWorkingDir: root,
      entryPoints: [service.source],
      outfile: builtEntry(service.source),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: true,
      logLevel: 'warning',
      plugins: [dependenciesStayExternal],
    }),
  ),
);
console.log(
  `built ${NODE_SERVICES.map((s) => builtEntry(s.source)).join(', ')} in ${Date.now() - started} ms`,
);
