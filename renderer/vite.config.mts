import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

const rendererRoot = fileURLToPath(new URL('.', import.meta.url));

/**
 * Development against a real served mode: start `losslab serve`, then
 * `LOSSLAB_SERVER=http://127.0.0.1:8642 npx vite --config renderer/vite.config.mts` and open the
 * dev server's address with the same ?token=…. API, images and events go to the real server;
 * there is no stub.
 */
const apiServer = process.env['LOSSLAB_SERVER'];
const proxy = apiServer
  ? {
      '/api': { target: apiServer, changeOrigin: true },
      '/files': { target: apiServer, changeOrigin: true },
      '/events': {
        target: apiServer,
        ws: true,
        changeOrigin: true,
        // The server accepts a socket only from its own origin.
        configure: (server: { on(event: 'proxyReqWs', listener: (request: { setHeader(name: string, value: string): void }) => void): void }) =>
          server.on('proxyReqWs', (request) => request.setHeader('origin', apiServer)),
      },
    }
  : undefined;

export default defineConfig({
  root: rendererRoot,
  // Relative asset URLs: the same build is loaded from a file/app protocol by Electron and from `/` by served mode.
  base: './',
  plugins: [svelte(), svelteTesting()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // Electron's Chromium and Debian's Chromium are both recent; no legacy transforms needed.
    target: 'es2022',
    sourcemap: true,
    // KaTeX alone is ~270 kB; a desktop app loading from disk does not need finer chunking.
    chunkSizeWarningLimit: 800,
  },
  server: { strictPort: false, ...(proxy ? { proxy } : {}) },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    restoreMocks: true,
  },
});
