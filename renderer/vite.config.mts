import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

const rendererRoot = fileURLToPath(new URL('.', import.meta.url));

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
  server: { strictPort: false },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    restoreMocks: true,
  },
});
