// The served OpenAPI document as client generators see it (issue 15): `redocly lint` (pinned, with redocly.yaml)
// finds no error, and every operation has a unique operationId and a summary.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { operationIdFor } from '../../src/http/openapi.ts';
import { REPO_ROOT } from '../support/processes.ts';
import { client, useTestServer } from '../support/server.ts';

const REDOCLY = path.join(REPO_ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');

describe('the OpenAPI document', () => {
  const t = useTestServer('embedded');

  it('passes redocly lint with no error; every operation has a unique operationId and a summary', async () => {
    const doc = (await client(t.server.url, null).get('/openapi.json')).body;
    const operations = Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>).flatMap(
      ([url, methods]) => Object.entries(methods).map(([method, op]) => ({ url, method, op })),
    );
    expect(operations.length).toBeGreaterThan(60);
    const ids = operations.map(({ op }) => op['operationId']);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operations.filter(({ op }) => !op['summary'])).toEqual([]);
    expect(doc.servers).toEqual([{ url: '/', description: 'This Runplane server' }]);

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-openapi-')), 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const lint = await promisify(execFile)(
      process.execPath,
      [REDOCLY, 'lint', file, '--config', path.join(REPO_ROOT, 'redocly.yaml'), '--format', 'json'],
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: { stdout: string; stderr: string }) => error);
    const report = JSON.parse(lint.stdout) as { totals: { errors: number; warnings: number }; problems: unknown[] };
    expect(report.totals.errors, JSON.stringify(report.problems, null, 1).slice(0, 4000)).toBe(0);
    expect(report.totals.warnings).toBeLessThanOrEqual(1); // the accepted no-ambiguous-paths (redocly.yaml)
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }, 60_000);

  it('names every resource once and refers to it; non-JSON bodies and answers say their media type', async () => {
    const doc = (await client(t.server.url, null).get('/openapi.json')).body;
    const schemas = Object.keys(doc.components.schemas);
    for (const name of ['Runner', 'Task', 'Review', 'Session', 'Profile', 'HarnessRevision', 'Event', 'Artifact']) {
      expect(schemas).toContain(name);
    }
    for (const name of ['Grant', 'AuditRecord', 'Attempt', 'Checkpoint', 'ApiKey', 'User', 'Error']) {
      expect(schemas).toContain(name);
    }
    const text = JSON.stringify(doc.paths);
    expect(text).toContain('"$ref":"#/components/schemas/Session"');
    expect(text).not.toContain('"title":"Session"'); // hoisted, not repeated inline
    expect(text).not.toContain('Default Response');
    const op = (url: string, method: string) => doc.paths[url][method];
    expect(op('/v1/runners/sessions/{id}', 'get').responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Session',
    });
    expect(Object.keys(op('/v1/runners/sessions/{id}/artifacts', 'post').requestBody.content)).toEqual([
      'application/octet-stream',
    ]);
    expect(Object.keys(op('/v1/runners/sessions/{id}/events/stream', 'get').responses['200'].content)).toEqual([
      'text/event-stream',
    ]);
    const download = op('/v1/runners/sessions/{id}/artifacts/{artifact_id}/content', 'get').responses['200'];
    expect(download.content['application/octet-stream'].schema).toEqual({ type: 'string', format: 'binary' });
    // 4xx per operation: a runner write can conflict, a public route needs no credentials.
    const status = op('/api/runners/tasks/{id}/status', 'post').responses;
    expect(Object.keys(status)).toEqual(expect.arrayContaining(['400', '401', '403', '404', '409']));
    expect(status['409']).toEqual({ $ref: '#/components/responses/Conflict' });
    const health = op('/healthz', 'get');
    expect(health.security).toEqual([]);
    expect(health.responses['401']).toBeUndefined();
    // Every tag an operation uses is described.
    const described = new Map(doc.tags.map((tag: { name: string; description: string }) => [tag.name, tag]));
    for (const methods of Object.values(doc.paths) as Record<string, { tags: string[] }>[]) {
      for (const operation of Object.values(methods)) {
        expect(operation.tags.length).toBeGreaterThan(0);
        for (const tag of operation.tags) expect(described.get(tag), tag).toBeTruthy();
      }
    }
    expect(doc.components.schemas.Error.examples).toHaveLength(1);
  });

  it('names operations after what they do', () => {
    expect(operationIdFor('GET', '/v1/runners/sessions/:id/events')).toBe('listSessionEvents');
    expect(operationIdFor('POST', '/v1/runners/sessions')).toBe('createSession');
    expect(operationIdFor('POST', '/v1/runners/sessions/:id/cancel')).toBe('cancelSession');
    expect(operationIdFor('GET', '/api/runners/:id')).toBe('getRunner');
    expect(operationIdFor('POST', '/v1/runners/profiles/:id/harnesses')).toBe('createProfileHarness');
    expect(operationIdFor('PATCH', '/v1/admin/users/:id')).toBe('updateAdminUser');
  });
});
