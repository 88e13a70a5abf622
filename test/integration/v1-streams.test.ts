// /v1 streams over real HTTP on each store: the SSE event stream, artifacts, and the claim race.
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Client, client, newKey, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

interface SseEvent {
  id: number;
  event: string;
  data: { seq: number; type: string; message: string };
}

/** Reads SSE frames until the server ends the stream or `stopAfter` events arrived; then disconnects. */
async function readStream(url: string, key: string, options: { lastEventId?: number; stopAfter?: number } = {}) {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: {
      authorization: `Bearer ${key}`,
      ...(options.lastEventId !== undefined ? { 'last-event-id': String(options.lastEventId) } : {}),
    },
    signal: controller.signal,
  });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  const reader = response.body!.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const fields: Record<string, string> = Object.fromEntries(
          frame
            .split('\n')
            .filter((line) => !line.startsWith(':'))
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
        );
        if (fields.id)
          events.push({ id: Number(fields.id), event: fields.event ?? '', data: JSON.parse(fields.data ?? '') });
        cut = buffer.indexOf('\n\n');
      }
      if (options.stopAfter !== undefined && events.length >= options.stopAfter) break;
    }
  } finally {
    controller.abort();
  }
  return { events, ended };
}

describe.each(STORE_KINDS)('/v1 streams on the %s store', (kind) => {
  const t = useTestServer(kind, { config: { artifactMaxBytes: 2 * 1024 * 1024 } });
  let api: Client;
  let key: string;
  let profileId: string;

  // The key itself, not only a client: the SSE and artifact tests call fetch with it.
  beforeEach(async () => {
    key = await newKey(t.db, 'acme', ['admin']);
    api = client(t.server.url, key);
    profileId = (await api.post('/v1/runners/profiles', { name: 'p' })).body.id;
  });

  const dispatch = async () =>
    (await api.post('/v1/runners/sessions', { profile_id: profileId, task_id: 't', input: {} })).body;

  it('SSE: a reconnect with Last-Event-ID resumes with no gap and no duplicate; the stream ends after the terminal event', async () => {
    const session = await dispatch();
    const url = `${t.server.url}/v1/runners/sessions/${session.id}/events/stream`;
    const batch = (from: number) =>
      Array.from({ length: 5 }, (_v, i) => ({ type: 'step', level: 'info', message: `m${from + i}` }));
    await api.post(`/v1/runners/sessions/${session.id}/events`, batch(0));
    const first = await readStream(url, key, { stopAfter: 3 });
    expect(first.ended).toBe(false);
    const lastSeen = first.events.at(-1)!.id;
    // While disconnected, more happens, then the session finishes.
    await api.post(`/v1/runners/sessions/${session.id}/events`, batch(5));
    await api.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'r1' });
    await api.call('PATCH', `/v1/runners/sessions/${session.id}`, { state: 'succeeded', result: { ok: true } });
    const second = await readStream(url, key, { lastEventId: lastSeen });
    expect(second.ended).toBe(true);
    const ids = [...first.events, ...second.events].map((event) => event.id);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_v, i) => i + 1));
    const all = (await api.get(`/v1/runners/sessions/${session.id}/events?limit=1000`)).body.items;
    expect(ids.length).toBe(all.length);
    expect(second.events.at(-1)!.data).toMatchObject({ type: 'state', message: 'dispatched → succeeded' });
  });

  it('SSE: a live stream follows events as they are appended', async () => {
    const session = await dispatch();
    const url = `${t.server.url}/v1/runners/sessions/${session.id}/events/stream`;
    const reading = readStream(url, key, { stopAfter: 3 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await api.post(`/v1/runners/sessions/${session.id}/events`, [
      { type: 'step', level: 'info', message: 'live-1' },
      { type: 'tool_call', level: 'info', message: 'live-2' },
    ]);
    const { events } = await reading;
    expect(events.map((event) => event.data.message)).toEqual(['created → pending', 'live-1', 'live-2']);
    // Unnamed events, whatever the type: an EventSource's onmessage sees a runner's own types too.
    expect(events.map((event) => [event.event, event.data.type])).toEqual([
      ['', 'state'],
      ['', 'step'],
      ['', 'tool_call'],
    ]);
  });

  it('SSE: streams open on one session share one watcher; every stream gets every event', async () => {
    const session = await dispatch();
    const url = `${t.server.url}/v1/runners/sessions/${session.id}/events/stream`;
    const watch = t.server.core.itemWatch;
    const streams = Array.from({ length: 12 }, () => readStream(url, key, { stopAfter: 4 }));
    await until(
      async () => watch.waiting,
      (waiting) => waiting === 12,
      10_000,
    );
    expect(watch.size).toBe(1);
    // Parked with nothing new: no store reads (the fallback read is 5 s away), where polling would read every 250 ms
    // per stream.
    const readsBefore = watch.reads;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(watch.reads - readsBefore).toBeLessThanOrEqual(1);
    await api.post(`/v1/runners/sessions/${session.id}/events`, [
      { type: 'step', level: 'info', message: 'a' },
      { type: 'step', level: 'info', message: 'b' },
      { type: 'tool_call', level: 'info', message: 'c' },
    ]);
    for (const { events } of await Promise.all(streams)) {
      expect(events.map((event) => event.data.message)).toEqual(['created → pending', 'a', 'b', 'c']);
    }
    await until(
      async () => watch.size,
      (size) => size === 0,
      10_000,
    );
  });

  it('artifacts: upload with a content type, list, and download the same bytes', async () => {
    const session = await dispatch();
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_v, i) => i % 251));
    const upload = await fetch(`${t.server.url}/v1/runners/sessions/${session.id}/artifacts?name=bundle.bin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-bundle' },
      body: bytes,
    });
    expect(upload.status).toBe(201);
    const artifact = await upload.json();
    expect(artifact).toMatchObject({
      name: 'bundle.bin',
      content_type: 'application/x-bundle',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    const listed = await api.get(`/v1/runners/sessions/${session.id}/artifacts`);
    expect(listed.body.items.map((a: { id: string }) => a.id)).toEqual([artifact.id]);
    const download = await fetch(`${t.server.url}/v1/runners/sessions/${session.id}/artifacts/${artifact.id}/content`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(download.headers.get('content-type')).toBe('application/x-bundle');
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    const json = await fetch(`${t.server.url}/v1/runners/sessions/${session.id}/artifacts?name=report.json`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"passed": 3}',
    });
    expect((await json.json()).size).toBe(13);
    expect((await api.get(`/v1/runners/sessions/${session.id}/artifacts/art_missing/content`)).status).toBe(404);
  });

  it('artifacts: an upload over the limit answers 413 and stores nothing; a stale runner’s upload answers 409', async () => {
    const session = await dispatch();
    const tooBig = await fetch(`${t.server.url}/v1/runners/sessions/${session.id}/artifacts?name=big.bin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(3 * 1024 * 1024, 1),
    });
    expect(tooBig.status).toBe(413);
    expect((await tooBig.json()).error.code).toBe('artifact_too_large');
    expect((await api.get(`/v1/runners/sessions/${session.id}/artifacts`)).body.items).toEqual([]);
    expect(await t.db.query('select 1 from artifact_chunks')).toEqual([]);
    await api.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'r1' });
    const stale = await fetch(`${t.server.url}/v1/runners/sessions/${session.id}/artifacts?name=late.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain', 'x-runplane-attempt': '5' },
      body: 'late',
    });
    expect(stale.status).toBe(409);
    expect((await api.get(`/v1/runners/sessions/${session.id}/artifacts`)).body.items).toEqual([]);
    const noName = await api.call('POST', `/v1/runners/sessions/${session.id}/artifacts`, 'x', {
      'content-type': 'text/plain',
    });
    expect(noName.body.error.field).toBe('name');
  });

  it('20 concurrent claimers over 300 sessions: each session is claimed exactly once', async () => {
    const created = new Set<string>();
    for (let i = 0; i < 300; i++) created.add((await dispatch()).id);
    const owners = new Map<string, string[]>();
    await Promise.all(
      Array.from({ length: 20 }, async (_v, n) => {
        for (;;) {
          const reply = await api.post('/v1/runners/sessions/claim', { runner_id: `claimer-${n}`, limit: 1 });
          expect(reply.status).toBe(200);
          if (reply.body.items.length === 0) return;
          for (const s of reply.body.items) owners.set(s.id, [...(owners.get(s.id) ?? []), `claimer-${n}`]);
        }
      }),
    );
    expect(new Set(owners.keys())).toEqual(created);
    expect([...owners.values()].filter((list) => list.length > 1)).toEqual([]);
  });
});
