/**
 * Vite config of the labeling web app (Preact). Build from the repository root:
 *   npx vite build --config web/vite.config.ts      → web/dist (served by `rlhf serve`)
 *   npx vite --config web/vite.config.ts            → dev server on :5173, /api proxied to RLHF_API (default http://127.0.0.1:8787)
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [preact()],
  // the dashboard imports the report's Vega-Lite spec builders from ../src/report
  server: {
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
    proxy: { '/api': { target: process.env.RLHF_API ?? 'http://127.0.0.1:8787', changeOrigin: false } },
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // vega is large: it lives in the dashboard's own chunk, loaded only by admins
    chunkSizeWarningLimit: 1500,
  },
});
