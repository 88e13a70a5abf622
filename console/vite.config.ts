import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Built by `npm install` / `npm ci` (the `prepare` script) into console/dist, served by the server under /console.
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  logLevel: 'warn',
});
