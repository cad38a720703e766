import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/** The gateway serves the API, the WebSocket and (in production) this build on one origin. */
const gateway = 'http://127.0.0.1:4000';

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': gateway,
      '/health': gateway,
      '/ws': { target: gateway, ws: true },
    },
  },
});
