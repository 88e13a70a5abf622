#!/usr/bin/env node
// The checkout's entry (`npm start`, `npm run runplane`): the TypeScript sources through tsx's loader, so a checkout
// needs no build step. Without dev dependencies (`npm ci --omit=dev`) it runs the compiled build in dist/ instead.
// The published package's bin is dist/cli/main.js itself.
import fs from 'node:fs';

let register = null;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  // tsx is a dev dependency.
}
if (register) {
  register();
  await import('../src/cli/main.ts');
} else if (fs.existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
  await import('../dist/cli/main.js');
} else {
  console.error('runplane: neither tsx (npm install) nor a build (npm run build) is here; run one of them first');
  process.exit(1);
}
