import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { openEmbedded } from '../src/store/embedded.ts';
import { migrate } from '../src/store/migrate.ts';
import { startServeProcess } from '../test/support/processes.ts';
import { createApiKey } from '../src/core/auth.ts';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-prof-'));
const db = await openEmbedded({ dataDir });
await migrate(db);
const { key, record } = await createApiKey(db, { orgSlug: 'p', scopes: ['runners:read', 'runners:write'] });
await db.query(`insert into items (id, org_id, profile_id, state, required_tags, input, max_attempts, lease_ttl_ms)
  select gen_random_uuid()::text, $1, 'ai-review', 'pending', '{}', '{"files":[]}'::jsonb, 3, 600000 from generate_series(1, 5000)`, [record.orgId]);
await db.query(`insert into runners (org_id, id, name, version, max_concurrency, tags, status) select $1, 'w-' || w, 'b', 'b', 1000000, '{}', 'online' from generate_series(0, 31) w`, [record.orgId]);
await db.close();
const server = await startServeProcess({ RUNPLANE_DATA_DIR: dataDir, RUNPLANE_LOG_LEVEL: 'warn', NODE_OPTIONS: '--require /tmp/startprof.cjs' });
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const { port } = new URL(server.url);
const call = (method: string, p: string, body?: unknown, headers: Record<string,string> = {}) => new Promise<any>((resolve, reject) => {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const r = http.request({ agent, hostname: '127.0.0.1', port, method, path: p, headers: { authorization: `Bearer ${key}`, ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => { let t=''; res.on('data', (c) => t += c); res.on('end', () => resolve(JSON.parse(t))); });
  r.on('error', reject); r.end(payload);
});
const logs = Array.from({ length: 50 }, (_v, n) => `line ${n} of the review log, with some text`);
const deadline = Date.now() + 8000;
let done = 0;
await Promise.all(Array.from({ length: 32 }, async (_v, w) => {
  while (Date.now() < deadline) {
    const c = await call('GET', `/api/runners/tasks/pending?runnerId=w-${w}&limit=1`);
    const t = c.data[0];
    const f = { 'x-runner-id': `w-${w}`, 'x-runplane-attempt': String(t.attempt) };
    for (const s of ['preparing', 'cloning', 'reviewing', 'submitting']) await call('POST', `/api/runners/tasks/${t.id}/status`, { status: s }, f);
    await call('POST', `/api/runners/tasks/${t.id}/logs`, { logs }, f);
    await call('POST', `/api/runners/tasks/${t.id}/result`, { status: 'success', files: [], totalComments: 0, metrics: { durationMs: 1 }, runnerId: `w-${w}`, attempt: t.attempt });
    done++;
  }
}));
console.log('lifecycles/s', done / 8);
await server.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
