// PGlite takes no lock on its data directory: two processes opening it both "work" and the last to close
// silently discards the other's writes. This lock file (holding the owner's pid) makes a second opener fail loudly.
import fs from 'node:fs';
import path from 'node:path';

export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded store at ${dataDir} is in use by process ${pid} (a running "runplane serve"?). ` +
        'While it runs, manage keys and users through it: add `--server URL` with an admin key in RUNPLANE_API_KEY ' +
        '(e.g. `runplane keys create --server http://127.0.0.1:8080 …`), or use the console (Keys, Users).',
    );
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'runplane.lock');
  for (let tries = 0; tries < 3; tries++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        fs.rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner))
        throw new DataDirBusyError(dataDir, owner);
      // The owner died without cleaning up (kill -9): the lock is stale and safe to take over.
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the lock file ${file}; remove it if no runplane process is running`);
}
