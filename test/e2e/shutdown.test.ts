// SIGTERM ends the server within its grace whatever its clients hold: a keep-alive connection, a parked long poll and
// an open event stream. The graceful path exits 0; only the grace timer would exit 1. A kill -9 loses nothing that
// was answered: the audit row of a cancel is committed with the cancel.

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDataDir, runCli, startServeProcess } from '../support/processes.ts';
import { client } from '../support/server.ts';

describe('runplane serve and SIGTERM', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-shutdown-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('exits 0 on SIGTERM while a keep-alive connection, a long poll and an event stream are open', async () => {
    const env = { RUNPLANE_DATA_DIR: freshDataDir(dataDir), RUNPLANE_SHUTDOWN_GRACE_SECONDS: '8' };
    const created = await runCli(
      ['keys', 'create', '--org', 'acme', '--scopes', 'runners:read,runners:write,runners:dispatch'],
      env,
    );
    const key = created.stdout.trim().split('\n').at(-1)!;
    const server = await startServeProcess(env);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const api = client(server.url, key);
      await api.post('/api/runners/register', undefined, { 'x-runner-id': 'r1' });
      const profile = (await api.post('/v1/runners/profiles', { name: 'p' })).body.id;
      const session = (await api.post('/v1/runners/sessions', { profile_id: profile, task_id: 't', input: {} })).body;
      // A keep-alive connection left idle after one request.
      await new Promise<void>((resolve, reject) => {
        http
          .get(`${server.url}/healthz`, { agent }, (response) => {
            response.resume();
            response.on('end', () => resolve());
          })
          .on('error', reject);
      });
      const headers = { authorization: `Bearer ${key}` };
      const longPoll = fetch(`${server.url}/api/runners/tasks/pending?runnerId=r1&wait=60`, { headers });
      const stream = await fetch(`${server.url}/v1/runners/sessions/${session.id}/events/stream`, { headers });
      expect(stream.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));

      const code = await server.stop();
      expect(code).toBe(0);
      // The parked long poll was answered (empty), not cut off.
      const polled = await longPoll;
      expect(polled.status).toBe(200);
      expect((await polled.json()).data).toEqual([]);
      await stream.body?.cancel().catch(() => {});
    } finally {
      agent.destroy();
      await server.kill9();
    }
  }, 120_000);

  it('a kill -9 right after a cancel was answered leaves the cancel and its audit row', async () => {
    const crashDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-crash-'));
    const env = { RUNPLANE_DATA_DIR: freshDataDir(crashDir) };
    try {
      const created = await runCli(['keys', 'create', '--org', 'acme', '--scopes', 'admin'], env);
      const key = created.stdout.trim().split('\n').at(-1)!;
      let server = await startServeProcess(env);
      const api = client(server.url, key);
      const profile = (await api.post('/v1/runners/profiles', { name: 'p' })).body.id;
      const session = (await api.post('/v1/runners/sessions', { profile_id: profile, task_id: 't', input: {} })).body;
      const cancelled = await api.post(`/v1/runners/sessions/${session.id}/cancel`, undefined, {
        'x-request-id': 'cancel-then-crash',
      });
      await server.kill9();
      expect(cancelled.body.state).toBe('cancelled');

      server = await startServeProcess(env);
      try {
        const after = client(server.url, key);
        expect((await after.get(`/v1/runners/sessions/${session.id}`)).body.state).toBe('cancelled');
        const audit = (await after.get(`/v1/audit?target=${session.id}`)).body.items;
        expect(audit).toContainEqual(
          expect.objectContaining({ action: 'POST /v1/runners/sessions/:id/cancel', request_id: 'cancel-then-crash' }),
        );
      } finally {
        await server.kill9();
      }
    } finally {
      fs.rmSync(crashDir, { recursive: true, force: true });
    }
  }, 120_000);
});
