// The build's non-TypeScript files: migrations and the embedded store's worker entry, next to their modules in dist.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const copy = (from, to) => {
  fs.mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
  fs.cpSync(path.join(root, from), path.join(root, to), { recursive: true });
};
copy('src/store/migrations', 'dist/store/migrations');
copy('src/store/pglite-worker-boot.js', 'dist/store/pglite-worker-boot.js');
console.log('build: dist/ is ready');
