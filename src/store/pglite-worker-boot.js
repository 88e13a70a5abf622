// Entry of the embedded store's worker thread. A worker does not inherit the main thread's TypeScript loader, so from
// a checkout it registers tsx before loading the worker module; a compiled build loads its JavaScript directly.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('./pglite-worker.js', import.meta.url);
if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./pglite-worker.ts', import.meta.url).href);
}
