// Slow artifact uploads hold no database connection: their bytes are staged outside any transaction, so eight
// clients that stop sending mid-upload leave the pool to everyone else (PostgreSQL, a pool of 8 as in production).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { register } from '../support/review-fixtures.ts';
import { useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

const ALL = ['runners:read', 'runners:write', 'runners:dispatch'] as const;

describe.runIf(STORE_KINDS.includes('postgres'))('stalled uploads on PostgreSQL', () => {
  const t = useTestServer('postgres', { poolSize: 8 });

  it('eight stalled uploads leave no backend idle in transaction, and claims and listings are answered', async () => {
    const api = await t.client([...ALL]);
    const profile = (await api.post('/v1/runners/profiles', { name: 'p' })).body.id;
    const sessions = [];
    for (let i = 0; i < 8; i++) {
      sessions.push(
        (await api.post('/v1/runners/sessions', { profile_id: profile, task_id: `t${i}`, input: {} })).body,
      );
    }
    const { hostname, port } = new URL(t.server.url);
    const sockets = sessions.map(
      (session) =>
        new Promise<net.Socket>((resolve) => {
          const socket = net.connect(Number(port), hostname, () => {
            // Announces 10 MiB, sends 300 KiB (more than one staged chunk), then stops.
            socket.write(
              `POST /v1/runners/sessions/${session.id}/artifacts?name=big.bin HTTP/1.1\r\nHost: x\r\n` +
                `Authorization: ${api.authorization}\r\nContent-Type: application/octet-stream\r\n` +
                `Content-Length: ${10 * 1024 * 1024}\r\n\r\n`,
            );
            socket.write(Buffer.alloc(300 * 1024, 1));
            resolve(socket);
          });
          socket.on('error', () => {});
        }),
    );
    const open = await Promise.all(sockets);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const idle = await t.db.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and state = 'idle in transaction'`,
      );
      expect(idle[0]!.n).toBe(0);
      // Everything else still works while the uploads stall.
      await register(api, 'r1');
      const claims = await Promise.all(
        Array.from({ length: 20 }, () => api.get('/api/runners/tasks/pending?runnerId=r1')),
      );
      for (const claim of claims) expect(claim.status).toBe(200);
      expect((await api.get('/v1/runners/sessions')).body.items).toHaveLength(8);
      // Nothing of the stalled uploads is visible as an artifact.
      expect((await api.get(`/v1/runners/sessions/${sessions[0].id}/artifacts`)).body.items).toEqual([]);
    } finally {
      for (const socket of open) socket.destroy();
    }
    // The aborted uploads delete what they staged.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const staged = await t.db.query<{ n: number }>('select count(*)::int as n from artifact_chunks');
    expect(staged[0]!.n).toBe(0);
  });
});
