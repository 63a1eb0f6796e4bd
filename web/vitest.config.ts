/**
 * Unit tests of the web app (components in happy-dom): npx vitest run --config web/vitest.config.ts
 * (kept apart from the Node suite: JSX through the Preact preset, a DOM environment).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import preact from '@preact/preset-vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [preact()],
  test: {
    include: ['test/**/*.test.{ts,tsx}', 'playground/**/*.test.{ts,tsx}'],
    environment: 'happy-dom',
  },
});
