// /metrics in Prometheus text format (parsed by a Prometheus text-format parser) with every family an operator and
// an autoscaler need, and /v1/runners/queues: depth and oldest age per profile and tag set, per org.
// @ts-expect-error the parser ships no types
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { createReview, register } from '../support/review-fixtures.ts';
import { client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

const FAMILIES = [
  'runplane_queue_depth',
  'runplane_queue_oldest_age_seconds',
  'runplane_claims_total',
  'runplane_dispatch_to_claim_seconds',
  'runplane_lease_expiries_total',
  'runplane_requeues_total',
  'runplane_cancellations_total',
  'runplane_runners',
  'runplane_runner_heartbeats_total',
  'runplane_log_batches_total',
  'runplane_http_request_duration_seconds',
  'runplane_db_pool_connections',
  'runplane_notifications_received',
  'runplane_parked_long_polls',
  'runplane_delivery_outcomes_total',
  'runplane_permission_requests_pending',
  'runplane_permission_requests_total',
  'runplane_permission_decision_seconds',
  'runplane_budget_pauses_total',
  'runplane_suspensions_total',
  'runplane_process_cpu_seconds_total',
  'runplane_process_resident_memory_bytes',
];

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }[];
}

describe.each(STORE_KINDS)('metrics on the %s store', (kind) => {
  const t = useTestServer(kind, { reaper: true });

  async function scrape(headers: Record<string, string> = {}) {
    const response = await fetch(`${t.server.url}/metrics`, { headers });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  }

  it('/metrics parses as Prometheus text with every family, and counts what happened', async () => {
    const api = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    await register(api, 'r1');
    const review = await createReview(api);
    await createReview(api, { requiredTags: ['gpu'] });
    await api.get('/api/runners/tasks/pending?runnerId=r1');
    await api.post('/api/runners/r1/heartbeat', { status: 'busy', currentJobs: 1 });
    await api.post(`/api/runners/tasks/${review.taskId}/logs`, { logs: ['a'] }, { 'x-runplane-attempt': '1' });
    await api.post(`/api/reviews/${review.id}/cancel`);

    const scraped = await scrape();
    expect(scraped.status).toBe(200);
    expect(scraped.type).toContain('text/plain');
    const families = parsePrometheusTextFormat(scraped.text) as Family[];
    const byName = new Map(families.map((family) => [family.name, family]));
    for (const name of FAMILIES) expect(scraped.text, name).toContain(`# TYPE ${name} `);
    const value = (name: string, labels: Record<string, string> = {}) =>
      Number(
        byName.get(name)?.metrics.find((metric) => Object.entries(labels).every(([k, v]) => metric.labels?.[k] === v))
          ?.value ?? NaN,
      );
    expect(value('runplane_claims_total')).toBe(1);
    expect(value('runplane_runner_heartbeats_total')).toBe(1);
    expect(value('runplane_log_batches_total')).toBe(1);
    expect(value('runplane_cancellations_total', { reason: 'requested_from_runner' })).toBe(1);
    expect(value('runplane_queue_depth', { org: 'acme', profile: 'ai-review', tags: 'gpu' })).toBe(1);
    expect(value('runplane_queue_oldest_age_seconds', { org: 'acme', tags: 'gpu' })).toBeGreaterThanOrEqual(0);
    expect(value('runplane_runners', { status: 'busy' })).toBe(1);
    expect(byName.get('runplane_dispatch_to_claim_seconds')?.type).toBe('HISTOGRAM');
    // The parser folds labelled histogram series together, so the per-route series is read from the text.
    expect(scraped.text).toMatch(
      /^runplane_http_request_duration_seconds_count\{route="\/api\/reviews\/:id\/cancel",method="POST",status="200"\} 1$/m,
    );
  });

  describe('with RUNPLANE_METRICS_TOKEN', () => {
    const guarded = useTestServer(kind, { config: { metricsToken: 'scrape-secret-0123456789' } });
    it('requires the token as a bearer, compared in constant time', async () => {
      const at = (headers: Record<string, string>) =>
        fetch(`${guarded.server.url}/metrics`, { headers }).then(async (r) => ({
          status: r.status,
          body: await r.json().catch(() => null),
        }));
      const missing = await at({});
      expect(missing.status, JSON.stringify(missing.body)).toBe(401);
      expect(missing.body.error.code).toBe('unauthorized');
      const wrong = await at({ authorization: 'Bearer wrong' });
      expect(wrong.status, JSON.stringify(wrong.body)).toBe(403);
      const right = await at({ authorization: 'Bearer scrape-secret-0123456789' });
      expect(right.status, JSON.stringify(right.body)).toBe(200);
    });
  });

  it('/v1/runners/queues reports depth and oldest age per tag set, for the caller’s org only', async () => {
    const api = await t.client(['admin']);
    const profile = (await api.post('/v1/runners/profiles', { name: 'q' })).body.id;
    const dispatch = (tags: string[]) =>
      api.post('/v1/runners/sessions', { profile_id: profile, task_id: 't', input: {}, required_tags: tags });
    for (const tags of [[], [], ['gpu'], ['gpu'], ['gpu'], ['linux', 'gpu']]) await dispatch(tags);
    const all = (await api.get(`/v1/runners/queues?profile_id=${profile}`)).body;
    expect(all.depth).toBe(6);
    expect(all.items.map((row: { required_tags: string[]; depth: number }) => [row.required_tags, row.depth])).toEqual([
      [[], 2],
      [['gpu'], 3],
      [['gpu', 'linux'], 1],
    ]);
    for (const row of all.items) expect(row.oldest_age_seconds).toBeGreaterThanOrEqual(0);
    expect((await api.get(`/v1/runners/queues?profile_id=${profile}&tags=gpu`)).body.depth).toBe(3);
    expect((await api.get(`/v1/runners/queues?profile_id=${profile}&tags=linux,gpu`)).body.depth).toBe(1);
    expect((await api.get(`/v1/runners/queues?profile_id=${profile}&tags=`)).body.depth).toBe(2);
    const stranger = await t.client(['runners:read'], { org: 'globex' });
    expect((await stranger.get('/v1/runners/queues')).body).toEqual({ depth: 0, oldest_age_seconds: 0, items: [] });
    expect((await client(t.server.url, null).get('/v1/runners/queues')).status).toBe(401);
  });
});
