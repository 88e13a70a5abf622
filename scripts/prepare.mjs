// `npm install` / `npm ci` in a checkout build the console. Without dev dependencies (`--omit=dev`) there is no
// Vite: say so instead of failing the install (the package from `npm pack` ships the console already built).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
if (!fs.existsSync(path.join(root, 'node_modules', 'vite'))) {
  console.warn('runplane: dev dependencies are not installed, so the console is not built (npm install builds it)');
  process.exit(0);
}
execFileSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'console/vite.config.ts'], {
  cwd: root,
  stdio: 'inherit',
});
