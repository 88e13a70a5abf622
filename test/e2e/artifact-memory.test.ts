// A 50 MiB artifact through a real server process on each store: the server streams it (its RSS grows by less than
// 64 MiB while it takes the upload) and the bytes downloaded are the bytes uploaded.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freshDataDir, runCli, type ServerProcess, startServeProcess } from '../support/processes.ts';
import { client } from '../support/server.ts';
import { clonePgDatabase } from '../support/stores.ts';

const SIZE = 50 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** Pseudo-random bytes, generated as they are sent, never held whole. */
function generated(hash: ReturnType<typeof createHash>): Readable {
  let sent = 0;
  let state = 0x12345678;
  return new Readable({
    read() {
      if (sent >= SIZE) return this.push(null);
      const chunk = Buffer.allocUnsafe(CHUNK);
      for (let i = 0; i < CHUNK; i += 4) {
        state = (state * 1664525 + 1013904223) >>> 0;
        chunk.writeUInt32LE(state, i);
      }
      hash.update(chunk);
      sent += CHUNK;
      this.push(chunk);
    },
  });
}

function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

function upload(url: string, key: string, body: Readable): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-tar' },
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode!, body: text }));
    });
    request.on('error', reject);
    pipeline(body, request).catch(reject);
  });
}

const stores = inject('pgTemplateUrl') ? (['embedded', 'postgres'] as const) : (['embedded'] as const);

describe.skipIf(process.platform !== 'linux').each(stores)('a 50 MiB artifact on the %s store', (kind) => {
  let server: ServerProcess | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-artifacts-'));
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('is streamed: server RSS grows by less than 64 MiB, and the download matches the sha256', async () => {
    const env: Record<string, string> =
      kind === 'postgres' ? { DATABASE_URL: await clonePgDatabase() } : { RUNPLANE_DATA_DIR: freshDataDir(dataDir) };
    const created = await runCli(['keys', 'create', '--org', 'acme', '--scopes', 'admin'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim().split('\n').at(-1)!;
    // RSS counts garbage too. Node 22+ sizes the heap from the machine's memory, so on a large machine the chunks
    // already written (and, on PostgreSQL, their hex-encoded copies) wait long for a collection and look like growth
    // they are not (+65 MiB on Node 24 with 24 GiB, +16 MiB with these limits). Limits like Node 20's defaults make
    // RSS show what is held; a buffered 50 MiB body would still show.
    const heapLimits = [process.env.NODE_OPTIONS, '--max-semi-space-size=16 --max-old-space-size=256']
      .filter(Boolean)
      .join(' ');
    server = await startServeProcess({ ...env, NODE_OPTIONS: heapLimits });
    const api = client(server.url, key);
    const profile = (await api.post('/v1/runners/profiles', { name: 'p' })).body;
    const session = (await api.post('/v1/runners/sessions', { profile_id: profile.id, task_id: 't', input: {} })).body;

    const pid = server.child.pid!;
    // Let start-up settle, then sample RSS throughout the upload. Settled means a second without growth: on Node 24
    // the embedded store's WebAssembly keeps being compiled (optimising tier) for seconds after start, and that
    // memory is not the upload's.
    let baseline = rssBytes(pid);
    for (let still = 0, waited = 0; still < 4 && waited < 30_000; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const now = rssBytes(pid);
      still = now - baseline < 2 * 1024 * 1024 ? still + 1 : 0;
      baseline = Math.max(baseline, now);
    }
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes(pid));
    }, 25);
    const hash = createHash('sha256');
    let reply: { status: number; body: string };
    try {
      reply = await upload(
        `${server.url}/v1/runners/sessions/${session.id}/artifacts?name=bundle.tar`,
        key,
        generated(hash),
      );
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, rssBytes(pid));
    expect(reply.status).toBe(201);
    const artifact = JSON.parse(reply.body);
    const sha256 = hash.digest('hex');
    expect(artifact).toMatchObject({ size: SIZE, sha256 });
    console.log(
      `${kind}: server RSS ${Math.round(baseline / 2 ** 20)} MiB → peak ${Math.round(peak / 2 ** 20)} MiB during a 50 MiB upload`,
    );
    expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);

    const download = await fetch(`${server.url}/v1/runners/sessions/${session.id}/artifacts/${artifact.id}/content`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(download.headers.get('content-type')).toBe('application/x-tar');
    const downloaded = createHash('sha256');
    for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>) downloaded.update(chunk);
    expect(downloaded.digest('hex')).toBe(sha256);
  }, 120_000);
});
